"""Login state: browser sessions, API tokens, one-time links, and the login history."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlmodel import Field, SQLModel

from web import clock
from web.models.base import TenantOwned, created_at_field


class LoginSession(TenantOwned, table=True):
    """A browser session. The cookie holds a random token; only its SHA-256 is stored.

    `stage` says how far the login got: "2fa" (password right, code outstanding), "password" (must set a
    new password), "enrol" (the tenant requires 2FA and none is set up), "full".
    """

    __audit__ = False
    __tablename__ = "login_session"

    id: Optional[int] = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    stage: str = "full"
    csrf_token: str
    failed_codes: int = 0
    source_ip: str = ""
    user_agent: str = Field(default="", max_length=300)
    created_at: datetime = created_at_field()
    expires_at: datetime


class ApiToken(TenantOwned, table=True):
    """A personal API token: `Authorization: Bearer <token>`; acts as its account, without 2FA."""

    __audit_redact__ = {"token_hash"}
    __tablename__ = "api_token"

    id: Optional[int] = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    prefix: str  # the first characters, so a person can tell tokens apart
    token_hash: str = Field(unique=True)
    created_at: datetime = created_at_field()
    expires_at: Optional[datetime] = None
    last_used_at: Optional[datetime] = None
    revoked_at: Optional[datetime] = None


class ApiTokenCreate(SQLModel):
    name: str = Field(min_length=1, max_length=100)
    expires_in_days: Optional[int] = Field(default=None, ge=1, le=3650)


class ApiTokenPublic(SQLModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: Optional[datetime]
    last_used_at: Optional[datetime]
    revoked_at: Optional[datetime]


class OneTimeLink(TenantOwned, table=True):
    """A password-reset or welcome link: single use, expiring; only the token's SHA-256 is stored."""

    __audit__ = False
    __tablename__ = "one_time_link"

    id: Optional[int] = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    purpose: str  # "reset" or "welcome"
    token_hash: str = Field(unique=True)
    created_at: datetime = created_at_field()
    expires_at: datetime
    used_at: Optional[datetime] = None


class LoginAttempt(TenantOwned, table=True):
    """The login history (seed 003) and the memory the login rate limit counts in."""

    __audit__ = False
    __tablename__ = "login_attempt"

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=clock.now, index=True)
    email: str = Field(index=True, max_length=254)
    account_id: Optional[int] = Field(default=None, foreign_key="account.id", index=True, ondelete="SET NULL")
    source_ip: str = Field(index=True, max_length=64)
    user_agent: str = Field(default="", max_length=300)
    # a re-authentication through an API token: counted against the token, not the account's logins
    api_token_id: Optional[int] = Field(default=None, foreign_key="api_token.id", index=True, ondelete="CASCADE")
    success: bool
    reason: str  # password_ok, wrong_password, unknown_account, locked, blocked, rate_limited, code_ok, ...


class LoginThrottle(SQLModel, table=True):
    """One row per thing the login limits count for: an e-mail address as typed, a source address, an
    API token. Counting a guess first writes this row (web.auth.ratelimit.take_guess), which holds it
    until the guess is recorded and committed: two guesses for the same thing are counted one after
    the other, on SQLite and PostgreSQL alike, however many arrive at once."""

    __audit__ = False
    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=300)
    touched_at: datetime
