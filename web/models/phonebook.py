"""The company phonebook (seed 000: contacts imported from a csv file of `name;number` lines).

Contacts are shown on the phones and in the portal, so names go through the same strict checks as any
other typed text: no control or bidi-override characters (they would reach provisioning XML and phone
screens). A number is unique per company: it is what the import compares to skip duplicates, and the
database refuses a double booking even when two imports run at once.
"""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from web.destinations import external_number
from web.models.base import Checked, TenantOwned
from web.models.fields import Name
from web.validation import DisplayText, Note

def _number(value: str) -> str:
    return external_number(value)


# Names go through the one plain-text check (callplan.text): no control or bidi-override characters.
PlainName = Name
Company = DisplayText
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
    # the company's book only: calls from this number to the company are turned away, as the company's
    # call blocking says (callplan.blocking; a user's personal contacts have no such mark)
    blocked: bool = False


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


# The company phonebook's own shapes: its contacts can be marked blocked (a user's personal contacts,
# web/api/me.py, share the rest and not this).
class PhonebookContactCreate(ContactCreate):
    blocked: bool = False


class PhonebookContactUpdate(ContactUpdate):
    blocked: Optional[bool] = None


class PhonebookContactPublic(ContactPublic):
    blocked: bool = False
