"""Hot-desk logins (#16 item 1): who is logged in on which hot-desking phone now, for the phones screen and
the user's page, and the admin's "log out" (a phone left logged in). Logging in is done on the phone
(web.domain.hot_desk); the directory entries a logout changes are flushed from FreeSWITCH after the
commit, as for any change (web.api.routing)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from web.api.routing import api
from web.domain import hot_desk
from web.models.device import Device
from web.scoping import get_owned


class HotDeskLoginPublic(BaseModel):
    device_id: int
    device_name: str
    user_id: int
    extension: str
    name: str
    since: datetime


def list_logins(ctx):
    """Who is logged in on the company's hot-desking phones."""
    return [HotDeskLoginPublic(**login.__dict__) for login in hot_desk.current(ctx.db, ctx.tenant_id).values()]


def log_out(ctx, id: int):
    """Log whoever is on the phone out (204 also when nobody was)."""
    device = get_owned(ctx.db, Device, ctx.tenant_id, id)
    hot_desk.logout(ctx.db, ctx.tenant_id, device.id)


routes = [
    api("GET", "/api/hot-desk-logins", list_logins, permission="pbx.manage", response=list[HotDeskLoginPublic]),
    api("DELETE", "/api/hot-desk-logins/{id:int}", log_out, permission="pbx.manage", status=204, model=Device),
]
