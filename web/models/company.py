"""Company-wide settings (seed 001 6.3) and departments with their own caller ID (seed 000)."""

from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field as PField, model_validator
from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from web.destinations import Destination, destination_references
from web.models.base import Checked, TenantOwned
from web.models.call_blocking import CallBlocking, blocking_references
from web.models.fields import Name, json_field, nullable_json_field
from web.validation import E164, CompanyNumber

class ExternalFallback(BaseModel):
    """Calls go on to a number outside, through the gateway, showing the company number."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["external"]
    number: E164


class AnnouncementFallback(BaseModel):
    """The caller hears an announcement (an uploaded audio file), then may leave a message in a box."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["announcement"]
    audio_id: Optional[int] = None
    voicemail_box_id: Optional[int] = None

    @model_validator(mode="after")
    def _something(self):
        if self.audio_id is None and self.voicemail_box_id is None:
            raise ValueError("needs an announcement, a voicemail box or both")
        return self


class FallbackSettings(BaseModel):
    """A company's fallback routing, stored as JSON in company_settings.fallback (null: none)."""

    model_config = ConfigDict(extra="forbid")
    destination: Annotated[Union[ExternalFallback, AnnouncementFallback], Field(discriminator="type")]


NightMode = Literal["off", "on", "auto"]
NumberDisplay = Literal["company", "personal"]


class CompanySettingsFields(SQLModel):
    show_company_name: bool = True
    number_display: NumberDisplay = Field(default="company", sa_type=String(16))
    night_mode: NightMode = Field(default="off", sa_type=String(8))
    night_schedule_id: Optional[int] = None  # weekly schedule: outside it is night (mode "auto")
    night_holiday_schedule_id: Optional[int] = None  # holiday schedule: on a holiday it is night
    block_international: bool = False
    block_mobile: bool = False
    # premium-rate ranges, each on its own (#16 item 3); block_premium is all four, kept for the shortcut
    block_premium: bool = True
    block_premium_0900: bool = True  # information services
    block_premium_0906: bool = True  # entertainment, adult
    block_premium_0909: bool = True  # games, entertainment
    block_premium_090x: bool = True  # Belgium's other 090x ranges (0901-0905, 0907, 0908)
    release_pin: Optional[str] = Field(default=None, max_length=8)  # dial it before a blocked number
    music_on_hold_audio_id: Optional[int] = None  # None: the system's default music
    # queue agents (seed 004): logging out of the portal logs the agent out of the queues too, unless
    # switched off; more agents than this on break at once warns the admins (None: no limit)
    agent_logout_with_portal: bool = True
    max_agents_on_break: Optional[int] = Field(default=None, ge=0, le=10000)
    # seed 004: agents of different departments do not see each other's tiles in the agent panel
    agent_tiles_by_department: bool = False
    # call recording (#18 item 1): what a recorded call's caller hears first (an audio file; None: nothing),
    # how long recordings are kept (days; None: until deleted), and whether the reports role may hear them
    recording_announcement_audio_id: Optional[int] = None
    recording_retention_days: Optional[int] = Field(default=None, ge=1, le=3650)
    recordings_for_reports: bool = False


PREMIUM_RANGES = ("0900", "0906", "0909", "090x")
PREMIUM_FIELDS = tuple(f"block_premium_{name}" for name in PREMIUM_RANGES)


class CompanySettings(CompanySettingsFields, TenantOwned, table=True):
    __tablename__ = "company_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)
    __audit_redact__ = {"release_pin"}

    id: Optional[int] = Field(default=None, primary_key=True)
    night_destination: Optional[dict] = nullable_json_field()
    fallback: Optional[dict] = nullable_json_field()  # FallbackSettings: when the app does not answer
    call_blocking: dict = json_field()  # CallBlocking: callers from outside the company does not take

    def references(self):
        yield from blocking_references(self.call_blocking)
        yield from destination_references(self.night_destination, "/night_destination")
        if self.night_schedule_id is not None:
            yield "/night_schedule_id", "schedule", self.night_schedule_id
        if self.night_holiday_schedule_id is not None:
            yield "/night_holiday_schedule_id", "holiday_schedule", self.night_holiday_schedule_id
        if self.music_on_hold_audio_id is not None:
            yield "/music_on_hold_audio_id", "audio", self.music_on_hold_audio_id
        if self.recording_announcement_audio_id is not None:
            yield "/recording_announcement_audio_id", "audio", self.recording_announcement_audio_id
        destination = (self.fallback or {}).get("destination") or {}
        if destination.get("audio_id") is not None:
            yield "/fallback/destination/audio_id", "audio", destination["audio_id"]
        if destination.get("voicemail_box_id") is not None:
            yield "/fallback/destination/voicemail_box_id", "voicemail_box", destination["voicemail_box_id"]


class CompanyUpdate(BaseModel):
    """Company name and number live on the tenant; the rest here. Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")
    company_name: Optional[Name] = None
    company_number: Optional[CompanyNumber] = None
    show_company_name: Optional[bool] = None
    number_display: Optional[NumberDisplay] = None
    night_mode: Optional[NightMode] = None
    night_schedule_id: Optional[int] = None
    night_holiday_schedule_id: Optional[int] = None
    night_destination: Optional[Destination] = None
    block_international: Optional[bool] = None
    block_mobile: Optional[bool] = None
    block_premium: Optional[bool] = None  # the shortcut: every premium range on or off at once
    block_premium_0900: Optional[bool] = None
    block_premium_0906: Optional[bool] = None
    block_premium_0909: Optional[bool] = None
    block_premium_090x: Optional[bool] = None
    release_pin: Optional[str] = PField(default=None, pattern=r"^[0-9]{4,8}$")
    music_on_hold_audio_id: Optional[int] = None
    fallback: Optional[FallbackSettings] = None
    agent_logout_with_portal: Optional[bool] = None
    max_agents_on_break: Optional[int] = PField(default=None, ge=0, le=10000)  # null in the body: no limit
    agent_tiles_by_department: Optional[bool] = None
    call_blocking: Optional[CallBlocking] = None
    recording_announcement_audio_id: Optional[int] = None
    recording_retention_days: Optional[int] = PField(default=None, ge=1, le=3650)  # null in the body: kept
    recordings_for_reports: Optional[bool] = None


class CompanyPublic(Checked):
    company_name: str
    company_number: Optional[str]
    show_company_name: bool
    number_display: NumberDisplay
    night_mode: NightMode
    night_schedule_id: Optional[int]
    night_holiday_schedule_id: Optional[int]
    night_destination: Optional[Destination]
    block_international: bool
    block_mobile: bool
    block_premium: bool  # every premium range is blocked
    block_premium_0900: bool = True
    block_premium_0906: bool = True
    block_premium_0909: bool = True
    block_premium_090x: bool = True
    release_pin_set: bool
    music_on_hold_audio_id: Optional[int]
    fallback: Optional[FallbackSettings] = None
    agent_logout_with_portal: bool = True
    max_agents_on_break: Optional[int] = None
    agent_tiles_by_department: bool = False
    call_blocking: CallBlocking = CallBlocking()
    recording_announcement_audio_id: Optional[int] = None
    recording_retention_days: Optional[int] = None
    recordings_for_reports: bool = False


class DepartmentBase(SQLModel):
    name: Name = Field(max_length=100)
    caller_id_number: Optional[CompanyNumber] = None  # calls out from its members show this number


class Department(DepartmentBase, TenantOwned, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)


class DepartmentCreate(DepartmentBase):
    model_config = ConfigDict(extra="forbid")


class DepartmentUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    name: Optional[Name] = None
    caller_id_number: Optional[CompanyNumber] = None


class DepartmentPublic(DepartmentBase, Checked):
    id: int
