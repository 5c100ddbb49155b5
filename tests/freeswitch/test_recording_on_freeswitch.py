"""Call recording on a real FreeSWITCH (#18 item 1): the project's configuration with the app and the bridge
(`python -m fs_bridge`); FreeSWITCH writes into the recordings folder it shares with them.

- A carrier's caller reaches a number whose published plan says "Record from here", then a conference
  room (which holds the call); the caller talks (a tone) for 7 s and hangs up. FreeSWITCH's WAV holds the
  call's audio: its length (sox's soxi) is the talk time, it is not silence, and the bridge stored it
  (RECORD_STOP) as the recording of that call, whose record says the same length.
- A user whose recording is "on demand" calls the room from the user's phone (digest auth as a phone does)
  and presses the in-call code *1 after half a second and again 5 s later, then hangs up at 9 s: the
  recording holds only the 5 s between the presses, and is the user's."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.freeswitch import harness
from tests.freeswitch.bridge_process import running_bridge
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_conference_on_freeswitch import admin_client, conference_prompts, ok  # noqa: F401
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    HOST, PHONE_CALL, SIPP, demo, demo_device, far_end, fs, fs_env, needs_freeswitch, server, speaking_call, work,
)

NUMBER = "+31201234568"  # the demo's Sales number: the plan below takes it
TALK_S = 7


def soxi_seconds(path: Path) -> float:
    return float(subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True, check=True).stdout)


def loudness(path: Path) -> float:
    """sox's RMS amplitude of the file (0: silence)."""
    out = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True).stderr
    return float(next(line.split(":")[1] for line in out.splitlines() if line.startswith("RMS     amplitude")))


@pytest.fixture(scope="module")
def room(demo, fs, admin_client):
    if not shutil.which("soxi"):
        pytest.skip("needs sox (soxi) to measure the recordings")
    conference_prompts(Path(fs_env(fs, "CALLPLAN_SOUND_PREFIX")))
    return ok(admin_client.post("/api/conference-rooms", json={"name": "Recorded room", "extension": "850"}))


@pytest.fixture(scope="module")
def bridge(demo, fs, work):
    with running_bridge(demo, fs, work, "recording-bridge.log", fs_env=fs_env,
                        CALLPLAN_RECORDINGS_DIR=fs_env(fs, "CALLPLAN_RECORDINGS_DIR")) as process:
        yield process


def files(fs, tenant_id: int, why: str) -> list[Path]:
    folder = Path(fs_env(fs, "CALLPLAN_RECORDINGS_DIR")) / str(tenant_id)
    return sorted(folder.glob(f"*_{why}.wav")) if folder.is_dir() else []


@needs_freeswitch
def test_a_recorded_call_has_the_calls_audio_length(work, demo, server, fs, admin_client, room, bridge):
    client = admin_client
    (number,) = [row for row in ok(client.get("/api/numbers")) if row["number"] == NUMBER]
    ok(client.patch(f"/api/numbers/{number['id']}", json={"destination": None}))  # the plan takes it
    plan = ok(client.post("/api/plans", json={"name": "Recorded sales", "numbers": [NUMBER], "steps": [
        {"id": "rec", "type": "record", "tell_caller": True},
        {"id": "room", "type": "conference", "room": room["id"]}]}))
    ok(client.post(f"/api/plans/{plan['id']}/publish", json={}))

    responses = speaking_call(work, fs, "0612000777", TALK_S, number=NUMBER)
    assert 200 in responses, (responses, fs.log_tail(200))
    recorded = wait_for(lambda: files(fs, client.tenant_id, "step"), 15)
    assert recorded, fs.log_tail(300)
    (path,) = recorded
    seconds = soxi_seconds(path)
    # the caller talked TALK_S seconds after the answer; the recording starts right after it
    assert TALK_S - 1.0 <= seconds <= TALK_S + 0.5, (seconds, fs.log_tail(200))
    assert loudness(path) > 0.05, "the recording is silence, not the caller's tone"

    # the bridge stored it (RECORD_STOP) as the recording of that call, and the call's record agrees
    def stored():
        rows = ok(client.get("/api/recordings"))
        return [row for row in rows if row["reason"] == "step" and row["call_record_id"]] or None
    rows = wait_for(stored, 20)
    assert rows, (ok(client.get("/api/recordings")), (work / "recording-bridge.log").read_text()[-3000:])
    (row,) = rows
    assert row["duration_seconds"] == round(seconds) and row["caller_number"].endswith("612000777")
    record = ok(client.get(f"/api/call-records/{row['call_record_id']}"))
    assert abs(record["billed_seconds"] - seconds) <= 1.5, (record, seconds)
    # the portal plays the file FreeSWITCH wrote, from the folder they share
    settings = demo.app.state.settings
    demo.app.state.settings = type(settings)(**{**settings.__dict__, "recordings_dir": fs_env(fs, "CALLPLAN_RECORDINGS_DIR")})
    try:
        audio = client.get(f"/api/recordings/{row['id']}/audio")
    finally:
        demo.app.state.settings = settings
    assert audio.status_code == 200 and audio.content == path.read_bytes()


# A registered phone's call with digest auth (as PHONE_CALL) that talks once answered and presses the keys
# of DTMF.pcap (RFC 2833) half a second later, then hangs up after {milliseconds} ms.
PRESSING_CALL = PHONE_CALL.replace(
    "m=audio [media_port] RTP/AVP 0\n      a=rtpmap:0 PCMU/8000",
    "m=audio [media_port] RTP/AVP 0 101\n      a=rtpmap:0 PCMU/8000\n      a=rtpmap:101 telephone-event/8000\n"
    "      a=fmtp:101 0-15\n      a=ptime:20",
).replace(
    '<recv response="200" rrs="true"/>',
    '<recv response="200" rrs="true"><action><exec rtp_stream="tone.ulaw,-1,0"/></action></recv>',
)
PRESSING_CALL = PRESSING_CALL[:PRESSING_CALL.index('  <recv request="BYE"/>')] + """  <pause milliseconds="500"/>
  <nop><action><exec play_pcap_audio="DTMF.pcap"/></action></nop>
  <pause milliseconds="{milliseconds}"/>
  <send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{user}@{domain}>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 3 BYE
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <recv response="200"/>
</scenario>
"""


def pressing_call(work: Path, fs, user: str, domain: str, password: str, number: str, presses, milliseconds: int) -> str:
    from tests.freeswitch.test_config_on_freeswitch import ulaw_tone

    folder = work / f"press-{user}-{secrets.token_hex(3)}"
    folder.mkdir()
    (folder / "tone.ulaw").write_bytes(ulaw_tone(1.0))
    harness.dtmf_pcap(folder / "DTMF.pcap", presses)
    scenario = folder / "pressing_call.xml"
    scenario.write_text(PRESSING_CALL.replace("{milliseconds}", str(milliseconds))
                        .format(user=user, domain=domain, password=password))
    messages = folder / "messages.log"
    command = [SIPP, "-sf", str(scenario), "-i", HOST, "-bind_local", "-p", str(harness.free_ports()),
               "-mi", HOST, "-mp", str(harness.free_ports(4)), "-nostdin", "-m", "1", "-s", number,
               "-timeout", f"{milliseconds // 1000 + 30}s", "-timeout_error", "-trace_msg", "-message_file", str(messages),
               f"{HOST}:{fs_env(fs, 'CALLPLAN_INTERNAL_SIP_PORT')}"]
    subprocess.run(command, cwd=folder, stdin=subprocess.DEVNULL, capture_output=True, timeout=milliseconds // 1000 + 40,
                   preexec_fn=harness.die_with_parent)
    return messages.read_text(errors="replace") if messages.exists() else ""


@needs_freeswitch
def test_the_in_call_code_records_on_demand(work, demo, server, fs, admin_client, room, bridge):
    from sqlmodel import select

    from web.db import session_scope
    from web.models.device import Device

    client = admin_client
    assert ok(client.get("/api/feature-codes"))  # the company's codes, *1 among them
    user, domain, password = demo_device(demo)
    with session_scope(demo.engine) as db:
        owner = db.exec(select(Device).where(Device.sip_username == user)).one().user_id
    ok(client.patch(f"/api/users/{owner}", json={"recording": "on_demand"}))
    before = set(files(fs, client.tenant_id, "demand"))

    # *1 half a second after the answer (plus the scenario's own 0.5 s), *1 again 5 s later, hang up at 9 s
    log = pressing_call(work, fs, user, domain, password, room["extension"],
                        [(0.0, "*"), (0.3, "1"), (5.0, "*"), (5.3, "1")], milliseconds=9000)
    assert "SIP/2.0 200 OK" in log, (log[-3000:], fs.log_tail(200))
    made = wait_for(lambda: sorted(set(files(fs, client.tenant_id, "demand")) - before), 15)
    assert made, fs.log_tail(400)
    (path,) = made
    seconds = soxi_seconds(path)
    assert 4.0 <= seconds <= 6.0, (seconds, fs.log_tail(200))  # only between the presses, not the whole 9 s call
    assert loudness(path) > 0.05

    def stored():
        return [row for row in ok(client.get("/api/recordings")) if row["reason"] == "demand"] or None
    rows = wait_for(stored, 20)
    assert rows, (work / "recording-bridge.log").read_text()[-3000:]
    assert rows[0]["user_id"] == owner and rows[0]["duration_seconds"] == round(seconds)
    assert os.path.basename(path).startswith(rows[0]["call_uuid"])  # the phone's own leg is the call
