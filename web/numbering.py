"""The tenant's internal numbers: one namespace for users, ring groups, queues, IVR menus, voicemail
boxes, call plans and feature codes, kept in one table whose (tenant, number) is unique, so the
database itself refuses a double booking even when two admins save at the same moment."""

from __future__ import annotations

import re
from typing import Optional

from sqlmodel import Field, Session, UniqueConstraint, select

from web.api.problems import field_problem
from web.models.base import TenantOwned

EXTENSION = re.compile(r"^[0-9]{2,4}$")
FEATURE_CODE = re.compile(r"^[*#][0-9*#]{1,5}$")


class InternalNumber(TenantOwned, table=True):
    __tablename__ = "internal_number"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)
    __audit__ = False  # its owner's own row is audited

    id: Optional[int] = Field(default=None, primary_key=True)
    number: str = Field(max_length=8)
    owner_kind: str = Field(max_length=32)
    owner_id: int


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
