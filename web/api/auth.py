"""Logging in and out: password, second factor, forced password change, reset and welcome links."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, Field
from sqlalchemy import update
from sqlmodel import select

from web import clock
from web.api.problems import Problem, field_problem, problem_response
from web.api.routing import ALL_STAGES, api
from web.auth import links, ratelimit, sessions, totp
from web.auth.passwords import hash_password, needs_rehash, verify_password
from web.auth.reauth import confirm_password
from web.auth.strength import weakness
from web.auth.tokens import digest, normalise_recovery_code
from web.domain import phone_codes
from web.i18n import t
from web.models import Account, LoginSession, RecoveryCode, Tenant
from web.models.phone_code import PhoneCode
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


class LoginFactors(BaseModel):
    """The second factors a login may finish with, the primary one asked first (seed 002)."""

    primary: Optional[Literal["totp", "phone"]] = None
    totp: bool = False
    phone: Optional[str] = None  # the number called, partly hidden (whoever typed the password sees this)


class SessionState(BaseModel):
    """Where the caller stands: `stage` says what the login still needs."""

    stage: Literal["2fa", "password", "enrol", "full"]
    csrf_token: Optional[str] = None
    account: AccountPublic
    tenant_name: Optional[str] = None
    tenant_requires_2fa: bool = False
    recovery_codes_left: int = 0
    factors: LoginFactors = LoginFactors()


class PhoneCall(BaseModel):
    """The call that speaks a login code: to which number (partly hidden), how it went, what is left."""

    number: str
    call_state: Literal["calling", "answered", "failed"]
    calls_left: int
    again_in_s: int  # seconds before "send again" may ring once more


def has_second_factor(account: Account) -> bool:
    return account.totp_enabled or account.phone_factor_number is not None


def login_factors(account: Account) -> LoginFactors:
    phone = account.phone_factor_number
    primary = account.primary_factor
    if primary == "phone" and phone is None or primary == "totp" and not account.totp_enabled:
        primary = "totp" if account.totp_enabled else "phone" if phone else None
    return LoginFactors(primary=primary, totp=account.totp_enabled,
                        phone=phone_codes.masked(phone) if phone else None)


def next_stage(ctx, account: Account, second_factor_done: bool) -> str:
    if has_second_factor(account) and not second_factor_done:
        return "2fa"
    if account.must_change_password:
        return "password"
    tenant = ctx.db.get(Tenant, account.tenant_id) if account.tenant_id else None
    if tenant is not None and tenant.require_2fa and not has_second_factor(account):
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
        factors=login_factors(account),
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
    accounts = ctx.db.exec(select(Account).where(Account.email == email).order_by(Account.id)).all()
    if len(accounts) > 1:
        return _login_one_of(ctx, body, email, accounts)
    account = accounts[0] if accounts else None
    # counted (and refused at the limits or when locked) before the password is tried
    attempt = ratelimit.take_guess(ctx, email, "wrong_password" if account else "unknown_account", account,
                                   lockout=True)
    if not verify_password(ctx.settings, account.password_hash if account else None, body.password):
        if account is not None:
            ratelimit.wrong_password(ctx, account)
        return problem_response(Problem(401, "wrong_credentials"), ctx.lang)
    return _password_right(ctx, body, attempt, account)


def _login_one_of(ctx, body: LoginRequest, email: str, accounts: list[Account]):
    """One address, accounts in several companies (web/models/account.py): the password says which,
    as two accounts of one address never share one. The guess counts towards each account's lockout
    (it is a guess at each), and is taken back from the others when it was right for one of them."""
    counted: list[Account] = []

    def count_each():
        for candidate in accounts:
            if ratelimit.count_towards_lockout(ctx, candidate) is None:
                counted.append(candidate)
        if counted:
            return None
        locked = all(candidate.locked_at is not None for candidate in accounts)
        return Problem(403, "account_locked") if locked else ratelimit.rate_limited(1)

    attempt = ratelimit.take_guess(ctx, email, "wrong_password", None, also=count_each)
    account = next((candidate for candidate in counted
                    if verify_password(ctx.settings, candidate.password_hash, body.password)), None)
    if account is None:
        for candidate in counted:
            ratelimit.wrong_password(ctx, candidate)
        return problem_response(Problem(401, "wrong_credentials"), ctx.lang)
    for candidate in counted:
        if candidate is not account:
            ratelimit.uncount(ctx, candidate)
    attempt.account_id, attempt.tenant_id = account.id, account.tenant_id
    return _password_right(ctx, body, attempt, account)


def _password_right(ctx, body: LoginRequest, attempt, account: Account):
    if account.blocked:
        ratelimit.right_password(ctx, attempt, account, "blocked", success=False)
        return problem_response(Problem(403, "account_blocked"), ctx.lang)
    ratelimit.right_password(ctx, attempt, account)
    if needs_rehash(ctx.settings, account.password_hash):
        account.password_hash = hash_password(ctx.settings, body.password)
    return _complete(ctx, account, next_stage(ctx, account, second_factor_done=False))


def _spend_step(ctx, account: Account, step: int) -> bool:
    """Accept the TOTP step `step` if no code of it (or of a later step) was accepted before: one
    conditional UPDATE, so of many requests with one code exactly one wins."""
    spent = ctx.db.execute(update(Account).where(Account.id == account.id, Account.totp_last_step < step)
                           .values(totp_last_step=step))
    return spent.rowcount == 1


def _spend_recovery_code(ctx, account: Account, code: str) -> bool:
    wanted = digest(normalise_recovery_code(code))
    spent = ctx.db.execute(update(RecoveryCode).where(
        RecoveryCode.account_id == account.id, RecoveryCode.code_hash == wanted, RecoveryCode.used_at == None  # noqa: E711
    ).values(used_at=clock.now()))
    return spent.rowcount == 1


def second_factor(ctx, body: SecondFactorRequest):
    """Finish a login with an authenticator code or a recovery code."""
    session, account = ctx.login_session, ctx.account
    if session is None or session.stage != "2fa":
        raise Problem(409, "no_pending_login")
    if not body.code and not body.recovery_code:
        raise field_problem(422, "code_missing", "/code", "enter the code from your authenticator app or the call")
    tries = []

    def one_more_try():
        # this pending login's own five tries, counted like the rest before the code is checked
        counted = ctx.db.execute(update(LoginSession).where(LoginSession.id == session.id,
                                                            LoginSession.failed_codes < MAX_CODE_ATTEMPTS)
                                 .values(failed_codes=LoginSession.failed_codes + 1)
                                 .returning(LoginSession.failed_codes)).first()
        if counted is None:
            return Problem(401, "second_factor_exhausted")
        tries.append(counted[0])
        return None

    attempt = ratelimit.take_guess(ctx, account.email, "code_wrong", account, also=one_more_try)
    ok, reason = False, "code_wrong"
    if body.code:
        # the code spoken by the call of this login, else the authenticator's
        if account.phone_factor_number and phone_codes.spend_login_code(ctx.db, ctx.settings, account, session.id,
                                                                         body.code):
            ok, reason = True, "phone_code_ok"
        elif account.totp_enabled:
            step = totp.matching_step(account.totp_secret or "", body.code, clock.timestamp(), account.totp_last_step)
            if step is not None and _spend_step(ctx, account, step):
                ok, reason = True, "code_ok"
    elif _spend_recovery_code(ctx, account, body.recovery_code):
        ok, reason = True, "recovery_code_ok"
    if ok:
        ratelimit.settle(ctx, attempt, True, reason)
        return _complete(ctx, account, next_stage(ctx, account, second_factor_done=True))
    left = MAX_CODE_ATTEMPTS - tries[0]
    if left <= 0:
        sessions.end_session(ctx)
        return problem_response(Problem(401, "second_factor_exhausted"), ctx.lang)
    return problem_response(Problem(401, "wrong_code", params={"left": left}, errors=[
        {"pointer": "/recovery_code" if body.recovery_code and not body.code else "/code", "code": "wrong_code", "message": f"{left} attempts left"}
    ]), ctx.lang)


def _phone_call(ctx, row) -> PhoneCall:
    session = ctx.login_session
    made = len(ctx.db.exec(select(PhoneCode.id).where(PhoneCode.login_session_id == session.id)).all())
    wait = 0
    if row is not None and row.call_state != "failed":
        wait = max(0, int(phone_codes.RESEND_AFTER_S - (clock.now() - row.created_at).total_seconds() + 0.999))
    return PhoneCall(number=phone_codes.masked(row.number if row is not None else ctx.account.phone_factor_number or ""),
                     call_state=row.call_state if row is not None else "failed",
                     calls_left=max(0, phone_codes.MAX_CALLS_PER_LOGIN - made), again_in_s=wait)


def call_for_code(ctx):
    """Have the phone factor's number called with a login code ("send again" too: three calls per
    login, the next once the code before could have expired, ten per hour per account)."""
    session, account = ctx.login_session, ctx.account
    if session is None or session.stage != "2fa":
        raise Problem(409, "no_pending_login")
    if account.phone_factor_number is None:
        raise Problem(409, "phone_factor_not_enabled")
    # calls for one account are counted one after the other (the hold lasts until this commits)
    ratelimit.hold(ctx.db, [f"phone-call:{account.id}"])
    before = phone_codes.latest(ctx.db, account.id, "login", session.id)
    made = len(ctx.db.exec(select(PhoneCode.id).where(PhoneCode.login_session_id == session.id)).all())
    if made >= phone_codes.MAX_CALLS_PER_LOGIN:
        raise Problem(429, "phone_calls_exhausted")
    if before is not None and before.call_state != "failed":
        wait = phone_codes.RESEND_AFTER_S - (clock.now() - before.created_at).total_seconds()
        if wait > 0:
            raise ratelimit.rate_limited(int(wait + 0.999))
    if phone_codes.calls_this_hour(ctx.db, account.id) >= phone_codes.MAX_CALLS_PER_HOUR:
        raise ratelimit.rate_limited(15 * 60)
    row, start = phone_codes.issue(ctx.db, ctx.settings, account, "login", account.phone_factor_number,
                                   account.phone_factor_language or account.language, login_session_id=session.id)
    ctx.after_commit(start)
    return _phone_call(ctx, row)


def phone_call_state(ctx):
    """How the call with this login's code went (the login screen asks while it rings)."""
    session, account = ctx.login_session, ctx.account
    if session is None or session.stage != "2fa" or account.phone_factor_number is None:
        raise Problem(409, "no_pending_login")
    row = phone_codes.latest(ctx.db, account.id, "login", session.id)
    if row is None:
        raise Problem(404, "not_found")
    return _phone_call(ctx, row)


def logout(ctx):
    """End this browser session."""
    # Queue agents leave the queues with the web panel (seed 004), unless the company turned that off.
    from web.api.agents import log_out_with_portal

    log_out_with_portal(ctx)
    sessions.end_session(ctx)


def me(ctx):
    """Who is logged in, at which login stage, with the CSRF token for writes."""
    return session_state(ctx)


def _require_strong(ctx, password: str, account: Account) -> None:
    """Refuse (422 on /new_password, saying why in the person's language) a password easy to guess."""
    reason = weakness(password, (account.email, account.first_name, account.last_name,
                                 f"{account.first_name} {account.last_name}"))
    if reason is not None:
        raise field_problem(422, "weak_password", "/new_password", t(ctx.lang, f"password.weak.{reason}"))


def _require_own(ctx, password: str, account: Account) -> None:
    """Refuse (422 on /new_password) the password of another account of the same address: logging in
    with the address tells the accounts apart by their passwords. Only the person holding the address
    (logged in, or with a link mailed to it) gets this answer."""
    others = ctx.db.exec(select(Account).where(Account.email == account.email, Account.id != account.id,
                                               Account.password_hash.is_not(None))).all()
    if any(verify_password(ctx.settings, other.password_hash, password) for other in others):
        raise field_problem(422, "password_of_another_account", "/new_password",
                            "your address has another account with this password; give each its own")


def change_password(ctx, body: PasswordChange):
    """Change one's own password (also the forced change after a one-time password)."""
    account = ctx.account
    if not confirm_password(ctx, body.current_password):
        return problem_response(field_problem(422, "wrong_password", "/current_password", "is not your current password"), ctx.lang)
    if body.new_password == body.current_password:
        raise field_problem(422, "password_unchanged", "/new_password", "must differ from the current password")
    _require_strong(ctx, body.new_password, account)
    _require_own(ctx, body.new_password, account)
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
    ratelimit.hold(ctx.db, [f"email:{email}", f"address:{ctx.source_ip}"])  # counted one after the other
    if ratelimit.recent(ctx.db, "reset_requested", source_ip=ctx.source_ip) >= ratelimit.PER_ADDRESS:
        raise Problem(429, "rate_limited", headers={"Retry-After": str(int(ratelimit.WINDOW.total_seconds()))},
                      params={"seconds": int(ratelimit.WINDOW.total_seconds())})
    # one link for each account of the address (accounts in several companies: each mail names its company)
    accounts = ctx.db.exec(select(Account).where(Account.email == email).order_by(Account.id)).all()
    quiet = ratelimit.recent(ctx.db, "reset_requested", email=email) >= 3  # no mail bombing one inbox
    ratelimit.record(ctx, email, False, "reset_requested", accounts[0] if len(accounts) == 1 else None)
    for account in accounts:
        if not account.blocked and not quiet:
            links.issue(ctx, account, "reset")
    return _accepted()


def confirm_reset(ctx, body: ResetConfirm):
    """Set a new password with a reset or welcome link; the link works once (not spent by a password
    that is refused)."""
    pending = links.usable(ctx, body.token)
    if pending is not None:
        _require_strong(ctx, body.new_password, ctx.db.get(Account, pending.account_id))
        _require_own(ctx, body.new_password, ctx.db.get(Account, pending.account_id))
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
    api("POST", "/api/auth/second-factor/call", call_for_code, permission="self", response=PhoneCall,
        stages={"2fa"}, status=202),
    api("GET", "/api/auth/second-factor/call", phone_call_state, permission="self", response=PhoneCall,
        stages={"2fa"}),
    api("POST", "/api/auth/logout", logout, permission="self", stages=ALL_STAGES, status=204),
    api("GET", "/api/auth/me", me, permission="self", response=SessionState, stages=ALL_STAGES),
    api("POST", "/api/auth/password", change_password, permission="self", body=PasswordChange,
        response=SessionState, stages={"password", "full"}),
    api("POST", "/api/auth/password-reset", request_reset, permission="public", body=ResetRequest, status=202),
    api("POST", "/api/auth/password-reset/confirm", confirm_reset, permission="public", body=ResetConfirm, status=204),
]
