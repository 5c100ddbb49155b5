"""Pieces every table shares."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlmodel import Field, SQLModel

from web import clock


def created_at_field() -> datetime:
    return Field(default_factory=clock.now, nullable=False)


class TenantOwned(SQLModel):
    """A row that belongs to one tenant. Queries on such tables go through web.scoping, never bare."""

    tenant_id: Optional[int] = Field(default=None, foreign_key="tenant.id", index=True, ondelete="CASCADE")
