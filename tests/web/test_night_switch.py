"""The company's night switch (off / on / automatic by schedule) does what the portal says: GET
/api/company/night answers the dialplan's own rule, and a call to a user who follows the company goes to
the night destination in FreeSWITCH's dialplan (POST /freeswitch/xml) exactly when it says night, across a
change to summer time; on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.web.pbx import admin  # noqa: F401  (fixtures)
from tests.web.test_schedules import at_clock
from tests.web.test_xml_curl import _fresh_cache, fs, settings  # noqa: F401  (fixtures: the switch's side)

OFFICE = [{"from_day": day, "from_time": "08:00", "to_day": day, "to_time": "17:00"} for day in ("mon", "tue", "wed", "thu", "fri")]
NIGHT_ROUTE = ("transfer", "999 XML acme.pbx.test")


def company(admin, **changes) -> None:
    response = admin.client.patch("/api/company", json=changes)
    assert response.status_code == 200, response.text


def night(admin) -> dict:
    response = admin.client.get("/api/company/night")
    assert response.status_code == 200, response.text
    return response.json()


def user_call(fs, admin) -> list[tuple[str, str]]:
    """What the dialplan does with a call to extension 201 (Anna, who follows the company)."""
    document = fs.dialplan(admin.tenant.sip_domain, "201")
    (extension,) = [e for e in document.iter("extension") if e.get("name") == "user_201"]
    return [(action.get("application"), action.get("data")) for action in extension.iter("action")]


def test_night_switch_off_on_and_automatic_in_the_status_and_the_dialplan(fs, admin):
    admin.user("201", "Anna")
    box = admin.create("/api/voicemail-boxes", name="Company voicemail", extension="999", pin="1999")
    office = admin.create("/api/schedules", name="Office", periods=OFFICE)
    company(admin, night_destination={"type": "voicemail_box", "id": box["id"]})
    at_clock("2026-03-27T10:00:00+01:00")  # Friday morning, office hours

    status = night(admin)
    assert status["mode"] == "off" and status["night"] is False and status["next_change"] is None
    assert status["destination"] == {"type": "voicemail_box", "id": box["id"], "number": None, "name": "Company voicemail"}
    assert NIGHT_ROUTE not in user_call(fs, admin)
    assert ("bridge", "user/201@acme.pbx.test") in user_call(fs, admin)

    company(admin, night_mode="on")
    assert night(admin)["night"] is True and night(admin)["next_change"] is None
    assert NIGHT_ROUTE in user_call(fs, admin)

    # automatic: day inside office hours ...
    company(admin, night_mode="auto", night_schedule_id=office["id"])
    status = night(admin)
    assert status["mode"] == "auto" and status["night"] is False
    assert status["next_change"] == "2026-03-27T16:00:00Z" and status["timezone"] == "Europe/Amsterdam"
    assert status["at"].startswith("2026-03-27T10:00") and status["at"].endswith("+01:00")
    assert NIGHT_ROUTE not in user_call(fs, admin)
    # ... night after 17:00, until Monday 08:00, which is summer time already (06:00 UTC, not 07:00)
    at_clock("2026-03-27T17:30:00+01:00")
    status = night(admin)
    assert status["night"] is True and status["next_change"] == "2026-03-30T06:00:00Z"
    assert NIGHT_ROUTE in user_call(fs, admin)
    at_clock("2026-03-30T08:01:00+02:00")
    assert night(admin)["night"] is False
    assert NIGHT_ROUTE not in user_call(fs, admin)

    # off again: day whatever the clock says
    at_clock("2026-03-28T23:00:00+01:00")
    company(admin, night_mode="off")
    assert night(admin)["night"] is False
    assert NIGHT_ROUTE not in user_call(fs, admin)


def test_automatic_without_a_schedule_is_never_night_and_a_missing_destination_is_said(fs, admin):
    admin.user("201", "Anna")
    company(admin, night_mode="auto")
    at_clock("2026-03-28T23:00:00+01:00")
    status = night(admin)
    assert status["night"] is False and status["destination"] is None
    company(admin, night_mode="on")
    status = night(admin)
    # night, but with nowhere to go calls ring as by day: the portal warns about it
    assert status["night"] is True and status["destination"] is None
    assert ("bridge", "user/201@acme.pbx.test") in user_call(fs, admin)


def test_night_status_is_for_admins_of_the_company(app, db, settings, admin):
    from starlette.testclient import TestClient

    from tests.web.helpers import make_account, make_token

    user = make_account(db, settings, admin.tenant.id, "someone@acme.test", role="user")
    client = TestClient(app, headers={"authorization": f"Bearer {make_token(db, user)}"})
    assert client.get("/api/company/night").status_code == 403
