"""Conference rooms (#18 item 2): callers who dial the room's number, or are sent there by a plan's step
or a transfer target, talk together in one mod_conference conference. A room may ask for a PIN; a
second, moderator PIN makes whoever enters it the room's moderator (mod_conference's `moderator` flag)."""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field as PField
from sqlmodel import Field, SQLModel

from web.models.base import Checked, TenantOwned
from web.models.fields import Extension, Name

PIN_PATTERN = r"^[0-9]{3,8}$"
MAX_MEMBERS_LIMIT = 100


class ConferenceRoomFields(SQLModel):
    name: Name = Field(max_length=100)
    # most callers at once (mod_conference's max-members); 0: no limit
    max_members: int = Field(default=0, ge=0, le=MAX_MEMBERS_LIMIT)


class ConferenceRoom(ConferenceRoomFields, TenantOwned, table=True):
    __tablename__ = "conference_room"
    __audit_redact__ = {"pin", "moderator_pin"}

    id: Optional[int] = Field(default=None, primary_key=True)
    extension: Optional[str] = Field(default=None, max_length=4)
    pin: Optional[str] = Field(default=None, max_length=8)  # participants: None lets anyone in
    moderator_pin: Optional[str] = Field(default=None, max_length=8)


class ConferenceRoomCreate(ConferenceRoomFields):
    model_config = ConfigDict(extra="forbid")
    extension: Extension
    pin: Optional[str] = PField(default=None, pattern=PIN_PATTERN)
    moderator_pin: Optional[str] = PField(default=None, pattern=PIN_PATTERN)


class ConferenceRoomUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Optional[Name] = None
    max_members: Optional[int] = PField(default=None, ge=0, le=MAX_MEMBERS_LIMIT)
    extension: Optional[Extension] = None
    pin: Optional[str] = PField(default=None, pattern=PIN_PATTERN)
    moderator_pin: Optional[str] = PField(default=None, pattern=PIN_PATTERN)


class ConferenceRoomPublic(ConferenceRoomFields, Checked):
    id: int
    extension: Optional[str]
    pin: Optional[str]
    moderator_pin: Optional[str]
