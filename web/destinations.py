"""Where a call can be sent: one shape for forwardings, IVR keys, night mode, "forward after waiting".

    {"type": "user", "id": 12}            an object of the tenant, by id
    {"type": "extension", "number": "201"} an internal number
    {"type": "external", "number": "+32467890123"}
    {"type": "hang_up"}
    {"type": "park"}                      the company's parking lot: the call waits in the first free slot
                                          (while parking is on), taken by dialling the slot
    {"type": "fax", "id": 12}             fax to mail: the call is received as a fax and mailed as a PDF to
                                          that user's e-mail address (seed 001's "Bedrijf Fax", seed 002:
                                          a user's address gets the faxes)
"""

from __future__ import annotations

import re
from typing import Iterator, Literal, Optional

import phonenumbers
from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

from web.validation import EXTENSION

OBJECT_TYPES = ("user", "ring_group", "queue", "ivr_menu", "voicemail_box", "conference_room", "page_group", "fax")
DestinationType = Literal["user", "ring_group", "queue", "ivr_menu", "voicemail_box", "conference_room", "page_group",
                          "fax", "extension", "external", "hang_up", "park"]
REFERS_TO = {"fax": "user"}  # an object type that names another kind's object: a fax destination, its user
# destination_references yields such a destination under its own kind ("fax"): web.domain.references counts
# it as a use of the object it names (a user) and checks what that kind needs more (the user's address)

_DIALLED = re.compile(r"^\+?[0-9]{3,15}\Z")


def external_number(value: str) -> str:
    """A number to dial out: E.164 (checked), or national digits as the user typed them."""
    cleaned = re.sub(r"[\s\-./()]", "", value or "")
    if not _DIALLED.match(cleaned):
        raise ValueError("must be a phone number: digits, optionally starting with +")
    if cleaned.startswith("+"):
        try:
            parsed = phonenumbers.parse(cleaned, None)
        except phonenumbers.NumberParseException:
            raise ValueError("is not a valid international number") from None
        if not phonenumbers.is_possible_number(parsed):
            raise ValueError("is not a valid international number")
        cleaned = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return cleaned


class Destination(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: DestinationType
    id: Optional[int] = None
    number: Optional[str] = None

    @field_validator("number")
    @classmethod
    def _number(cls, value: Optional[str], info: ValidationInfo) -> Optional[str]:
        # checked here rather than with the whole shape, so a refusal names /number
        kind = info.data.get("type")
        if value is None or kind not in ("extension", "external"):
            return value
        if kind == "extension" and not EXTENSION.match(value):
            raise ValueError("an extension destination needs a number of 2 to 4 digits")
        return external_number(value) if kind == "external" else value

    @model_validator(mode="after")
    def _shape(self) -> "Destination":
        if self.type in OBJECT_TYPES:
            if self.id is None:
                raise ValueError("a fax to mail destination needs the id of the user it is mailed to"
                                 if self.type == "fax" else f"a {self.type.replace('_', ' ')} destination needs an id")
            if self.number is not None:
                raise ValueError("give an id or a number, not both")
        elif self.type == "extension":
            if not self.number:
                raise ValueError("an extension destination needs a number of 2 to 4 digits")
        elif self.type == "external":
            if not self.number:
                raise ValueError("must be a phone number: digits, optionally starting with +")
        else:  # hang_up, park
            if self.id is not None or self.number is not None:
                raise ValueError(f"{self.type.replace('_', ' ')} takes no id or number")
        return self


def destination_references(destination: dict | None, where: str) -> Iterator[tuple[str, str, object]]:
    """What a stored destination points at, for web.domain.references."""
    if not destination:
        return
    kind = destination.get("type")
    if kind in OBJECT_TYPES:
        yield where, kind, destination.get("id")
    elif kind == "extension":
        yield where, "extension", destination.get("number")
