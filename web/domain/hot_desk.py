"""Hot desking (#16 item 1; seed 002 "flexdesk"): a user allowed to hot-desk logs in on a phone marked
for it, and the phone's calls are the user's until the user logs out, someone else logs in on it, or the
user logs in on another phone (one phone holds one user, one user one phone).

The phone asks the extension and the user's voicemail PIN and checks them itself (the hot-desk feature
codes of callplan/base_dialplan.py); the bridge then writes the login (fs_bridge/features.py) with the
rules below, which the portal's "log out" uses too. A login is call traffic (web.models.hot_desk): it
bumps no configuration generation; the directory reads it when FreeSWITCH fetches a name it changes, and
the names whose entries it changes are flushed from FreeSWITCH's cache after the commit
(web.domain.directory_changes)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlmodel import Session

from web import clock
from web.models.device import Device
from web.models.hot_desk import HotDeskLogin
from web.models.pbx_user import PbxUser
from web.scoping import scoped

log = logging.getLogger("web.domain.hot_desk")


@dataclass(frozen=True)
class Login:
    """Who is logged in on a hot-desking phone, as the portal shows it."""

    device_id: int
    device_name: str
    user_id: int
    extension: str
    name: str
    since: datetime


def login(db: Session, tenant_id: int, device_id: int, extension: str) -> Optional[str]:
    """Log the user with this extension in on the phone; None when either may not hot-desk (the reason
    is logged), else what happened, in words. Whoever was on the phone, and wherever the user was, is
    logged out first."""
    device = db.exec(scoped(Device, tenant_id).where(Device.id == device_id)).first()
    user = db.exec(scoped(PbxUser, tenant_id).where(PbxUser.extension == extension)).first()
    if device is None or not device.hot_desking:
        log.warning("hot-desk login refused in tenant %s: device %s is no hot-desking phone", tenant_id, device_id)
        return None
    if user is None or not user.hot_desking:
        log.warning("hot-desk login refused in tenant %s: %r is no user allowed to hot-desk", tenant_id, extension)
        return None
    for row in db.exec(scoped(HotDeskLogin, tenant_id).where(
            (HotDeskLogin.device_id == device.id) | (HotDeskLogin.user_id == user.id))).all():
        if row.device_id == device.id and row.user_id == user.id:
            return f"{user.extension} stays logged in on {device.sip_username}"
        db.delete(row)
    db.flush()  # the unique device and user columns: the old rows go first
    db.add(HotDeskLogin(tenant_id=tenant_id, device_id=device.id, user_id=user.id, logged_in_at=clock.now()))
    return f"{user.extension} logged in on {device.sip_username}"


def logout(db: Session, tenant_id: int, device_id: int) -> Optional[str]:
    """Log whoever is on the phone out; None when nobody was."""
    row = db.exec(scoped(HotDeskLogin, tenant_id).where(HotDeskLogin.device_id == device_id)).first()
    if row is None:
        return None
    db.delete(row)
    return f"user {row.user_id} logged out of device {device_id}"


def current(db: Session, tenant_id: int) -> dict[int, Login]:
    """device id -> who is logged in on it now (only logins the switch honours: both still allowed)."""
    found = {}
    rows = db.exec(scoped(HotDeskLogin, tenant_id)).all()
    if not rows:
        return found
    devices = {d.id: d for d in db.exec(scoped(Device, tenant_id).where(Device.id.in_([r.device_id for r in rows]))).all()}
    users = {u.id: u for u in db.exec(scoped(PbxUser, tenant_id).where(PbxUser.id.in_([r.user_id for r in rows]))).all()}
    for row in rows:
        device, user = devices.get(row.device_id), users.get(row.user_id)
        if device is not None and user is not None and device.hot_desking and user.hot_desking:
            found[device.id] = Login(device_id=device.id, device_name=device.name, user_id=user.id,
                                     extension=user.extension, name=f"{user.first_name} {user.last_name}".strip(),
                                     since=row.logged_in_at)
    return found
