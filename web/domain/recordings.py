"""Call recordings (#18 item 1): the files FreeSWITCH writes (callplan/recording.py says where and why),
stored as `recording` rows when the bridge hears of them, and removed after the company's retention.

The folder is shared like voicemail's (CALLPLAN_RECORDINGS_DIR; FreeSWITCH's `callplan_recordings_dir`):
<dir>/<tenant id>/<leg uuid>_<why>.wav on both sides. FreeSWITCH names a file by its own path, which may
be another mount of the same folder (compose.yaml), so only the last two parts are taken from it, and
only names callplan makes are accepted.

Who may hear which recording is web/domain/recording_access.py (the portal's concern, not the switch's)."""

from __future__ import annotations

import logging
import os
import re
import wave
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Optional

from sqlalchemy import delete as core_delete, select
from sqlmodel import Session

from callplan.recording import FILE_NAME
from web import clock, side_effects
from web.models.company import CompanySettings
from web.models.recording import Recording
from web.models.tenant import Tenant

log = logging.getLogger("web.domain.recordings")

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_TENANT_DIR = re.compile(r"^[0-9]{1,12}\Z")
_QUEUE = re.compile(r"^q([0-9]{1,12})(w[0-9]+)?@")


@dataclass(frozen=True)
class Stopped:
    """What a RECORD_STOP tells: whose file, of which call, why."""

    tenant_id: int
    file_name: str
    reason: str
    call_uuid: str
    user_id: Optional[int]
    queue: Optional[int]  # the queue's id
    at: datetime


def _uuid(value: Optional[str]) -> Optional[str]:
    value = (value or "").strip().lower()
    return value if _UUID.match(value) else None


def from_event(get: Callable[[str], Optional[str]], var: Callable[[str], Optional[str]],
               at: Optional[datetime] = None) -> Optional[Stopped]:
    """A RECORD_STOP's facts (headers by `get`, channel variables by `var`), or None for a file that is not
    one of ours. The call is the caller's leg: a queue agent's leg names it cc_member_session_uuid, a leg
    the dialplan's bridge rang originating_leg_uuid, the caller's own leg is it (Unique-ID)."""
    path = get("Record-File-Path") or ""
    name, folder = os.path.basename(path), os.path.basename(os.path.dirname(path))
    found = FILE_NAME.match(name)
    if not found or not _TENANT_DIR.match(folder):
        return None
    call = (_uuid(var("cc_member_session_uuid")) or _uuid(var("originating_leg_uuid")) or _uuid(get("Unique-ID")))
    if call is None:
        return None
    user = var("cp_rec_user") or ""
    queue = _QUEUE.match(var("cc_queue") or "") if found.group(1) == "queue" else None
    return Stopped(tenant_id=int(folder), file_name=name, reason=found.group(1), call_uuid=call,
                   user_id=int(user) if user.isdigit() else None, queue=int(queue.group(1)) if queue else None,
                   at=at or clock.now())


def file_path(recordings_dir: str, tenant_id: int, file_name: str) -> Optional[str]:
    """The recording's file as this side of the shared folder sees it, when it is there and is one of ours
    (inside the tenant's folder); else None."""
    if not FILE_NAME.match(file_name or ""):
        return None
    root = os.path.realpath(os.path.join(recordings_dir, str(int(tenant_id))))
    real = os.path.realpath(os.path.join(root, file_name))
    if os.path.commonpath([root, real]) != root or not os.path.isfile(real):
        return None
    return real


def wav_seconds(path: str) -> Optional[int]:
    """The length of a WAV file in whole seconds (rounded), None when it is no WAV Python reads."""
    try:
        with wave.open(path, "rb") as audio:
            rate = audio.getframerate()
            return int(round(audio.getnframes() / rate)) if rate else None
    except (wave.Error, EOFError, OSError):
        return None


def store(db: Session, recordings_dir: str, stopped: Stopped) -> Optional[int]:
    """The recording's row (its id), made once per file; None when there is no such file (FreeSWITCH drops
    recordings shorter than its RECORD_MIN_SEC, 3 s) or no such company. A core insert: call traffic."""
    if db.get(Tenant, stopped.tenant_id) is None:
        log.warning("recording %s: no company %s", stopped.file_name, stopped.tenant_id)
        return None
    path = file_path(recordings_dir, stopped.tenant_id, stopped.file_name)
    if path is None:
        log.info("recording %s/%s: no file (too short, or another folder)", stopped.tenant_id, stopped.file_name)
        return None
    seconds = wav_seconds(path) or 0
    values = {"tenant_id": stopped.tenant_id, "call_uuid": stopped.call_uuid, "file_name": stopped.file_name,
              "reason": stopped.reason, "user_id": _existing_user(db, stopped), "queue_id": stopped.queue,
              "duration_seconds": seconds, "size_bytes": os.path.getsize(path),
              "started_at": stopped.at - timedelta(seconds=seconds), "created_at": clock.now()}
    table = Recording.__table__
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    statement = (dialect_insert(table).values(**values)
                 .on_conflict_do_nothing(index_elements=["tenant_id", "file_name"]).returning(table.c.id))
    found = db.execute(statement).first()
    return found[0] if found is not None else None


def _existing_user(db: Session, stopped: Stopped) -> Optional[int]:
    from web.models.pbx_user import PbxUser

    if stopped.user_id is None:
        return None
    user = db.get(PbxUser, stopped.user_id)
    return user.id if user is not None and user.tenant_id == stopped.tenant_id else None


def remove_file(recordings_dir: str, row: Recording) -> None:
    path = file_path(recordings_dir, row.tenant_id, row.file_name)
    if path is not None:
        side_effects.happened("removed a recording")
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


def expire(db: Session, recordings_dir: str, now: Optional[datetime] = None, limit: int = 500) -> int:
    """Delete every recording older than its company's retention (company_settings.recording_retention_days),
    file and row; at most `limit` per call (the bridge calls again on its next check). The number deleted."""
    now = now or clock.now()
    companies = db.execute(select(CompanySettings.tenant_id, CompanySettings.recording_retention_days)
                           .where(CompanySettings.recording_retention_days.is_not(None))).all()
    deleted = 0
    for tenant_id, days in companies:
        cutoff = now - timedelta(days=int(days))
        rows = db.execute(select(Recording.id, Recording.tenant_id, Recording.file_name)
                          .where(Recording.tenant_id == tenant_id, Recording.started_at < cutoff)
                          .order_by(Recording.id).limit(limit - deleted)).all()
        for row in rows:
            remove_file(recordings_dir, row)
        if rows:
            db.execute(core_delete(Recording).where(Recording.id.in_([row.id for row in rows])))
            deleted += len(rows)
        if deleted >= limit:
            break
    return deleted


def expires_at(started_at: datetime, retention_days: Optional[int]) -> Optional[datetime]:
    return started_at + timedelta(days=int(retention_days)) if retention_days else None
