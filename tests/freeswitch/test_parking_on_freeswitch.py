"""Call parking on a real FreeSWITCH (#18 item 3): the project's configuration (mod_valet_parking loaded
by freeswitch/autoload_configs/modules.conf.xml) with the app; the demo company's lot switched on through
the API (slots 701-703, 10 s before a parked call goes back). SIPp plays the phones:

- Alice's phone answers a carrier's call and blind-transfers it (REFER, with Referred-By) to the park code:
  the caller waits in the first free slot, 701, and the API's live list names the caller and Alice as who
  parked it; Bob's phone dials 701 and FreeSWITCH bridges him to the parked caller (the slot is empty again).
- Alice's phone blind-transfers a second caller to slot 703 itself; nobody takes it, and after the return
  time the call rings Alice's phone again, from the caller's number."""

from __future__ import annotations

import re
import secrets
import subprocess
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from tests.freeswitch import harness
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    HOST, SIPP, demo, far_end, fs, fs_env, needs_freeswitch, phone_call, register, server, work,
)
from web.auth.tokens import digest, new_api_token
from web.db import session_scope
from web.demo import DEMO_ADMIN
from web.models import Account, ApiToken

NUMBER = "+31201234569"  # the demo's Support number, routed to Alice below

# Alice's phone: answers, and a second later transfers the call blind (REFER with Referred-By, as desk phones
# send it) to where the caller's name says ("park *70": the park code); then takes FreeSWITCH's NOTIFYs and
# BYE in whatever order. (The name, not an injection file: FreeSWITCH's NOTIFYs to the registered phone
# count as calls of a SIPp UAS and would use up its lines.)
REFERRING_PHONE = """<?xml version="1.0" encoding="UTF-8"?>
<scenario name="referring_phone">
  <recv request="INVITE">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="remote"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="local"/>
      <ereg regexp="sip:[^&gt;;]*" search_in="hdr" header="Contact:" assign_to="contact"/>
      <ereg regexp="park ([*0-9]+)" search_in="hdr" header="From:" assign_to="all,target"/>
    </action>
  </recv>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:{user}@[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=phone 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
  ]]></send>
  <recv request="ACK"/>
  <pause milliseconds="1500"/>
  <send retrans="500"><![CDATA[
      REFER [$contact] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: [$local];tag=[pid]SIPpTag01[call_number]
      To: [$remote]
      [last_Call-ID:]
      CSeq: 2 REFER
      Contact: <sip:{user}@[local_ip]:[local_port]>
      Refer-To: <sip:[$target]@{domain}>
      Referred-By: <sip:{user}@{domain}>
      X-Transferred-For: [$all]
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <recv response="202"/>
  <label id="wait"/>
  <recv request="NOTIFY" optional="true" next="notified"/>
  <recv request="BYE" next="bye"/>
  <label id="notified"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

  ]]></send>
  <nop next="wait"/>
  <label id="bye"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

  ]]></send>
</scenario>
"""


class ReferringPhone:
    """A SIPp UAS registered as a user's phone that transfers each call it answers where the caller's name says."""

    def __init__(self, work: Path, user: str, domain: str, scenario: str = REFERRING_PHONE):
        self.folder = work / f"refer-{secrets.token_hex(3)}"
        self.folder.mkdir()
        (self.folder / "phone.xml").write_text(scenario.format(user=user, domain=domain))
        self.port = harness.free_ports()
        self.messages = self.folder / "messages.log"
        self.output = open(self.folder / "sipp.out", "wb")
        self.process = subprocess.Popen(
            [SIPP, "-sf", str(self.folder / "phone.xml"), "-i", HOST,
             "-bind_local", "-p", str(self.port), "-mi", HOST, "-mp", str(harness.free_ports(4)), "-ci", HOST,
             "-cp", str(harness.free_ports()), "-nostdin", "-trace_msg", "-message_file", str(self.messages)],
            stdin=subprocess.DEVNULL, stdout=self.output, stderr=subprocess.STDOUT, cwd=self.folder,
            preexec_fn=harness.die_with_parent)

    def received(self) -> str:
        return self.messages.read_text(errors="replace") if self.messages.exists() else ""

    def output_text(self) -> str:
        return (self.folder / "sipp.out").read_text(errors="replace")[-2000:]

    def invites(self) -> list[str]:
        return [text for direction, text in harness.sip_messages(self.received())
                if direction == "received" and text.startswith("INVITE ")]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.output.close()


@pytest.fixture(scope="module")
def admin_client(demo, fs):
    """The demo admin on the API, with the app asking this FreeSWITCH (its event socket)."""
    settings = demo.app.state.settings
    wired = type(settings)(**{**settings.__dict__, "esl_host": HOST, "esl_port": fs.esl_port, "esl_password": fs.password})
    demo.app.state.settings = wired
    raw = new_api_token()
    with session_scope(demo.engine) as db:
        account = db.exec(select(Account).where(Account.email == DEMO_ADMIN)).one()
        db.add(ApiToken(account_id=account.id, tenant_id=account.tenant_id, name="fs test", prefix=raw[:10],
                        token_hash=digest(raw)))
        tenant_id = account.tenant_id
    client = TestClient(demo.app, headers={"authorization": f"Bearer {raw}"})
    client.tenant_id = tenant_id
    yield client
    demo.app.state.settings = settings


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.text
    return response.json()


def carrier(work: Path, fs, caller: str, target: str, results: dict) -> threading.Thread:
    """A call from outside to NUMBER (named for where Alice's phone transfers it) that stays until
    FreeSWITCH hangs up or 45 s pass."""
    def run():
        results[caller] = harness.call(work, SimpleNamespace(sip_port=int(fs_env(fs, "CALLPLAN_EXTERNAL_SIP_PORT"))),
                                       NUMBER, caller, caller_name=f"park {target}", timeout=45)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def lot_uuids(fs, lot: str) -> dict[str, str]:
    from web.domain.parking import parse_lot

    return {slot: uuid for slot, uuid in parse_lot(fs.api(f"valet_info {lot}"), lot)}


@needs_freeswitch
def test_a_call_parked_by_transfer_is_picked_up_by_slot_and_an_unanswered_one_goes_back(work, demo, server, fs,
                                                                                        admin_client):
    client = admin_client
    domain = ok(client.get("/api/devices/sip-settings"))["domain"]
    lot = f"t{client.tenant_id}-park"
    parking = ok(client.patch("/api/parking", json={"enabled": True, "first_slot": "701", "last_slot": "703",
                                                     "return_after_s": 10}))
    assert parking["slots"] == ["701", "702", "703"] and parking["park_code"] == "*70"
    # night_mode off: the demo company's night switch follows office hours, and this test runs at any hour
    alice = ok(client.post("/api/users", json={"first_name": "Alice", "last_name": "Parker", "extension": "281",
                                                "night_mode": "off"}))
    bob = ok(client.post("/api/users", json={"first_name": "Bob", "last_name": "Picker", "extension": "282",
                                              "night_mode": "off"}))
    alice_phone = ok(client.post("/api/devices", json={"name": "Alice's phone", "user_id": alice["id"]}))
    bob_phone = ok(client.post("/api/devices", json={"name": "Bob's phone", "user_id": bob["id"],
                                                      "sip_password": "Bob_Phone_2026_at_desk"}))
    (number,) = [row for row in ok(client.get("/api/numbers")) if row["number"] == NUMBER]
    ok(client.patch(f"/api/numbers/{number['id']}", json={"destination": {"type": "user", "id": alice["id"]}}))
    phone = ReferringPhone(work, alice_phone["sip_username"], domain)
    results: dict = {}
    threads = []
    try:
        assert register(work, fs, alice_phone["sip_username"], domain, alice_phone["sip_password"], expires=300,
                        call_id=f"park-{secrets.token_hex(4)}@{HOST}", contact_port=phone.port) == [200], fs.log_tail(60)
        assert ok(client.get("/api/parking/calls")) == []

        # 1. park by blind transfer to the park code: the first free slot
        threads.append(carrier(work, fs, "0612000701", "*70", results))
        calls = wait_for(lambda: ok(client.get("/api/parking/calls")) or None, 30)
        assert calls, f"{phone.received()[-3000:]}\n{phone.output_text()}\n{fs.log_tail(250)}"
        assert [(c["slot"], c["caller_id_number"], c["parked_by"]) for c in calls] == [("701", "0612000701", "281")], \
            "\n".join(line for line in fs.log_text().splitlines() if "parked_by" in line or "Referred" in line or "valet_parking_orbit" in line)[-4000:]
        parked = lot_uuids(fs, lot)["701"]
        assert f"valet_park({lot} auto in 701 703)" in fs.log_text()
        # valet_park said the slot (its phrase valet_announce_ext: 7, 0, 1) to the call it parked: after a blind
        # transfer that is the caller, the phone that transferred it having left the call
        assert wait_for(lambda: "digits/7.wav!digits/0.wav!digits/1.wav" in fs.log_text(), 10), fs.log_tail(150)

        # 2. Bob dials the slot: FreeSWITCH bridges him to the parked caller, and the slot is free again
        picker = threading.Thread(target=phone_call, args=(work, fs, bob_phone["sip_username"], domain,
                                                            "Bob_Phone_2026_at_desk", "701"), daemon=True)
        picker.start()
        threads.append(picker)

        def bridged_to_bob():
            partner = fs.api(f"uuid_getvar {parked} bridge_uuid").strip()
            if not partner or partner.startswith("-ERR") or partner == "_undef_":
                partner = fs.api(f"uuid_getvar {parked} signal_bond").strip()
            if not partner or partner.startswith("-ERR") or partner == "_undef_":
                return None
            return fs.api(f"uuid_getvar {partner} sip_from_user").strip() == bob_phone["sip_username"] or None
        assert wait_for(bridged_to_bob, 20), fs.log_tail(250)
        assert wait_for(lambda: ok(client.get("/api/parking/calls")) == [], 10)
        assert lot_uuids(fs, lot) == {}

        # 3. a transfer to slot 703 itself; nobody takes it: after 10 s it rings Alice again, from the caller
        threads.append(carrier(work, fs, "0612000703", "703", results))
        calls = wait_for(lambda: ok(client.get("/api/parking/calls")) or None, 30)
        assert calls, f"{phone.received()[-5000:]}\n{(phone.folder / 'sipp.out').read_text(errors='replace')[-1500:]}\n{fs.log_tail(300)}"
        assert [(c["slot"], c["caller_id_number"], c["parked_by"]) for c in calls] == [("703", "0612000703", "281")], \
            f"{calls}\n{fs.log_tail(200)}"
        parked_at, rung = time.monotonic(), len(phone.invites())
        assert wait_for(lambda: len(phone.invites()) > rung, 25), f"{phone.received()[-3000:]}\n{fs.log_tail(250)}"
        assert time.monotonic() - parked_at > 7  # the return time (10 s), not at once
        back = phone.invites()[rung]
        assert "0612000703" in back.split("\n", 3)[0] + "".join(
            line for line in back.splitlines() if line.lower().startswith("from:")), back
        # FreeSWITCH sent it back through park_return_281 (Alice's phone then parks it in 703 again)
        assert "park_return_281" in fs.log_text()
    finally:
        for thread in threads:
            thread.join(60)
        phone.stop()


# Agnes's phone: answers each call and stays on it until FreeSWITCH hangs up (the agent panel transfers it)
ANSWERING_PHONE = re.sub(r"\s*<action>.*?</action>", "", REFERRING_PHONE.split("  <recv request=\"ACK\"/>")[0],
                         flags=re.S).replace("referring_phone", "answering_phone") + """  <recv request="ACK"/>
  <recv request="BYE"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

  ]]></send>
</scenario>
"""


def inbound_leg(fs, caller: str) -> str | None:
    """The uuid of the caller's own leg (the one FreeSWITCH received from the carrier), once it is bridged."""
    import json

    rows = (json.loads(fs.api("show channels as json") or "{}") or {}).get("rows") or []
    for row in rows:
        if row.get("cid_num") == caller and row.get("direction") == "inbound":
            partner = fs.api(f"uuid_getvar {row['uuid']} bridge_uuid").strip()
            if partner and not partner.startswith("-ERR") and partner != "_undef_":
                return row["uuid"]
    return None


@needs_freeswitch
def test_a_call_the_agent_panel_parks_goes_back_to_that_agent(work, demo, server, fs, admin_client):
    """The agent panel's transfer to the park code is uuid_transfer over the event socket: no REFER, so no
    Referred-By. The command the panel sends (web.domain.agent_calls.blind_transfer with the agent's
    extension) parks the caller in the first free slot with the agent as who parked it, and when nobody
    takes it the call rings the agent's phone again."""
    from web.domain import agent_calls

    client = admin_client
    domain = ok(client.get("/api/devices/sip-settings"))["domain"]
    lot = f"t{client.tenant_id}-park"
    ok(client.patch("/api/parking", json={"enabled": True, "first_slot": "701", "last_slot": "703", "return_after_s": 10}))
    agnes = ok(client.post("/api/users", json={"first_name": "Agnes", "last_name": "Agent", "extension": "283",
                                                "night_mode": "off"}))
    agnes_phone = ok(client.post("/api/devices", json={"name": "Agnes's phone", "user_id": agnes["id"]}))
    (number,) = [row for row in ok(client.get("/api/numbers")) if row["number"] == NUMBER]
    ok(client.patch(f"/api/numbers/{number['id']}", json={"destination": {"type": "user", "id": agnes["id"]}}))
    phone = ReferringPhone(work, agnes_phone["sip_username"], domain, ANSWERING_PHONE)
    results: dict = {}
    caller = threading.Thread(target=lambda: results.update(call=harness.call(
        work, SimpleNamespace(sip_port=int(fs_env(fs, "CALLPLAN_EXTERNAL_SIP_PORT"))), NUMBER, "0612000704",
        caller_name="Customer", timeout=45)), daemon=True)
    try:
        assert register(work, fs, agnes_phone["sip_username"], domain, agnes_phone["sip_password"], expires=300,
                        call_id=f"panel-{secrets.token_hex(4)}@{HOST}", contact_port=phone.port) == [200], fs.log_tail(60)
        caller.start()
        leg = wait_for(lambda: inbound_leg(fs, "0612000704"), 30)
        assert leg, f"{phone.received()[-3000:]}\n{phone.output_text()}\n{fs.log_tail(200)}"
        [command] = agent_calls.blind_transfer(leg, domain, agent_calls.Target(number="*70"), parked_by="283")
        assert command == f"uuid_transfer {leg} 'set:cp_park_return_to=283,transfer:*70 XML {domain}' inline"
        reply = fs.api(command)
        assert reply.startswith("+OK"), reply
        assert wait_for(lambda: lot_uuids(fs, lot).get("701") == leg, 20), fs.log_tail(200)
        parked_at, rung = time.monotonic(), len(phone.invites())
        calls = ok(client.get("/api/parking/calls"))
        assert [(c["slot"], c["caller_id_number"], c["parked_by"]) for c in calls] == [("701", "0612000704", "283")], \
            f"{calls}\n{fs.log_tail(200)}"
        assert fs.api(f"uuid_getvar {leg} cp_park_return_to").strip() in ("_undef_", "")  # read once, forgotten
        # nobody takes it: after the return time it rings Agnes's phone again, from the caller
        assert wait_for(lambda: len(phone.invites()) > rung, 25), f"{phone.received()[-3000:]}\n{fs.log_tail(250)}"
        assert time.monotonic() - parked_at > 7
        back = phone.invites()[rung]
        assert "0612000704" in "".join(line for line in back.splitlines() if line.lower().startswith("from:")), back
        assert "park_return_283" in fs.log_text()
    finally:
        caller.join(60)
        phone.stop()


@needs_freeswitch
def test_a_call_the_agent_panel_parks_by_attended_transfer_goes_back_to_that_agent(work, demo, server, fs, admin_client):
    """The agent panel's attended transfer to the park code: att_xfer on the agent's own leg to a loopback
    leg that dials *70, no REFER either. The dial string the panel sends (web.domain.agent_calls.
    attended_transfer with the agent's extension) sets who parked it on the loopback leg that runs the
    park code: when the agent hangs up, the caller waits in the slot with the agent as who parked it, and
    when nobody takes it the call rings the agent's phone again."""
    from web.domain import agent_calls

    client = admin_client
    domain = ok(client.get("/api/devices/sip-settings"))["domain"]
    lot = f"t{client.tenant_id}-park"
    ok(client.patch("/api/parking", json={"enabled": True, "first_slot": "701", "last_slot": "703", "return_after_s": 10}))
    arend = ok(client.post("/api/users", json={"first_name": "Arend", "last_name": "Agent", "extension": "284",
                                                "night_mode": "off"}))
    arend_phone = ok(client.post("/api/devices", json={"name": "Arend's phone", "user_id": arend["id"]}))
    (number,) = [row for row in ok(client.get("/api/numbers")) if row["number"] == NUMBER]
    ok(client.patch(f"/api/numbers/{number['id']}", json={"destination": {"type": "user", "id": arend["id"]}}))
    phone = ReferringPhone(work, arend_phone["sip_username"], domain, ANSWERING_PHONE)
    results: dict = {}
    caller = threading.Thread(target=lambda: results.update(call=harness.call(
        work, SimpleNamespace(sip_port=int(fs_env(fs, "CALLPLAN_EXTERNAL_SIP_PORT"))), NUMBER, "0612000705",
        caller_name="Customer", timeout=60)), daemon=True)
    try:
        assert register(work, fs, arend_phone["sip_username"], domain, arend_phone["sip_password"], expires=300,
                        call_id=f"panel-att-{secrets.token_hex(4)}@{HOST}", contact_port=phone.port) == [200], fs.log_tail(60)
        caller.start()
        leg = wait_for(lambda: inbound_leg(fs, "0612000705"), 30)
        assert leg, f"{phone.received()[-3000:]}\n{phone.output_text()}\n{fs.log_tail(200)}"
        agent_leg = fs.api(f"uuid_getvar {leg} bridge_uuid").strip()
        [command] = agent_calls.attended_transfer(agent_leg, domain, agent_calls.Target(number="*70"), parked_by="284")
        assert command == f"uuid_broadcast {agent_leg} att_xfer::{{cp_park_return_to=284}}loopback/*70/{domain} aleg"
        reply = fs.api(command)
        assert reply.startswith("+OK"), reply
        # the agent hears the slot on the loopback leg, which waits in it; then hangs up: the caller is joined
        assert wait_for(lambda: lot_uuids(fs, lot).get("701"), 20), fs.log_tail(200)
        parked = lot_uuids(fs, lot)["701"]
        assert parked not in (leg, agent_leg)  # the loopback leg that dialled *70
        rung = len(phone.invites())
        assert fs.api(f"uuid_kill {agent_leg}").startswith("+OK")
        parked_at = time.monotonic()
        assert wait_for(lambda: fs.api(f"uuid_getvar {leg} bridge_uuid").strip() not in ("", "_undef_", agent_leg)
                        and not fs.api(f"uuid_getvar {leg} bridge_uuid").startswith("-ERR"), 10), fs.log_tail(200)
        calls = ok(client.get("/api/parking/calls"))
        assert [(c["slot"], c["parked_by"]) for c in calls] == [("701", "284")], f"{calls}\n{fs.log_tail(200)}"
        assert fs.api(f"uuid_exists {leg}").strip() == "true"  # the caller is still there, waiting
        # nobody takes it: after the return time it rings Arend's phone again
        assert wait_for(lambda: len(phone.invites()) > rung, 25), f"{phone.received()[-3000:]}\n{fs.log_tail(250)}"
        assert time.monotonic() - parked_at > 7
        assert "park_return_284" in fs.log_text()
    finally:
        caller.join(90)
        phone.stop()
