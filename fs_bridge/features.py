"""Phone feature codes that switch state in the database (callplan::feature events from the tenant's
base dialplan, callplan/base_dialplan.py): the state takes effect on the next call, as a change in the
portal would, because the change bumps the tenant's configuration generation like any other.

- dnd_toggle: the calling user's do-not-disturb on/off.
- night_mode_toggle: the company's night mode: forced on, or back to normal (automatic when a night
  schedule is set, else off).
- diversion_toggle: the first diversion of every published plan that has diversions: all off when any
  of them is on, else all on. (One code per company; a plan's further diversions are switched in the
  portal.)
- hot_desk_login / hot_desk_logout: a user logs in on the hot-desking phone that sent the event (the
  dialplan checked the extension and the PIN), or whoever is on it out (web.domain.hot_desk). The phone is
  the one the directory named (cp_hot_desk), not whoever's calls it makes; a login is call traffic and
  bumps no configuration generation, only the directory entries it changes are flushed."""

from __future__ import annotations

import logging
from typing import Optional

from sqlmodel import select

from web.domain.audit import Actor

log = logging.getLogger("fs_bridge.features")


def _user(ctx, tenant_id: int, raw_id):
    from web.models.pbx_user import PbxUser

    if not raw_id or not str(raw_id).isdigit():
        return None
    user = ctx.db.get(PbxUser, int(raw_id))
    return user if user is not None and user.tenant_id == tenant_id else None  # never another tenant's


def _toggle_dnd(ctx, tenant_id: int, user) -> str:
    user.dnd = not user.dnd
    ctx.db.add(user)
    return f"dnd {'on' if user.dnd else 'off'} for {user.extension}"


def _toggle_night(ctx, tenant_id: int, user) -> str:
    from web.domain.company import settings_row

    company = settings_row(ctx.db, tenant_id)
    if company.night_mode == "on":
        company.night_mode = "auto" if company.night_schedule_id is not None else "off"
    else:
        company.night_mode = "on"
    ctx.db.add(company)
    return f"night mode {company.night_mode}"


def _toggle_diversions(ctx, tenant_id: int, user) -> str:
    from web.domain.diversions import switch_diversion
    from web.domain.callplan_snapshot import published_documents
    from web.models.call_plan import CallPlanRecord

    firsts = []
    for plan_id, version in sorted(published_documents(ctx.db, tenant_id).items()):
        diversions = version.document.get("diversions") or []
        if diversions and diversions[0].get("id"):
            firsts.append((ctx.db.get(CallPlanRecord, plan_id), diversions[0]["id"]))
    turn_on = not any(ident in (row.active_diversions or []) for row, ident in firsts)
    for row, ident in firsts:
        switch_diversion(ctx.db, tenant_id, row, ident, turn_on)
    return f"{len(firsts)} diversion(s) {'on' if turn_on else 'off'}"


TOGGLES = {"dnd_toggle": _toggle_dnd, "night_mode_toggle": _toggle_night, "diversion_toggle": _toggle_diversions}


def _hot_desk(ctx, tenant_id: int, event) -> Optional[str]:
    from web.domain import hot_desk

    device = event.get("cp_device", "")
    if not device.isdigit():
        return None
    if event.get("cp_feature") == "hot_desk_logout":
        return hot_desk.logout(ctx.db, tenant_id, int(device)) or f"nobody was logged in on device {device}"
    return hot_desk.login(ctx.db, tenant_id, int(device), event.get("cp_hot_desk_user", ""))


HOT_DESK = ("hot_desk_login", "hot_desk_logout")


def _device_name(ctx, tenant_id: int, event) -> str:
    from web.models.device import Device

    raw = event.get("cp_device", "")
    device = ctx.db.get(Device, int(raw)) if raw.isdigit() else None
    return device.sip_username if device is not None and device.tenant_id == tenant_id else "unknown"


def feature(ctx, event) -> None:
    from web.domain.directory_changes import changed_sip_users

    function = event.get("cp_feature", "")
    toggle = TOGGLES.get(function)
    domain = event.var("domain_name") or event.get("Caller-Context")
    tenant_id = ctx.tenant_id(domain)
    if (toggle is None and function not in HOT_DESK) or tenant_id is None:
        log.warning("feature event ignored: %r from %r", function, domain)
        return
    user = _user(ctx, tenant_id, event.get("cp_user") or event.var("cp_user_id"))
    if user is None and function not in HOT_DESK:  # a hot-desking phone may be nobody's until someone logs in
        log.warning("feature %s from an unknown user in %s ignored", function, domain)
        return
    previous = ctx.db.info.get("actor")
    # the audit log names the phone that did it: its user's extension, or (nobody's phone) its SIP username
    ctx.db.info["actor"] = Actor(account_id=user.account_id if user else None,
                                 email=f"phone {user.extension if user else _device_name(ctx, tenant_id, event)}@{domain}",
                                 tenant_id=tenant_id, source_ip=event.get("Caller-Network-Addr", "") or "")
    try:
        what = toggle(ctx, tenant_id, user) if toggle else _hot_desk(ctx, tenant_id, event)
        ctx.db.flush()
        stale = changed_sip_users(ctx.db)
    finally:
        ctx.db.info["actor"] = previous
    log.info("feature code in %s: %s", domain, what or f"{function} refused")
    # FreeSWITCH caches directory entries (dnd and hot-desk logins are read from there): every switch's cache
    flushes = [f"xml_flush_cache id {name} {entry_domain}" for name, _, entry_domain in
               (entry.partition("@") for entry in stale)]
    if flushes:
        ctx.every_switch(flushes)


HANDLES = {"callplan::feature": feature}
