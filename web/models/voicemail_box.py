"""Voicemail boxes: a personal one per user, and company boxes with their own extension (seed 001: 999)."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field as PField, StrictInt
from sqlalchemy import String
from sqlmodel import Field, SQLModel

from web.models.base import Checked, TenantOwned
from web.models.fields import Extension, Name, json_field
from web.validation import Email

Pin = PField(pattern=r"^[0-9]{4,8}$")
ReaderId = Annotated[StrictInt, PField(gt=0)]  # strict: true/"5" are not user ids
MAX_READERS = 500


BOX_NAME_LENGTH = 100


class VoicemailBoxFields(SQLModel):
    name: Name = Field(max_length=BOX_NAME_LENGTH)
    email: Optional[Email] = Field(default=None, max_length=254)  # new messages are mailed here
    copy_email: Optional[Email] = Field(default=None, max_length=254)
    attach_audio: bool = True
    delete_after_email: bool = False
    greeting_audio_id: Optional[int] = None
    max_message_s: int = Field(default=180, ge=10, le=1000)  # mod_voicemail records at most 1000 s
    max_messages: int = Field(default=100, ge=1, le=1000)
    # a company box that only plays its greeting and takes no message, then hangs up (seed 001: the
    # company voicemail used for an out-of-hours announcement); a personal box's is its user's voicemail setting
    announce_only: bool = False


class VoicemailBox(VoicemailBoxFields, TenantOwned, table=True):
    __tablename__ = "voicemail_box"
    __audit_redact__ = {"pin"}

    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(default="company", sa_type=String(16))  # "personal" or "company"
    user_id: Optional[int] = Field(default=None, foreign_key="pbx_user.id", index=True, ondelete="CASCADE")
    extension: Optional[str] = Field(default=None, max_length=4)  # company boxes only
    pin: str = Field(max_length=8)  # digits; mod_voicemail compares it itself
    # users who may listen to a company box's messages in the portal (/messages); a personal box is its
    # user's alone (web/domain/voicemail_messages.py)
    readers: list = json_field(default_factory=list)

    def references(self):
        if self.greeting_audio_id is not None:
            yield "/greeting_audio_id", "audio", self.greeting_audio_id
        for index, user_id in enumerate(self.readers or []):
            yield f"/readers/{index}", "user", user_id


class VoicemailBoxCreate(VoicemailBoxFields):
    """Company boxes are created here; a personal box comes with its user."""

    model_config = ConfigDict(extra="forbid")
    extension: Extension
    pin: str = Pin
    readers: list[ReaderId] = PField(default_factory=list, max_length=MAX_READERS)


class VoicemailBoxUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Optional[Name] = None
    email: Optional[Email] = None
    copy_email: Optional[Email] = None
    attach_audio: Optional[bool] = None
    delete_after_email: Optional[bool] = None
    greeting_audio_id: Optional[int] = None
    max_message_s: Optional[int] = PField(default=None, ge=10, le=1000)
    max_messages: Optional[int] = PField(default=None, ge=1, le=1000)
    announce_only: Optional[bool] = None
    extension: Optional[Extension] = None
    pin: Optional[str] = PField(default=None, pattern=r"^[0-9]{4,8}$")
    readers: Optional[list[ReaderId]] = PField(default=None, max_length=MAX_READERS)


class VoicemailBoxPublic(VoicemailBoxFields, Checked):
    id: int
    kind: Literal["personal", "company"]
    user_id: Optional[int]
    extension: Optional[str]
    readers: list[int] = []
