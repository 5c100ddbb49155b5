"""Audio files of a tenant: greetings, announcements, music on hold (kind "audio").

The sound itself lives on disk (web.audio: one WAV per rate); the row holds the label and the facts
about the upload. Only `name` is ever changed through the API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from pydantic import BaseModel, ConfigDict
from sqlmodel import Field

from web.models.base import Checked, TenantOwned, created_at_field
from web.models.fields import Name


AudioName = Name


class AudioFile(TenantOwned, table=True):
    __tablename__ = "audio_file"
    # Ids are never reused (SQLite would hand out a deleted max id again): a new sound must not take
    # the file name of a deleted one that a cache, or a late file removal, may still know.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    original_filename: str = Field(max_length=100)  # web.audio.safe_filename of what was uploaded
    duration_ms: int
    sample_rate_original: int
    channels_original: int
    size_bytes: int  # of the upload as received (it is not kept; the stored WAVs are derived)
    created_at: datetime = created_at_field()


class AudioUpload(BaseModel):
    """The form fields of an upload besides the `file` part."""

    model_config = ConfigDict(extra="forbid")
    name: AudioName


class AudioUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Optional[AudioName] = None


class AudioPublic(Checked):
    id: int
    name: str
    original_filename: str
    duration_ms: int
    sample_rate_original: int
    channels_original: int
    size_bytes: int
    created_at: datetime
