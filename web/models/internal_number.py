"""The table behind web.domain.numbering: one row per internal number in use, unique per tenant."""

from __future__ import annotations

from typing import Optional

from sqlmodel import Field, UniqueConstraint

from web.models.base import TenantOwned


class InternalNumber(TenantOwned, table=True):
    __tablename__ = "internal_number"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)
    __audit__ = False  # its owner's own row is audited

    id: Optional[int] = Field(default=None, primary_key=True)
    number: str = Field(max_length=8)
    owner_kind: str = Field(max_length=32)
    owner_id: int
