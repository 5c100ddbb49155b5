"""The queue and agent reports (#17 item 3): the API's figures equal figures computed here, independently,
from random rows (queue calls, agents' status spans, missed offers) and periods around the end of summer
time (Europe/Amsterdam), for a random service-level threshold, on SQLite and PostgreSQL; CSV has the same
rows; a bad threshold or period is a 422 naming it; another company's rows are never counted; roles."""

from __future__ import annotations

import csv
import io
import itertools
from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from sqlmodel import delete
from starlette.testclient import TestClient

from tests.web.helpers import make_account, make_token
from tests.web.pbx import admin, other_admin  # noqa: F401
from web.models.queue_stats import AgentMissedOffer, AgentStatusSpan, QueueCall

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
FIRST_DAY, LAST_DAY = date(2026, 10, 20), date(2026, 11, 3)
LOW, HIGH = int(datetime(2026, 10, 19, tzinfo=timezone.utc).timestamp()), int(datetime(2026, 11, 4, tzinfo=timezone.utc).timestamp())
GONE_QUEUE = 987654  # a queue deleted since: its calls still count, without a name
_serial = itertools.count(1)


@pytest.fixture
def company(admin):
    anna = admin.user("201", "Anna")
    bert = admin.user("202", "Bert")
    carl = admin.user("203", "Carl")  # an agent of a queue without any figures: listed with zeros
    support = admin.create("/api/queues", name="Support", tiers=[{"user_id": anna["id"]}, {"user_id": carl["id"]}])
    sales = admin.create("/api/queues", name="Sales", tiers=[{"user_id": bert["id"]}])
    return admin, {"anna": anna["id"], "bert": bert["id"], "carl": carl["id"], "support": support["id"], "sales": sales["id"]}


def _queue_call():
    return st.fixed_dictionaries({
        "joined": st.integers(min_value=LOW, max_value=HIGH), "queue": st.sampled_from(("support", "sales", None)),
        "outcome": st.sampled_from(("answered", "abandoned", "timeout", "exited")),
        "wait": st.integers(min_value=0, max_value=120), "talk": st.integers(min_value=0, max_value=900),
        "agent": st.sampled_from(("anna", "bert")),
    })


def _span():
    return st.fixed_dictionaries({
        "start": st.integers(min_value=LOW, max_value=HIGH), "length": st.integers(min_value=0, max_value=3 * 86400),
        "status": st.sampled_from(("Available", "On Break")), "agent": st.sampled_from(("anna", "bert")),
    })


def _missed():
    return st.fixed_dictionaries({"at": st.integers(min_value=LOW, max_value=HIGH), "agent": st.sampled_from(("anna", "bert"))})


def _period():
    day = st.integers(min_value=0, max_value=(LAST_DAY - FIRST_DAY).days).map(lambda n: FIRST_DAY + timedelta(days=n))
    return st.tuples(day, day).map(sorted)


def _local_date(epoch: int) -> date:
    return datetime.fromtimestamp(epoch, timezone.utc).astimezone(AMSTERDAM).date()


def _tenth(numerator, denominator):
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _expected(calls, spans, missed, ids, first, last, threshold):
    queue_ids = {"support": ids["support"], "sales": ids["sales"], None: GONE_QUEUE}
    per_queue = defaultdict(lambda: {"offered": 0, "answered": 0, "abandoned": 0, "timed_out": 0, "within": 0,
                                     "waits": []})
    per_agent = defaultdict(lambda: {"calls": 0, "talk": 0, "logged_in": 0, "break": 0, "missed": 0})
    for call in calls:
        if not first <= _local_date(call["joined"]) <= last:
            continue
        for key in (str(queue_ids[call["queue"]]), "all"):
            sums = per_queue[key]
            sums["offered"] += 1
            sums["waits"].append(call["wait"])
            if call["outcome"] == "answered":
                sums["answered"] += 1
                sums["within"] += call["wait"] <= threshold
            elif call["outcome"] == "abandoned":
                sums["abandoned"] += 1
            else:
                sums["timed_out"] += 1
        if call["outcome"] == "answered":
            agent = per_agent[str(ids[call["agent"]])]
            agent["calls"] += 1
            agent["talk"] += call["talk"]
    # the period's instants: midnight to midnight on the company's wall clock (a DST day: 23 or 25 hours)
    period_start = datetime.combine(first, time(0), tzinfo=AMSTERDAM).timestamp()
    period_end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=AMSTERDAM).timestamp()
    for span in spans:
        inside = max(0, min(span["start"] + span["length"], period_end) - max(span["start"], period_start))
        agent = per_agent[str(ids[span["agent"]])]
        agent["logged_in"] += inside
        if span["status"] == "On Break":
            agent["break"] += inside
    for offer in missed:
        if first <= _local_date(offer["at"]) <= last:
            per_agent[str(ids[offer["agent"]])]["missed"] += 1
    return per_queue, per_agent


def _queue_figures(sums):
    return {"offered": sums["offered"], "answered": sums["answered"], "abandoned": sums["abandoned"],
            "timed_out": sums["timed_out"], "answered_within": sums["within"],
            "service_level": _tenth(100 * sums["within"], sums["offered"]),
            "average_wait_seconds": _tenth(sum(sums["waits"]), sums["offered"]),
            "longest_wait_seconds": max(sums["waits"], default=0)}


def _api_queue(row):
    figures = {name: row[name] for name in ("offered", "answered", "abandoned", "timed_out", "answered_within",
                                            "longest_wait_seconds")}
    for name in ("service_level", "average_wait_seconds"):
        figures[name] = None if row[name] is None else Decimal(row[name])
    return figures


def _store(db, tenant_id, ids, calls, spans, missed):
    with db() as session:
        for model in (QueueCall, AgentStatusSpan, AgentMissedOffer):
            session.exec(delete(model).where(model.tenant_id == tenant_id))
        for call in calls:
            joined = datetime.fromtimestamp(call["joined"], timezone.utc)
            answered = call["outcome"] == "answered"
            answered_at = joined + timedelta(seconds=call["wait"]) if answered else None
            left = answered_at + timedelta(seconds=call["talk"]) if answered else joined + timedelta(seconds=call["wait"])
            session.add(QueueCall(
                tenant_id=tenant_id, queue_id=ids[call["queue"]] if call["queue"] else GONE_QUEUE,
                member_uuid=f"member-{next(_serial)}", joined_at=joined, answered_at=answered_at, left_at=left,
                agent_user_id=ids[call["agent"]] if answered else None, wait_seconds=call["wait"],
                talk_seconds=call["talk"] if answered else 0, outcome=call["outcome"]))
        for span in spans:
            start = datetime.fromtimestamp(span["start"], timezone.utc)
            session.add(AgentStatusSpan(tenant_id=tenant_id, user_id=ids[span["agent"]], status=span["status"],
                                        started_at=start, ended_at=start + timedelta(seconds=span["length"])))
        for offer in missed:
            session.add(AgentMissedOffer(tenant_id=tenant_id, user_id=ids[offer["agent"]], queue_id=ids["support"],
                                         member_uuid=f"member-{next(_serial)}",
                                         offered_at=datetime.fromtimestamp(offer["at"], timezone.utc), cause="NO_ANSWER"))


def test_figures_equal_sums_of_the_rows(company, db):
    admin, ids = company

    @hypothesis_settings(max_examples=30, derandomize=True, database=None, deadline=None,
                         suppress_health_check=list(HealthCheck))
    @given(st.lists(_queue_call(), max_size=25), st.lists(_span(), max_size=8), st.lists(_missed(), max_size=6),
           _period(), st.integers(min_value=1, max_value=60))
    def check(calls, spans, missed, span, threshold):
        first, last = span
        _store(db, admin.tenant.id, ids, calls, spans, missed)
        params = {"period": "custom", "from": first.isoformat(), "to": last.isoformat()}
        per_queue, per_agent = _expected(calls, spans, missed, ids, first, last, threshold)

        answer = admin.client.get("/api/reports/queues", params=params | {"service_level": str(threshold)})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["service_level_s"] == threshold
        assert _api_queue(body["overall"]) == _queue_figures(per_queue["all"])
        listed = {row["key"]: row for row in body["queues"]}
        # today's queues always, by name; a deleted one only with calls, without a name, last
        assert [row["label"] for row in body["queues"]][:2] == ["Sales", "Support"]
        assert set(listed) == {str(ids["support"]), str(ids["sales"])} | ({str(GONE_QUEUE)} if str(GONE_QUEUE) in per_queue else set())
        for key, row in listed.items():
            assert _api_queue(row) == _queue_figures(per_queue[key]), key

        agents = admin.client.get("/api/reports/agents", params=params).json()["agents"]
        assert [row["label"] for row in agents] == ["Anna (201)", "Bert (202)", "Carl (203)"]
        for row in agents:
            sums = per_agent[row["key"]]
            assert (row["calls"], row["talk_seconds"], row["logged_in_seconds"], row["break_seconds"], row["missed_offers"]) == (
                sums["calls"], sums["talk"], sums["logged_in"], sums["break"], sums["missed"]), row["label"]
            aht = row["average_handling_seconds"]
            assert (None if aht is None else Decimal(aht)) == _tenth(sums["talk"], sums["calls"])

    check()


def test_an_open_span_counts_until_now(company, db):
    admin, ids = company
    started = datetime.now(timezone.utc) - timedelta(minutes=30)
    with db() as session:
        session.add(AgentStatusSpan(tenant_id=admin.tenant.id, user_id=ids["anna"], status="On Break", started_at=started))
    agents = admin.client.get("/api/reports/agents").json()["agents"]
    (anna,) = [row for row in agents if row["key"] == str(ids["anna"])]
    # this month holds the last 30 minutes unless the month began within them
    assert 1700 <= anna["break_seconds"] <= 1900 or started.astimezone(AMSTERDAM).month != datetime.now(AMSTERDAM).month
    assert anna["logged_in_seconds"] == anna["break_seconds"]


@pytest.mark.parametrize("value", ["0", "3601", "-5", "20s", "1e3", "٣", " ", "99999999999999999999"])
@pytest.mark.parametrize("path", ["/api/reports/queues", "/api/reports/queues.csv"])
def test_a_bad_service_level_is_a_422_naming_it(admin, path, value):
    answer = admin.client.get(path, params={"service_level": value})
    if value == " ":  # blank: the default
        assert answer.status_code == 200
        return
    assert answer.status_code == 422, answer.text
    assert [error["pointer"] for error in answer.json()["errors"]] == ["/service_level"]


@pytest.mark.parametrize("path", ["/api/reports/queues", "/api/reports/agents", "/api/reports/queues.csv",
                                  "/api/reports/agents.csv"])
def test_a_bad_period_is_a_422_naming_the_field(admin, path):
    answer = admin.client.get(path, params={"period": "custom", "from": "2026-11-02", "to": "2026-11-01"})
    assert answer.status_code == 422 and [error["pointer"] for error in answer.json()["errors"]] == ["/to"]


def test_csv_has_the_apis_rows(company, db):
    admin, ids = company
    joined = int(datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc).timestamp())
    calls = [{"joined": joined, "queue": "support", "outcome": "answered", "wait": 15, "talk": 100, "agent": "anna"},
             {"joined": joined + 60, "queue": "support", "outcome": "abandoned", "wait": 30, "talk": 0, "agent": "anna"},
             {"joined": joined + 90, "queue": "sales", "outcome": "answered", "wait": 25, "talk": 50, "agent": "bert"}]
    _store(db, admin.tenant.id, ids, calls, [], [{"at": joined, "agent": "bert"}])
    params = {"period": "custom", "from": "2026-11-01", "to": "2026-11-30", "service_level": "20"}
    body = admin.client.get("/api/reports/queues", params=params).json()
    assert body["overall"]["service_level"] == "33.3" and body["overall"]["longest_wait_seconds"] == 30
    answer = admin.client.get("/api/reports/queues.csv", params=params)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert 'filename="queues-2026-11-01-2026-11-30.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(row["queue"], row["label"], row["offered"], row["service_level"]) for row in rows] == [
        (str(ids["sales"]), "Sales", "1", "0.0"), (str(ids["support"]), "Support", "2", "50.0")]
    agents = list(csv.DictReader(io.StringIO(admin.client.get("/api/reports/agents.csv", params=params).text)))
    assert [(row["label"], row["calls"], row["talk_seconds"], row["missed_offers"]) for row in agents] == [
        ("Anna (201)", "1", "100", "0"), ("Bert (202)", "1", "50", "1"), ("Carl (203)", "0", "0", "0")]


def test_another_companys_rows_are_not_counted(company, other_admin, db):
    admin, ids = company
    joined = int(datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc).timestamp())
    other_ids = {"support": ids["support"], "sales": ids["sales"], "anna": ids["anna"], "bert": ids["bert"]}
    # rows of the other company that even name this company's queue and users
    _store(db, other_admin.tenant.id, other_ids,
           [{"joined": joined, "queue": "support", "outcome": "answered", "wait": 5, "talk": 60, "agent": "anna"}],
           [{"start": joined, "length": 600, "status": "On Break", "agent": "anna"}], [{"at": joined, "agent": "anna"}])
    params = {"period": "custom", "from": "2026-11-01", "to": "2026-11-30"}
    mine = admin.client.get("/api/reports/queues", params=params).json()
    assert mine["overall"]["offered"] == 0 and all(row["offered"] == 0 for row in mine["queues"])
    agents = admin.client.get("/api/reports/agents", params=params).json()["agents"]
    assert all((row["calls"], row["logged_in_seconds"], row["missed_offers"]) == (0, 0, 0) for row in agents)
    assert "60" not in admin.client.get("/api/reports/agents.csv", params=params).text.split("\r\n", 1)[1]
    theirs = other_admin.client.get("/api/reports/queues", params=params).json()
    assert theirs["overall"]["offered"] == 1
    assert [row["label"] for row in theirs["queues"]] == [""]  # not this company's queue name
    their_agents = other_admin.client.get("/api/reports/agents", params=params).json()["agents"]
    assert [(row["label"], row["calls"]) for row in their_agents] == [("", 1)]  # nor its user's name


def test_who_may_read_them(app, admin, db, settings):
    def client(role):
        account = make_account(db, settings, admin.tenant.id, f"{role}@acme.test", role=role)
        return TestClient(app, headers={"authorization": f"Bearer {make_token(db, account)}"})

    reader, refused = client("reports"), [client("user"), client("agent")]
    for path in ("/api/reports/queues", "/api/reports/agents", "/api/reports/queues.csv", "/api/reports/agents.csv"):
        assert reader.get(path).status_code == 200
        assert [other.get(path).status_code for other in refused] == [403, 403]
