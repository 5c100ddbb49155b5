"""Conference rooms on a real FreeSWITCH (#18 item 2): the project's configuration (mod_conference and
its profile in freeswitch/autoload_configs/conference.conf.xml) with the app, a room made through the
API and a number routed to it. Two SIPp callers from outside enter it with its PINs (RFC 2833 keys), one
the participant PIN, one the moderator PIN; a third with a wrong PIN never gets in. The API then lists
who is in the room (mod_conference's json_list over the event socket), mutes one and kicks them out.

The PIN is asked with the product's own prompt, not FreeSWITCH's sound packs (no conf-pin.wav here): the
app renders "enter the PIN" and "wrong PIN" with espeak-ng in the company's language
(web/domain/prompts.py) and FreeSWITCH plays those files (PLAYBACK_START with their paths); without
espeak-ng, tones ask instead."""

from __future__ import annotations

import json
import shutil
import threading
import wave
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from tests.freeswitch import harness
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_menus_and_prompts_on_freeswitch import playbacks  # noqa: F401  (fixture)
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    HOST, demo, far_end, fs, fs_env, needs_freeswitch, server, work,
)
from web.auth.tokens import digest, new_api_token
from web.db import session_scope
from web.demo import DEMO_ADMIN
from web.models import Account, ApiToken

ROOM_NUMBER = "+31201234569"  # the demo's Support number, routed to the room below
# FreeSWITCH's other conference prompts, not the PIN's: those are the app's own (web/domain/prompts.py)
PROMPTS = ("conf-alone", "conf-muted", "conf-unmuted", "conf-kicked", "conf-locked", "conf-is-locked", "conf-is-unlocked")


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


def conference_prompts(prefix: Path) -> None:
    """Stand-ins (a tenth of a second of silence) for the conference prompts of FreeSWITCH's sound
    package, which is not installed here (a missing one is only skipped). No conf-pin.wav: the room asks
    for its PIN with the app's own prompt."""
    for name in PROMPTS:
        path = prefix / "conference" / f"{name}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(path), "wb") as output:
            output.setnchannels(1)
            output.setsampwidth(2)
            output.setframerate(8000)
            output.writeframes(b"\x00\x00" * 800)


def caller(work: Path, fs, number: str, pin: str, results: dict) -> threading.Thread:
    """A call from outside (the carrier's side) to the room's number that types `pin` once answered and
    stays until FreeSWITCH hangs up (kicked) or 45 s pass."""
    presses = [(0.3 * index, key) for index, key in enumerate(pin)]

    def run():
        results[number] = harness.call(work, SimpleNamespace(sip_port=int(fs_env(fs, "CALLPLAN_EXTERNAL_SIP_PORT"))),
                                       ROOM_NUMBER, number, caller_name=f"Caller {number[-3:]}", dtmf=presses, timeout=45)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@needs_freeswitch
def test_two_callers_meet_in_a_room_with_pins_and_the_admin_mutes_and_kicks_them(work, demo, server, fs, admin_client,
                                                                                 playbacks):
    client = admin_client
    conference_prompts(Path(fs_env(fs, "CALLPLAN_SOUND_PREFIX")))
    room = ok(client.post("/api/conference-rooms", json={"name": "Board room", "extension": "850", "pin": "1234",
                                                          "moderator_pin": "9876"}))
    (number,) = [row for row in ok(client.get("/api/numbers")) if row["number"] == ROOM_NUMBER]
    ok(client.patch(f"/api/numbers/{number['id']}", json={"destination": {"type": "conference_room", "id": room["id"]}}))
    name = f"t{client.tenant_id}-{room['id']}"
    members_path = f"/api/conference-rooms/{room['id']}/members"
    assert ok(client.get(members_path)) == []  # nobody yet: FreeSWITCH has no such conference

    results: dict = {}
    threads = [caller(work, fs, "0612000851", "1234", results), caller(work, fs, "0612000852", "9876", results),
               caller(work, fs, "0612000853", "5555", results)]
    try:
        def two_in():
            members = ok(client.get(members_path))
            return members if len(members) == 2 else None
        members = wait_for(two_in, 30)
        assert members, f"{ok(client.get(members_path))}\n{fs.log_tail(200)}"
        by_number = {member["caller_id_number"]: member for member in members}
        assert set(by_number) == {"0612000851", "0612000852"}, members  # the wrong PIN stayed out
        participant, moderator = by_number["0612000851"], by_number["0612000852"]
        assert moderator["moderator"] and not participant["moderator"], members
        assert not participant["muted"]
        # FreeSWITCH itself holds them in the tenant's room (the name the API asked for)
        listing = json.loads(fs.api(f"conference {name} json_list"))
        assert listing[0]["conference_name"] == name and listing[0]["member_count"] == 2, listing

        # mute from the portal: mod_conference takes away the participant's floor
        assert client.post(f"{members_path}/{participant['id']}/mute").status_code == 204
        assert wait_for(lambda: {m["id"]: m["muted"] for m in ok(client.get(members_path))}[participant["id"]], 10)
        flags = {m["id"]: m["flags"] for m in json.loads(fs.api(f"conference {name} json_list"))[0]["members"]}
        assert flags[participant["id"]]["can_speak"] is False and flags[moderator["id"]]["can_speak"] is True
        assert client.post(f"{members_path}/{participant['id']}/unmute").status_code == 204
        assert wait_for(lambda: not {m["id"]: m["muted"] for m in ok(client.get(members_path))}[participant["id"]], 10)

        # kick: the participant's call ends (FreeSWITCH sends BYE), the moderator stays
        assert client.post(f"{members_path}/{participant['id']}/kick").status_code == 204
        assert wait_for(lambda: [m["id"] for m in ok(client.get(members_path))] == [moderator["id"]], 10)
        threads[0].join(20)
        assert results["0612000851"].received_bye(), results["0612000851"].messages[-2000:]
        # a caller who has left is no longer there to kick
        assert client.post(f"{members_path}/{participant['id']}/kick").status_code == 404
        assert client.post(f"{members_path}/{moderator['id']}/kick").status_code == 204
        assert wait_for(lambda: ok(client.get(members_path)) == [], 10)
    finally:
        for thread in threads:
            thread.join(60)
    # the wrong PIN was asked again (pin-retries) and then refused: that caller never entered
    assert "0612000853" in results and not any(
        member.get("caller_id_number") == "0612000853" for member in members), fs.log_tail(100)
    # everyone was asked with the product's own prompt; the wrong PIN was told so
    prompts = Path(demo.settings.audio_dir) / "prompts" / "en"
    if shutil.which("espeak-ng"):
        (asked,) = prompts.glob("conference_pin-*.wav")
        (wrong,) = prompts.glob("conference_bad_pin-*.wav")
        asked, wrong = str(asked), str(wrong)
        with wave.open(asked, "rb") as spoken:
            assert spoken.getnframes() / spoken.getframerate() > 1.5, "the prompt is speech, not a click"
    else:
        from callplan.nodes.conference import BAD_PIN_TONE, PIN_TONE

        asked, wrong = PIN_TONE, BAD_PIN_TONE
    for number in ("0612000851", "0612000852", "0612000853"):
        assert asked in playbacks.of(number), (number, playbacks.found[-20:])
    assert wrong in playbacks.of("0612000853") and wrong not in playbacks.of("0612000851"), playbacks.found[-20:]
    assert "conf-pin.wav" not in fs.log_text()
