"""Who is logged in on which hot-desking phone (#16 item 1; seed 002: "flexdesk").

A user allowed to hot-desk (PbxUser.hot_desking) logs in on a phone marked for it (Device.hot_desking)
with the login feature code, and out with the logout code (callplan/base_dialplan.py); the bridge writes
the row (fs_bridge/features.py through web/domain/hot_desk.py). While the row exists, calls to the user
ring that phone too, and the phone's calls are the user's (caller ID, voicemail, feature codes).

Runtime state, not configuration: a login changes nothing an admin set, so it never bumps the company's
configuration generation (web.domain.audit.NOT_CONFIG) and no cached document is rebuilt for it; the
directory reads the logins when FreeSWITCH fetches one of the names they touch
(web.xml_curl.directory.Directory). One phone holds one user and one user one phone."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlmodel import Field, UniqueConstraint

from web.models.base import TenantOwned, created_at_field


class HotDeskLogin(TenantOwned, table=True):
    __tablename__ = "hot_desk_login"
    __table_args__ = (UniqueConstraint("device_id"), UniqueConstraint("user_id"))

    id: Optional[int] = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="device.id", ondelete="CASCADE")
    user_id: int = Field(foreign_key="pbx_user.id", ondelete="CASCADE")
    logged_in_at: datetime = created_at_field()
