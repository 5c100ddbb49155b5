"""Managing one's own second factors (seed 002 "Bewerk 2FA"): the authenticator app (TOTP) and the
recovery codes that back it up, and the code by phone (a call speaks it: web/domain/phone_codes.py),
proven by a call whose code is typed back before it counts. Either may be the primary factor (asked
first at login), the other the backup. Adding, removing and choosing the primary factor ask for the
password."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import update
from sqlmodel import select

from web import clock
from web.api.auth import MAX_CODE_ATTEMPTS, next_stage, recovery_codes_left
from web.api.problems import Problem, field_problem, problem_response
from web.api.routing import api
from web.auth import ratelimit, sessions, totp
from web.auth.reauth import confirm_password
from web.auth.tokens import digest, new_recovery_code
from web.domain import phone_codes
from web.models import Account, RecoveryCode, Tenant
from web.models.phone_code import PhoneCode

ISSUER = "Callplan PBX"
RECOVERY_CODE_COUNT = 10
ENROL_STAGES = {"enrol", "full"}


class PasswordConfirm(BaseModel):
    password: str = Field(max_length=1024)


class TotpConfirm(BaseModel):
    code: str = Field(max_length=20)


class PrimaryChoice(BaseModel):
    password: str = Field(max_length=1024)
    factor: Literal["totp", "phone"]


class PhoneEnrolment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(max_length=1024)
    number: str = Field(max_length=40)  # 7 to 15 digits, with or without the country code, or an extension
    language: Literal["nl", "en", "de", "fr"] = "en"  # the code is spoken in it (seed 002)


class PhoneEnrolmentStarted(BaseModel):
    number: str  # as it will be called: E.164, or the extension
    language: str


class PhoneConfirm(BaseModel):
    code: str = Field(max_length=20)


class TotpEnrolment(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg: str


class SecondFactors(BaseModel):
    totp_enabled: bool
    primary: Optional[str]
    recovery_codes_left: int
    required_by_tenant: bool
    phone_number: Optional[str] = None  # the code by phone is set up: the number called
    phone_language: Optional[str] = None


class PhoneConfirmed(SecondFactors):
    stage: str = "full"
    csrf_token: Optional[str] = None  # new when finishing enrolment moved the login on to a new session


class RecoveryCodes(BaseModel):
    codes: list[str]
    stage: str = "full"
    csrf_token: Optional[str] = None  # new when finishing enrolment moved the login on to a new session


def _tenant_requires(ctx) -> bool:
    tenant = ctx.db.get(Tenant, ctx.account.tenant_id) if ctx.account.tenant_id else None
    return bool(tenant and tenant.require_2fa)


def _guard(ctx, password: str):
    """None when `password` is the caller's; else the refusal to answer (answered, not raised: the
    counted guess must stay committed)."""
    if confirm_password(ctx, password):
        return None
    return problem_response(field_problem(422, "wrong_password", "/password", "is not your password"), ctx.lang)


def _new_codes(ctx) -> list[str]:
    account = ctx.account
    for old in ctx.db.exec(select(RecoveryCode).where(RecoveryCode.account_id == account.id)).all():
        ctx.db.delete(old)
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        ctx.db.add(RecoveryCode(account_id=account.id, tenant_id=account.tenant_id, code_hash=digest(code)))
    return codes


def overview(ctx):
    """Which second factors the caller has set up."""
    account = ctx.account
    return SecondFactors(
        totp_enabled=account.totp_enabled,
        primary=account.primary_factor,
        recovery_codes_left=recovery_codes_left(ctx, account),
        required_by_tenant=_tenant_requires(ctx),
        phone_number=account.phone_factor_number,
        phone_language=account.phone_factor_language if account.phone_factor_number else None,
    )


def start_totp(ctx, body: PasswordConfirm):
    """Begin adding an authenticator app: a new secret as QR code and as a key to type."""
    refused = _guard(ctx, body.password)
    if refused is not None:
        return refused
    account = ctx.account
    if account.totp_enabled:
        raise Problem(409, "totp_already_enabled")
    account.totp_secret = totp.new_secret()
    ctx.db.add(account)
    uri = totp.provisioning_uri(account.totp_secret, account.email, ISSUER)
    return TotpEnrolment(secret=account.totp_secret, otpauth_uri=uri, qr_svg=totp.qr_svg(uri))


def confirm_totp(ctx, body: TotpConfirm):
    """Finish adding the authenticator with a code from it; answers the recovery codes, once."""
    account = ctx.account
    if account.totp_enabled or not account.totp_secret:
        raise Problem(409, "no_totp_enrolment")
    step = totp.matching_step(account.totp_secret, body.code, clock.timestamp(), account.totp_last_step)
    if step is None:
        raise field_problem(422, "wrong_enrolment_code", "/code", "does not match the authenticator; check the phone's clock")
    # the code by phone stays the primary factor when it was
    primary = "phone" if account.phone_factor_number and account.primary_factor == "phone" else "totp"
    # one conditional UPDATE: two confirmations racing with one code turn it on (and make codes) once
    enabled = ctx.db.execute(update(Account).where(Account.id == account.id, Account.totp_enabled == False,  # noqa: E712
                                                   Account.totp_secret == account.totp_secret,
                                                   Account.totp_last_step < step)
                             .values(totp_enabled=True, totp_last_step=step, primary_factor=primary))
    if enabled.rowcount != 1:
        raise Problem(409, "no_totp_enrolment")
    codes = _new_codes(ctx)
    stage = "full"
    if ctx.login_session is not None and ctx.login_session.stage == "enrol":
        stage = next_stage(ctx, account, second_factor_done=True)
        sessions.advance_session(ctx, stage)
    csrf = ctx.login_session.csrf_token if ctx.login_session is not None else None
    return RecoveryCodes(codes=codes, stage=stage, csrf_token=csrf)


def remove_totp(ctx, body: PasswordConfirm):
    """Remove the authenticator (and with it the recovery codes)."""
    if _tenant_requires(ctx) and ctx.account.phone_factor_number is None:
        raise Problem(409, "second_factor_required_by_tenant")
    refused = _guard(ctx, body.password)
    if refused is not None:
        return refused
    account = ctx.account
    if not account.totp_enabled:
        raise Problem(409, "totp_not_enabled")
    account.totp_enabled = False
    account.totp_secret = None
    account.primary_factor = "phone" if account.phone_factor_number else None
    ctx.db.add(account)
    for code in ctx.db.exec(select(RecoveryCode).where(RecoveryCode.account_id == account.id)).all():
        ctx.db.delete(code)
    return None


def renew_recovery_codes(ctx, body: PasswordConfirm):
    """Replace the recovery codes with ten new ones (the old ones stop working)."""
    refused = _guard(ctx, body.password)
    if refused is not None:
        return refused
    if not ctx.account.totp_enabled:
        raise Problem(409, "totp_not_enabled")
    return RecoveryCodes(codes=_new_codes(ctx))


def choose_primary(ctx, body: PrimaryChoice):
    """Choose which factor asks first at login."""
    refused = _guard(ctx, body.password)
    if refused is not None:
        return refused
    account = ctx.account
    if body.factor == "totp" and not account.totp_enabled or body.factor == "phone" and not account.phone_factor_number:
        raise field_problem(422, "factor_not_enabled", "/factor", "set up this factor first")
    account.primary_factor = body.factor
    ctx.db.add(account)
    return overview(ctx)


def start_phone(ctx, body: PhoneEnrolment):
    """Begin adding the code by phone: the number is called with a code, typed back to prove it."""
    refused = _guard(ctx, body.password)
    if refused is not None:
        return refused
    account = ctx.account
    if account.tenant_id is None:
        raise Problem(409, "phone_factor_needs_company")  # the company's own switch makes the call
    # calls for one account are counted one after the other (the hold lasts until this commits)
    ratelimit.hold(ctx.db, [f"phone-call:{account.id}"])
    if phone_codes.calls_this_hour(ctx.db, account.id) >= phone_codes.MAX_CALLS_PER_HOUR:
        raise ratelimit.rate_limited(15 * 60)
    row, start = phone_codes.issue(ctx.db, ctx.settings, account, "enrol", body.number, body.language)
    ctx.after_commit(start)
    return PhoneEnrolmentStarted(number=row.number, language=row.language)


def confirm_phone(ctx, body: PhoneConfirm):
    """Finish adding the code by phone with the code the call spoke: five tries per call, each counted
    before it is checked; the code works once."""
    account = ctx.account
    row = phone_codes.latest(ctx.db, account.id, "enrol")
    if row is None or row.used_at is not None or row.expires_at <= clock.now():
        raise Problem(409, "no_phone_enrolment")
    counted = ctx.db.execute(update(PhoneCode).where(PhoneCode.id == row.id, PhoneCode.failed < MAX_CODE_ATTEMPTS)
                             .values(failed=PhoneCode.failed + 1).returning(PhoneCode.failed)).first()
    if counted is None:
        raise Problem(409, "no_phone_enrolment")
    ctx.db.commit()  # the try stays counted whatever follows
    code = phone_codes.normalised(body.code)
    spent = ctx.db.execute(update(PhoneCode).where(
        PhoneCode.id == row.id, PhoneCode.used_at == None, PhoneCode.expires_at > clock.now(),  # noqa: E711
        PhoneCode.code_hash == phone_codes.code_hash(ctx.settings.secret_key, account.id, code),
    ).values(used_at=clock.now())).rowcount == 1
    if not spent:
        left = MAX_CODE_ATTEMPTS - counted[0]
        return problem_response(Problem(422, "wrong_code", params={"left": left}, errors=[
            {"pointer": "/code", "code": "wrong_code", "message": f"{left} attempts left"}]), ctx.lang)
    account.phone_factor_number, account.phone_factor_language = row.number, row.language
    if account.primary_factor is None or account.primary_factor == "totp" and not account.totp_enabled:
        account.primary_factor = "phone"
    ctx.db.add(account)
    stage = "full"
    if ctx.login_session is not None and ctx.login_session.stage == "enrol":
        stage = next_stage(ctx, account, second_factor_done=True)
        sessions.advance_session(ctx, stage)
    csrf = ctx.login_session.csrf_token if ctx.login_session is not None else None
    return PhoneConfirmed(**overview(ctx).model_dump(), stage=stage, csrf_token=csrf)


def remove_phone(ctx, body: PasswordConfirm):
    """Remove the code by phone."""
    if _tenant_requires(ctx) and not ctx.account.totp_enabled:
        raise Problem(409, "second_factor_required_by_tenant")
    refused = _guard(ctx, body.password)
    if refused is not None:
        return refused
    account = ctx.account
    if account.phone_factor_number is None:
        raise Problem(409, "phone_factor_not_enabled")
    account.phone_factor_number = account.phone_factor_language = None
    account.primary_factor = "totp" if account.totp_enabled else None
    ctx.db.add(account)
    return None


routes = [
    api("GET", "/api/account/second-factors", overview, permission="self", response=SecondFactors, stages=ENROL_STAGES),
    api("POST", "/api/account/second-factors/totp", start_totp, permission="self", body=PasswordConfirm,
        response=TotpEnrolment, stages=ENROL_STAGES),
    api("POST", "/api/account/second-factors/totp/confirm", confirm_totp, permission="self", body=TotpConfirm,
        response=RecoveryCodes, stages=ENROL_STAGES),
    api("POST", "/api/account/second-factors/totp/remove", remove_totp, permission="self", body=PasswordConfirm,
        status=204),
    api("POST", "/api/account/second-factors/recovery-codes", renew_recovery_codes, permission="self",
        body=PasswordConfirm, response=RecoveryCodes),
    api("POST", "/api/account/second-factors/phone", start_phone, permission="self", body=PhoneEnrolment,
        response=PhoneEnrolmentStarted, stages=ENROL_STAGES, status=202),
    api("POST", "/api/account/second-factors/phone/confirm", confirm_phone, permission="self", body=PhoneConfirm,
        response=PhoneConfirmed, stages=ENROL_STAGES),
    api("POST", "/api/account/second-factors/phone/remove", remove_phone, permission="self", body=PasswordConfirm,
        status=204),
    api("PUT", "/api/account/second-factors/primary", choose_primary, permission="self", body=PrimaryChoice,
        response=SecondFactors),
]
