"""Who may hear which call recording (#18 item 1), and the recordings as the portal lists them.

- an admin: every recording of the company;
- the reports role: every recording, when the company grants it (company_settings.recordings_for_reports);
- anyone else with a PBX user (users, agents, and reports without the grant): their own: recordings of
  their calls (the user the recording was made for) and of calls they answered (a queue's, a plan's).

A recording one may not hear answers exactly as one that does not exist (404)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import or_
from sqlmodel import Session, select

from web.domain import recordings
from web.domain.problems import Problem
from web.models.call_record import CallRecord
from web.models.company import CompanySettings
from web.models.pbx_user import PbxUser
from web.models.recording import Recording, RecordingPublic
from web.scoping import scoped

MAX_LIMIT = 500


@dataclass(frozen=True)
class Access:
    everything: bool
    user_id: Optional[int]  # the login's own PBX user (None: none)
    may_delete: bool


def _settings(db: Session, tenant_id: int) -> Optional[CompanySettings]:
    return db.exec(scoped(CompanySettings, tenant_id)).first()


def access(db: Session, tenant_id: int, account_id: int, role: Optional[str]) -> Access:
    user = db.exec(scoped(PbxUser, tenant_id).where(PbxUser.account_id == account_id).order_by(PbxUser.id)).first()
    own = user.id if user is not None else None
    if role == "admin":
        return Access(True, own, True)
    settings = _settings(db, tenant_id)
    if role == "reports" and settings is not None and settings.recordings_for_reports:
        return Access(True, own, False)
    return Access(False, own, False)


def _readable(tenant_id: int, who: Access):
    query = scoped(Recording, tenant_id)
    if who.everything:
        return query
    if who.user_id is None:
        return query.where(Recording.id.is_(None))  # nothing
    answered = select(CallRecord.call_uuid).where(CallRecord.tenant_id == tenant_id,
                                                  CallRecord.answered_by_user_id == who.user_id)
    return query.where(or_(Recording.user_id == who.user_id, Recording.call_uuid.in_(answered)))


def listing(db: Session, tenant_id: int, who: Access, *, call_uuid: Optional[str] = None, user_id: Optional[int] = None,
            limit: int = 100, offset: int = 0) -> list[RecordingPublic]:
    """The recordings `who` may hear, newest first."""
    query = _readable(tenant_id, who)
    if call_uuid is not None:
        query = query.where(Recording.call_uuid == call_uuid)
    if user_id is not None:
        query = query.where(Recording.user_id == user_id)
    rows = db.exec(query.order_by(Recording.started_at.desc(), Recording.id.desc())
                   .limit(max(1, min(limit, MAX_LIMIT))).offset(max(0, offset))).all()
    return public(db, tenant_id, rows)


def one(db: Session, tenant_id: int, who: Access, recording_id: int) -> Recording:
    row = db.exec(_readable(tenant_id, who).where(Recording.id == recording_id)).first()
    if row is None:
        raise Problem(404, "not_found")
    return row


def public(db: Session, tenant_id: int, rows: list[Recording]) -> list[RecordingPublic]:
    """The rows with their calls (one query) and users' names (one query)."""
    uuids = sorted({row.call_uuid for row in rows})
    calls = {record.call_uuid: record for record in
             db.exec(scoped(CallRecord, tenant_id).where(CallRecord.call_uuid.in_(uuids))).all()} if uuids else {}
    user_ids = sorted({row.user_id for row in rows if row.user_id is not None})
    names = {user.id: f"{user.first_name} {user.last_name}".strip() for user in
             db.exec(scoped(PbxUser, tenant_id).where(PbxUser.id.in_(user_ids))).all()} if user_ids else {}
    settings = _settings(db, tenant_id)
    retention = settings.recording_retention_days if settings is not None else None
    answer = []
    for row in rows:
        call = calls.get(row.call_uuid)
        answer.append(RecordingPublic(
            id=row.id, call_uuid=row.call_uuid, call_record_id=call.id if call else None, reason=row.reason,
            user_id=row.user_id, user_name=names.get(row.user_id), queue_id=row.queue_id,
            duration_seconds=row.duration_seconds, size_bytes=row.size_bytes, started_at=row.started_at,
            caller_number=call.caller_number if call else None, dialled_number=call.dialled_number if call else None,
            direction=call.direction if call else None,
            expires_at=recordings.expires_at(row.started_at, retention)))
    return answer


def delete(db: Session, recordings_dir: str, tenant_id: int, who: Access, recording_id: int) -> None:
    """Delete a recording, file and row (admins only; the audit log keeps who did)."""
    row = one(db, tenant_id, who, recording_id)
    if not who.may_delete:
        raise Problem(403, "forbidden")
    recordings.remove_file(recordings_dir, row)
    db.delete(row)
