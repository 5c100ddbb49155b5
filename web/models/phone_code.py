"""A code spoken to a phone by a call (seed 002, #18 item 7): for a pending login (`login`, tied to its
login session) or for proving a number before it becomes a second factor (`enrol`). Only an HMAC of the
code is kept. A code works once (`used_at`, set by one conditional UPDATE) and only until `expires_at`:
at first the latest moment it could still be heard (ringing, speaking, then 30 s), cut to 30 s after it
was spoken once FreeSWITCH says the call was answered; a call that fails ends it at once."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlmodel import Field

from web.models.base import TenantOwned, created_at_field


class PhoneCode(TenantOwned, table=True):
    __audit__ = False
    __tablename__ = "phone_code"

    id: Optional[int] = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    login_session_id: Optional[int] = Field(default=None, foreign_key="login_session.id", index=True,
                                            ondelete="CASCADE")
    purpose: str = Field(max_length=8)  # "login" or "enrol"
    number: str = Field(max_length=32)
    language: str = Field(max_length=8)
    code_hash: str = Field(max_length=64)
    failed: int = 0  # wrong codes typed for an enrolment (a login counts on its session)
    call_state: str = Field(default="calling", max_length=16)  # calling, answered, failed
    created_at: datetime = created_at_field()
    expires_at: datetime
    used_at: Optional[datetime] = None
