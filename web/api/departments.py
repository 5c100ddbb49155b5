"""Departments (seed 000 "Afdelingen"): users in one call out with the department's number."""

from __future__ import annotations

from web.api.resources import Resource
from web.models.company import Department, DepartmentCreate, DepartmentPublic, DepartmentUpdate

resource = Resource(
    kind="department", path="/api/departments", table=Department, create_model=DepartmentCreate,
    update_model=DepartmentUpdate, public_model=DepartmentPublic, order_by="name",
)

routes = resource.routes()
