"""Reading the audit log and the login history: a tenant admin sees the tenant's, the operator all."""

from __future__ import annotations

from sqlmodel import select

from web.api.params import MAX_ID, int_param
from web.api.routing import api
from web.models import AuditEntry, LoginAttempt
from web.models.audit import AuditEntryPublic, LoginAttemptPublic
from web.scoping import scoped

PAGE = 100


def _query(ctx, model, order_column):
    if ctx.role == "operator":
        query = select(model)
        tenant = int_param(ctx.request.query_params, "tenant_id", None, 1, MAX_ID)
        if tenant is not None:
            query = query.where(model.tenant_id == tenant)
    else:
        query = scoped(model, ctx.tenant_id)
    before = int_param(ctx.request.query_params, "before_id", None, 1, MAX_ID)
    if before is not None:
        query = query.where(model.id < before)
    return query.order_by(order_column.desc()).limit(PAGE)


def audit_entries(ctx):
    """The newest changes first, 100 a page (?before_id= for the next)."""
    rows = ctx.db.exec(_query(ctx, AuditEntry, AuditEntry.id)).all()
    return [AuditEntryPublic.model_validate(row, from_attributes=True) for row in rows]


def login_history(ctx):
    """Logins, good and failed, newest first, 100 a page."""
    rows = ctx.db.exec(_query(ctx, LoginAttempt, LoginAttempt.id)).all()
    return [LoginAttemptPublic.model_validate(row, from_attributes=True) for row in rows]


routes = [
    api("GET", "/api/audit", audit_entries, permission="audit.read", response=list[AuditEntryPublic]),
    api("GET", "/api/login-history", login_history, permission="audit.read", response=list[LoginAttemptPublic]),
]
