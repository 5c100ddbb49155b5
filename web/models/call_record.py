"""Call records (CDRs) and the per-tenant rate table that prices them.

A record is written from FreeSWITCH's own CDR POST (mod_xml_cdr: durable, retried, spooled) and from the
bridge's CHANNEL_HANGUP_COMPLETE event (live); both land on the same row, keyed by the call's uuid, so a
call is stored once however often and in whatever order its data arrives."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import Column, Index, Numeric, String
from sqlmodel import Field, SQLModel, UniqueConstraint

from web.models.base import TenantOwned, created_at_field
from web.models.fields import json_field

# internal: extension to extension; the rest is the dialled number's kind (phonenumbers' number type,
# and the country's emergency numbers)
CALL_TYPES = ("internal", "national", "mobile", "international", "premium_rate", "emergency", "unknown")
DIRECTIONS = ("inbound", "outbound", "internal")


class CallRecord(TenantOwned, table=True):
    __tablename__ = "call_record"
    __table_args__ = (
        UniqueConstraint("call_uuid"),
        # the reports (#17): a company's period; on PostgreSQL the totals per number read only this index
        Index("ix_call_record_tenant_started", "tenant_id", "started_at",
              postgresql_include=["caller_number", "dialled_number", "answered_at", "missed", "billed_seconds", "cost"]),
    )
    __audit__ = False  # call traffic, not a change anyone made

    id: Optional[int] = Field(default=None, primary_key=True)
    call_uuid: str = Field(max_length=64)
    direction: str = Field(default="inbound", sa_type=String(16))
    caller_number: str = Field(default="", max_length=64)
    caller_name: str = Field(default="", max_length=100)
    caller_device: str = Field(default="", max_length=64)  # the phone (SIP username) a user called from
    callee_number: str = Field(default="", max_length=64)  # where the call went in the end
    callee_device: str = Field(default="", max_length=64)  # the phone (SIP username) that answered
    dialled_number: str = Field(default="", max_length=64)  # what the caller dialled
    started_at: datetime = Field(index=True)
    answered_at: Optional[datetime] = None
    ended_at: Optional[datetime] = None
    duration_seconds: int = 0
    billed_seconds: int = 0
    hangup_cause: str = Field(default="", max_length=64)
    call_type: str = Field(default="unknown", sa_type=String(16))
    cost: Optional[Decimal] = Field(default=None, sa_column=Column(Numeric(12, 4), nullable=True))
    currency: Optional[str] = Field(default=None, max_length=3)
    answered_by: Optional[str] = Field(default=None, max_length=100)  # who took it: a user's name or a number
    answered_by_user_id: Optional[int] = Field(default=None, foreign_key="pbx_user.id", ondelete="SET NULL")
    missed: bool = False
    blocked: Optional[str] = Field(default=None, max_length=16)  # turned away by incoming call blocking: "company", "user"
    plan_id: Optional[int] = None  # no foreign key: a record outlives its plan
    plan_version: Optional[int] = None
    steps: list = json_field(default_factory=list)  # step ids in the order the call took them
    sources: list = json_field(default_factory=list)  # "cdr", "events": what has told us about it
    # the agent's word on the call afterwards (agent panel, seed 004): a status of the company's list (its
    # name kept too, so a status deleted later still reads), a note, who wrote it and when
    outcome_status_id: Optional[int] = Field(default=None, foreign_key="call_status.id", ondelete="SET NULL")
    outcome_label: str = Field(default="", max_length=100)
    outcome_note: str = Field(default="", max_length=500)
    outcome_by_user_id: Optional[int] = Field(default=None, foreign_key="pbx_user.id", ondelete="SET NULL")
    outcome_at: Optional[datetime] = None
    created_at: datetime = created_at_field()
    updated_at: Optional[datetime] = None


class CallRateFields(SQLModel):
    # A rate matches a dialled E.164 number by its longest prefix ("+3120"), or failing that by the call
    # type ("mobile"); exactly one of the two is set.
    prefix: Optional[str] = Field(default=None, max_length=16)
    call_type: Optional[str] = Field(default=None, sa_type=String(16))
    description: str = Field(default="", max_length=100)
    price_per_minute: Decimal = Field(sa_column=Column(Numeric(12, 4), nullable=False))
    setup_price: Decimal = Field(default=Decimal("0"), sa_column=Column(Numeric(12, 4), nullable=False))
    increment_seconds: int = Field(default=60, ge=1, le=3600)  # billed in whole steps of this many seconds
    currency: str = Field(default="EUR", max_length=3)


class CallRate(CallRateFields, TenantOwned, table=True):
    __tablename__ = "call_rate"

    id: Optional[int] = Field(default=None, primary_key=True)
    created_at: datetime = created_at_field()
