"""Every change is recorded: who, tenant, what, before/after, when, from where; secrets never shown."""

from __future__ import annotations

from tests.web.helpers import PASSWORD, enrol_totp, login, make_account, make_tenant


def test_changes_are_recorded_with_before_and_after(client, db, settings):
    tenant = make_tenant(db)
    admin = make_account(db, settings, tenant.id, "boss@acme.test")
    login(client, "boss@acme.test")
    created = client.post("/api/accounts", json={"email": "anna@acme.test", "role": "user", "send_welcome": False}).json()
    client.patch(f"/api/accounts/{created['id']}", json={"role": "agent", "last_name": "Jansen"})
    client.delete(f"/api/accounts/{created['id']}")

    entries = client.get("/api/audit").json()
    mine = [e for e in entries if e["object_type"] == "account" and e["object_id"] == str(created["id"])]
    actions = [e["action"] for e in reversed(mine)]
    assert actions == ["account.create", "account.update", "account.delete"]
    update = next(e for e in mine if e["action"] == "account.update")
    assert update["summary"]["before"] == {"role": "user", "last_name": ""}
    assert update["summary"]["after"] == {"role": "agent", "last_name": "Jansen"}
    assert update["actor_email"] == "boss@acme.test" and update["actor_account_id"] == admin.id
    assert update["tenant_id"] == tenant.id and update["source_ip"] == "testclient"
    assert update["at"]


def test_secrets_are_redacted_in_the_audit_log(client, db, settings):
    tenant = make_tenant(db)
    make_account(db, settings, tenant.id, "boss@acme.test")
    login(client, "boss@acme.test")
    secret, _ = enrol_totp(client)
    client.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": "a different passphrase"})
    text = str(client.get("/api/audit").json())
    assert secret not in text and "$argon2" not in text
    assert "(secret changed)" in text


def test_tenant_settings_change_is_audited(client, db, settings):
    tenant = make_tenant(db)
    make_account(db, settings, tenant.id, "boss@acme.test")
    login(client, "boss@acme.test")
    client.patch("/api/tenant", json={"timezone": "Europe/Brussels"})
    entry = client.get("/api/audit").json()[0]
    assert entry["action"] == "tenant.update"
    assert entry["summary"] == {"before": {"timezone": "Europe/Amsterdam"}, "after": {"timezone": "Europe/Brussels"}}


def test_login_history_keeps_successes_and_failures(client, db, settings):
    tenant = make_tenant(db)
    make_account(db, settings, tenant.id, "boss@acme.test")
    client.post("/api/auth/login", json={"email": "boss@acme.test", "password": "wrong password"}, headers={"user-agent": "Yealink"})
    login(client, "boss@acme.test")
    history = client.get("/api/login-history").json()
    assert [(h["success"], h["reason"]) for h in history] == [(True, "password_ok"), (False, "wrong_password")]
    assert history[1]["user_agent"] == "Yealink" and history[1]["source_ip"] == "testclient"


def test_non_admins_cannot_read_the_audit_log(client, db, settings):
    tenant = make_tenant(db)
    make_account(db, settings, tenant.id, "anna@acme.test", role="user")
    login(client, "anna@acme.test")
    assert client.get("/api/audit").status_code == 403
