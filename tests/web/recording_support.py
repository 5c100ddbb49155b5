"""Recordings for tests: WAV files where FreeSWITCH would have written them, and the rows the bridge makes."""

from __future__ import annotations

import os
import uuid as uuids
import wave
from datetime import datetime, timedelta
from typing import Optional

from web import clock
from web.domain import recordings


def write_wav(path: str, seconds: float, rate: int = 8000) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with wave.open(path, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(b"\x00\x00" * int(seconds * rate))


def recorded(db, settings, tenant_id: int, *, seconds: float = 4, reason: str = "user", call_uuid: Optional[str] = None,
             user_id: Optional[int] = None, at: Optional[datetime] = None) -> int:
    """A recording as the bridge stores it after RECORD_STOP: the file in the tenant's folder, its row."""
    name = f"{uuids.uuid4()}_{reason}.wav"
    write_wav(os.path.join(settings.recordings_dir, str(tenant_id), name), seconds)
    stopped = recordings.Stopped(tenant_id=tenant_id, file_name=name, reason=reason,
                                 call_uuid=call_uuid or str(uuids.uuid4()), user_id=user_id, queue=None,
                                 at=(at or clock.now()) + timedelta(seconds=seconds))
    with db() as session:
        return recordings.store(session, settings.recordings_dir, stopped)
