"""Factories for call plans (see tests/web/factories.py): a plan with a draft and its published version 1."""

from __future__ import annotations

from callplan.model import CallPlan
from web.domain.callplan_snapshot import normalised
from web.models.call_plan import CallPlanRecord, CallPlanVersion


def plan_document(name="Reception", steps=None, **fields) -> dict:
    steps = [{"id": "s1", "type": "hang_up"}] if steps is None else steps
    return normalised(CallPlan.model_validate({"name": name, "steps": steps, **fields}))


def call_plan(db, settings, tenant_id, owner, name="Reception", published=True, **fields) -> int:
    document = plan_document(name, **fields)
    with db() as session:
        row = CallPlanRecord(tenant_id=tenant_id, name=name, draft=document, draft_updated_by=owner.id if owner else None)
        session.add(row)
        session.flush()
        if published:
            session.add(CallPlanVersion(tenant_id=tenant_id, plan_id=row.id, version=1, document=document))
            row.published_version = 1
            session.add(row)
        return row.id


FACTORIES = {CallPlanRecord: call_plan}
