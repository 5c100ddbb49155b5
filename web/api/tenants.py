"""Tenants: the platform operator creates companies; a company's staff read, and its admin edits, their own."""

from __future__ import annotations

from typing import Optional

from sqlmodel import Field, SQLModel, select

from web.api.problems import Problem, field_problem
from web.domain import stored_rows
from web.api.feature_codes import ensure_feature_codes
from web.api.routing import api
from web.domain import numbers
from web.auth import links
from web.models import Account, Tenant
from web.models.tenant import TenantCreate, TenantPublic, TenantUpdate
from web.updates import apply_update
from web.validation import CompanyNumber, Language, TimeZoneName


class TenantSettingsUpdate(SQLModel):
    """What a tenant admin may change of the own company (the SIP domain is the operator's)."""

    name: Optional[str] = Field(default=None, min_length=1, max_length=200)
    timezone: Optional[TimeZoneName] = None
    language: Optional[Language] = None
    company_number: Optional[CompanyNumber] = None
    require_2fa: Optional[bool] = None


def _check_domain(ctx, domain: str, tenant_id: int | None = None) -> None:
    query = select(Tenant.id).where(Tenant.sip_domain == domain)
    if tenant_id is not None:
        query = query.where(Tenant.id != tenant_id)
    if ctx.db.exec(query).first() is not None:
        raise field_problem(409, "sip_domain_taken", "/sip_domain", "another tenant already uses this SIP domain")


def _get(ctx, tenant_id: int) -> Tenant:
    tenant = ctx.db.get(Tenant, tenant_id)
    if tenant is None:
        raise Problem(404, "not_found")
    return tenant


def _public(tenant: Tenant):
    return stored_rows.answer(TenantPublic, tenant, *stored_rows.rules_for(Tenant))


def list_tenants(ctx):
    """Every tenant on the platform."""
    return [_public(row) for row in ctx.db.exec(select(Tenant).order_by(Tenant.id)).all()]


def create_tenant(ctx, body: TenantCreate):
    """Create a company and its first admin, who gets a welcome mail to choose a password."""
    from callplan.text import email_address

    try:
        admin_email = email_address(body.admin_email)
    except ValueError as exc:
        raise field_problem(422, "invalid", "/admin_email", str(exc))
    _check_domain(ctx, body.sip_domain)
    tenant = Tenant(**body.model_dump(exclude={"admin_email", "admin_first_name", "admin_last_name"}))
    ctx.db.add(tenant)
    ctx.db.flush()
    if tenant.company_number:
        # the operator names the company's number: it is assigned to the company with it
        numbers.assign(ctx.db, tenant.id, [tenant.company_number], "/company_number")
    admin = Account(
        tenant_id=tenant.id, email=admin_email, first_name=body.admin_first_name, last_name=body.admin_last_name,
        role="admin", language=tenant.language,
    )
    ctx.db.add(admin)
    ctx.db.flush()
    ensure_feature_codes(ctx.db, tenant.id)  # *97, *98, ... from the first call on
    links.issue(ctx, admin, "welcome")
    return _public(tenant)


def get_tenant(ctx, id: int):
    """One tenant."""
    return _public(_get(ctx, id))


def update_tenant(ctx, body: TenantUpdate, id: int):
    """Change any tenant's details, its SIP domain included."""
    tenant = _get(ctx, id)
    if body.sip_domain:
        _check_domain(ctx, body.sip_domain, tenant.id)
    if body.company_number is not None:
        numbers.require_caller_id(ctx.db, tenant.id, body.company_number, "/company_number")
    apply_update(tenant, body)
    ctx.db.add(tenant)
    return _public(tenant)


def own_tenant(ctx):
    """The caller's own company."""
    return _public(_get(ctx, ctx.tenant_id))


def update_own_tenant(ctx, body: TenantSettingsUpdate):
    """Change the own company's name, time zone, language, company number or 2FA requirement."""
    tenant = _get(ctx, ctx.tenant_id)
    if body.company_number is not None:
        numbers.require_caller_id(ctx.db, tenant.id, body.company_number, "/company_number")
    apply_update(tenant, body)
    ctx.db.add(tenant)
    return _public(tenant)


routes = [
    api("GET", "/api/tenants", list_tenants, permission="tenants.manage", response=list[TenantPublic]),
    api("POST", "/api/tenants", create_tenant, permission="tenants.manage", body=TenantCreate,
        response=TenantPublic, status=201),
    api("GET", "/api/tenants/{id:int}", get_tenant, permission="tenants.manage", response=TenantPublic),
    api("PATCH", "/api/tenants/{id:int}", update_tenant, permission="tenants.manage", body=TenantUpdate,
        response=TenantPublic),
    api("GET", "/api/tenant", own_tenant, permission="tenant.read", response=TenantPublic),
    api("PATCH", "/api/tenant", update_own_tenant, permission="tenant.write", body=TenantSettingsUpdate,
        response=TenantPublic),
]
