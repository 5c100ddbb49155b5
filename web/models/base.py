"""Pieces every table shares."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from web import clock


def created_at_field() -> datetime:
    return Field(default_factory=clock.now, nullable=False)


class TenantOwned(SQLModel):
    """A row that belongs to one tenant. Queries on such tables go through web.scoping, never bare."""

    tenant_id: Optional[int] = Field(default=None, foreign_key="tenant.id", index=True, ondelete="CASCADE")


class RowProblem(BaseModel):
    """A stored value that no longer passes its check (web.domain.stored_rows)."""

    pointer: str  # JSON pointer to the field, as in a refused save
    code: str
    message: str


class Checked(BaseModel):
    """Mixed into the answer shape of every object an admin manages."""

    # stored values that no longer pass the checks; such an object is left out of calls until corrected
    problems: list[RowProblem] = []
