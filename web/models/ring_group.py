"""Ring groups (seed 001 6.7): members rung by a strategy, then "forward after waiting"."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field as PField, field_validator, model_validator
from sqlalchemy import String
from sqlmodel import Field, SQLModel

from web.destinations import Destination, destination_references, external_number
from web.models.base import Checked, TenantOwned
from web.validation import DisplayText
from web.models.fields import Extension, Name, json_field, nullable_json_field

Strategy = Literal["simultaneous", "fixed_order", "circular", "uniform", "memory_hunt"]
NightBehaviour = Literal["follow", "on", "off"]


class RingGroupMember(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["user", "device", "external"]
    id: Optional[int] = None  # user or device
    number: Optional[str] = None  # external
    ring_time_s: Optional[int] = PField(default=None, ge=5, le=300)  # None: the group's

    @field_validator("number")
    @classmethod
    def _number(cls, value):
        return external_number(value) if value else value

    @model_validator(mode="after")
    def _shape(self):
        if self.type == "external" and not self.number:
            raise ValueError("an external member needs a number")
        if self.type != "external" and self.id is None:
            raise ValueError(f"a {self.type} member needs an id")
        return self


class RingGroupFields(SQLModel):
    name: Name = Field(max_length=100)
    display_name: DisplayText = Field(default="", max_length=100)  # shown on the phones that ring
    extension: Optional[Extension] = Field(default=None, max_length=4)
    strategy: Strategy = Field(default="simultaneous", sa_type=String(16))
    member_ring_time_s: int = Field(default=20, ge=5, le=300)
    total_timeout_s: int = Field(default=60, ge=5, le=3600)
    busy_members: Literal["skip", "busy_tone"] = Field(default="skip", sa_type=String(16))
    night_mode: NightBehaviour = Field(default="follow", sa_type=String(8))


class RingGroup(RingGroupFields, TenantOwned, table=True):
    __tablename__ = "ring_group"

    id: Optional[int] = Field(default=None, primary_key=True)
    members: list = json_field(default_factory=list)
    forward_after: Optional[dict] = nullable_json_field()  # where the call goes when nobody answers
    night_destination: Optional[dict] = nullable_json_field()

    def references(self):
        for index, member in enumerate(self.members):
            if member.get("type") in ("user", "device"):
                yield f"/members/{index}/id", member["type"], member.get("id")
        yield from destination_references(self.forward_after, "/forward_after")
        yield from destination_references(self.night_destination, "/night_destination")


class RingGroupCreate(RingGroupFields):
    model_config = ConfigDict(extra="forbid")
    members: list[RingGroupMember] = []
    forward_after: Optional[Destination] = None
    night_destination: Optional[Destination] = None


class RingGroupUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Optional[Name] = None
    display_name: Optional[DisplayText] = None
    extension: Optional[Extension] = None
    strategy: Optional[Strategy] = None
    member_ring_time_s: Optional[int] = PField(default=None, ge=5, le=300)
    total_timeout_s: Optional[int] = PField(default=None, ge=5, le=3600)
    busy_members: Optional[Literal["skip", "busy_tone"]] = None
    night_mode: Optional[NightBehaviour] = None
    members: Optional[list[RingGroupMember]] = None
    forward_after: Optional[Destination] = None
    night_destination: Optional[Destination] = None


class RingGroupPublic(RingGroupFields, Checked):
    id: int
    members: list[RingGroupMember]
    forward_after: Optional[Destination]
    night_destination: Optional[Destination]
