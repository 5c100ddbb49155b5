"""What is happening now, as the bridge sees it: calls in progress, phones' registrations, queue agents'
status, and addresses blocked for guessing SIP passwords. The bridge writes these rows; the web app shows
them (a snapshot from here, then changes over the live feed)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import String
from sqlmodel import Field, UniqueConstraint

from web.models.base import TenantOwned, created_at_field
from web.models.fields import nullable_json_field

AGENT_STATUSES = ("Logged Out", "Available", "On Break")  # mod_callcenter's own words


class ActiveCall(TenantOwned, table=True):
    __tablename__ = "active_call"
    __table_args__ = (UniqueConstraint("call_uuid"),)
    __audit__ = False

    id: Optional[int] = Field(default=None, primary_key=True)
    call_uuid: str = Field(max_length=64)
    direction: str = Field(default="inbound", sa_type=String(16))
    caller_number: str = Field(default="", max_length=64)
    caller_name: str = Field(default="", max_length=100)
    dialled_number: str = Field(default="", max_length=64)
    state: str = Field(default="ringing", sa_type=String(16))  # ringing, answered, queued
    started_at: datetime
    answered_at: Optional[datetime] = None
    plan_id: Optional[int] = None
    step: Optional[str] = Field(default=None, max_length=64)  # the plan step it is at
    user_id: Optional[int] = Field(default=None, foreign_key="pbx_user.id", ondelete="SET NULL")
    queue_id: Optional[int] = None  # the queue it waits in or came through (mod_callcenter's callcenter app)
    steps: Optional[list] = nullable_json_field()  # the plan steps it took so far, in order
    bridged_at: Optional[datetime] = None  # a person took it (the end of its waiting time)
    # the FreeSWITCH it is on (its bridge's CALLPLAN_SWITCH_NAME): a bridge clears only its own switch's
    # leftovers, and the calls of a switch whose bridge stopped are marked stale, then dropped
    switch: str = Field(default="", max_length=100, index=True, sa_column_kwargs={"server_default": ""})


class SipRegistration(TenantOwned, table=True):
    __tablename__ = "sip_registration"
    __table_args__ = (UniqueConstraint("call_id"),)
    __audit__ = False

    id: Optional[int] = Field(default=None, primary_key=True)
    call_id: str = Field(max_length=200)  # the REGISTER dialogue's Call-ID: one per phone binding
    sip_user: str = Field(max_length=64)
    realm: str = Field(max_length=255)
    device_id: Optional[int] = Field(default=None, foreign_key="device.id", ondelete="SET NULL")
    user_id: Optional[int] = Field(default=None, foreign_key="pbx_user.id", ondelete="SET NULL")
    contact: str = Field(default="", max_length=500)
    network_ip: str = Field(default="", max_length=64)
    network_port: Optional[int] = None
    user_agent: str = Field(default="", max_length=200)
    expires_at: datetime
    registered_at: datetime = created_at_field()
    switch: str = Field(default="", max_length=100, index=True, sa_column_kwargs={"server_default": ""})  # as ActiveCall's


class QueueAgent(TenantOwned, table=True):
    """A user as a call-center agent. `status` is what the agent chose (mod_callcenter's words);
    `offered` is whether FreeSWITCH may offer calls now: an agent whose phone is not registered is
    held 'Logged Out' in FreeSWITCH until it registers again (FusionPBX issue #2831)."""

    __tablename__ = "queue_agent"
    __table_args__ = (UniqueConstraint("user_id"),)
    __audit__ = False

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="pbx_user.id", ondelete="CASCADE")
    status: str = Field(default="Logged Out", sa_type=String(32))
    state: str = Field(default="Waiting", sa_type=String(32))  # mod_callcenter's agent state
    phone_registered: bool = False
    status_changed_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    # the queue call offered to or bridged with the agent now (mod_callcenter's member and agent legs)
    call_uuid: str = Field(default="", max_length=64)
    agent_uuid: str = Field(default="", max_length=64)
    # today's counters for the panel's statistics (web.domain.agents.roll_day): `day` in the company's
    # time zone; break seconds of breaks ended today, queue calls offered and not answered
    day: str = Field(default="", max_length=10)
    break_seconds: int = 0
    missed: int = 0


class BlockedAddress(TenantOwned, table=True):
    """An address blocked in FreeSWITCH's ACL after too many failed registrations, once per tenant whose
    domain it tried (tenant None: domains of nobody). That tenant's admin sees and lifts its row, the
    operator all; FreeSWITCH refuses the address while any of its rows is active (web/xml_curl/acl.py)."""

    __tablename__ = "blocked_address"
    __table_args__ = (UniqueConstraint("address", "tenant_id", name="uq_blocked_address_address_tenant"),)
    __audit__ = False

    id: Optional[int] = Field(default=None, primary_key=True)
    address: str = Field(max_length=64)
    failures: int = 0
    last_user: str = Field(default="", max_length=100)  # the last user@realm it tried
    blocked_at: datetime = created_at_field()
    expires_at: Optional[datetime] = None  # None: until lifted by hand
    lifted_at: Optional[datetime] = None
