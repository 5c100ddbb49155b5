"""Per-step counts on the canvas (#17 item 4): calls walked through a published plan by the simulator are
stored as call records the way FreeSWITCH reports them (web.domain.call_records.store, so the database's
triggers count them into call_path_hour), and GET /api/plans/{id}/step-counts answers what the simulator's
own paths and outcomes say, counted here independently: reached, ended and how, the busiest path; in the
company's time zone (Amsterdam, and Kolkata, whose days start on a half hour); after a record is merged
with a second source and after one is deleted; bad queries, and another company's plan and records."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import delete, select

from tests.web.pbx import admin, other_admin  # noqa: F401  (fixtures)
from tests.web.test_call_plans import World, problem, publish, simulate, world  # noqa: F401  (fixture)
from web.domain import call_records
from web.models.call_path import CallPathHour
from web.models.call_record import CallRecord
from web.models.tenant import Tenant

AMSTERDAM, KOLKATA = ZoneInfo("Europe/Amsterdam"), ZoneInfo("Asia/Kolkata")
MAIN = "+31201234567"
_serial = itertools.count(1)


def plan_document(w: World) -> dict:
    """Office hours ring a queue, then a group; at lunch an IVR (1: the group through the menu, 2: hang
    up); otherwise an announcement, a mail, and the company's voicemail."""
    return {"name": "Counted", "numbers": [MAIN], "steps": [
        {"id": "s1", "type": "time_condition", "schedule": w.office, "then": [
            {"id": "s2", "type": "queue", "queue": w.queue, "max_wait_s": 120},
            {"id": "s3", "type": "prefix", "text": "MISSED "},
            {"id": "s4", "type": "ring_group", "group": w.group},
        ]},
        {"id": "s5", "type": "time_condition", "schedule": w.lunch, "then": [
            {"id": "s6", "type": "ivr", "menu": w.menu, "keys": {"2": [{"id": "s11", "type": "hang_up"}]}}]},
        {"id": "s7", "type": "announcement", "audio": w.audio},
        {"id": "s8", "type": "email", "to": ["info@example.com"]},
        {"id": "s10", "type": "voicemail", "box": w.box},
    ]}


# (local time of day, weekday or weekend, keys, answering steps, how many calls)
SCENARIOS = [
    ("10:00", True, [], ["s2"], 7),  # the queue answers
    ("10:00", True, [], ["s4"], 3),  # the group answers
    ("10:00", True, [], [], 4),  # nobody: on to the voicemail
    ("12:30", True, ["1"], ["s6"], 2),  # lunch, key 1: the menu transfers to the group, which answers
    ("12:30", True, ["2"], [], 1),  # lunch, key 2: hung up
    ("11:00", False, [], [], 5),  # the weekend: voicemail
]


def _days(weekday: bool):
    day = date(2026, 11, 2)
    while True:
        if (day.weekday() < 5) == weekday and day not in (date(2026, 12, 25), date(2026, 12, 26)):
            yield day
        day += timedelta(days=1)


def _record(admin, plan_id: int, version: int, at: datetime, path: list[str], answered: bool, source="cdr",
            uuid: str | None = None) -> str:
    """Store a call as FreeSWITCH reports it: cp_path's marks, and who answered (Anna's extension)."""
    uuid = uuid or f"counted-{next(_serial)}"
    facts = call_records.Facts(
        call_uuid=uuid, tenant_id=admin.tenant.id, inbound=True, caller_number="+31612345678", dialled_number=MAIN,
        started_at=at, ended_at=at + timedelta(minutes=1), plan_id=plan_id, plan_version=version,
        steps=[{"plan_id": plan_id, "version": version, "step": step} for step in path],
        bridged=answered, answered_candidates=["201"] if answered else [])
    with admin.db() as session:
        call_records.store(session, facts, source)
    return uuid


def _answered(outcome: str, answers: list[str]) -> bool:
    """Whether the record says a person answered: a ringing step of the plan that answered, or the
    extension the menu transferred the call to (a ring group here) when the scenario has it answer."""
    return outcome.startswith("answered:") or (outcome.startswith("transferred:") and not outcome.startswith(
        "transferred:plan:") and bool(answers))


def _how(outcome: str, answered: bool) -> str:
    kind = outcome.split(":", 1)[0]
    assert not outcome.startswith("transferred:plan:"), outcome  # no plan here transfers to another
    if answered:
        return "answered"
    return {"voicemail": "voicemail", "announced": "voicemail"}.get(kind, "hung_up")


def _expected(calls, zone, first: date, last: date) -> dict:
    """The counts from the simulator's answers alone: the call's local date decides the period."""
    reached, ended = Counter(), defaultdict(Counter)
    paths = Counter()
    total = 0
    for at, steps, outcome, answered in calls:
        if not first <= at.astimezone(zone).date() <= last:
            continue
        total += 1
        reached.update(set(steps))
        ended[steps[-1]][_how(outcome, answered)] += 1
        paths[tuple(steps)] += 1
    (top, top_calls), *rest = paths.most_common() or [((), 0)]
    assert not rest or rest[0][1] < top_calls, "the test's data must have one busiest path"
    return {"calls": total, "reached": dict(reached), "ended": {step: dict(c) for step, c in ended.items()},
            "busiest": {"steps": list(top), "calls": top_calls} if total else None}


def _answer(body: dict) -> dict:
    return {"calls": body["calls"], "reached": {row["step"]: row["reached"] for row in body["steps"] if row["reached"]},
            "ended": {row["step"]: {how: row[how] for how in ("answered", "voicemail", "transferred", "hung_up") if row[how]}
                      for row in body["steps"] if row["ended"]},
            "busiest": body["busiest_path"]}


def _counts(admin, plan_id: int, **query) -> dict:
    response = admin.client.get(f"/api/plans/{plan_id}/step-counts", params=query)
    assert response.status_code == 200, response.text
    body = response.json()
    for row in body["steps"]:
        assert row["ended"] == row["answered"] + row["voicemail"] + row["transferred"] + row["hung_up"]
    return body


@pytest.fixture
def counted(admin, world):
    plan_id = admin.create("/api/plans", **plan_document(world))["id"]
    version = publish(admin, plan_id)["version"]["version"]
    calls = []  # (instant, steps, the simulator's outcome, answered by a person)

    def call(at: datetime, keys, answers):
        result = simulate(admin, plan_id, at=at.isoformat(), keys=keys, answers=answers, version="published",
                          number=MAIN)
        answered = _answered(result["outcome"], answers)
        _record(admin, plan_id, version, at, result["steps"], answered)
        calls.append((at, result["steps"], result["outcome"], answered))

    for clock_time, weekday, keys, answers, n in SCENARIOS:
        hour, minute = map(int, clock_time.split(":"))
        for day in itertools.islice(_days(weekday), 0, 3 * n, 3):  # spread over November and December
            call(datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMSTERDAM), keys, answers)
    # either side of midnight at the turn of the month, in Amsterdam and in Kolkata (18:30 UTC)
    for moment in ("2026-11-30T22:50:00+00:00", "2026-11-30T23:10:00+00:00", "2026-11-30T18:20:00+00:00",
                   "2026-11-30T18:40:00+00:00"):
        call(datetime.fromisoformat(moment), [], [])
    return plan_id, version, calls


def test_the_counts_are_the_simulated_calls_counted(admin, counted):
    plan_id, version, calls = counted
    whole = _counts(admin, plan_id, period="custom", **{"from": "2026-11-01", "to": "2026-12-31"})
    assert whole["version"] == version and whole["published_version"] == version and whole["versions"] == [version]
    assert whole["period"] == {"period": "custom", "first": "2026-11-01", "last": "2026-12-31", "timezone": "Europe/Amsterdam"}
    assert [row["step"] for row in whole["steps"]] == ["s1", "s2", "s3", "s4", "s5", "s6", "s11", "s7", "s8", "s10"]
    assert _answer(whole) == _expected(calls, AMSTERDAM, date(2026, 11, 1), date(2026, 12, 31))
    assert whole["calls"] == len(calls) == 26
    # closed: the weekend's 5 calls and the 4 at night beat the 7 the queue answered
    assert whole["busiest_path"] == {"steps": ["s1", "s5", "s7", "s8", "s10"], "calls": 9}
    for first, last in ((date(2026, 12, 1), date(2026, 12, 31)), (date(2026, 11, 1), date(2026, 11, 30)),
                        (date(2026, 11, 10), date(2026, 11, 24))):
        answer = _counts(admin, plan_id, period="custom", **{"from": first.isoformat(), "to": last.isoformat()})
        assert _answer(answer) == _expected(calls, AMSTERDAM, first, last)

    # Kolkata's days start at 18:30 UTC: the part-hours at the period's ends come from the records
    with admin.db() as session:
        session.get(Tenant, admin.tenant.id).timezone = "Asia/Kolkata"
    for first, last in ((date(2026, 12, 1), date(2026, 12, 31)), (date(2026, 11, 1), date(2026, 11, 30))):
        answer = _counts(admin, plan_id, period="custom", **{"from": first.isoformat(), "to": last.isoformat()})
        assert answer["period"]["timezone"] == "Asia/Kolkata"
        assert _answer(answer) == _expected(calls, KOLKATA, first, last)


def test_a_record_merged_or_deleted_moves_its_count(admin, counted):
    plan_id, version, calls = counted
    query = {"period": "custom", "from": "2026-11-01", "to": "2026-12-31"}
    before = _answer(_counts(admin, plan_id, **query))
    # The bridge's event first (the queue rang, nobody had answered yet), then FreeSWITCH's CDR: the group
    # answered. One call, counted once, where it ended.
    at = datetime(2026, 11, 17, 10, 5, tzinfo=AMSTERDAM)
    uuid = _record(admin, plan_id, version, at, ["s1", "s2"], False, source="events")
    middle = _answer(_counts(admin, plan_id, **query))
    assert middle["calls"] == before["calls"] + 1
    assert middle["ended"]["s2"].get("hung_up", 0) == before["ended"]["s2"].get("hung_up", 0) + 1
    _record(admin, plan_id, version, at, ["s1", "s2", "s3", "s4"], True, source="cdr", uuid=uuid)
    after = _answer(_counts(admin, plan_id, **query))
    assert after["calls"] == before["calls"] + 1
    assert after["ended"]["s2"] == before["ended"]["s2"]
    assert after["ended"]["s4"]["answered"] == before["ended"]["s4"]["answered"] + 1
    assert after["reached"]["s3"] == before["reached"]["s3"] + 1
    with admin.db() as session:
        session.exec(delete(CallRecord).where(CallRecord.call_uuid == uuid))
    assert _answer(_counts(admin, plan_id, **query)) == before
    with admin.db() as session:  # the table holds the same as counting the records in full
        rows = session.exec(select(CallPathHour.path, CallPathHour.calls).where(CallPathHour.plan_id == plan_id)).all()
        assert sum(n for _, n in rows) == len(calls)


def test_bad_queries_name_the_field(admin, counted):
    plan_id, version, _ = counted
    url = f"/api/plans/{plan_id}/step-counts"
    for query, status, code, pointer in (
            ({"period": "custom", "from": "2026-11-01"}, 422, "invalid_filter", "/to"),
            ({"period": "someday"}, 422, "invalid_filter", "/period"),
            ({"period": "custom", "from": "2026-13-01", "to": "2026-12-01"}, 422, "invalid_filter", "/from"),
            ({"period": "custom", "from": "2025-01-01", "to": "2026-12-31"}, 422, "invalid_filter", "/to"),
            ({"version": "latest"}, 422, "invalid_filter", "/version"),
            ({"version": str(version + 1)}, 404, "version_not_found", "/version")):
        body = problem(admin.client.get(url, params=query), status, code)
        assert [error["pointer"] for error in body["errors"]] == [pointer], body
    draft = admin.create("/api/plans", name="Never published", steps=[{"id": "h", "type": "hang_up"}])
    problem(admin.client.get(f"/api/plans/{draft['id']}/step-counts"), 409, "plan_not_published")
    assert _counts(admin, plan_id)["period"]["period"] == "this_month"


def test_another_company_sees_neither_the_plan_nor_adds_to_its_counts(admin, other_admin, counted):
    plan_id, version, calls = counted
    query = {"period": "custom", "from": "2026-11-01", "to": "2026-12-31"}
    before = _counts(admin, plan_id, **query)
    problem(other_admin.client.get(f"/api/plans/{plan_id}/step-counts", params=query), 404, "not_found")
    # a record of the other company that names this plan (it cannot happen on the switch; the query must
    # not care) is the other company's alone
    facts = call_records.Facts(call_uuid="theirs-1", tenant_id=other_admin.tenant.id, inbound=True, dialled_number=MAIN,
                               started_at=datetime(2026, 11, 17, 9, 0, tzinfo=timezone.utc), plan_id=plan_id,
                               plan_version=version, steps=[{"plan_id": plan_id, "version": version, "step": "s1"}])
    with other_admin.db() as session:
        call_records.store(session, facts, "cdr")
    assert _counts(admin, plan_id, **query) == before


def test_calls_stored_at_once_are_each_counted_once(admin, counted):
    """Twelve records of the same path and hour stored at the same moment, each in its own transaction,
    then all twelve merged with their CDR (now answered) at once: the triggers' counts add up exactly."""
    import threading

    plan_id, version, _ = counted
    at = datetime(2026, 11, 18, 10, 20, tzinfo=AMSTERDAM)
    query = {"period": "custom", "from": "2026-11-18", "to": "2026-11-18"}
    before = _answer(_counts(admin, plan_id, **query))

    def race(answered: bool, source: str) -> None:
        barrier = threading.Barrier(12)
        failures = []

        def one(n: int) -> None:
            barrier.wait()
            try:
                _record(admin, plan_id, version, at, ["s1", "s2"], answered, source=source, uuid=f"race-{n}")
            except Exception as exc:  # reported below
                failures.append(exc)

        threads = [threading.Thread(target=one, args=(n,)) for n in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not failures, failures

    race(False, "events")
    middle = _answer(_counts(admin, plan_id, **query))
    assert middle["calls"] == before["calls"] + 12
    assert middle["ended"]["s2"].get("hung_up", 0) == before["ended"].get("s2", {}).get("hung_up", 0) + 12
    race(True, "cdr")
    after = _answer(_counts(admin, plan_id, **query))
    assert after["calls"] == before["calls"] + 12
    assert after["ended"]["s2"].get("hung_up", 0) == before["ended"].get("s2", {}).get("hung_up", 0)
    assert after["ended"]["s2"]["answered"] == before["ended"].get("s2", {}).get("answered", 0) + 12


def test_each_version_counts_its_own_calls(admin, counted):
    plan_id, version, calls = counted
    query = {"period": "custom", "from": "2026-11-01", "to": "2026-12-31"}
    first = _counts(admin, plan_id, **query)
    newer = publish(admin, plan_id)["version"]["version"]
    now = _counts(admin, plan_id, **query)  # the version in use now: none of the calls ran it
    assert (now["version"], now["published_version"], now["versions"]) == (newer, newer, [newer, version])
    assert now["calls"] == 0 and now["busiest_path"] is None and {row["reached"] for row in now["steps"]} == {0}
    assert _counts(admin, plan_id, version=str(version), **query) == {**first, "published_version": newer,
                                                                       "versions": [newer, version]}
