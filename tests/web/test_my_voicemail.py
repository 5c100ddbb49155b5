"""Voicemail messages in the portal (#15 item 2), through mod_voicemail's API on the test ESL server (the
real protocol; the commands answered as mod_voicemail.c answers them, tests/web/voicemail_switch.py):
who reads which box (own box, company boxes granted, admins every company box, nobody another person's
box), the list, the WAV, heard and deleted with the lamp following, the exact commands, and every route
refusing another user's messages. On SQLite and PostgreSQL."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import fast_settings
from tests.fs_bridge.esl_server import EslServer
from tests.web.helpers import make_account, make_tenant, make_token
from tests.web.voicemail_switch import ModVoicemail
from web.app import create_app
from web.models.pbx_user import PbxUser
from web.models.voicemail_box import VoicemailBox
from web.scoping import scoped

ESL_PASSWORD = "esl-secret"
DOMAIN = "acme.pbx.test"
MESSAGES = "/api/me/voicemail/messages"


@pytest.fixture
def switch(tmp_path):
    voicemail = ModVoicemail(storage_dir=tmp_path / "voicemail")
    server = EslServer(password=ESL_PASSWORD, api_answers=voicemail)
    server.voicemail = voicemail
    yield server
    server.close()


@pytest.fixture
def settings(database_url, tmp_path, switch):
    return fast_settings(database_url, audio_dir=str(tmp_path / "audio"), esl_port=switch.port,
                         esl_password=ESL_PASSWORD, voicemail_dir=str(tmp_path / "voicemail"))


class Office:
    """A company with Anna (201) and Bob (202), each with a login and a personal box, a company box Sales
    (900) that Anna may read, an admin with no phone, and an API client for each."""

    def __init__(self, app, db, settings, domain=DOMAIN):
        self.app, self.db, self.settings = app, db, settings
        self.tenant = make_tenant(db, name=domain.split(".")[0], sip_domain=domain)
        self.admin = self._client(make_account(db, settings, self.tenant.id, f"admin@{domain}", role="admin"))
        self.anna, self.anna_id = self._person("Anna", "201", "user")
        self.bob, self.bob_id = self._person("Bob", "202", "user")
        made = self.admin.post("/api/voicemail-boxes", json={"name": "Sales", "extension": "900", "pin": "4321",
                                                              "readers": [self.anna_id]})
        assert made.status_code == 201, made.text
        self.sales = made.json()["id"]
        with db() as session:
            boxes = {b.user_id: b.id for b in session.exec(scoped(VoicemailBox, self.tenant.id)).all()}
        self.anna_box, self.bob_box = boxes[self.anna_id], boxes[self.bob_id]

    def _client(self, account) -> TestClient:
        return TestClient(self.app, headers={"authorization": f"Bearer {make_token(self.db, account)}"})

    def _person(self, name: str, extension: str, role: str):
        made = self.admin.post("/api/users", json={"first_name": name, "extension": extension})
        assert made.status_code == 201, made.text
        account = make_account(self.db, self.settings, self.tenant.id, f"{name.lower()}@{self.tenant.sip_domain}", role=role)
        with self.db() as session:
            user = session.get(PbxUser, made.json()["id"])
            user.account_id = account.id
            session.add(user)
        return self._client(account), made.json()["id"]


@pytest.fixture
def office(app, db, settings):
    return Office(app, db, settings)


def ids(client) -> set[str]:
    answer = client.get(MESSAGES)
    assert answer.status_code == 200, answer.text
    return {message["id"] for message in answer.json()}


def test_each_reads_the_own_box_and_the_company_boxes_granted(office, switch):
    vm = switch.voicemail
    for_anna = vm.leave("201", DOMAIN, caller_number="+31612340001", caller_name="Jan", seconds=12, created=1773133200)
    for_bob = vm.leave("202", DOMAIN)
    for_sales = vm.leave("900", DOMAIN, created=1773133300)
    elsewhere = vm.leave("201", "other.pbx.test")  # the same box number in another company

    boxes = office.anna.get("/api/me/voicemail/boxes").json()
    assert [(b["name"], b["number"], b["kind"], b["mine"]) for b in boxes] == [
        ("Anna", "201", "personal", True), ("Sales", "900", "company", False)]
    answer = office.anna.get(MESSAGES).json()
    assert [m["id"] for m in answer] == [for_sales.uuid, for_anna.uuid]  # newest first
    mine = answer[1]
    assert mine == {"id": for_anna.uuid, "box_id": office.anna_box, "caller_number": "+31612340001", "caller_name": "Jan",
                    "received_at": "2026-03-10T09:00:00Z", "heard": False, "heard_at": None, "seconds": 12,
                    "audio_url": f"/api/me/voicemail/boxes/{office.anna_box}/messages/{for_anna.uuid}/audio"}
    assert ids(office.bob) == {for_bob.uuid}
    # the admin reads the company's boxes, not its people's
    assert [b["name"] for b in office.admin.get("/api/me/voicemail/boxes").json()] == ["Sales"]
    assert ids(office.admin) == {for_sales.uuid}
    assert elsewhere.uuid not in ids(office.anna) | ids(office.bob)
    # the box's list on its own
    assert [m["id"] for m in office.anna.get(f"/api/me/voicemail/boxes/{office.sales}/messages").json()] == [for_sales.uuid]


def test_a_grant_given_and_taken_away(office, switch):
    for_sales = switch.voicemail.leave("900", DOMAIN)
    assert ids(office.bob) == set()
    assert office.admin.patch(f"/api/voicemail-boxes/{office.sales}", json={"readers": [office.bob_id]}).status_code == 200
    assert ids(office.bob) == {for_sales.uuid}
    assert ids(office.anna) == set()
    # readers are the company's users, each once; a personal box is its user's alone
    for readers, pointer in (([999999], "/readers/0"), ([office.bob_id, office.bob_id], "/readers/1")):
        refused = office.admin.patch(f"/api/voicemail-boxes/{office.sales}", json={"readers": readers})
        assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == pointer, refused.text
    refused = office.admin.patch(f"/api/voicemail-boxes/{office.bob_box}", json={"readers": [office.anna_id]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/readers"
    # a reader is a use: deleting the user says where
    used = office.admin.delete(f"/api/users/{office.bob_id}")
    assert used.status_code == 409 and used.json()["used_by"][0]["where"] == "/readers/0", used.text


def test_heard_puts_the_lamp_out_and_new_again_lights_it(office, switch):
    vm = switch.voicemail
    message = vm.leave("201", DOMAIN)
    assert vm.mwi[-1] == (f"201@{DOMAIN}", "yes", "1/0")
    path = f"/api/me/voicemail/boxes/{office.anna_box}/messages/{message.uuid}"
    heard = office.anna.patch(path, json={"heard": True})
    assert heard.status_code == 200, heard.text
    assert heard.json()["heard"] is True and heard.json()["heard_at"]
    assert vm.commands[-2] == f"vm_read 201@{DOMAIN} read {message.uuid}"  # always with its uuid
    assert vm.mwi[-1] == (f"201@{DOMAIN}", "no", "0/1")
    assert office.anna.get(MESSAGES).json()[0]["heard"] is True
    again = office.anna.patch(path, json={"heard": False})
    assert again.json()["heard"] is False and vm.mwi[-1] == (f"201@{DOMAIN}", "yes", "1/0")
    refused = office.anna.patch(path, json={"heard": "yes please"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/heard"


def test_play_download_and_delete(office, switch, tmp_path):
    vm = switch.voicemail
    message = vm.leave("201", DOMAIN, created=1773133200)
    kept = vm.leave("201", DOMAIN)
    path = f"/api/me/voicemail/boxes/{office.anna_box}/messages/{message.uuid}"
    played = office.anna.get(f"{path}/audio")
    assert played.status_code == 200 and played.headers["content-type"] == "audio/wav"
    assert played.headers["content-disposition"].startswith("inline")
    assert played.content == Path(message.file_path).read_bytes()
    saved = office.anna.get(f"{path}/audio?download=1")
    assert saved.headers["content-disposition"].startswith("attachment")
    assert 'filename="voicemail-201-20260310-0900.wav"' in saved.headers["content-disposition"]
    with wave.open(str(message.file_path)) as sound:
        assert sound.getframerate() == 8000

    gone = office.anna.delete(path)
    assert gone.status_code == 204, gone.text
    assert vm.commands[-1] == f"vm_delete 201@{DOMAIN} {message.uuid}"
    assert not Path(message.file_path).exists() and [row.uuid for row in vm.of("201", DOMAIN)] == [kept.uuid]
    assert ids(office.anna) == {kept.uuid}
    assert office.anna.get(path).status_code == 404
    assert office.anna.delete(path).status_code == 404


def test_a_file_missing_from_the_shared_folder_is_a_404_that_says_so(office, switch):
    message = switch.voicemail.leave("201", DOMAIN, write_file=False)
    answer = office.anna.get(f"/api/me/voicemail/boxes/{office.anna_box}/messages/{message.uuid}/audio")
    assert answer.status_code == 404 and answer.json()["code"] == "voicemail_file_missing"


def test_another_users_messages_answer_like_none_on_every_route(office, switch):
    """The route walk: every /api/me/voicemail route, with Bob's box and message, as Anna (and as the
    admin, who reads company boxes only). Bob's message is untouched afterwards: mod_voicemail's vm_read
    and vm_delete act on a uuid whatever box they name, so none of them may have been sent."""
    vm = switch.voicemail
    bobs = vm.leave("202", DOMAIN)
    vm.leave("201", DOMAIN)
    routes = [route for route in office.app.routes if getattr(route, "path", "").startswith("/api/me/voicemail/boxes/{")]
    assert len(routes) == 5
    for client in (office.anna, office.admin):
        for route in routes:
            # Bob's box; and Bob's message named in any box, his own included
            for box in (office.bob_box, office.anna_box, office.sales) if "{uuid}" in route.path else (office.bob_box,):
                path = route.path.replace("{box_id:int}", str(box)).replace("{uuid}", bobs.uuid)
                answer = client.request(route.method, path, json={"heard": True} if route.method == "PATCH" else None)
                assert answer.status_code == 404, (route.method, path, answer.status_code, answer.text)
    assert [c for c in vm.commands if c.startswith(("vm_read", "vm_delete"))] == []
    assert vm.of("202", DOMAIN)[0].read_epoch == 0 and Path(bobs.file_path).exists()
    assert office.bob.get(MESSAGES).json()[0]["heard"] is False


def test_another_company_sees_nothing(office, switch, app, db, settings):
    switch.voicemail.leave("900", DOMAIN)
    other = Office(app, db, settings, domain="other.pbx.test")
    assert [b["name"] for b in other.admin.get("/api/me/voicemail/boxes").json()] == ["Sales"]
    assert ids(other.admin) == set()
    assert other.admin.get(f"/api/me/voicemail/boxes/{office.sales}/messages").status_code == 404


def test_a_login_without_a_phone_user_has_no_boxes(office, db, settings, app):
    reports = make_account(db, settings, office.tenant.id, f"reports@{DOMAIN}", role="reports")
    client = TestClient(app, headers={"authorization": f"Bearer {make_token(db, reports)}"})
    assert client.get(MESSAGES).json() == [] and client.get("/api/me/voicemail/boxes").json() == []


def test_bad_ids_and_freeswitch_away(office, switch, database_url, tmp_path):
    path = f"/api/me/voicemail/boxes/{office.anna_box}/messages"
    refused = office.anna.get(f"{path}/not-a-uuid")
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/uuid"
    assert office.anna.get(f"{path}/{'0' * 8}-0000-0000-0000-{'0' * 12}").status_code == 404
    switch.close()
    away = office.anna.get(MESSAGES)
    assert away.status_code == 503 and away.json()["code"] == "freeswitch_unavailable"
    assert away.headers["retry-after"] == "10"


def test_a_refusing_switch_is_a_502(office, switch, monkeypatch):
    monkeypatch.setattr(switch.voicemail, "_list", lambda args: "-ERR Profile not found\n")
    answer = office.anna.get(MESSAGES)
    assert answer.status_code == 502 and answer.json()["code"] == "freeswitch_refused"
