"""Incoming call blocking (seed 001 5.2.4), as the company and each user set it: stored as JSON in
company_settings.call_blocking and pbx_user.call_blocking, compiled by callplan.blocking.

    {"anonymous": true, "anonymous_schedule_id": null,        block callers who withhold their number
     "all_callers": false, "all_callers_schedule_id": null,   block everyone (a number only used to call out)
     "numbers": [{"match": "number", "number": "+31612345678", "schedule_id": null},
                 {"match": "prefix", "number": "+3190", "schedule_id": 4}],
     "treatment": "reject", "reject_cause": "CALL_REJECTED", "message_audio_id": null}

A rule with a schedule blocks only while that time schedule is open. A number is E.164 or national
digits (read in the company's country); a prefix is digits, optionally after a "+"."""

from __future__ import annotations

import re
from typing import Iterator, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from callplan.blocking import CAUSES, DEFAULT_CAUSE
from web.destinations import external_number

Treatment = Literal["busy", "message", "reject"]
RejectCause = Literal[tuple(CAUSES)]  # type: ignore[valid-type]
MAX_NUMBERS = 500
_PREFIX = re.compile(r"\+?[0-9]{1,15}")


class BlockedNumber(BaseModel):
    model_config = ConfigDict(extra="forbid")
    match: Literal["number", "prefix"] = "number"
    number: str = Field(max_length=40)
    schedule_id: Optional[int] = None  # only while this time schedule is open; none: always

    @field_validator("number")
    @classmethod
    def _number(cls, value: str, info: ValidationInfo) -> str:
        cleaned = re.sub(r"[\s\-./()]", "", value or "")
        if info.data.get("match") == "prefix":
            if not _PREFIX.fullmatch(cleaned):
                raise ValueError("must be the start of a phone number: digits, optionally after a +")
            return cleaned
        return external_number(cleaned)


class CallBlocking(BaseModel):
    model_config = ConfigDict(extra="forbid")
    anonymous: bool = False
    anonymous_schedule_id: Optional[int] = None
    all_callers: bool = False
    all_callers_schedule_id: Optional[int] = None
    numbers: list[BlockedNumber] = Field(default_factory=list, max_length=MAX_NUMBERS)
    treatment: Treatment = "reject"
    reject_cause: RejectCause = DEFAULT_CAUSE
    message_audio_id: Optional[int] = Field(default=None, validate_default=True)

    @field_validator("message_audio_id")
    @classmethod
    def _message(cls, value: Optional[int], info: ValidationInfo) -> Optional[int]:
        if value is None and info.data.get("treatment") == "message":
            raise ValueError("a message needs an audio file")
        return value


def blocking_references(value: Optional[dict], where: str = "/call_blocking") -> Iterator[tuple[str, str, int]]:
    """The schedules and the audio stored blocking rules point at (web.domain.references)."""
    value = value or {}
    for name in ("anonymous_schedule_id", "all_callers_schedule_id"):
        if value.get(name) is not None:
            yield f"{where}/{name}", "schedule", value[name]
    for index, rule in enumerate(value.get("numbers") or []):
        if isinstance(rule, dict) and rule.get("schedule_id") is not None:
            yield f"{where}/numbers/{index}/schedule_id", "schedule", rule["schedule_id"]
    if value.get("message_audio_id") is not None:
        yield f"{where}/message_audio_id", "audio", value["message_audio_id"]
