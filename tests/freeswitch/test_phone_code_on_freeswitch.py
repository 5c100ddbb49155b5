"""The login code by phone on a real FreeSWITCH (#18 item 7, seed 002): the project's configuration wired
to the app (the demo company), a person of the company whose second factor is a mobile number. The login
asks for the call; the app renders the code with espeak-ng and has FreeSWITCH originate over the event
socket, through the company's own dialplan (a loopback leg into its outbound route, out through the
gateway "default") to a SIPp phone that answers and listens. The INVITE reaches the phone with the
company number as caller ID; FreeSWITCH plays the rendered file (PLAYBACK_START with its path, to its end:
PLAYBACK_STOP, "done playing", the call as long as the sentence), then hangs up; that file is the Dutch
sentence with this login's code in it (a fresh rendering of that text is byte for byte the same); the
code typed back finishes the login, once."""

from __future__ import annotations

import shutil
import threading
import time
import wave
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from tests.freeswitch import harness
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    HOST, demo, fs, needs_freeswitch, server, work,
)
from tests.web.helpers import PASSWORD
from web import audio, tts
from web.auth.passwords import hash_password
from web.db import session_scope
from web.demo import DEMO_ADMIN
from web.domain import phone_codes
from web.models import Account

MOBILE = "+31612000999"
CODE = "396182"
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (Debian package espeak-ng; .ci/run installs it)")


@pytest.fixture(scope="module")
def far_end(work):
    """What the gateway "default" leads to: here a phone that answers and listens until hung up on."""
    phone = harness.Phone(work, "uas_listen")
    yield phone
    phone.stop()


class Events:
    """PLAYBACK_START / PLAYBACK_STOP of FreeSWITCH, from an event socket of our own; the played file's
    bytes read the moment it starts (the app deletes it once spoken)."""

    def __init__(self, fs):
        self.found: list[dict] = []
        self.files: dict[str, bytes] = {}
        self.socket = harness.EventSocket(fs.esl_port, fs.password)
        reply = self.socket.command("event plain PLAYBACK_START PLAYBACK_STOP")
        assert reply.get("Reply-Text", "").startswith("+OK"), reply
        threading.Thread(target=self.socket.events, args=(self._seen,), daemon=True).start()

    def _seen(self, event: dict) -> None:
        path = event.get("Playback-File-Path", "")
        if event.get("Event-Name") == "PLAYBACK_START" and path.endswith(".wav") and path not in self.files:
            try:
                self.files[path] = Path(path).read_bytes()
            except OSError:
                pass
        self.found.append(event)

    def of(self, name: str) -> list[dict]:
        return [event for event in self.found if event.get("Event-Name") == name]

    def close(self) -> None:
        self.socket.close()


@pytest.fixture(scope="module")
def events(fs):
    watching = Events(fs)
    yield watching
    watching.close()


@pytest.fixture(scope="module")
def wired(demo, fs):
    """The app asking this FreeSWITCH (its event socket)."""
    settings = demo.app.state.settings
    demo.app.state.settings = type(settings)(**{**settings.__dict__, "esl_host": HOST, "esl_port": fs.esl_port,
                                                 "esl_password": fs.password})
    yield demo.app.state.settings
    demo.app.state.settings = settings


@pytest.fixture(scope="module")
def person(demo, wired):
    """Someone of the demo company whose second factor is the code by phone, spoken in Dutch."""
    with session_scope(demo.engine) as db:
        admin = db.exec(select(Account).where(Account.email == DEMO_ADMIN)).one()
        db.add(Account(tenant_id=admin.tenant_id, email="pieter@demo.example.com", role="user", language="nl",
                       password_hash=hash_password(wired, PASSWORD), phone_factor_number=MOBILE,
                       phone_factor_language="nl", primary_factor="phone"))
    return "pieter@demo.example.com"


def seconds_of(data: bytes, path: Path) -> float:
    path.write_bytes(data)
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


@needs_freeswitch
@needs_espeak
def test_the_login_code_is_spoken_to_the_phone_by_the_companys_switch(work, demo, server, fs, far_end, wired, person,
                                                                      events, monkeypatch):
    server.start()
    monkeypatch.setattr(phone_codes, "new_code", lambda: CODE)
    client = TestClient(demo.app)
    pending = client.post("/api/auth/login", json={"email": person, "password": PASSWORD}).json()
    assert pending["stage"] == "2fa" and pending["factors"]["primary"] == "phone", pending
    client.headers["x-csrf-token"] = pending["csrf_token"]
    call = client.post("/api/auth/second-factor/call")
    assert call.status_code == 202, call.text

    # the phone behind the carrier's gateway is called, showing the company number
    assert wait_for(lambda: "INVITE sip:" + MOBILE in far_end.received(), 20), (far_end.received(), fs.log_tail(150))
    invite = far_end.received().split("INVITE sip:" + MOBILE, 1)[1].split("-----------", 1)[0]
    assert "+31201234567" in invite.split("From:", 1)[1].split("\n", 1)[0], invite
    # offered the installation's codecs (not the loopback leg's L16 alone), it answered with one of them
    assert "PCMA/8000" in invite and "PCMU/8000" in invite and "L16" not in invite, invite
    # FreeSWITCH answers the app once picked up: the code is valid from then on
    assert wait_for(lambda: client.get("/api/auth/second-factor/call").json()["call_state"] == "answered", 20), \
        fs.log_tail(150)

    # FreeSWITCH plays the rendered code, to its end, and hangs up
    assert wait_for(lambda: events.of("PLAYBACK_STOP"), 40), (events.found[-5:], fs.log_tail(150))
    [started] = [e for e in events.of("PLAYBACK_START") if "/login-codes/" in e.get("Playback-File-Path", "")]
    played = started["Playback-File-Path"]
    assert played.startswith(f"{wired.audio_dir}/") and played.endswith(".wav"), played
    assert events.of("PLAYBACK_STOP")[-1]["Playback-File-Path"] == played
    assert events.of("PLAYBACK_STOP")[-1].get("Playback-Status") == "done", events.of("PLAYBACK_STOP")[-1]
    assert f"done playing file {played}" in fs.log_text()
    assert wait_for(lambda: "BYE sip:" in far_end.received() or "\nBYE " in far_end.received(), 30), far_end.received()

    # what was played is the Dutch sentence with this login's code, as espeak-ng renders it
    text = phone_codes.spoken_text(CODE, "nl")
    assert "3, 9, 6, 1, 8, 2" in text and text.startswith("U wordt gebeld door uw telefooncentrale")
    fresh = tts.render(text, "nl", Path(wired.audio_dir))
    try:
        assert events.files[played] == fresh.files[16000].read_bytes()
    finally:
        audio.discard(fresh)
    length = seconds_of(events.files[played], work / "played.wav")
    assert length > 5, "the code and its repetition are speech, not a click"

    # once spoken the file is gone (a code never lies around on disk), and the code finishes the login once
    assert wait_for(lambda: not Path(played).exists(), 20)
    done = client.post("/api/auth/second-factor", json={"code": CODE})
    assert done.status_code == 200 and done.json()["stage"] == "full", done.text


@needs_freeswitch
@needs_espeak
def test_a_colleagues_extension_is_called_on_the_users_own_phone(work, demo, server, fs, wired, events, monkeypatch):
    """A number that is an extension of the company rings that user's registered phone directly."""
    from tests.freeswitch.harness import register
    from tests.freeswitch.test_menus_and_prompts_on_freeswitch import demo_user

    server.start()
    monkeypatch.setattr(phone_codes, "new_code", lambda: "274051")
    carla = demo_user(demo, "203")
    phone = harness.Phone(work, "uas_listen")
    try:
        assert register(work, fs, carla.sip_user, carla.domain, carla.password, expires=300,
                        contact_port=phone.port) == [200], fs.log_tail(60)
        with session_scope(demo.engine) as db:
            admin = db.exec(select(Account).where(Account.email == DEMO_ADMIN)).one()
            db.add(Account(tenant_id=admin.tenant_id, email="carla@demo.example.com", role="user", language="en",
                           password_hash=hash_password(wired, PASSWORD), phone_factor_number="203",
                           phone_factor_language="en", primary_factor="phone"))
        client = TestClient(demo.app)
        pending = client.post("/api/auth/login", json={"email": "carla@demo.example.com", "password": PASSWORD}).json()
        client.headers["x-csrf-token"] = pending["csrf_token"]
        assert client.post("/api/auth/second-factor/call").status_code == 202
        assert wait_for(lambda: "INVITE sip:" in phone.received(), 20), (phone.received(), fs.log_tail(100))
        assert wait_for(lambda: client.get("/api/auth/second-factor/call").json()["call_state"] == "answered", 20), \
            fs.log_tail(150)
        assert wait_for(lambda: any(e.get("Playback-File-Path", "").endswith(".wav") and "/login-codes/" in
                                    e.get("Playback-File-Path", "") and e.get("Playback-Status") == "done"
                                    for e in events.of("PLAYBACK_STOP")[-1:]), 40), (events.found[-4:], fs.log_tail(100))
        assert "274051" not in fs.log_text()
        done = client.post("/api/auth/second-factor", json={"code": "274051"})
        assert done.status_code == 200 and done.json()["stage"] == "full", done.text
    finally:
        phone.stop()
