"""Public numbers (DIDs) and the caller IDs a company may show.

A public number is a platform resource: the operator assigns it to one company (a `phone_number` row of
that tenant, unique on the platform), and the company's admin routes it to a destination. A block of
numbers is assigned as one row per number, so each routes on its own, the database refuses a number
given to two companies at once, and the inbound lookup stays one indexed equality.

A company shows, on calls out, only a number it holds or one the operator verified for it
(`verified_caller_id`: its own mobile, a landline it ported elsewhere)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field as PField
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from web.destinations import Destination, destination_references
from web.models.base import Checked, TenantOwned, created_at_field
from web.models.fields import nullable_json_field
from web.validation import E164

RANGE_LIMIT = 1000  # numbers one assignment may hand out (a carrier's 1000-block); more in several


class PhoneNumber(TenantOwned, table=True):
    __tablename__ = "phone_number"

    id: Optional[int] = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=16)  # E.164
    label: str = Field(default="", max_length=100)
    number_type: str = Field(default="unknown", max_length=32)  # from phonenumbers: fixed_line, mobile, ...
    country: str = Field(default="", max_length=2)
    destination: Optional[dict] = nullable_json_field()  # None: not routed yet
    assigned_at: datetime = created_at_field()  # when the operator gave it to the company

    def references(self):
        yield from destination_references(self.destination, "/destination")


class VerifiedCallerId(TenantOwned, table=True):
    """A number outside the platform's own that the operator checked belongs to the company."""

    __tablename__ = "verified_caller_id"
    __table_args__ = (UniqueConstraint("tenant_id", "number", name="uq_verified_caller_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    number: str = Field(max_length=16)  # E.164
    note: str = Field(default="", max_length=200)  # how it was verified, for the next operator
    verified_at: datetime = created_at_field()


# --- the company admin's shapes -------------------------------------------------------------------


class PhoneNumberUpdate(BaseModel):
    """What the admin of the company holding a number may change: its label and where it routes."""

    model_config = ConfigDict(extra="forbid")
    label: Optional[str] = PField(default=None, max_length=100)
    destination: Optional[Destination] = None


class PhoneNumberPublic(SQLModel, Checked):
    id: int
    number: str
    label: str
    number_type: str
    country: str
    destination: Optional[Destination]
    assigned_at: datetime


class CallerIdChoice(BaseModel):
    number: str
    source: Literal["assigned", "verified"]
    label: str  # the number's label, or the operator's note of a verified one


class CallerIdProblem(BaseModel):
    """A stored caller ID the company may not show: calls go out with the company number (or withheld)."""

    kind: Literal["company", "department"]
    id: int
    name: str
    where: str  # the field, as a JSON pointer
    number: str
    shown_instead: Optional[str]  # what calls show now; None: withheld


class CallerIds(BaseModel):
    allowed: list[CallerIdChoice]
    problems: list[CallerIdProblem]


class NumberReach(BaseModel):
    """What a number reaches: an object of the company (kind and id), an extension, an outside number."""

    kind: str  # user, ring_group, queue, ivr_menu, voicemail_box, plan, feature_code, extension, external, hang_up
    id: Optional[int] = None
    number: Optional[str] = None  # the extension dialled, or the outside number
    name: str = ""  # the object's name ("" when gone, or for a number)


class NumberDirectoryEntry(BaseModel):
    """One row of "who answers what": a public number of the company or one of its internal numbers."""

    number: str
    kind: Literal["public", "internal"]
    id: Optional[int] = None  # a public number's id, to route it (PATCH /api/numbers/{id})
    label: str = ""
    number_type: str = ""
    via: Literal["", "route", "plan", "own"] = ""  # free, routed, answered by a published plan, an object's own
    reaches: Optional[NumberReach] = None  # None: free
    name: str = ""  # what it reaches, by name (searchable with the number and label)
    free: bool = False
    company_number: bool = False  # the number calls out show


# --- the operator's shapes ----------------------------------------------------------------------


class NumberRange(BaseModel):
    """One number (`last` left out) or a block, first to last inclusive, e.g. +31201234500..+31201234599."""

    model_config = ConfigDict(extra="forbid")
    tenant_id: int = PField(ge=1, le=2**62)
    first: E164
    last: Optional[E164] = None


class AssignedRange(BaseModel):
    tenant_id: int
    tenant_name: str
    first: str
    last: str
    count: int
    routed: int = 0  # how many of them the company routes (or a plan answers)


class PlatformNumber(BaseModel):
    id: int
    number: str
    tenant_id: int
    tenant_name: str
    label: str
    number_type: str
    country: str
    routed: bool
    assigned_at: datetime


class PlatformNumberPage(BaseModel):
    items: list[PlatformNumber]
    total: int
    limit: int
    offset: int


class VerifiedCallerIdCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenant_id: int = PField(ge=1, le=2**62)
    number: E164
    note: str = PField(default="", max_length=200)


class VerifiedCallerIdPublic(BaseModel):
    id: int
    tenant_id: int
    tenant_name: str
    number: str
    note: str
    verified_at: datetime
