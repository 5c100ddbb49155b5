"""A PBX user: a person with an extension, phones, forwarding and voicemail (seeds 000, 001 5.2, 6.4)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field as PField, field_validator
from sqlalchemy import String
from sqlmodel import Field, SQLModel

from web.destinations import Destination, destination_references, external_number
from web.models.base import Checked, TenantOwned, created_at_field
from web.models.call_blocking import CallBlocking, blocking_references
from web.models.fields import Extension, Name, json_field
from web.models.recording import UserRecording
from web.permissions import Role
from web.validation import Email, Language, PersonName

CallerIdMode = Literal["company", "own", "department"]
NightBehaviour = Literal["follow", "on", "off"]
VoicemailWhen = Literal["always", "busy", "no_answer", "busy_or_no_answer"]


class Forward(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    to: Optional[Destination] = None


class ForwardNoAnswer(Forward):
    after_s: int = PField(default=20, ge=5, le=300)


class Forwarding(BaseModel):
    """Seed 001 5.2.3: always, on busy, on no answer after N seconds, when no phone is registered."""

    model_config = ConfigDict(extra="forbid")
    always: Forward = Forward()
    busy: Forward = Forward()
    no_answer: ForwardNoAnswer = ForwardNoAnswer()
    unregistered: Forward = Forward()


class Anywhere(BaseModel):
    """Seed 000 "Anywhere": a mobile rings along with the desk phone."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    number: Optional[str] = None

    @field_validator("number")
    @classmethod
    def _number(cls, value):
        return external_number(value) if value else value


class VoicemailBehaviour(BaseModel):
    """When the personal box takes the call (seed 001 5.2.2); the box itself is a voicemail_box row."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    when: VoicemailWhen = "busy_or_no_answer"
    after_rings: int = PField(default=5, ge=1, le=20)
    busy_greeting_audio_id: Optional[int] = None
    unavailable_greeting_audio_id: Optional[int] = None
    announce_only: bool = False  # play the greeting, take no message
    after_announcement: Literal["hang_up", "forward"] = "hang_up"
    forward_to: Optional[Destination] = None


class AgentSettings(BaseModel):
    """mod_callcenter agent parameters, used when the user answers queue calls."""

    model_config = ConfigDict(extra="forbid")
    wrap_up_time_s: int = PField(default=10, ge=0, le=600)
    max_no_answer: int = PField(default=3, ge=0, le=100)
    reject_delay_s: int = PField(default=10, ge=0, le=600)
    busy_delay_s: int = PField(default=10, ge=0, le=600)
    no_answer_delay_s: int = PField(default=10, ge=0, le=600)


class PbxUserFields(SQLModel):
    first_name: Name = Field(max_length=100)
    last_name: PersonName = Field(default="", max_length=100)
    email: Optional[Email] = Field(default=None, max_length=254)
    extension: Extension = Field(max_length=4)
    caller_id_mode: CallerIdMode = Field(default="company", sa_type=String(16))
    department_id: Optional[int] = None
    withhold_caller_id: bool = False
    call_waiting: bool = True
    language: Language = Field(default="nl", sa_type=String(8))
    dnd: bool = False
    hot_desking: bool = False
    night_mode: NightBehaviour = Field(default="follow", sa_type=String(8))
    account_id: Optional[int] = None  # the portal login of this person, if any
    # call recording (#18 item 1): off, every call of the user's, or on demand by the in-call feature code
    recording: UserRecording = Field(default="off", sa_type=String(16))


class PbxUser(PbxUserFields, TenantOwned, table=True):
    __tablename__ = "pbx_user"

    id: Optional[int] = Field(default=None, primary_key=True)
    forwarding: dict = json_field()
    anywhere: dict = json_field()
    voicemail: dict = json_field()
    agent: dict = json_field()
    call_blocking: dict = json_field()  # CallBlocking: callers from outside the user does not take
    created_at: datetime = created_at_field()

    def references(self):
        yield from blocking_references(self.call_blocking)
        for kind in ("always", "busy", "no_answer", "unregistered"):
            yield from destination_references((self.forwarding.get(kind) or {}).get("to"), f"/forwarding/{kind}/to")
        yield from destination_references(self.voicemail.get("forward_to"), "/voicemail/forward_to")
        for greeting in ("busy_greeting_audio_id", "unavailable_greeting_audio_id"):
            if self.voicemail.get(greeting) is not None:
                yield f"/voicemail/{greeting}", "audio", self.voicemail[greeting]
        if self.department_id is not None:
            yield "/department_id", "department", self.department_id


class PbxUserCreate(PbxUserFields):
    model_config = ConfigDict(extra="forbid")
    forwarding: Forwarding = Forwarding()
    anywhere: Anywhere = Anywhere()
    voicemail: VoicemailBehaviour = VoicemailBehaviour()
    agent: AgentSettings = AgentSettings()
    call_blocking: CallBlocking = CallBlocking()
    direct_number: Optional[str] = None  # one of the company's public numbers, routed to this user


class PbxUserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    first_name: Optional[Name] = None
    last_name: Optional[PersonName] = None
    email: Optional[Email] = None
    extension: Optional[Extension] = None
    caller_id_mode: Optional[CallerIdMode] = None
    department_id: Optional[int] = None
    withhold_caller_id: Optional[bool] = None
    call_waiting: Optional[bool] = None
    language: Optional[Language] = None
    dnd: Optional[bool] = None
    hot_desking: Optional[bool] = None
    night_mode: Optional[NightBehaviour] = None
    account_id: Optional[int] = None
    recording: Optional[UserRecording] = None
    forwarding: Optional[Forwarding] = None
    anywhere: Optional[Anywhere] = None
    voicemail: Optional[VoicemailBehaviour] = None
    agent: Optional[AgentSettings] = None
    call_blocking: Optional[CallBlocking] = None
    direct_number: Optional[str] = None


class PbxUserPublic(PbxUserFields, Checked):
    id: int
    forwarding: Forwarding
    anywhere: Anywhere
    voicemail: VoicemailBehaviour
    agent: AgentSettings
    call_blocking: CallBlocking = CallBlocking()
    direct_number: Optional[str] = None
    voicemail_box_id: Optional[int] = None


class PortalAccountRequest(BaseModel):
    """A portal login for a user (POST /api/users/{id}/portal-account)."""

    model_config = ConfigDict(extra="forbid")
    role: Role = "user"
    email: Optional[Email] = None  # None: the user's own address
    send_welcome: bool = True
