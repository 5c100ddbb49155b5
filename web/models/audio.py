"""Audio files of a tenant: greetings, announcements, music on hold (kind "audio").

The sound itself lives on disk (web.audio: one WAV per rate); the row holds the label and the facts
about the upload (or the typed text it was spoken from, #18 item 6: web.tts). Through the API only
`name` changes, and a typed sound's `text` and `language` (which render it again).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PField
from sqlmodel import Field

from callplan.text import plain_block
from web.models.base import Checked, TenantOwned, created_at_field
from web.models.fields import Name


AudioName = Name
# Typed text (web.tts): at most about a minute of speech; line feeds and tabs may stay, other controls not.
TTS_MAX_TEXT = 1000
TtsText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TTS_MAX_TEXT),
                    AfterValidator(plain_block), PField(json_schema_extra={"x-multiline": True})]
# the languages web.tts.VOICES speaks (the company's own, nl and en, among them)
TtsLanguage = Literal["nl", "en", "de", "fr"]


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
    # A typed sound (none of these for an upload): the text, the language it is spoken in, and the hash
    # of what it was last rendered from (web.tts.render_key), so a save renders only when that changed.
    text: Optional[str] = Field(default=None, max_length=TTS_MAX_TEXT)
    language: Optional[str] = Field(default=None, max_length=8)
    render_key: Optional[str] = Field(default=None, max_length=64)


class AudioUpload(BaseModel):
    """The form fields of an upload besides the `file` part."""

    model_config = ConfigDict(extra="forbid")
    name: AudioName


class AudioText(BaseModel):
    """A sound typed instead of uploaded (POST /api/audio/text): spoken by web.tts. No language: the
    company's."""

    model_config = ConfigDict(extra="forbid")
    name: AudioName
    text: TtsText
    language: Optional[TtsLanguage] = None


class AudioUpdate(BaseModel):
    """`text` and `language` only for a typed sound; a change of either renders it again."""

    model_config = ConfigDict(extra="forbid")
    name: Optional[AudioName] = None
    text: Optional[TtsText] = None
    language: Optional[TtsLanguage] = None


class AudioPublic(Checked):
    id: int
    name: str
    original_filename: str
    duration_ms: int
    sample_rate_original: int
    channels_original: int
    size_bytes: int
    created_at: datetime
    text: Optional[str] = None  # set for a typed sound
    language: Optional[str] = None
