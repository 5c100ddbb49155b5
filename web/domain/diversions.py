"""Diversions are state, not design: switching one (on switches the others of its category off) writes
the plan's `active_diversions`, which overrides the documents' `active` flags on the next dialplan fetch;
no publish needed. Switched from the portal (web/api/call_plans.py) and by a phone's feature code
(fs_bridge/features.py)."""

from __future__ import annotations

import re

from callplan.model import STEP_ID
from web.domain.callplan_snapshot import published_documents
from web.domain.problems import field_problem
from web.models.call_plan import CallPlanRecord


def switch_diversion(db, tenant_id: int, row: CallPlanRecord, diversion_id: str, on: bool) -> list[str]:
    """Switch one of the plan's diversions on (the others of its category go off) or off; the active ids.
    Without a request, so a phone feature code can switch the same way."""
    version = published_documents(db, tenant_id).get(row.id)
    category: dict[str, str] = {}
    # a diversion of the draft may be switched before it is published; the published version's
    # categories win, as that is what calls run
    for document in [row.draft] + ([version.document] if version else []):
        for diversion in document.get("diversions") or []:
            category[diversion.get("id")] = diversion.get("category", "A")
    if not re.fullmatch(STEP_ID, diversion_id) or diversion_id not in category:
        raise field_problem(422, "unknown_diversion", "/diversion_id", "this plan has no diversion with this id")
    kept = [ident for ident in row.active_diversions if ident != diversion_id
            and not (on and category.get(ident) == category[diversion_id])]
    row.active_diversions = kept + [diversion_id] if on else kept  # a new list: the audit log sees it
    db.add(row)
    db.flush()
    return row.active_diversions
