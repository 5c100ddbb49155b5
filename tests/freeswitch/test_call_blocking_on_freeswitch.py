"""Incoming call blocking on a real FreeSWITCH (#16 item 2): the project's configuration wired to the app
(the demo company), a user with a SIPp phone registered, a public number routed to that user. Carrier
calls (SIPp into the external profile):

- from a number the company blocks: refused with the company's chosen cause (CALL_REJECTED: 603), the
  phone never rings;
- from an anonymous caller, which the user blocks with "busy": 486, the phone never rings; so is a
  caller whose number comes with "Privacy: id";
- from a number a phonebook contact marked blocked: refused as the company's;
- from anyone else: the user's phone rings;
- from a number the company answers with a message: FreeSWITCH answers, plays the company's audio file
  and hangs up; the phone never rings.

FreeSWITCH posts each call's record to the app (mod_xml_cdr): the refused ones say blocked, by whom."""

from __future__ import annotations

import secrets
import subprocess
import threading
from pathlib import Path

from tests.freeswitch import harness
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    HOST, carrier_call, demo, far_end, fs, needs_freeswitch, register, server, speaking_call, work,
)
from tests.freeswitch.test_hot_desk_and_hold_on_freeswitch import music_file, tenant_id
from tests.freeswitch.test_queues_on_freeswitch import admin_client, ok  # noqa: F401  (fixture)

SALES = "+31201234568"  # a demo number (its ring group), routed here to the test's user


def withheld_call(work: Path, fs, caller: str, number: str) -> harness.UacResult:
    """A carrier call whose number is withheld the way carriers do it (RFC 3323): the number is in From,
    and "Privacy: id" asks that it not be shown. FreeSWITCH keeps the number and hides it
    (privacy_hide_number): an anonymous caller all the same."""
    folder = work / f"withheld-{secrets.token_hex(3)}"
    folder.mkdir()
    scenario = folder / "uac_withheld.xml"
    text = (harness.SCENARIOS / "uac.xml").read_text()
    scenario.write_text(text.replace("      Call-ID: [call_id]\n      CSeq: 1 INVITE",
                                     "      Call-ID: [call_id]\n      Privacy: id\n      CSeq: 1 INVITE", 1))
    assert "Privacy: id" in scenario.read_text()
    (folder / "silence.ulaw").write_bytes(b"\xff" * 8000)
    messages = folder / "messages.log"
    command = harness.sipp_command(str(scenario.with_suffix("")), harness.free_ports(), harness.free_ports(4), messages) + [
        f"{HOST}:{fs.settings['CALLPLAN_EXTERNAL_SIP_PORT']}", "-s", number, "-m", "1", "-key", "caller", caller,
        "-key", "caller_name", "Withheld", "-timeout", "40s", "-timeout_error", "-recv_timeout", "20000"]
    process = subprocess.run(command, cwd=folder, stdin=subprocess.DEVNULL, capture_output=True, timeout=50,
                             preexec_fn=harness.die_with_parent)
    text = messages.read_text(errors="replace") if messages.exists() else ""
    return harness.UacResult(process.returncode, text, (process.stdout + process.stderr).decode(errors="replace")[-3000:])


def invites(phone) -> list[str]:
    return [text for direction, text in harness.sip_messages(phone.received())
            if direction == "received" and text.startswith("INVITE ")]


@needs_freeswitch
def test_blocked_callers_are_turned_away_and_recorded_and_others_ring_the_phone(work, demo, server, fs, far_end, admin_client):
    client = admin_client
    server.start()
    domain = ok(client.get("/api/devices/sip-settings"))["domain"]
    # night mode off: after the demo's office hours its night switch would send the call to the company box
    user = ok(client.post("/api/users", json={"first_name": "Guarded", "last_name": "Desk", "extension": "264",
                                              "night_mode": "off"}))
    device = ok(client.post("/api/devices", json={"name": "Guarded desk phone", "user_id": user["id"]}))
    (number,) = [row for row in ok(client.get("/api/numbers")) if row["number"] == SALES]
    ok(client.patch(f"/api/numbers/{number['id']}", json={"destination": {"type": "user", "id": user["id"]}}))
    ok(client.patch("/api/company", json={"call_blocking": {
        "numbers": [{"match": "number", "number": "0612000666"}, {"match": "prefix", "number": "+3190"}],
        "treatment": "reject", "reject_cause": "CALL_REJECTED"}}))
    ok(client.patch(f"/api/users/{user['id']}", json={"call_blocking": {"anonymous": True, "treatment": "busy"}}))
    ok(client.post("/api/phonebook", json={"name": "Pest", "number": "+31612000667", "blocked": True}))
    phone = harness.Phone(work, "uas_ring")
    try:
        call_id = f"guarded-{secrets.token_hex(4)}@{HOST}"
        assert register(work, fs, device["sip_username"], domain, device["sip_password"], expires=300, call_id=call_id,
                        contact_port=phone.port) == [200], fs.log_tail(60)

        # the company's blocked number, in the national form a carrier may send: 603, the phone silent
        refused = carrier_call(work, fs, "0612000666", SALES)
        assert refused.responses()[-1] == 603, f"{refused.messages[-2000:]}\n{fs.log_tail(150)}"
        # the phonebook's blocked contact, sent as 0031...: refused the same way
        contact = carrier_call(work, fs, "0031612000667", SALES)
        assert contact.responses()[-1] == 603, f"{contact.messages[-2000:]}\n{fs.log_tail(150)}"
        # an anonymous caller, blocked by the user with "busy"
        anonymous = carrier_call(work, fs, "anonymous", SALES)
        assert anonymous.responses()[-1] == 486, f"{anonymous.messages[-2000:]}\n{fs.log_tail(150)}"
        # a number withheld with "Privacy: id" is anonymous too
        withheld = withheld_call(work, fs, "0612000888", SALES)
        assert withheld.responses()[-1] == 486, f"{withheld.messages[-2000:]}\n{fs.log_tail(150)}"
        assert not invites(phone), phone.received()[-2000:]

        # anyone else rings the phone
        threading.Thread(target=carrier_call, args=(work, fs, "0612000777", SALES), daemon=True).start()
        assert wait_for(lambda: invites(phone), 30), f"{phone.received()[-2000:]}\n{fs.log_tail(150)}"

        # the records FreeSWITCH posted say which calls were blocked, and by whom
        def blocked():
            rows = ok(client.get("/api/call-records?blocked=true"))["items"]
            return {row["caller_number"]: (row["blocked"], row["hangup_cause"], row["missed"]) for row in rows}
        expected = {"0612000666": ("company", "CALL_REJECTED", False), "0031612000667": ("company", "CALL_REJECTED", False),
                    "anonymous": ("user", "USER_BUSY", False), "0612000888": ("user", "USER_BUSY", False)}
        assert wait_for(lambda: blocked() == expected, 30), blocked()
        fs.api("hupall NORMAL_CLEARING")
        assert wait_for(lambda: any(row["caller_number"] == "0612000777" and row["blocked"] is None
                                    for row in ok(client.get("/api/call-records"))["items"]), 30)
    finally:
        phone.stop()


@needs_freeswitch
def test_a_caller_blocked_with_a_message_hears_the_companys_file_and_the_call_ends(work, demo, server, fs, far_end,
                                                                                  admin_client):
    """The "message" answer: FreeSWITCH answers the blocked caller, plays the chosen file of the company's
    audio library and hangs up, while the caller would go on talking; the phone never rings."""
    client = admin_client
    domain = ok(client.get("/api/devices/sip-settings"))["domain"]
    user = ok(client.post("/api/users", json={"first_name": "Quiet", "last_name": "Desk", "extension": "265",
                                              "night_mode": "off"}))
    device = ok(client.post("/api/devices", json={"name": "Quiet desk phone", "user_id": user["id"]}))
    (number,) = [row for row in ok(client.get("/api/numbers")) if row["number"] == SALES]
    ok(client.patch(f"/api/numbers/{number['id']}", json={"destination": {"type": "user", "id": user["id"]}}))
    message = music_file(demo, "Not taking your call")
    sound = f"{demo.settings.audio_dir}/{tenant_id(demo)}/16000/{message}.wav"
    ok(client.patch("/api/company", json={"call_blocking": {
        "numbers": [{"match": "number", "number": "0612000555"}],
        "treatment": "message", "message_audio_id": message}}))
    phone = harness.Phone(work, "uas_ring")
    try:
        assert register(work, fs, device["sip_username"], domain, device["sip_password"], expires=300,
                        call_id=f"quiet-{secrets.token_hex(4)}@{HOST}", contact_port=phone.port) == [200], fs.log_tail(60)
        responses = speaking_call(work, fs, "0612000555", seconds=12, number=SALES)
        assert 200 in responses, fs.log_tail(150)
        call = fs.calls.wait_hangup("0612000555", 30)
        assert call is not None, fs.log_tail(150)
        log = fs.call_log(call)
        # the file FreeSWITCH played is the company's message, and it played it to the end
        assert ("playback", sound) in call.applications, (call.applications, log)
        assert f"done playing file {sound}" in log, log
        # then FreeSWITCH hung up (the caller would have talked 12 s), and the phone stayed silent
        assert call.hangup.get("variable_hangup_cause", call.hangup.get("Hangup-Cause")) == "NORMAL_CLEARING", log
        assert int(call.hangup.get("variable_billsec") or 99) < 8, log
        assert not invites(phone), phone.received()[-2000:]

        def record():
            rows = ok(client.get("/api/call-records?blocked=true"))["items"]
            return [(row["blocked"], row["hangup_cause"]) for row in rows if row["caller_number"] == "0612000555"]
        assert wait_for(lambda: record() == [("company", "NORMAL_CLEARING")], 30), record()
    finally:
        phone.stop()
