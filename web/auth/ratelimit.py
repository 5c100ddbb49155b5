"""Login rate limits and lockout, counted in the login history (so they survive restarts and hold
across several web processes).

- per account (e-mail typed): 5 failures in 15 minutes, then 429 until the oldest leaves the window;
- per account, wrong second-factor codes: 10 in 15 minutes (two pending logins' worth of 5), likewise;
- per source address: 20 failures in 15 minutes, likewise;
- lockout: 10 wrong passwords in a row lock the account until a password reset or an admin unlocks it.

A guess is counted before it is checked (`take_guess`), as a failure, and turned into a success
afterwards when it was right (`settle`). Counting first writes the login_throttle rows of the e-mail
and the address and holds them until the guess is committed, so guesses for one account or from one
address are counted one after the other however many arrive at once: the sixth of six parallel wrong
passwords sees the five before it and gets 429 without its password being tried. The lockout count is
a conditional UPDATE of its own (no more than LOCKOUT_AFTER guesses are ever let through).
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from web import clock
from web.api.problems import Problem
from web.db import dialect_insert
from web.models import Account, LoginAttempt, LoginThrottle

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


def retry_after(db: Session, email: str, source_ip: str, api_token_id: int | None = None) -> int | None:
    """Seconds to wait before another try, or None when the caller may try now. Guesses made through an
    API token count against that token only (PER_ACCOUNT of them): whoever holds a token cannot lock its
    owner, or the owner's office address, out of the portal by failing to re-authenticate."""
    now = clock.now()
    since = now - WINDOW
    def failures(reasons, *conditions) -> list:
        query = select(LoginAttempt.at).where(
            LoginAttempt.at > since, LoginAttempt.success == False, LoginAttempt.reason.in_(reasons), *conditions  # noqa: E712
        ).order_by(LoginAttempt.at)
        return list(db.exec(query).all())

    if api_token_id is not None:
        return _wait(failures(PASSWORD_GUESSES, LoginAttempt.api_token_id == api_token_id), PER_ACCOUNT, now)
    by_login = LoginAttempt.api_token_id == None  # noqa: E711
    waits = [
        _wait(failures(PASSWORD_GUESSES, LoginAttempt.email == email, by_login), PER_ACCOUNT, now),
        _wait(failures(CODE_GUESSES, LoginAttempt.email == email, by_login), PER_ACCOUNT_CODES, now),
        _wait(failures(PASSWORD_GUESSES + CODE_GUESSES, LoginAttempt.source_ip == source_ip, by_login), PER_ADDRESS, now),
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


def record(ctx, email: str, success: bool, reason: str, account=None, api_token_id: int | None = None) -> LoginAttempt:
    attempt = LoginAttempt(
        api_token_id=api_token_id,
        at=clock.now(),
        email=email[:254],
        account_id=account.id if account is not None else None,
        tenant_id=account.tenant_id if account is not None else None,
        source_ip=ctx.source_ip,
        user_agent=ctx.user_agent,
        success=success,
        reason=reason,
    )
    ctx.db.add(attempt)
    return attempt


def rate_limited(wait: int) -> Problem:
    return Problem(429, "rate_limited", headers={"Retry-After": str(wait)}, params={"seconds": wait})


def hold(db: Session, keys: list[str]) -> None:
    """Write each key's throttle row (made on first use), which keeps it ours until commit; in one order
    (sorted), so two guesses that share keys never wait for each other crosswise."""
    now = clock.now()
    insert = dialect_insert(db)
    table = LoginThrottle.__table__
    for key in sorted(set(keys)):
        db.execute(insert(table).values(key=key[:300], touched_at=now)
                   .on_conflict_do_update(index_elements=["key"], set_={"touched_at": now}))


def count_towards_lockout(ctx, account: Account) -> Problem | None:
    counted = ctx.db.execute(
        update(Account)
        .where(Account.id == account.id, Account.locked_at == None, Account.failed_logins < LOCKOUT_AFTER)  # noqa: E711
        .values(failed_logins=Account.failed_logins + 1)
    )
    if counted.rowcount == 1:
        return None
    locked = ctx.db.execute(select(Account.locked_at).where(Account.id == account.id)).scalar()
    # no room left: locked, or the last guesses before the lock are being checked right now
    return Problem(403, "account_locked") if locked is not None else rate_limited(1)


def take_guess(ctx, email: str, reason: str, account: Account | None = None, *, lockout: bool = False,
               also=None, api_token_id: int | None = None) -> LoginAttempt:
    """Count a guess of a password or code before it is checked: recorded as the failure `reason` and
    committed (ending the request's transaction so far), or refused with 429 (403 when `lockout` and the
    account is locked) after recording why. `lockout` also counts the guess towards the account's
    lockout; `also()` may count more under the same hold and answer a Problem to refuse the guess. A
    guess through an API token (`api_token_id`) counts against the token alone."""
    keys = [f"token:{api_token_id}"] if api_token_id is not None else [f"email:{email}", f"address:{ctx.source_ip}"]
    hold(ctx.db, keys)
    refusal = None
    wait = retry_after(ctx.db, email, ctx.source_ip, api_token_id)
    if wait:
        refusal, why = rate_limited(wait), "rate_limited"
    elif lockout and account is not None:
        refusal = count_towards_lockout(ctx, account)
        why = "locked" if refusal is not None and refusal.status == 403 else "rate_limited"
    if refusal is None and also is not None:
        refusal = also()
        why = reason
    if refusal is not None:
        if why != reason:
            record(ctx, email, False, why, account, api_token_id)
        ctx.db.commit()
        raise refusal
    attempt = record(ctx, email, False, reason, account, api_token_id)
    ctx.db.commit()
    return attempt


def settle(ctx, attempt: LoginAttempt, success: bool, reason: str) -> None:
    """What a counted guess turned out to be (a right one no longer counts against the limits)."""
    attempt.success, attempt.reason = success, reason
    ctx.db.add(attempt)


def right_password(ctx, attempt: LoginAttempt, account: Account, reason: str = "password_ok",
                   success: bool = True) -> None:
    """The password was right: the run of wrong ones is over."""
    settle(ctx, attempt, success, reason)
    ctx.db.execute(update(Account).where(Account.id == account.id).values(failed_logins=0))


def uncount(ctx, account: Account) -> None:
    """Take back a guess counted towards `account`'s lockout that turned out to be meant for another
    account of the same address (the password was that one's)."""
    ctx.db.execute(update(Account).where(Account.id == account.id, Account.failed_logins > 0)
                   .values(failed_logins=Account.failed_logins - 1))


def wrong_password(ctx, account: Account) -> None:
    """The password of a counted login guess was wrong: lock the account if that was the last one."""
    ctx.db.execute(
        update(Account)
        .where(Account.id == account.id, Account.locked_at == None, Account.failed_logins >= LOCKOUT_AFTER)  # noqa: E711
        .values(locked_at=clock.now())
    )
