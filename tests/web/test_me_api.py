"""My phone (#15 item 1): /api/me for a logged-in user, on SQLite and PostgreSQL.

A user reads and changes their own forwarding, do-not-disturb, voicemail (behaviour, box, greetings),
mobile and caller ID, sees their own calls and phones, and keeps contacts of their own; bad input is a
422 naming the field. The route walk calls every route a user may call (role user: the permission table)
with the ids of another user's rows and proves that none of them shows or changes that user's settings,
calls, phones, greetings or contacts."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from starlette.testclient import TestClient

from tests.web.factories_audio import wav_bytes
from tests.web.factories_call_records import make_call_record
from tests.web.factories_devices import make_device
from tests.web.helpers import make_account, make_tenant, make_token
from tests.web.routes import api_routes, fill
from web.models.pbx_user import PbxUser
from web.models.personal_contact import PersonalContact
from web.models.phone_number import PhoneNumber
from web.permissions import allowed

DOMAIN = "acme.pbx.test"


def bearer(app, db, account) -> TestClient:
    return TestClient(app, headers={"authorization": f"Bearer {make_token(db, account)}"})


class Person:
    """A PBX user with a portal login of role `user`, and its client."""

    def __init__(self, app, db, settings, admin, tenant, first, extension):
        self.account = make_account(db, settings, tenant.id, f"{first.lower()}@{DOMAIN}", role="user")
        answer = admin.post("/api/users", json={"first_name": first, "last_name": "Test", "extension": extension,
                                                "email": f"{first.lower()}@{DOMAIN}"})
        assert answer.status_code == 201, answer.text
        self.user = admin.patch(f"/api/users/{answer.json()['id']}", json={"account_id": self.account.id}).json()
        self.id = self.user["id"]
        self.box_id = self.user["voicemail_box_id"]
        self.client = bearer(app, db, self.account)
        self.make_client = lambda: bearer(app, db, self.account)


@pytest.fixture
def company(app, db, settings):
    tenant = make_tenant(db, sip_domain=DOMAIN, company_number="+31201234500")
    with db() as session:
        for number in ("+31201234500", "+31201234502"):
            session.add(PhoneNumber(tenant_id=tenant.id, number=number))
    admin_account = make_account(db, settings, tenant.id, f"admin@{DOMAIN}")
    admin = bearer(app, db, admin_account)

    class Company:
        pass

    c = Company()
    c.tenant, c.admin = tenant, admin
    c.anna = Person(app, db, settings, admin, tenant, "Anna", "201")
    c.bram = Person(app, db, settings, admin, tenant, "Bram", "202")
    return c


def test_my_settings_are_read_and_changed_and_reach_the_users_record(company):
    anna = company.anna.client
    mine = anna.get("/api/me")
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert (body["id"], body["extension"], body["first_name"]) == (company.anna.id, "201", "Anna")
    assert body["caller_id_choices"] == ["company"] and body["caller_id_numbers"] == {"company": "+31201234500"}
    assert body["feature_codes"]["voicemail"] == "*97" and body["feature_codes"]["dnd_toggle"] == "*78"
    assert body["greetings"] == {"busy": None, "unavailable": None}

    change = {"dnd": True,
              "forwarding": {**body["forwarding"], "always": {"enabled": True, "to": {"type": "external", "number": "+31612345678"}},
                             "no_answer": {"enabled": True, "after_s": 15, "to": {"type": "voicemail_box", "id": company.anna.box_id}}},
              "anywhere": {"enabled": True, "number": "+31687654321"},
              "voicemail": {**body["voicemail"], "when": "no_answer", "after_rings": 4},
              "withhold_caller_id": True}
    saved = anna.patch("/api/me", json=change)
    assert saved.status_code == 200, saved.text
    stored = company.admin.get(f"/api/users/{company.anna.id}").json()
    assert stored["dnd"] is True and stored["withhold_caller_id"] is True
    assert stored["forwarding"]["always"] == {"enabled": True, "to": {"type": "external", "id": None, "number": "+31612345678"}}
    assert stored["forwarding"]["no_answer"]["after_s"] == 15
    assert stored["anywhere"] == {"enabled": True, "number": "+31687654321"}
    assert (stored["voicemail"]["when"], stored["voicemail"]["after_rings"]) == ("no_answer", 4)
    # Bram's record is untouched
    assert company.admin.get(f"/api/users/{company.bram.id}").json()["dnd"] is False
    # only what was sent changes
    assert anna.patch("/api/me", json={"dnd": False}).json()["forwarding"]["always"]["enabled"] is True


def pointers(answer) -> list[str]:
    return [error["pointer"] for error in answer.json().get("errors", [])]


def test_bad_input_is_a_422_naming_the_field(company):
    anna = company.anna.client
    current = anna.get("/api/me").json()
    cases = [
        ({"forwarding": {"always": {"enabled": True, "to": {"type": "ring_group", "id": 1}}}}, "/forwarding/always/to/type"),
        ({"forwarding": {"busy": {"enabled": True, "to": {"type": "voicemail_box", "id": company.bram.box_id}}}}, "/forwarding/busy/to/id"),
        ({"voicemail": {**current["voicemail"], "busy_greeting_audio_id": 5}}, "/voicemail/busy_greeting_audio_id"),
        ({"caller_id_mode": "own"}, "/caller_id_mode"),
        ({"anywhere": {"enabled": True, "number": "call me"}}, "/anywhere/number"),
        ({"user_id": company.bram.id}, "/user_id"),
        ({"extension": "299"}, "/extension"),
        ({"forwarding": {"no_answer": {"enabled": True, "after_s": 2}}}, "/forwarding/no_answer/after_s"),
    ]
    for body, pointer in cases:
        answer = anna.patch("/api/me", json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert pointer in pointers(answer), (body, answer.json())
    assert company.admin.get(f"/api/users/{company.anna.id}").json()["forwarding"] == current["forwarding"]
    assert anna.patch("/api/me/voicemail-box", json={"pin": "12"}).status_code == 422
    assert pointers(anna.patch("/api/me/voicemail-box", json={"pin": "12"})) == ["/pin"]
    assert pointers(anna.post("/api/me/contacts", json={"name": "Piet", "number": "not a number"})) == ["/number"]
    assert pointers(anna.get("/api/me/calls?kind=lost")) == ["/kind"]


def test_the_caller_id_is_chosen_among_the_numbers_the_company_gives_the_user(company):
    company.admin.patch(f"/api/users/{company.anna.id}", json={"direct_number": "+31201234502"})
    anna = company.anna.client
    mine = anna.get("/api/me").json()
    assert mine["caller_id_choices"] == ["company", "own"] and mine["caller_id_numbers"]["own"] == "+31201234502"
    assert anna.patch("/api/me", json={"caller_id_mode": "own"}).json()["caller_id_mode"] == "own"
    assert company.admin.get(f"/api/users/{company.anna.id}").json()["caller_id_mode"] == "own"
    assert anna.patch("/api/me", json={"caller_id_mode": "department"}).status_code == 422


def test_a_login_without_a_pbx_user_is_told_so(app, db, settings, company):
    lonely = bearer(app, db, make_account(db, settings, company.tenant.id, f"lonely@{DOMAIN}", role="user"))
    for path in ("/api/me", "/api/me/calls", "/api/me/phones", "/api/me/contacts", "/api/me/voicemail-box"):
        answer = lonely.get(path)
        assert (answer.status_code, answer.json()["title"] != "") == (409, True), path
        assert answer.json()["type"].endswith("no_pbx_user")
    assert lonely.delete("/api/me/contacts/1").status_code == 404


def test_my_voicemail_box_mail_and_pin(company, db):
    anna = company.anna.client
    box = anna.get("/api/me/voicemail-box").json()
    assert box["id"] == company.anna.box_id and "pin" not in box
    saved = anna.patch("/api/me/voicemail-box", json={"email": "anna.private@example.com", "attach_audio": False, "pin": "4321"})
    assert saved.status_code == 200, saved.text
    assert "pin" not in saved.json()
    stored = company.admin.get(f"/api/voicemail-boxes/{company.anna.box_id}").json()
    assert (stored["email"], stored["attach_audio"]) == ("anna.private@example.com", False)
    from web.models.voicemail_box import VoicemailBox

    with db() as session:
        assert session.get(VoicemailBox, company.anna.box_id).pin == "4321"
        assert session.get(VoicemailBox, company.bram.box_id).pin != "4321"


def test_greetings_upload_play_replace_and_remove(company, settings):
    anna = company.anna.client
    upload = lambda: anna.put("/api/me/greetings/busy", files={"file": ("busy.wav", wav_bytes(), "audio/wav")})  # noqa: E731
    first = upload()
    assert first.status_code == 200, first.text
    greeting = first.json()["greetings"]["busy"]
    assert greeting["name"] == "Anna Test (201): busy greeting" and greeting["duration_ms"] > 0
    stored = company.admin.get(f"/api/users/{company.anna.id}").json()["voicemail"]
    assert stored["busy_greeting_audio_id"] == greeting["audio_id"] and stored["unavailable_greeting_audio_id"] is None
    played = anna.get("/api/me/greetings/busy/file")
    assert played.status_code == 200 and played.headers["content-type"] == "audio/wav" and played.content[:4] == b"RIFF"
    assert anna.get("/api/me/greetings/unavailable/file").status_code == 404
    assert anna.get("/api/me/greetings/other/file").status_code == 404
    # a form with more than the file, or no sound, is refused on its field
    assert pointers(anna.put("/api/me/greetings/busy", data={"name": "x"}, files={"file": ("a.wav", wav_bytes(), "audio/wav")})) == ["/name"]
    assert pointers(anna.put("/api/me/greetings/busy", files={"file": ("a.wav", b"not a sound", "audio/wav")})) == ["/file"]
    # replacing drops the old sound (the user's own upload, used by nothing else)
    second = upload().json()["greetings"]["busy"]
    audio_ids = {row["id"] for row in company.admin.get("/api/audio").json()}
    assert second["audio_id"] in audio_ids and greeting["audio_id"] not in audio_ids
    # Bram hears nothing of Anna's
    assert company.bram.client.get("/api/me/greetings/busy/file").status_code == 404
    removed = anna.delete("/api/me/greetings/busy")
    assert removed.status_code == 200 and removed.json()["greetings"]["busy"] is None
    assert company.admin.get("/api/audio").json() == []


def test_my_calls_made_received_and_missed(company, db, settings):
    tenant_id = company.tenant.id
    at = lambda minute: datetime(2026, 11, 20, 9, minute, tzinfo=timezone.utc)  # noqa: E731
    made = make_call_record(db, settings, tenant_id, caller_number="201", dialled_number="0612345678", started_at=at(1))
    received = make_call_record(db, settings, tenant_id, direction="inbound", caller_number="+31301112233", caller_name="Client",
                                dialled_number="+31201234500", callee_number="201", answered_by_user_id=company.anna.id, started_at=at(2))
    missed = make_call_record(db, settings, tenant_id, direction="internal", caller_number="202", caller_name="Bram",
                              dialled_number="201", callee_number="201", answered_at=None, missed=True, started_at=at(3))
    brams = make_call_record(db, settings, tenant_id, caller_number="202", dialled_number="0698765432", started_at=at(4))
    anna = company.anna.client
    page = anna.get("/api/me/calls").json()
    assert page["total"] == 3
    assert [(row["id"], row["kind"], row["other_number"]) for row in page["items"]] == [
        (missed, "missed", "202"), (received, "received", "+31301112233"), (made, "made", "0612345678")]
    assert [row["id"] for row in anna.get("/api/me/calls?kind=missed").json()["items"]] == [missed]
    assert [row["id"] for row in anna.get("/api/me/calls?kind=made").json()["items"]] == [made]
    assert [row["id"] for row in anna.get("/api/me/calls?kind=received").json()["items"]] == [received]
    brams_page = company.bram.client.get("/api/me/calls").json()
    assert [(row["id"], row["kind"]) for row in brams_page["items"]] == [(brams, "made"), (missed, "made")]
    assert anna.get("/api/me/calls?number=0698").json()["total"] == 0


def test_my_phones_with_their_registration(company, db, settings):
    tenant_id = company.tenant.id
    desk = make_device(db, settings, tenant_id, name="Anna's desk", user_id=company.anna.id, registered=True)
    make_device(db, settings, tenant_id, name="Anna's softphone", user_id=company.anna.id)
    make_device(db, settings, tenant_id, name="Bram's desk", user_id=company.bram.id, registered=True)
    phones = company.anna.client.get("/api/me/phones").json()
    assert [(p["name"], p["registered"]) for p in phones] == [("Anna's desk", True), ("Anna's softphone", False)]
    assert phones[0]["id"] == desk and not any("password" in key for key in phones[0])


def test_personal_contacts_add_import_delete_and_only_ones_own(company, db):
    anna, bram = company.anna.client, company.bram.client
    added = anna.post("/api/me/contacts", json={"name": "Mum", "number": "+31611111111"})
    assert added.status_code == 201, added.text
    contact_id = added.json()["id"]
    assert anna.post("/api/me/contacts", json={"name": "Mum again", "number": "+31611111111"}).status_code == 409
    # the same number in Bram's own list is his business
    assert bram.post("/api/me/contacts", json={"name": "Anna's mum", "number": "+31611111111"}).status_code == 201
    csv = "name;number;company\nPlumber;0201112233;Pipes Ltd\nMum;+31611111111;\nBad row;letters\n"
    preview = anna.post("/api/me/contacts/import/preview", json={"csv": csv, "mode": "good_rows"}).json()
    assert ([row["name"] for row in preview["rows"]], [e["line"] for e in preview["errors"]], len(preview["warnings"])) == (["Plumber"], [4], 1)
    assert anna.post("/api/me/contacts/import", json={"csv": csv}).status_code == 422  # all or nothing by default
    imported = anna.post("/api/me/contacts/import", json={"csv": csv, "mode": "good_rows"}).json()
    assert imported["imported"] == 1
    assert [(c["name"], c["company"]) for c in anna.get("/api/me/contacts").json()] == [("Mum", None), ("Plumber", "Pipes Ltd")]
    assert [c["name"] for c in bram.get("/api/me/contacts").json()] == ["Anna's mum"]
    # the company phonebook does not change
    assert company.admin.get("/api/phonebook").json() == []
    # Bram cannot read, change or delete Anna's contact: it is not found, as a contact that does not exist
    assert [bram.get(f"/api/me/contacts/{contact_id}").status_code, bram.patch(f"/api/me/contacts/{contact_id}", json={"name": "x"}).status_code,
            bram.delete(f"/api/me/contacts/{contact_id}").status_code] == [404, 404, 404]
    assert anna.patch(f"/api/me/contacts/{contact_id}", json={"note": "call on Sundays"}).json()["note"] == "call on Sundays"
    assert anna.delete(f"/api/me/contacts/{contact_id}").status_code == 204
    assert [c["name"] for c in anna.get("/api/me/contacts").json()] == ["Plumber"]
    # a personal contact has no blocked mark: a company export's blocked column is read as nothing
    exported = "name;number;blocked\nPlumber two;0201112244;yes\nOdd;0201112255;maybe\n"
    assert anna.post("/api/me/contacts/import", json={"csv": exported}).json()["imported"] == 2
    assert not any("blocked" in contact for contact in anna.get("/api/me/contacts").json())
    # a user's contacts go with the user
    company.admin.delete(f"/api/users/{company.anna.id}")
    from sqlmodel import select

    with db() as session:
        assert session.exec(select(PersonalContact).where(PersonalContact.user_id == company.anna.id)).all() == []


# --- the route walk ------------------------------------------------------------------------------------


def brams_world(company, db, settings) -> tuple[dict, list[str]]:
    """Bram's rows (ids by kind) and marker texts that only his data holds."""
    bram = company.bram.client
    markers = ["+31699990001", "+31699990002", "Bram's secret contact", "+31699990003", "0699990004", "bram.private@example.com"]
    forwarding = bram.get("/api/me").json()["forwarding"]
    assert bram.patch("/api/me", json={
        "dnd": True, "anywhere": {"enabled": True, "number": markers[0]},
        "forwarding": {**forwarding, "busy": {"enabled": True, "to": {"type": "external", "number": markers[1]}}}}).status_code == 200
    contact = bram.post("/api/me/contacts", json={"name": markers[2], "number": markers[3]}).json()["id"]
    call = make_call_record(db, settings, company.tenant.id, caller_number="202", dialled_number=markers[4], callee_number=markers[4])
    device = make_device(db, settings, company.tenant.id, name="Bram's hidden desk phone", user_id=company.bram.id, registered=True)
    markers.append("Bram's hidden desk phone")
    assert bram.patch("/api/me/voicemail-box", json={"email": markers[5], "pin": "8642"}).status_code == 200
    greeting = bram.put("/api/me/greetings/unavailable", files={"file": ("b.wav", wav_bytes(), "audio/wav")}).json()
    ids = {"user": company.bram.id, "box": company.bram.box_id, "contact": contact, "call": call, "device": device,
           "audio": greeting["greetings"]["unavailable"]["audio_id"]}
    return ids, markers


def brams_state(company, db) -> str:
    """Everything of Bram's, as the admin and the database see it."""
    from sqlmodel import select

    from web.models.voicemail_box import VoicemailBox

    admin = company.admin
    with db() as session:
        pin = session.get(VoicemailBox, company.bram.box_id).pin
        contacts = sorted((c.name, c.number, c.note or "") for c in session.exec(
            select(PersonalContact).where(PersonalContact.user_id == company.bram.id)).all())
    return json.dumps([admin.get(f"/api/users/{company.bram.id}").json(), admin.get(f"/api/voicemail-boxes/{company.bram.box_id}").json(),
                       pin, contacts, [d for d in admin.get("/api/devices").json() if d["user_id"] == company.bram.id],
                       [a for a in admin.get("/api/audio").json() if a["name"].startswith("Bram")]], sort_keys=True, default=str)


def user_routes(app):
    return [route for route in api_routes(app) if allowed("user", route.permission)]


def test_a_user_can_neither_read_nor_change_another_users_data_on_any_route_open_to_users(app, db, settings, company):
    ids, markers = brams_world(company, db, settings)
    before = brams_state(company, db)
    routes = user_routes(app)
    assert len(routes) > 20 and any(route.path == "/api/me" for route in routes)
    walked = 0
    for route in routes:
        if route.path in ("/api/auth/logout",):
            continue
        # every id Bram's rows have, in whatever place the route takes an id
        values = [{name: value for name in ("id", "user_id", "which")} for value in set(ids.values())] if "{" in route.path else [{}]
        if "{which}" in route.path:
            values = [{"which": which} for which in ("busy", "unavailable", str(company.bram.id))]
        for path_values in values:
            path = fill(route.path, **path_values)
            bodies = [None]
            if route.body_model is not None:
                bodies = [{}, {"user_id": company.bram.id}, {"id": company.bram.id},
                          {"name": "hijack", "number": "+31600000000"}, {"dnd": False}, {"email": "x@example.com", "pin": "0000"},
                          {"csv": "name;number\nhijack;+31600000001\n", "replace": True, "mode": "good_rows"}]
            for body in bodies:
                client = company.anna.make_client()  # fresh: a route may end the session
                query = f"?user_id={company.bram.id}&id={ids['call']}" if route.method == "GET" else ""
                if body is None and route.method == "PUT":
                    answer = client.put(path, files={"file": ("x.wav", wav_bytes(), "audio/wav")})
                else:
                    answer = client.request(route.method, path + query, json=body) if body is not None else \
                        client.request(route.method, path + query)
                walked += 1
                # without a FreeSWITCH, routes that ask it (voicemail messages: #15 item 2) say so, and show nothing
                switch_away = answer.status_code == 503 and answer.json().get("code") == "freeswitch_unavailable"
                assert answer.status_code < 500 or switch_away, (route.method, path, answer.text)
                text = answer.text
                for marker in markers:
                    assert marker not in text, (route.method, path, body, marker, text[:500])
    assert walked > 100
    assert brams_state(company, db) == before
    # and Anna's own changes went to Anna: the walk's PATCH /api/me {"dnd": false} etc. touched her only
    assert company.admin.get(f"/api/users/{company.bram.id}").json()["dnd"] is True
