"""Call records: the list with filters and a total, one record with the steps its call took, and CSV.

Filters (query string, all optional): from, to (ISO date or instant; a date without a time is the whole
day in the company's time zone, `to` inclusive), direction, call_type, missed (true/false), blocked (true/false), number (part
of the caller's, the dialled or the answering number), sender (part of the caller's), receiver (part of the
dialled or the answering number), cost and duration (seconds) as "<5", ">5" or "=5", user_id (who answered); pages by limit (1-500,
default 50) and offset, newest first. A bad filter is a 422 pointing at it (/from, /limit, ...).

This module also carries FreeSWITCH's CDR route (web.xml_curl.cdr): the app collects the routes of
web/api modules, and the CDR door is part of the same concept."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from decimal import Decimal
from typing import Optional
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import func, or_
from starlette.responses import Response

from web.api.params import MAX_ID, int_param, moment_param
from web.api.problems import field_problem
from web.api.routing import api
from web.domain import faxes
from web.domain.call_records import read_steps, steps_by_id
from web.models.call_plan import CallPlanVersion
from web.models.call_record import CALL_TYPES, DIRECTIONS, CallRecord
from web.models.tenant import Tenant
from web.scoping import get_owned, scoped
from web.xml_curl import cdr

DEFAULT_LIMIT, MAX_LIMIT = 50, 500
CSV_MAX_ROWS = 100_000  # an export of more than this is a job for a report, not a download
_FORMULA = re.compile(r"^[=+\-@\t\r]")


class CallRecordPublic(BaseModel):
    id: int
    call_uuid: str
    direction: str
    caller_number: str
    caller_name: str
    caller_device: str = ""  # the phone a user called from (its SIP username); the caller is the extension
    callee_number: str
    callee_device: str = ""  # the phone that answered (its SIP username); the callee is the extension
    dialled_number: str
    started_at: datetime
    answered_at: Optional[datetime]
    ended_at: Optional[datetime]
    duration_seconds: int
    billed_seconds: int
    hangup_cause: str
    call_type: str
    cost: Optional[Decimal]
    currency: Optional[str]
    answered_by: Optional[str]
    answered_by_user_id: Optional[int]
    missed: bool
    blocked: Optional[str] = None  # turned away by incoming call blocking: "company" or "user" (callplan.blocking)
    plan_id: Optional[int]
    plan_version: Optional[int]
    # the agent's word on the call (the agent panel): a status of the company's list, a note
    outcome_status_id: Optional[int] = None
    outcome_label: str = ""
    outcome_note: str = ""
    outcome_at: Optional[datetime] = None


class CallRecordPage(BaseModel):
    items: list[CallRecordPublic]
    total: int
    limit: int
    offset: int


class StepTaken(BaseModel):
    plan_id: Optional[int]
    version: Optional[int]
    step: str
    type: Optional[str]  # None: the plan version is gone (a record outlives its plan)
    name: Optional[str]


class FaxOfCall(BaseModel):
    """The fax the call carried (#18 item 5): web/models/fax.py, tied to the record by the call's uuid."""

    id: int
    direction: str
    status: str
    pages: int
    remote_station_id: str
    result_text: str


class CallRecordDetail(CallRecordPublic):
    steps: list[StepTaken]
    sources: list[str]
    fax: Optional[FaxOfCall] = None



def _filtered(ctx):
    """The tenant's records as the query string filters them (no order, no page)."""
    query = ctx.request.query_params
    statement = scoped(CallRecord, ctx.tenant_id)
    tenant = ctx.db.get(Tenant, ctx.tenant_id)
    zone = ZoneInfo(tenant.timezone) if tenant is not None else ZoneInfo("UTC")
    if query.get("from"):
        statement = statement.where(CallRecord.started_at >= moment_param(query["from"], "/from", zone, end=False))
    if query.get("to"):
        # a bare date includes its whole day; an instant is the exclusive end
        statement = statement.where(CallRecord.started_at < moment_param(query["to"], "/to", zone, end=True))
    direction = query.get("direction")
    if direction:
        if direction not in DIRECTIONS:
            raise field_problem(422, "invalid_filter", "/direction", "must be one of " + ", ".join(DIRECTIONS))
        statement = statement.where(CallRecord.direction == direction)
    call_type = query.get("call_type")
    if call_type:
        if call_type not in CALL_TYPES:
            raise field_problem(422, "invalid_filter", "/call_type", "must be one of " + ", ".join(CALL_TYPES))
        statement = statement.where(CallRecord.call_type == call_type)
    missed = query.get("missed")
    if missed:
        if missed not in ("true", "false"):
            raise field_problem(422, "invalid_filter", "/missed", "must be true or false")
        statement = statement.where(CallRecord.missed == (missed == "true"))
    blocked = query.get("blocked")
    if blocked:
        if blocked not in ("true", "false"):
            raise field_problem(422, "invalid_filter", "/blocked", "must be true or false")
        statement = statement.where(CallRecord.blocked.is_not(None) if blocked == "true" else CallRecord.blocked.is_(None))
    pattern = _part(query, "number")
    if pattern is not None:
        statement = statement.where(or_(CallRecord.caller_number.like(pattern, escape="\\"),
                                        CallRecord.dialled_number.like(pattern, escape="\\"),
                                        CallRecord.callee_number.like(pattern, escape="\\")))
    # seed 001 §3.2: the sender's and the receiver's number apart, each a part of the number
    sender = _part(query, "sender")
    if sender is not None:
        statement = statement.where(CallRecord.caller_number.like(sender, escape="\\"))
    receiver = _part(query, "receiver")
    if receiver is not None:
        statement = statement.where(or_(CallRecord.dialled_number.like(receiver, escape="\\"),
                                        CallRecord.callee_number.like(receiver, escape="\\")))
    statement = _compared(statement, query, "cost", CallRecord.cost, _AMOUNT, Decimal)
    statement = _compared(statement, query, "duration", CallRecord.duration_seconds, _SECONDS, int)
    user_id = int_param(query, "user_id", None, 1, MAX_ID)
    if user_id is not None:
        statement = statement.where(CallRecord.answered_by_user_id == user_id)
    return statement


_AMOUNT = re.compile(r"^([<>=]?)([0-9]{1,8}(?:[.,][0-9]{1,4})?)\Z")
_SECONDS = re.compile(r"^([<>=]?)([0-9]{1,7})\Z")


def _part(query, name: str):
    """?name= as a LIKE pattern matching any part of a number (%, _ and \\ taken literally); None: absent."""
    text = (query.get(name) or "").strip()
    if not text:
        return None
    if len(text) > 64:
        raise field_problem(422, "invalid_filter", f"/{name}", "must be at most 64 characters")
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _compared(statement, query, name: str, column, pattern, number):
    """?name= as "<5", ">5", "=5" or "5" (equal): an amount or a number of seconds compared with `column`."""
    text = (query.get(name) or "").replace(" ", "")
    if not text:
        return statement
    match = pattern.match(text)
    if match is None:
        raise field_problem(422, "invalid_filter", f"/{name}", "must be a number, optionally after <, > or =")
    operator, value = match.group(1) or "=", number(match.group(2).replace(",", "."))
    return statement.where({"<": column < value, ">": column > value, "=": column == value}[operator])


def _newest_first(statement):
    return statement.order_by(CallRecord.started_at.desc(), CallRecord.id.desc())


# --- routes ------------------------------------------------------------------------------------------


def list_call_records(ctx):
    """The company's call records, newest first, filtered, a page at a time with the total."""
    query = ctx.request.query_params
    limit = int_param(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = int_param(query, "offset", 0, 0, 10**9)
    statement = _filtered(ctx)
    total = ctx.db.exec(statement.with_only_columns(func.count()).order_by(None)).one()
    rows = ctx.db.exec(_newest_first(statement).limit(limit).offset(offset)).all()
    return CallRecordPage(items=[CallRecordPublic.model_validate(row, from_attributes=True) for row in rows],
                          total=total, limit=limit, offset=offset)


def get_call_record(ctx, id: int):
    """One call record with the steps its call took (type and name from the plan version, when it still exists)."""
    row = get_owned(ctx.db, CallRecord, ctx.tenant_id, id)
    versions: dict[tuple[int, int], dict] = {}
    steps = []
    for taken in read_steps(row.steps, row.plan_id, row.plan_version):
        key = (taken["plan_id"], taken["version"])
        if key not in versions:
            version = ctx.db.exec(scoped(CallPlanVersion, ctx.tenant_id).where(
                CallPlanVersion.plan_id == key[0], CallPlanVersion.version == key[1])).first()
            versions[key] = steps_by_id(version.document) if version is not None else {}
        step = versions[key].get(taken["step"])
        steps.append(StepTaken(plan_id=key[0], version=key[1], step=taken["step"],
                               type=step.get("type") if step else None,
                               name=(step.get("label") or step.get("type")) if step else None))
    public = CallRecordPublic.model_validate(row, from_attributes=True).model_dump()
    fax = faxes.for_call(ctx.db, ctx.tenant_id, row.call_uuid)
    return CallRecordDetail(**public, steps=steps, sources=list(row.sources or []),
                            fax=FaxOfCall.model_validate(fax, from_attributes=True) if fax is not None else None)


CSV_COLUMNS = ("id", "started_at", "answered_at", "ended_at", "direction", "call_type", "caller_number", "caller_name",
               "dialled_number", "callee_number", "answered_by", "missed", "blocked", "duration_seconds", "billed_seconds",
               "hangup_cause", "cost", "currency", "plan_id", "plan_version", "call_uuid")


def csv_cell(value) -> str:
    """Guard against CSV formula injection (OWASP): a cell a spreadsheet would run (= + - @, tab, CR)
    starts with a quote and shows as text. Numbers like +3120... are quoted too: in a report they are text."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if _FORMULA.match(text) else text


def export_call_records(ctx):
    """The filtered records as CSV (UTF-8, header row, newest first), safe to open in a spreadsheet."""
    rows = ctx.db.exec(_newest_first(_filtered(ctx)).limit(CSV_MAX_ROWS)).all()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=",", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([csv_cell(getattr(row, column)) for column in CSV_COLUMNS])
    return Response(out.getvalue().encode("utf-8"), media_type="text/csv; charset=utf-8", headers={
        "content-disposition": 'attachment; filename="call-records.csv"', "cache-control": "no-store",
        "x-content-type-options": "nosniff"})


routes = [
    api("GET", "/api/call-records", list_call_records, permission="calls.read", response=CallRecordPage),
    api("GET", "/api/call-records.csv", export_call_records, permission="calls.read"),
    api("GET", "/api/call-records/{id:int}", get_call_record, permission="calls.read", response=CallRecordDetail,
        model=CallRecord),
] + cdr.routes()
