"""Calls: the live view (ActiveCall rows, pushed to the web app) and call records from the events.

    CHANNEL_CREATE           an A leg appears: ActiveCall "ringing"
    CHANNEL_ANSWER           answered
    CHANNEL_BRIDGE           a person took it: who (the agent, or the phone the other leg rang)
    CHANNEL_EXECUTE push     cp_path=<plan>:<version>:<step>: the plan step the call is at now
    CHANNEL_HANGUP_COMPLETE  the ActiveCall goes; the record is stored (web.call_records, source "events")

Only A legs are calls: a B leg (bridged by the dialplan, or mod_callcenter's agent leg) is part of its A
leg's call and only tells its record who answered. The durable record is FreeSWITCH's CDR post; this
one makes the record appear at once and fills in whatever the CDR has not brought yet. Every handler is
a few indexed queries in the batch's transaction; the spool folder is read by `tick`, outside any batch."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Optional

from sqlmodel import select

from web import call_records
from web.models.call_record import CallRecord
from web.models.live import ActiveCall

log = logging.getLogger("fs_bridge.calls")


def _is_b_leg(event) -> bool:
    return event.get("Other-Type") == "originator" or bool(event.var("originator")) or event.var("cc_side") == "agent"


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


def _active(ctx, uuid: str) -> Optional[ActiveCall]:
    return ctx.db.exec(select(ActiveCall).where(ActiveCall.call_uuid == uuid)).first() if uuid else None


def _direction(event) -> str:
    if event.get("Caller-Context") == call_records.PUBLIC_CONTEXT or event.var("sofia_profile_name") == call_records.EXTERNAL_PROFILE:
        return "inbound"
    dialled = event.var("cp_dialled") or event.var("sip_req_user") or event.get("Caller-Destination-Number") or ""
    return "internal" if call_records.is_internal_number(dialled) else "outbound"


def live_data(call: ActiveCall) -> dict:
    def iso(value: Optional[datetime]) -> Optional[str]:
        return value.isoformat() if value is not None else None

    return {"call_uuid": call.call_uuid, "direction": call.direction, "caller_number": call.caller_number,
            "caller_name": call.caller_name, "dialled_number": call.dialled_number, "state": call.state,
            "started_at": iso(call.started_at), "answered_at": iso(call.answered_at), "plan_id": call.plan_id,
            "step": call.step, "user_id": call.user_id}


def _publish(ctx, call: ActiveCall) -> None:
    ctx.publish(call.tenant_id, "call", live_data(call))


def channel_create(ctx, event) -> None:
    if _is_b_leg(event) or _active(ctx, event.uuid) is not None:
        return  # a replay after a reconnect finds it already there
    call = ActiveCall(
        tenant_id=_tenant(ctx, event), call_uuid=event.uuid[:64], direction=_direction(event),
        caller_number=(event.get("Caller-Caller-ID-Number") or "")[:64],
        caller_name=(event.get("Caller-Caller-ID-Name") or "")[:100],
        dialled_number=(event.var("sip_req_user") or event.get("Caller-Destination-Number") or "")[:64],
        state="ringing", started_at=event.at)
    ctx.db.add(call)
    ctx.db.flush()
    if call.tenant_id is None:
        _untenanted(ctx).add(call.call_uuid)
    _publish(ctx, call)


def _known(ctx, event) -> Optional[ActiveCall]:
    """The A leg's ActiveCall; one we missed (the bridge started mid-call) is made from this event."""
    if _is_b_leg(event):
        return None
    call = _active(ctx, event.uuid)
    if call is None:
        channel_create(ctx, event)
        call = _active(ctx, event.uuid)
    elif call.tenant_id is None:
        call.tenant_id = _tenant(ctx, event)  # a carrier's call learns its tenant in the public context
        if call.tenant_id is not None:
            _untenanted(ctx).discard(call.call_uuid)
            ctx.db.add(call)
            _publish(ctx, call)
    return call


def channel_answer(ctx, event) -> None:
    call = _known(ctx, event)
    if call is None:
        return
    call.state, call.answered_at = "answered", call.answered_at or event.at
    ctx.db.add(call)
    _publish(ctx, call)


def channel_bridge(ctx, event) -> None:
    call = _known(ctx, event)
    if call is None:
        return
    from web.models.pbx_user import PbxUser

    user_id = None
    agent = call_records._AGENT.match(event.var("cc_agent") or "")
    if agent:
        user_id = int(agent.group(1))
    elif call.tenant_id is not None:
        number = event.get("Other-Leg-Destination-Number") or event.get("Other-Leg-Callee-ID-Number") or ""
        if call_records.is_internal_number(number):
            user_id = ctx.db.exec(select(PbxUser.id).where(PbxUser.tenant_id == call.tenant_id,
                                                           PbxUser.extension == number)).first()
    call.state, call.answered_at = "answered", call.answered_at or event.at
    if user_id is not None:
        call.user_id = user_id
    ctx.db.add(call)
    _publish(ctx, call)


def _untenanted(ctx) -> set:
    """uuids of live calls whose tenant is not known yet (a carrier's call, until the public context
    sets domain_name): only their CHANNEL_EXECUTE events cost a query."""
    bridge = ctx.bridge
    if not hasattr(bridge, "calls_without_tenant"):
        bridge.calls_without_tenant = set()
    return bridge.calls_without_tenant


def channel_execute(ctx, event) -> None:
    if event.get("Application") != "push":
        if event.uuid in _untenanted(ctx) and _domain(event):
            _known(ctx, event)
        return
    name, _, value = (event.get("Application-Data") or "").partition("=")
    if name.strip() != "cp_path":
        return
    steps = call_records.parse_path([value.strip()])
    if not steps:
        return
    call = _known(ctx, event)
    if call is None:
        return
    call.plan_id, call.step = steps[0]["plan_id"], steps[0]["step"][:64]
    ctx.db.add(call)
    _publish(ctx, call)


def channel_hangup_complete(ctx, event) -> None:
    _untenanted(ctx).discard(event.uuid)
    call = _active(ctx, event.uuid)
    if call is not None:
        ctx.db.delete(call)
    facts = call_records.from_event(event.headers)
    if not facts.call_uuid:
        return
    record, _ = call_records.store(ctx.db, facts, "events", lookup=ctx.tenant_id)
    if record is None:
        return  # a B leg: it completed its A leg's record, if that was there
    ctx.publish(record.tenant_id, "call_ended", ended_data(record))


def ended_data(record: CallRecord) -> dict:
    return {"call_uuid": record.call_uuid, "record_id": record.id, "direction": record.direction,
            "caller_number": record.caller_number, "dialled_number": record.dialled_number,
            "answered_by": record.answered_by, "answered_by_user_id": record.answered_by_user_id,
            "missed": record.missed, "duration_seconds": record.duration_seconds,
            "billed_seconds": record.billed_seconds, "hangup_cause": record.hangup_cause}


def tick(ctx) -> None:
    """Records mod_xml_cdr could not post (the app was away): collected from its spool folder, each in
    its own transaction, the file deleted after commit."""
    stored = call_records.collect_spool(ctx.bridge.engine, ctx.settings)
    if stored:
        log.info("stored %d call record(s) from the CDR spool folder", stored)


HANDLES = {
    "CHANNEL_CREATE": channel_create,
    "CHANNEL_ANSWER": channel_answer,
    "CHANNEL_BRIDGE": channel_bridge,
    "CHANNEL_EXECUTE": channel_execute,
    "CHANNEL_HANGUP_COMPLETE": channel_hangup_complete,
}
