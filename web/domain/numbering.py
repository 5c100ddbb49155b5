"""The tenant's internal numbers: one namespace for users, ring groups, queues, IVR menus, voicemail
boxes, call plans and feature codes, kept in one table whose (tenant, number) is unique, so the
database itself refuses a double booking even when two admins save at the same moment."""

from __future__ import annotations

from sqlmodel import Session, select

from web.domain.problems import field_problem
from web.models.internal_number import InternalNumber
from web.validation import EXTENSION, FEATURE_CODE  # noqa: F401  (re-exported)


def holder(db: Session, tenant_id: int, number: str) -> InternalNumber | None:
    return db.exec(
        select(InternalNumber).where(InternalNumber.tenant_id == tenant_id, InternalNumber.number == number)
    ).first()


def claim(db: Session, tenant_id: int, number: str | None, owner_kind: str, owner_id: int, pointer: str = "/extension") -> None:
    """Make `number` the owner's (and free the owner's previous one). None frees it."""
    current = db.exec(
        select(InternalNumber).where(
            InternalNumber.tenant_id == tenant_id, InternalNumber.owner_kind == owner_kind, InternalNumber.owner_id == owner_id
        )
    ).first()
    if current is not None and current.number == number:
        return
    if number is not None:
        taken = holder(db, tenant_id, number)
        if taken is not None:
            raise field_problem(409, "number_taken", pointer, f"{number} is already used by a {taken.owner_kind.replace('_', ' ')}")
    if current is not None:
        db.delete(current)
        db.flush()
    if number is not None:
        db.add(InternalNumber(tenant_id=tenant_id, number=number, owner_kind=owner_kind, owner_id=owner_id))
        db.flush()


def release(db: Session, tenant_id: int, owner_kind: str, owner_id: int) -> None:
    claim(db, tenant_id, None, owner_kind, owner_id)
