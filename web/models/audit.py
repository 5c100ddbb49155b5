"""The audit log: every change to a row, who made it, from where, with a before/after summary."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from web.models.base import TenantOwned


class AuditEntry(TenantOwned, table=True):
    __audit__ = False
    __tablename__ = "audit_entry"

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    actor_account_id: Optional[int] = None  # kept even after the account is deleted
    actor_email: str = ""
    source_ip: str = ""
    action: str  # "<object type>.create|update|delete"
    object_type: str
    object_id: Optional[str] = None
    summary: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AuditEntryPublic(SQLModel):
    id: int
    tenant_id: Optional[int]
    at: datetime
    actor_account_id: Optional[int]
    actor_email: str
    source_ip: str
    action: str
    object_type: str
    object_id: Optional[str]
    summary: dict


class LoginAttemptPublic(SQLModel):
    id: int
    at: datetime
    email: str
    account_id: Optional[int]
    source_ip: str
    user_agent: str
    success: bool
    reason: str
