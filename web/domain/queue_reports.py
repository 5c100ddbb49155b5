"""The queue and agent reports (#17 item 3): a period's figures per queue and per agent, from the rows
the bridge writes (web.models.queue_stats). Periods are web.domain.reports' (whole days in the company's
time zone).

Per queue, of the calls that joined it in the period:
- offered: every stay in the queue that ended (a call still waiting counts once it leaves);
- answered (an agent took it), abandoned (the caller hung up while waiting), timed out (the queue's
  longest wait passed, or the caller left it with a key);
- service level: the share of the offered calls answered within N seconds (N per request, default 20),
  None without calls;
- average and longest wait: how long the calls waited until answered or until they left.
These are one GROUP BY: the wait is stored in seconds with each row, so no date arithmetic in SQL.

Per agent (a user), in the period:
- calls answered and talk time (from the answer to the end of the agent's call; the same calls);
- average handling time: talk time per call (wrap-up time is not recorded, so it is not in it);
- time logged in (any status but Logged Out) and on break, from the status spans clipped to the period
  (a span still open counts until now);
- missed offers: queue calls offered that the agent let ring or refused (not ring-all's losers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Optional

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, select

from web.domain.reports import Period, _user_names
from web.models.queue import CallQueue
from web.models.queue_stats import AgentMissedOffer, AgentStatusSpan, QueueCall

SERVICE_LEVEL_DEFAULT = 20
SERVICE_LEVEL_RANGE = (1, 3600)  # seconds
ON_BREAK = "On Break"


def _decimal(value, places: str = "0.1") -> Decimal:
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


@dataclass
class QueueFigures:
    key: Optional[str]  # the queue's id; "all" for the overall row
    label: str
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    timed_out: int = 0
    answered_within: int = 0  # answered within the service level's seconds
    wait_seconds: int = 0  # summed
    longest_wait_seconds: int = 0

    @property
    def service_level(self) -> Optional[Decimal]:
        """Percent of the offered calls answered within the threshold."""
        return _decimal(100 * self.answered_within / self.offered) if self.offered else None

    @property
    def average_wait_seconds(self) -> Optional[Decimal]:
        return _decimal(self.wait_seconds / self.offered) if self.offered else None


def _queue_measures(service_level_s: int):
    answered = QueueCall.outcome == "answered"
    count = lambda condition: func.coalesce(func.sum(case((condition, 1), else_=0)), 0)  # noqa: E731
    return (func.count(QueueCall.id), count(answered), count(QueueCall.outcome == "abandoned"),
            count(QueueCall.outcome.in_(("timeout", "exited"))),
            count(and_(answered, QueueCall.wait_seconds <= service_level_s)),
            func.coalesce(func.sum(QueueCall.wait_seconds), 0), func.coalesce(func.max(QueueCall.wait_seconds), 0))


def _queue_row(key, label, measures) -> QueueFigures:
    return QueueFigures(key, label, *(int(value or 0) for value in measures))


def _queue_calls_in(tenant_id: int, span: Period):
    return and_(QueueCall.tenant_id == tenant_id, QueueCall.joined_at >= span.start, QueueCall.joined_at < span.end)


def queues(db: Session, tenant_id: int, span: Period, service_level_s: int = SERVICE_LEVEL_DEFAULT) -> list[QueueFigures]:
    """One row per queue of the company (today's queues, with or without calls, and any deleted queue
    that had calls in the period), by name."""
    names = dict(db.exec(select(CallQueue.id, CallQueue.name).where(CallQueue.tenant_id == tenant_id)).all())
    rows = db.exec(select(QueueCall.queue_id, *_queue_measures(service_level_s))
                   .where(_queue_calls_in(tenant_id, span)).group_by(QueueCall.queue_id)).all()
    found = {queue_id: _queue_row(str(queue_id), names.get(queue_id, ""), measures) for queue_id, *measures in rows}
    for queue_id, name in names.items():
        found.setdefault(queue_id, QueueFigures(str(queue_id), name))
    return sorted(found.values(), key=lambda row: (row.label == "", row.label.lower(), int(row.key)))


def queues_overall(db: Session, tenant_id: int, span: Period, service_level_s: int = SERVICE_LEVEL_DEFAULT) -> QueueFigures:
    measures = db.exec(select(*_queue_measures(service_level_s)).where(_queue_calls_in(tenant_id, span))).one()
    return _queue_row("all", "", measures)


@dataclass
class AgentFigures:
    key: str  # the user's id
    label: str
    calls: int = 0
    talk_seconds: int = 0
    logged_in_seconds: int = 0
    break_seconds: int = 0
    missed_offers: int = 0

    @property
    def average_handling_seconds(self) -> Optional[Decimal]:
        return _decimal(self.talk_seconds / self.calls) if self.calls else None


def _overlap(started: datetime, ended: Optional[datetime], span: Period, now: datetime) -> int:
    """Seconds of [started, ended or now) inside the period."""
    start = max(started, span.start)
    end = min(ended or now, span.end, now)
    return max(0, int((end - start).total_seconds()))


def agents(db: Session, tenant_id: int, span: Period, now: datetime) -> list[AgentFigures]:
    """One row per user who is an agent of one of the company's queues today or has figures in the
    period, by name."""
    names = _user_names(db, tenant_id)
    found: dict[int, AgentFigures] = {}

    def row(user_id: int) -> AgentFigures:
        if user_id not in found:
            found[user_id] = AgentFigures(str(user_id), names.get(user_id, ""))
        return found[user_id]

    for tiers in db.exec(select(CallQueue.tiers).where(CallQueue.tenant_id == tenant_id)).all():
        for tier in tiers or []:
            if isinstance(tier, dict) and tier.get("user_id") in names:
                row(tier["user_id"])
    calls = db.exec(select(QueueCall.agent_user_id, func.count(QueueCall.id), func.coalesce(func.sum(QueueCall.talk_seconds), 0))
                    .where(_queue_calls_in(tenant_id, span), QueueCall.outcome == "answered",
                           QueueCall.agent_user_id.is_not(None))
                    .group_by(QueueCall.agent_user_id)).all()
    for user_id, count, talk in calls:
        figures = row(user_id)
        figures.calls, figures.talk_seconds = int(count), int(talk)
    missed = db.exec(select(AgentMissedOffer.user_id, func.count(AgentMissedOffer.id))
                     .where(AgentMissedOffer.tenant_id == tenant_id, AgentMissedOffer.offered_at >= span.start,
                            AgentMissedOffer.offered_at < span.end)
                     .group_by(AgentMissedOffer.user_id)).all()
    for user_id, count in missed:
        row(user_id).missed_offers = int(count)
    spans = db.exec(select(AgentStatusSpan.user_id, AgentStatusSpan.status, AgentStatusSpan.started_at,
                           AgentStatusSpan.ended_at)
                    .where(AgentStatusSpan.tenant_id == tenant_id, AgentStatusSpan.started_at < span.end,
                           or_(AgentStatusSpan.ended_at.is_(None), AgentStatusSpan.ended_at > span.start))).all()
    for user_id, status, started, ended in spans:
        seconds = _overlap(started, ended, span, now)
        figures = row(user_id)
        figures.logged_in_seconds += seconds  # every span is a logged-in status (web.domain.queue_stats)
        if status == ON_BREAK:
            figures.break_seconds += seconds
    return sorted(found.values(), key=lambda item: (item.label == "", item.label.lower(), int(item.key)))
