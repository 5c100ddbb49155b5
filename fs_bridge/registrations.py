"""Phones' registrations, mirrored from sofia's events into sip_registration (the live view shows
contact, user agent, expiry and device), and the rule that hangs on them: an agent is offered queue
calls only while one of its phones is registered (web.domain.agents, FusionPBX issue #2831).

Events (mod_sofia, sofia_reg.c): sofia::register (from-user, from-host, username, realm, contact,
call-id, expires, network-ip/port, user-agent), sofia::unregister (the phone said Expires: 0, or its
TCP/TLS socket closed: then only from-user, from-host and call-id), sofia::expire (sofia's own expiry
sweep: call-id, user, host, realm). One row per REGISTER dialogue, keyed by its Call-ID, as sofia keys
its own sip_registrations table.

What FreeSWITCH kept while the bridge was away is read again on every connect from
`sofia xmlstatus profile internal reg` (mod_sofia's show_reg_callback_xml): it names the call-id, the
user agent and the seconds left, which `show registrations` does not."""

from __future__ import annotations

import html
import logging
import re
from datetime import timedelta
from typing import Optional
from urllib.parse import unquote

from sqlmodel import select

from fs_bridge.events import Event
from web import clock
from web.domain.agents import (AVAILABLE, EXPIRY_GRACE, agent_row, effective, registered_users, status_command,
                        user_registered)
from web.models.device import Device
from web.models.live import QueueAgent, SipRegistration
from web.scoping import scoped

log = logging.getLogger("fs_bridge")

PROFILE = "internal"  # the phones' sofia profile (freeswitch/sip_profiles/internal.xml)
# That profile sets no multiple-registrations, so sofia keeps ONE registration per user@host: a new
# REGISTER (a rebooted phone has a new Call-ID) replaces the others, and an unregister removes all of
# them (sofia_reg.c: "delete from sip_registrations where sip_user=... and sip_host=..."). Mirrored here,
# or a replaced binding would linger in the live view until its expiry.
MULTIPLE_REGISTRATIONS = False
RESYNC_COMMAND = f"sofia xmlstatus profile {PROFILE} reg"
DEFAULT_EXPIRES = 3600


def _int(value: Optional[str]) -> Optional[int]:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


# Lock order on PostgreSQL: the device's row, then its sip_registration rows. Deleting a device (the API)
# locks the device row and then, through sip_registration.device_id's ON DELETE SET NULL, its
# registrations; the bridge wrote a registration first and the device after, so the two waited for each
# other and PostgreSQL aborted one with a deadlock (the API's DELETE answered 500). So the bridge locks
# the device row (FOR UPDATE; nothing on SQLite, whose writers take turns) before writing a registration.
def _device(ctx, tenant_id: int, sip_user: str) -> Optional[Device]:
    return ctx.db.exec(scoped(Device, tenant_id).where(Device.sip_username == sip_user).with_for_update()).first()


def _lock_device(ctx, device_id: Optional[int]) -> Optional[Device]:
    """The device's row, locked until commit (None when there is none, or it was deleted meanwhile)."""
    if device_id is None:
        return None
    return ctx.db.exec(select(Device).where(Device.id == device_id).with_for_update()
                       .execution_options(populate_existing=True)).first()


def _data(row: SipRegistration, action: str) -> dict:
    """The fields of the live snapshot's registrations (web/api/live_state.py) and what happened."""
    return {"action": action, "id": row.id, "call_id": row.call_id, "sip_user": row.sip_user, "realm": row.realm,
            "device_id": row.device_id, "user_id": row.user_id, "contact": row.contact,
            "network_ip": row.network_ip, "network_port": row.network_port, "user_agent": row.user_agent,
            "expires_at": row.expires_at.isoformat() if row.expires_at else None,
            "registered_at": row.registered_at.isoformat() if row.registered_at else None}


def store(ctx, tenant_id: int, realm: str, sip_user: str, call_id: str, contact: str, network_ip: str,
          network_port: Optional[int], user_agent: str, expires_s: int) -> SipRegistration:
    """Insert or refresh the registration with this Call-ID, and the device's own registration fields."""
    now = clock.now()
    device = _device(ctx, tenant_id, sip_user)
    row = ctx.db.exec(select(SipRegistration).where(SipRegistration.call_id == call_id)).first()
    if row is None:
        row = SipRegistration(tenant_id=tenant_id, call_id=call_id, sip_user=sip_user, realm=realm,
                              expires_at=now, registered_at=now)
    elif row.tenant_id != tenant_id:  # the same Call-ID in another domain: a new binding, not this one
        old_user = row.user_id
        ctx.db.delete(row)
        ctx.db.flush()
        _user_changed(ctx, row.tenant_id, old_user)
        row = SipRegistration(tenant_id=tenant_id, call_id=call_id, sip_user=sip_user, realm=realm,
                              expires_at=now, registered_at=now)
    row.sip_user, row.realm = sip_user[:64], realm[:255]
    row.device_id = device.id if device is not None else None
    row.user_id = device.user_id if device is not None else None
    row.contact = contact[:500]
    row.network_ip, row.network_port = network_ip[:64], network_port
    row.user_agent = user_agent[:200]
    row.expires_at = now + timedelta(seconds=expires_s)
    row.switch = ctx.settings.switch  # the switch that holds the binding now (a phone may move)
    ctx.db.add(row)
    if device is not None:
        device.registered = True
        device.registration_contact = row.contact
        device.registration_user_agent = user_agent[:300]
        device.registration_expires_at = row.expires_at
        device.registration_source_ip = network_ip[:45] or None
        ctx.db.add(device)
    ctx.db.flush()
    return row


def forget(ctx, row: SipRegistration, action: str, tell: bool = True) -> None:
    """Drop one registration; the device is unregistered when it was its last."""
    tenant_id, user_id, device_id = row.tenant_id, row.user_id, row.device_id
    device = _lock_device(ctx, device_id)  # first, before the registration's row (see _device)
    ctx.publish(tenant_id, "registration", _data(row, action))
    ctx.db.delete(row)
    ctx.db.flush()
    if device is not None:
        left = ctx.db.exec(select(SipRegistration).where(SipRegistration.device_id == device_id)).first()
        if left is None:
            device.registered = False
            device.registration_expires_at = None
            ctx.db.add(device)
    _user_changed(ctx, tenant_id, user_id, tell)


def _user_changed(ctx, tenant_id: Optional[int], user_id: Optional[int], tell: bool = True) -> None:
    """A user's phones came or went: hold an available agent 'Logged Out' in FreeSWITCH while none is
    registered, and give it back 'Available' when one is. The agent's own choice (QueueAgent.status)
    stays what it was; only phone_registered follows the phones."""
    if tenant_id is None or user_id is None:
        return
    row = agent_row(ctx.db, tenant_id, user_id, create=False)
    if row is None:  # never an agent as far as we know: nothing to hold or give back
        return
    registered = user_registered(ctx.db, tenant_id, user_id)
    if row.phone_registered == registered:
        return
    row.phone_registered = registered
    row.updated_at = clock.now()
    ctx.db.add(row)
    domain = _domain(ctx, tenant_id)
    if row.status == AVAILABLE and domain and tell:
        ctx.freeswitch(status_command(user_id, domain, effective(AVAILABLE, registered)))
        # the agent's first phone registered (or its last one gone) through this switch: every switch's
        # queues offer it calls again (or stop), not only this one's
        from fs_bridge.agents import tell_other_switches

        tell_other_switches(ctx, user_id, domain, effective(AVAILABLE, registered))
    from fs_bridge.agents import publish_agent

    publish_agent(ctx, row)


def _domain(ctx, tenant_id: int) -> Optional[str]:
    from web.models.tenant import Tenant

    tenant = ctx.db.get(Tenant, tenant_id)
    return tenant.sip_domain if tenant is not None else None


# --- the events -------------------------------------------------------------------------------------


def _user_of(event: Event) -> str:
    # from-user is sofia's sip_user (the REGISTER's To user); `username` is the digest user, "unknown"
    # on an unregister that was not challenged, and absent after a socket disconnection
    return event.get("from-user") or event.get("user") or event.get("username") or ""


def on_register(ctx, event: Event) -> None:
    realm = event.get("realm") or event.get("from-host") or ""
    tenant_id = ctx.tenant_id(realm)
    call_id = event.get("call-id") or ""
    sip_user = _user_of(event)
    if tenant_id is None or not call_id or not sip_user:
        return  # a domain that is no tenant's (FreeSWITCH's own test users): not ours to show
    expires = _int(event.get("expires"))
    row = store(ctx, tenant_id, realm, sip_user, call_id, event.get("contact") or "", event.get("network-ip") or "",
                _int(event.get("network-port")), event.get("user-agent") or "",
                DEFAULT_EXPIRES if expires is None else expires)
    if not MULTIPLE_REGISTRATIONS:
        for other in _rows_of(ctx, tenant_id, sip_user):
            if other.call_id != call_id:
                forget(ctx, other, "replaced")
    ctx.publish(tenant_id, "registration", _data(row, "register"))
    _user_changed(ctx, tenant_id, row.user_id)


def _rows_of(ctx, tenant_id: int, sip_user: str) -> list[SipRegistration]:
    return ctx.db.exec(scoped(SipRegistration, tenant_id).where(SipRegistration.sip_user == sip_user)
                       .order_by(SipRegistration.id)).all()


def on_unregister(ctx, event: Event) -> None:
    action = "expire" if event.subclass == "sofia::expire" else "unregister"
    call_id = event.get("call-id") or ""
    row = ctx.db.exec(select(SipRegistration).where(SipRegistration.call_id == call_id)).first() if call_id else None
    if row is not None:
        forget(ctx, row, action)
    if action == "unregister" and not MULTIPLE_REGISTRATIONS:
        # sofia removed every registration of the user@host, whatever Call-ID the un-REGISTER had
        tenant_id = ctx.tenant_id(event.get("from-host") or event.get("realm") or "")
        sip_user = _user_of(event)
        if tenant_id is not None and sip_user:
            for other in _rows_of(ctx, tenant_id, sip_user):
                forget(ctx, other, action)


HANDLES = {
    "sofia::register": on_register,
    "sofia::unregister": on_unregister,
    "sofia::expire": on_unregister,
}


def tick(ctx) -> None:
    """Drop registrations past their expiry (an expire event the bridge missed while away)."""
    limit = clock.now() - EXPIRY_GRACE
    for row in ctx.db.exec(select(SipRegistration).where(SipRegistration.expires_at <= limit)).all():
        forget(ctx, row, "expire")


# --- reading FreeSWITCH's registrations again after a (re)connect --------------------------------------

_BLOCK = re.compile(r"<registration>(.*?)</registration>", re.S)
_FIELD = re.compile(r"<([a-z-]+)>(.*?)</\1>", re.S)
_EXPSECS = re.compile(r"expsecs\((-?[0-9]{1,18})\)")


def parse_xmlstatus(text: str) -> list[dict]:
    """The registrations of `sofia xmlstatus profile <name> reg`. Read with patterns, not an XML parser:
    sofia escapes only contact and agent (switch_amp_encode), so a Call-ID holding '<' or '&' would break
    a parser. sip-auth-user is URL-encoded."""
    found = []
    for block in _BLOCK.findall(text or ""):
        fields = {name: value.strip() for name, value in _FIELD.findall(block)}
        user, _, host = fields.get("user", "").partition("@")
        expsecs = _EXPSECS.search(fields.get("status", ""))
        found.append({
            "call_id": fields.get("call-id", ""),
            "sip_user": unquote(fields.get("sip-auth-user", "")) or user,
            "realm": fields.get("sip-auth-realm", "") or host,
            "contact": html.unescape(fields.get("contact", "")),
            "user_agent": html.unescape(fields.get("agent", "")),
            "network_ip": fields.get("network-ip", ""),
            "network_port": _int(fields.get("network-port")),
            "expires_s": int(expsecs.group(1)) if expsecs else DEFAULT_EXPIRES,
        })
    return found


def resync(ctx, reply: str, since, tell: bool = True) -> None:
    """Make sip_registration what FreeSWITCH holds: store every listed registration and drop the rows
    FreeSWITCH no longer has (but not those that arrived after `since`: the worker may have stored a
    newer REGISTER while the reply was on its way). `tell`: hold or restore agents here (False when
    fs_bridge.agents.reconcile follows and does it, knowing what FreeSWITCH holds)."""
    listed = set()
    for reg in parse_xmlstatus(reply):
        tenant_id = ctx.tenant_id(reg["realm"])
        if tenant_id is None or not reg["call_id"] or not reg["sip_user"] or reg["expires_s"] <= 0:
            continue
        row = store(ctx, tenant_id, reg["realm"], reg["sip_user"], reg["call_id"], reg["contact"], reg["network_ip"],
                    reg["network_port"], reg["user_agent"], reg["expires_s"])
        listed.add(row.call_id)
        ctx.publish(tenant_id, "registration", _data(row, "register"))
    # only this switch's (and those written before switches were told apart): each switch holds its own
    for row in ctx.db.exec(select(SipRegistration).where(SipRegistration.registered_at < since,
                                                         SipRegistration.switch.in_((ctx.settings.switch, "")))).all():
        if row.call_id not in listed:
            forget(ctx, row, "expire", tell)
    # agents whose phones came or went while the bridge was away
    registered = registered_users(ctx.db)
    for agent in ctx.db.exec(select(QueueAgent)).all():
        if agent.phone_registered != (agent.user_id in registered):
            _user_changed(ctx, agent.tenant_id, agent.user_id, tell)


def on_connected(ctx) -> None:
    """After a (re)connect: the registrations FreeSWITCH holds now, then the agents' statuses
    (fs_bridge.agents.reconcile needs the registrations first, so it runs from here, not as a hook of its
    own in another greenlet). Both questions are asked before the first query, so no transaction (on
    SQLite: the write lock the worker needs) is held while FreeSWITCH answers."""
    from fs_bridge import agents

    since = clock.now()
    reply = ctx.bridge.api(RESYNC_COMMAND)
    agent_list = ctx.bridge.api(agents.LIST_COMMAND)
    if reply is not None and "<registrations>" in reply:
        resync(ctx, reply, since, tell=agent_list is None)
    else:
        log.warning("could not read FreeSWITCH's registrations (%r); keeping what the database has", reply)
    ctx.db.flush()
    if agent_list is not None:
        agents.reconcile(ctx, agent_list)
