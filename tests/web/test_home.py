"""The home page's numbers (GET /api/home, web/domain/home.py): the set-up checklist ticks as each thing
is done through the API, today's calls and the phones are counted, objects left out of calls and a bridge
that is down need attention, and one company's home shows nothing of another's; the operator's list of
companies with their counts (GET /api/platform/companies). On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from tests.web.factories_call_records import make_call_record
from tests.web.pbx import admin, operator, other_admin  # noqa: F401  (fixtures)
from tests.web.test_schedules import at_clock
from web import clock
from web.models.live import ActiveCall, SipRegistration

NUMBER = "+31201234500"
OFFICE = [{"from_day": "mon", "from_time": "08:00", "to_day": "mon", "to_time": "17:00"}]


def home(admin) -> dict:
    response = admin.client.get("/api/home")
    assert response.status_code == 200, response.text
    return response.json()


def ticked(admin) -> set[str]:
    return {item for item, done in home(admin)["checklist"].items() if done}


def ok(response, status=200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def register(db, tenant_id: int, sip_user: str, device_id=None, call_id=None, expires_in=300) -> None:
    with db() as session:
        session.add(SipRegistration(tenant_id=tenant_id, call_id=call_id or f"reg-{sip_user}-{expires_in}", sip_user=sip_user,
                                    realm="acme.pbx.test", device_id=device_id, contact=f"sip:{sip_user}@192.0.2.10",
                                    network_ip="192.0.2.10", user_agent="Yealink", expires_at=clock.now() + timedelta(seconds=expires_in)))


def test_the_checklist_ticks_as_each_thing_is_done(admin, db):
    start = home(admin)
    assert start["checklist"] == {"company_number": False, "user_with_phone": False, "phone_registered": False,
                                  "plan_on_number": False, "opening_hours": False, "voicemail_email": False}
    assert list(start["checklist"]) == ["company_number", "user_with_phone", "phone_registered", "plan_on_number",
                                        "opening_hours", "voicemail_email"]
    assert (start["calls_now"], start["missed_today"], start["phones_configured"], start["phones_registered"]) == (0, 0, 0, 0)

    admin.number(NUMBER)
    assert ticked(admin) == set()  # a number held is not yet the company number
    ok(admin.client.patch("/api/company", json={"company_number": NUMBER}))
    assert ticked(admin) == {"company_number"}

    anna = admin.user("201", "Anna")
    loose = admin.create("/api/devices", name="Spare phone")
    assert ticked(admin) == {"company_number"}  # a phone of nobody
    ok(admin.client.patch(f"/api/devices/{loose['id']}", json={"user_id": anna["id"]}))
    assert ticked(admin) == {"company_number", "user_with_phone"}
    assert home(admin)["phones_configured"] == 1

    register(db, admin.tenant.id, loose["sip_username"], expires_in=-5)  # expired: not registered
    assert "phone_registered" not in ticked(admin)
    register(db, admin.tenant.id, loose["sip_username"])  # found by its SIP user name
    assert "phone_registered" in ticked(admin)
    assert (home(admin)["phones_configured"], home(admin)["phones_registered"]) == (2 - 1, 1)

    plan = admin.create("/api/plans", name="Reception", numbers=[NUMBER], steps=[{"id": "s1", "type": "hang_up"}])
    assert "plan_on_number" not in ticked(admin)  # a draft answers nothing
    ok(admin.client.post(f"/api/plans/{plan['id']}/publish", json={}))
    assert "plan_on_number" in ticked(admin)

    admin.create("/api/schedules", name="Office", periods=OFFICE)
    assert "opening_hours" in ticked(admin)

    box = admin.create("/api/voicemail-boxes", name="Company voicemail", extension="999", pin="1999")
    assert "voicemail_email" not in ticked(admin)
    ok(admin.client.patch(f"/api/voicemail-boxes/{box['id']}", json={"email": "office@acme.test"}))
    assert ticked(admin) == {"company_number", "user_with_phone", "phone_registered", "plan_on_number",
                             "opening_hours", "voicemail_email"}

    # and unticks when undone
    ok(admin.client.patch(f"/api/voicemail-boxes/{box['id']}", json={"email": None}))
    assert "voicemail_email" not in ticked(admin)


def test_a_plan_on_an_extension_only_is_not_a_plan_on_a_number(admin):
    admin.number(NUMBER)
    plan = admin.create("/api/plans", name="Internal", numbers=["250"], steps=[{"id": "s1", "type": "hang_up"}])
    ok(admin.client.post(f"/api/plans/{plan['id']}/publish", json={}))
    assert "plan_on_number" not in ticked(admin)


def test_calls_now_missed_today_in_the_companys_day_and_phones(admin, db, settings):
    at_clock("2026-11-20T10:00:00+01:00")  # Friday morning in Amsterdam
    with db() as session:
        session.add(ActiveCall(tenant_id=admin.tenant.id, call_uuid="now-1", started_at=clock.now()))
        session.add(ActiveCall(tenant_id=admin.tenant.id, call_uuid="now-2", started_at=clock.now()))
    # missed since midnight in Amsterdam (23:30 UTC the day before counts), not before it; answered ones do not
    for started, missed in [("2026-11-19T23:30:00+00:00", True), ("2026-11-20T08:00:00+00:00", True),
                            ("2026-11-19T22:59:00+00:00", False), ("2026-11-19T22:30:00+00:00", True)]:
        from datetime import datetime

        make_call_record(db, settings, admin.tenant.id, started_at=datetime.fromisoformat(started), missed=missed,
                         direction="inbound")
    answer = home(admin)
    assert answer["calls_now"] == 2 and answer["missed_today"] == 2

    first = admin.create("/api/devices", name="Desk")
    admin.create("/api/devices", name="Kitchen")
    register(db, admin.tenant.id, "whoever", device_id=first["id"], call_id="a")
    register(db, admin.tenant.id, "whoever", device_id=first["id"], call_id="b")  # two bindings: one phone
    answer = home(admin)
    assert (answer["phones_configured"], answer["phones_registered"]) == (2, 1)


def test_the_bridge_down_and_bad_rows_need_attention(admin, db):
    answer = home(admin)
    assert answer["bridge"] == "down"
    assert answer["attention"] == [{"kind": "bridge", "id": None, "name": "", "pointer": "", "message": "down",
                                    "object_kept": False}]
    bram = admin.user("202", "Bram")
    with db() as session:
        session.execute(text("UPDATE pbx_user SET extension = :bad WHERE id = :id"), {"bad": "202\n", "id": bram["id"]})
        session.execute(text("UPDATE tenant SET config_generation = config_generation + 1"))
    (bridge, user) = home(admin)["attention"]
    assert bridge["kind"] == "bridge"
    assert (user["kind"], user["id"], user["name"], user["pointer"]) == ("user", bram["id"], "Bram", "/extension")
    assert user["object_kept"] is False


def test_the_published_plans_diversions_and_their_switches(admin):
    diversions = [{"id": "d1", "name": "Storm", "category": "A", "steps": [{"id": "x", "type": "hang_up"}]},
                  {"id": "d2", "name": "Holiday", "category": "A", "steps": [{"id": "y", "type": "hang_up"}]}]
    plan = admin.create("/api/plans", name="Reception", diversions=diversions, steps=[{"id": "s1", "type": "hang_up"}])
    admin.create("/api/plans", name="No diversions", steps=[{"id": "s1", "type": "hang_up"}])
    assert home(admin)["diversions"] == []  # not published: calls do not run it
    ok(admin.client.post(f"/api/plans/{plan['id']}/publish", json={}))
    ok(admin.client.post(f"/api/plans/{plan['id']}/diversions/d2/on"))
    (listed,) = home(admin)["diversions"]
    assert listed == {"plan_id": plan["id"], "plan_name": "Reception", "diversions": [
        {"id": "d1", "name": "Storm", "category": "A", "active": False},
        {"id": "d2", "name": "Holiday", "category": "A", "active": True}]}


def test_one_companys_home_shows_nothing_of_another(admin, other_admin, db, settings):
    admin.number(NUMBER)
    ok(admin.client.patch("/api/company", json={"company_number": NUMBER}))
    anna = admin.user("201", "Anna")
    phone = admin.create("/api/devices", name="Desk", user_id=anna["id"])
    register(db, admin.tenant.id, phone["sip_username"], device_id=phone["id"])
    plan = admin.create("/api/plans", name="Reception", numbers=[NUMBER], steps=[{"id": "s1", "type": "hang_up"}],
                        diversions=[{"id": "d1", "name": "Storm", "steps": [{"id": "x", "type": "hang_up"}]}])
    ok(admin.client.post(f"/api/plans/{plan['id']}/publish", json={}))
    admin.create("/api/schedules", name="Office", periods=OFFICE)
    admin.create("/api/voicemail-boxes", name="Company voicemail", extension="999", pin="1999", email="office@acme.test")
    with db() as session:
        session.add(ActiveCall(tenant_id=admin.tenant.id, call_uuid="acme-call", started_at=clock.now()))
        session.execute(text("UPDATE pbx_user SET first_name = :bad WHERE id = :id"), {"bad": "Anna\u2028", "id": anna["id"]})
    make_call_record(db, settings, admin.tenant.id, started_at=clock.now(), missed=True)
    ours = home(admin)
    assert all(ours["checklist"].values()) and ours["calls_now"] == 1 and ours["missed_today"] == 1
    assert [item["kind"] for item in ours["attention"]] == ["bridge", "user"] and ours["diversions"]

    theirs = home(other_admin)
    assert not any(theirs["checklist"].values())
    assert (theirs["calls_now"], theirs["missed_today"], theirs["phones_configured"], theirs["phones_registered"]) == (0, 0, 0, 0)
    assert theirs["diversions"] == [] and [item["kind"] for item in theirs["attention"]] == ["bridge"]
    assert "Anna" not in str(theirs) and "Reception" not in str(theirs)


def test_the_operator_sees_every_company_with_its_counts(admin, other_admin, operator, db):
    admin.number(NUMBER)
    admin.number("+31201234501")
    anna = admin.user("201", "Anna")
    admin.user("202", "Bram")
    phone = admin.create("/api/devices", name="Desk", user_id=anna["id"])
    register(db, admin.tenant.id, phone["sip_username"], device_id=phone["id"])
    other_admin.user("201", "Olga")
    companies = ok(operator.client.get("/api/platform/companies"))
    counts = {row["name"]: (row["users"], row["phones"], row["phones_registered"], row["numbers"], row["accounts"])
              for row in companies}
    # each admin fixture is one account; the numbers' operator account belongs to no company
    assert counts == {"Acme": (2, 1, 1, 2, 1), "Other": (1, 0, 0, 0, 1)}
    assert {row["sip_domain"] for row in companies} == {"acme.pbx.test", "other.pbx.test"}
    # a company's admin has no such list, and the operator no company home
    assert admin.client.get("/api/platform/companies").status_code == 403
    assert operator.client.get("/api/home").status_code == 403


def test_a_connected_bridge_needs_no_attention_and_a_disconnected_one_does(admin, db, settings):
    from web.models.bridge_status import write_status

    with db() as session:
        write_status(session, settings, {"connected": True, "connected_since": clock.now(), "events": 3, "reconnects": 0})
    answer = home(admin)
    assert answer["bridge"] == "connected" and answer["attention"] == []
    with db() as session:
        write_status(session, settings, {"connected": False, "events": 3, "reconnects": 1, "last_error": "connection refused"})
    answer = home(admin)
    assert answer["bridge"] == "disconnected"
    assert [(item["kind"], item["message"]) for item in answer["attention"]] == [("bridge", "disconnected")]
