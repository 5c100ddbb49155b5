"""GET /api/plans/{id}/step-counts: for a published version of a plan and a period, how many calls reached
each step and how many ended there (answered, voicemail, transferred, hung up), and the busiest path
(web.domain.step_counts; what the canvas draws on its steps).

Query string: version (a version number, or "published", the default: the version calls run now),
period (this_month, default; last_month; custom) with from and to for custom (dates, inclusive, in the
company's time zone, at most 366 days). A bad value is a 422 naming it; a plan never published a 409."""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel
from sqlmodel import select

from web.api.problems import field_problem
from web.api.reports import PeriodPublic, _bad, _period, _period_public
from web.api.routing import api
from web.domain.step_counts import step_counts
from web.models.call_plan import CallPlanRecord, CallPlanVersion
from web.scoping import get_owned


class StepCountPublic(BaseModel):
    step: str
    type: str
    reached: int
    ended: int
    answered: int
    voicemail: int
    transferred: int
    hung_up: int


class BusiestPath(BaseModel):
    steps: list[str]
    calls: int


class StepCountsReport(BaseModel):
    plan_id: int
    version: int
    published_version: int  # the version calls run now
    versions: list[int]  # every published version, newest first (the picker's choices)
    period: PeriodPublic
    calls: int  # calls that entered this version in the period
    steps: list[StepCountPublic]  # every step of the version, in document order
    busiest_path: Optional[BusiestPath]


def plan_step_counts(ctx, id: int):
    plan = get_owned(ctx.db, CallPlanRecord, ctx.tenant_id, id)
    query = ctx.request.query_params
    if plan.published_version is None:
        raise field_problem(409, "plan_not_published", "/version", "this plan has no published version yet")
    raw = query.get("version") or "published"
    if raw == "published":
        number = plan.published_version
    elif raw.isascii() and raw.isdigit() and len(raw) <= 9:
        number = int(raw)
    else:
        raise _bad("version", "invalid_version", 'must be "published" or a version number')
    versions = sorted(ctx.db.exec(select(CallPlanVersion.version).where(
        CallPlanVersion.tenant_id == ctx.tenant_id, CallPlanVersion.plan_id == plan.id)).all(), reverse=True)
    if number not in versions:
        raise field_problem(404, "version_not_found", "/version", f"this plan has no version {number}")
    document = ctx.db.exec(select(CallPlanVersion.document).where(
        CallPlanVersion.tenant_id == ctx.tenant_id, CallPlanVersion.plan_id == plan.id,
        CallPlanVersion.version == number)).one()
    kind, span = _period(ctx)
    found = step_counts(ctx.db, ctx.tenant_id, plan.id, number, document, span)
    return StepCountsReport(
        plan_id=plan.id, version=number, published_version=plan.published_version, versions=versions,
        period=_period_public(kind, span), calls=found.calls,
        steps=[StepCountPublic(step=row.step, type=row.type, reached=row.reached, ended=row.ended, **row.outcomes)
               for row in found.steps],
        busiest_path=BusiestPath(steps=found.busiest[0], calls=found.busiest[1]) if found.busiest else None)


routes = [
    api("GET", "/api/plans/{id:int}/step-counts", plan_step_counts, permission="calls.read", response=StepCountsReport,
        model=CallPlanRecord),
]
