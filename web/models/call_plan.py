"""Call plans (kind "plan"): a draft the editor saves freely, and numbered published versions.

The draft and each version hold a whole CallPlan document (callplan.model) as JSON. Publishing copies
the draft into a new version row; calls run the latest published version. Which diversions are
switched on is state, not design: it lives in `active_diversions` and overrides the documents'
`active` flags when a plan is compiled or simulated, so switching one needs no publish.

JSON columns are not mutation-tracked: code assigns new dicts/lists, never changes them in place (the
audit log would miss the change and the row would not be written)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlmodel import Field, UniqueConstraint

from web.models.base import TenantOwned, created_at_field
from web.models.fields import json_field


class CallPlanRecord(TenantOwned, table=True):
    __tablename__ = "call_plan"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)  # kept equal to the draft's name, for lists and in-use answers
    draft: dict = json_field()
    draft_updated_at: datetime = created_at_field()
    # An account id, not a foreign key: who last saved stays readable in the audit log after the
    # account is gone, and a deleted account must not block or rewrite plans.
    draft_updated_by: Optional[int] = None
    published_version: Optional[int] = None  # the latest version's number; None: never published
    active_diversions: list = json_field(default_factory=list)  # diversion ids switched on
    created_at: datetime = created_at_field()


class CallPlanVersion(TenantOwned, table=True):
    __tablename__ = "call_plan_version"
    __table_args__ = (UniqueConstraint("plan_id", "version", name="uq_call_plan_version_plan_version"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="call_plan.id", index=True, ondelete="CASCADE")
    version: int  # 1, 2, 3, ... per plan; the unique constraint refuses two publishes racing
    document: dict = json_field()
    published_at: datetime = created_at_field()
    published_by: Optional[int] = None  # account id, as draft_updated_by
    note: str = Field(default="", max_length=500)
