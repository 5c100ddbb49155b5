"""Time schedules ("tijdschema", opening hours) and holiday schedules ("vakantieschema", closures) of a
company (seed 000; seed 001 6.4.4, 6.4.5, 6.8.2). The night switch and IVR menus point at them by id;
callplan.schedules evaluates them.

A time schedule's `periods` is a list of stretches of the local week:

    [{"from_day": "mon", "from_time": "08:30", "to_day": "mon", "to_time": "12:00"},
     {"from_day": "mon", "from_time": "13:00", "to_day": "mon", "to_time": "17:30"},
     {"from_day": "fri", "from_time": "22:00", "to_day": "mon", "to_time": "06:00"},   # over the weekend
     {"from_day": "sun", "from_time": "22:00", "to_day": "mon", "to_time": "02:00"},   # past midnight
     {"from_day": "sat", "from_time": "00:00", "to_day": "sat", "to_time": "24:00"}]   # a whole day

Days "mon".."sun"; times "HH:MM" from 00:00 to 24:00, 24:00 only as a `to_time`. A period runs forward
from its start to the first moment its end is reached, so it can pass midnight and Sunday. A form with
day checkboxes (Z M D W D V Z, "hele dag", start/einde) sends one period per ticked day. Warnings about
overlaps, empty periods and closed working days come back in `warnings` (they do not refuse a save).

A holiday schedule's `entries` is a list of closures:

    [{"start_date": "2026-12-25", "end_date": "2026-12-26", "yearly": true, "description": "Kerst"},
     {"start_date": "2026-07-20", "end_date": "2026-08-07", "description": "Zomersluiting"},
     {"start_date": "2026-12-31", "from_time": "12:00", "description": "Oudejaarsmiddag"}]

closed from start_date at from_time (default 00:00) to end_date (default: start_date, inclusive) at
to_time (default 24:00); `yearly` repeats it on the same month and day every year. All times are the
tenant's local wall-clock time (Tenant.timezone); see callplan.schedules for DST.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field as PField, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from sqlmodel import Field, SQLModel

from callplan.schedules import MAX_CLOSURE_DAYS, parse_time
from callplan.text import plain_text
from web.models.base import Checked, TenantOwned
from web.models.fields import Name, json_field

MAX_PERIODS = 100
MAX_ENTRIES = 500
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


# Refusals carry codes of their own (the portal says each in the admin's language: ui.field.<code>).


def _start_time(value: str) -> str:
    try:
        parse_time(value, end=False)
    except ValueError as error:
        code = "start_at_24" if value == "24:00" else "time_format"
        raise PydanticCustomError(code, str(error)) from None
    return value


def _end_time(value: str) -> str:
    try:
        parse_time(value)
    except ValueError as error:
        raise PydanticCustomError("time_format", str(error)) from None
    return value


def _iso_date(value: str) -> str:
    try:
        parsed = date.fromisoformat(value) if _DATE.match(value) else None
    except ValueError:
        parsed = None
    if parsed is None or not 2000 <= parsed.year <= 2199:
        raise PydanticCustomError("date_format", "must be a date YYYY-MM-DD between 2000 and 2199")
    return value


StartTime = Annotated[str, StringConstraints(max_length=5), AfterValidator(_start_time)]
EndTime = Annotated[str, StringConstraints(max_length=5), AfterValidator(_end_time)]
IsoDate = Annotated[str, StringConstraints(max_length=10), AfterValidator(_iso_date)]
ScheduleName = Name
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(plain_text)]


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid")
    from_day: Day
    from_time: StartTime
    to_day: Day
    to_time: EndTime


class HolidayEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start_date: IsoDate
    end_date: Optional[IsoDate] = None  # inclusive; None: the start date
    from_time: Optional[StartTime] = None  # None: 00:00
    to_time: Optional[EndTime] = None  # None: 24:00
    yearly: bool = False
    description: Description = ""

    # Field validators (not a model validator) so a refusal points at the field: /entries/3/end_date.
    @field_validator("end_date")
    @classmethod
    def _end_after_start(cls, value, info: ValidationInfo):
        start = info.data.get("start_date")
        if value is not None and start is not None:
            days = (date.fromisoformat(value) - date.fromisoformat(start)).days
            if days < 0:
                raise PydanticCustomError("end_date_before_start", "must not be before start_date")
            if days > MAX_CLOSURE_DAYS:
                raise PydanticCustomError("closure_too_long", f"must be at most {MAX_CLOSURE_DAYS} days after start_date")
        return value

    @field_validator("to_time")
    @classmethod
    def _to_after_from(cls, value, info: ValidationInfo):
        start, end = info.data.get("start_date"), info.data.get("end_date") or info.data.get("start_date")
        earlier_valid = {"start_date", "end_date", "from_time"} <= set(info.data)  # else that field is at fault
        if value is not None and earlier_valid and start == end:
            if parse_time(value) <= parse_time(info.data.get("from_time") or "00:00", end=False):
                raise PydanticCustomError("end_time_before_start", "must be later than from_time on a single day")
        return value


class TimeScheduleFields(SQLModel):
    name: ScheduleName = Field(max_length=100)


class TimeSchedule(TimeScheduleFields, TenantOwned, table=True):
    __tablename__ = "time_schedule"

    id: Optional[int] = Field(default=None, primary_key=True)
    periods: list = json_field(default_factory=list)


class TimeScheduleCreate(TimeScheduleFields):
    model_config = ConfigDict(extra="forbid")
    periods: list[Period] = PField(default_factory=list, max_length=MAX_PERIODS)


class TimeScheduleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Optional[ScheduleName] = None
    periods: Optional[list[Period]] = PField(default=None, max_length=MAX_PERIODS)


class ScheduleWarning(BaseModel):
    pointer: str  # JSON pointer into the schedule, e.g. "/periods/2"
    code: str  # overlap, zero_length, wraps_week, closed_weekday
    message: str  # in the caller's language


class TimeSchedulePublic(TimeScheduleFields, Checked):
    id: int
    periods: list[Period]
    warnings: list[ScheduleWarning] = []


class HolidayScheduleFields(SQLModel):
    name: ScheduleName = Field(max_length=100)


class HolidaySchedule(HolidayScheduleFields, TenantOwned, table=True):
    __tablename__ = "holiday_schedule"

    id: Optional[int] = Field(default=None, primary_key=True)
    entries: list = json_field(default_factory=list)


class HolidayScheduleCreate(HolidayScheduleFields):
    model_config = ConfigDict(extra="forbid")
    entries: list[HolidayEntry] = PField(default_factory=list, max_length=MAX_ENTRIES)


class HolidayScheduleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Optional[ScheduleName] = None
    entries: Optional[list[HolidayEntry]] = PField(default=None, max_length=MAX_ENTRIES)


class HolidaySchedulePublic(HolidayScheduleFields, Checked):
    id: int
    entries: list[HolidayEntry]
