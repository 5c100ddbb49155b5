"""API tokens as a password's stand-in: they die when their owner's password changes or is reset, they
cannot make more tokens, and wrong passwords typed through one (re-authentication) slow down that
token only, never the owner's own logins."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.web.helpers import PASSWORD, login, make_account, make_tenant, make_token
from web.auth import ratelimit
from web.models import Account


def _owner(client, db, settings):
    tenant = make_tenant(db)
    account = make_account(db, settings, tenant.id, "anna@acme.test")
    login(client, "anna@acme.test")
    made = [client.post("/api/account/tokens", json={"name": f"script {n}"}).json()["token"] for n in range(2)]
    return account, [TestClient(client.app, headers={"authorization": f"Bearer {raw}"}) for raw in made]


def test_tokens_die_when_their_owner_changes_the_password(client, db, settings):
    _, scripts = _owner(client, db, settings)
    assert all(script.get("/api/tenant").status_code == 200 for script in scripts)
    changed = client.post("/api/auth/password", json={"current_password": PASSWORD,
                                                      "new_password": "another long passphrase here"})
    assert changed.status_code == 200, changed.text
    assert [script.get("/api/tenant").status_code for script in scripts] == [401, 401]
    client.headers["x-csrf-token"] = changed.json()["csrf_token"]
    assert all(token["revoked_at"] for token in client.get("/api/account/tokens").json())


def test_a_token_that_changes_the_password_dies_with_its_siblings(client, db, settings):
    _, scripts = _owner(client, db, settings)
    changed = scripts[0].post("/api/auth/password", json={"current_password": PASSWORD,
                                                          "new_password": "another long passphrase here"})
    assert changed.status_code == 204, changed.text
    assert [script.get("/api/tenant").status_code for script in scripts] == [401, 401]


def test_tokens_die_when_the_password_is_reset(client, db, settings, mailbox):
    _, scripts = _owner(client, db, settings)
    assert client.post("/api/auth/password-reset", json={"email": "anna@acme.test"}).status_code == 202
    [message] = mailbox.to("anna@acme.test")
    token = re.search(r"#token=([\w-]+)", message.get_content()).group(1)
    reset = client.post("/api/auth/password-reset/confirm", json={"token": token,
                                                                  "new_password": "a brand new passphrase"})
    assert reset.status_code == 204, reset.text
    assert [script.get("/api/tenant").status_code for script in scripts] == [401, 401]


def test_a_token_cannot_make_tokens(client, db, settings):
    _, (script, _) = _owner(client, db, settings)
    refused = script.post("/api/account/tokens", json={"name": "child"})
    assert refused.status_code == 403 and refused.json()["code"] == "token_cannot_create_tokens"
    assert len(client.get("/api/account/tokens").json()) == 2
    assert script.get("/api/account/tokens").status_code == 200  # listing and revoking stay possible


def test_wrong_passwords_through_a_token_slow_the_token_not_the_owner(client, db, settings):
    tenant = make_tenant(db)
    account = make_account(db, settings, tenant.id, "anna@acme.test")
    script = TestClient(client.app, headers={"authorization": f"Bearer {make_token(db, account)}"})
    device = script.post("/api/devices", json={"name": "Desk", "brand": "generic", "model": "Generic SIP phone"})
    assert device.status_code == 201, device.text
    reveal = f"/api/devices/{device.json()['id']}/reveal-sip-password"
    answers = [script.post(reveal, json={"password": f"guess {n}"}).status_code for n in range(ratelimit.PER_ACCOUNT + 3)]
    assert answers == [422] * ratelimit.PER_ACCOUNT + [429] * 3
    assert script.post(reveal, json={"password": PASSWORD}).status_code == 429  # the token waits, even when right

    login(client, "anna@acme.test")  # the owner is not held up by the token's guesses, nor its address
    assert client.post(reveal, json={"password": PASSWORD}).status_code == 200
    with db() as session:
        owner = session.get(Account, account.id)
        assert owner.failed_logins == 0 and owner.locked_at is None
