"""A fax from a carrier's fax machine over a real SIP leg, in T.38 and in G.711 (#18 item 5).

test_fax_on_freeswitch.py sends from the portal to the company's own number over loopback: T.30 in audio
inside one switch. Here a second FreeSWITCH plays the carrier's fax machine (the harness's generated
configuration with mod_spandsp): it originates a call over SIP to the project switch's external profile,
to the company's fax number whose published plan is the "Receive fax" step, and sends a two-page TIFF
with txfax.

- T.38: the sender sets fax_enable_t38 and fax_enable_t38_request, so once the call is answered its
  mod_spandsp re-INVITEs with `m=image ... udptl t38`; our step (fax_enable_t38, never requesting it
  itself) accepts it, and the pages go as T.38 over UDPTL. Proof: mod_spandsp's own verdict on both ends,
  the channel variable `fax_t38_status` = "negotiated" (mod_spandsp_fax.c: T38_MODE_NEGOTIATED), and
  the SDP our switch last received on the call (`switch_r_sdp`) being the image/t38 offer.
- G.711: the same call without any T.38 setting: `fax_t38_status` "off", the SDP stays audio.

Either way the bridge records the fax at hang-up (received, two pages, the sender's fax ident) and mails
it as a two-page PDF (aiosmtpd)."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
from sqlmodel import Session, select

from tests.fax_support import tiff_file
from tests.freeswitch import harness
from tests.freeswitch.bridge_process import running_bridge
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    HOST, demo, far_end, fs, fs_env, needs_freeswitch, server, work,
)
from tests.freeswitch.test_fax_on_freeswitch import FAX_NUMBER, admin_client, fax_dir, ok  # noqa: F401  (fixtures)
from web.models.fax import Fax

MAIL_TO = "faxes@demo.example.com"


class SendingCalls(harness.Calls):
    """The carrier's calls: the harness follows inbound channels (those that run a dialplan); the fax
    machine's channel is the one it originates, outbound."""

    def handle(self, event: dict[str, str]) -> None:
        if event.get("Call-Direction") == "outbound":
            super().handle({**event, "Call-Direction": "inbound"})


@pytest.fixture(scope="module")
def carrier(work, fs):
    """The carrier's fax machine: a FreeSWITCH of its own (generated configuration, mod_spandsp)."""
    switch = harness.FreeSwitch(work / "carrier", "carrier.test", [], {}, modules=("mod_spandsp",))
    switch.calls = SendingCalls()
    switch.start()
    yield switch
    switch.stop()


@pytest.fixture(scope="module")
def fax_line(admin_client):
    """The company's Sales number made a fax line: a published plan with the Receive fax step."""
    client = admin_client
    (number,) = [row for row in ok(client.get("/api/numbers")) if row["number"] == FAX_NUMBER]
    ok(client.patch(f"/api/numbers/{number['id']}", json={"destination": None}))
    plan = ok(client.post("/api/plans", json={"name": "Fax line", "numbers": [FAX_NUMBER], "steps": [
        {"id": "f1", "type": "receive_fax", "mail_to": [MAIL_TO]}]}))
    assert plan["errors"] == [], plan["errors"]
    ok(client.post(f"/api/plans/{plan['id']}/publish", json={}))
    return FAX_NUMBER


def received_fax(demo, call_uuid: str):
    with Session(demo.engine) as db:
        return db.exec(select(Fax).where(Fax.call_uuid == call_uuid)).first()


def fax_from_the_carrier(work, demo, fs, carrier, fax_dir, mailbox, *, sender: str, t38: bool):
    """The carrier sends a two-page fax from `sender` to the fax line over SIP; returns (our inbound
    call, the sender's hang-up event, the recorded fax, the mail)."""
    document = tiff_file(work / f"carrier-{sender.lstrip('+')}.tif", 2)
    t38_vars = "fax_enable_t38=true,fax_enable_t38_request=true," if t38 else ""
    external = fs_env(fs, "CALLPLAN_EXTERNAL_SIP_PORT")
    with running_bridge(demo, fs, work, f"bridge-fax-{sender.lstrip('+')}.log", fs_env=fs_env,
                        smtp_port=mailbox.port, CALLPLAN_FAX_DIR=str(fax_dir)):
        reply = carrier.api(
            f"originate {{{t38_vars}fax_ident={sender},origination_caller_id_number={sender},"
            f"absolute_codec_string=PCMU,originate_timeout=20}}"
            f"sofia/{harness.PROFILE}/{FAX_NUMBER}@{HOST}:{external} &txfax({document})")
        assert reply.startswith("+OK"), (reply, fs.log_tail(200), carrier.log_tail(200))
        call = fs.calls.wait_hangup(sender, 150)
        assert call, (fs.log_tail(300), carrier.log_tail(300))
        sending_uuid = reply.split()[1]  # originate's "+OK <uuid>"
        outbound = wait_for(lambda: carrier.calls.by_uuid.get(sending_uuid) and carrier.calls.by_uuid[sending_uuid].hangup, 30)
        assert outbound, (sorted(carrier.calls.by_uuid), carrier.log_tail(300))
        fax = wait_for(lambda: received_fax(demo, call.uuid), 30)
        assert fax, (work / f"bridge-fax-{sender.lstrip('+')}.log").read_text()[-3000:]
        mails = wait_for(lambda: mailbox.to(MAIL_TO), 30)
        assert mails, (work / f"bridge-fax-{sender.lstrip('+')}.log").read_text()[-3000:]
    return call, outbound, fax, mails


def check_received(fax, mails, fax_dir: Path, sender: str) -> None:
    assert (fax.direction, fax.status, fax.pages, fax.result_code) == ("in", "received", 2, 0), fax
    assert fax.remote_station_id == sender and fax.local_number == FAX_NUMBER, fax
    assert fax.mailed_to == [MAIL_TO] and (fax_dir / fax.pdf_file).is_file(), fax
    [mail] = mails
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert len(pypdf.PdfReader(io.BytesIO(attachment.get_content())).pages) == 2


@needs_freeswitch
def test_a_carrier_fax_over_t38_is_received_recorded_and_mailed(work, demo, server, fs, carrier, fax_dir, fax_line,
                                                                mailbox):
    sender = "+31612340038"
    call, outbound, fax, mails = fax_from_the_carrier(work, demo, fs, carrier, fax_dir, mailbox, sender=sender, t38=True)
    variables = call.hangup
    # mod_spandsp's own verdict on our side: T.38 negotiated (not "off", "requested" or "refused")
    assert variables.get("variable_fax_t38_status") == "negotiated", (
        {k: v for k, v in variables.items() if "fax" in k or "t38" in k}, fs.call_log(call)[-5000:])
    assert variables.get("variable_has_t38") == "true", variables.get("variable_has_t38")
    # the last SDP the carrier sent us is its T.38 re-INVITE: an image stream over UDPTL
    remote_sdp = variables.get("variable_switch_r_sdp", "")
    assert "m=image" in remote_sdp and "t38" in remote_sdp.lower(), remote_sdp
    # and on the fax machine's: it asked (fax_enable_t38_request) and got it, and sent both pages
    sent = outbound
    assert (sent.get("variable_fax_t38_status"), sent.get("variable_fax_success"),
            sent.get("variable_fax_document_transferred_pages")) == ("negotiated", "1", "2"), (
        {k: v for k, v in sent.items() if "fax" in k})
    check_received(fax, mails, fax_dir, sender)


@needs_freeswitch
def test_a_carrier_fax_in_g711_is_received_recorded_and_mailed(work, demo, server, fs, carrier, fax_dir, fax_line,
                                                               mailbox):
    sender = "+31612340711"
    call, outbound, fax, mails = fax_from_the_carrier(work, demo, fs, carrier, fax_dir, mailbox, sender=sender, t38=False)
    variables = call.hangup
    assert variables.get("variable_fax_t38_status") == "off", {k: v for k, v in variables.items() if "t38" in k}
    assert "m=image" not in variables.get("variable_switch_r_sdp", ""), variables.get("variable_switch_r_sdp")
    sent = outbound
    assert (sent.get("variable_fax_t38_status"), sent.get("variable_fax_success")) == ("off", "1"), (
        {k: v for k, v in sent.items() if "fax" in k})
    check_received(fax, mails, fax_dir, sender)
