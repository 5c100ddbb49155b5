"""Time schedules (/api/schedules) and holiday schedules (/api/holiday-schedules), plus questions about
a time schedule: what looks wrong with it (lint), is the company open at a moment (check), and both for
periods not saved yet (preview: the portal's week grid asks while the admin draws); and a country's
public holidays to import into a holiday schedule (/api/public-holidays).

Two Resources in one module: the two kinds only make sense together (the night switch and IVR menus
take one of each), and the check endpoint evaluates them together.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field as PField

from callplan import schedules as evaluation
from web import clock, i18n
from web.domain import public_holidays, references, stored_rows
from web.domain.call_records import tenant_country
from web.api.problems import field_problem
from web.api.resources import Resource
from web.api.routing import api
from web.models import Tenant
from web.models.schedule import (
    MAX_PERIODS,
    HolidaySchedule,
    HolidayScheduleCreate,
    HolidaySchedulePublic,
    HolidayScheduleUpdate,
    Period,
    ScheduleWarning,
    TimeSchedule,
    TimeScheduleCreate,
    TimeSchedulePublic,
    TimeScheduleUpdate,
)
from web.scoping import get_owned
from web.validation import YEARS

# "+02:00" typed into a URL unescaped arrives as " 02:00" (a "+" in a query string means a space)
_SPACE_FOR_PLUS = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.,]+) ([0-9]{2}(?::?[0-9]{2})?)\Z")
_INSTANT_HINT = "must be an ISO 8601 instant with a UTC offset, such as 2026-03-30T08:30:00+02:00"


class LintResult(BaseModel):
    warnings: list[ScheduleWarning]


class ScheduleCheck(BaseModel):
    open: bool  # inside the time schedule and not in a holiday closure
    in_schedule: bool
    in_holiday: bool
    at: datetime  # the moment asked about, in the company's time zone
    next_change: Optional[datetime]  # when `open` flips next (within 400 days), else null
    timezone: str


class SchedulePreview(BaseModel):
    """Periods as the portal's form has them now, and optionally a holiday schedule to count."""

    model_config = ConfigDict(extra="forbid")
    periods: list[Period] = PField(default_factory=list, max_length=MAX_PERIODS)
    holiday_schedule_id: Optional[int] = None


class PreviewResult(ScheduleCheck):
    warnings: list[ScheduleWarning]


class PublicHolidayItem(BaseModel):
    date: str
    name: str


class PublicHolidays(BaseModel):
    country: str
    subdivision: Optional[str]
    items: list[PublicHolidayItem]


class Subdivision(BaseModel):
    code: str
    name: str


class HolidayCountry(BaseModel):
    code: str
    subdivisions: list[Subdivision]


class HolidayCountries(BaseModel):
    company_country: str  # of the company's number: the import's first choice
    countries: list[HolidayCountry]


def warnings_for(ctx, periods: list) -> list[ScheduleWarning]:
    """callplan.schedules.lint's warnings with their texts in the caller's language."""
    found = []
    for warning in evaluation.lint(periods):
        params = dict(warning["params"])
        if "day" in params:
            params["day"] = i18n.t(ctx.lang, f"schedule.day.{params['day']}")
        text = i18n.t(ctx.lang, f"schedule.warning.{warning['code']}", **params)
        found.append(ScheduleWarning(pointer=warning["pointer"], code=warning["code"], message=text))
    return found


def _public(ctx, row: TimeSchedule) -> TimeSchedulePublic:
    try:
        warnings = warnings_for(ctx, row.periods)
    except (TypeError, ValueError, KeyError, AttributeError):
        warnings = []  # periods stored in a shape that no longer validates: `problems` says so
    return stored_rows.answer(TimeSchedulePublic, {"id": row.id, "name": row.name, "periods": row.periods, "warnings": warnings},
                              *stored_rows.rules_for(TimeSchedule))


weekly = Resource(
    kind="schedule",
    path="/api/schedules",
    table=TimeSchedule,
    create_model=TimeScheduleCreate,
    update_model=TimeScheduleUpdate,
    public_model=TimeSchedulePublic,
    label="time schedule",
    order_by="name",
    to_public=_public,
)

holidays = Resource(
    kind="holiday_schedule",
    path="/api/holiday-schedules",
    table=HolidaySchedule,
    create_model=HolidayScheduleCreate,
    update_model=HolidayScheduleUpdate,
    public_model=HolidaySchedulePublic,
    label="holiday schedule",
    order_by="name",
)


def lint_schedule(ctx, id: int):
    """What looks unintended in a time schedule: overlaps, empty periods, closed working days."""
    return LintResult(warnings=warnings_for(ctx, weekly.get(ctx, id).periods))


def _instant(raw: Optional[str]) -> datetime:
    if raw is None or raw == "":
        return clock.now()
    value = None
    if len(raw) <= 64:
        text = raw.strip()
        spaced = _SPACE_FOR_PLUS.match(text)
        if spaced:
            text = f"{spaced.group(1)}+{spaced.group(2)}"
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            value = None
    if value is None or value.utcoffset() is None or value.year not in YEARS:
        # a moment without an offset is ambiguous around DST changes: refuse rather than guess
        raise field_problem(422, "invalid_instant", "/at", _INSTANT_HINT)
    return value


def _holiday_entries(ctx, raw: Optional[str]) -> Optional[list]:
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12):
        raise field_problem(422, "unknown_reference", "/holiday_schedule_id", "must be the id of a holiday schedule")
    references.require(ctx.db, ctx.tenant_id, "holiday_schedule", int(raw), "/holiday_schedule_id")
    return get_owned(ctx.db, HolidaySchedule, ctx.tenant_id, int(raw)).entries


def _check(ctx, periods: list, entries: Optional[list], at: datetime) -> dict:
    zone = ctx.db.get(Tenant, ctx.tenant_id).timezone
    compiled_weekly = evaluation.compile_weekly(periods)
    compiled_holidays = evaluation.compile_holidays(entries) if entries is not None else None
    return dict(
        open=evaluation.is_open(compiled_weekly, compiled_holidays, at, zone),
        in_schedule=evaluation.in_weekly(compiled_weekly, at, zone),
        in_holiday=evaluation.in_holiday(compiled_holidays, at, zone),
        at=evaluation.local_time(at, zone),
        next_change=evaluation.next_transition(compiled_weekly, compiled_holidays, at, zone),
        timezone=zone,
    )


def check_schedule(ctx, id: int):
    """Open or closed at ?at=<ISO instant> (default now), with ?holiday_schedule_id=, in the company's zone."""
    row = weekly.get(ctx, id)
    query = ctx.request.query_params
    at = _instant(query.get("at"))
    entries = _holiday_entries(ctx, query.get("holiday_schedule_id"))
    return ScheduleCheck(**_check(ctx, row.periods, entries, at))


def preview_schedule(ctx, body: SchedulePreview):
    """Open now, the next change and the warnings of periods not saved yet (the week grid asks while
    the admin draws, so the time zone and DST rules stay here, in callplan.schedules)."""
    entries = None
    if body.holiday_schedule_id is not None:
        entries = _holiday_entries(ctx, str(body.holiday_schedule_id))
    periods = [period.model_dump() for period in body.periods]
    return PreviewResult(**_check(ctx, periods, entries, clock.now()), warnings=warnings_for(ctx, periods))


def _today(ctx):
    zone = ctx.db.get(Tenant, ctx.tenant_id).timezone
    return evaluation.local_time(clock.now(), zone).date()


def list_public_holidays(ctx):
    """?country=NL (&subdivision=, &years=1..5, default 3): the country's public holidays from today to
    the end of the last of those years, named in the caller's language where the library can."""
    query = ctx.request.query_params
    country = (query.get("country") or "").upper()
    known = public_holidays.countries()
    if country not in known:
        raise field_problem(422, "invalid", "/country", "must be a country code the holiday library knows, such as NL")
    subdivision = query.get("subdivision") or None
    if subdivision is not None and subdivision not in known[country]:
        raise field_problem(422, "invalid", "/subdivision", f"must be one of the regions of {country}")
    raw_years = query.get("years") or "3"
    years = int(raw_years) if raw_years.isascii() and raw_years.isdigit() and len(raw_years) <= 2 else 0
    if not 1 <= years <= public_holidays.MAX_YEARS:
        raise field_problem(422, "invalid", "/years", f"must be 1 to {public_holidays.MAX_YEARS}")
    items = public_holidays.upcoming(country, subdivision, years, _today(ctx), ctx.lang)
    return PublicHolidays(country=country, subdivision=subdivision,
                          items=[PublicHolidayItem(date=item.date, name=item.name) for item in items])


def list_holiday_countries(ctx):
    """The countries (and their regions) whose public holidays can be imported."""
    countries = [HolidayCountry(code=code, subdivisions=[Subdivision(code=sub, name=public_holidays.subdivision_names(code).get(sub, sub))
                                                         for sub in subdivisions])
                 for code, subdivisions in public_holidays.countries().items()]
    return HolidayCountries(company_country=tenant_country(ctx.db, ctx.tenant_id), countries=countries)


routes = weekly.routes() + holidays.routes() + [
    api("GET", "/api/schedules/{id:int}/lint", lint_schedule, permission="pbx.manage", response=LintResult,
        model=TimeSchedule),
    api("GET", "/api/schedules/{id:int}/check", check_schedule, permission="pbx.manage", response=ScheduleCheck,
        model=TimeSchedule),
    api("POST", "/api/schedules/preview", preview_schedule, permission="pbx.manage", body=SchedulePreview,
        response=PreviewResult),
    api("GET", "/api/public-holidays", list_public_holidays, permission="pbx.manage", response=PublicHolidays),
    api("GET", "/api/public-holidays/countries", list_holiday_countries, permission="pbx.manage",
        response=HolidayCountries),
]
