"""The company's settings (seed 001 6.3): name and number, display, night mode, outbound blocking, music."""

from __future__ import annotations

from web import references
from web.api.routing import api
from web.models import Tenant
from web.models.company import CompanyPublic, CompanySettings, CompanyUpdate
from web.scoping import scoped
from web.updates import apply_update


def settings_row(db, tenant_id: int) -> CompanySettings:
    row = db.exec(scoped(CompanySettings, tenant_id)).first()
    if row is None:
        row = CompanySettings(tenant_id=tenant_id)
        db.add(row)
        db.flush()
    return row


def _public(tenant: Tenant, row: CompanySettings) -> CompanyPublic:
    return CompanyPublic.model_validate({
        **row.model_dump(exclude={"release_pin"}),
        "company_name": tenant.name,
        "company_number": tenant.company_number,
        "release_pin_set": bool(row.release_pin),
    })


def get_company(ctx):
    """The company's settings."""
    return _public(ctx.db.get(Tenant, ctx.tenant_id), settings_row(ctx.db, ctx.tenant_id))


def update_company(ctx, body: CompanyUpdate):
    """Change company settings; only the fields sent change."""
    tenant = ctx.db.get(Tenant, ctx.tenant_id)
    row = settings_row(ctx.db, ctx.tenant_id)
    changes = body.model_dump(mode="json", exclude_unset=True)
    if "company_name" in changes:
        tenant.name = changes.pop("company_name") or tenant.name
    if "company_number" in changes:
        tenant.company_number = changes.pop("company_number")
    apply_update(row, body, mode="json", exclude=("company_name", "company_number"))
    references.require_all(ctx.db, ctx.tenant_id, row)
    ctx.db.add_all([tenant, row])
    return _public(tenant, row)


references.register_referrer(CompanySettings)

routes = [
    api("GET", "/api/company", get_company, permission="pbx.manage", response=CompanyPublic),
    api("PATCH", "/api/company", update_company, permission="pbx.manage", body=CompanyUpdate, response=CompanyPublic),
]
