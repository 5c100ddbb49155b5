"""The queue and agent reports' rows (#17 item 3) from mod_callcenter's callcenter::info events; the
writing is web.domain.queue_stats'. Kept apart from fs_bridge.agents (the live agent state) so that each
stays small: this module only reads headers and calls one write per event it cares about.

    member-queue-end      a call left a queue: answered (CC-Cause Terminated, with the agent and the
                          answer time; sent when the agent's call ends) or not (Cancel and its reason)
    bridge-agent-fail     an offer the agent did not take
    agent-status-change   the status the agent holds now, as fs_bridge.agents recorded it in queue_agent
                          (it runs first: handlers.MODULES lists it before this one), so the bridge's own
                          'Logged Out' hold of an agent without a phone is not taken for a logout

Queue calls and missed offers are collected per batch and inserted when it commits (one statement
each, through fs_bridge.writes' before-commit hooks; ON CONFLICT DO NOTHING, which its plain inserts
do not do), so a batch of events costs no round trip per queue call and
does not flush the agents module's pending changes early. Queue names are q<queue id>[w<n>]@<domain>
(web.domain.callcenter), agent names u<user id>@<domain>."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from typing import Optional

from sqlmodel import select

from fs_bridge.events import Event
from web import clock
from web.domain import queue_stats
from web.domain.agents import parse_agent_name
from web.models.live import QueueAgent

_QUEUE = re.compile(r"q([0-9]{1,18})(?:w[0-9]{1,9})?@([a-z0-9.-]{1,253})\Z")


def _epoch(value: Optional[str]) -> Optional[datetime]:
    value = (value or "").strip()
    if not value.isdigit() or int(value) == 0:
        return None
    return datetime.fromtimestamp(int(value), tz=timezone.utc)


def _queue(ctx, event: Event) -> Optional[tuple[int, int]]:
    """(tenant id, queue id) of the event's queue, when it is one of ours."""
    found = _QUEUE.match(event.get("CC-Queue") or "")
    if found is None:
        return None
    tenant_id = ctx.tenant_id(found.group(2))
    return (tenant_id, int(found.group(1))) if tenant_id is not None else None


def _pending(ctx) -> dict[str, list[dict]]:
    """This batch's rows to insert, written just before it commits."""
    pending = getattr(ctx, "queue_stats_rows", None)
    if pending is None:
        pending = ctx.queue_stats_rows = {"calls": [], "missed": []}
        ctx.writes.before_commit("queue_stats", lambda db: _write(db, pending))  # fs_bridge.writes
    return pending


def _write(db, pending: dict[str, list[dict]]) -> None:
    queue_stats.insert_queue_calls(db, pending["calls"])
    queue_stats.insert_missed_offers(db, pending["missed"])


def _agent_user(tenant_id: int, domain_of, name: Optional[str]) -> Optional[int]:
    parsed = parse_agent_name(name or "")
    if parsed is None or domain_of(parsed[1]) != tenant_id:
        return None
    return parsed[0]


def member_queue_end(ctx, event: Event) -> None:
    queue = _queue(ctx, event)
    outcome = queue_stats.outcome(event.get("CC-Cause", ""), event.get("CC-Cancel-Reason", ""))
    member = event.get("CC-Member-UUID") or ""
    if queue is None or outcome is None or not member:
        return
    tenant_id, queue_id = queue
    left_at = _epoch(event.get("CC-Member-Leaving-Time")) or event.at
    joined_at = _epoch(event.get("CC-Member-Joined-Time")) or left_at
    answered_at = agent = None
    if outcome == "answered":
        answered_at = _epoch(event.get("CC-Agent-Answered-Time"))
        agent = _agent_user(tenant_id, ctx.tenant_id, event.get("CC-Agent"))
    _pending(ctx)["calls"].append(queue_stats.queue_call_values(
        tenant_id=tenant_id, queue_id=queue_id, member_uuid=member,
        call_uuid=event.get("CC-Member-Session-UUID") or "", caller_number=event.get("CC-Member-CID-Number") or "",
        joined_at=joined_at, left_at=left_at, outcome=outcome, answered_at=answered_at, agent_user_id=agent))


def bridge_agent_fail(ctx, event: Event) -> None:
    queue = _queue(ctx, event)
    if queue is None:
        return
    tenant_id, queue_id = queue
    user_id = _agent_user(tenant_id, ctx.tenant_id, event.get("CC-Agent"))
    if user_id is None:
        return
    row = queue_stats.missed_offer_values(
        tenant_id=tenant_id, user_id=user_id, queue_id=queue_id, member_uuid=event.get("CC-Member-UUID") or "",
        call_uuid=event.get("CC-Member-Session-UUID") or "",
        offered_at=_epoch(event.get("CC-Agent-Called-Time")) or event.at, cause=event.get("CC-Hangup-Cause") or "")
    if row is not None:
        _pending(ctx)["missed"].append(row)


def agent_status_change(ctx, event: Event) -> None:
    parsed = parse_agent_name(event.get("CC-Agent") or "")
    if parsed is None:
        return
    user_id, domain = parsed
    tenant_id = ctx.tenant_id(domain)
    if tenant_id is None:
        return
    # what fs_bridge.agents made of the event: the agent's status (None: no agent of that tenant)
    status = ctx.db.exec(select(QueueAgent.status).where(QueueAgent.user_id == user_id,
                                                         QueueAgent.tenant_id == tenant_id)).first()
    if status is not None:
        queue_stats.record_status(ctx.db, tenant_id, user_id, status, event.at)


_ACTIONS = {"member-queue-end": member_queue_end, "bridge-agent-fail": bridge_agent_fail,
            "agent-status-change": agent_status_change}


def on_info(ctx, event: Event) -> None:
    handler = _ACTIONS.get(event.get("CC-Action", ""))
    if handler is not None:
        handler(ctx, event)


HANDLES = {"callcenter::info": on_info}

RECONCILE_EVERY_S = 60.0


def tick(ctx) -> None:
    """Now and then, the status spans made to agree with queue_agent (web.domain.queue_stats.reconcile_spans):
    agents logged in before spans were recorded, changes taken over after a reconnect."""
    bridge = ctx.bridge
    due = getattr(bridge, "queue_stats_reconcile_at", 0.0)
    if time.monotonic() < due:
        return
    bridge.queue_stats_reconcile_at = time.monotonic() + RECONCILE_EVERY_S
    queue_stats.reconcile_spans(ctx.db, clock.now())
