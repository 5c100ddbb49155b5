"""Reports: totals of a company's call records over a period, and its calls per hour of day and per day.

A period is a span of whole days in the company's time zone (this month, last month, or from one date to
another, both inclusive), turned into the UTC instants records are stored in; a month that holds a DST
change is simply an hour shorter or longer.

Totals (counts, answered, missed, billed seconds and cost) are read from running totals the database
keeps (web.models.call_report, triggers on call_record): per UTC quarter hour and call type, and per UTC
day, caller's number and answering user; the part of a period that is not a whole quarter hour or day
(its edges) is summed from the records. The totals per number (too many distinct numbers for running
totals per hour or day to save much) are kept per UTC month: a period is read as the months between the
month boundaries nearest its ends, the records between each end and its boundary added or taken off. The
groups (seed 001 §3: totals per call type and per number):
- call_type: the kind of number dialled (web.domain.call_records.classify);
- sender: the calling number; receiver: the number dialled (what the caller asked for, not the extension
  that answered in the end);
- user and department: whose call it was. A call a user made (their extension is the caller and it did
  not come in from outside) is theirs; any other call is the one of the user who answered it. Users are
  matched by today's extensions: a report reads the company as it is.

Answered means someone picked up (answered_at set); missed is the record's own flag (an incoming call
no-one took), so answered + missed need not add up to the calls (an outgoing call nobody took is neither).

The activity (per hour of day, per day, and the busiest-hours heat map of day of week × hour) is bucketed
here, not in SQL: hour and day are the company's wall clock, which SQLite cannot compute and which a DST
change shifts within a period. It reads the running totals per UTC hour of the twelve months up to the
period's end, some 9,000 rows (per quarter hour in a zone a half or quarter hour off UTC: every zone's
offset is a whole number of quarter hours, so such a row lies in one local hour and day), and the cost per
month (the months of the company's zone turned into UTC instants like a period, the last being the
period's last month up to its end) comes from the same rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal_column
from sqlmodel import Session, select

from web.models.call_record import CALL_TYPES, CallRecord
from web.models.call_report import CallReportNumberMonth, CallReportOwnerDay, CallReportSlot
from web.models.company import Department
from web.models.pbx_user import PbxUser
from web.models.tenant import Tenant

PERIODS = ("this_month", "last_month", "custom")
GROUPS = ("call_type", "sender", "receiver", "user", "department")
MAX_DAYS = 366  # a custom period of more than a year is a job for the monthly statements


class BadPeriod(ValueError):
    """A period that cannot be reported: `field` names the query parameter, `code` what is wrong (the
    portal's text for it is ui.field.<code>)."""

    def __init__(self, field: str, code: str, message: str):
        super().__init__(message)
        self.field, self.code = field, code


@dataclass(frozen=True)
class Period:
    first: date  # the first day, inclusive
    last: date  # the last day, inclusive
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=self.zone).astimezone(timezone.utc)

    @property
    def end(self) -> datetime:
        """The exclusive end: midnight after the last day, in the company's zone."""
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=self.zone).astimezone(timezone.utc)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def company_zone(db: Session, tenant_id: int) -> ZoneInfo:
    tenant = db.get(Tenant, tenant_id)
    return ZoneInfo(tenant.timezone) if tenant is not None and tenant.timezone else ZoneInfo("UTC")


def period(kind: str, zone: ZoneInfo, today: date, first: Optional[date] = None, last: Optional[date] = None) -> Period:
    """The period `kind` means on `today` (the company's date); custom takes `first` and `last`."""
    if kind == "this_month":
        month = today.replace(day=1)
        return Period(month, _next_month(month) - timedelta(days=1), zone)
    if kind == "last_month":
        this = today.replace(day=1)
        previous = (this - timedelta(days=1)).replace(day=1)
        return Period(previous, this - timedelta(days=1), zone)
    if kind != "custom":
        raise BadPeriod("period", "enum", "must be one of " + ", ".join(PERIODS))
    if first is None:
        raise BadPeriod("from", "missing", "a custom period needs a first day")
    if last is None:
        raise BadPeriod("to", "missing", "a custom period needs a last day")
    if last < first:
        raise BadPeriod("to", "end_date_before_start", "must not be before the first day")
    if (last - first).days + 1 > MAX_DAYS:
        raise BadPeriod("to", "period_too_long", f"a period is at most {MAX_DAYS} days")
    return Period(first, last, zone)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


# --- totals -------------------------------------------------------------------------------------------


@dataclass
class Totals:
    key: Optional[str]  # the group's value (a call type, a number, a user or department id); None: none
    label: str
    calls: int = 0
    answered: int = 0
    missed: int = 0
    seconds: int = 0  # billed seconds
    cost: Decimal = Decimal("0")

    @property
    def minutes(self) -> Decimal:
        return (Decimal(self.seconds) / 60).quantize(Decimal("0.1"))


def _in_period(tenant_id: int, span: Period):
    return _between(tenant_id, span.start, span.end)


def _between(tenant_id: int, start: datetime, end: datetime):
    return and_(CallRecord.tenant_id == tenant_id, CallRecord.started_at >= start, CallRecord.started_at < end)


def _measures():
    answered = func.sum(case((CallRecord.answered_at.is_not(None), 1), else_=0))
    missed = func.sum(case((CallRecord.missed.is_(True), 1), else_=0))
    return (func.count(CallRecord.id), answered, missed, func.coalesce(func.sum(CallRecord.billed_seconds), 0),
            func.coalesce(func.sum(CallRecord.cost), 0))


def _stored_measures(table):
    """The same five sums from a running-totals table (the cost in ten-thousandths)."""
    return (func.sum(table.calls), func.sum(table.answered), func.sum(table.missed), func.sum(table.seconds),
            func.sum(table.cost_units))


def _units(cost) -> int:
    """A sum of costs as ten-thousandths (SQLite sums a Numeric as a float: rounded back to its 4 places)."""
    return int((Decimal(str(cost or 0)) * 10000).to_integral_value())


# The running totals (web.models.call_report) hold whole UTC quarter hours and whole UTC days; the part of
# a period before the first and after the last whole one is read from the records (an index range).
QUARTER, DAY = timedelta(minutes=15), timedelta(days=1)
_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


def _split(start: datetime, end: datetime, step: timedelta) -> tuple[Optional[tuple[datetime, datetime]], list]:
    """((first, last) whole steps inside [start, end) or None, the part-step edges around them)."""
    low = _EPOCH + -((_EPOCH - start) // step) * step  # ceil
    high = _EPOCH + ((end - _EPOCH) // step) * step  # floor
    if low >= high:
        return None, [(start, end)]
    return (low, high), [(low_, high_) for low_, high_ in ((start, low), (high, end)) if low_ < high_]


def _sums_by(db: Session, tenant_id: int, start: datetime, end: datetime, stored_key, record_key) -> dict:
    """{key: [calls, answered, missed, seconds, cost units]} over [start, end): the quarter hours from
    call_report_slot grouped by `stored_key` (a column of it or None), the edges from the records by
    `record_key`."""
    sums: dict = {}
    whole, edges = _split(start, end, QUARTER)
    parts = []
    if whole is not None:
        keys = (stored_key,) if stored_key is not None else ()
        query = select(*keys, *_stored_measures(CallReportSlot)).where(
            CallReportSlot.tenant_id == tenant_id, CallReportSlot.slot >= whole[0], CallReportSlot.slot < whole[1])
        parts.append((db.exec(query.group_by(*keys)).all() if keys else [db.exec(query).one()], keys, False))
    for low, high in edges:
        keys = (record_key,) if record_key is not None else ()
        query = select(*keys, *_measures()).where(_between(tenant_id, low, high))
        parts.append((db.exec(query.group_by(*keys)).all() if keys else [db.exec(query).one()], keys, True))
    for rows, keys, from_records in parts:
        for row in rows:
            key = row[0] if keys else None
            measures = row[len(keys):]
            if not measures[0]:
                continue
            _add(sums, key, measures, from_records)
    return sums


def _add(sums: dict, key, measures, from_records: bool) -> None:
    calls, answered, missed, seconds, cost = measures
    into = sums.setdefault(key, [0, 0, 0, 0, 0])
    into[0] += int(calls or 0)
    into[1] += int(answered or 0)
    into[2] += int(missed or 0)
    into[3] += int(seconds or 0)
    into[4] += _units(cost) if from_records else int(cost or 0)


def _owner_sums(db: Session, tenant_id: int, span: Period) -> dict:
    """{(caller's number unless the call came in, else "", user who answered or 0): sums} of the period."""
    sums: dict = {}
    whole, edges = _split(span.start, span.end, DAY)
    table = CallReportOwnerDay
    if whole is not None:
        rows = db.exec(select(table.caller_extension, table.answered_by_user_id, *_stored_measures(table))
                       .where(table.tenant_id == tenant_id, table.day >= whole[0], table.day < whole[1])
                       .group_by(table.caller_extension, table.answered_by_user_id)).all()
        for extension, user_id, *measures in rows:
            if measures[0]:
                _add(sums, (extension, user_id), measures, False)
    extension = case((CallRecord.direction == "inbound", ""), else_=CallRecord.caller_number)
    user_id = func.coalesce(CallRecord.answered_by_user_id, 0)
    for low, high in edges:
        rows = db.exec(select(extension, user_id, *_measures()).where(_between(tenant_id, low, high))
                       .group_by(extension, user_id)).all()
        for number, user, *measures in rows:
            if measures[0]:
                _add(sums, (number, user), measures, True)
    return sums


def _month_start(moment: datetime) -> datetime:
    moment = moment.astimezone(timezone.utc)
    return datetime(moment.year, moment.month, 1, tzinfo=timezone.utc)


def _nearest_month(moment: datetime) -> datetime:
    this = _month_start(moment)
    following = _month_start(this + timedelta(days=32))
    return this if moment - this <= following - moment else following


def _number_sums(db: Session, tenant_id: int, span: Period, side: str) -> dict:
    """{number: sums} of the period: call_report_number_month's UTC months between the month boundaries
    nearest the period's ends, plus the records between an end and its boundary when the period reaches
    past it, minus them when the boundary lies past the end (sums add and subtract exactly)."""
    column = {"sender": CallRecord.caller_number, "receiver": CallRecord.dialled_number}[side]
    sums: dict = {}
    low, high = _nearest_month(span.start), _nearest_month(span.end)
    if low >= high:  # under a month and not around a month's boundary: the records alone
        parts = [(span.start, span.end, 1)]
    else:
        table = CallReportNumberMonth
        rows = db.exec(select(table.number, *_stored_measures(table))
                       .where(table.tenant_id == tenant_id, table.side == side, table.month >= low, table.month < high)
                       .group_by(table.number)).all()
        for number, *measures in rows:
            _add(sums, number, measures, False)
        parts = [(span.start, low, 1), (low, span.start, -1), (high, span.end, 1), (span.end, high, -1)]
    for start, end, sign in parts:
        if start >= end:
            continue
        rows = db.exec(select(column, *_measures()).where(_between(tenant_id, start, end)).group_by(column)).all()
        for number, *measures in rows:
            into = sums.setdefault(number, [0, 0, 0, 0, 0])
            for n, value in enumerate(_record_sums(measures)):
                into[n] += sign * value
    return sums


def _record_sums(measures) -> list[int]:
    calls, answered, missed, seconds, cost = measures
    return [int(calls or 0), int(answered or 0), int(missed or 0), int(seconds or 0), _units(cost)]


def totals(db: Session, tenant_id: int, span: Period, group: str) -> list[Totals]:
    """One row per value of `group` in the period, most calls first (then by label)."""
    if group not in GROUPS:
        raise ValueError(group)
    if group == "call_type":
        sums = _sums_by(db, tenant_id, span.start, span.end, CallReportSlot.call_type, CallRecord.call_type)
        result = [_stored_row(key if key != "" else None, key or "", row) for key, row in sums.items()]
    elif group in ("sender", "receiver"):
        result = [_stored_row(key if key != "" else None, key or "", row)
                  for key, row in _number_sums(db, tenant_id, span, group).items() if row[0]]
    else:
        users = db.exec(select(PbxUser.id, PbxUser.extension, PbxUser.department_id)
                        .where(PbxUser.tenant_id == tenant_id)).all()
        by_extension = {extension: id for id, extension, _ in users}
        departments = {id: department for id, _, department in users}
        grouped: dict = {}
        for (extension, user_id), row in _owner_sums(db, tenant_id, span).items():
            # whose call it was (the module's doc): the caller's user by today's extension, else who answered
            owner = by_extension.get(extension) if extension else None
            owner = owner if owner is not None else (user_id or None)
            key = owner if group == "user" else departments.get(owner)
            into = grouped.setdefault(key, [0, 0, 0, 0, 0])
            for n in range(5):
                into[n] += row[n]
        if group == "user":
            names = _user_names(db, tenant_id)
        else:
            names = dict(db.exec(select(Department.id, Department.name).where(Department.tenant_id == tenant_id)).all())
        result = [_stored_row(str(key) if key is not None else None, names.get(key, ""), row)
                  for key, row in grouped.items()]
    return sorted(result, key=lambda item: (-item.calls, item.key is None, item.label, item.key or ""))


def overall(db: Session, tenant_id: int, span: Period) -> Totals:
    sums = _sums_by(db, tenant_id, span.start, span.end, None, None)
    return _stored_row("all", "", sums.get(None, [0, 0, 0, 0, 0]))


def _row(key, label, measures) -> Totals:
    calls, answered, missed, seconds, cost = measures
    return Totals(key=key, label=label, calls=int(calls or 0), answered=int(answered or 0), missed=int(missed or 0),
                  seconds=int(seconds or 0), cost=Decimal(str(cost or 0)).quantize(Decimal("0.0001")))


def _stored_row(key, label, sums) -> Totals:
    calls, answered, missed, seconds, units = sums
    return Totals(key=key, label=label, calls=calls, answered=answered, missed=missed, seconds=seconds,
                  cost=(Decimal(units) / 10000).quantize(Decimal("0.0001")))


def _user_names(db: Session, tenant_id: int) -> dict[int, str]:
    rows = db.exec(select(PbxUser.id, PbxUser.first_name, PbxUser.last_name, PbxUser.extension)
                   .where(PbxUser.tenant_id == tenant_id)).all()
    return {id: f"{' '.join(part for part in (first, last) if part)} ({extension})" for id, first, last, extension in rows}


def currency(db: Session, tenant_id: int, span: Period) -> Optional[str]:
    """The currency the period's costs are in (the rate table's; one per company)."""
    return db.exec(select(CallRecord.currency).where(_in_period(tenant_id, span), CallRecord.currency.is_not(None))
                   .limit(1)).first()


# --- activity: per hour of day and per day --------------------------------------------------------------


MONTHS = 12  # the cost chart's months, the period's last month the last of them


@dataclass
class Activity:
    hours: list[dict]  # 24 rows: {"hour", "calls", "answered", "missed"}
    days: list[dict]  # one row per day of the period: {"date", "calls", "answered", "missed"}
    heat: list[dict]  # 7 rows, Monday first: {"weekday": 0-6, "hours": [24 counts of calls]}
    months: list[dict]  # MONTHS rows, oldest first: {"month": "2026-11", "first", "last", "calls", "cost"}


def months_until(span: Period) -> list[Period]:
    """The MONTHS months up to the period's end: whole months, the last one ending with the period."""
    month = span.last.replace(day=1)
    found = [Period(month, span.last, span.zone)]
    for _ in range(MONTHS - 1):
        end = month - timedelta(days=1)
        month = end.replace(day=1)
        found.append(Period(month, end, span.zone))
    return found[::-1]


HOUR = timedelta(hours=1)


def _whole_hours(zone: ZoneInfo, start: datetime, end: datetime) -> bool:
    """Whether the zone is a whole number of hours off UTC all through [start, end) (checked at every day's
    start and at the end: an offset changes at most once a day)."""
    moment = start
    while True:
        if min(moment, end).astimezone(zone).utcoffset() % HOUR:
            return False
        if moment >= end:
            return True
        moment += DAY


def _counted(db: Session, tenant_id: int, start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple]:
    """(UTC start, calls, answered, missed, cost units) of [start, end): the running totals per UTC hour
    (quarter hour in a zone a half or quarter hour off UTC: every row then lies in one local hour and day),
    and each record of a part at the ends on its own row."""
    table = CallReportSlot
    hourly = _whole_hours(zone, start, end)
    whole, edges = _split(start, end, HOUR if hourly else QUARTER)
    found: list[tuple] = []
    if whole is not None:
        if not hourly:
            bucket = table.slot
        elif db.get_bind().dialect.name == "postgresql":
            bucket = func.date_trunc("hour", table.slot, "UTC")
        else:
            bucket = func.substr(table.slot, 1, 13)  # "2026-11-20 09" of SQLite's stored text
        rows = db.exec(select(bucket, func.sum(table.calls), func.sum(table.answered), func.sum(table.missed),
                              func.sum(table.cost_units))
                       .where(table.tenant_id == tenant_id, table.slot >= whole[0], table.slot < whole[1])
                       .group_by(bucket)).all()
        for moment, calls, answered, missed, units in rows:
            if isinstance(moment, str):
                moment = datetime.fromisoformat(moment + ":00").replace(tzinfo=timezone.utc)
            found.append((moment, int(calls or 0), int(answered or 0), int(missed or 0), int(units or 0)))
    for low, high in edges:
        rows = db.exec(select(CallRecord.started_at, CallRecord.answered_at.is_not(None), CallRecord.missed,
                              CallRecord.cost).where(_between(tenant_id, low, high))).all()
        found.extend((started_at, 1, int(bool(answered)), int(bool(missed)), _units(cost))
                     for started_at, answered, missed, cost in rows)
    return found


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(zone)


def cost_per_month(db: Session, tenant_id: int, span: Period, counted: Optional[list] = None) -> list[dict]:
    """The calls and cost of the MONTHS months up to the period's end, from `counted` (what _counted
    found over them) or read here."""
    months = months_until(span)
    if counted is None:
        counted = _counted(db, tenant_id, months[0].start, span.end, span.zone)
    sums = {month.first.strftime("%Y-%m"): [0, 0] for month in months}
    for moment, calls, _, _, units in counted:
        key = _local(moment, span.zone).strftime("%Y-%m")
        if key in sums:
            sums[key][0] += calls
            sums[key][1] += units
    return [{"month": month.first.strftime("%Y-%m"), "first": month.first.isoformat(),
             "last": month.last.isoformat(), "calls": sums[month.first.strftime("%Y-%m")][0],
             "cost": (Decimal(sums[month.first.strftime("%Y-%m")][1]) / 10000).quantize(Decimal("0.0001"))}
            for month in months]


def activity(db: Session, tenant_id: int, span: Period) -> Activity:
    hours = [{"hour": hour, "calls": 0, "answered": 0, "missed": 0} for hour in range(24)]
    heat = [{"weekday": weekday, "hours": [0] * 24} for weekday in range(7)]
    days = {day: {"date": day.isoformat(), "calls": 0, "answered": 0, "missed": 0} for day in span.days()}
    # one read for the charts and the twelve months' cost (the period lies within them)
    counted = _counted(db, tenant_id, months_until(span)[0].start, span.end, span.zone)
    start, end = span.start, span.end
    for moment, calls, answered, missed, _ in counted:
        if not calls or not start <= moment < end:
            continue
        local = _local(moment, span.zone)
        for bucket in (hours[local.hour], days.get(local.date())):
            if bucket is None:
                continue
            bucket["calls"] += calls
            bucket["answered"] += answered
            bucket["missed"] += missed
        heat[local.weekday()]["hours"][local.hour] += calls
    return Activity(hours=hours, days=list(days.values()), heat=heat,
                    months=cost_per_month(db, tenant_id, span, counted))


__all__ = ["CALL_TYPES", "GROUPS", "PERIODS", "BadPeriod", "Period", "Totals", "Activity", "activity", "company_zone",
           "cost_per_month", "currency", "months_until", "overall", "period", "totals"]
