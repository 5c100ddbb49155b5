"""The reports' running totals (web.models.call_report, kept by triggers on call_record, migrations 0035-36)
stay equal to the records counted afresh, on SQLite and PostgreSQL, however records are written: the CDR
post and the bridge's event one by one (store), merged on the same call, the bridge's batched INSERT ...
ON CONFLICT (RecordBatch) including a call already there, updated, deleted, and a user who answered
deleted (the foreign key's SET NULL). And the activity in a zone three quarters of an hour off UTC."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import delete, select

from tests.web.pbx import admin  # noqa: F401  (fixture)
from web.domain import call_records, reports
from web.models.call_record import CallRecord
from web.models.call_report import CallReportNumberMonth, CallReportOwnerDay, CallReportSlot
from web.models.pbx_user import PbxUser
from web.models.tenant import Tenant

_serial = itertools.count(1)
UTC = timezone.utc


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _recount(session, tenant_id: int) -> tuple[dict, dict, dict]:
    """What the two tables must hold, counted here from the records (rows at 0 left out)."""
    slots, owners, numbers = defaultdict(lambda: [0] * 5), defaultdict(lambda: [0] * 5), defaultdict(lambda: [0] * 5)
    for r in session.exec(select(CallRecord).where(CallRecord.tenant_id == tenant_id)).all():
        start = _utc(r.started_at).astimezone(UTC)
        slot = start.replace(minute=start.minute // 15 * 15, second=0, microsecond=0)
        day = start.replace(hour=0, minute=0, second=0, microsecond=0)
        month = day.replace(day=1)
        sums = [1, int(r.answered_at is not None), int(bool(r.missed)), r.billed_seconds,
                int((Decimal(str(r.cost or 0)) * 10000).to_integral_value())]
        for table, key in ((slots, (slot, r.call_type)),
                           (owners, (day, "" if r.direction == "inbound" else r.caller_number, r.answered_by_user_id or 0)),
                           (numbers, (month, "sender", r.caller_number)), (numbers, (month, "receiver", r.dialled_number))):
            table[key] = [a + b for a, b in zip(table[key], sums)]
    return dict(slots), dict(owners), dict(numbers)


def _stored(session, tenant_id: int) -> tuple[dict, dict, dict]:
    slots = {(_utc(row.slot), row.call_type): [row.calls, row.answered, row.missed, row.seconds, row.cost_units]
             for row in session.exec(select(CallReportSlot).where(CallReportSlot.tenant_id == tenant_id)).all()
             if row.calls}
    owners = {(_utc(row.day), row.caller_extension, row.answered_by_user_id):
              [row.calls, row.answered, row.missed, row.seconds, row.cost_units]
              for row in session.exec(select(CallReportOwnerDay).where(CallReportOwnerDay.tenant_id == tenant_id)).all()
              if row.calls}
    numbers = {(_utc(row.month), row.side, row.number): [row.calls, row.answered, row.missed, row.seconds, row.cost_units]
               for row in session.exec(select(CallReportNumberMonth).where(CallReportNumberMonth.tenant_id == tenant_id)).all()
               if row.calls}
    return slots, owners, numbers


def _assert_kept(admin) -> tuple[dict, dict, dict]:
    with admin.db() as session:
        expected, stored = _recount(session, admin.tenant.id), _stored(session, admin.tenant.id)
    assert stored == expected
    return stored


def _facts(admin, at: datetime, uuid: str | None = None, **fields) -> call_records.Facts:
    values = {"caller_number": "+31612345678", "dialled_number": "+31201234500", "inbound": True,
              "started_at": at, "ended_at": at + timedelta(minutes=2), "billed_seconds": 0}
    values.update(fields)
    return call_records.Facts(call_uuid=uuid or f"kept-{next(_serial)}", tenant_id=admin.tenant.id, **values)


def test_stored_merged_updated_and_deleted_records_stay_counted(admin):
    anna = admin.user("201", "Anna")
    at = datetime(2026, 11, 17, 9, 7, 30, tzinfo=UTC)
    with admin.db() as session:
        call_records.store(session, _facts(admin, at), "cdr")
        call_records.store(session, _facts(admin, at + timedelta(minutes=3), caller_number="201", inbound=False,
                                           dialled_number="0612345678"), "cdr")
        # the bridge's event first (nobody answered yet), then FreeSWITCH's CDR: Anna answered, 60 s billed
        call_records.store(session, _facts(admin, at + timedelta(minutes=10), uuid="merged"), "events")
    first = _assert_kept(admin)
    assert sum(row[0] for row in first[0].values()) == 3
    with admin.db() as session:
        call_records.store(session, _facts(admin, at + timedelta(minutes=10), uuid="merged",
                                           answered_at=at + timedelta(minutes=10, seconds=5), billed_seconds=60,
                                           bridged=True, answered_candidates=["201"]), "cdr")
    second = _assert_kept(admin)
    assert sum(row[0] for row in second[0].values()) == 3
    assert sum(row[3] for row in second[0].values()) == 60
    assert any(key[2] == anna["id"] for key in second[1])
    with admin.db() as session:  # moved to another day and quarter, priced, another type, then deleted
        record = session.exec(select(CallRecord).where(CallRecord.call_uuid == "merged")).one()
        record.started_at = at + timedelta(days=1, minutes=40)
        record.cost, record.call_type, record.missed = Decimal("1.2345"), "mobile", True
        session.add(record)
    third = _assert_kept(admin)
    assert sum(row[4] for row in third[0].values()) == 12345
    with admin.db() as session:
        session.exec(delete(CallRecord).where(CallRecord.call_uuid == "merged"))
    assert sum(row[0] for row in _assert_kept(admin)[0].values()) == 2
    with admin.db() as session:  # the user who answered is deleted: SET NULL moves the call to nobody
        call_records.store(session, _facts(admin, at + timedelta(hours=2), answered_at=at + timedelta(hours=2),
                                           billed_seconds=5, bridged=True, answered_candidates=["201"]), "cdr")
    assert any(key[2] == anna["id"] for key in _assert_kept(admin)[1])
    with admin.db() as session:
        session.exec(delete(PbxUser).where(PbxUser.id == anna["id"]))
    assert not any(key[2] == anna["id"] for key in _assert_kept(admin)[1])


def test_a_batch_with_a_call_already_there_is_counted_once(admin):
    admin.user("201", "Anna")
    at = datetime(2026, 11, 18, 14, 50, tzinfo=UTC)
    with admin.db() as session:
        call_records.store(session, _facts(admin, at, uuid="there"), "events")
    with admin.db() as session:
        batch = call_records.RecordBatch(session)
        for n in range(5):
            batch.add(_facts(admin, at + timedelta(minutes=4 * n), caller_number=["201", "+31612345678"][n % 2],
                             inbound=n % 2 == 1, billed_seconds=n), "events")
        batch.add(_facts(admin, at, uuid="there", answered_at=at + timedelta(seconds=3), billed_seconds=30,
                         bridged=True, answered_candidates=["201"]), "cdr")
        batch.flush()
    slots, owners, numbers = _assert_kept(admin)
    assert sum(row[0] for row in slots.values()) == sum(row[0] for row in owners.values()) == 6
    assert sum(row[0] for row in numbers.values()) == 12  # each call's sender and receiver
    assert sum(row[3] for row in slots.values()) == 30 + 0 + 1 + 2 + 3 + 4


def test_activity_in_a_zone_a_quarter_hour_off(admin):
    """Nepal is UTC+5:45: its hours and days start at a quarter past; the charts still count each call in
    its own local hour and day, and the totals per call type equal the records'."""
    with admin.db() as session:
        session.get(Tenant, admin.tenant.id).timezone = "Asia/Kathmandu"
    zone = ZoneInfo("Asia/Kathmandu")
    moments = [datetime(2026, 11, 1, 18, 14, tzinfo=UTC), datetime(2026, 11, 1, 18, 15, tzinfo=UTC),
               datetime(2026, 11, 2, 3, 44, 59, tzinfo=UTC), datetime(2026, 11, 2, 3, 45, tzinfo=UTC),
               datetime(2026, 11, 30, 18, 14, tzinfo=UTC), datetime(2026, 11, 30, 18, 16, tzinfo=UTC)]
    with admin.db() as session:
        for n, moment in enumerate(moments):
            call_records.store(session, _facts(admin, moment, billed_seconds=n), "cdr")
    with admin.db() as session:
        span = reports.period("custom", zone, date(2026, 12, 1), date(2026, 11, 2), date(2026, 11, 30))
        found = reports.activity(session, admin.tenant.id, span)
        overall = reports.overall(session, admin.tenant.id, span)
    inside = [moment.astimezone(zone) for moment in moments if span.start <= moment < span.end]
    assert len(inside) == 4 and overall.calls == 4 and overall.seconds == 1 + 2 + 3 + 4
    hours = defaultdict(int)
    for local in inside:
        hours[local.hour] += 1
    assert {row["hour"]: row["calls"] for row in found.hours if row["calls"]} == dict(hours)
    days = defaultdict(int)
    for local in inside:
        days[local.date().isoformat()] += 1
    assert {row["date"]: row["calls"] for row in found.days if row["calls"]} == dict(days)
    assert found.months[-1]["calls"] == 5  # November from its first day: all but the last one


def test_totals_per_number_over_months_equal_the_records(admin):
    """The totals per number read whole UTC months and add or take off the records up to each end: for
    periods over, inside and around month boundaries they equal the records summed here."""
    amsterdam = ZoneInfo("Europe/Amsterdam")
    start = datetime(2026, 9, 28, tzinfo=UTC)
    moments = [start + timedelta(hours=7 * n + n % 5, minutes=n * 13 % 60) for n in range(320)]  # to mid-December
    numbers = ("201", "+31201234500", "0612345678", "")
    with admin.db() as session:
        batch = call_records.RecordBatch(session)
        for n, moment in enumerate(moments):
            batch.add(_facts(admin, moment, caller_number=numbers[n % 4], dialled_number=numbers[(n // 4) % 4],
                             billed_seconds=n), "cdr")
        batch.flush()
    with admin.db() as session:
        records = session.exec(select(CallRecord).where(CallRecord.tenant_id == admin.tenant.id)).all()
        for first, last in ((date(2026, 11, 1), date(2026, 11, 30)), (date(2026, 10, 1), date(2026, 11, 30)),
                            (date(2026, 10, 20), date(2026, 11, 25)), (date(2026, 10, 5), date(2026, 12, 10)),
                            (date(2026, 11, 2), date(2026, 11, 3)), (date(2026, 10, 31), date(2026, 11, 1))):
            span = reports.period("custom", amsterdam, date(2026, 12, 1), first, last)
            for group, column in (("sender", "caller_number"), ("receiver", "dialled_number")):
                expected = defaultdict(lambda: [0, 0])
                for record in records:
                    if span.start <= _utc(record.started_at) < span.end:
                        expected[getattr(record, column) or None][0] += 1
                        expected[getattr(record, column) or None][1] += record.billed_seconds
                found = {row.key: [row.calls, row.seconds] for row in reports.totals(session, admin.tenant.id, span, group)}
                assert found == dict(expected), (first, last, group)
