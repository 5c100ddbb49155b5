"""A typed announcement on a real FreeSWITCH (#18 item 6): the project's configuration wired to the app
(the demo company); the admin types a text through the API, the app speaks it with espeak-ng into the
audio library, and the company answers a blocked caller with that sound. A carrier call (SIPp) from that
number hears it: FreeSWITCH starts playing the rendered WAV (PLAYBACK_START with its path), plays it to
the end and hangs up. The text changed, the next caller hears the new rendering from the same path
(the dialplan only ever names the file), for as long as the new text lasts."""

from __future__ import annotations

import shutil
import wave

import pytest

from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    carrier_call, demo, far_end, fs, needs_freeswitch, server, speaking_call, work,
)
from tests.freeswitch.test_hot_desk_and_hold_on_freeswitch import tenant_id
from tests.freeswitch.test_menus_and_prompts_on_freeswitch import playbacks  # noqa: F401  (fixture)
from tests.freeswitch.test_queues_on_freeswitch import admin_client, ok  # noqa: F401  (fixture)

SALES = "+31201234568"  # a demo number
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (Debian package espeak-ng; .ci/run installs it)")


def seconds_of(path: str) -> float:
    with wave.open(path, "rb") as wav:
        return wav.getnframes() / wav.getframerate()


@needs_freeswitch
@needs_espeak
def test_a_typed_announcement_is_played_to_a_caller(work, demo, server, fs, admin_client, playbacks):
    client = admin_client
    server.start()
    typed = ok(client.post("/api/audio/text", json={
        "name": "Not taking calls", "language": "en",
        "text": "We are sorry. This company does not take your calls. Goodbye."}))
    sound = f"{demo.settings.audio_dir}/{tenant_id(demo)}/16000/{typed['id']}.wav"
    first_length = seconds_of(sound)
    assert first_length > 2, "the rendered sentence is speech, not a click"
    ok(client.patch("/api/company", json={"call_blocking": {
        "numbers": [{"match": "number", "number": "0612000444"}, {"match": "number", "number": "0612000445"}],
        "treatment": "message", "message_audio_id": typed["id"]}}))

    responses = speaking_call(work, fs, "0612000444", seconds=15, number=SALES)
    assert 200 in responses, fs.log_tail(150)
    call = fs.calls.wait_hangup("0612000444", 30)
    assert call is not None, fs.log_tail(150)
    log = fs.call_log(call)
    # FreeSWITCH played the rendered file to the caller, to its end, then hung up
    assert wait_for(lambda: sound in playbacks.of("0612000444"), 10), (playbacks.found[-10:], log)
    assert ("playback", sound) in call.applications, (call.applications, log)
    assert f"done playing file {sound}" in log, log
    billed = int(call.hangup.get("variable_billsec") or 0)
    assert first_length - 1 <= billed <= first_length + 3, (billed, first_length, log)

    # a new, shorter text: rendered again into the same file, which the next caller hears
    changed = ok(client.patch(f"/api/audio/{typed['id']}", json={"text": "Goodbye."}))
    assert changed["duration_ms"] < typed["duration_ms"]
    second_length = seconds_of(sound)
    assert second_length < first_length - 1
    assert 200 in speaking_call(work, fs, "0612000445", seconds=15, number=SALES), fs.log_tail(150)
    again = fs.calls.wait_hangup("0612000445", 30)
    assert again is not None, fs.log_tail(150)
    assert f"done playing file {sound}" in fs.call_log(again)
    assert int(again.hangup.get("variable_billsec") or 99) < billed, (again.hangup.get("variable_billsec"), billed)
