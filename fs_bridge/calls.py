"""Calls: the live view (ActiveCall rows, pushed to the web app) and call records from the events.

    CHANNEL_CREATE           an A leg appears: ActiveCall "ringing"
    CHANNEL_ANSWER           answered
    CHANNEL_BRIDGE           a person took it: who (the agent, or the phone the other leg rang)
    CHANNEL_EXECUTE push     cp_path=<plan>:<version>:<step>: the plan step the call is at now
                    callcenter  the call waits in a queue
                    transfer    a carrier's call leaves the public context for its company's (the tenant)
    CHANNEL_HANGUP_COMPLETE  the ActiveCall goes; the record is stored (web.domain.call_records, source "events")

Only A legs are calls: a B leg (bridged by the dialplan, or mod_callcenter's agent leg) is part of its A
leg's call and only tells its record who answered. The durable record is FreeSWITCH's CDR post; this
one makes the record appear at once and fills in whatever the CDR has not brought yet. Every handler is
a few indexed queries in the batch's transaction; the spool folder is read by `tick`, outside any batch."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime
from typing import Optional

from sqlmodel import select

from callplan import outbound
from web import clock
from web.domain import call_records
from web.models.call_record import CallRecord
from web.models.live import ActiveCall

log = logging.getLogger("fs_bridge.calls")
_TABLE = ActiveCall.__table__
_EMERGENCY = frozenset(number for numbers in outbound.EMERGENCY.values() for number in numbers) | {"112", "999"}


def _is_b_leg(event) -> bool:
    return event.get("Other-Type") == "originator" or bool(event.var("originator")) or event.var("cc_side") == "agent"


_ORIGIN = re.compile(r"[0-9A-Za-z-]{8,64}")


def _origin(ctx, event) -> Optional[str]:
    """The home switch's leg of a call another switch handed over (callplan.home): that switch's uuid of
    the call, whose live row this leg's events update (one call, one tile), or None. At CHANNEL_CREATE the
    dialplan has not run yet: the INVITE's headers tell it, believed only with the installation's token;
    afterwards the public context's cp_home_origin (set after the same check) does, and the leg is
    remembered."""
    from callplan import home

    origins = _continuations(ctx)
    if event.uuid in origins:
        return origins[event.uuid]
    origin = event.var(home.ORIGIN_VARIABLE) or ""
    if not origin:
        header = event.var(f"sip_h_{home.ORIGIN_HEADER}") or ""
        if header and _handover_token(ctx) and event.var(f"sip_h_{home.HEADER}") == _handover_token(ctx):
            origin = header
    if not _ORIGIN.fullmatch(origin) or origin == event.uuid:
        return None
    origins[event.uuid] = origin
    return origin


def _continuations(ctx) -> dict[str, str]:
    """This switch's legs of handed-over calls: their uuid -> the forwarding switch's uuid of the call."""
    bridge = ctx.bridge
    if not hasattr(bridge, "home_continuations"):
        bridge.home_continuations = {}
    return bridge.home_continuations


def _handover_token(ctx) -> str:
    bridge = ctx.bridge
    if not hasattr(bridge, "home_token"):
        from web.domain.switches import handover_token

        bridge.home_token = handover_token(ctx.settings) if getattr(ctx.settings, "home_switch", "") else ""
    return bridge.home_token


def _domain(event) -> Optional[str]:
    for candidate in (event.var("domain_name"), event.get("Caller-Context"), event.var("dialed_domain")):
        if candidate and candidate not in (call_records.PUBLIC_CONTEXT, "default"):
            return candidate
    return None


def _tenant(ctx, event) -> Optional[int]:
    tenant = event.var("cp_tenant_id")
    if tenant and tenant.isdigit():
        return int(tenant)
    return ctx.tenant_id(_domain(event))


def _calls(ctx) -> dict[str, dict]:
    """The live calls this process knows, uuid -> the ActiveCall's columns: what a "call" message carries
    (a state, not a delta), kept here so an ANSWER or a step costs no SELECT. The table is the truth: a
    call not in here (the bridge restarted mid-call) is read from it once."""
    bridge = ctx.bridge
    if not hasattr(bridge, "live_calls"):
        bridge.live_calls = {}
    return bridge.live_calls


def _batch_cache(ctx) -> dict:
    """Lookups that hold for one batch (a tenant's country and rates for pricing records)."""
    if not hasattr(ctx, "call_records_cache"):
        ctx.call_records_cache = {}
    return ctx.call_records_cache


def _direction(event) -> str:
    if event.get("Caller-Context") == call_records.PUBLIC_CONTEXT or event.var("sofia_profile_name") == call_records.EXTERNAL_PROFILE:
        return "inbound"
    dialled = event.var("cp_dialled") or event.var("sip_req_user") or event.get("Caller-Destination-Number") or ""
    if dialled in _EMERGENCY:
        return "outbound"  # short like an extension, but out through the gateway (the record knows the country)
    return "internal" if call_records.is_internal_number(dialled) else "outbound"


_COLUMNS = ("tenant_id", "call_uuid", "direction", "caller_number", "caller_name", "dialled_number", "state",
            "started_at", "answered_at", "plan_id", "step", "user_id", "queue_id", "steps", "bridged_at", "switch")
_NOT_SENT = ("tenant_id", "switch")  # which switch a call is on is the platform's business, not the tenant's


def live_data(call: dict) -> dict:
    return {name: (value.isoformat() if isinstance(value, datetime) else value)
            for name, value in call.items() if name not in _NOT_SENT}


def _publish(ctx, call: dict) -> None:
    ctx.publish(call["tenant_id"], "call", live_data(call))


def _touch(ctx, call: dict) -> None:
    """Write this call's state when the batch commits (fs_bridge.writes): a call that rings, is answered
    and passes four steps within one batch is one row write, not six (and none when it also ends in the
    batch)."""
    ctx.writes.upsert(_TABLE, "call_uuid", call)


def _update(ctx, call: dict, **changes) -> None:
    call.update(changes)
    _touch(ctx, call)
    _publish(ctx, call)


def _text(value: Optional[str], length: int) -> str:
    return (value or "").replace("\x00", "")[:length]  # a caller ID is what the far end says: no NULs in text


def _from_event(ctx, event) -> dict:
    return {"tenant_id": _tenant(ctx, event), "call_uuid": _text(event.uuid, 64), "direction": _direction(event),
            "caller_number": _text(event.get("Caller-Caller-ID-Number"), 64),
            "caller_name": _text(event.get("Caller-Caller-ID-Name"), 100),
            "dialled_number": _text(event.var("sip_req_user") or event.get("Caller-Destination-Number"), 64),
            "state": "ringing", "started_at": event.at, "answered_at": None, "plan_id": None, "step": None,
            "user_id": None, "queue_id": None, "steps": [], "bridged_at": None, "switch": ctx.settings.switch}


def channel_create(ctx, event) -> None:
    if _is_b_leg(event) or not event.uuid or _origin(ctx, event):
        return
    calls = _calls(ctx)
    call = calls.get(event.uuid)
    if call is None:
        call = calls[event.uuid] = _from_event(ctx, event)
    _touch(ctx, call)  # a replay finds it there and writes the same row again
    _publish(ctx, call)


def _known(ctx, event) -> Optional[dict]:
    """The A leg's live call; one we never saw start (the bridge started mid-call) is made from this event."""
    if _is_b_leg(event) or not event.uuid:
        return None
    origin = _origin(ctx, event)
    if origin is not None:
        return _continued(ctx, origin)
    calls = _calls(ctx)
    call = calls.get(event.uuid)
    if call is None:
        # a row this batch deletes at commit (the call ended) is gone already, as far as events go
        row = None if ctx.writes.pending_delete(_TABLE, "call_uuid", event.uuid) else \
            ctx.db.exec(select(ActiveCall).where(ActiveCall.call_uuid == event.uuid)).first()
        if row is not None:
            call = calls[event.uuid] = {name: getattr(row, name) for name in _COLUMNS}
        else:
            channel_create(ctx, event)
            call = calls[event.uuid]
    if call["tenant_id"] is None:
        tenant_id = _tenant(ctx, event)  # a carrier's call learns its tenant in the public context
        if tenant_id is not None:
            _update(ctx, call, tenant_id=tenant_id)
    return call


def _continued(ctx, origin: str) -> Optional[dict]:
    """The forwarding switch's live call a handed-over leg continues (its row, written by that switch's
    bridge): this leg's answer, steps and queue show on it. None when it is gone already (that switch's
    leg ended): the leg makes no call of its own."""
    calls = _calls(ctx)
    call = calls.get(origin)
    if call is None:
        row = ctx.db.exec(select(ActiveCall).where(ActiveCall.call_uuid == origin)).first()
        if row is None:
            return None
        call = calls[origin] = {name: getattr(row, name) for name in _COLUMNS}
    return call


def _handing_over(event) -> bool:
    """Is this the forwarding switch's leg of a call being bridged to the home switch (callplan.home)?
    Its answer and bridge are the home leg's answer, which that switch's bridge tells (queued, then who
    took it): this leg's own copy of the row, older, must not overwrite it."""
    from callplan import home

    return event.var("current_application") == "bridge" and \
        f"/{home.PROFILE}/{home.PREFIX}" in (event.var("current_application_data") or "")


def channel_answer(ctx, event) -> None:
    if _handing_over(event):
        return
    call = _known(ctx, event)
    if call is not None:
        _update(ctx, call, state="answered", answered_at=call["answered_at"] or event.at)


def channel_bridge(ctx, event) -> None:
    if _handing_over(event):
        return
    call = _known(ctx, event)
    if call is None:
        return
    from web.models.pbx_user import PbxUser

    user_id = call["user_id"]
    agent = call_records._AGENT.match(event.var("cc_agent") or "")
    if agent:
        user_id = int(agent.group(1))
    elif call["tenant_id"] is not None:
        number = event.get("Other-Leg-Destination-Number") or event.get("Other-Leg-Callee-ID-Number") or ""
        if call_records.is_internal_number(number):
            user_id = ctx.db.exec(select(PbxUser.id).where(PbxUser.tenant_id == call["tenant_id"],
                                                           PbxUser.extension == number)).first() or user_id
    _update(ctx, call, state="answered", answered_at=call["answered_at"] or event.at, user_id=user_id,
            bridged_at=call.get("bridged_at") or event.at)


_QUEUE = re.compile(r"^q([0-9]{1,18})(?:w[0-9]+)?@")  # mod_callcenter queue names (web.domain.callcenter)


def channel_execute(ctx, event) -> None:
    if event.get("Application") == "callcenter":  # it waits in a queue now (the agent panel names it)
        queue = _QUEUE.match((event.get("Application-Data") or "").strip())
        call = _known(ctx, event) if queue else None
        if call is not None:
            _update(ctx, call, queue_id=int(queue.group(1)), state="queued")
        return
    if event.get("Application") != "push":
        call = _calls(ctx).get(event.uuid)
        if call is not None and call["tenant_id"] is None and _domain(event):
            _known(ctx, event)
        return
    name, _, value = (event.get("Application-Data") or "").partition("=")
    if name.strip() != "cp_path":
        return
    steps = call_records.parse_path([value.strip()])
    if not steps:
        return
    call = _known(ctx, event)
    if call is not None:
        step = steps[0]["step"][:64]
        taken = list(call.get("steps") or [])[-49:] + [step]  # the path so far, for the agent's call card
        _update(ctx, call, plan_id=steps[0]["plan_id"], step=step, steps=taken)


def _records(ctx) -> call_records.RecordBatch:
    """The batch's new call records, inserted together before it commits."""
    batch = getattr(ctx, "call_records_batch", None)
    if batch is None:
        batch = ctx.call_records_batch = call_records.RecordBatch(ctx.db, lookup=ctx.tenant_id, cache=_batch_cache(ctx))
        ctx.writes.before_commit("call_records", lambda db: batch.flush())
    return batch


def channel_hangup_complete(ctx, event) -> None:
    origin = _origin(ctx, event) if event.uuid else None
    _continuations(ctx).pop(event.uuid, None)
    if origin is not None:
        # the call's row and its end are the forwarding switch's (its bridge removes the row); this leg's
        # record only completes that call's record (web.domain.call_records: cp_home_origin)
        _calls(ctx).pop(origin, None)
    _calls(ctx).pop(event.uuid, None)
    if event.uuid and origin is None:
        ctx.writes.delete(_TABLE, "call_uuid", event.uuid)
    facts = call_records.from_event(event)
    if not facts.call_uuid:
        return
    stored = _records(ctx).add(facts, "events")
    if stored is None:
        return  # a B leg: it completed its A leg's record, if that was there
    # the message is made after commit: the record's id is known once the batch's rows are written
    ctx.publish_later(lambda: (stored.record.tenant_id, "call_ended", ended_data(stored.record)))


def ended_data(record: CallRecord) -> dict:
    return {"call_uuid": record.call_uuid, "record_id": record.id, "direction": record.direction,
            "caller_number": record.caller_number, "dialled_number": record.dialled_number,
            "answered_by": record.answered_by, "answered_by_user_id": record.answered_by_user_id,
            "missed": record.missed, "duration_seconds": record.duration_seconds,
            "billed_seconds": record.billed_seconds, "hangup_cause": record.hangup_cause}


def on_connected(ctx) -> None:
    """After a (re)connect: calls that ended while the bridge was away would stay "live" for ever, so
    every ActiveCall FreeSWITCH no longer has goes (only those older than the question: a call that
    starts meanwhile is FreeSWITCH's news, not a leftover). Runs in a greenlet of its own, so it may wait
    for FreeSWITCH's answer; no answer, or one it cannot read, changes nothing."""
    asked_at = clock.now()
    reply = ctx.bridge.api("show channels as json")
    live = channel_uuids(reply)
    if live is None:
        return
    # only this switch's calls (and those of rows written before switches were told apart): the other
    # switches' bridges answer for theirs
    gone = ctx.db.exec(select(ActiveCall).where(ActiveCall.started_at < asked_at,
                                                ActiveCall.switch.in_((ctx.settings.switch, "")))).all()
    for row in gone:
        if row.call_uuid not in live:
            _calls(ctx).pop(row.call_uuid, None)
            ctx.db.delete(row)
            ctx.publish(row.tenant_id, "call_ended", {"call_uuid": row.call_uuid, "record_id": None})


def channel_uuids(reply: Optional[str]) -> Optional[set[str]]:
    """The uuids in `show channels as json` ({"row_count": n, "rows": [{"uuid": ...}]}, mod_commands.c;
    no "rows" when there are none); None for anything else."""
    if not reply or not reply.lstrip().startswith("{"):
        return None
    try:
        answer = json.loads(reply)
    except ValueError:
        return None
    if not isinstance(answer, dict) or "row_count" not in answer:
        return None
    return {row.get("uuid") for row in answer.get("rows") or [] if isinstance(row, dict) and row.get("uuid")}


def tick(ctx) -> None:
    """Records mod_xml_cdr could not post (the app was away): collected from its spool folder, each in
    its own transaction, the file deleted after commit. And the calls of a switch whose bridge stopped."""
    stored = call_records.collect_spool(ctx.bridge.engine, ctx.settings)
    if stored:
        log.info("stored %d call record(s) from the CDR spool folder", stored)
    forget_dead_switches(ctx)


def forget_dead_switches(ctx) -> None:
    """The live calls of a switch whose bridge has been silent for DEAD_AFTER: nobody will tell of their
    end (the switch died, or its bridge did and reads them again when it comes back), so any bridge
    still running drops them, telling the pages as for a call that ended. Until then the live snapshot
    shows them stale (web/api/live_state.py)."""
    from web.models.bridge_status import dead_switches

    dead = dead_switches(ctx.db, clock.now()) - {ctx.settings.switch, ""}
    if not dead:
        return
    for row in ctx.db.exec(select(ActiveCall).where(ActiveCall.switch.in_(dead))).all():
        _calls(ctx).pop(row.call_uuid, None)
        ctx.db.delete(row)
        ctx.publish(row.tenant_id, "call_ended", {"call_uuid": row.call_uuid, "record_id": None})


# Of the applications a call runs (a dozen set, export, bridge, ...: each a CHANNEL_EXECUTE with every
# channel variable), FreeSWITCH sends the bridge only these (fs_bridge.handlers.filters)
EXECUTED = ("push", "callcenter", "transfer")
ONLY = {"CHANNEL_EXECUTE": ("Application", EXECUTED)}

HANDLES = {
    "CHANNEL_CREATE": channel_create,
    "CHANNEL_ANSWER": channel_answer,
    "CHANNEL_BRIDGE": channel_bridge,
    "CHANNEL_EXECUTE": channel_execute,
    "CHANNEL_HANGUP_COMPLETE": channel_hangup_complete,
}
