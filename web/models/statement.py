"""Monthly statements (#17 item 6): one PDF per company and month, kept in the database.

Why in the database and not in files under var/ like audio: a statement is small (tens of KB), it is
made by the bridge and read by any web process, which need not share a disk; the unique (tenant, month)
row is at the same time the claim that lets only one process make it, so a statement can never exist
as a row without its file or a file without its row; and backups, tenant deletion (ON DELETE CASCADE)
and tenant isolation (web.scoping) treat it like every other row."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Column, LargeBinary, String
from sqlmodel import Field, UniqueConstraint

from web.models.base import TenantOwned, created_at_field


class Statement(TenantOwned, table=True):
    __tablename__ = "statement"
    __table_args__ = (UniqueConstraint("tenant_id", "month", name="uq_statement_tenant_month"),)
    # stored by a Core INSERT (web.domain.statements.make), which writes its own audit entry without the
    # bytes; should the ORM ever write one, the log still leaves them out
    __audit_redact__ = {"pdf"}

    id: Optional[int] = Field(default=None, primary_key=True)
    month: str = Field(sa_type=String(7))  # "2026-11", a month of the company's time zone
    language: str = Field(default="en", sa_type=String(8))  # the company's language when it was made
    created_at: datetime = created_at_field()
    # None: made by the periodic job on the 1st; else the admin account that asked for it
    created_by: Optional[int] = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    size: int = 0  # bytes of pdf, for the list without reading the blobs
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
