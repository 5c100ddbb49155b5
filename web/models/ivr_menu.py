"""IVR menus (seed 001 6.8): a greeting, keys with actions, a reception for callers who choose nothing.

A menu is an object of its own, reached by its extension or number and referenced by call plans, because
seed 001 manages menus that way and one menu often serves several plans; a plan's IVR step may still
give a key its own nested steps (see callplan/), which then win over the menu's action for that key.
An optional after-hours variant (its own greeting and keys) applies outside a schedule (seed 001 6.8.2)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field as PField, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import String
from sqlmodel import Field, SQLModel

from web.destinations import Destination, destination_references
from web.models.base import Checked, TenantOwned
from web.models.fields import Extension, Name, json_field, nullable_json_field

KEYS = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#")
KeyActionType = Literal[
    "forward_announced",  # "you are being transferred", then the destination
    "forward",  # straight to the destination
    "reception",  # the menu's reception destination
    "dial_by_name",
    "dial_by_extension",
    "play_message",  # an audio file, then the menu again
    "repeat",
    "hang_up",
]
NEEDS_DESTINATION = ("forward_announced", "forward")


class KeyAction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: KeyActionType
    # Checked per field (validate_default: also when left out), so a refusal points at the field that is
    # missing (/keys/1/destination) with a code of its own the portal says in the admin's language.
    destination: Optional[Destination] = PField(default=None, validate_default=True)
    audio_id: Optional[int] = PField(default=None, validate_default=True)  # play_message
    description: str = PField(default="", max_length=100)

    @field_validator("destination")
    @classmethod
    def _destination_when_forwarding(cls, value, info: ValidationInfo):
        action = info.data.get("action")
        if value is None and action in NEEDS_DESTINATION:
            raise PydanticCustomError("destination_required", f"{action} needs a destination")
        return value

    @field_validator("audio_id")
    @classmethod
    def _audio_when_playing(cls, value, info: ValidationInfo):
        if value is None and info.data.get("action") == "play_message":
            raise PydanticCustomError("audio_required", "play_message needs an audio_id")
        return value


def _keys(value: dict) -> dict:
    unknown = [key for key in value if key not in KEYS]
    if unknown:
        raise ValueError(f"keys must be among 0-9, * and #; not {', '.join(unknown)}")
    return value


class AfterHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schedule_id: int  # inside it the normal keys apply
    holiday_schedule_id: Optional[int] = None
    greeting_audio_id: Optional[int] = None
    keys: dict[str, KeyAction] = {}

    _check_keys = field_validator("keys")(_keys)


class IvrMenuFields(SQLModel):
    name: Name = Field(max_length=100)
    extension: Optional[Extension] = Field(default=None, max_length=4)
    greeting_audio_id: Optional[int] = None
    timeout_s: int = Field(default=5, ge=1, le=60)  # wait for a key after the greeting
    attempts: int = Field(default=3, ge=1, le=10)  # greeting repeats before the reception takes over
    dial_by_name_order: Literal["last_first", "first_last"] = Field(default="last_first", sa_type=String(16))
    night_mode: Literal["follow", "on", "off"] = Field(default="follow", sa_type=String(8))


class IvrMenu(IvrMenuFields, TenantOwned, table=True):
    __tablename__ = "ivr_menu"

    id: Optional[int] = Field(default=None, primary_key=True)
    keys: dict = json_field()
    reception: Optional[dict] = nullable_json_field()
    after_hours: Optional[dict] = nullable_json_field()
    night_destination: Optional[dict] = nullable_json_field()

    def references(self):
        if self.greeting_audio_id is not None:
            yield "/greeting_audio_id", "audio", self.greeting_audio_id
        yield from _key_references(self.keys, "/keys")
        yield from destination_references(self.reception, "/reception")
        yield from destination_references(self.night_destination, "/night_destination")
        if self.after_hours:
            yield "/after_hours/schedule_id", "schedule", self.after_hours.get("schedule_id")
            if self.after_hours.get("holiday_schedule_id") is not None:
                yield "/after_hours/holiday_schedule_id", "holiday_schedule", self.after_hours["holiday_schedule_id"]
            if self.after_hours.get("greeting_audio_id") is not None:
                yield "/after_hours/greeting_audio_id", "audio", self.after_hours["greeting_audio_id"]
            yield from _key_references(self.after_hours.get("keys") or {}, "/after_hours/keys")


def _key_references(keys: dict, prefix: str):
    for key, action in keys.items():
        pointer = f"{prefix}/{key.replace('~', '~0')}"
        yield from destination_references(action.get("destination"), f"{pointer}/destination")
        if action.get("audio_id") is not None:
            yield f"{pointer}/audio_id", "audio", action["audio_id"]


class IvrMenuCreate(IvrMenuFields):
    model_config = ConfigDict(extra="forbid")
    keys: dict[str, KeyAction] = {}
    reception: Optional[Destination] = None
    after_hours: Optional[AfterHours] = None
    night_destination: Optional[Destination] = None

    _check_keys = field_validator("keys")(_keys)


class IvrMenuUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Optional[Name] = None
    extension: Optional[Extension] = None
    greeting_audio_id: Optional[int] = None
    timeout_s: Optional[int] = PField(default=None, ge=1, le=60)
    attempts: Optional[int] = PField(default=None, ge=1, le=10)
    dial_by_name_order: Optional[Literal["last_first", "first_last"]] = None
    night_mode: Optional[Literal["follow", "on", "off"]] = None
    keys: Optional[dict[str, KeyAction]] = None
    reception: Optional[Destination] = None
    after_hours: Optional[AfterHours] = None
    night_destination: Optional[Destination] = None

    _check_keys = field_validator("keys")(_keys)


class IvrMenuPublic(IvrMenuFields, Checked):
    id: int
    keys: dict[str, KeyAction]
    reception: Optional[Destination]
    after_hours: Optional[AfterHours]
    night_destination: Optional[Destination]
