"""Conference rooms (#18 item 2) through the API: the rooms with their number and PINs, and who is in one
now with mute / unmute / kick, asked of a test event socket (tests/fs_bridge/esl_server.py) that answers
as mod_conference does (tests/freeswitch/test_conference_on_freeswitch.py does the same on a real one)."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from tests.conftest import fast_settings
from tests.fs_bridge.esl_server import EslServer
from tests.web.helpers import make_account, make_tenant, make_token
from web.domain.conference_live import parse_members

ESL_PASSWORD = "esl-secret"


def json_list(name: str, *members: dict) -> str:
    """`conference <name> json_list` as mod_conference 1.10 answers it (mod_conference.c
    conference_jlist), trimmed to what the app reads plus a recording node, which is no caller."""
    return json.dumps([{
        "conference_name": name, "member_count": len(members), "running": True, "dynamic": True,
        "members": [{"type": "recording_node", "record_path": "/tmp/x.wav", "join_time": 3}, *[
            {"type": "caller", "id": member["id"], "uuid": f"uuid-{member['id']}", "caller_id_name": member.get("name", ""),
             "caller_id_number": member.get("number", ""), "join_time": member.get("joined", 5), "last_talking": 0,
             "energy": 100, "flags": {"can_hear": True, "can_speak": not member.get("muted", False),
                                      "talking": False, "is_moderator": member.get("moderator", False), "hold": False}}
            for member in members]],
    }]) + "\n"


@pytest.fixture
def switch():
    server = EslServer(password=ESL_PASSWORD, api_answers={})
    yield server
    server.close()


@pytest.fixture
def settings(database_url, tmp_path, switch):
    return fast_settings(database_url, audio_dir=str(tmp_path / "audio"), esl_port=switch.port,
                         esl_password=ESL_PASSWORD, bridge_feed_port=0)


def company(app, db, settings, name: str, domain: str):
    tenant = make_tenant(db, name=name, sip_domain=domain)
    account = make_account(db, settings, tenant.id, f"admin@{domain}")
    client = TestClient(app, headers={"authorization": f"Bearer {make_token(db, account)}"})
    client.tenant_id = tenant.id
    return client


@pytest.fixture
def acme(app, db, settings):
    return company(app, db, settings, "Acme", "acme.pbx.test")


@pytest.fixture
def other(app, db, settings):
    return company(app, db, settings, "Other", "other.pbx.test")


def test_rooms_are_made_changed_and_deleted_with_their_number_and_pins(acme):
    created = acme.post("/api/conference-rooms", json={"name": " Board ", "extension": "800", "pin": "1234",
                                                        "moderator_pin": "9876", "max_members": 8})
    assert created.status_code == 201, created.text
    room = created.json()
    assert (room["name"], room["extension"], room["pin"], room["moderator_pin"], room["max_members"]) == \
        ("Board", "800", "1234", "9876", 8)
    assert acme.get("/api/conference-rooms").json() == [room]
    changed = acme.patch(f"/api/conference-rooms/{room['id']}", json={"pin": None, "moderator_pin": None})
    assert changed.status_code == 200 and changed.json()["pin"] is None, changed.text
    assert acme.patch(f"/api/conference-rooms/{room['id']}", json={"extension": "801"}).json()["extension"] == "801"
    # its old number is free again, its new one is taken in the company's one namespace
    assert acme.post("/api/ring-groups", json={"name": "Sales", "extension": "800"}).status_code == 201
    taken = acme.post("/api/ring-groups", json={"name": "Support", "extension": "801"})
    assert taken.status_code == 409 and taken.json()["errors"][0]["pointer"] == "/extension", taken.text
    assert acme.delete(f"/api/conference-rooms/{room['id']}").status_code == 204
    assert acme.get(f"/api/conference-rooms/{room['id']}").status_code == 404
    assert acme.post("/api/ring-groups", json={"name": "Support", "extension": "801"}).status_code == 201


@pytest.mark.parametrize("body, pointer", [
    ({"name": "R", "extension": "800", "pin": "12a4"}, "/pin"),
    ({"name": "R", "extension": "800", "pin": "12"}, "/pin"),
    ({"name": "R", "extension": "800", "moderator_pin": "1234"}, "/moderator_pin"),  # no participant PIN
    ({"name": "R", "extension": "800", "pin": "1234", "moderator_pin": "1234"}, "/moderator_pin"),
    ({"name": "R", "extension": "8"}, "/extension"),
    ({"name": "R", "extension": "800", "max_members": 101}, "/max_members"),
    ({"name": "", "extension": "800"}, "/name"),
    ({"name": "R", "extension": "800", "colour": "red"}, "/colour"),
])
def test_bad_input_is_refused_naming_the_field(acme, body, pointer):
    answer = acme.post("/api/conference-rooms", json=body)
    assert answer.status_code == 422, answer.text
    assert pointer in [error["pointer"] for error in answer.json()["errors"]], answer.text


def test_a_room_a_number_routes_to_cannot_be_deleted_and_says_what_uses_it(acme):
    room = acme.post("/api/conference-rooms", json={"name": "Board", "extension": "800"}).json()
    menu = acme.post("/api/ivr-menus", json={"name": "Main", "keys": {"3": {"action": "forward", "destination": {
        "type": "conference_room", "id": room["id"]}}}})
    assert menu.status_code == 201, menu.text
    refused = acme.delete(f"/api/conference-rooms/{room['id']}")
    assert refused.status_code == 409, refused.text
    assert [use["name"] for use in refused.json()["used_by"]] == ["Main"]
    usage = acme.get("/api/conference-rooms/used-by").json()
    assert usage == [{"id": room["id"], "used_by": refused.json()["used_by"]}]


def test_who_is_in_the_room_now_and_mute_unmute_kick(acme, switch):
    room = acme.post("/api/conference-rooms", json={"name": "Board", "extension": "800"}).json()
    name = f"t{acme.tenant_id}-{room['id']}"
    assert acme.get(f"/api/conference-rooms/{room['id']}/members").json() == []  # "-ERR ... not found": nobody
    switch.api_answers[f"conference {name} json_list"] = json_list(
        name, {"id": 7, "name": "Anna", "number": "201", "moderator": True, "joined": 61},
        {"id": 9, "name": "Bram", "number": "+31612345678", "muted": True})
    members = acme.get(f"/api/conference-rooms/{room['id']}/members").json()
    assert [(m["id"], m["caller_id_name"], m["muted"], m["moderator"], m["joined_s"]) for m in members] == [
        (7, "Anna", False, True, 61), (9, "Bram", True, False, 5)]
    for action, reply in (("mute", "OK mute 7\n"), ("unmute", "OK unmute 9\n"), ("kick", "OK kicked 7\n")):
        member = 7 if action != "unmute" else 9
        switch.api_answers[f"conference {name} {action} {member}"] = reply
        answer = acme.post(f"/api/conference-rooms/{room['id']}/members/{member}/{action}")
        assert answer.status_code == 204, answer.text
        assert switch.commands[-2:] == [f"api conference {name} {action} {member}", "exit"] or \
            f"api conference {name} {action} {member}" in switch.commands
    # a caller who has left already: mod_conference says so, the API answers 404
    assert acme.post(f"/api/conference-rooms/{room['id']}/members/12/kick").status_code == 404


def test_another_company_neither_sees_nor_touches_the_room(acme, other, switch):
    room = acme.post("/api/conference-rooms", json={"name": "Board", "extension": "800"}).json()
    assert other.get("/api/conference-rooms").json() == []
    for method, path in (("get", f"/api/conference-rooms/{room['id']}"), ("get", f"/api/conference-rooms/{room['id']}/members"),
                         ("post", f"/api/conference-rooms/{room['id']}/members/7/mute"),
                         ("post", f"/api/conference-rooms/{room['id']}/members/7/kick"),
                         ("patch", f"/api/conference-rooms/{room['id']}"), ("delete", f"/api/conference-rooms/{room['id']}")):
        kwargs = {"json": {"name": "Mine"}} if method == "patch" else {}
        assert getattr(other, method)(path, **kwargs).status_code == 404, (method, path)
    assert not any("conference" in command for command in switch.commands)  # never asked FreeSWITCH
    # the same number in another company is that company's own
    assert other.post("/api/conference-rooms", json={"name": "Ours", "extension": "800"}).status_code == 201


def test_without_freeswitch_the_live_list_says_so(app, acme):
    room = acme.post("/api/conference-rooms", json={"name": "Board", "extension": "800"}).json()
    settings = app.state.settings
    app.state.settings = type(settings)(**{**settings.__dict__, "esl_port": 1})  # nothing listens there
    answer = acme.get(f"/api/conference-rooms/{room['id']}/members")
    assert answer.status_code == 503 and answer.json()["code"] == "freeswitch_unavailable", answer.text


def test_parse_members_reads_only_the_rooms_callers():
    reply = json_list("t1-2", {"id": 3, "name": "A"})
    assert [m.id for m in parse_members(reply, "t1-2")] == [3]
    assert parse_members(reply, "t1-20") == []
    assert parse_members("-ERR Conference t1-2 not found\n", "t1-2") == []
    assert parse_members("[not json", "t1-2") == []
