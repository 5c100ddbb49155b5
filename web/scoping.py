"""The one way to read tenant-owned rows.

Every query for a tenant-owned table starts from `scoped()`; `get_owned()` is the by-id lookup that
answers 404 for a row of another tenant exactly as for a row that does not exist, so ids leak nothing.
"""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from web.domain.problems import Problem

T = TypeVar("T")


def scoped(model: type[T], tenant_id: int | None) -> SelectOfScalar[T]:
    """SELECT rows of `model` that belong to `tenant_id` (never None: that would match nothing)."""
    if tenant_id is None:
        raise Problem(403, "forbidden")
    return select(model).where(model.tenant_id == tenant_id)


def get_owned(db: Session, model: type[T], tenant_id: int | None, row_id: int) -> T:
    row = db.exec(scoped(model, tenant_id).where(model.id == row_id)).first()
    if row is None:
        raise Problem(404, "not_found")
    return row


def scoped_to_account(model: type[T], account) -> SelectOfScalar[T]:
    """SELECT rows of `model` that belong to one account (its own tokens); platform operators included."""
    tenant_match = model.tenant_id == account.tenant_id if account.tenant_id is not None else model.tenant_id.is_(None)
    return select(model).where(model.account_id == account.id, tenant_match)
