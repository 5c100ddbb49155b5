"""What is happening now, read from the database the bridge writes (web/models/live.py): active calls,
phones' registrations, queue agents, and the bridge's health.

The same snapshot is the first message of the live websocket (web/live.py), which then sends only
changes; GET /api/live/snapshot is for pages that poll, or reload after the socket dropped."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from pydantic import BaseModel
from sqlmodel import Session

from web import clock
from web.api.routing import api
from web.models.bridge_status import health, switch_health, worst as bridge_row
from web.models.device import Device
from web.models.live import ActiveCall, QueueAgent, SipRegistration
from web.models.pbx_user import PbxUser
from web.scoping import scoped


class CallPublic(BaseModel):
    id: int
    call_uuid: str
    direction: str
    caller_number: str
    caller_name: str
    dialled_number: str
    state: str
    started_at: datetime
    answered_at: Optional[datetime] = None
    plan_id: Optional[int] = None
    step: Optional[str] = None
    user_id: Optional[int] = None
    queue_id: Optional[int] = None
    steps: Optional[list[str]] = None
    bridged_at: Optional[datetime] = None
    # its switch's bridge is not following it now (stopped, or lost FreeSWITCH): it may have ended; the
    # other bridges drop it after a minute (fs_bridge.calls.forget_dead_switches)
    stale: bool = False


class RegistrationPublic(BaseModel):
    id: int
    sip_user: str
    realm: str
    device_id: Optional[int] = None
    device_name: Optional[str] = None
    user_id: Optional[int] = None
    contact: str
    network_ip: str
    network_port: Optional[int] = None
    user_agent: str
    expires_at: datetime
    registered_at: datetime
    stale: bool = False  # as a call's: its switch's bridge is not following it now


class AgentPublic(BaseModel):
    user_id: int
    name: str
    extension: str
    status: str
    state: str
    phone_registered: bool
    status_changed_at: Optional[datetime] = None


class BridgeHealth(BaseModel):
    """"connected", "disconnected" (the bridge runs, FreeSWITCH does not answer) or "down" (no bridge)."""
    health: str
    connected_since: Optional[datetime] = None
    last_event_at: Optional[datetime] = None
    heartbeat_at: Optional[datetime] = None
    reconnects: int = 0


class BridgeDetails(BridgeHealth):
    events: int = 0
    esl_address: Optional[str] = None  # the operator's: tenants learn nothing about the platform's hosts
    last_error: Optional[str] = None


class LiveSnapshot(BaseModel):
    calls: list[CallPublic]
    registrations: list[RegistrationPublic]
    agents: list[AgentPublic]
    bridge: BridgeHealth
    at: datetime


def unfollowed(db: Session, now: datetime) -> set[str]:
    """Switches whose bridge is not following them now (down, or without FreeSWITCH): their live rows are
    stale. A switch no bridge ever reported (rows of before #19, tests without a heartbeat) is not."""
    return {name for name, state in switch_health(db, now).items() if state != "connected"}


def registrations(db: Session, tenant_id: int, now: datetime, stale: Optional[set[str]] = None) -> list[RegistrationPublic]:
    rows = db.exec(scoped(SipRegistration, tenant_id).where(SipRegistration.expires_at > now)
                   .order_by(SipRegistration.sip_user, SipRegistration.id)).all()
    device_ids = {row.device_id for row in rows if row.device_id is not None}
    names = {device.id: device.name for device in db.exec(
        scoped(Device, tenant_id).where(Device.id.in_(device_ids))).all()} if device_ids else {}
    stale = unfollowed(db, now) if stale is None else stale
    return [RegistrationPublic(**row.model_dump(), device_name=names.get(row.device_id), stale=row.switch in stale)
            for row in rows]


def agents(db: Session, tenant_id: int) -> list[AgentPublic]:
    rows = db.exec(scoped(QueueAgent, tenant_id)).all()
    users = {user.id: user for user in db.exec(
        scoped(PbxUser, tenant_id).where(PbxUser.id.in_({row.user_id for row in rows}))).all()} if rows else {}
    found = [AgentPublic(user_id=agent.user_id, name=f"{users[agent.user_id].first_name} {users[agent.user_id].last_name}".strip(),
                         extension=users[agent.user_id].extension, status=agent.status, state=agent.state,
                         phone_registered=agent.phone_registered, status_changed_at=agent.status_changed_at)
             for agent in rows if agent.user_id in users]
    return sorted(found, key=lambda agent: (agent.extension, agent.user_id))


def bridge_health(db: Session, details: bool = False, operator: bool = False):
    row = bridge_row(db, clock.now())
    values = dict(health=health(row, clock.now()))
    if row is not None:
        values.update(connected_since=row.connected_since if row.connected else None,
                      last_event_at=row.last_event_at, heartbeat_at=row.heartbeat_at, reconnects=row.reconnects)
    if not details:
        return BridgeHealth(**values)
    if row is not None:
        values["events"] = row.events
        if operator:
            values.update(esl_address=row.esl_address, last_error=row.last_error)
    return BridgeDetails(**values)


def snapshot(db: Session, tenant_id: int) -> LiveSnapshot:
    now = clock.now()
    calls = db.exec(scoped(ActiveCall, tenant_id).order_by(ActiveCall.started_at, ActiveCall.id)).all()
    stale = unfollowed(db, now)
    return LiveSnapshot(calls=[CallPublic(**call.model_dump(), stale=call.switch in stale) for call in calls],
                        registrations=registrations(db, tenant_id, now, stale), agents=agents(db, tenant_id),
                        bridge=bridge_health(db), at=now)


# --- routes -------------------------------------------------------------------------------------------


def get_snapshot(ctx):
    """Calls in progress, registered phones, queue agents and the bridge's health of the caller's tenant."""
    return snapshot(ctx.db, ctx.tenant_id)


def list_registrations(ctx):
    """Phones registered now: contact, address, user agent, expiry, device."""
    return registrations(ctx.db, ctx.tenant_id, clock.now())


def get_bridge(ctx):
    """The ESL bridge's health: connected to FreeSWITCH, disconnected, or down (no heartbeat)."""
    return bridge_health(ctx.db, details=True, operator=ctx.tenant_id is None)


routes = [
    api("GET", "/api/live/snapshot", get_snapshot, permission="live.read", response=LiveSnapshot),
    api("GET", "/api/registrations", list_registrations, permission="live.read", response=list[RegistrationPublic]),
    api("GET", "/api/system/bridge", get_bridge, permission="system.read", response=BridgeDetails),
]
