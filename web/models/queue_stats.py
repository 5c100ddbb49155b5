"""What the queue and agent reports (/reports, #17 item 3) are computed from, written by the bridge from
mod_callcenter's callcenter::info events (web.domain.queue_stats):

- queue_call: one row per call that waited in a queue, written once when it left the queue
  (member-queue-end carries the join, answer and leave times, the agent and why it left);
- agent_status_span: the status an agent held from `started_at` until `ended_at` (None: still holds it);
- agent_missed_offer: a queue call offered to an agent who did not take it (bridge-agent-fail).

Queue and user ids carry no foreign key: the figures outlive a deleted queue or user, like call records
outlive their plan."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Index, String
from sqlmodel import Field, UniqueConstraint

from web.models.base import TenantOwned

OUTCOMES = ("answered", "abandoned", "timeout", "exited")


class QueueCall(TenantOwned, table=True):
    __tablename__ = "queue_call"
    # member_uuid is mod_callcenter's id of one stay in a queue: a replayed event finds its row there
    __table_args__ = (UniqueConstraint("member_uuid"), Index("ix_queue_call_tenant_joined", "tenant_id", "joined_at"))
    __audit__ = False  # call traffic, not a change anyone made

    id: Optional[int] = Field(default=None, primary_key=True)
    queue_id: int
    member_uuid: str = Field(max_length=64)
    call_uuid: str = Field(default="", max_length=64)  # the caller's channel (the call record's call_uuid)
    caller_number: str = Field(default="", max_length=64)
    joined_at: datetime
    answered_at: Optional[datetime] = None  # an agent took it
    left_at: datetime  # answered: the end of the agent's talk; otherwise when the caller left the queue
    agent_user_id: Optional[int] = None
    # kept beside the times so the report's sums are SQL on both databases (no date arithmetic there):
    # waited until answered or until it left; talked from the answer to the end of the agent's call
    wait_seconds: int = 0
    talk_seconds: int = 0
    outcome: str = Field(sa_type=String(16))  # OUTCOMES


class AgentStatusSpan(TenantOwned, table=True):
    __tablename__ = "agent_status_span"
    __table_args__ = (Index("ix_agent_status_span_user_open", "user_id", "ended_at"),
                      Index("ix_agent_status_span_tenant_started", "tenant_id", "started_at"))
    __audit__ = False

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int
    status: str = Field(sa_type=String(32))  # mod_callcenter's words: Available, On Break, Logged Out...
    started_at: datetime
    ended_at: Optional[datetime] = None


class AgentMissedOffer(TenantOwned, table=True):
    __tablename__ = "agent_missed_offer"
    __table_args__ = (UniqueConstraint("user_id", "member_uuid", "offered_at"),
                      Index("ix_agent_missed_offer_tenant_at", "tenant_id", "offered_at"))
    __audit__ = False

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int
    queue_id: int
    member_uuid: str = Field(max_length=64)
    call_uuid: str = Field(default="", max_length=64)
    offered_at: datetime  # when the agent's phone was called (CC-Agent-Called-Time)
    cause: str = Field(default="", max_length=64)  # the agent leg's hangup cause (NO_ANSWER, USER_BUSY...)
