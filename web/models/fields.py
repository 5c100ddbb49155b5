"""Column helpers shared by the PBX tables."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints
from sqlalchemy import JSON, Column
from sqlmodel import Field

from callplan.text import plain_text
from web.validation import EXTENSION


def json_field(default_factory=dict, **kwargs) -> Any:
    """A JSON column (lists of members, keys, forwardings): stored as plain JSON, shaped by the API models."""
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False), **kwargs)


def nullable_json_field() -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=True))


def _extension(value: str) -> str:
    if not EXTENSION.match(value):
        raise ValueError("must be an internal number of 2 to 4 digits")
    return value


Extension = Annotated[str, AfterValidator(_extension)]
# the name of an object: shown in lists, on phones (ring groups, queues), in FreeSWITCH's XML
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(plain_text)]
Text = Annotated[str, StringConstraints(max_length=500)]
Seconds = Annotated[int, "seconds"]
