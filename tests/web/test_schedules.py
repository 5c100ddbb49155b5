"""Time and holiday schedules through the API: CRUD, validation with pointers, lint warnings, the
open/closed check in the company's zone, refusal while in use, and tenant isolation."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.web.factories_schedules import holiday_schedule, time_schedule
from tests.web.helpers import make_account, make_tenant, make_token
from web.models import Account
from web.models.company import CompanySettings

OFFICE = [{"from_day": day, "from_time": "08:00", "to_day": day, "to_time": "17:00"} for day in ("mon", "tue", "wed", "thu", "fri")]


class Admin:
    def __init__(self, app, db, settings, name, domain, email, **tenant_fields):
        self.tenant = make_tenant(db, name=name, sip_domain=domain, **tenant_fields)
        self.account = make_account(db, settings, self.tenant.id, email)
        self.client = TestClient(app, headers={"authorization": f"Bearer {make_token(db, self.account)}"})

    def create(self, path, **body) -> dict:
        response = self.client.post(path, json=body)
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
def admin(app, db, settings):
    return Admin(app, db, settings, "Acme", "acme.pbx.test", "boss@acme.test")


@pytest.fixture
def other(app, db, settings):
    return Admin(app, db, settings, "Other", "other.pbx.test", "boss@other.test")


def pointers(response) -> list[str]:
    assert response.status_code == 422, response.text
    return [error["pointer"] for error in response.json()["errors"]]


# -- CRUD ----------------------------------------------------------------------------------------------


def test_time_schedule_crud(admin):
    periods = [
        {"from_day": "mon", "from_time": "08:30", "to_day": "mon", "to_time": "12:00"},
        {"from_day": "mon", "from_time": "13:00", "to_day": "mon", "to_time": "17:30"},
        {"from_day": "fri", "from_time": "22:00", "to_day": "mon", "to_time": "06:00"},
        {"from_day": "sat", "from_time": "00:00", "to_day": "sat", "to_time": "24:00"},
    ] + OFFICE[1:]
    created = admin.create("/api/schedules", name="  Werktijden 08:30-17:30 ", periods=periods)
    assert created["name"] == "Werktijden 08:30-17:30"
    assert created["periods"] == periods
    # Fri 22:00-Mon 06:00 and the whole Saturday overlap
    assert [(w["pointer"], w["code"]) for w in created["warnings"]] == [("/periods/3", "overlap")]
    schedule_id = created["id"]

    assert admin.client.get(f"/api/schedules/{schedule_id}").json() == created
    assert [row["id"] for row in admin.client.get("/api/schedules").json()] == [schedule_id]

    changed = admin.client.patch(f"/api/schedules/{schedule_id}", json={"periods": OFFICE})
    assert changed.status_code == 200, changed.text
    assert changed.json()["periods"] == OFFICE and changed.json()["warnings"] == []
    assert changed.json()["name"] == "Werktijden 08:30-17:30"  # not sent, not changed
    renamed = admin.client.patch(f"/api/schedules/{schedule_id}", json={"name": "Kantoor"})
    assert renamed.json()["name"] == "Kantoor" and renamed.json()["periods"] == OFFICE

    assert admin.client.delete(f"/api/schedules/{schedule_id}").status_code == 204
    assert admin.client.get(f"/api/schedules/{schedule_id}").status_code == 404


def test_holiday_schedule_crud(admin):
    entries = [
        {"start_date": "2026-12-25", "end_date": "2026-12-26", "yearly": True, "description": "Kerst"},
        {"start_date": "2026-07-20", "end_date": "2026-08-07", "description": "Zomersluiting"},
        {"start_date": "2026-12-31", "from_time": "12:00", "description": "Oudejaarsmiddag"},
    ]
    created = admin.create("/api/holiday-schedules", name="Vakantiedagen NL", entries=entries)
    full = [{"end_date": None, "from_time": None, "to_time": None, "yearly": False, **entry} for entry in entries]
    assert created["entries"] == full
    holiday_id = created["id"]
    assert admin.client.get(f"/api/holiday-schedules/{holiday_id}").json() == created
    changed = admin.client.patch(f"/api/holiday-schedules/{holiday_id}", json={"entries": full[:1]})
    assert changed.status_code == 200 and changed.json()["entries"] == full[:1]
    assert admin.client.get("/api/holiday-schedules").json() == [changed.json()]
    assert admin.client.delete(f"/api/holiday-schedules/{holiday_id}").status_code == 204
    assert admin.client.get("/api/holiday-schedules").json() == []


# -- validation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("change,pointer", [
    ({"to_time": "25:00"}, "/periods/1/to_time"),
    ({"from_time": "24:00"}, "/periods/1/from_time"),
    ({"from_time": "8:00"}, "/periods/1/from_time"),
    ({"from_time": "08:00<x/>"}, "/periods/1/from_time"),
    ({"to_day": "maandag"}, "/periods/1/to_day"),
    ({"extra": 1}, "/periods/1/extra"),
])
def test_bad_periods_are_refused_with_a_pointer(admin, change, pointer):
    periods = [dict(OFFICE[0]), {**OFFICE[1], **change}]
    response = admin.client.post("/api/schedules", json={"name": "Bad", "periods": periods})
    assert pointers(response) == [pointer]
    assert admin.client.get("/api/schedules").json() == []


def test_bad_names_and_sizes_are_refused(admin):
    assert pointers(admin.client.post("/api/schedules", json={"name": "", "periods": []})) == ["/name"]
    assert pointers(admin.client.post("/api/schedules", json={"name": "a\x07b"})) == ["/name"]
    assert pointers(admin.client.post("/api/schedules", json={"name": "x" * 101})) == ["/name"]
    assert pointers(admin.client.post("/api/schedules", json={"name": "Many", "periods": [OFFICE[0]] * 101})) == ["/periods"]
    created = admin.create("/api/schedules", name="Ok", periods=OFFICE)
    assert pointers(admin.client.patch(f"/api/schedules/{created['id']}", json={"periods": None})) == ["/periods"]
    assert pointers(admin.client.patch(f"/api/schedules/{created['id']}", json={"periods": [{**OFFICE[0], "to_time": "25:00"}]})) == ["/periods/0/to_time"]
    assert admin.client.get(f"/api/schedules/{created['id']}").json()["periods"] == OFFICE


@pytest.mark.parametrize("entry,pointer", [
    ({"start_date": "2026-02-30"}, "/entries/0/start_date"),
    ({"start_date": "26-12-2026"}, "/entries/0/start_date"),
    ({"start_date": "2026-12-25", "end_date": "2026-12-24"}, "/entries/0/end_date"),
    ({"start_date": "2026-01-01", "end_date": "2027-06-01"}, "/entries/0/end_date"),
    ({"start_date": "2026-12-31", "from_time": "14:00", "to_time": "12:00"}, "/entries/0/to_time"),
    ({"start_date": "2026-12-31", "from_time": "25:00"}, "/entries/0/from_time"),
    ({"start_date": "2026-12-31", "description": "x" * 201}, "/entries/0/description"),
    ({"start_date": "2026-12-31", "description": "line\nbreak"}, "/entries/0/description"),
    ({"start_date": "2026-12-31", "yearly": "sometimes"}, "/entries/0/yearly"),
])
def test_bad_holiday_entries_are_refused_with_a_pointer(admin, entry, pointer):
    response = admin.client.post("/api/holiday-schedules", json={"name": "Bad", "entries": [entry]})
    assert pointers(response) == [pointer]


def test_a_closure_over_several_days_may_end_earlier_in_the_day_than_it_starts(admin):
    entry = {"start_date": "2026-12-24", "end_date": "2026-12-27", "from_time": "14:00", "to_time": "09:00"}
    assert admin.create("/api/holiday-schedules", name="Kerst", entries=[entry])["entries"][0]["to_time"] == "09:00"


# -- lint ----------------------------------------------------------------------------------------------


def test_lint_endpoint_and_warnings_in_the_callers_language(admin, db):
    periods = [p for p in OFFICE if p["from_day"] != "wed"] + [
        {"from_day": "mon", "from_time": "12:00", "to_day": "mon", "to_time": "13:00"},
        {"from_day": "sat", "from_time": "10:00", "to_day": "sat", "to_time": "10:00"},
    ]
    created = admin.create("/api/schedules", name="Odd", periods=periods)
    expected = [("/periods/4", "overlap"), ("/periods/5", "zero_length"), ("/periods", "closed_weekday")]
    assert [(w["pointer"], w["code"]) for w in created["warnings"]] == expected
    lint = admin.client.get(f"/api/schedules/{created['id']}/lint")
    assert lint.status_code == 200
    assert lint.json()["warnings"] == created["warnings"]
    assert "Wednesday" in lint.json()["warnings"][2]["message"]
    assert "period 1" in lint.json()["warnings"][0]["message"]
    with db() as session:
        session.get(Account, admin.account.id).language = "nl"
    dutch = admin.client.get(f"/api/schedules/{created['id']}/lint").json()["warnings"]
    assert "woensdag" in dutch[2]["message"] and "periode 1" in dutch[0]["message"]
    assert admin.client.get("/api/schedules/999999/lint").status_code == 404


# -- check ---------------------------------------------------------------------------------------------


def test_check_open_and_next_change_in_the_company_zone(admin):
    schedule_id = admin.create("/api/schedules", name="Office", periods=OFFICE)["id"]
    url = f"/api/schedules/{schedule_id}/check"
    # Monday 30 March 2026, the day after the change to summer time: 08:30 in Amsterdam is 06:30 UTC
    open_ = admin.client.get(url, params={"at": "2026-03-30T06:30:00Z"})
    assert open_.status_code == 200, open_.text
    assert open_.json() == {
        "open": True, "in_schedule": True, "in_holiday": False, "timezone": "Europe/Amsterdam",
        "at": "2026-03-30T08:30:00+02:00", "next_change": "2026-03-30T15:00:00Z",
    }
    closed = admin.client.get(url, params={"at": "2026-03-30T07:30:00+02:00"}).json()
    assert closed["open"] is False and closed["next_change"] == "2026-03-30T06:00:00Z"
    # a "+" typed into the URL unescaped arrives as a space: still understood
    assert admin.client.get(f"{url}?at=2026-03-30T08:30:00+02:00").json()["open"] is True


def test_check_uses_the_tenants_own_zone(app, db, settings):
    new_york = Admin(app, db, settings, "NY", "ny.pbx.test", "boss@ny.test", timezone="America/New_York")
    schedule_id = new_york.create("/api/schedules", name="Office", periods=OFFICE)["id"]
    # 12:30 UTC on Monday 9 March 2026 is 08:30 EDT (the day after the change); 11:30 UTC is 07:30
    at_0830 = new_york.client.get(f"/api/schedules/{schedule_id}/check", params={"at": "2026-03-09T12:30:00Z"}).json()
    at_0730 = new_york.client.get(f"/api/schedules/{schedule_id}/check", params={"at": "2026-03-09T11:30:00Z"}).json()
    assert at_0830["open"] is True and at_0830["timezone"] == "America/New_York" and at_0830["at"].endswith("-04:00")
    assert at_0730["open"] is False


def test_check_with_a_holiday_schedule(admin):
    schedule_id = admin.create("/api/schedules", name="Office", periods=OFFICE)["id"]
    holiday_id = admin.create("/api/holiday-schedules", name="NL", entries=[
        {"start_date": "2026-12-25", "end_date": "2026-12-26", "yearly": True}])["id"]
    url = f"/api/schedules/{schedule_id}/check"
    # the entry was made for 2026 and repeats yearly; 25 and 26 December 2028 are a Monday and a Tuesday
    christmas = admin.client.get(url, params={"at": "2028-12-25T10:00:00+01:00", "holiday_schedule_id": holiday_id}).json()
    assert christmas["open"] is False and christmas["in_schedule"] is True and christmas["in_holiday"] is True
    assert christmas["next_change"] == "2028-12-27T07:00:00Z"  # Wednesday 08:00 local
    without = admin.client.get(url, params={"at": "2028-12-25T10:00:00+01:00"}).json()
    assert without["open"] is True and without["in_holiday"] is False


@pytest.mark.parametrize("at", ["yesterday", "2026-03-30T08:30:00", "2026-13-01T00:00:00Z", "9999-12-31T23:00:00Z",
                                "1900-01-01T00:00:00Z", "2026-03-30T08:30:00+02:00" + " " * 80])
def test_check_refuses_a_bad_instant_pointing_at_it(admin, at):
    schedule_id = admin.create("/api/schedules", name="Office", periods=OFFICE)["id"]
    response = admin.client.get(f"/api/schedules/{schedule_id}/check", params={"at": at})
    assert pointers(response) == ["/at"]
    assert response.json()["code"] == "invalid_instant"


def test_check_without_at_answers_for_now(admin):
    schedule_id = admin.create("/api/schedules", name="Always", periods=[
        {"from_day": "mon", "from_time": "00:00", "to_day": "sun", "to_time": "24:00"}])["id"]
    answer = admin.client.get(f"/api/schedules/{schedule_id}/check").json()
    assert answer["open"] is True and answer["next_change"] is None


# -- in use, isolation ---------------------------------------------------------------------------------


def test_a_schedule_the_night_switch_uses_cannot_be_deleted(admin, db, settings):
    schedule_id = time_schedule(db, settings, admin.tenant.id, admin.account)
    holiday_id = holiday_schedule(db, settings, admin.tenant.id, admin.account)
    with db() as session:
        session.add(CompanySettings(tenant_id=admin.tenant.id, night_mode="auto", night_schedule_id=schedule_id,
                                    night_holiday_schedule_id=holiday_id))
    refused = admin.client.delete(f"/api/schedules/{schedule_id}")
    assert refused.status_code == 409 and refused.json()["code"] == "in_use"
    assert refused.json()["used_by"][0]["where"] == "/night_schedule_id"
    refused = admin.client.delete(f"/api/holiday-schedules/{holiday_id}")
    assert refused.status_code == 409 and refused.json()["used_by"][0]["where"] == "/night_holiday_schedule_id"
    assert admin.client.get(f"/api/schedules/{schedule_id}").status_code == 200


def test_another_tenants_schedules_are_invisible(admin, other, db, settings):
    foreign_schedule = time_schedule(db, settings, other.tenant.id, other.account)
    foreign_holidays = holiday_schedule(db, settings, other.tenant.id, other.account)
    own = admin.create("/api/schedules", name="Mine", periods=OFFICE)["id"]
    assert [row["id"] for row in admin.client.get("/api/schedules").json()] == [own]
    assert admin.client.get("/api/holiday-schedules").json() == []
    for path in (f"/api/schedules/{foreign_schedule}", f"/api/schedules/{foreign_schedule}/lint",
                 f"/api/schedules/{foreign_schedule}/check", f"/api/holiday-schedules/{foreign_holidays}"):
        assert admin.client.get(path).status_code == 404, path
    assert admin.client.patch(f"/api/schedules/{foreign_schedule}", json={"name": "Mine now"}).status_code == 404
    assert admin.client.delete(f"/api/holiday-schedules/{foreign_holidays}").status_code == 404
    # nor can another tenant's holiday schedule be used in a check
    response = admin.client.get(f"/api/schedules/{own}/check", params={"holiday_schedule_id": foreign_holidays})
    assert pointers(response) == ["/holiday_schedule_id"]
    assert response.json()["code"] == "unknown_reference"
    assert pointers(admin.client.get(f"/api/schedules/{own}/check", params={"holiday_schedule_id": "1 OR 1=1"})) == ["/holiday_schedule_id"]
    # and the other tenant still has its rows
    assert other.client.get(f"/api/schedules/{foreign_schedule}").status_code == 200


# -- preview (the week grid's unsaved periods), at a fixed clock ---------------------------------------


def at_clock(moment: str) -> None:
    """Move the app's clock (web/clock.py) so that now is `moment` (an ISO instant with its offset)."""
    from datetime import datetime

    from web import clock

    clock.advance((datetime.fromisoformat(moment) - clock.now()).total_seconds())


def test_preview_answers_open_now_the_next_change_and_warnings_for_unsaved_periods(admin):
    # Saturday 28 March 2026, noon in Amsterdam; summer time starts in the night to Sunday
    at_clock("2026-03-28T12:00:00+01:00")
    answer = admin.client.post("/api/schedules/preview", json={"periods": OFFICE[:4]})
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["open"] is False and found["timezone"] == "Europe/Amsterdam"
    assert found["at"].startswith("2026-03-28T12:00") and found["at"].endswith("+01:00")
    # Monday 08:00 is already summer time: 06:00 UTC, not 07:00
    assert found["next_change"] == "2026-03-30T06:00:00Z"
    assert [(w["pointer"], w["code"]) for w in found["warnings"]] == [("/periods", "closed_weekday")]
    assert "Friday" in found["warnings"][0]["message"]
    # nothing was stored
    assert admin.client.get("/api/schedules").json() == []


def test_preview_across_the_autumn_change_and_with_holidays(admin):
    holidays_id = admin.create("/api/holiday-schedules", name="Closed", entries=[
        {"start_date": "2026-10-26", "description": "Staff day"}])["id"]
    # Friday 23 October 2026, 16:00 (summer time): open until 17:00, 15:00 UTC
    at_clock("2026-10-23T16:00:00+02:00")
    found = admin.client.post("/api/schedules/preview", json={"periods": OFFICE}).json()
    assert found["open"] is True and found["next_change"] == "2026-10-23T15:00:00Z"
    # Saturday: closed; winter time from Sunday, so Monday 08:00 is 07:00 UTC ... unless Monday is a holiday
    at_clock("2026-10-24T10:00:00+02:00")
    assert admin.client.post("/api/schedules/preview", json={"periods": OFFICE}).json()["next_change"] == "2026-10-26T07:00:00Z"
    with_day_off = admin.client.post("/api/schedules/preview", json={"periods": OFFICE, "holiday_schedule_id": holidays_id}).json()
    assert with_day_off["open"] is False and with_day_off["next_change"] == "2026-10-27T07:00:00Z"


def test_preview_refuses_bad_periods_and_foreign_holidays_with_pointers(admin, other, db, settings):
    bad = admin.client.post("/api/schedules/preview", json={"periods": [
        {"from_day": "mon", "from_time": "08:00", "to_day": "mon", "to_time": "17:00"},
        {"from_day": "tue", "from_time": "24:00", "to_day": "tue", "to_time": "25:00"}]})
    assert pointers(bad) == ["/periods/1/from_time", "/periods/1/to_time"]
    foreign = holiday_schedule(db, settings, other.tenant.id, other.account)
    refused = admin.client.post("/api/schedules/preview", json={"periods": OFFICE, "holiday_schedule_id": foreign})
    assert pointers(refused) == ["/holiday_schedule_id"]


# -- public holidays to import --------------------------------------------------------------------------


def test_public_holidays_of_the_netherlands_from_today_in_the_callers_language(admin, db):
    at_clock("2026-06-01T10:00:00+02:00")
    answer = admin.client.get("/api/public-holidays", params={"country": "NL", "years": 2})
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["country"] == "NL" and found["subdivision"] is None
    dates = [item["date"] for item in found["items"]]
    assert dates == sorted(dates) and dates[0] == "2026-12-25" and dates[-1] == "2027-12-26"
    assert {"2027-03-26", "2027-03-28", "2027-03-29", "2027-04-27", "2027-05-06", "2027-05-17"} <= set(dates)  # Easter 2027: 28 March
    assert {"date": "2027-04-27", "name": "King's Day"} in found["items"]
    with db() as session:
        account = session.get(Account, admin.account.id)
        account.language = "nl"
    dutch = admin.client.get("/api/public-holidays", params={"country": "nl", "years": 1}).json()
    assert dutch["items"] == [{"date": "2026-12-25", "name": "Eerste kerstdag"}, {"date": "2026-12-26", "name": "Tweede kerstdag"}]


@pytest.mark.parametrize("country, subdivision, expected", [
    ("BE", None, "2027-07-21"), ("DE", "BY", "2027-01-06"), ("FR", None, "2027-07-14"), ("GB", "SCT", "2027-01-04"),
])
def test_public_holidays_of_other_countries_and_regions(admin, country, subdivision, expected):
    at_clock("2026-06-01T10:00:00+02:00")
    params = {"country": country, "years": 2} | ({"subdivision": subdivision} if subdivision else {})
    found = admin.client.get("/api/public-holidays", params=params).json()
    assert expected in [item["date"] for item in found["items"]], found


@pytest.mark.parametrize("params, pointer", [
    ({}, "/country"), ({"country": "XX"}, "/country"), ({"country": "NL", "years": 6}, "/years"),
    ({"country": "NL", "years": "0"}, "/years"), ({"country": "NL", "years": "2x"}, "/years"),
    ({"country": "DE", "subdivision": "ZZ"}, "/subdivision"),
])
def test_public_holidays_refuse_bad_questions_with_pointers(admin, params, pointer):
    assert pointers(admin.client.get("/api/public-holidays", params=params)) == [pointer]


def test_countries_to_import_from(admin):
    answer = admin.client.get("/api/public-holidays/countries").json()
    assert answer["company_country"] == "NL"  # a company without a number: the default
    countries = {row["code"]: row for row in answer["countries"]}
    assert {"NL", "BE", "DE", "FR", "GB"} <= set(countries) and len(countries) > 100
    assert {"code": "SCT", "name": "Scotland"} in countries["GB"]["subdivisions"]
    assert {"code": "BY", "name": "Bayern"} in countries["DE"]["subdivisions"]
