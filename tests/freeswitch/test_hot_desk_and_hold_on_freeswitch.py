"""Hot desking and music on hold on a real FreeSWITCH (#16 item 1), running the project's configuration
with the app and the bridge, SIPp as the phones.

- Hot desking: a hot-desking phone of nobody dials the login code, types the extension and the voicemail
  PIN (keys sent as SIP INFO); the dialplan checks them against the directory, the bridge writes the login, the
  company's configuration generation stays where it was, and FreeSWITCH's directory follows at once
  (the phone's calls are the user's: a call from it carries the user's extension and name); a call to
  the user's extension rings the phone; the logout code gives the phone back. A wrong PIN logs nobody in.
- Music on hold: a phone that puts its caller on hold (a re-INVITE with a=sendonly) makes FreeSWITCH play
  the company's music on hold file to the caller; an agent of a queue with its own file plays that one.
  (And the records of those calls, with the bridge running, carry both sources: the CDR post and the events.)

The FreeSWITCH, the app and the demo company are those of test_config_on_freeswitch.py (its fixtures,
started again for this module)."""

from __future__ import annotations

import secrets
import subprocess
import wave
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests.freeswitch import harness
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_bridge_on_freeswitch import bridge  # noqa: F401  (fixture)
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    HOST, PHONE_CALL, SIPP, carrier_call, demo, far_end, fs, fs_env, needs_freeswitch, phone_call, register, server,
    work,
)
from tests.freeswitch.test_queues_on_freeswitch import QUEUE_NUMBER, admin_client, ok  # noqa: F401  (fixture)
from web.models.call_record import CallRecord
from web.models.hot_desk import HotDeskLogin
from web.models.tenant import Tenant

PIN = "4321"

# A registered phone's call whose caller then types digits: PHONE_CALL, then once answered each key as a
# SIP INFO (application/dtmf-relay, as many desk phones send them; the internal profile takes them:
# liberal-dtmf), {first} and after a pause {second}. (sip-tester's RFC 2833 captures come from one
# recording and cannot give "271#" and a PIN in one call: harness.call takes up to two keys in order.)
INFO = """  <send retrans="500"><![CDATA[
      INFO [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{{user}}@{{domain}}>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: {cseq} INFO
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal={key}
      Duration=160
  ]]></send>
  <recv response="200"/>
"""


def keys_as_info(first: str, second: str) -> str:
    steps, cseq = ['  <pause milliseconds="1500"/>\n'], 3
    for group in (first, second):
        for key in group:
            steps.append(INFO.format(cseq=cseq, key=key))
            steps.append('  <pause milliseconds="250"/>\n')
            cseq += 1
        steps.append('  <pause milliseconds="1500"/>\n')
    return "".join(steps)


def dtmf_call(work: Path, fs, user: str, domain: str, password: str, number: str, first: str, second: str) -> str:
    """A call from the phone `user` to `number` that types `first`, then `second`; its SIP messages."""
    folder = work / f"dtmf-{user}-{secrets.token_hex(3)}"
    folder.mkdir()
    scenario = folder / "phone_dtmf.xml"
    (folder / "silence.ulaw").write_bytes(b"\xff" * 8000)  # a phone sends sound: FreeSWITCH's timeouts run on it
    text = (PHONE_CALL.replace('  <recv request="BYE"/>', keys_as_info(first, second) + '  <recv request="BYE"/>')
            .replace('<recv response="200" rrs="true"/>',
                     '<recv response="200" rrs="true"><action><exec rtp_stream="silence.ulaw,-1,0"/></action></recv>'))
    scenario.write_text(text.format(user=user, domain=domain, password=password))
    messages = folder / "messages.log"
    command = [SIPP, "-sf", str(scenario), "-i", HOST, "-bind_local", "-p", str(harness.free_ports()),
               "-mi", HOST, "-mp", str(harness.free_ports(4)), "-nostdin", "-m", "1", "-s", number,
               "-timeout", "40s", "-timeout_error", "-trace_msg", "-message_file", str(messages),
               f"{HOST}:{fs_env(fs, 'CALLPLAN_INTERNAL_SIP_PORT')}"]
    subprocess.run(command, cwd=folder, stdin=subprocess.DEVNULL, capture_output=True, timeout=50,
                   preexec_fn=harness.die_with_parent)
    return messages.read_text(errors="replace") if messages.exists() else ""


def prompts_there(fs) -> None:
    """The three prompts the login code plays, as silent stand-ins if FreeSWITCH's sounds are absent."""
    for name in ("voicemail/vm-enter_id.wav", "voicemail/vm-enter_pass.wav", "voicemail/vm-fail_auth.wav"):
        path = Path(fs_env(fs, "CALLPLAN_SOUND_PREFIX")) / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with wave.open(str(path), "wb") as output:
                output.setnchannels(1)
                output.setsampwidth(2)
                output.setframerate(8000)
                output.writeframes(b"\x00\x00" * 800)


def logins(demo) -> dict[int, int]:
    with Session(demo.engine) as db:
        return {row.device_id: row.user_id for row in db.exec(select(HotDeskLogin))}


def generation(demo) -> int:
    with Session(demo.engine) as db:
        return db.exec(select(Tenant)).first().config_generation


def invites(phone: harness.Phone) -> list[str]:
    return [text for direction, text in harness.sip_messages(phone.received())
            if direction == "received" and text.startswith("INVITE ")]


@needs_freeswitch
def test_a_user_logs_in_on_a_hot_desking_phone_with_the_feature_code(work, demo, server, fs, far_end, admin_client,
                                                                    bridge):
    client = admin_client
    domain = ok(client.get("/api/devices/sip-settings"))["domain"]
    codes = {row["function"]: row["code"] for row in ok(client.get("/api/feature-codes"))}
    # night_mode off: the demo company's night switch follows office hours, and this test runs at any hour
    gijs = ok(client.post("/api/users", json={"first_name": "Gijs", "last_name": "Flex", "extension": "271",
                                               "hot_desking": True, "night_mode": "off"}))
    (box,) = [row for row in ok(client.get("/api/voicemail-boxes")) if row.get("user_id") == gijs["id"]]
    ok(client.patch(f"/api/voicemail-boxes/{box['id']}", json={"pin": PIN}))
    desk = ok(client.post("/api/devices", json={"name": "Flex desk", "hot_desking": True}))
    caller = ok(client.post("/api/users", json={"first_name": "Cees", "last_name": "Caller", "extension": "273"}))
    caller_phone = ok(client.post("/api/devices", json={"name": "Cees's phone", "user_id": caller["id"],
                                                         "sip_password": "Cees_Phone_2026_at_home"}))
    prompts_there(fs)
    phone = harness.Phone(work, "uas_answer")  # where the flex desk's registration points
    try:
        assert register(work, fs, desk["sip_username"], domain, desk["sip_password"], expires=300,
                        call_id=f"flex-{secrets.token_hex(4)}@{HOST}", contact_port=phone.port) == [200], fs.log_tail(60)
        before = generation(demo)

        # a wrong PIN: "login incorrect", nobody logged in
        dtmf_call(work, fs, desk["sip_username"], domain, desk["sip_password"], codes["hot_desk_login"], "271#", "9999#")
        assert wait_for(lambda: "vm-fail_auth" in fs.log_text(), 20), fs.log_tail(200)
        assert logins(demo) == {}

        # the right one: the bridge writes the login, the generation stays, FreeSWITCH's directory follows
        messages = dtmf_call(work, fs, desk["sip_username"], domain, desk["sip_password"], codes["hot_desk_login"],
                             "271#", f"{PIN}#")
        assert wait_for(lambda: logins(demo) == {desk["id"]: gijs["id"]}, 20), \
            f"{messages[-2000:]}\n{fs.log_tail(250)}\n{(work / 'bridge.log').read_text()[-2000:]}"
        assert generation(demo) == before
        assert wait_for(lambda: fs.api(f"user_data {desk['sip_username']}@{domain} var cp_extension").strip() == "271", 10)
        assert [row["extension"] for row in ok(client.get("/api/hot-desk-logins"))] == ["271"]

        # a call to Gijs rings the flex desk
        rung = len(invites(phone))
        phone_call(work, fs, caller_phone["sip_username"], domain, caller_phone["sip_password"], "271")
        assert len(invites(phone)) > rung, f"{phone.received()[-2000:]}\n{fs.log_tail(200)}"

        # the flex desk's own calls are Gijs's: the logout call carries his extension and name, and logs out
        earlier = set(fs.calls.by_uuid)
        phone_call(work, fs, desk["sip_username"], domain, desk["sip_password"], codes["hot_desk_logout"])
        call = wait_for(lambda: next((c for uuid, c in list(fs.calls.by_uuid.items()) if uuid not in earlier
                                      and c.caller == desk["sip_username"] and c.hangup), None), 20)
        assert call is not None, fs.log_tail(150)
        assert (call.hangup.get("variable_cp_extension"), call.hangup.get("variable_effective_caller_id_number"),
                call.hangup.get("variable_effective_caller_id_name")) == ("271", "271", "Gijs Flex"), call.hangup
        assert wait_for(lambda: logins(demo) == {}, 20), (work / "bridge.log").read_text()[-2000:]
        name = f"user_data {desk['sip_username']}@{domain} var effective_caller_id_name"
        assert wait_for(lambda: fs.api(name).strip() == "Flex desk", 10), fs.api(name)  # nobody's phone again
        assert generation(demo) == before
    finally:
        phone.stop()


def tenant_id(demo) -> int:
    with Session(demo.engine) as db:
        return db.exec(select(Tenant)).first().id


def music_file(demo, name: str) -> int:
    """An audio file of the demo company (its row and WAVs where FreeSWITCH plays them from)."""
    from tests.web.factories_audio import make_audio_file
    from web.db import session_scope

    return make_audio_file(lambda: session_scope(demo.engine), demo.settings, tenant_id(demo), name=name)


def played(fs, caller: str, path: str):
    """The carrier's leg (calling as `caller`) had `path` played to it: the broadcast FreeSWITCH runs on the
    other leg when one is put on hold (an application run on the channel, not the `set` naming the file)."""
    for call in list(fs.calls.by_uuid.values()):
        if call.caller == caller and any(path in (data or "") and application != "set"
                                         for application, data in call.applications):
            return call
    return None


@needs_freeswitch
def test_a_call_put_on_hold_hears_the_companys_music_and_a_queues_own(work, demo, server, fs, far_end, admin_client,
                                                                       bridge):
    client = admin_client
    domain = ok(client.get("/api/devices/sip-settings"))["domain"]
    company_music, queue_music = music_file(demo, "Company hold music"), music_file(demo, "Queue hold music")
    ok(client.patch("/api/company", json={"music_on_hold_audio_id": company_music}))
    hanna = ok(client.post("/api/users", json={"first_name": "Hanna", "last_name": "Hold", "extension": "272",
                                                "night_mode": "off"}))  # at any hour, not the night switch
    device = ok(client.post("/api/devices", json={"name": "Hanna's phone", "user_id": hanna["id"]}))
    (number,) = [row for row in ok(client.get("/api/numbers")) if row["number"] == QUEUE_NUMBER]
    phone = harness.Phone(work, "uas_puts_on_hold")
    audio = demo.settings.audio_dir
    company_path = f"{audio}/{tenant_id(demo)}/16000/{company_music}.wav"
    queue_path = f"{audio}/{tenant_id(demo)}/16000/{queue_music}.wav"
    try:
        assert register(work, fs, device["sip_username"], domain, device["sip_password"], expires=300,
                        call_id=f"hold-{secrets.token_hex(4)}@{HOST}", contact_port=phone.port) == [200], fs.log_tail(60)

        # a carrier's call to Hanna; her phone answers and puts the caller on hold: the company's music
        ok(client.patch(f"/api/numbers/{number['id']}", json={"destination": {"type": "user", "id": hanna["id"]}}))
        carrier_call(work, fs, "0612000272", QUEUE_NUMBER)
        assert wait_for(lambda: played(fs, "0612000272", company_path), 20), fs.log_tail(250)
        held = [text for direction, text in harness.sip_messages(phone.received())
                if direction == "sent" and text.startswith("INVITE ")]
        assert held and "a=sendonly" in held[0]  # the phone's re-INVITE: on hold

        # a queue with its own music: Hanna, its agent, holds the caller: the queue's music
        queue = ok(client.post("/api/queues", json={"name": "Held queue", "extension": "472", "strategy": "ring-all",
                                                     "max_wait_s": 60, "music_on_hold_audio_id": queue_music,
                                                     "tiers": [{"user_id": hanna["id"]}]}))
        assert queue["freeswitch"]["applied"] is True, queue
        assert wait_for(lambda: any(row["user_id"] == hanna["id"] and row["phone_registered"]
                                    for row in ok(client.get("/api/agents"))), 20)
        status = client.put(f"/api/agents/{hanna['id']}/status", json={"status": "available"})
        assert status.status_code == 200 and status.json()["applied"] is True, status.text
        ok(client.patch(f"/api/numbers/{number['id']}", json={"destination": {"type": "queue", "id": queue["id"]}}))
        carrier_call(work, fs, "0612000472", QUEUE_NUMBER)
        assert wait_for(lambda: played(fs, "0612000472", queue_path), 20), fs.log_tail(250)
        assert not played(fs, "0612000472", company_path)

        # #16 item 4: with the bridge following FreeSWITCH, a call's record has both sources (README: a record
        # with the CDR post alone is a call that ended while no bridge listened)
        def sources(caller: str):
            with Session(demo.engine) as db:
                row = db.exec(select(CallRecord).where(CallRecord.caller_number == caller)).first()
                return sorted(row.sources) if row is not None else None
        for caller in ("0612000272", "0612000472"):
            assert wait_for(lambda: sources(caller) == ["cdr", "events"], 20), (caller, sources(caller))
    finally:
        client.put(f"/api/agents/{hanna['id']}/status", json={"status": "logged_out"})
        phone.stop()
