"""The agent panel (seed 004, #15 item 3): what one agent sees and may do, read from the rows the bridge
writes (queue_agent, active_call) and the call records, and the rules of who may act on what.

- An agent acts on a call only when it is theirs: the call of the company that mod_callcenter offered to
  or bridged with them (queue_agent.call_uuid), or one the bridge saw answered by them
  (active_call.user_id). An admin may act on any call of the company. Everything is scoped by tenant: a
  call, record or task of another company is "not found", as one that does not exist.
- "Today" is the company's day (its time zone). Answered calls and talk time come from the call
  records the agent answered; missed offers and break time from the agent's counters, which the
  bridge and the API keep (web.domain.agents.account_status, fs_bridge/agents.py).
- Tiles: every agent of the company, or only those of the viewer's department when the company says so
  (company_settings.agent_tiles_by_department); admins see everyone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from sqlalchemy import func, or_
from sqlmodel import Session, select

from web import clock
from web.domain import agents
from web.domain.problems import Problem, field_problem
from web.models.agent_panel import AgentTask, CallStatus
from web.models.call_record import CallRecord
from web.models.live import ActiveCall, QueueAgent
from web.models.pbx_user import PbxUser
from web.models.queue import CallQueue
from web.scoping import get_owned, scoped

RECENT_CALLS = 20
UPCOMING_TASKS = 50


def own_user(db: Session, tenant_id: int, account_id: int) -> Optional[PbxUser]:
    """The PBX user a portal login is linked to (the first, should there be several)."""
    return db.exec(scoped(PbxUser, tenant_id).where(PbxUser.account_id == account_id).order_by(PbxUser.id)).first()


def name_of(user: PbxUser) -> str:
    return f"{user.first_name} {user.last_name or ''}".strip()


# --- the current call -------------------------------------------------------------------------------------


def current_call(db: Session, tenant_id: int, user_id: int, row: Optional[QueueAgent]) -> Optional[ActiveCall]:
    """The call the agent has now: the queue call offered to or bridged with them, else a call the bridge
    saw them answer."""
    if row is not None and row.call_uuid:
        call = db.exec(scoped(ActiveCall, tenant_id).where(ActiveCall.call_uuid == row.call_uuid)).first()
        if call is not None:
            return call
    return db.exec(scoped(ActiveCall, tenant_id).where(ActiveCall.user_id == user_id)
                   .order_by(ActiveCall.started_at.desc())).first()


def waiting_seconds(call: ActiveCall, now: datetime) -> int:
    """From the call's start until a person took it (or now, while nobody has)."""
    end = agents.utc(call.bridged_at) or now
    return max(0, int((end - agents.utc(call.started_at)).total_seconds()))


@dataclass
class CallRights:
    """A live call someone may act on, and the agent's own leg of it when known (hold, attended transfer)."""

    call: ActiveCall
    agent_leg: str = ""
    owner_id: Optional[int] = None  # the agent whose call it is


def call_for_action(db: Session, tenant_id: int, call_uuid: str, user: Optional[PbxUser], admin: bool) -> CallRights:
    """The live call `call_uuid` of the company, when the caller may act on it; 404 otherwise (a call of
    another company, or another agent's, reads as no call at all)."""
    call = db.exec(scoped(ActiveCall, tenant_id).where(ActiveCall.call_uuid == call_uuid)).first()
    if call is None:
        raise Problem(404, "not_found")
    holder = db.exec(scoped(QueueAgent, tenant_id).where(QueueAgent.call_uuid == call_uuid)).first()
    owner_id = holder.user_id if holder is not None else call.user_id
    if not admin and (user is None or user.id not in {owner_id, call.user_id}):
        raise Problem(404, "not_found")
    return CallRights(call, holder.agent_uuid if holder is not None else "", owner_id)


# --- who sees whom ----------------------------------------------------------------------------------------


def visible_agents(db: Session, tenant_id: int, viewer: Optional[PbxUser], admin: bool) -> list[PbxUser]:
    """The company's agents (users in any queue), the viewer's department only when the company says so."""
    queues = agents.queues_of_users(db, tenant_id)
    if not queues:
        return []
    query = scoped(PbxUser, tenant_id).where(PbxUser.id.in_(list(queues))).order_by(PbxUser.extension)
    if not admin and viewer is not None and agents.company_settings(db, tenant_id).agent_tiles_by_department:
        query = query.where(PbxUser.department_id == viewer.department_id) if viewer.department_id is not None \
            else query.where(PbxUser.id == viewer.id)
    return list(db.exec(query).all())


# --- today's statistics -----------------------------------------------------------------------------------


@dataclass
class DayStats:
    answered: int = 0
    missed: int = 0
    talk_seconds: int = 0
    average_handling_seconds: int = 0
    break_seconds: int = 0


def stats_today(db: Session, tenant_id: int, user_ids: list[int]) -> dict[int, DayStats]:
    """Per agent: calls answered today and their talk time (call records), offers missed and time on
    break (the agent's counters of today, plus the break running now)."""
    now = clock.now()
    day, start = agents.company_day(db, tenant_id, now)
    found = {user_id: DayStats() for user_id in user_ids}
    if not user_ids:
        return found
    rows = db.exec(select(CallRecord.answered_by_user_id, func.count(CallRecord.id), func.sum(CallRecord.billed_seconds))
                   .where(CallRecord.tenant_id == tenant_id, CallRecord.started_at >= start,
                          CallRecord.answered_by_user_id.in_(user_ids))
                   .group_by(CallRecord.answered_by_user_id)).all()
    for user_id, count, seconds in rows:
        stats = found[user_id]
        stats.answered, stats.talk_seconds = int(count or 0), int(seconds or 0)
        stats.average_handling_seconds = round(stats.talk_seconds / stats.answered) if stats.answered else 0
    for row in db.exec(scoped(QueueAgent, tenant_id).where(QueueAgent.user_id.in_(user_ids))).all():
        stats = found[row.user_id]
        if row.day == day:
            stats.missed = row.missed or 0
            stats.break_seconds = row.break_seconds or 0
        stats.break_seconds += agents.break_so_far(row, start, now)
    return found


# --- the agent's calls of today and their outcomes --------------------------------------------------------


def mine(user: PbxUser):
    """A call record is the agent's: they answered it, or called out from their phone."""
    return or_(CallRecord.answered_by_user_id == user.id,
               (CallRecord.caller_number == user.extension) & (CallRecord.direction != "inbound"))


def recent_calls(db: Session, tenant_id: int, user: PbxUser) -> list[CallRecord]:
    _, start = agents.company_day(db, tenant_id, clock.now())
    return list(db.exec(scoped(CallRecord, tenant_id).where(CallRecord.started_at >= start, mine(user))
                        .order_by(CallRecord.started_at.desc(), CallRecord.id.desc()).limit(RECENT_CALLS)).all())


def made_by(record: CallRecord, user: PbxUser) -> bool:
    return record.caller_number == user.extension and record.direction != "inbound"


def other_party(record: CallRecord, user: Optional[PbxUser]) -> str:
    """The number to call back: whom the agent called, or who called."""
    if user is not None and made_by(record, user):
        return record.dialled_number or record.callee_number
    return record.caller_number


def record_for_outcome(db: Session, tenant_id: int, record_id: int, user: Optional[PbxUser], admin: bool) -> CallRecord:
    record = get_owned(db, CallRecord, tenant_id, record_id)
    if not admin:
        if user is None:
            raise Problem(409, "no_pbx_user")
        if record.answered_by_user_id != user.id and not made_by(record, user):
            raise Problem(404, "not_found")  # another agent's call reads as none
    return record


@dataclass
class Outcome:
    status_id: Optional[int] = None
    note: str = ""
    callback_at: Optional[datetime] = None


def set_outcome(db: Session, tenant_id: int, record: CallRecord, writer: Optional[PbxUser], outcome: Outcome) -> Optional[AgentTask]:
    """Store the agent's word on a call: a status of the company's list, a note, and with a "call back
    at" time a task for the agent whose call it is (the writer, or for an admin the one who answered)."""
    status = None
    if outcome.status_id is not None:
        status = db.exec(scoped(CallStatus, tenant_id).where(CallStatus.id == outcome.status_id)).first()
        if status is None:
            raise field_problem(422, "invalid", "/status_id", "not a call status of the company")
    record.outcome_status_id = status.id if status is not None else None
    record.outcome_label = status.name if status is not None else ""
    record.outcome_note = outcome.note or ""
    record.outcome_by_user_id = writer.id if writer is not None else None
    record.outcome_at = clock.now()
    db.add(record)
    if outcome.callback_at is None:
        return None
    agent_id = writer.id if writer is not None else record.answered_by_user_id
    if agent_id is None:
        raise field_problem(422, "invalid", "/callback_at", "nobody to call back: no agent answered the call")
    owner = db.get(PbxUser, agent_id)
    task = AgentTask(tenant_id=tenant_id, user_id=agent_id, call_record_id=record.id,
                     number=other_party(record, owner)[:64], note=(outcome.note or "")[:500], due_at=outcome.callback_at)
    db.add(task)
    return task


def tasks(db: Session, tenant_id: int, user_id: int) -> tuple[list[AgentTask], int]:
    """(tasks due now, how many more are planned later) of one agent, not yet done."""
    now = clock.now()
    open_tasks = scoped(AgentTask, tenant_id).where(AgentTask.user_id == user_id, AgentTask.done_at.is_(None))
    due = db.exec(open_tasks.where(AgentTask.due_at <= now).order_by(AgentTask.due_at).limit(UPCOMING_TASKS)).all()
    later = db.exec(select(func.count(AgentTask.id)).where(AgentTask.tenant_id == tenant_id, AgentTask.user_id == user_id,
                                                           AgentTask.done_at.is_(None), AgentTask.due_at > now)).one()
    return list(due), int(later or 0)


def task_for(db: Session, tenant_id: int, task_id: int, user: Optional[PbxUser], admin: bool) -> AgentTask:
    task = get_owned(db, AgentTask, tenant_id, task_id)
    if not admin and (user is None or task.user_id != user.id):
        raise Problem(404, "not_found")
    return task


def queue_names(db: Session, tenant_id: int) -> dict[int, CallQueue]:
    return {queue.id: queue for queue in db.exec(scoped(CallQueue, tenant_id).order_by(CallQueue.name)).all()}


def default_statuses(db: Session, tenant_id: int) -> dict[str, int]:
    """direction -> the status preselected for calls of that direction."""
    rows = db.exec(scoped(CallStatus, tenant_id).where(CallStatus.default_for.is_not(None)).order_by(CallStatus.id)).all()
    return {row.default_for: row.id for row in rows}


def keep_one_default(db: Session, tenant_id: int, status: CallStatus) -> None:
    """One default per direction: a status made the default takes it from the one that had it."""
    if status.default_for is None:
        return
    for other in db.exec(scoped(CallStatus, tenant_id).where(CallStatus.default_for == status.default_for)).all():
        if other.id != status.id:
            other.default_for = None
            db.add(other)


@dataclass
class QueueView:
    queue: CallQueue
    agent_ids: list[int] = field(default_factory=list)
    waiting: list[ActiveCall] = field(default_factory=list)


def queues_overview(db: Session, tenant_id: int) -> list[QueueView]:
    """Per queue (admins): its agents, and the calls waiting in it now."""
    queues = queue_names(db, tenant_id)
    views = {queue_id: QueueView(queue) for queue_id, queue in queues.items()}
    for user_id, queue_ids in agents.queues_of_users(db, tenant_id).items():
        for queue_id in queue_ids:
            if queue_id in views:
                views[queue_id].agent_ids.append(user_id)
    for call in db.exec(scoped(ActiveCall, tenant_id).where(ActiveCall.queue_id.is_not(None), ActiveCall.bridged_at.is_(None))
                        .order_by(ActiveCall.started_at)).all():
        if call.queue_id in views:
            views[call.queue_id].waiting.append(call)
    return list(views.values())


def statuses(db: Session, tenant_id: int) -> list[CallStatus]:
    return list(db.exec(scoped(CallStatus, tenant_id).order_by(CallStatus.name, CallStatus.id)).all())


def users_on_calls(db: Session, tenant_id: int) -> set[int]:
    """Users the bridge saw answer a call that is still going."""
    return {user_id for user_id in db.exec(select(ActiveCall.user_id).where(
        ActiveCall.tenant_id == tenant_id, ActiveCall.user_id.is_not(None))).all()}
