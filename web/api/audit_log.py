"""Reading the audit log and the login history: a tenant admin sees the tenant's, the operator all."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from web.api.params import MAX_ID, int_param
from web.api.problems import field_problem
from web.api.routing import api
from web.models import AuditEntry, LoginAttempt
from web.models.audit import AuditEntryPublic, LoginAttemptPublic
from web.scoping import scoped

PAGE = 100
ACTIONS = ("create", "update", "delete")
MAX_FILTER = 254


def _text_param(ctx, name: str) -> str:
    value = ctx.request.query_params.get(name, "").strip()
    if len(value) > MAX_FILTER:
        raise field_problem(422, "invalid_filter", f"/{name}", f"at most {MAX_FILTER} characters")
    return value


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


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
    """The newest changes first, 100 a page (?before_id= for the next). Filters: ?object_type= (the kind,
    as in `action`: user, contact ...), ?object_id=, ?action= (create, update or delete), ?actor= (part of
    the e-mail address of who made the change, any case)."""
    query = _query(ctx, AuditEntry, AuditEntry.id)
    object_type = _text_param(ctx, "object_type")
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    object_id = _text_param(ctx, "object_id")
    if object_id:
        query = query.where(AuditEntry.object_id == object_id)
    action = _text_param(ctx, "action")
    if action:
        if action not in ACTIONS:
            raise field_problem(422, "invalid_filter", "/action", f"one of {', '.join(ACTIONS)}")
        query = query.where(AuditEntry.action.endswith("." + action))
    actor = _text_param(ctx, "actor")
    if actor:
        query = query.where(func.lower(AuditEntry.actor_email).like(_like(actor), escape="\\"))
    rows = ctx.db.exec(query).all()
    return [AuditEntryPublic.model_validate(row, from_attributes=True) for row in rows]


def audit_object_types(ctx):
    """The kinds of object the log has entries for (the audit screen's filter offers these)."""
    rows = select(AuditEntry) if ctx.role == "operator" else scoped(AuditEntry, ctx.tenant_id)
    return sorted(set(ctx.db.exec(rows.with_only_columns(AuditEntry.object_type).distinct()).all()))


def login_history(ctx):
    """Logins, good and failed, newest first, 100 a page; ?account_id= one account's."""
    query = _query(ctx, LoginAttempt, LoginAttempt.id)
    account = int_param(ctx.request.query_params, "account_id", None, 1, MAX_ID)
    if account is not None:
        query = query.where(LoginAttempt.account_id == account)
    rows = ctx.db.exec(query).all()
    return [LoginAttemptPublic.model_validate(row, from_attributes=True) for row in rows]


routes = [
    api("GET", "/api/audit", audit_entries, permission="audit.read", response=list[AuditEntryPublic]),
    api("GET", "/api/audit/object-types", audit_object_types, permission="audit.read", response=list[str]),
    api("GET", "/api/login-history", login_history, permission="audit.read", response=list[LoginAttemptPublic]),
]
