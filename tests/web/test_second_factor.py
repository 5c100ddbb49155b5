"""Two-factor login as seed 002 describes it: TOTP codes valid for their 30-second step (one step of
skew), each once; five wrong codes end the pending login; recovery codes as the backup factor."""

from __future__ import annotations

from sqlmodel import select

from tests.web.helpers import PASSWORD, code_at, enrol_totp, login, make_account, make_tenant
from web import clock
from web.models import Account, RecoveryCode


def _enrolled(client, db, settings, **tenant_fields):
    tenant = make_tenant(db, **tenant_fields)
    make_account(db, settings, tenant.id, "anna@acme.test")
    login(client, "anna@acme.test")
    secret, codes = enrol_totp(client)
    client.post("/api/auth/logout")
    clock.advance(30)  # the enrolment code's step is spent; start the login in a fresh step
    return tenant, secret, codes


def _second_factor(client, **body):
    return client.post("/api/auth/second-factor", json=body)


def test_enrolment_gives_a_qr_code_a_manual_key_and_ten_recovery_codes(client, db, settings):
    tenant = make_tenant(db)
    make_account(db, settings, tenant.id, "anna@acme.test")
    login(client, "anna@acme.test")
    started = client.post("/api/account/second-factors/totp", json={"password": PASSWORD}).json()
    assert started["qr_svg"].startswith("<svg") and started["secret"] in started["otpauth_uri"]
    assert started["otpauth_uri"].startswith("otpauth://totp/")
    confirmed = client.post("/api/account/second-factors/totp/confirm", json={"code": code_at(started["secret"])})
    codes = confirmed.json()["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    with db() as session:
        stored = [row.code_hash for row in session.exec(select(RecoveryCode)).all()]
    assert len(stored) == 10 and not set(codes) & set(stored)  # stored hashed only
    overview = client.get("/api/account/second-factors").json()
    assert overview == {"totp_enabled": True, "primary": "totp", "recovery_codes_left": 10, "required_by_tenant": False,
                        "phone_number": None, "phone_language": None}


def test_enrolment_needs_the_password_again(client, db, settings):
    tenant = make_tenant(db)
    make_account(db, settings, tenant.id, "anna@acme.test")
    login(client, "anna@acme.test")
    refused = client.post("/api/account/second-factors/totp", json={"password": "not my password"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/password"


def test_enrolment_confirm_refuses_a_wrong_code(client, db, settings):
    tenant = make_tenant(db)
    make_account(db, settings, tenant.id, "anna@acme.test")
    login(client, "anna@acme.test")
    secret = client.post("/api/account/second-factors/totp", json={"password": PASSWORD}).json()["secret"]
    wrong = str((int(code_at(secret)) + 1) % 1_000_000).zfill(6)
    response = client.post("/api/account/second-factors/totp/confirm", json={"code": wrong})
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/code"
    assert client.get("/api/account/second-factors").json()["totp_enabled"] is False


def test_right_code_completes_the_login(client, db, settings):
    _, secret, _ = _enrolled(client, db, settings)
    pending = login(client, "anna@acme.test", expect_stage="2fa")
    assert pending["stage"] == "2fa"
    assert client.get("/api/accounts").json()["code"] == "second_factor_required"
    done = _second_factor(client, code=code_at(secret))
    assert done.status_code == 200 and done.json()["stage"] == "full"
    client.headers["x-csrf-token"] = done.json()["csrf_token"]
    assert client.get("/api/accounts").status_code == 200


def test_a_code_from_one_step_ago_is_accepted_for_clock_skew(client, db, settings):
    _, secret, _ = _enrolled(client, db, settings)
    clock.advance(60)
    login(client, "anna@acme.test", expect_stage="2fa")
    assert _second_factor(client, code=code_at(secret, -1)).status_code == 200


def test_a_code_from_two_steps_ago_is_refused(client, db, settings):
    _, secret, _ = _enrolled(client, db, settings)
    clock.advance(90)
    login(client, "anna@acme.test", expect_stage="2fa")
    response = _second_factor(client, code=code_at(secret, -2))
    assert response.status_code == 401 and response.json()["code"] == "wrong_code"


def test_a_code_works_only_once(client, db, settings):
    _, secret, _ = _enrolled(client, db, settings)
    code = code_at(secret)
    login(client, "anna@acme.test", expect_stage="2fa")
    assert _second_factor(client, code=code).status_code == 200
    client.post("/api/auth/logout")
    login(client, "anna@acme.test", expect_stage="2fa")
    reused = _second_factor(client, code=code)
    assert reused.status_code == 401 and reused.json()["code"] == "wrong_code"
    # neither does an older one in the skew window once a newer step was used
    assert _second_factor(client, code=code_at(secret, -1)).status_code == 401


def test_five_wrong_codes_end_the_pending_login(client, db, settings):
    _, secret, _ = _enrolled(client, db, settings)
    login(client, "anna@acme.test", expect_stage="2fa")
    wrong = str((int(code_at(secret)) + 500_000) % 1_000_000).zfill(6)
    for left in (4, 3, 2, 1):
        response = _second_factor(client, code=wrong)
        assert response.status_code == 401 and response.json()["code"] == "wrong_code"
        assert str(left) in response.json()["title"]
    fifth = _second_factor(client, code=wrong)
    assert fifth.status_code == 401 and fifth.json()["code"] == "second_factor_exhausted"
    # even the right code is no use now: the password is needed again
    assert _second_factor(client, code=code_at(secret)).status_code == 401
    login(client, "anna@acme.test", expect_stage="2fa")
    assert _second_factor(client, code=code_at(secret)).status_code == 200


def test_recovery_code_works_once(client, db, settings):
    _, _, codes = _enrolled(client, db, settings)
    login(client, "anna@acme.test", expect_stage="2fa")
    assert _second_factor(client, recovery_code=codes[0].upper()).status_code == 200
    assert client.get("/api/auth/me").json()["recovery_codes_left"] == 9
    client.post("/api/auth/logout")
    login(client, "anna@acme.test", expect_stage="2fa")
    again = _second_factor(client, recovery_code=codes[0])
    assert again.status_code == 401
    assert _second_factor(client, recovery_code=codes[1]).status_code == 200


def test_removing_and_renewing_factors_need_the_password(client, db, settings):
    _, secret, codes = _enrolled(client, db, settings)
    login(client, "anna@acme.test", expect_stage="2fa")
    client.headers["x-csrf-token"] = _second_factor(client, code=code_at(secret)).json()["csrf_token"]
    assert client.post("/api/account/second-factors/recovery-codes", json={"password": "wrong"}).status_code == 422
    renewed = client.post("/api/account/second-factors/recovery-codes", json={"password": PASSWORD}).json()["codes"]
    assert not set(renewed) & set(codes)
    assert client.put("/api/account/second-factors/primary", json={"password": "wrong", "factor": "totp"}).status_code == 422
    assert client.put("/api/account/second-factors/primary", json={"password": PASSWORD, "factor": "totp"}).status_code == 200
    assert client.post("/api/account/second-factors/totp/remove", json={"password": "wrong"}).status_code == 422
    assert client.post("/api/account/second-factors/totp/remove", json={"password": PASSWORD}).status_code == 204
    client.post("/api/auth/logout")
    login(client, "anna@acme.test", expect_stage="full")


def test_a_tenant_can_make_2fa_mandatory(client, db, settings):
    tenant = make_tenant(db)
    make_account(db, settings, tenant.id, "boss@acme.test")
    make_account(db, settings, tenant.id, "anna@acme.test", role="user")
    login(client, "boss@acme.test")
    assert client.patch("/api/tenant", json={"require_2fa": True}).status_code == 200
    client.post("/api/auth/logout")

    login(client, "anna@acme.test", expect_stage="enrol")
    refused = client.get("/api/tenant")
    assert refused.status_code == 403 and refused.json()["code"] == "second_factor_enrolment_required"
    secret = client.post("/api/account/second-factors/totp", json={"password": PASSWORD}).json()["secret"]
    confirmed = client.post("/api/account/second-factors/totp/confirm", json={"code": code_at(secret)}).json()
    assert confirmed["stage"] == "full"
    client.headers["x-csrf-token"] = confirmed["csrf_token"]
    assert client.get("/api/tenant").status_code == 200
    removal = client.post("/api/account/second-factors/totp/remove", json={"password": PASSWORD})
    assert removal.status_code == 409 and removal.json()["code"] == "second_factor_required_by_tenant"


def test_an_admin_can_reset_a_lost_authenticator(client, db, settings):
    tenant, secret, _ = _enrolled(client, db, settings)
    make_account(db, settings, tenant.id, "boss@acme.test")
    login(client, "boss@acme.test")
    with db() as session:
        anna = session.exec(select(Account).where(Account.email == "anna@acme.test")).one()
    assert client.post(f"/api/accounts/{anna.id}/reset-second-factor").json()["totp_enabled"] is False
    client.post("/api/auth/logout")
    login(client, "anna@acme.test", expect_stage="full")
