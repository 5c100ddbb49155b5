"""Call-center queues on mod_callcenter: its own strategy names, tiers of agents (users)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field as PField
from sqlalchemy import String
from sqlmodel import Field, SQLModel

from web.destinations import Destination, destination_references
from web.models.base import Checked, TenantOwned
from web.models.fields import Extension, Name, json_field, nullable_json_field

# Exactly mod_callcenter's names (src/mod/applications/mod_callcenter).
QueueStrategy = Literal[
    "ring-all", "longest-idle-agent", "round-robin", "top-down", "agent-with-least-talk-time",
    "agent-with-fewest-calls", "sequentially-by-agent-order", "random", "ring-progressively",
]


class Tier(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user_id: int
    level: int = PField(default=1, ge=1, le=99)
    position: int = PField(default=1, ge=1, le=999)


class QueueFields(SQLModel):
    name: Name = Field(max_length=100)
    extension: Optional[Extension] = Field(default=None, max_length=4)
    strategy: QueueStrategy = Field(default="longest-idle-agent", sa_type=String(32))
    music_on_hold_audio_id: Optional[int] = None  # None: the company's music on hold
    announce_position: bool = False
    announce_every_s: int = Field(default=60, ge=15, le=600)
    max_wait_s: int = Field(default=300, ge=10, le=7200)  # then the call goes on to the plan's next step,
    # or, called on the queue's extension or a number routed straight to it, to after_wait (None: hung up)
    record_calls: bool = False  # record every call from the moment an agent takes it (#18 item 1)


class CallQueue(QueueFields, TenantOwned, table=True):
    __tablename__ = "call_queue"

    id: Optional[int] = Field(default=None, primary_key=True)
    tiers: list = json_field(default_factory=list)
    after_wait: Optional[dict] = nullable_json_field()  # where a call to the queue itself goes after max wait

    def references(self):
        for index, tier in enumerate(self.tiers):
            yield f"/tiers/{index}/user_id", "user", tier.get("user_id")
        if self.music_on_hold_audio_id is not None:
            yield "/music_on_hold_audio_id", "audio", self.music_on_hold_audio_id
        yield from destination_references(self.after_wait, "/after_wait")


class QueueCreate(QueueFields):
    model_config = ConfigDict(extra="forbid")
    tiers: list[Tier] = []
    after_wait: Optional[Destination] = None


class QueueUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Optional[Name] = None
    extension: Optional[Extension] = None
    strategy: Optional[QueueStrategy] = None
    music_on_hold_audio_id: Optional[int] = None
    announce_position: Optional[bool] = None
    announce_every_s: Optional[int] = PField(default=None, ge=15, le=600)
    max_wait_s: Optional[int] = PField(default=None, ge=10, le=7200)
    record_calls: Optional[bool] = None
    tiers: Optional[list[Tier]] = None
    after_wait: Optional[Destination] = None


class SwitchRefusal(BaseModel):
    command: str
    reply: str  # FreeSWITCH's own words ("-ERR Agent not found!")


class SwitchReport(BaseModel):
    """What FreeSWITCH made of a change, told after the commit (web.domain.callcenter)."""

    applied: bool  # every command was taken
    reachable: bool  # false: FreeSWITCH could not be told; it loads the queue as saved when it starts
    refused: list[SwitchRefusal] = []


class QueuePublic(QueueFields, Checked):
    id: int
    tiers: list[Tier]
    after_wait: Optional[Destination] = None
    freeswitch: Optional[SwitchReport] = None  # in the answer to a create or change only
