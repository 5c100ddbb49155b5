"""Page groups (#18 item 4): a set of the company's phones reached by one internal number. Dialling it
makes every phone of the group answer by itself (the auto-answer header its brand expects) and hear the
caller, who speaks one way: the phones are muted listeners of a mod_conference page
(callplan/paging.py). Members are users (each of their phones) and phones by id."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field as PField, StrictInt
from sqlmodel import Field, SQLModel

from web.models.base import Checked, TenantOwned
from web.models.fields import Extension, Name, json_field

MAX_MEMBERS = 100  # phones answering one page at once: a floor's worth, not a campus


class PageGroupMember(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["user", "device"]
    id: Annotated[StrictInt, PField(gt=0)]  # strict: true/"5" are no ids


class PageGroupFields(SQLModel):
    name: Name = Field(max_length=100)


class PageGroup(PageGroupFields, TenantOwned, table=True):
    __tablename__ = "page_group"

    id: Optional[int] = Field(default=None, primary_key=True)
    extension: Optional[str] = Field(default=None, max_length=4)
    members: list = json_field(default_factory=list)  # [{"type": "user"|"device", "id": ...}]

    def references(self):
        for index, member in enumerate(self.members):
            if isinstance(member, dict) and member.get("type") in ("user", "device"):
                yield f"/members/{index}/id", member["type"], member.get("id")


class PageGroupCreate(PageGroupFields):
    model_config = ConfigDict(extra="forbid")
    extension: Extension
    members: list[PageGroupMember] = PField(min_length=1, max_length=MAX_MEMBERS)


class PageGroupUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Optional[Name] = None
    extension: Optional[Extension] = None
    members: Optional[list[PageGroupMember]] = PField(default=None, min_length=1, max_length=MAX_MEMBERS)


class PageGroupPublic(PageGroupFields, Checked):
    id: int
    extension: Optional[str]
    members: list[PageGroupMember]
