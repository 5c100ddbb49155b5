"""Voicemail boxes: a personal one per user, and company boxes with their own extension (seed 001: 999)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field as PField
from sqlalchemy import String
from sqlmodel import Field, SQLModel

from web.models.base import Checked, TenantOwned
from web.models.fields import Extension, Name
from web.validation import Email

Pin = PField(pattern=r"^[0-9]{4,8}$")


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


class VoicemailBox(VoicemailBoxFields, TenantOwned, table=True):
    __tablename__ = "voicemail_box"
    __audit_redact__ = {"pin"}

    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(default="company", sa_type=String(16))  # "personal" or "company"
    user_id: Optional[int] = Field(default=None, foreign_key="pbx_user.id", index=True, ondelete="CASCADE")
    extension: Optional[str] = Field(default=None, max_length=4)  # company boxes only
    pin: str = Field(max_length=8)  # digits; mod_voicemail compares it itself

    def references(self):
        if self.greeting_audio_id is not None:
            yield "/greeting_audio_id", "audio", self.greeting_audio_id


class VoicemailBoxCreate(VoicemailBoxFields):
    """Company boxes are created here; a personal box comes with its user."""

    model_config = ConfigDict(extra="forbid")
    extension: Extension
    pin: str = Pin


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
    extension: Optional[Extension] = None
    pin: Optional[str] = PField(default=None, pattern=r"^[0-9]{4,8}$")


class VoicemailBoxPublic(VoicemailBoxFields, Checked):
    id: int
    kind: Literal["personal", "company"]
    user_id: Optional[int]
    extension: Optional[str]
