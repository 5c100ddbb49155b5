"""Call records: classification per kind of number, prices from the rate table, the API (filters,
pages, steps, CSV) and the rate table's own API, tenant by tenant."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from tests.web.call_record_samples import IVR_CALL, QUEUE_CALL, cdr_document, hangup_event
from tests.web.factories_call_records import make_call_rate, make_call_record
from tests.web.helpers import make_account, make_token
from tests.web.pbx import admin, other_admin  # noqa: F401
from web.domain import call_records
from web.domain.call_records import classify, price
from web.models.call_plan import CallPlanRecord, CallPlanVersion
from web.models.call_record import CallRecord
from web.models.phone_number import PhoneNumber
from web.models.tenant import Tenant

DOMAIN = "acme.pbx.test"


# --- what kind of number ------------------------------------------------------------------------------


@pytest.mark.parametrize("number, country, expected", [
    ("0612345678", "NL", "mobile"),            # NL mobile, dialled nationally
    ("+31612345678", "NL", "mobile"),
    ("0031612345678", "NL", "mobile"),
    ("0201234567", "NL", "national"),          # Amsterdam, geographic
    ("+31101234567", "NL", "national"),        # Rotterdam
    ("0800 1234567", "NL", "national"),        # free phone is a national number
    ("09001234567", "NL", "premium_rate"),     # 0900
    ("0906123456", "NL", "premium_rate"),
    ("112", "NL", "emergency"),
    ("911", "US", "emergency"),
    ("999", "GB", "emergency"),
    ("112", "BE", "emergency"),
    ("+442079460000", "NL", "international"),  # London from NL
    ("00442079460000", "NL", "international"),
    ("+12025550123", "NL", "international"),   # Washington from NL
    ("+31201234567", "GB", "international"),   # Amsterdam from a British company
    ("201", "NL", "internal"),
    ("*98", "NL", "internal"),
    ("", "NL", "unknown"),
    ("anonymous", "NL", "unknown"),
])
def test_classification_per_kind_of_number(number, country, expected):
    assert classify(number, country)[0] == expected


def test_classification_gives_the_e164_form_for_prices():
    assert classify("020-123 4567", "NL") == ("national", "+31201234567")
    assert classify("0044 20 7946 0000", "NL") == ("international", "+442079460000")


def test_the_tenants_country(admin, db):
    with db() as session:
        assert call_records.tenant_country(session, admin.tenant.id) == "NL"  # Europe/Amsterdam, nothing else
        tenant = session.get(Tenant, admin.tenant.id)
        tenant.timezone = "America/New_York"
        session.add(tenant)
    with db() as session:
        assert call_records.tenant_country(session, admin.tenant.id) == "US"
        session.add(PhoneNumber(tenant_id=admin.tenant.id, number="+442079460000", country="GB"))
    with db() as session:
        assert call_records.tenant_country(session, admin.tenant.id) == "GB"  # its numbers say more
        tenant = session.get(Tenant, admin.tenant.id)
        tenant.company_number = "+3212345678"
        session.add(tenant)
    with db() as session:
        assert call_records.tenant_country(session, admin.tenant.id) == "BE"  # the company number most
        assert call_records.tenant_country(session, None) == "NL"


# --- what it costs ------------------------------------------------------------------------------------


def rate(prefix=None, call_type=None, per_minute="0.10", setup="0", increment=60, currency="EUR"):
    return SimpleNamespace(prefix=prefix, call_type=call_type, price_per_minute=Decimal(per_minute),
                           setup_price=Decimal(setup), increment_seconds=increment, currency=currency)


def test_cost_by_longest_prefix_then_call_type():
    rates = [rate(prefix="+31", per_minute="0.02"), rate(prefix="+316", per_minute="0.15"),
             rate(prefix="+3161", per_minute="0.20"), rate(call_type="mobile", per_minute="0.99"),
             rate(call_type="international", per_minute="0.50", setup="0.05", increment=1)]
    assert price(rates, "mobile", "+31612345678", 60) == (Decimal("0.2000"), "EUR")      # +3161 beats +316
    assert price(rates, "mobile", "+31623456789", 61) == (Decimal("0.3000"), "EUR")      # 2 whole minutes
    assert price(rates, "national", "+31201234567", 1) == (Decimal("0.0200"), "EUR")
    assert price(rates, "international", "+442079460000", 90) == (Decimal("0.8000"), "EUR")  # 0.05 + 1.5 min
    assert price(rates, "premium_rate", "+319001234567", 60) == (Decimal("0.0200"), "EUR")  # the +31 prefix
    assert price(rates[3:], "mobile", "+31612345678", 30) == (Decimal("0.9900"), "EUR")  # by type, no prefix
    assert price(rates, "mobile", "+31612345678", 0) == (Decimal("0.0000"), "EUR")  # never connected
    assert price([], "mobile", "+31612345678", 60) == (None, None)
    assert price(rates[3:4], "national", "+31201234567", 60) == (None, None)
    assert price([rate(call_type="national", per_minute="0.012", increment=30)], "national", None, 31) == \
        (Decimal("0.0120"), "EUR")  # 31 s in 30 s steps: 60 s


def test_an_outbound_call_is_classified_and_priced_from_the_rate_table(admin, db):
    make_call_rate(db, None, admin.tenant.id, call_type="mobile", price_per_minute=Decimal("0.12"),
                   setup_price=Decimal("0.01"), increment_seconds=60)
    make_call_rate(db, None, admin.tenant.id, prefix="+44", call_type=None, price_per_minute=Decimal("0.30"))
    for uuid, dialled in ((IVR_CALL, "0612345678"), (QUEUE_CALL, "+442079460000")):
        event = hangup_event(uuid, domain=DOMAIN, set_vars={"cp_dialled": dialled})
        with db() as session:
            call_records.store(session, call_records.from_event(event.headers), "events")
    with db() as session:
        mobile = session.exec(select(CallRecord).where(CallRecord.call_uuid == IVR_CALL)).one()
        abroad = session.exec(select(CallRecord).where(CallRecord.call_uuid == QUEUE_CALL)).one()
    assert (mobile.direction, mobile.call_type, mobile.dialled_number) == ("outbound", "mobile", "0612345678")
    assert (mobile.cost, mobile.currency) == (Decimal("0.1300"), "EUR")  # 4 s: one minute + setup
    assert (abroad.call_type, abroad.cost) == ("international", Decimal("0.3000"))  # 6 s: one minute
    assert not mobile.missed  # an outbound call is never "missed"


def test_an_emergency_call_is_outbound_though_its_number_is_short(admin, db):
    with db() as session:
        record, _ = call_records.store(session, call_records.from_event(
            hangup_event(IVR_CALL, domain=DOMAIN, set_vars={"sip_req_user": "112"}).headers), "events")
        assert (record.direction, record.call_type, record.missed) == ("outbound", "emergency", False)


def test_no_rate_table_no_cost(admin, db):
    with db() as session:
        record, _ = call_records.store(session, call_records.from_event(
            hangup_event(IVR_CALL, domain=DOMAIN, set_vars={"cp_dialled": "0201234567"}).headers), "events")
        assert (record.call_type, record.cost) == ("national", None)


# --- the records API ----------------------------------------------------------------------------------


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=timezone.utc)


@pytest.fixture
def sample(admin, db):
    """A few records of the admin's tenant, made directly."""
    user = admin.user("201", first_name="Anna")
    ids = {
        "mobile": make_call_record(db, None, admin.tenant.id, started_at=at(18, 9), dialled_number="0612345678",
                                   call_type="mobile", cost=Decimal("0.12"), currency="EUR"),
        "missed": make_call_record(db, None, admin.tenant.id, started_at=at(19, 10), direction="inbound",
                                   caller_number="+31201234567", dialled_number="+31207654321",
                                   callee_number="+31207654321", call_type="national", missed=True,
                                   answered_at=None, billed_seconds=0),
        "answered": make_call_record(db, None, admin.tenant.id, started_at=at(20, 11), direction="inbound",
                                     caller_number="+442079460000", call_type="international",
                                     answered_by="Anna", answered_by_user_id=user["id"]),
        "internal": make_call_record(db, None, admin.tenant.id, started_at=at(21, 8), direction="internal",
                                     caller_number="202", dialled_number="201", callee_number="201", call_type="internal",
                                     caller_name="=HYPERLINK(\"http://evil\")"),
    }
    return SimpleNamespace(ids=ids, user=user)


def listed(admin, **params) -> list[int]:
    answer = admin.client.get("/api/call-records", params=params)
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


def test_list_newest_first_with_total_and_pages(admin, sample):
    ids = sample.ids
    assert listed(admin) == [ids["internal"], ids["answered"], ids["missed"], ids["mobile"]]
    page = admin.client.get("/api/call-records", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == 4 and (page["limit"], page["offset"]) == (2, 1)
    assert [item["id"] for item in page["items"]] == [ids["answered"], ids["missed"]]
    first = page["items"][1]
    assert first["direction"] == "inbound" and first["missed"] is True and first["call_type"] == "national"


def test_filters(admin, sample):
    ids = sample.ids
    assert listed(admin, direction="inbound") == [ids["answered"], ids["missed"]]
    assert listed(admin, call_type="mobile") == [ids["mobile"]]
    assert listed(admin, missed="true") == [ids["missed"]]
    assert ids["missed"] not in listed(admin, missed="false")
    assert listed(admin, number="2079460") == [ids["answered"]]   # part of the caller's number
    assert listed(admin, number="7654321") == [ids["missed"]]     # part of the dialled number
    assert listed(admin, number="%") == []                        # a literal percent, not a wildcard
    assert listed(admin, user_id=sample.user["id"]) == [ids["answered"]]
    assert listed(admin, **{"from": "2026-11-19", "to": "2026-11-20"}) == [ids["answered"], ids["missed"]]
    assert listed(admin, **{"from": "2026-11-20T11:00:00+00:00"}) == [ids["internal"], ids["answered"]]
    assert listed(admin, to="2026-11-18T09:00:00Z") == []  # an instant is an exclusive end
    # the sender and the receiver apart, parts of numbers; amounts and durations compared
    assert listed(admin, sender="3120") == [ids["missed"]]
    assert listed(admin, receiver="3120") == [ids["missed"]]
    assert listed(admin, sender="0612") == [] and listed(admin, receiver="0612") == [ids["answered"], ids["mobile"]]
    assert listed(admin, receiver="_") == []
    assert listed(admin, cost=">0.1") == [ids["mobile"]] and listed(admin, cost="<0.12") == []
    assert listed(admin, cost="=0.12") == [ids["mobile"]] and listed(admin, cost="0,12") == [ids["mobile"]]
    assert listed(admin, duration="65") == listed(admin) and listed(admin, duration=">65") == []
    assert listed(admin, duration="<66", direction="internal") == [ids["internal"]]
    total = admin.client.get("/api/call-records", params={"direction": "inbound", "limit": 1}).json()["total"]
    assert total == 2


@pytest.mark.parametrize("name, value", [("from", "yesterday"), ("to", "2026-13-01"), ("direction", "sideways"),
                                         ("call_type", "cheap"), ("missed", "maybe"), ("limit", "0"),
                                         ("limit", "501"), ("offset", "-1"), ("user_id", "x"), ("number", "1" * 65),
                                         ("sender", "1" * 65), ("receiver", "2" * 65), ("cost", ">>1"),
                                         ("cost", "1e3"), ("duration", "<1.5"), ("duration", "-1")])
def test_a_bad_filter_is_a_422_pointing_at_it(admin, name, value):
    answer = admin.client.get("/api/call-records", params={name: value})
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["pointer"] == f"/{name}"
    assert admin.client.get("/api/call-records.csv", params={name: value}).status_code == (
        422 if name not in ("limit", "offset") else 200)


def test_one_record_with_the_steps_looked_up_in_its_plan_version(admin, db):
    with db() as session:
        plan = CallPlanRecord(tenant_id=admin.tenant.id, name="Main", draft={})
        session.add(plan)
        session.flush()
        session.add(CallPlanVersion(tenant_id=admin.tenant.id, plan_id=plan.id, version=2, document={
            "name": "Main", "steps": [
                {"id": "hours", "type": "time_condition", "label": "Office hours", "open": [
                    {"id": "sales", "type": "ring_group", "group": 1}]},
            ]}))
        plan_id = plan.id
    record_id = make_call_record(db, None, admin.tenant.id, plan_id=plan_id, plan_version=2,
                                 steps=["hours", "sales", "999:1:gone"])  # a step of another plan: its whole mark
    answer = admin.client.get(f"/api/call-records/{record_id}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["steps"] == [
        {"plan_id": plan_id, "version": 2, "step": "hours", "type": "time_condition", "name": "Office hours"},
        {"plan_id": plan_id, "version": 2, "step": "sales", "type": "ring_group", "name": "ring_group"},
        {"plan_id": 999, "version": 1, "step": "gone", "type": None, "name": None},  # the plan is gone
    ]
    assert body["sources"] == ["cdr"] and body["plan_version"] == 2


def test_csv_export_is_filtered_and_safe_in_a_spreadsheet(admin, sample):
    answer = admin.client.get("/api/call-records.csv", params={"direction": "internal"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [int(r["id"]) for r in rows] == [sample.ids["internal"]]
    assert rows[0]["caller_name"] == "'=HYPERLINK(\"http://evil\")"  # a formula shown as text
    everything = list(csv.DictReader(io.StringIO(admin.client.get("/api/call-records.csv").text)))
    assert len(everything) == 4
    answered = next(r for r in everything if int(r["id"]) == sample.ids["answered"])
    assert answered["caller_number"] == "'+442079460000" and answered["answered_by"] == "Anna"
    mobile = next(r for r in everything if int(r["id"]) == sample.ids["mobile"])
    assert mobile["cost"] == "0.1200" and mobile["missed"] == "false"


def test_another_tenants_records_are_invisible(admin, other_admin, db):
    own = make_call_record(db, None, admin.tenant.id)
    theirs = make_call_record(db, None, other_admin.tenant.id, caller_number="999111")
    assert listed(admin) == [own]
    assert admin.client.get("/api/call-records", params={"number": "999111"}).json()["total"] == 0
    assert admin.client.get(f"/api/call-records/{theirs}").status_code == 404
    assert "999111" not in admin.client.get("/api/call-records.csv").text
    assert other_admin.client.get(f"/api/call-records/{theirs}").status_code == 200


def test_who_may_read_records_and_manage_rates(app, admin, db, settings):
    def client(role):
        account = make_account(db, settings, admin.tenant.id, f"{role}@acme.test", role=role)
        return TestClient(app, headers={"authorization": f"Bearer {make_token(db, account)}"})

    reports, user = client("reports"), client("user")
    assert reports.get("/api/call-records").status_code == 200
    assert user.get("/api/call-records").status_code == 403
    assert reports.get("/api/call-rates").status_code == 403
    assert reports.post("/api/call-rates", json={"call_type": "mobile", "price_per_minute": "0.1"}).status_code == 403


# --- the rate table's API -----------------------------------------------------------------------------


def test_rates_are_created_changed_and_deleted(admin):
    created = admin.create("/api/call-rates", prefix="+3161", price_per_minute="0.15", setup_price=0.02,
                           increment_seconds=30, description="KPN mobile")
    assert created["prefix"] == "+3161" and created["call_type"] is None
    assert Decimal(created["price_per_minute"]) == Decimal("0.15") and Decimal(created["setup_price"]) == Decimal("0.02")
    by_type = admin.create("/api/call-rates", call_type="international", price_per_minute=0.5, currency="USD")
    assert by_type["increment_seconds"] == 60 and by_type["currency"] == "USD"
    changed = admin.client.patch(f"/api/call-rates/{created['id']}", json={"price_per_minute": "0.1234"})
    assert changed.status_code == 200 and Decimal(changed.json()["price_per_minute"]) == Decimal("0.1234")
    switched = admin.client.patch(f"/api/call-rates/{created['id']}", json={"prefix": None, "call_type": "mobile"})
    assert switched.status_code == 200 and switched.json()["call_type"] == "mobile"
    assert len(admin.client.get("/api/call-rates").json()) == 2
    assert admin.client.delete(f"/api/call-rates/{by_type['id']}").status_code == 204


@pytest.mark.parametrize("body, pointer", [
    ({"price_per_minute": "0.1"}, "/prefix"),                                          # neither
    ({"prefix": "+31", "call_type": "mobile", "price_per_minute": "0.1"}, "/call_type"),  # both
    ({"prefix": "0031", "price_per_minute": "0.1"}, "/prefix"),                          # not E.164
    ({"prefix": "+31 6", "price_per_minute": "0.1"}, "/prefix"),
    ({"call_type": "cheap", "price_per_minute": "0.1"}, "/call_type"),
    ({"call_type": "mobile", "price_per_minute": "-0.01"}, "/price_per_minute"),
    ({"call_type": "mobile", "price_per_minute": "0.1", "setup_price": "-1"}, "/setup_price"),
    ({"call_type": "mobile", "price_per_minute": "0.12345"}, "/price_per_minute"),       # 4 decimals at most
    ({"call_type": "mobile", "price_per_minute": "abc"}, "/price_per_minute"),
    ({"call_type": "mobile"}, "/price_per_minute"),
    ({"call_type": "mobile", "price_per_minute": "0.1", "increment_seconds": 0}, "/increment_seconds"),
    ({"call_type": "mobile", "price_per_minute": "0.1", "currency": "euro"}, "/currency"),
])
def test_bad_rates_are_422_with_a_pointer(admin, body, pointer):
    answer = admin.client.post("/api/call-rates", json=body)
    assert answer.status_code == 422, answer.text
    assert pointer in [error["pointer"] for error in answer.json()["errors"]]


def test_a_change_that_leaves_both_or_neither_is_refused(admin):
    created = admin.create("/api/call-rates", call_type="mobile", price_per_minute="0.1")
    answer = admin.client.patch(f"/api/call-rates/{created['id']}", json={"prefix": "+316"})
    assert answer.status_code == 422 and answer.json()["errors"][0]["pointer"] == "/call_type"
    answer = admin.client.patch(f"/api/call-rates/{created['id']}", json={"call_type": None})
    assert answer.status_code == 422 and answer.json()["errors"][0]["pointer"] == "/prefix"


def test_rates_price_only_their_own_tenants_calls(admin, other_admin, db):
    make_call_rate(db, None, other_admin.tenant.id, call_type="mobile", price_per_minute=Decimal("9"))
    with db() as session:
        record, _ = call_records.store(session, call_records.from_event(
            hangup_event(IVR_CALL, domain=DOMAIN, set_vars={"cp_dialled": "0612345678"}).headers), "events")
        assert record.tenant_id == admin.tenant.id and record.cost is None
    assert other_admin.client.get("/api/call-rates").json()[0]["call_type"] == "mobile"
    assert admin.client.get("/api/call-rates").json() == []
