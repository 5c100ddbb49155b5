"""Call recordings (#18 item 1): the files FreeSWITCH writes with record_session, one row per file.

The bridge makes the row when FreeSWITCH says a recording stopped (RECORD_STOP, fs_bridge/recordings.py);
the file stays in the folder FreeSWITCH wrote it to (CALLPLAN_RECORDINGS_DIR, <dir>/<tenant>/<name>),
shared with the web app as voicemail is. A row belongs to a call by its uuid (call_record.call_uuid, the
caller's leg), not by a foreign key: the recording may be told before the call's record is stored."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from sqlalchemy import Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from web.models.base import TenantOwned, created_at_field

# why the call was recorded: the user's setting, the queue's, a plan's "record from here" step, or the
# in-call feature code
Reason = Literal["user", "queue", "step", "demand"]
# a user's recording setting: never, every call, or when the user presses the feature code during a call
UserRecording = Literal["off", "always", "on_demand"]


class Recording(TenantOwned, table=True):
    __tablename__ = "recording"
    __table_args__ = (
        UniqueConstraint("tenant_id", "file_name"),
        Index("ix_recording_tenant_call", "tenant_id", "call_uuid"),
    )
    # audited when someone deletes one in the portal; the bridge's inserts and the retention's deletes are
    # core statements (fs_bridge/recordings.py, web/domain/recordings.py), the system's own doing

    id: Optional[int] = Field(default=None, primary_key=True)
    call_uuid: str = Field(max_length=64)  # the call's record (call_record.call_uuid)
    file_name: str = Field(max_length=120)  # in <recordings_dir>/<tenant_id>/
    reason: str = Field(default="user", sa_type=String(16))
    user_id: Optional[int] = Field(default=None, foreign_key="pbx_user.id", ondelete="SET NULL")  # whose call
    queue_id: Optional[int] = None  # no foreign key: a recording outlives its queue
    duration_seconds: int = 0
    size_bytes: int = 0
    started_at: datetime = Field(index=True)
    created_at: datetime = created_at_field()


class RecordingPublic(SQLModel):
    id: int
    call_uuid: str
    call_record_id: Optional[int] = None
    reason: Reason
    user_id: Optional[int]
    user_name: Optional[str] = None
    queue_id: Optional[int]
    duration_seconds: int
    size_bytes: int
    started_at: datetime
    caller_number: Optional[str] = None
    dialled_number: Optional[str] = None
    direction: Optional[str] = None
    expires_at: Optional[datetime] = None  # the company's retention deletes it then (None: kept)
