"""Voicemail messages in the portal on a real FreeSWITCH (#15 item 2): a SIPp caller leaves a message in
Anna's box (the demo admin, user 201); her registered SIPp phone's lamp lights; the portal's API lists
the message with its caller and plays its WAV from the shared folder; marking it heard through the API
puts the lamp out (mod_voicemail's own MESSAGE_WAITING, a NOTIFY "Messages-Waiting: no"), and deleting it
through the API removes it from mod_voicemail (vm_list, the file). The bridge, a process of its own as in
production, tells the page's websocket each time the box changed. A message deleted by FreeSWITCH
(vm_delete, as the phone's menu or the bridge after mailing does) is gone from the API too.

The FreeSWITCH, the app and the demo company are those of test_config_on_freeswitch.py (its fixtures,
started again for this module)."""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
import threading
from pathlib import Path

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from tests.freeswitch import harness
from tests.freeswitch.bridge_process import running_bridge
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    FS_LANG_DIR, HOST, demo, far_end, fs, fs_env, needs_freeswitch, register, server, speaking_call, work,
)
from tests.freeswitch.test_mwi_on_freeswitch import notifies, to_the_users_box
from tests.web.helpers import make_token
from tests.web.voicemail_switch import ModVoicemail
from web.models import Account
from web.models.voicemail_box import VoicemailBox

@pytest.fixture
def feed_port():
    return harness.free_ports()


@pytest.fixture
def bridge(demo, fs, work, feed_port):
    """python -m fs_bridge on FreeSWITCH's event socket, its live feed on `feed_port` (the app reads it)."""
    with running_bridge(demo, fs, work, "bridge-messages.log", fs_env=fs_env, feed_port=feed_port) as process:
        yield process


@pytest.fixture
def anna(demo, fs, feed_port):
    """The portal as Anna (the demo admin, PBX user 201), with the app told where FreeSWITCH's event
    socket, the shared voicemail folder and the bridge's feed are."""
    settings = dataclasses.replace(demo.settings, esl_host="127.0.0.1", esl_port=fs.esl_port, esl_password=fs.password,
                                   voicemail_dir=fs_env(fs, "CALLPLAN_VOICEMAIL_DIR"), bridge_feed_host="127.0.0.1",
                                   bridge_feed_port=feed_port)
    before, demo.app.state.settings = demo.app.state.settings, settings
    with Session(demo.engine) as db:
        account = db.exec(select(Account).where(Account.email == "admin@demo.example.com")).one()
    try:
        yield TestClient(demo.app, headers={"authorization": f"Bearer {make_token(lambda: _session(demo), account)}"})
    finally:
        demo.app.state.settings = before


def _session(demo):
    from web.db import session_scope

    return session_scope(demo.engine)


def lamp_says(phone, before: int, state: str) -> list[str]:
    return [text for text in notifies(phone)[before:]
            if re.search(r"^Event:\s*message-summary", text, re.M | re.I)
            and re.search(rf"^Messages-Waiting:\s*{state}", text, re.M | re.I)]


class Heard:
    """What the page's websocket was told, read by a thread (a receive has no timeout of its own)."""

    def __init__(self, ws):
        self.messages: list[dict] = []
        self.thread = threading.Thread(target=self._read, args=(ws,), daemon=True)
        self.thread.start()

    def _read(self, ws) -> None:
        try:
            while True:
                message = ws.receive_json()
                if message.get("kind") == "voicemail":
                    self.messages.append(message["data"])
        except Exception:  # the socket closed at the end of the test
            return

    def told(self, **data) -> bool:
        return any(all(message.get(key) == value for key, value in data.items()) for message in self.messages)


@needs_freeswitch
@pytest.mark.skipif(not Path(FS_LANG_DIR).exists(), reason=f"mod_voicemail needs FreeSWITCH's phrases ({FS_LANG_DIR})")
def test_a_message_left_by_a_caller_is_heard_and_deleted_in_the_portal(work, demo, server, fs, bridge, anna):
    server.start()
    domain, sip_user, password = to_the_users_box(demo)
    with Session(demo.engine) as db:
        box_id = db.exec(select(VoicemailBox.id).where(VoicemailBox.kind == "personal", VoicemailBox.name.like("Anna%"))).one()
    lamp = harness.Phone(work, "uas_notify")
    try:
        assert register(work, fs, sip_user, domain, password, expires=300, call_id=f"msg-{secrets.token_hex(4)}@{HOST}",
                        contact_port=lamp.port) == [200], fs.log_tail(60)
        before = len(notifies(lamp))
        assert anna.get("/api/me/voicemail/messages").json() == []
        with anna.websocket_connect("/api/me/voicemail/live") as socket:
            assert socket.receive_json()["kind"] == "snapshot"
            live = Heard(socket)

            # a caller leaves a message: the box's recount reaches the page's socket, the API lists it
            assert 200 in speaking_call(work, fs, "0612000099", seconds=6), fs.log_tail(200)
            assert wait_for(lambda: live.told(box_id=box_id, new=1, saved=0), 20), live.messages
            listed = wait_for(lambda: anna.get("/api/me/voicemail/messages").json(), 20)
            assert listed, fs.log_tail(100)
            [message] = listed
            assert message["box_id"] == box_id and message["caller_number"].endswith("612000099")
            assert message["heard"] is False and message["seconds"] >= 3
            assert wait_for(lambda: lamp_says(lamp, before, "yes"), 20), lamp.received()[-2000:]
            folder = Path(fs_env(fs, "CALLPLAN_VOICEMAIL_DIR")) / domain / "201"
            [wav] = list(folder.glob("msg_*.wav"))
            played = anna.get(message["audio_url"])
            assert played.status_code == 200 and played.content == wav.read_bytes()
            # the API tests' stand-in answers with the same headers as the real thing
            real = json.loads(fs.api(f"vm_fsdb_msg_get json default {domain} 201 {message['id']}"))
            double = ModVoicemail(storage_dir=work / "double")
            made = double.leave("201", domain, write_file=False)
            assert set(json.loads(double.get(f"vm_fsdb_msg_get json default {domain} 201 {made.uuid}"))) == set(real), real
            listed = json.loads(fs.api(f"vm_fsdb_msg_list json default {domain} 201 inbox not-read"))
            assert listed["VM-List-Count"] == "1" and listed["VM-List-Message-1-UUID"] == message["id"], listed

            # heard in the portal: mod_voicemail recounts and the phone's lamp goes out
            path = f"/api/me/voicemail/boxes/{box_id}/messages/{message['id']}"
            lit = len(notifies(lamp))
            heard = anna.patch(path, json={"heard": True})
            assert heard.status_code == 200 and heard.json()["heard"] is True, heard.text
            assert wait_for(lambda: lamp_says(lamp, lit, "no"), 20), f"{lamp.received()[-2000:]}\n{fs.log_tail(80)}"
            assert wait_for(lambda: live.told(box_id=box_id, new=0, saved=1), 20), live.messages
            # vm_list: created:read:user:domain:folder:path:uuid:...; read is when it was heard
            [line] = [line for line in fs.api(f"vm_list 201@{domain}").splitlines() if message["id"] in line]
            assert line.split(":")[1] not in ("", "0"), line

            # deleted in the portal: gone from mod_voicemail, its file too
            gone = anna.delete(path)
            assert gone.status_code == 204, gone.text
            assert message["id"] not in fs.api(f"vm_list 201@{domain}")
            assert not wav.exists()
            assert anna.get("/api/me/voicemail/messages").json() == []
            assert wait_for(lambda: live.told(box_id=box_id, new=0, saved=0), 20), live.messages

            # and one deleted on FreeSWITCH's side (the phone's menu, the bridge after mailing) is gone here
            assert 200 in speaking_call(work, fs, "0612000098", seconds=6), fs.log_tail(200)
            assert wait_for(lambda: anna.get("/api/me/voicemail/messages").json(), 20)
            assert "-ERR" not in fs.api(f"vm_delete 201@{domain}")
            assert wait_for(lambda: anna.get("/api/me/voicemail/messages").json() == [], 10)
    finally:
        lamp.stop()
