"""Login rate limits and lockout, counted in the login history (so they survive restarts and hold
across several web processes).

- per account (e-mail typed): 5 failures in 15 minutes, then 429 until the oldest leaves the window;
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
PER_ADDRESS = 20
LOCKOUT_AFTER = 10
# Failures that count against the limits: guesses of a password or a code.
COUNTED = ("wrong_password", "unknown_account", "code_wrong", "reauth_wrong_password")


def _wait(times: list, limit: int, now) -> int | None:
    if len(times) < limit:
        return None
    frees_at = times[len(times) - limit] + WINDOW
    return max(1, math.ceil((frees_at - now).total_seconds()))


def retry_after(db: Session, email: str, source_ip: str) -> int | None:
    """Seconds to wait before another try, or None when the caller may try now."""
    now = clock.now()
    since = now - WINDOW
    base = select(LoginAttempt.at).where(
        LoginAttempt.at > since, LoginAttempt.success == False, LoginAttempt.reason.in_(COUNTED)  # noqa: E712
    ).order_by(LoginAttempt.at)
    waits = [
        _wait(list(db.exec(base.where(LoginAttempt.email == email)).all()), PER_ACCOUNT, now),
        _wait(list(db.exec(base.where(LoginAttempt.source_ip == source_ip)).all()), PER_ADDRESS, now),
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
