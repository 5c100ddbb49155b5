"""Logging in and out: password, second factor, forced password change, reset and welcome links."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, Field
from sqlmodel import select

from web import clock
from web.api.problems import Problem, field_problem
from web.api.routing import ALL_STAGES, api
from web.auth import links, ratelimit, sessions, totp
from web.auth.passwords import hash_password, needs_rehash, verify_password
from web.auth.tokens import digest, normalise_recovery_code
from web.models import Account, RecoveryCode, Tenant
from web.models.account import AccountPublic
from web.validation import Password

MAX_CODE_ATTEMPTS = 5  # seed 002: five tries, then start again with the password


class LoginRequest(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class SecondFactorRequest(BaseModel):
    code: Optional[str] = Field(default=None, max_length=20)
    recovery_code: Optional[str] = Field(default=None, max_length=40)


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: Password


class ResetRequest(BaseModel):
    email: str = Field(max_length=254)


class ResetConfirm(BaseModel):
    token: str = Field(max_length=200)
    new_password: Password


class SessionState(BaseModel):
    """Where the caller stands: `stage` says what the login still needs."""

    stage: Literal["2fa", "password", "enrol", "full"]
    csrf_token: Optional[str] = None
    account: AccountPublic
    tenant_name: Optional[str] = None
    tenant_requires_2fa: bool = False
    recovery_codes_left: int = 0


def next_stage(ctx, account: Account, second_factor_done: bool) -> str:
    if account.totp_enabled and not second_factor_done:
        return "2fa"
    if account.must_change_password:
        return "password"
    tenant = ctx.db.get(Tenant, account.tenant_id) if account.tenant_id else None
    if tenant is not None and tenant.require_2fa and not account.totp_enabled:
        return "enrol"
    return "full"


def recovery_codes_left(ctx, account: Account) -> int:
    return len(ctx.db.exec(
        select(RecoveryCode.id).where(RecoveryCode.account_id == account.id, RecoveryCode.used_at == None)  # noqa: E711
    ).all())


def session_state(ctx) -> SessionState:
    account = ctx.account
    tenant = ctx.db.get(Tenant, account.tenant_id) if account.tenant_id else None
    session = ctx.login_session
    return SessionState(
        stage=session.stage if session is not None else "full",
        csrf_token=session.csrf_token if session is not None else None,
        account=AccountPublic.of(account),
        tenant_name=tenant.name if tenant else None,
        tenant_requires_2fa=bool(tenant and tenant.require_2fa),
        recovery_codes_left=recovery_codes_left(ctx, account),
    )


def _complete(ctx, account: Account, stage: str) -> SessionState:
    ctx.act_as(account)
    sessions.start_session(ctx, account, stage)
    if stage != "2fa":
        account.last_login_at = clock.now()
        ctx.db.add(account)
    return session_state(ctx)


def login(ctx, body: LoginRequest):
    """Log in with e-mail and password; the answer says whether a second factor is needed."""
    email = body.email.strip().lower()
    wait = ratelimit.retry_after(ctx.db, email, ctx.source_ip)
    if wait:
        ratelimit.record(ctx, email, False, "rate_limited")
        return Problem(429, "rate_limited", headers={"Retry-After": str(wait)}, params={"seconds": wait}).response(ctx.lang)
    account = ctx.db.exec(select(Account).where(Account.email == email)).first()
    if account is not None and account.locked_at is not None:
        ratelimit.record(ctx, email, False, "locked", account)
        return Problem(403, "account_locked").response(ctx.lang)
    if not verify_password(ctx.settings, account.password_hash if account else None, body.password):
        ratelimit.record(ctx, email, False, "wrong_password" if account else "unknown_account", account)
        if account is not None:
            account.failed_logins += 1
            if account.failed_logins >= ratelimit.LOCKOUT_AFTER:
                account.locked_at = clock.now()
            ctx.db.add(account)
        return Problem(401, "wrong_credentials").response(ctx.lang)
    if account.blocked:
        ratelimit.record(ctx, email, False, "blocked", account)
        return Problem(403, "account_blocked").response(ctx.lang)
    account.failed_logins = 0
    if needs_rehash(ctx.settings, account.password_hash):
        account.password_hash = hash_password(ctx.settings, body.password)
    ratelimit.record(ctx, email, True, "password_ok", account)
    return _complete(ctx, account, next_stage(ctx, account, second_factor_done=False))


def second_factor(ctx, body: SecondFactorRequest):
    """Finish a login with an authenticator code or a recovery code."""
    session, account = ctx.login_session, ctx.account
    if session is None or session.stage != "2fa":
        raise Problem(409, "no_pending_login")
    wait = ratelimit.retry_after(ctx.db, account.email, ctx.source_ip)
    if wait:
        raise Problem(429, "rate_limited", headers={"Retry-After": str(wait)}, params={"seconds": wait})
    ok, reason = False, "code_wrong"
    if body.code:
        step = totp.matching_step(account.totp_secret or "", body.code, clock.timestamp(), account.totp_last_step)
        if step is not None:
            account.totp_last_step = step
            ok, reason = True, "code_ok"
    elif body.recovery_code:
        wanted = digest(normalise_recovery_code(body.recovery_code))
        code = ctx.db.exec(
            select(RecoveryCode).where(
                RecoveryCode.account_id == account.id, RecoveryCode.code_hash == wanted, RecoveryCode.used_at == None  # noqa: E711
            )
        ).first()
        if code is not None:
            code.used_at = clock.now()
            ctx.db.add(code)
            ok, reason = True, "recovery_code_ok"
    else:
        raise field_problem(422, "code_missing", "/code", "enter the code from your authenticator app")
    ratelimit.record(ctx, account.email, ok, reason, account)
    if ok:
        return _complete(ctx, account, next_stage(ctx, account, second_factor_done=True))
    session.failed_codes += 1
    ctx.db.add(session)
    left = MAX_CODE_ATTEMPTS - session.failed_codes
    if left <= 0:
        sessions.end_session(ctx)
        return Problem(401, "second_factor_exhausted").response(ctx.lang)
    return Problem(401, "wrong_code", params={"left": left}, errors=[
        {"pointer": "/recovery_code" if body.recovery_code and not body.code else "/code", "code": "wrong_code", "message": f"{left} attempts left"}
    ]).response(ctx.lang)


def logout(ctx):
    """End this browser session."""
    # Queue agents leave the queues with the web panel (seed 004), unless the company turned that off.
    from web.api.agents import log_out_with_portal

    log_out_with_portal(ctx)
    sessions.end_session(ctx)


def me(ctx):
    """Who is logged in, at which login stage, with the CSRF token for writes."""
    return session_state(ctx)


def change_password(ctx, body: PasswordChange):
    """Change one's own password (also the forced change after a one-time password)."""
    account = ctx.account
    if not verify_password(ctx.settings, account.password_hash, body.current_password):
        ratelimit.record(ctx, account.email, False, "reauth_wrong_password", account)
        return field_problem(422, "wrong_password", "/current_password", "is not your current password").response(ctx.lang)
    if body.new_password == body.current_password:
        raise field_problem(422, "password_unchanged", "/new_password", "must differ from the current password")
    account.password_hash = hash_password(ctx.settings, body.new_password)
    account.must_change_password = False
    ctx.db.add(account)
    sessions.end_all_sessions(ctx.db, account.id)
    ctx.login_session = None
    if ctx.via_token:
        return None
    return _complete(ctx, account, next_stage(ctx, account, second_factor_done=True))


def request_reset(ctx, body: ResetRequest):
    """Mail a password-reset link. Always 202: the answer never says whether the address exists."""
    email = body.email.strip().lower()
    if ratelimit.recent(ctx.db, "reset_requested", source_ip=ctx.source_ip) >= ratelimit.PER_ADDRESS:
        raise Problem(429, "rate_limited", headers={"Retry-After": str(int(ratelimit.WINDOW.total_seconds()))},
                      params={"seconds": int(ratelimit.WINDOW.total_seconds())})
    account = ctx.db.exec(select(Account).where(Account.email == email)).first()
    quiet = ratelimit.recent(ctx.db, "reset_requested", email=email) >= 3  # no mail bombing one inbox
    ratelimit.record(ctx, email, False, "reset_requested", account)
    if account is not None and not account.blocked and not quiet:
        links.issue(ctx, account, "reset")
    return _accepted()


def confirm_reset(ctx, body: ResetConfirm):
    """Set a new password with a reset or welcome link; the link works once."""
    link = links.redeem(ctx, body.token)
    if link is None:
        raise field_problem(400, "link_invalid", "/token", "this link has expired or was already used")
    account = ctx.db.get(Account, link.account_id)
    account.password_hash = hash_password(ctx.settings, body.new_password)
    account.must_change_password = False
    account.locked_at = None
    account.failed_logins = 0
    ctx.db.add(account)
    sessions.end_all_sessions(ctx.db, account.id)
    ratelimit.record(ctx, account.email, True, f"{link.purpose}_link_used", account)
    return None


def _accepted():
    from starlette.responses import JSONResponse

    return JSONResponse({"status": "accepted"}, status_code=202)


routes = [
    api("POST", "/api/auth/login", login, permission="public", body=LoginRequest, response=SessionState),
    api("POST", "/api/auth/second-factor", second_factor, permission="self", body=SecondFactorRequest,
        response=SessionState, stages={"2fa"}),
    api("POST", "/api/auth/logout", logout, permission="self", stages=ALL_STAGES, status=204),
    api("GET", "/api/auth/me", me, permission="self", response=SessionState, stages=ALL_STAGES),
    api("POST", "/api/auth/password", change_password, permission="self", body=PasswordChange,
        response=SessionState, stages={"password", "full"}),
    api("POST", "/api/auth/password-reset", request_reset, permission="public", body=ResetRequest, status=202),
    api("POST", "/api/auth/password-reset/confirm", confirm_reset, permission="public", body=ResetConfirm, status=204),
]
