"""Public numbers (DIDs): E.164, unique on the platform, owned by one tenant, routed to one destination."""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict
from sqlmodel import Field, SQLModel

from web.destinations import Destination, destination_references
from web.models.base import TenantOwned
from web.models.fields import nullable_json_field
from web.validation import E164


class PhoneNumber(TenantOwned, table=True):
    __tablename__ = "phone_number"

    id: Optional[int] = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=16)  # E.164
    label: str = Field(default="", max_length=100)
    number_type: str = Field(default="unknown", max_length=32)  # from phonenumbers: fixed_line, mobile, ...
    country: str = Field(default="", max_length=2)
    destination: Optional[dict] = nullable_json_field()  # None: not routed yet

    def references(self):
        yield from destination_references(self.destination, "/destination")


class PhoneNumberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: E164
    label: str = ""
    destination: Optional[Destination] = None


class PhoneNumberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Optional[str] = None
    destination: Optional[Destination] = None


class PhoneNumberPublic(SQLModel):
    id: int
    number: str
    label: str
    number_type: str
    country: str
    destination: Optional[Destination]
