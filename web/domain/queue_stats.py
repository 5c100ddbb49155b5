"""Writing what the queue and agent reports read (web.models.queue_stats), for the bridge.

Each write is cheap on purpose (the bridge applies thousands of events a second): queue calls and missed
offers are values made from the event alone (queue_call_values, missed_offer_values), which the bridge
collects and inserts once per batch (insert_queue_calls, insert_missed_offers: one executemany each); an
agent's status change is one indexed SELECT and at most an UPDATE and an INSERT. The inserts ignore a
row that is there already (ON CONFLICT DO NOTHING on the row's natural key), so an event FreeSWITCH sends
again after a reconnect counts once."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import bindparam, insert as core_insert
from sqlmodel import Session, select

from web.models.live import AGENT_STATUSES
from web.models.queue_stats import AgentMissedOffer, AgentStatusSpan, QueueCall

LOGGED_OUT = AGENT_STATUSES[0]

# mod_callcenter's CC-Cancel-Reason (cc_member_cancel_reason_t) -> the report's outcome. NONE: the caller
# hung up while waiting.
CANCEL_OUTCOMES = {"NONE": "abandoned", "TIMEOUT": "timeout", "NO_AGENT_TIMEOUT": "timeout",
                   "BREAK_OUT": "exited", "EXIT_WITH_KEY": "exited"}

# an agent leg ended by these is no offer the agent let go: ring-all hangs up the phones that lost the
# race, and ORIGINATOR_CANCEL is the caller (or the queue) giving up while the phone rang
NOT_MISSED = frozenset({"LOSE_RACE", "ORIGINATOR_CANCEL"})

_STATEMENTS: dict[tuple, object] = {}


def _insert_once(db: Session, table, rows: list[dict], key: tuple[str, ...]) -> None:
    """INSERT ... ON CONFLICT (key) DO NOTHING for every row (one executemany), built once per table and
    dialect."""
    if not rows:
        return
    dialect = db.get_bind().dialect.name
    cache_key = (table.name, dialect, tuple(sorted(rows[0])))
    statement = _STATEMENTS.get(cache_key)
    if statement is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        else:  # pragma: no cover - only the two databases the app runs on
            dialect_insert = None
        values_in = {name: bindparam(name) for name in cache_key[2]}
        statement = (dialect_insert(table).values(values_in).on_conflict_do_nothing(index_elements=list(key))
                     if dialect_insert else core_insert(table).values(values_in))
        _STATEMENTS[cache_key] = statement
    db.execute(statement, rows)


def _seconds(later: Optional[datetime], earlier: Optional[datetime]) -> int:
    if later is None or earlier is None:
        return 0
    return max(0, round((later - earlier).total_seconds()))


def outcome(cause: str, cancel_reason: str) -> Optional[str]:
    """member-queue-end's CC-Cause (Terminated: an agent took the call and it ended; Cancel: it left
    without one) and CC-Cancel-Reason, as the report's outcome; None for anything else."""
    if cause == "Terminated":
        return "answered"
    if cause == "Cancel":
        return CANCEL_OUTCOMES.get(cancel_reason or "NONE", "abandoned")
    return None


def queue_call_values(*, tenant_id: int, queue_id: int, member_uuid: str, call_uuid: str, caller_number: str,
                      joined_at: datetime, left_at: datetime, outcome: str, answered_at: Optional[datetime] = None,
                      agent_user_id: Optional[int] = None) -> dict:
    """A queue_call row: one stay of a call in a queue, when it ended."""
    joined_at = min(joined_at, left_at)
    if answered_at is not None:
        answered_at = min(max(answered_at, joined_at), left_at)
    waited_until = answered_at if answered_at is not None else left_at
    return {
        "tenant_id": tenant_id, "queue_id": queue_id, "member_uuid": member_uuid[:64], "call_uuid": call_uuid[:64],
        "caller_number": caller_number[:64], "joined_at": joined_at, "answered_at": answered_at, "left_at": left_at,
        "agent_user_id": agent_user_id, "wait_seconds": _seconds(waited_until, joined_at),
        "talk_seconds": _seconds(left_at, answered_at), "outcome": outcome}


def missed_offer_values(*, tenant_id: int, user_id: int, queue_id: int, member_uuid: str, call_uuid: str,
                        offered_at: datetime, cause: str) -> Optional[dict]:
    """An agent_missed_offer row: a queue call offered to an agent who did not take it; None when the
    cause says it was no miss."""
    if cause in NOT_MISSED:
        return None
    return {"tenant_id": tenant_id, "user_id": user_id, "queue_id": queue_id, "member_uuid": member_uuid[:64],
            "call_uuid": call_uuid[:64], "offered_at": offered_at, "cause": cause[:64]}


def insert_queue_calls(db: Session, rows: list[dict]) -> None:
    _insert_once(db, QueueCall.__table__, rows, ("member_uuid",))


def insert_missed_offers(db: Session, rows: list[dict]) -> None:
    _insert_once(db, AgentMissedOffer.__table__, rows, ("user_id", "member_uuid", "offered_at"))


def record_status(db: Session, tenant_id: int, user_id: int, status: str, at: datetime) -> None:
    """The agent holds `status` from `at`: the open span of another status ends there and, unless the
    agent logged out, a new one starts. The same status again (a replayed event, the bridge's own hold
    that leaves the choice as it was) changes nothing; an event older than the open span is ignored."""
    open_span = db.exec(select(AgentStatusSpan).where(AgentStatusSpan.user_id == user_id,
                                                      AgentStatusSpan.ended_at.is_(None))
                        .order_by(AgentStatusSpan.started_at.desc())).first()
    if open_span is not None:
        if open_span.status == status or at < open_span.started_at:
            return
        open_span.ended_at = at
        db.add(open_span)
    elif status == LOGGED_OUT:
        return
    if status != LOGGED_OUT:
        db.add(AgentStatusSpan(tenant_id=tenant_id, user_id=user_id, status=status[:32], started_at=at))


def reconcile_spans(db: Session, now: datetime) -> int:
    """Make the open spans agree with queue_agent, which holds every agent's status: an agent logged in
    before the bridge recorded spans (or whose change came while the bridge was away and was taken over
    by fs_bridge.agents.reconcile, which sends no event) gets the span of the status it holds, from when
    it took it; a span whose status the agent no longer holds ends then. Returns how many agents changed.
    One SELECT of each table; run now and then, not per event."""
    from web.models.live import QueueAgent

    open_spans = {user_id: (status, started) for user_id, status, started in db.exec(
        select(AgentStatusSpan.user_id, AgentStatusSpan.status, AgentStatusSpan.started_at)
        .where(AgentStatusSpan.ended_at.is_(None))).all()}
    changed = 0
    for tenant_id, user_id, status, since in db.exec(
            select(QueueAgent.tenant_id, QueueAgent.user_id, QueueAgent.status, QueueAgent.status_changed_at)).all():
        held, started = open_spans.get(user_id, (LOGGED_OUT, None))
        if held == status or tenant_id is None:
            continue
        at = min(since or now, now)
        if started is not None and at < started:
            at = started  # the change came after the span we have: it ends where it began at the earliest
        record_status(db, tenant_id, user_id, status, at)
        changed += 1
    return changed
