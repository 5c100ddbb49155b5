"""The reports' running totals of call records (#17): what /reports reads instead of a million records.

Two tables, both kept by database triggers on call_record (migration 0035 holds their SQL), like
call_path_hour (web.models.call_path): every writer is counted the same (the CDR post, the bridge's
batched upserts, a bulk load), an update moves a record's sums from its old row to its new one in the
same transaction, and a deleted record is taken off. Rows that drop to 0 stay (harmless).

- call_report_slot: per quarter of an hour (UTC) and call type. Every zone's midnight falls on a
  quarter hour (India +5:30, Nepal +5:45, Chatham +12:45), so a period, its days, its hours of day and
  its months are whole slots in any zone: the totals per call type, the overall totals, the activity
  charts and the cost per month are read from it alone, a year being some 35,000 slots.
- call_report_owner_day: per UTC day, the caller's number when the call did not come in from outside
  ("" for incoming calls) and the user who answered (0: none). Whose call a record is depends on today's
  extensions (web.domain.reports), so the caller's number is kept and matched at read time. A period's
  part-days at its edges are read from the records.

Sums are what the reports show: calls, answered (answered_at set), missed, billed seconds, and the cost
in ten-thousandths (an integer: exact on SQLite too, where a Numeric is a float)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, UniqueConstraint

from web.models.base import TenantOwned

SLOT_KEY = ("tenant_id", "slot", "call_type")
OWNER_KEY = ("tenant_id", "day", "caller_extension", "answered_by_user_id")


class CallReportSlot(TenantOwned, table=True):
    __tablename__ = "call_report_slot"
    __table_args__ = (UniqueConstraint(*SLOT_KEY, name="uq_call_report_slot_key"),)
    __audit__ = False  # call traffic, counted by the database

    id: Optional[int] = Field(default=None, primary_key=True)
    slot: datetime  # the start of the UTC quarter hour the calls started in
    call_type: str = Field(max_length=16)
    calls: int = 0
    answered: int = 0
    missed: int = 0
    seconds: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    cost_units: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))  # cost × 10,000


class CallReportOwnerDay(TenantOwned, table=True):
    __tablename__ = "call_report_owner_day"
    __table_args__ = (UniqueConstraint(*OWNER_KEY, name="uq_call_report_owner_day_key"),)
    __audit__ = False

    id: Optional[int] = Field(default=None, primary_key=True)
    day: datetime  # midnight UTC of the day the calls started on
    caller_extension: str = Field(max_length=64)  # the caller's number unless the call came in; "" if it did
    answered_by_user_id: int  # 0: nobody (no foreign key: a user deleted later is matched away at read time)
    calls: int = 0
    answered: int = 0
    missed: int = 0
    seconds: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    cost_units: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


NUMBER_KEY = ("tenant_id", "month", "side", "number")


class CallReportNumberMonth(TenantOwned, table=True):
    """Per UTC month and number: the totals per sender (the caller's number) and per receiver (the number
    dialled). A month holds a few thousand numbers where a day holds nearly as many as it has calls, so
    a period is read as the whole UTC months nearest its ends, with the records between each end and its
    month boundary added (or, past the boundary, taken off): a local month or year is its UTC months and
    an hour or two of records at either end (migration 0036)."""

    __tablename__ = "call_report_number_month"
    __table_args__ = (UniqueConstraint(*NUMBER_KEY, name="uq_call_report_number_month_key"),)
    __audit__ = False

    id: Optional[int] = Field(default=None, primary_key=True)
    month: datetime  # the first instant of the UTC month
    side: str = Field(max_length=8)  # "sender" or "receiver"
    number: str = Field(max_length=64)
    calls: int = 0
    answered: int = 0
    missed: int = 0
    seconds: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    cost_units: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
