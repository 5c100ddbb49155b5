"""How many calls took each path through a plan version, per hour: what the canvas's per-step counts
(web.domain.step_counts) read instead of the call records themselves.

A record's steps are a JSON list, which no index can search, and a year of a busy company's calls is a
million records. This table holds one row per (plan, version, UTC hour, path, answered by a person)
with the number of calls, so a month is a few thousand rows and a year some tens of thousands, read
through the unique key's index (tenant, plan, version, hour, ...).

It is kept by database triggers on call_record (migration 0030 holds their SQL),
not by the code that stores records: every writer (the CDR post, the bridge, a bulk load, a test's
factory) is counted the same, an update that changes a record's plan, steps, start or whether it was
answered moves its call from the old row to the new one (calls - 1, calls + 1, in the same
transaction as the record), and a deleted record is taken off. Rows that drop to 0 stay (harmless)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Column, Text
from sqlmodel import Field, UniqueConstraint

from web.models.base import TenantOwned

# the calls' hour, the path and whether a person answered: what a record contributes (see the triggers)
KEY = ("tenant_id", "plan_id", "plan_version", "hour", "answered", "path_key")


class CallPathHour(TenantOwned, table=True):
    __tablename__ = "call_path_hour"
    __table_args__ = (UniqueConstraint(*KEY, name="uq_call_path_hour_key"),)
    __audit__ = False  # call traffic, counted by the database

    id: Optional[int] = Field(default=None, primary_key=True)
    plan_id: int  # no foreign key: counts outlive their plan like the records do
    plan_version: int
    hour: datetime  # the start of the UTC hour the calls started in
    answered: bool  # a person took the call (the record's answered_by or answered_by_user_id)
    # The record's `steps` as stored (JSON text). PostgreSQL keys on its md5 (an index entry holds at most
    # about 2.7 kB, a looping IVR's path can be longer); SQLite, which has no such limit and no md5, on
    # the text itself.
    path_key: str = Field(sa_column=Column(Text, nullable=False))
    path: str = Field(sa_column=Column(Text, nullable=False))
    calls: int = 0
