"""A company's settings row, made on first use (a new tenant has none until something needs it)."""

from __future__ import annotations

from web.models.company import CompanySettings
from web.scoping import scoped


def settings_row(db, tenant_id: int) -> CompanySettings:
    row = db.exec(scoped(CompanySettings, tenant_id)).first()
    if row is None:
        row = CompanySettings(tenant_id=tenant_id)
        db.add(row)
        db.flush()
    return row
