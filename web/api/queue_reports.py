"""The queue and agent reports on /reports (#17 item 3): a period's figures per queue and per agent, and
each as CSV. The sums are web.domain.queue_reports'; the period is read as for the other reports
(web.api.reports: period, from, to), plus service_level: the seconds within which an answered call
counts towards the service level (1-3600, default 20). A bad value is a 422 naming it."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Optional

from pydantic import BaseModel
from starlette.responses import Response

from web import clock
from web.api.call_records import csv_cell
from web.api.reports import PeriodPublic, _bad, _period, _period_public
from web.api.routing import api
from web.domain import queue_reports


class QueuePublic(BaseModel):
    key: Optional[str]  # the queue's id ("all": every queue)
    label: str  # its name ("" for a queue deleted since)
    offered: int
    answered: int
    abandoned: int
    timed_out: int
    answered_within: int
    service_level: Optional[Decimal]  # percent; None without calls
    average_wait_seconds: Optional[Decimal]
    longest_wait_seconds: int


class AgentPublic(BaseModel):
    key: str  # the user's id
    label: str
    calls: int
    talk_seconds: int
    average_handling_seconds: Optional[Decimal]
    logged_in_seconds: int
    break_seconds: int
    missed_offers: int


class QueuesReport(BaseModel):
    period: PeriodPublic
    service_level_s: int
    overall: QueuePublic
    queues: list[QueuePublic]


class AgentsReport(BaseModel):
    period: PeriodPublic
    agents: list[AgentPublic]


QUEUE_COLUMNS = ("key", "label", "offered", "answered", "abandoned", "timed_out", "answered_within", "service_level",
                 "average_wait_seconds", "longest_wait_seconds")
AGENT_COLUMNS = ("key", "label", "calls", "talk_seconds", "average_handling_seconds", "logged_in_seconds",
                 "break_seconds", "missed_offers")


def _service_level(ctx) -> int:
    raw = (ctx.request.query_params.get("service_level") or "").strip()
    if not raw:
        return queue_reports.SERVICE_LEVEL_DEFAULT
    low, high = queue_reports.SERVICE_LEVEL_RANGE
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4 and low <= int(raw) <= high):
        raise _bad("service_level", "service_level_range", f"must be a whole number of seconds from {low} to {high}")
    return int(raw)


def _queue(row: queue_reports.QueueFigures) -> QueuePublic:
    return QueuePublic(**{name: getattr(row, name) for name in QUEUE_COLUMNS})


def _agent(row: queue_reports.AgentFigures) -> AgentPublic:
    return AgentPublic(**{name: getattr(row, name) for name in AGENT_COLUMNS})


def queues_report(ctx):
    seconds = _service_level(ctx)
    kind, span = _period(ctx)
    return QueuesReport(period=_period_public(kind, span), service_level_s=seconds,
                        overall=_queue(queue_reports.queues_overall(ctx.db, ctx.tenant_id, span, seconds)),
                        queues=[_queue(row) for row in queue_reports.queues(ctx.db, ctx.tenant_id, span, seconds)])


def agents_report(ctx):
    kind, span = _period(ctx)
    rows = queue_reports.agents(ctx.db, ctx.tenant_id, span, clock.now())
    return AgentsReport(period=_period_public(kind, span), agents=[_agent(row) for row in rows])


def _csv(name: str, header: tuple[str, ...], rows, columns: tuple[str, ...]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(getattr(row, column)) for column in columns])
    return Response(out.getvalue().encode("utf-8"), media_type="text/csv; charset=utf-8", headers={
        "content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store",
        "x-content-type-options": "nosniff"})


def queues_csv(ctx):
    seconds = _service_level(ctx)
    kind, span = _period(ctx)
    rows = queue_reports.queues(ctx.db, ctx.tenant_id, span, seconds)
    return _csv(f"queues-{span.first.isoformat()}-{span.last.isoformat()}.csv", ("queue",) + QUEUE_COLUMNS[1:],
                rows, QUEUE_COLUMNS)


def agents_csv(ctx):
    kind, span = _period(ctx)
    rows = queue_reports.agents(ctx.db, ctx.tenant_id, span, clock.now())
    return _csv(f"agents-{span.first.isoformat()}-{span.last.isoformat()}.csv", ("agent",) + AGENT_COLUMNS[1:],
                rows, AGENT_COLUMNS)


routes = [
    api("GET", "/api/reports/queues", queues_report, permission="calls.read", response=QueuesReport),
    api("GET", "/api/reports/queues.csv", queues_csv, permission="calls.read"),
    api("GET", "/api/reports/agents", agents_report, permission="calls.read", response=AgentsReport),
    api("GET", "/api/reports/agents.csv", agents_csv, permission="calls.read"),
]
