"""Voicemail, pickup and a parked call's return across two real FreeSWITCH (#19, callplan/home.py), on the
rig of test_home_switch_on_freeswitch.py: bench/switch_load.py's `edge` (Kamailio in front of fs1 on
127.0.0.2 and fs2 on 127.0.0.3, a bridge each, one app on PostgreSQL) with CALLPLAN_HOME_SWITCH=fs1, and
stand-ins for FreeSWITCH's prompts (its sound package is not installed here; mod_voicemail gives up at its
first prompt without them).

Bram's phone is a SIPp phone REGISTERED through the edge on fs2 (devices are made until the edge's hash
puts one there), so calls to Bram from fs1 reach it only through the edge, and its own calls are fs2's:

- a carrier's call that lands on fs2 and leaves a message in a company box: the message is in fs1's
  mod_voicemail (fs2's has none), left after the box's greeting the hand-over carried;
- Bram dials *97 on fs2: fs1 runs mod_voicemail's check of Bram's own box (282);
- a carrier's call rings Anna on fs1 (no phone of hers is registered: only the pickup group's leg rings),
  Bram dials *98 on fs2: nothing rings on fs2, so the code goes to fs1, which bridges the caller to him;
- Bram's phone answers a carrier's call on fs2 and transfers it blind to slot 703: it waits in fs1's lot,
  nobody takes it, and after the return time fs1 rings Bram's phone (through the edge) from the caller."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from bench.switch_load import Edge, make_world
from tests.freeswitch import harness
from tests.freeswitch.edge import CARRIER, missing_kamailio, sipp, stat_counts
from tests.freeswitch.harness import HOST, SIPP, die_with_parent, wait_for
from tests.freeswitch.test_config_on_freeswitch import PHONE_CALL, SPEAKER, prompts, ulaw_tone
from tests.freeswitch.test_parking_on_freeswitch import REFERRING_PHONE, ReferringPhone

MISSING = harness.missing_tools() or missing_kamailio()
pytestmark = [pytest.mark.freeswitch,
              pytest.mark.skipif(bool(MISSING), reason=f"needs FreeSWITCH, SIPp and Kamailio ({MISSING})"),
              pytest.mark.skipif(not Path(harness.FS_LANG_DIR).exists(),
                                 reason=f"mod_voicemail needs FreeSWITCH's phrases ({harness.FS_LANG_DIR})")]

TO_ANNA = "+31201237010"  # rings Anna (and her pickup group)
TO_BRAM = "+31201237011"  # rings Bram's phone, which parks what it answers
TO_BOX = "+31201237012"  # the company box 990
TO_BRAMS_BOX = "+31201237013"  # a message for Bram (his personal box, 282)
BOX_PIN = "4321"


def tone_wav() -> bytes:
    """One second of a 440 Hz tone as a WAV file (a greeting to upload)."""
    import io
    import math
    import struct
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / 8000)))
                                 for n in range(8000)))
    return out.getvalue()


def set_up_company(world) -> dict:
    from web.app import create_app
    from web.auth.tokens import digest, new_api_token
    from web.db import session_scope
    from web.demo import DEMO_ADMIN
    from web.domain import audit, numbers
    from web.models import Account, ApiToken

    app = create_app(world.settings)
    raw = new_api_token()
    with session_scope(app.state.engine, audit.SYSTEM) as db:
        admin = db.exec(select(Account).where(Account.email == DEMO_ADMIN)).one()
        db.add(ApiToken(account_id=admin.id, tenant_id=admin.tenant_id, name="home services", prefix=raw[:10],
                        token_hash=digest(raw)))
        numbers.assign(db, admin.tenant_id, [TO_ANNA, TO_BRAM, TO_BOX, TO_BRAMS_BOX])
        tenant_id = admin.tenant_id
    made = {"tenant_id": tenant_id, "token": raw}
    try:
        with TestClient(app, base_url=world.settings.public_base_url, headers={"authorization": f"Bearer {raw}"}) as client:
            def ok(response):
                assert response.status_code in (200, 201), response.text
                return response.json()

            # night_mode off: the demo company's night switch follows office hours, and this runs at any hour
            anna = ok(client.post("/api/users", json={"first_name": "Anna", "last_name": "Ringing", "extension": "281",
                                                      "night_mode": "off", "language": "en"}))
            bram = ok(client.post("/api/users", json={"first_name": "Bram", "last_name": "Elsewhere", "extension": "282",
                                                      "night_mode": "off", "language": "en"}))
            ok(client.post("/api/pickup-groups", json={"name": "Desk", "members": [anna["id"], bram["id"]]}))
            ok(client.get("/api/feature-codes"))  # the company's codes: *97, *98, *70
            ok(client.patch("/api/parking", json={"enabled": True, "first_slot": "701", "last_slot": "703",
                                                  "return_after_s": 10}))
            greeting = ok(client.post("/api/audio", data={"name": "Sales greeting"},
                                      files={"file": ("greeting.wav", tone_wav(), "audio/wav")}))
            box = ok(client.post("/api/voicemail-boxes", json={"name": "Sales", "extension": "990", "pin": BOX_PIN,
                                                               "greeting_audio_id": greeting["id"]}))
            for number, destination in ((TO_ANNA, {"type": "user", "id": anna["id"]}),
                                        (TO_BRAM, {"type": "user", "id": bram["id"]}),
                                        (TO_BOX, {"type": "voicemail_box", "id": box["id"]}),
                                        (TO_BRAMS_BOX, {"type": "voicemail_box", "id": bram["voicemail_box_id"]})):
                (row,) = [row for row in ok(client.get("/api/numbers")) if row["number"] == number]
                ok(client.patch(f"/api/numbers/{row['id']}", json={"destination": destination}))
            made.update(anna=anna, bram=bram, box=box, greeting=greeting)
    finally:
        app.state.engine.dispose()
    return made


def _api(world, made: dict, method: str, path: str, **body):
    from web.app import create_app

    app = create_app(world.settings)
    try:
        with TestClient(app, base_url=world.settings.public_base_url,
                        headers={"authorization": f"Bearer {made['token']}"}) as client:
            return client.request(method, path, **({"json": body} if body else {}))
    finally:
        app.state.engine.dispose()


def forget_directory(setup) -> None:
    """The rig gives each switch its own event-socket password, so the app's cache flush after a device
    change reaches none of them here: the test flushes both switches' directory caches itself."""
    for fs in setup.fleet:
        fs.api("xml_flush_cache")


def new_device(setup, world, made: dict, user_id: int) -> dict:
    """One more phone of the user, through the API (its SIP username and password)."""
    response = _api(world, made, "POST", "/api/devices", name=f"Phone {secrets.token_hex(2)}", user_id=user_id)
    assert response.status_code == 201, response.text
    forget_directory(setup)
    return response.json()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, pg_databases):
    work = tmp_path_factory.mktemp("homeservices")
    world = make_world(work, pg_databases.create(), lines=1)
    made = set_up_company(world)
    setup = Edge(world, xml_curl_timeout=5, home="fs1",
                 switch_env={"CALLPLAN_SOUND_PREFIX": str(prompts(work / "sounds")), "CALLPLAN_FS_LOG_LEVEL": "debug"})
    phone = None
    try:
        setup.start()
        phone, device = phone_on(setup, world, made, work, "fs2")
        yield setup, world, made, phone, device
    finally:
        if phone is not None:
            phone.stop()
        setup.stop()


def registered_on(setup, device: str) -> list[str]:
    return [f"fs{index + 1}" for index, fs in enumerate(setup.fleet) if f"{device}@" in fs.api("sofia status profile internal reg")]


# Bram's phone: the parking test's referring phone, behind the edge: its 200 carries the edge's
# Record-Route (else the ACK, which the switch sends through the edge, finds no route there) and its REFER
# goes along that route set
EDGE_REFERRING_PHONE = (REFERRING_PHONE
                        .replace('<recv request="INVITE">', '<recv request="INVITE" rrs="true">', 1)
                        .replace("      [last_Via:]\n      [last_From:]\n      [last_To:];tag=[pid]SIPpTag01[call_number]",
                                 "      [last_Via:]\n      [last_Record-Route:]\n      [last_From:]\n"
                                 "      [last_To:];tag=[pid]SIPpTag01[call_number]", 1)
                        .replace("      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n      From: [$local]",
                                 "      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n      [routes]\n"
                                 "      From: [$local]", 1))


def phone_on(setup, world, made: dict, work: Path, switch: str, make=None):
    """Bram's phone (`make(device)`, by default a SIPp UAS that answers and transfers what it answers where
    the caller's name says), registered through the edge on `switch`: Bram's devices are made one by one
    until the edge's hash of one's address of record picks that switch (the others are unregistered again)."""
    make = make or (lambda device: ReferringPhone(work, device["sip_username"], world.domain, EDGE_REFERRING_PHONE))
    for _ in range(12):
        device = new_device(setup, world, made, made["bram"]["id"])
        phone = make(device)
        status = harness.register(work, None, device["sip_username"], world.domain, device["sip_password"],
                                  expires=600, contact_port=phone.port, target=setup.phone_target())
        assert status == [200], (status, setup.edge.log_tail())
        holders = registered_on(setup, device["sip_username"])
        if holders == [switch]:
            return phone, device
        harness.register(work, None, device["sip_username"], world.domain, device["sip_password"], expires=0,
                         contact_port=phone.port, target=setup.phone_target())
        phone.stop()
        # gone, so that no switch rings it along with Bram's phone (deleted while the bridge writes the
        # unregistration: tests/fs_bridge/test_device_delete_race.py)
        deleted = _api(world, made, "DELETE", f"/api/devices/{device['id']}")
        assert deleted.status_code == 204, (deleted.status_code, deleted.text)
        forget_directory(setup)
    raise AssertionError(f"no phone of Bram's registered on {switch} in 12 tries")


def address(fs) -> str:
    return fs.settings["CALLPLAN_SIP_IP"]


def carrier_port(fs) -> str:
    return f"{address(fs)}:{fs.settings['CALLPLAN_EXTERNAL_SIP_PORT']}"


def carrier_call(folder: Path, target: str, number: str, *, name: str = "Carrier", hold_ms: int = 20000,
                 timeout: float = 60) -> tuple[int, int]:
    """One carrier's call (caller 0612..., this display name) to `number` at `target`, held `hold_ms`
    after the answer; (answered, failed)."""
    stat = folder / "stat.csv"
    command = sipp(folder, CARRIER.replace("[hold]", str(hold_ms)).replace('"Carrier"', f'"{name}"'), HOST,
                   "-s", number, "-m", "1", "-recv_timeout", "25000", "-timeout", f"{int(timeout)}s",
                   "-trace_stat", "-stf", str(stat), "-fd", "1", "-trace_msg", "-message_file",
                   str(folder / "messages.log"), target)
    subprocess.run(command, cwd=folder, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout + 30,
                   preexec_fn=die_with_parent)
    return stat_counts(stat)


def in_background(function, *args, **kwargs) -> tuple[threading.Thread, dict]:
    result: dict = {}
    thread = threading.Thread(target=lambda: result.update(value=function(*args, **kwargs)), daemon=True)
    thread.start()
    return thread, result


def phone_call(folder: Path, setup, device: dict, domain: str, number: str, seconds: int = 30) -> str:
    """A call from Bram's phone through the edge (which sends it to the switch the phone registered on),
    digest auth on the 407, held until the far end hangs up; the SIP messages it saw."""
    folder.mkdir(parents=True, exist_ok=True)
    scenario = folder / "phone_call.xml"
    scenario.write_text(PHONE_CALL.format(user=device["sip_username"], domain=domain, password=device["sip_password"]))
    messages = folder / "messages.log"
    command = [SIPP, "-sf", str(scenario), "-i", HOST, "-bind_local", "-p", str(harness.free_ports()),
               "-mi", HOST, "-mp", str(harness.free_ports(4)), "-nostdin", "-m", "1", "-s", number,
               "-timeout", f"{seconds}s", "-timeout_error", "-trace_msg", "-message_file", str(messages),
               setup.phone_target()]
    subprocess.run(command, cwd=folder, stdin=subprocess.DEVNULL, capture_output=True, timeout=seconds + 10,
                   preexec_fn=die_with_parent)
    return messages.read_text(errors="replace") if messages.exists() else ""


def channels(fs) -> list[dict]:
    return (json.loads(fs.api("show channels as json") or "{}") or {}).get("rows") or []


def messages_in(fs, box: str, domain: str) -> int:
    """How many messages mod_voicemail on `fs` holds for the box (vm_list: one line per message)."""
    listing = fs.api(f"vm_list {box}@{domain}")
    return len([line for line in listing.splitlines() if line.count(":") >= 5])


def speaking_call(folder: Path, target: str, number: str, caller: str, seconds: int) -> list[str]:
    """A carrier's call whose caller talks (a tone) for `seconds` after the answer, then hangs up."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tone.ulaw").write_bytes(ulaw_tone(1.0))
    scenario = folder / "speaker.xml"
    scenario.write_text(SPEAKER.format(caller=caller, seconds=seconds, milliseconds=seconds * 1000))
    messages = folder / "messages.log"
    command = [SIPP, "-sf", str(scenario), "-i", HOST, "-bind_local", "-p", str(harness.free_ports()),
               "-mi", HOST, "-mp", str(harness.free_ports(4)), "-ci", HOST, "-cp", str(harness.free_ports()),
               "-nostdin", "-m", "1", "-s", number, "-timeout", f"{seconds + 30}s", "-timeout_error",
               "-trace_msg", "-message_file", str(messages), target]
    subprocess.run(command, cwd=folder, stdin=subprocess.DEVNULL, capture_output=True, timeout=seconds + 40,
                   preexec_fn=die_with_parent)
    log = messages.read_text(errors="replace") if messages.exists() else ""
    return harness.UacResult(0, log, "").responses()


# --- voicemail ------------------------------------------------------------------------------------------


def test_a_message_left_through_fs2_is_in_the_home_switchs_box(cluster, tmp_path):
    setup, world, made, phone, device = cluster
    home, other = setup.fleet
    domain = world.domain
    thread, result = in_background(speaking_call, tmp_path / "message", carrier_port(other), TO_BOX, "0612000990", 8)
    try:
        # on fs1 the handed-over leg runs mod_voicemail for box 990, after the greeting the hand-over carried
        def leaving():
            for row in channels(home):
                if row.get("application") == "voicemail" and "990" in (row.get("application_data") or ""):
                    return row
            return None
        row = wait_for(leaving, 20, 0.2)
        assert row, (channels(home), channels(other), home.log_tail(150), other.log_tail(150))
        assert row["application_data"] == f"default {domain} 990", row
        greeting = home.api(f"uuid_getvar {row['uuid']} voicemail_greeting_path").strip()
        assert greeting == f"{world.settings.audio_dir}/{made['tenant_id']}/16000/{made['greeting']['id']}.wav", greeting
        assert not any(row.get("application") == "voicemail" for row in channels(other))  # never on fs2
    finally:
        thread.join(90)
    assert 200 in result.get("value", []), result
    assert wait_for(lambda: messages_in(home, "990", domain) == 1, 20), (home.api(f"vm_list 990@{domain}"), home.log_tail(150))
    assert messages_in(other, "990", domain) == 0, other.api(f"vm_list 990@{domain}")


def test_the_voicemail_code_on_fs2_opens_the_users_own_box_on_the_home_switch(cluster, tmp_path):
    """Bram's phone is fs2's; *97 is handed to fs1 carrying his extension in the number, and fs1's
    mod_voicemail checks box 282 (asking its PIN, as on one switch)."""
    setup, world, made, phone, device = cluster
    home, other = setup.fleet
    thread, result = in_background(phone_call, tmp_path / "check", setup, device, world.domain, "*97", 20)
    try:
        def checking():
            for row in channels(home):
                if row.get("application") == "voicemail" and (row.get("application_data") or "").startswith("check"):
                    return row
            return None
        row = wait_for(checking, 20, 0.2)
        assert row, (channels(home), channels(other), home.log_tail(150), other.log_tail(150))
        assert row["application_data"] == f"check default {world.domain} 282", row
        assert row["dest"] == "cp-home-vmcheck-282" or "vmcheck-282" in json.dumps(row), row
        # the leg on fs1 is the one fs2 sent, and fs2 runs no voicemail of its own
        assert home.api(f"uuid_getvar {row['uuid']} cp_home_arrived").strip() == "true"
        assert not any(r.get("application") == "voicemail" for r in channels(other)), channels(other)
        assert home.api(f"uuid_getvar {row['uuid']} default_language").strip() == "en"
        home.api(f"uuid_kill {row['uuid']}")
    finally:
        thread.join(40)


# --- pickup ---------------------------------------------------------------------------------------------


# Anna's phone: rings (180) and never answers; cancelled, it says so (200, then 487 to the INVITE)
RINGING_PHONE = """<?xml version="1.0" encoding="UTF-8"?>
<scenario name="ringing_phone">
  <recv request="INVITE">
    <action>
      <ereg regexp="[0-9]+" search_in="hdr" header="CSeq:" assign_to="cseq"/>
    </action>
  </recv>
  <send><![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:{user}@[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0

  ]]></send>
  <recv request="CANCEL"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

  ]]></send>
  <send><![CDATA[
      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      CSeq: [$cseq] INVITE
      Content-Length: 0

  ]]></send>
  <recv request="ACK" optional="true"/>
</scenario>
"""


def test_a_phone_on_fs2_picks_up_a_call_ringing_on_the_home_switch(cluster, tmp_path):
    """A call that lands on fs1 rings Anna's phone (registered through the edge, never answering) and her
    pickup group's leg, which FreeSWITCH keeps in fs1's memory (a pickup leg alone does not keep a call
    ringing: originate ends when only pickup legs without a time limit remain). Bram dials *98 on fs2:
    nothing rings there, so the code is handed to fs1, whose pickup bridges the caller to Bram."""
    setup, world, made, phone, device = cluster
    home, other = setup.fleet
    anna_device = new_device(setup, world, made, made["anna"]["id"])
    anna = ReferringPhone(tmp_path, anna_device["sip_username"], world.domain, RINGING_PHONE)
    assert harness.register(tmp_path, None, anna_device["sip_username"], world.domain, anna_device["sip_password"],
                            expires=600, contact_port=anna.port, target=setup.phone_target()) == [200]
    thread, result = in_background(carrier_call, _folder(tmp_path / "ringing"), carrier_port(home), TO_ANNA,
                                   hold_ms=8000, timeout=60)
    try:
        # Anna's call rings on fs1 (her phone, through the edge) with her pickup group's leg beside it
        assert wait_for(lambda: anna.invites() or None, 15, 0.2), (anna.received()[-2000:], home.log_tail(150))
        # (FreeSWITCH's channel list lags behind its channels: asked until it shows the pickup leg)
        assert wait_for(lambda: "pickup/pg" in home.api("show channels"), 10, 0.3), home.api("show channels")
        assert "pickup/pg" not in other.api("show channels")
        picker, picked = in_background(phone_call, tmp_path / "pickup", setup, device, world.domain, "*98", 30)

        def caller_bridged():
            for row in channels(home):
                if row.get("cid_num", "").startswith("0612") and row.get("direction") == "inbound":
                    partner = home.api(f"uuid_getvar {row['uuid']} bridge_uuid").strip()
                    if partner and not partner.startswith("-ERR") and partner != "_undef_":
                        return partner
            return None
        partner = wait_for(caller_bridged, 15, 0.2)
        assert partner, (channels(home), channels(other), home.log_tail(200), other.log_tail(200))
        # bridged to the leg fs2 sent (the hand-over of Bram's *98), not to anything of fs1's own
        assert home.api(f"uuid_getvar {partner} cp_home_arrived").strip() == "true", home.api(f"uuid_dump {partner}")
        assert home.api(f"uuid_getvar {partner} network_addr").strip() == address(other)
        assert anna.invites(), anna.received()[-2000:]  # her phone rang (and was cancelled once picked up)
    finally:
        thread.join(90)
        anna.stop()
    assert result.get("value") == (1, 0), (result, home.log_tail(120), other.log_tail(120))
    picker.join(40)
    assert "SIP/2.0 200" in picked.get("value", ""), picked.get("value", "")[-3000:]


def _folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- parking: the return to who parked it -----------------------------------------------------------------


def test_a_call_parked_through_fs2_goes_back_to_the_parkers_phone_on_fs2(cluster, tmp_path):
    """Bram's phone (registered on fs2) answers a carrier's call on fs2 and transfers it blind to slot 703;
    it waits in fs1's lot with Bram as who parked it; nobody takes it, and after the return time fs1 rings
    Bram's phone through the edge, from the caller's number."""
    from web.domain.parking import parse_lot

    setup, world, made, phone, device = cluster
    home, other = setup.fleet
    lot = f"t{made['tenant_id']}-park"
    rung = len(phone.invites())
    thread, result = in_background(carrier_call, _folder(tmp_path / "parked"), carrier_port(other), TO_BRAM,
                                   name="park 703", hold_ms=35000, timeout=80)
    try:
        waiting = wait_for(lambda: dict(parse_lot(home.api(f"valet_info {lot}"), lot)) or None, 25, 0.3)
        assert waiting and list(waiting) == ["703"], (home.api("valet_info"), phone.received()[-3000:],
                                                       home.log_tail(150), other.log_tail(150))
        parked_at = time.monotonic()
        assert dict(parse_lot(other.api(f"valet_info {lot}"), lot)) == {}
        assert home.api(f"uuid_getvar {waiting['703']} cp_parked_by").strip() == "282"
        answered_first = len(phone.invites())
        assert answered_first == rung + 1, phone.received()[-3000:]
        # nobody takes it: fs1 sends it back to Bram, whose phone only the edge knows
        back = wait_for(lambda: phone.invites()[answered_first:] or None, 25, 0.3)
        assert back, (phone.received()[-3000:], home.log_tail(200))
        assert time.monotonic() - parked_at > 7  # the return time (10 s), not at once
        invite = back[0]
        assert "0612" in "".join(line for line in invite.splitlines() if line.lower().startswith("from:")), invite
        vias = [line for line in invite.splitlines() if line.lower().startswith("via:")]
        assert any(address(home) in via for via in vias), vias  # sent by fs1, relayed by the edge
        assert not any(address(other) in via for via in vias), vias
        assert "park_return_282" in home.log_text()
    finally:
        thread.join(120)


# --- the message lamp ---------------------------------------------------------------------------------------

# A phone that registers itself (one socket: the edge's Path sends what the switch has for the phone back
# to the address the REGISTER came from) and then takes the switch's NOTIFYs, which mod_sofia sends with
# the registration's Call-ID (so they belong to this scenario's call), until it is stopped. The REGISTER
# pair is the harness's (harness.register_sends); this is what comes after it.
LAMP_TAIL = """  <recv response="200"/>
  <label id="wait"/>
  <recv request="NOTIFY" timeout="170000" ontimeout="done"/>
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
  <label id="done"/>
</scenario>
"""


class Lamp:
    def __init__(self, folder: Path, device: dict, domain: str, edge: str):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.device = folder, device
        (folder / "lamp.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<scenario name="lamp">\n'
            + harness.register_sends(device["sip_username"], domain, device["sip_password"], expires=600)
            + LAMP_TAIL)
        self.port = harness.free_ports()
        self.messages = folder / "messages.log"
        self.output = open(folder / "sipp.out", "wb")
        self.process = subprocess.Popen(
            [SIPP, "-sf", str(folder / "lamp.xml"), "-i", HOST, "-bind_local", "-p", str(self.port),
             "-ci", HOST, "-cp", str(harness.free_ports()), "-nostdin", "-m", "1", "-trace_msg",
             "-message_file", str(self.messages), edge],
            stdin=subprocess.DEVNULL, stdout=self.output, stderr=subprocess.STDOUT, cwd=folder,
            preexec_fn=die_with_parent)

    def received(self) -> str:
        return self.messages.read_text(errors="replace") if self.messages.exists() else ""

    def registered(self) -> bool:
        return any(direction == "received" and text.startswith("SIP/2.0 200") and "REGISTER" in text
                   for direction, text in harness.sip_messages(self.received()))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.output.close()


def lamp_on(setup, world, made: dict, work: Path, switch: str) -> Lamp:
    """A lamp of Bram's registered through the edge on `switch` (devices made until one lands there)."""
    for attempt in range(12):
        device = new_device(setup, world, made, made["bram"]["id"])
        lamp = Lamp(work / f"lamp{attempt}", device, world.domain, setup.phone_target())
        assert wait_for(lamp.registered, 15, 0.2), lamp.received()[-2000:]
        if registered_on(setup, device["sip_username"]) == [switch]:
            return lamp
        lamp.stop()
        harness.register(work, None, device["sip_username"], world.domain, device["sip_password"], expires=0,
                         contact_port=lamp.port, target=setup.phone_target())
        deleted = _api(world, made, "DELETE", f"/api/devices/{device['id']}")
        assert deleted.status_code == 204, (deleted.status_code, deleted.text)
        forget_directory(setup)
    raise AssertionError(f"no lamp of Bram's registered on {switch} in 12 tries")


def lamp_notifies(lamp, state: str, after: int = 0) -> list[str]:
    found = [text for direction, text in harness.sip_messages(lamp.received())
             if direction == "received" and text.startswith("NOTIFY ")
             and re.search(r"^Event:\s*message-summary", text, re.M | re.I)]
    return [text for text in found[after:] if re.search(rf"^Messages-Waiting:\s*{state}", text, re.M | re.I)]


def all_lamp_notifies(lamp) -> int:
    return len(lamp_notifies(lamp, ".*"))


def test_a_message_on_the_home_switch_lights_a_phone_registered_on_fs2(cluster, tmp_path):
    """The messages are fs1's, the phone is fs2's. A message waits before the phone registers: fs2's
    MESSAGE_QUERY is passed to fs1, whose answer (with the registration's Call-ID) comes back to fs2, which
    lights the lamp; a second message (mod_voicemail's MESSAGE_WAITING on fs1, passed on by fs1's bridge:
    fs_bridge/mwi.py) updates it; deleting them on fs1 puts it out."""
    setup, world, made, phone, device = cluster
    home, other = setup.fleet
    domain = world.domain
    assert 200 in speaking_call(tmp_path / "first", carrier_port(home), TO_BRAMS_BOX, "0612000281", 6)
    assert wait_for(lambda: messages_in(home, "282", domain) == 1, 20), (home.api(f"vm_list 282@{domain}"), home.log_tail(120))
    lamp = lamp_on(setup, world, made, tmp_path, "fs2")
    try:
        def says(state, after=0, count=None):
            found = lamp_notifies(lamp, state, after)
            if count is not None:
                found = [text for text in found if re.search(rf"^Voice-Message:\s*{count}", text, re.M | re.I)]
            return found or None
        on = wait_for(lambda: says("yes", count="1/0"), 20)
        assert on, (lamp.received()[-3000:], other.log_tail(80), (setup.folder / "bridge2.log").read_text()[-2000:])
        assert re.search(rf"^Message-Account:\s*sip:282@{re.escape(domain)}", on[0], re.M | re.I), on[0]
        seen = all_lamp_notifies(lamp)
        assert 200 in speaking_call(tmp_path / "second", carrier_port(other), TO_BRAMS_BOX, "0612000282", 6)
        assert wait_for(lambda: messages_in(home, "282", domain) == 2, 20)
        assert wait_for(lambda: says("yes", seen, "2/0"), 20), lamp.received()[-3000:]
        # deleted on fs1 (as the bridge does once mailed): the lamp on fs2 goes out
        seen = all_lamp_notifies(lamp)
        assert "-ERR" not in home.api(f"vm_delete 282@{domain}")
        assert wait_for(lambda: says("no", seen), 20), lamp.received()[-3000:]
    finally:
        lamp.stop()
