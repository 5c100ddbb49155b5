"""The agent panel's own tables (seed 004, #15 item 3): the outcomes a company describes its calls with
("called back", "sold"), and the call-back tasks an agent sets after a call.

A status is the company's word for how a call ended for the customer, chosen by the agent after the call
and stored on the call record (web/models/call_record.py: outcome_*). One status per direction may be the
default (preselected for calls of that direction: seed 004's "when an outgoing call took place set the
status to ..."); a status may ask for a "call back at" time, which becomes a task in the agent's list."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import ConfigDict
from sqlalchemy import String
from sqlmodel import Field, SQLModel

from web.models.base import Checked, TenantOwned, created_at_field
from web.models.fields import Name

Direction = Literal["inbound", "outbound"]


class CallStatusFields(SQLModel):
    name: Name = Field(max_length=100)
    default_for: Optional[Direction] = Field(default=None, sa_type=String(16))  # preselected for these calls
    asks_callback: bool = False  # choosing it offers "call back at" (a task)


class CallStatus(CallStatusFields, TenantOwned, table=True):
    __tablename__ = "call_status"

    id: Optional[int] = Field(default=None, primary_key=True)


class CallStatusCreate(CallStatusFields):
    model_config = ConfigDict(extra="forbid")


class CallStatusUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    name: Optional[Name] = None
    default_for: Optional[Direction] = None
    asks_callback: Optional[bool] = None


class CallStatusPublic(CallStatusFields, Checked):
    id: int


class AgentTask(TenantOwned, table=True):
    """Call `number` back at `due_at`: shown in the agent's task list from then on, until done."""

    __tablename__ = "agent_task"
    __audit__ = False  # an agent's to-do list, not the company's configuration

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="pbx_user.id", ondelete="CASCADE", index=True)
    call_record_id: Optional[int] = Field(default=None, foreign_key="call_record.id", ondelete="SET NULL")
    number: str = Field(default="", max_length=64)
    note: str = Field(default="", max_length=500)
    due_at: datetime = Field(index=True)
    done_at: Optional[datetime] = None
    created_at: datetime = created_at_field()
