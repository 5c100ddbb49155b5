"""Departments (seed 000 "Afdelingen"): users in one call out with the department's number."""

from __future__ import annotations

from sqlalchemy import inspect

from web.api.resources import Resource
from web.domain import numbers
from web.models.company import Department, DepartmentCreate, DepartmentPublic, DepartmentUpdate


def _validate(ctx, department: Department) -> None:
    # Checked when set, so an old row naming a number the company no longer holds can still be renamed
    # (its calls show the company number meanwhile: web.domain.callplan_snapshot).
    if department.id is None or inspect(department).attrs.caller_id_number.history.has_changes():
        numbers.require_caller_id(ctx.db, ctx.tenant_id, department.caller_id_number, "/caller_id_number")


resource = Resource(
    kind="department", path="/api/departments", table=Department, create_model=DepartmentCreate,
    update_model=DepartmentUpdate, public_model=DepartmentPublic, order_by="name", validate=_validate,
)

routes = resource.routes()
