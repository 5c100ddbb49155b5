"""Login, logout, lockout, rate limits, reset and welcome links, API tokens, CSRF."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from tests.web.helpers import PASSWORD, login, make_account, make_tenant, make_token
from web import clock
from web.auth import ratelimit
from web.models import Account, LoginAttempt


def _setup(db, settings, **account_fields):
    tenant = make_tenant(db)
    account = make_account(db, settings, tenant.id, "anna@acme.test", **account_fields)
    return tenant, account


def test_login_sets_an_httponly_session_cookie_and_logout_ends_it(client, db, settings):
    _setup(db, settings)
    response = client.post("/api/auth/login", json={"email": "Anna@Acme.test ", "password": PASSWORD})
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert "pbx_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # served over http here
    client.headers["x-csrf-token"] = response.json()["csrf_token"]
    assert client.get("/api/auth/me").json()["account"]["email"] == "anna@acme.test"

    assert client.post("/api/auth/logout").status_code == 204
    assert client.get("/api/auth/me").status_code == 401


def test_session_cookie_is_secure_behind_https(database_url, db, settings):
    from starlette.testclient import TestClient

    from tests.conftest import fast_settings
    from web.app import create_app

    app = create_app(fast_settings(database_url, public_base_url="https://pbx.example.com"))
    _setup(lambda: __import__("web.db", fromlist=["x"]).session_scope(app.state.engine), settings)
    with TestClient(app, base_url="https://pbx.example.com") as client:
        response = client.post("/api/auth/login", json={"email": "anna@acme.test", "password": PASSWORD})
        assert "Secure" in response.headers["set-cookie"]
    app.state.engine.dispose()


def test_wrong_password_and_unknown_account_get_the_same_answer(client, db, settings):
    _setup(db, settings)
    wrong = client.post("/api/auth/login", json={"email": "anna@acme.test", "password": "nope nope nope"})
    unknown = client.post("/api/auth/login", json={"email": "nobody@acme.test", "password": "nope nope nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"
    assert wrong.json()["title"] == unknown.json()["title"]
    with db() as session:
        reasons = [row.reason for row in session.exec(select(LoginAttempt).order_by(LoginAttempt.id)).all()]
    assert reasons == ["wrong_password", "unknown_account"]


def test_rate_limit_per_account_answers_429_with_retry_after_and_lifts_after_the_window(client, db, settings):
    _setup(db, settings)
    for _ in range(ratelimit.PER_ACCOUNT):
        assert client.post("/api/auth/login", json={"email": "anna@acme.test", "password": "wrong password"}).status_code == 401
    limited = client.post("/api/auth/login", json={"email": "anna@acme.test", "password": PASSWORD})
    assert limited.status_code == 429
    retry_after = int(limited.headers["retry-after"])
    assert 0 < retry_after <= ratelimit.WINDOW.total_seconds()
    clock.advance(retry_after + 1)
    login(client, "anna@acme.test")


def test_rate_limit_per_source_address_spans_accounts(client, db, settings):
    tenant, _ = _setup(db, settings)
    make_account(db, settings, tenant.id, "bob@acme.test")
    for n in range(ratelimit.PER_ADDRESS):
        client.post("/api/auth/login", json={"email": f"guess{n}@acme.test", "password": "wrong password"})
    limited = client.post("/api/auth/login", json={"email": "bob@acme.test", "password": PASSWORD})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0


def test_lockout_after_ten_wrong_passwords_until_an_admin_unlocks(client, db, settings):
    tenant, account = _setup(db, settings)
    make_account(db, settings, tenant.id, "boss@acme.test")
    for attempt in range(ratelimit.LOCKOUT_AFTER):
        if attempt and attempt % ratelimit.PER_ACCOUNT == 0:
            clock.advance(ratelimit.WINDOW.total_seconds() + 1)  # wait out the rate limit
        assert client.post("/api/auth/login", json={"email": "anna@acme.test", "password": "wrong password"}).status_code == 401
    clock.advance(ratelimit.WINDOW.total_seconds() + 1)
    locked = client.post("/api/auth/login", json={"email": "anna@acme.test", "password": PASSWORD})
    assert locked.status_code == 403 and locked.json()["code"] == "account_locked"

    login(client, "boss@acme.test")
    assert client.get(f"/api/accounts/{account.id}").json()["locked"] is True
    assert client.post(f"/api/accounts/{account.id}/unlock").status_code == 200
    client.post("/api/auth/logout")
    login(client, "anna@acme.test")


def test_blocked_account_cannot_log_in(client, db, settings):
    _setup(db, settings, blocked=True)
    response = client.post("/api/auth/login", json={"email": "anna@acme.test", "password": PASSWORD})
    assert response.status_code == 403 and response.json()["code"] == "account_blocked"


def _link_token(message) -> str:
    match = re.search(r"/set-password#token=([\w-]+)", message.get_content())
    assert match, message.get_content()
    return match.group(1)


def test_password_reset_link_works_once(client, db, settings, mailbox):
    _setup(db, settings)
    assert client.post("/api/auth/password-reset", json={"email": "anna@acme.test"}).status_code == 202
    assert client.post("/api/auth/password-reset", json={"email": "ghost@acme.test"}).status_code == 202
    (message,) = mailbox.to("anna@acme.test")
    assert mailbox.to("ghost@acme.test") == []
    token = _link_token(message)

    new = {"token": token, "new_password": "a brand new passphrase"}
    assert client.post("/api/auth/password-reset/confirm", json=new).status_code == 204
    again = client.post("/api/auth/password-reset/confirm", json=new)
    assert again.status_code == 400 and again.json()["errors"][0]["pointer"] == "/token"
    login(client, "anna@acme.test", "a brand new passphrase")
    assert client.post("/api/auth/login", json={"email": "anna@acme.test", "password": PASSWORD}).status_code == 401


def test_password_reset_link_expires_after_an_hour(client, db, settings, mailbox):
    _setup(db, settings)
    client.post("/api/auth/password-reset", json={"email": "anna@acme.test"})
    token = _link_token(mailbox.to("anna@acme.test")[0])
    clock.advance(3601)
    response = client.post("/api/auth/password-reset/confirm", json={"token": token, "new_password": "a brand new passphrase"})
    assert response.status_code == 400 and response.json()["code"] == "link_invalid"


def test_reset_also_lifts_a_lockout(client, db, settings, mailbox):
    _setup(db, settings, locked_at=clock.now(), failed_logins=10)
    client.post("/api/auth/password-reset", json={"email": "anna@acme.test"})
    token = _link_token(mailbox.to("anna@acme.test")[0])
    client.post("/api/auth/password-reset/confirm", json={"token": token, "new_password": "a brand new passphrase"})
    login(client, "anna@acme.test", "a brand new passphrase")


def test_welcome_mail_lets_a_new_account_choose_its_password(client, db, settings, mailbox):
    _setup(db, settings)
    login(client, "anna@acme.test")
    created = client.post("/api/accounts", json={"email": "new@acme.test", "first_name": "Nieuw", "role": "user"})
    assert created.status_code == 201, created.text
    (message,) = mailbox.to("new@acme.test")
    assert "new@acme.test" in message.get_content()
    client.post("/api/auth/logout")
    assert client.post("/api/auth/login", json={"email": "new@acme.test", "password": ""}).status_code == 401
    token = _link_token(message)
    assert client.post("/api/auth/password-reset/confirm", json={"token": token, "new_password": "my own passphrase"}).status_code == 204
    login(client, "new@acme.test", "my own passphrase")


def test_one_time_password_forces_a_new_password_before_anything_else(client, db, settings):
    _setup(db, settings, must_change_password=True)
    login(client, "anna@acme.test", expect_stage="password")
    refused = client.get("/api/accounts")
    assert refused.status_code == 403 and refused.json()["code"] == "password_change_required"
    same = client.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": PASSWORD})
    assert same.status_code == 422 and same.json()["errors"][0]["pointer"] == "/new_password"
    changed = client.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": "another passphrase"})
    assert changed.status_code == 200 and changed.json()["stage"] == "full"
    client.headers["x-csrf-token"] = changed.json()["csrf_token"]
    assert client.get("/api/accounts").status_code == 200


def test_short_new_password_is_refused_with_a_pointer(client, db, settings):
    _setup(db, settings)
    login(client, "anna@acme.test")
    response = client.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": "short"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/new_password"


@pytest.mark.parametrize("weak, reason", [
    ("password1234", "one of the most common passwords"), ("qwertyuiopasdf", "one of the most common passwords"),
    ("anna@acme.test!", "your name or e-mail address"), ("zzzzzzzzzzzzzz", "repeats"), ("abcdefghijklmn", "sequence"),
    ("Summer2024!", "one of the most common passwords"),
])
def test_a_guessable_new_password_is_refused_with_the_reason(client, db, settings, weak, reason):
    _setup(db, settings)
    login(client, "anna@acme.test")
    response = client.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": weak})
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["pointer"], error["code"]) == ("/new_password", "weak_password") and reason in error["message"]
    dutch = client.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": weak},
                        headers={"accept-language": "nl"})
    assert dutch.status_code == 422  # the account's own language (en here) decides, not the header
    assert client.post("/api/auth/password", json={"current_password": PASSWORD,
                                                   "new_password": "a quiet harbour at dawn"}).status_code == 200


def test_a_guessable_password_does_not_spend_the_link_and_reads_in_the_pages_language(client, db, settings, mailbox):
    _setup(db, settings)
    client.post("/api/auth/password-reset", json={"email": "anna@acme.test"})
    token = _link_token(mailbox.to("anna@acme.test")[0])
    refused = client.post("/api/auth/password-reset/confirm", json={"token": token, "new_password": "iloveyou123"},
                          headers={"accept-language": "nl"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/new_password"
    assert "meest gebruikte wachtwoorden" in refused.json()["errors"][0]["message"]
    assert client.post("/api/auth/password-reset/confirm", json={"token": token,
                                                                  "new_password": "a quiet harbour at dawn"}).status_code == 204


def test_writes_with_a_session_cookie_need_the_csrf_token(client, db, settings):
    _setup(db, settings)
    login(client, "anna@acme.test")
    token = client.headers.pop("x-csrf-token")
    refused = client.post("/api/accounts", json={"email": "x@acme.test"})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf"
    assert client.get("/api/accounts").status_code == 200  # reads need none
    wrong = client.post("/api/accounts", json={"email": "x@acme.test"}, headers={"x-csrf-token": token[:-1] + "x"})
    assert wrong.status_code == 403


def test_cross_site_writes_are_refused(client, db, settings):
    _setup(db, settings)
    response = client.post("/api/auth/login", json={"email": "anna@acme.test", "password": PASSWORD},
                           headers={"origin": "https://evil.example"})
    assert response.status_code == 403 and response.json()["code"] == "cross_origin"


def test_api_token_authenticates_without_csrf_and_stops_working_when_revoked(client, db, settings):
    _setup(db, settings)
    login(client, "anna@acme.test")
    created = client.post("/api/account/tokens", json={"name": "provisioning script"})
    assert created.status_code == 201
    raw, token_id = created.json()["token"], created.json()["id"]
    listed = client.get("/api/account/tokens").json()
    assert [t["name"] for t in listed] == ["provisioning script"] and "token" not in listed[0]
    with db() as session:
        from web.models import ApiToken

        stored = session.get(ApiToken, token_id)
        assert raw not in stored.token_hash and len(stored.token_hash) == 64

    from starlette.testclient import TestClient

    automation = TestClient(client.app)
    automation.headers["authorization"] = f"Bearer {raw}"
    assert automation.get("/api/tenant").status_code == 200
    assert automation.patch("/api/tenant", json={"name": "Acme BV"}).status_code == 200  # no CSRF for tokens
    assert client.delete(f"/api/account/tokens/{token_id}").status_code == 204
    assert automation.get("/api/tenant").status_code == 401
    bogus = TestClient(client.app, headers={"authorization": "Bearer cpt_not-a-token"})
    assert bogus.get("/api/tenant").status_code == 401


def test_expired_token_is_refused(client, db, settings):
    _, account = _setup(db, settings)
    raw = make_token(db, account)
    from starlette.testclient import TestClient

    automation = TestClient(client.app, headers={"authorization": f"Bearer {raw}"})
    assert automation.get("/api/tenant").status_code == 200
    login(client, "anna@acme.test")
    expiring = client.post("/api/account/tokens", json={"name": "short", "expires_in_days": 1}).json()["token"]
    automation.headers["authorization"] = f"Bearer {expiring}"
    assert automation.get("/api/tenant").status_code == 200
    clock.advance(86401)
    assert automation.get("/api/tenant").status_code == 401


def test_password_hashes_are_argon2id(db, settings, client):
    _setup(db, settings)
    with db() as session:
        account = session.exec(select(Account)).one()
    assert account.password_hash.startswith("$argon2id$")
