"""Who is calling: a browser session cookie or a personal API token."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from web import clock
from web.auth import tokens
from web.models import Account, ApiToken, LoginSession

COOKIE = "pbx_session"
SESSION_LIFETIME = timedelta(hours=12)
PENDING_LIFETIME = timedelta(minutes=10)  # a half-finished login (code or enrolment outstanding)
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)  # last_used_at is not rewritten on every request


def authenticate(ctx) -> None:
    """Fill ctx.account (and ctx.login_session or ctx.via_token) from the request, or leave it empty."""
    header = ctx.request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        _from_token(ctx, header[7:].strip())
        return
    cookie = ctx.request.cookies.get(COOKIE)
    if cookie:
        _from_cookie(ctx, cookie)


def _usable(account: Account | None) -> bool:
    return account is not None and not account.blocked and account.locked_at is None


def _from_token(ctx, raw: str) -> None:
    now = clock.now()
    token = ctx.db.exec(select(ApiToken).where(ApiToken.token_hash == tokens.digest(raw))).first()
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return
    account = ctx.db.get(Account, token.account_id)
    if not _usable(account) or account.tenant_id != token.tenant_id:
        return
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        token.last_used_at = now
        ctx.db.add(token)
    ctx.account, ctx.via_token, ctx.api_token = account, True, token


def _from_cookie(ctx, raw: str) -> None:
    session = ctx.db.exec(select(LoginSession).where(LoginSession.token_hash == tokens.digest(raw))).first()
    if session is None:
        return
    if session.expires_at <= clock.now():
        ctx.db.delete(session)
        ctx.delete_cookie(COOKIE)
        return
    account = ctx.db.get(Account, session.account_id)
    if not _usable(account):
        return
    ctx.account, ctx.login_session = account, session


def start_session(ctx, account: Account, stage: str) -> LoginSession:
    """A new session (a fresh token: no session fixation) at `stage`; the cookie is set on the answer."""
    if ctx.login_session is not None:
        ctx.db.delete(ctx.login_session)
    raw = tokens.new_token()
    lifetime = SESSION_LIFETIME if stage == "full" else PENDING_LIFETIME
    session = LoginSession(
        token_hash=tokens.digest(raw),
        account_id=account.id,
        tenant_id=account.tenant_id,
        stage=stage,
        csrf_token=tokens.new_token(24),
        source_ip=ctx.source_ip,
        user_agent=ctx.user_agent,
        expires_at=clock.now() + lifetime,
    )
    ctx.db.add(session)
    ctx.login_session = session
    ctx.set_cookie(
        COOKIE,
        raw,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.secure_cookies or ctx.request.url.scheme == "https",
        path="/",
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )
    return session


def advance_session(ctx, stage: str) -> None:
    """Move the current session to `stage`, with a new token each time the caller gains rights."""
    start_session(ctx, ctx.account, stage)


def end_session(ctx) -> None:
    if ctx.login_session is not None:
        ctx.db.delete(ctx.login_session)
        ctx.login_session = None
    ctx.delete_cookie(COOKIE)


def end_all_sessions(db, account_id: int) -> None:
    """After a password change or reset: every other browser must log in again, and every API token of
    the account stops working (a token is a password's stand-in; whoever changes a leaked password
    expects what it let out to die with it)."""
    for session in db.exec(select(LoginSession).where(LoginSession.account_id == account_id)).all():
        db.delete(session)
    now = clock.now()
    for token in db.exec(select(ApiToken).where(ApiToken.account_id == account_id, ApiToken.revoked_at == None)).all():  # noqa: E711
        token.revoked_at = now
        db.add(token)
