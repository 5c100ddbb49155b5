"""Feature codes dialled from a phone (*97 voicemail, *98 pickup as in seed 000, agent and toggles)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field as PField
from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from web.models.base import Checked, TenantOwned

Function = Literal[
    "voicemail", "pickup", "agent_login", "agent_logout", "agent_break",
    "diversion_toggle", "night_mode_toggle", "dnd_toggle", "hot_desk_login", "hot_desk_logout", "park", "intercom", "record",
]

DEFAULT_CODES: dict[str, str] = {
    "voicemail": "*97",
    "pickup": "*98",
    "agent_login": "*22",
    "agent_logout": "*23",
    "agent_break": "*24",
    "diversion_toggle": "*30",
    "night_mode_toggle": "*31",
    "dnd_toggle": "*78",
    # a hot-desking phone: log in (asks the extension, then the voicemail PIN) and out
    "hot_desk_login": "*60",
    "hot_desk_logout": "*61",
    # call parking (web.models.parking): the first free slot, said aloud; only while parking is on
    "park": "*70",
    # a prefix: *80 then a colleague's extension calls that colleague's phones, which answer by themselves
    # (two-way; callplan/paging.py)
    "intercom": "*80",
    # pressed during a call by a user whose recording is "on demand": starts recording, pressed again stops
    # (FreeSWITCH's bind_meta_app: `*` and one digit; callplan/recording.py)
    "record": "*1",
}

CODE_PATTERN = r"^[*#][0-9*#]{1,5}$"


class FeatureCode(TenantOwned, table=True):
    __tablename__ = "feature_code"
    __table_args__ = (UniqueConstraint("tenant_id", "function"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    function: str = Field(sa_type=String(32))
    code: str = Field(max_length=6)
    enabled: bool = True


class FeatureCodeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Optional[str] = PField(default=None, pattern=CODE_PATTERN)
    enabled: Optional[bool] = None


class FeatureCodePublic(SQLModel, Checked):
    id: int
    function: Function
    code: str
    enabled: bool
