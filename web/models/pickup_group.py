"""Call pickup groups (seed 000: *98 picks up a call ringing in your group).

Members are PBX users by id; a user may be in several groups. The group's id (not its name) is what the
dialplan uses as the pickup key, so renaming a group never breaks pickup.
"""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import BaseModel, ConfigDict, Field as PField, StrictInt
from sqlmodel import Field, SQLModel

from web.models.base import Checked, TenantOwned
from web.models.fields import json_field
from web.models.fields import Name

MAX_MEMBERS = 500
MemberId = Annotated[StrictInt, PField(gt=0)]  # strict: true/"5" are not user ids


class PickupGroupFields(SQLModel):
    name: Name = Field(max_length=100)


class PickupGroup(PickupGroupFields, TenantOwned, table=True):
    __tablename__ = "pickup_group"

    id: Optional[int] = Field(default=None, primary_key=True)
    members: list = json_field(default_factory=list)  # user ids

    def references(self):
        for index, user_id in enumerate(self.members):
            yield f"/members/{index}", "user", user_id


class PickupGroupCreate(PickupGroupFields):
    model_config = ConfigDict(extra="forbid")
    members: list[MemberId] = PField(default_factory=list, max_length=MAX_MEMBERS)


class PickupGroupUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Optional[Name] = None
    members: Optional[list[MemberId]] = PField(default=None, max_length=MAX_MEMBERS)


class PickupGroupPublic(PickupGroupFields, Checked):
    id: int
    members: list[int]
