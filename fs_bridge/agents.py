"""Queue agents mirrored from mod_callcenter's callcenter::info events into queue_agent, pushed to the
live view ("agent") and to webhook subscribers ("agent_status").

mod_callcenter fires agent-status-change (CC-Agent, CC-Agent-Status) and agent-state-change
(CC-Agent-State) from cc_agent_update, whoever made the change: a feature code, the web API, the
queue's own agent-no-answer-status, or the bridge holding an agent without a phone 'Logged Out'
(fs_bridge/registrations.py). That last one is not the agent's choice and must not be recorded as one:
a 'Logged Out' for an agent who chose 'Available' and has no registered phone is the hold, and the
choice stays. Every other status is what the agent (or FreeSWITCH for it) now holds, and is recorded.

A change of status (not one the bridge already knew) is set on every other switch's mod_callcenter too
(tell_other_switches), so an agent who dials *22 through one switch is offered calls by the queues of all.

The event carries no more than the agent's name: u<user id>@<domain> (web/xml_curl/configuration.py)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Optional

from fs_bridge.events import Event
from web import clock
from web.domain import queue_stats
from web.domain.callcenter import status_commands
from web.domain.agents import (AGENT_STATUSES, API_WORDS, AVAILABLE, LOGGED_OUT, account_status, agent_row, effective,
                               parse_agent_name, registered_users, roll_day, status_command, user_registered)
from web.models.live import QueueAgent
from web.models.pbx_user import PbxUser

log = logging.getLogger("fs_bridge")

LIST_COMMAND = "callcenter_config agent list"
CALL_ACTIONS = ("agent-offering", "bridge-agent-start", "bridge-agent-end", "bridge-agent-fail")


def publish_agent(ctx, row: QueueAgent, **extra) -> None:
    # the fields of the live snapshot's agents (web/api/live_state.py), so a change replaces its entry
    ctx.publish(row.tenant_id, "agent", {
        "user_id": row.user_id, "status": row.status, "state": row.state,
        "phone_registered": row.phone_registered,
        "offered": row.status == AVAILABLE and row.phone_registered,
        "status_changed_at": row.status_changed_at.isoformat() if row.status_changed_at else None, **extra})


def _webhook(ctx, row: QueueAgent, freeswitch_status: str, event: Event) -> None:
    try:  # written beside this module by another change; until it is there, agents only go live
        from fs_bridge.notices import enqueue_webhooks
    except ImportError:
        return
    payload = {"user_id": row.user_id, "status": API_WORDS.get(row.status, row.status),
               "freeswitch_status": freeswitch_status, "phone_registered": row.phone_registered,
               "offered": row.status == AVAILABLE and row.phone_registered, "at": event.at.isoformat()}
    # one key per FreeSWITCH event: a replayed event (reconnect) gives the same key, not a second POST
    key = f"agent_status:{event.get('Core-UUID', '')}:{event.get('Event-Sequence', '')}:{row.user_id}"
    enqueue_webhooks(ctx, row.tenant_id, "agent_status", payload, key)


def _agent(ctx, name: Optional[str]) -> Optional[tuple[int, int, str]]:
    """(tenant id, user id, domain) for an agent name of ours whose user exists in that tenant."""
    parsed = parse_agent_name(name or "")
    if parsed is None:
        return None
    user_id, domain = parsed
    tenant_id = ctx.tenant_id(domain)
    if tenant_id is None:
        return None
    user = ctx.db.get(PbxUser, user_id)
    if user is None or user.tenant_id != tenant_id:
        return None
    return tenant_id, user_id, domain


def on_info(ctx, event: Event) -> None:
    action = event.get("CC-Action", "")
    if action not in ("agent-status-change", "agent-state-change") + CALL_ACTIONS:
        return  # queue and member bookkeeping: the call records follow calls, not this
    found = _agent(ctx, event.get("CC-Agent"))
    if found is None:
        return
    tenant_id, user_id, domain = found
    row = agent_row(ctx.db, tenant_id, user_id)
    registered = user_registered(ctx.db, tenant_id, user_id)
    row.phone_registered = registered
    row.updated_at = clock.now()
    if action == "agent-status-change":
        status = event.get("CC-Agent-Status", "")
        if status not in AGENT_STATUSES:
            return
        held = status == LOGGED_OUT and row.status == AVAILABLE and not registered
        if not held:
            account_status(ctx.db, row, status, event.at)
            changed = row.status != status
            if changed:
                row.status_changed_at = event.at
            row.status = status
            if status == AVAILABLE and not registered:
                # chosen without a phone (a console, another tool): keep the choice, hold it out of calls
                ctx.freeswitch(status_command(user_id, domain, effective(status, registered)))
            if changed:
                tell_other_switches(ctx, user_id, domain, effective(status, registered))
        ctx.db.add(row)
        publish_agent(ctx, row)
        _webhook(ctx, row, status, event)
    elif action == "agent-state-change":
        row.state = (event.get("CC-Agent-State") or row.state)[:32]
        ctx.db.add(row)
        publish_agent(ctx, row)
    else:  # a queue call offered to / bridged with the agent: the panel shows who is on the line
        follow_call(ctx, row, action, event)
        ctx.db.add(row)
        publish_agent(ctx, row, call={
            "action": action, "queue": event.get("CC-Queue"), "caller_number": event.get("CC-Member-CID-Number"),
            "caller_name": event.get("CC-Member-CID-Name"), "call_uuid": event.get("CC-Member-Session-UUID")})


def tell_other_switches(ctx, user_id: int, domain: str, status: str) -> None:
    """A status this switch's mod_callcenter took (a feature code, the queue's own no-answer status) set on
    every other switch too (Bridge.tell_every_switch): without a home switch each switch runs its own copy
    of the company's queues, and with one the agent's status must be right on the home switch whichever
    switch the agent dialled the code on (and on the others should the home switch change). The agent is
    loaded first there (web.domain.callcenter.status_commands). Only a change of what queue_agent held is
    told: the other switches' own agent-status-change events for it then find it held already, so they are
    not told back; a choice made in the web app is told to every switch by the app (web.domain.agents.send)."""
    ctx.every_switch(status_commands(user_id, domain, status_command(user_id, domain, status)), own=False)


def follow_call(ctx, row: QueueAgent, action: str, event: Event) -> None:
    """The agent panel's current call: the member's call (its A leg, the live call's uuid) while it is
    offered to or bridged with the agent, and the agent's own leg once bridged (bridge-agent-start names
    it in CC-Agent-UUID), which hold and attended transfer act on. An offer the agent did not take counts
    as missed today, unless another agent took it or the caller left first."""
    if action in ("agent-offering", "bridge-agent-start"):
        row.call_uuid = (event.get("CC-Member-Session-UUID") or "")[:64]
        row.agent_uuid = (event.get("CC-Agent-UUID") or "")[:64] if action == "bridge-agent-start" else ""
        return
    member = event.get("CC-Member-Session-UUID") or ""
    if not row.call_uuid or not member or member == row.call_uuid:
        row.call_uuid = row.agent_uuid = ""
    # the same rule as the agent reports' missed offers: an offer another agent won (ring-all) or the
    # caller left is no miss of this agent's
    if action == "bridge-agent-fail" and (event.get("CC-Hangup-Cause") or "") not in queue_stats.NOT_MISSED:
        roll_day(ctx.db, row, event.at)
        row.missed = (row.missed or 0) + 1


HANDLES = {"callcenter::info": on_info}


# --- after a (re)connect ------------------------------------------------------------------------------


def parse_agent_list(text: str) -> list[dict]:
    """`callcenter_config agent list`: a header line of names, one line per agent (fields split by |),
    then "+OK"."""
    lines = [line for line in (text or "").replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines or "|" not in lines[0]:
        return []
    names = lines[0].split("|")
    rows = []
    for line in lines[1:]:
        if line.startswith("+OK") or line.startswith("-ERR"):
            break
        values = line.split("|")
        if len(values) == len(names):
            rows.append(dict(zip(names, values)))
    return rows


def reconcile(ctx, reply: str) -> None:
    """Make FreeSWITCH and queue_agent agree after the bridge was away. Per agent, the newer side wins:
    a choice made in the web app while FreeSWITCH was unreachable (queue_agent.status_changed_at later
    than mod_callcenter's last_status_change) is sent; a change made in FreeSWITCH meanwhile (a feature
    code) is recorded. Either way FreeSWITCH ends up holding effective(choice, phone registered)."""
    registered_by_tenant: dict[int, set[int]] = {}
    for entry in parse_agent_list(reply):
        found = _agent(ctx, entry.get("name"))
        held = entry.get("status", "")
        if found is None or held not in AGENT_STATUSES:
            continue
        tenant_id, user_id, domain = found
        if tenant_id not in registered_by_tenant:
            registered_by_tenant[tenant_id] = registered_users(ctx.db, tenant_id)
        registered = user_id in registered_by_tenant[tenant_id]
        row = agent_row(ctx.db, tenant_id, user_id, create=False)
        if row is None:
            if held == LOGGED_OUT:
                continue  # nothing known, nothing to hold
            row = agent_row(ctx.db, tenant_id, user_id)
            row.status = held
            row.status_changed_at = _epoch(entry.get("last_status_change"))
        else:
            changed_in_freeswitch = _epoch(entry.get("last_status_change"))
            ours = row.status_changed_at
            freeswitch_newer = changed_in_freeswitch is not None and (ours is None or changed_in_freeswitch > ours)
            # 'Logged Out' while the bridge last knew no phone is its own hold (the phone may have come
            # back while the bridge was away), not the agent's choice
            our_hold = held == LOGGED_OUT and row.status == AVAILABLE and not row.phone_registered
            if held != effective(row.status, registered) and freeswitch_newer and not our_hold:
                row.status, row.status_changed_at = held, changed_in_freeswitch
        row.phone_registered = registered
        row.updated_at = clock.now()
        ctx.db.add(row)
        wanted = effective(row.status, registered)
        if wanted != held:
            ctx.freeswitch(status_command(user_id, domain, wanted))
        publish_agent(ctx, row)


def _epoch(value: Optional[str]) -> Optional[datetime]:
    value = (value or "").strip()
    if not value.isdigit() or int(value) == 0:
        return None
    return datetime.fromtimestamp(int(value), tz=timezone.utc)
