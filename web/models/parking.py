"""Call parking (#18 item 3): one parking lot per company, a range of slot numbers in the company's own
number namespace (web.domain.numbering holds them while parking is on, so nothing else takes them).
A parked call waits in FreeSWITCH's mod_valet_parking lot `t<tenant>-park` (callplan.objects.parking_lot)
and goes back to whoever parked it after `return_after_s` when nobody picks it up."""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field as PField
from sqlmodel import Field, SQLModel, UniqueConstraint

from web.models.base import Checked, TenantOwned
from web.models.fields import Extension

MAX_SLOTS = 50  # one lot's slots: enough for a big switchboard, few enough to read on a phone's keys
RETURN_MIN_S, RETURN_MAX_S = 10, 3600
DEFAULT_FIRST, DEFAULT_LAST, DEFAULT_RETURN_S = "701", "709", 120


class ParkingFields(SQLModel):
    enabled: bool = False
    first_slot: str = Field(default=DEFAULT_FIRST, max_length=4)
    last_slot: str = Field(default=DEFAULT_LAST, max_length=4)
    # an unanswered parked call rings whoever parked it again after this long (valet_parking_timeout)
    return_after_s: int = Field(default=DEFAULT_RETURN_S, ge=RETURN_MIN_S, le=RETURN_MAX_S)


class ParkingLot(ParkingFields, TenantOwned, table=True):
    __tablename__ = "parking_lot"
    __table_args__ = (UniqueConstraint("tenant_id", name="uq_parking_lot_tenant"),)

    id: Optional[int] = Field(default=None, primary_key=True)


class ParkingUpdate(BaseModel):
    """Only what is sent changes; the range is checked as a whole (web.domain.parking)."""

    model_config = ConfigDict(extra="forbid")
    enabled: Optional[bool] = None
    first_slot: Optional[Extension] = None
    last_slot: Optional[Extension] = None
    return_after_s: Optional[int] = PField(default=None, ge=RETURN_MIN_S, le=RETURN_MAX_S)


class ParkingPublic(ParkingFields, Checked):
    slots: list[str] = []  # the range's numbers, in order
    park_code: Optional[str] = None  # the feature code that parks in the first free slot ("" / None: off)


class ParkedCall(BaseModel):
    """A call waiting in a slot now (mod_valet_parking's valet_info, web.domain.parking.parked)."""

    slot: str
    caller_id_name: str = ""
    caller_id_number: str = ""
    parked_by: str = ""  # the extension it returns to
    parked_s: int = 0  # seconds in the slot
