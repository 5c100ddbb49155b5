"""The company phonebook (seed 000: contacts imported from a csv file of `name;number` lines).

Contacts are shown on the phones and in the portal, so names go through the same strict checks as any
other typed text: no control or bidi-override characters (they would reach provisioning XML and phone
screens). A number is unique per company: it is what the import compares to skip duplicates, and the
database refuses a double booking even when two imports run at once.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from web.destinations import external_number
from web.models.base import Checked, TenantOwned

# Bidi overrides/isolates can make a name display as something else ("Trojan source").
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Categories never allowed: control, surrogate (unencodable, would fail in the database), line/paragraph sep.
_BAD_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


def plain_text(value: str, allow: str = "") -> str:
    """Refuse control characters (except those in `allow`) and bidi overrides."""
    for char in value:
        if char in allow:
            continue
        if char in _BIDI_CONTROLS or unicodedata.category(char) in _BAD_CATEGORIES:
            raise ValueError("may not contain control characters")
    return value


def _line(value: str) -> str:
    return plain_text(value)


def _note(value: str) -> str:
    return plain_text(value, allow="\n\t")


def _number(value: str) -> str:
    return external_number(value)


PlainName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(_line)]
Company = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), AfterValidator(_line)]
Note = Annotated[str, StringConstraints(max_length=500), AfterValidator(_note)]
# external_number: E.164 (checked and normalised) or national digits; at most "+" and 15 digits.
DialNumber = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40), AfterValidator(_number)]


class ContactFields(SQLModel):
    name: PlainName = Field(max_length=100)
    number: DialNumber = Field(max_length=16)
    company: Optional[Company] = Field(default=None, max_length=100)
    note: Optional[Note] = Field(default=None, max_length=500)


class Contact(ContactFields, TenantOwned, table=True):
    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("tenant_id", "number", name="uq_contact_tenant_number"),)

    id: Optional[int] = Field(default=None, primary_key=True)


class ContactCreate(ContactFields):
    model_config = ConfigDict(extra="forbid")


class ContactUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Optional[PlainName] = None
    number: Optional[DialNumber] = None
    company: Optional[Company] = None
    note: Optional[Note] = None


class ContactPublic(ContactFields, Checked):
    id: int
