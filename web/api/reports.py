"""Reports (/reports): a period's totals per call type, number, user and department, each as CSV too, and
the calls per hour of day, per day and per day of week × hour (the heat map), the cost per month, and the
days a period means (for /calls' month buttons). The sums are web.domain.reports' work; this module
reads the query string and shapes the answer.

Query string: period (this_month, default; last_month; custom), and for custom from and to (dates,
inclusive, in the company's time zone); the CSV takes by (one of the groups). A bad value is a 422 naming
it (/period, /from, /to, /by)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Optional

from pydantic import BaseModel
from starlette.responses import Response

from web import clock
from web.api.call_records import csv_cell
from web.api.problems import Problem
from web.api.routing import api
from web.domain import reports
from web.validation import YEARS


class PeriodPublic(BaseModel):
    period: str
    first: date
    last: date
    timezone: str


class TotalsPublic(BaseModel):
    key: Optional[str]
    label: str
    calls: int
    answered: int
    missed: int
    seconds: int
    minutes: Decimal
    cost: Decimal


class TotalsReport(BaseModel):
    period: PeriodPublic
    currency: Optional[str]
    overall: TotalsPublic
    call_type: list[TotalsPublic]
    sender: list[TotalsPublic]
    receiver: list[TotalsPublic]
    user: list[TotalsPublic]
    department: list[TotalsPublic]


class HourPublic(BaseModel):
    hour: int
    calls: int
    answered: int
    missed: int


class DayPublic(BaseModel):
    date: date
    calls: int
    answered: int
    missed: int


class HeatRowPublic(BaseModel):
    weekday: int  # 0 is Monday
    hours: list[int]  # 24 counts of calls, hour 0 first


class MonthPublic(BaseModel):
    month: str  # 2026-11
    first: date
    last: date  # the period's end for its last month
    calls: int
    cost: Decimal


class ActivityReport(BaseModel):
    period: PeriodPublic
    currency: Optional[str]
    hours: list[HourPublic]
    days: list[DayPublic]
    heat: list[HeatRowPublic]
    months: list[MonthPublic]


def _bad(name: str, code: str, message: str) -> Problem:
    """A 422 for a query parameter: the problem is a bad filter; the field's code says what (for its text)."""
    return Problem(422, "invalid_filter", message, errors=[{"pointer": f"/{name}", "code": code, "message": message}])


def _day(query, name: str) -> Optional[date]:
    raw = (query.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        value = None
    if value is None or value.year not in YEARS:
        raise _bad(name, "date_format", f"must be a date (2026-11-21) from {YEARS[0]} to {YEARS[-1]}")
    return value


def _period(ctx) -> tuple[str, reports.Period]:
    query = ctx.request.query_params
    kind = query.get("period") or "this_month"
    zone = reports.company_zone(ctx.db, ctx.tenant_id)
    try:
        span = reports.period(kind, zone, clock.now().astimezone(zone).date(), _day(query, "from"), _day(query, "to"))
    except reports.BadPeriod as exc:
        raise _bad(exc.field, exc.code, str(exc))
    return kind, span


def _period_public(kind: str, span: reports.Period) -> PeriodPublic:
    return PeriodPublic(period=kind, first=span.first, last=span.last, timezone=span.zone.key)


def _public(row: reports.Totals) -> TotalsPublic:
    return TotalsPublic(key=row.key, label=row.label, calls=row.calls, answered=row.answered, missed=row.missed,
                        seconds=row.seconds, minutes=row.minutes, cost=row.cost)


def totals_report(ctx):
    """The period's totals: overall and per each group."""
    kind, span = _period(ctx)
    tables = {group: [_public(row) for row in reports.totals(ctx.db, ctx.tenant_id, span, group)]
              for group in reports.GROUPS}
    return TotalsReport(period=_period_public(kind, span), currency=reports.currency(ctx.db, ctx.tenant_id, span),
                        overall=_public(reports.overall(ctx.db, ctx.tenant_id, span)), **tables)


CSV_COLUMNS = ("key", "label", "calls", "answered", "missed", "seconds", "minutes", "cost")


def totals_csv(ctx):
    """One table of the totals as CSV (UTF-8, header row), safe to open in a spreadsheet."""
    group = ctx.request.query_params.get("by") or ""
    if group not in reports.GROUPS:
        raise _bad("by", "enum", "must be one of " + ", ".join(reports.GROUPS))
    kind, span = _period(ctx)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow((group,) + CSV_COLUMNS[1:])
    for row in reports.totals(ctx.db, ctx.tenant_id, span, group):
        writer.writerow([csv_cell(getattr(row, column)) for column in CSV_COLUMNS])
    name = f"totals-{group}-{span.first.isoformat()}-{span.last.isoformat()}.csv"
    return Response(out.getvalue().encode("utf-8"), media_type="text/csv; charset=utf-8", headers={
        "content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store",
        "x-content-type-options": "nosniff"})


def activity_report(ctx):
    """The period's calls per hour of day, per day and per day of week × hour (the company's wall clock),
    and the cost per month of the twelve months up to the period's end."""
    kind, span = _period(ctx)
    found = reports.activity(ctx.db, ctx.tenant_id, span)
    months = reports.months_until(span)
    year = reports.Period(months[0].first, span.last, span.zone)
    return ActivityReport(period=_period_public(kind, span), currency=reports.currency(ctx.db, ctx.tenant_id, year),
                          hours=found.hours, days=found.days, heat=found.heat, months=found.months)


def period_report(ctx):
    """Only the period's days: what "this month" and "last month" are in the company's time zone, for the
    screens that filter by dates (/calls' month buttons) without computing months in the browser's zone."""
    kind, span = _period(ctx)
    return _period_public(kind, span)


routes = [
    api("GET", "/api/reports/totals", totals_report, permission="calls.read", response=TotalsReport),
    api("GET", "/api/reports/totals.csv", totals_csv, permission="calls.read"),
    api("GET", "/api/reports/activity", activity_report, permission="calls.read", response=ActivityReport),
    api("GET", "/api/reports/period", period_report, permission="calls.read", response=PeriodPublic),
]
