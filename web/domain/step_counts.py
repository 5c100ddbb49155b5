"""Per-step counts on the canvas (#17 item 4): the paths a plan version's calls took in a period, read
from call_path_hour (web.models.call_path, kept by triggers on call_record), counted by
callplan.step_counts.

A period is whole days in the company's time zone (web.domain.reports.Period). The table counts per UTC
hour, which every zone with a whole-hour offset starts its days on; a zone that is half or three
quarters of an hour off UTC (India, Nepal, Newfoundland) starts a day inside an hour: that first and last
part-hour of the period are read from the records themselves (under an hour of calls, through the
started_at index), so the counts are exact in every zone."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import func
from sqlmodel import Session, select

from callplan.step_counts import Counts, count, document_steps
from web.domain.reports import Period
from web.models.call_path import CallPathHour
from web.models.call_record import CallRecord

HOUR = timedelta(hours=1)


def _floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _ceil(moment: datetime) -> datetime:
    floor = _floor(moment)
    return floor if floor == moment else floor + HOUR


def paths(db: Session, tenant_id: int, plan_id: int, version: int, span: Period) -> list[tuple[list[str], bool, int]]:
    """(path, answered by a person, calls) of the calls that entered the version in the period."""
    start, end = span.start, span.end
    first, last = _ceil(start), _floor(end)
    found: list[tuple[list[str], bool, int]] = []
    if first < last:
        # one row per path and answered: the table's key index finds the version's hours
        rows = db.exec(select(func.min(CallPathHour.path), CallPathHour.answered, func.sum(CallPathHour.calls))
                       .where(CallPathHour.tenant_id == tenant_id, CallPathHour.plan_id == plan_id,
                              CallPathHour.plan_version == version, CallPathHour.hour >= first, CallPathHour.hour < last)
                       .group_by(CallPathHour.path_key, CallPathHour.answered)).all()
        found.extend((_path(path), bool(answered), int(calls or 0)) for path, answered, calls in rows)
        edges = [(start, first), (last, end)]
    else:
        edges = [(start, end)]
    for low, high in edges:
        if low >= high:
            continue
        records = db.exec(select(CallRecord.steps, CallRecord.answered_by_user_id, CallRecord.answered_by)
                          .where(CallRecord.tenant_id == tenant_id, CallRecord.plan_id == plan_id,
                                 CallRecord.plan_version == version, CallRecord.started_at >= low,
                                 CallRecord.started_at < high)).all()
        found.extend((list(steps or []), user_id is not None or bool(name), 1) for steps, user_id, name in records)
    return found


def _path(text: Optional[str]) -> list[str]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return [str(step) for step in value] if isinstance(value, list) else []


def step_counts(db: Session, tenant_id: int, plan_id: int, version: int, document: dict, span: Period) -> Counts:
    return count(document_steps(document), paths(db, tenant_id, plan_id, version, span))
