"""Login rate limits and lockout, counted in the login history (so they survive restarts and hold
across several web processes).

- per account (e-mail typed): 5 failures in 15 minutes, then 429 until the oldest leaves the window;
- per account, wrong second-factor codes: 10 in 15 minutes (two pending logins' worth of 5), likewise;
- per source address: 20 failures in 15 minutes, likewise;
- lockout: 10 wrong passwords in a row lock the account until a password reset or an admin unlocks it.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlmodel import Session, select

from web import clock
from web.models import LoginAttempt

WINDOW = timedelta(minutes=15)
PER_ACCOUNT = 5
PER_ACCOUNT_CODES = 10
PER_ADDRESS = 20
LOCKOUT_AFTER = 10
# Failures that count against the limits: guesses of a password, guesses of a code.
PASSWORD_GUESSES = ("wrong_password", "unknown_account", "reauth_wrong_password")
CODE_GUESSES = ("code_wrong",)


def _wait(times: list, limit: int, now) -> int | None:
    if len(times) < limit:
        return None
    frees_at = times[len(times) - limit] + WINDOW
    return max(1, math.ceil((frees_at - now).total_seconds()))


def retry_after(db: Session, email: str, source_ip: str) -> int | None:
    """Seconds to wait before another try, or None when the caller may try now."""
    now = clock.now()
    since = now - WINDOW
    def failures(reasons, *conditions) -> list:
        query = select(LoginAttempt.at).where(
            LoginAttempt.at > since, LoginAttempt.success == False, LoginAttempt.reason.in_(reasons), *conditions  # noqa: E712
        ).order_by(LoginAttempt.at)
        return list(db.exec(query).all())

    waits = [
        _wait(failures(PASSWORD_GUESSES, LoginAttempt.email == email), PER_ACCOUNT, now),
        _wait(failures(CODE_GUESSES, LoginAttempt.email == email), PER_ACCOUNT_CODES, now),
        _wait(failures(PASSWORD_GUESSES + CODE_GUESSES, LoginAttempt.source_ip == source_ip), PER_ADDRESS, now),
    ]
    waits = [w for w in waits if w]
    return max(waits) if waits else None


def recent(db: Session, reason: str, *, email: str | None = None, source_ip: str | None = None) -> int:
    """How many attempts of `reason` the e-mail or address made inside the window."""
    query = select(LoginAttempt.id).where(LoginAttempt.at > clock.now() - WINDOW, LoginAttempt.reason == reason)
    if email is not None:
        query = query.where(LoginAttempt.email == email)
    if source_ip is not None:
        query = query.where(LoginAttempt.source_ip == source_ip)
    return len(db.exec(query).all())


def record(ctx, email: str, success: bool, reason: str, account=None) -> None:
    ctx.db.add(
        LoginAttempt(
            at=clock.now(),
            email=email[:254],
            account_id=account.id if account is not None else None,
            tenant_id=account.tenant_id if account is not None else None,
            source_ip=ctx.source_ip,
            user_agent=ctx.user_agent,
            success=success,
            reason=reason,
        )
    )
