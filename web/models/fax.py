"""Faxes (#18 item 5), received by a plan's "receive fax" step or sent from the portal, one row each.

A received fax is written by the bridge when its call hangs up (fs_bridge/fax.py, from mod_spandsp's
channel variables); a sent one is written by the portal when the PDF is uploaded and completed by the
bridge the same way. The files live in the fax folder FreeSWITCH shares with the app
(web/domain/fax_files.py): only their names are stored."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field

from web.models.base import TenantOwned, created_at_field
from web.models.fields import json_field

DIRECTIONS = ("in", "out")
# queued: stored, not yet handed to FreeSWITCH; sending: FreeSWITCH is calling; received / sent: done;
# failed: the call or the fax did not go through (result_text says why)
STATUSES = ("queued", "sending", "received", "sent", "failed")


class Fax(TenantOwned, table=True):
    __tablename__ = "fax"
    __table_args__ = (UniqueConstraint("call_uuid", name="uq_fax_call_uuid"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    direction: str = Field(sa_type=String(8))
    status: str = Field(default="queued", sa_type=String(16))
    # the other side's number: who sent it (in), where it goes (out); and our number it came in on / left from
    remote_number: str = Field(default="", max_length=64)
    local_number: str = Field(default="", max_length=64)
    remote_station_id: str = Field(default="", max_length=64)  # the other fax machine's ident (T.30 TSI/CSI)
    pages: int = 0
    result_code: Optional[int] = None  # mod_spandsp's fax_result_code (0: success; T.30 completion codes)
    result_text: str = Field(default="", max_length=200)
    call_uuid: Optional[str] = Field(default=None, max_length=64)  # the fax's call; ties it to its call record
    tiff_file: str = Field(default="", max_length=100)  # names inside the fax folder
    pdf_file: str = Field(default="", max_length=100)
    mailed_to: list = json_field(default_factory=list)  # who the received fax was mailed to
    plan_id: Optional[int] = None  # the plan and step that received it (no foreign key: a fax outlives its plan)
    step: str = Field(default="", max_length=64)
    sent_by_account_id: Optional[int] = Field(default=None, foreign_key="account.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()
    finished_at: Optional[datetime] = None
