"""Reports' totals and activity (#17 items 1-2): the API's sums equal sums computed here, independently,
from the records themselves, over random records and periods around the DST changes (Europe/Amsterdam),
on SQLite and PostgreSQL; bad periods are 422s naming the field; CSV per table; tenants and roles."""

from __future__ import annotations

import csv
import io
import itertools
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from sqlmodel import delete
from starlette.testclient import TestClient

from tests.web.factories_call_records import make_call_record
from tests.web.helpers import make_account, make_token
from tests.web.pbx import admin, other_admin  # noqa: F401
from web.domain import reports
from web.models.call_record import CALL_TYPES, CallRecord

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# around the end of summer time (2026-10-25 03:00 -> 02:00) and into November
FIRST_DAY, LAST_DAY = date(2026, 10, 20), date(2026, 11, 3)
_serial = itertools.count(1)
NUMBERS = ("201", "202", "203", "0612345678", "+31201234567", "")


@pytest.fixture
def company(admin):
    sales = admin.create("/api/departments", name="Sales")
    anna = admin.user("201", "Anna", department_id=sales["id"])
    bert = admin.user("202", "Bert")
    return admin, {"sales": sales["id"], "anna": anna["id"], "bert": bert["id"]}


def _record():
    instant = st.integers(min_value=int(datetime(2026, 10, 19, tzinfo=timezone.utc).timestamp()),
                          max_value=int(datetime(2026, 11, 4, tzinfo=timezone.utc).timestamp()))
    return st.fixed_dictionaries({
        "at": instant, "direction": st.sampled_from(("inbound", "outbound", "internal")),
        "caller_number": st.sampled_from(NUMBERS), "dialled_number": st.sampled_from(NUMBERS),
        "call_type": st.sampled_from(CALL_TYPES), "answered": st.booleans(), "missed": st.booleans(),
        "billed": st.integers(min_value=0, max_value=7200),
        "cost": st.one_of(st.none(), st.decimals(min_value=0, max_value=50, places=4)),
        "answerer": st.sampled_from((None, "anna", "bert")),
    })


def _period():
    day = st.integers(min_value=0, max_value=(LAST_DAY - FIRST_DAY).days).map(lambda n: FIRST_DAY + timedelta(days=n))
    return st.tuples(day, day).map(sorted)


def _expected(records, ids, first, last):
    """The totals from the records alone: the local date decides the period, the owner rule as documented."""
    extensions = {"201": ids["anna"], "202": ids["bert"]}
    departments = {ids["anna"]: ids["sales"]}
    tables = {group: defaultdict(lambda: [0, 0, 0, 0, Decimal("0")]) for group in reports.GROUPS + ("overall",)}
    hours, days = defaultdict(lambda: [0, 0, 0]), defaultdict(lambda: [0, 0, 0])
    heat, months = defaultdict(int), defaultdict(lambda: [0, Decimal("0")])
    for record in records:
        local = datetime.fromtimestamp(record["at"], timezone.utc).astimezone(AMSTERDAM)
        # the cost per month: any record of the twelve months up to the period's last day
        months_back = (last.year - local.year) * 12 + last.month - local.month
        if local.date() <= last and 0 <= months_back < 12:
            months[f"{local.year}-{local.month:02d}"][0] += 1
            months[f"{local.year}-{local.month:02d}"][1] += record["cost"] or 0
        if not first <= local.date() <= last:
            continue
        owner = extensions.get(record["caller_number"]) if record["direction"] != "inbound" else None
        owner = owner if owner is not None else (ids[record["answerer"]] if record["answerer"] else None)
        keys = {"overall": "all", "call_type": record["call_type"], "sender": record["caller_number"] or None,
                "receiver": record["dialled_number"] or None, "user": str(owner) if owner else None,
                "department": str(departments[owner]) if owner in departments else None}
        for group, key in keys.items():
            sums = tables[group][key]
            sums[0] += 1
            sums[1] += record["answered"]
            sums[2] += record["missed"]
            sums[3] += record["billed"]
            sums[4] += record["cost"] or 0
        for bucket in (hours[local.hour], days[local.date().isoformat()]):
            bucket[0] += 1
            bucket[1] += record["answered"]
            bucket[2] += record["missed"]
        heat[(local.isoweekday() % 7, local.hour)] += 1  # keyed Sunday=0 here, the API's Monday=0 converted below
    heat = {((weekday - 1) % 7, hour): count for (weekday, hour), count in heat.items()}
    return tables, hours, days, heat, months


def _as_sums(row):
    return [row["calls"], row["answered"], row["missed"], row["seconds"], Decimal(row["cost"])]


def test_totals_equal_sums_of_the_records(company, db):
    admin, ids = company

    @hypothesis_settings(max_examples=30, derandomize=True, database=None, deadline=None,
                         suppress_health_check=list(HealthCheck))
    @given(st.lists(_record(), max_size=25), _period())
    def check(records, span):
        first, last = span
        with db() as session:
            session.exec(delete(CallRecord).where(CallRecord.tenant_id == admin.tenant.id))
            for record in records:
                start = datetime.fromtimestamp(record["at"], timezone.utc)
                session.add(CallRecord(
                    tenant_id=admin.tenant.id, call_uuid=f"report-{next(_serial)}",
                    direction=record["direction"], caller_number=record["caller_number"],
                    dialled_number=record["dialled_number"], callee_number=record["dialled_number"],
                    started_at=start, answered_at=start + timedelta(seconds=3) if record["answered"] else None,
                    billed_seconds=record["billed"], duration_seconds=record["billed"], call_type=record["call_type"],
                    missed=record["missed"], cost=record["cost"], currency="EUR" if record["cost"] is not None else None,
                    answered_by_user_id=ids[record["answerer"]] if record["answerer"] else None))
        params = {"period": "custom", "from": first.isoformat(), "to": last.isoformat()}
        answer = admin.client.get("/api/reports/totals", params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        tables, hours, days, heat, months = _expected(records, ids, first, last)
        assert _as_sums(body["overall"]) == (tables["overall"].get("all") or [0, 0, 0, 0, Decimal("0")])
        for group in reports.GROUPS:
            assert {row["key"]: _as_sums(row) for row in body[group]} == {key: sums for key, sums in tables[group].items()}, group
            assert all(Decimal(row["minutes"]) == (Decimal(row["seconds"]) / 60).quantize(Decimal("0.1")) for row in body[group])
        activity = admin.client.get("/api/reports/activity", params=params).json()
        assert len(activity["hours"]) == 24
        assert {row["hour"]: [row["calls"], row["answered"], row["missed"]] for row in activity["hours"] if row["calls"]} == dict(hours)
        assert [row["date"] for row in activity["days"]] == [(first + timedelta(days=n)).isoformat()
                                                             for n in range((last - first).days + 1)]
        assert {row["date"]: [row["calls"], row["answered"], row["missed"]] for row in activity["days"] if row["calls"]} == dict(days)
        assert [row["weekday"] for row in activity["heat"]] == list(range(7))
        assert all(len(row["hours"]) == 24 for row in activity["heat"])
        assert {(row["weekday"], hour): count for row in activity["heat"] for hour, count in enumerate(row["hours"])
                if count} == heat
        assert len(activity["months"]) == 12 and activity["months"][-1]["month"] == f"{last.year}-{last.month:02d}"
        assert activity["months"][-1]["last"] == last.isoformat()
        assert {row["month"]: [row["calls"], Decimal(row["cost"])] for row in activity["months"] if row["calls"]} == dict(months)

    check()


def test_the_day_summer_time_ends_has_25_hours():
    span = reports.period("custom", AMSTERDAM, date(2026, 10, 30), date(2026, 10, 25), date(2026, 10, 25))
    assert span.end - span.start == timedelta(hours=25)
    assert span.start == datetime(2026, 10, 24, 22, 0, tzinfo=timezone.utc)
    march = reports.period("custom", AMSTERDAM, date(2026, 3, 30), date(2026, 3, 29), date(2026, 3, 29))
    assert march.end - march.start == timedelta(hours=23)


@pytest.mark.parametrize("today, kind, first, last", [
    (date(2026, 12, 3), "this_month", date(2026, 12, 1), date(2026, 12, 31)),
    (date(2026, 12, 3), "last_month", date(2026, 11, 1), date(2026, 11, 30)),
    (date(2026, 1, 31), "last_month", date(2025, 12, 1), date(2025, 12, 31)),
    (date(2024, 2, 10), "this_month", date(2024, 2, 1), date(2024, 2, 29)),
    (date(2026, 3, 1), "last_month", date(2026, 2, 1), date(2026, 2, 28)),
])
def test_month_shortcuts(today, kind, first, last):
    span = reports.period(kind, AMSTERDAM, today)
    assert (span.first, span.last) == (first, last)


def test_this_month_is_the_default_in_the_companys_zone(company, db, settings):
    admin, _ = company
    body = admin.client.get("/api/reports/totals").json()
    today = datetime.now(timezone.utc).astimezone(AMSTERDAM).date()
    assert body["period"] == {"period": "this_month", "first": today.replace(day=1).isoformat(),
                              "last": body["period"]["last"], "timezone": "Europe/Amsterdam"}
    assert date.fromisoformat(body["period"]["last"]).month == today.month


@pytest.mark.parametrize("params, pointer", [
    ({"period": "yesterday"}, "/period"),
    ({"period": "custom"}, "/from"),
    ({"period": "custom", "from": "2026-11-01"}, "/to"),
    ({"period": "custom", "from": "2026-11-31", "to": "2026-12-01"}, "/from"),
    ({"period": "custom", "from": "2026-11-01", "to": "1-12-2026"}, "/to"),
    ({"period": "custom", "from": "2026-11-02", "to": "2026-11-01"}, "/to"),
    ({"period": "custom", "from": "2024-01-01", "to": "2026-01-01"}, "/to"),
    ({"period": "custom", "from": "0001-01-01", "to": "2026-01-01"}, "/from"),
])
@pytest.mark.parametrize("path", ["/api/reports/totals", "/api/reports/activity", "/api/reports/totals.csv",
                                  "/api/reports/period"])
def test_a_bad_period_is_a_422_naming_the_field(admin, path, params, pointer):
    answer = admin.client.get(path, params=params | ({"by": "user"} if path.endswith(".csv") else {}))
    assert answer.status_code == 422, answer.text
    assert [error["pointer"] for error in answer.json()["errors"]] == [pointer]


def test_twelve_months_up_to_the_periods_end_cross_the_year():
    span = reports.period("custom", AMSTERDAM, date(2026, 12, 3), date(2026, 2, 3), date(2026, 2, 10))
    months = reports.months_until(span)
    assert [(month.first, month.last) for month in (months[0], months[1], months[-1])] == [
        (date(2025, 3, 1), date(2025, 3, 31)), (date(2025, 4, 1), date(2025, 4, 30)), (date(2026, 2, 1), date(2026, 2, 10))]
    assert len(months) == 12 and all(a.last + timedelta(days=1) == b.first for a, b in zip(months, months[1:]))


def test_the_period_route_says_the_months_days_in_the_companys_zone(admin):
    today = datetime.now(timezone.utc).astimezone(AMSTERDAM).date()
    last = admin.client.get("/api/reports/period", params={"period": "last_month"}).json()
    assert last == {"period": "last_month", "first": reports.period("last_month", AMSTERDAM, today).first.isoformat(),
                    "last": (today.replace(day=1) - timedelta(days=1)).isoformat(), "timezone": "Europe/Amsterdam"}


@pytest.mark.parametrize("by", [None, "", "everything"])
def test_csv_needs_a_table(admin, by):
    answer = admin.client.get("/api/reports/totals.csv", params={} if by is None else {"by": by})
    assert answer.status_code == 422 and answer.json()["errors"][0]["pointer"] == "/by"


def test_csv_of_each_table_has_the_apis_rows(company, db, settings):
    admin, ids = company
    start = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)
    make_call_record(db, settings, admin.tenant.id, started_at=start, caller_number="201", cost=Decimal("0.25"), currency="EUR")
    make_call_record(db, settings, admin.tenant.id, started_at=start, caller_number="=HYPERLINK(1)", cost=Decimal("1.5"))
    params = {"period": "custom", "from": "2026-11-01", "to": "2026-11-30"}
    body = admin.client.get("/api/reports/totals", params=params).json()
    for group in reports.GROUPS:
        answer = admin.client.get("/api/reports/totals.csv", params=params | {"by": group})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        assert "2026-11-01-2026-11-30" in answer.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        assert [row["calls"] for row in rows] == [str(row["calls"]) for row in body[group]]
        assert [Decimal(row["cost"]) for row in rows] == [Decimal(row["cost"]) for row in body[group]]
    senders = admin.client.get("/api/reports/totals.csv", params=params | {"by": "sender"}).text
    assert "'=HYPERLINK(1)" in senders  # a formula stays text in a spreadsheet
    users = list(csv.DictReader(io.StringIO(admin.client.get("/api/reports/totals.csv", params=params | {"by": "user"}).text)))
    assert users[0]["label"] == "Anna (201)" and users[0]["user"] == str(ids["anna"])


def test_another_tenants_calls_are_not_counted(company, other_admin, db, settings):
    admin, _ = company
    start = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)
    make_call_record(db, settings, other_admin.tenant.id, started_at=start, caller_number="999111")
    params = {"period": "custom", "from": "2026-11-01", "to": "2026-11-30"}
    assert admin.client.get("/api/reports/totals", params=params).json()["overall"]["calls"] == 0
    assert "999111" not in admin.client.get("/api/reports/totals.csv", params=params | {"by": "sender"}).text
    assert sum(day["calls"] for day in admin.client.get("/api/reports/activity", params=params).json()["days"]) == 0
    assert other_admin.client.get("/api/reports/totals", params=params).json()["overall"]["calls"] == 1


def test_who_may_read_reports(app, admin, db, settings):
    def client(role):
        account = make_account(db, settings, admin.tenant.id, f"{role}@acme.test", role=role)
        return TestClient(app, headers={"authorization": f"Bearer {make_token(db, account)}"})

    assert client("reports").get("/api/reports/totals").status_code == 200
    for role in ("user", "agent"):
        refused = client(role)
        for path in ("/api/reports/totals", "/api/reports/activity", "/api/reports/totals.csv?by=user",
                     "/api/reports/period"):
            assert refused.get(path).status_code == 403
