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


def test_audit_log_filters_by_kind_object_action_and_actor(client, db, settings):
    tenant = make_tenant(db)
    make_account(db, settings, tenant.id, "boss@acme.test")
    login(client, "boss@acme.test")
    anna = client.post("/api/accounts", json={"email": "anna@acme.test", "role": "user", "send_welcome": False}).json()
    client.patch(f"/api/accounts/{anna['id']}", json={"last_name": "Jansen"})
    client.post("/api/phonebook", json={"name": "Jan", "number": "0201234567"})

    def actions(query):
        response = client.get(f"/api/audit?{query}")
        assert response.status_code == 200, response.text
        return [entry["action"] for entry in response.json()]

    assert actions("object_type=contact") == ["contact.create"]
    assert set(actions("object_type=account&action=update")) == {"account.update"}  # logins update too
    assert actions(f"object_type=account&action=create&object_id={anna['id']}") == ["account.create"]
    assert actions(f"object_type=account&object_id={anna['id']}") == ["account.update", "account.create"]
    by_boss = [e["action"] for e in client.get("/api/audit").json() if e["actor_email"] == "boss@acme.test"]
    assert actions("actor=BOSS@acme") == by_boss and len(by_boss) >= 3 and len(actions("")) > len(by_boss)
    assert actions("actor=100%_sure") == []  # like-patterns are taken literally
    assert actions("actor=nobody") == []
    assert client.get("/api/audit?action=rename").json()["errors"][0]["pointer"] == "/action"
    assert client.get("/api/audit?actor=" + "x" * 300).status_code == 422
    types = client.get("/api/audit/object-types").json()
    assert "account" in types and "contact" in types and types == sorted(types)


def test_login_history_of_one_account(client, db, settings):
    tenant = make_tenant(db)
    boss = make_account(db, settings, tenant.id, "boss@acme.test")
    anna = make_account(db, settings, tenant.id, "anna@acme.test", role="user")
    client.post("/api/auth/login", json={"email": "anna@acme.test", "password": "wrong password"})
    login(client, "boss@acme.test")
    mine = client.get(f"/api/login-history?account_id={boss.id}").json()
    assert [(h["account_id"], h["reason"]) for h in mine] == [(boss.id, "password_ok")]
    hers = client.get(f"/api/login-history?account_id={anna.id}").json()
    assert [(h["account_id"], h["reason"]) for h in hers] == [(anna.id, "wrong_password")]
    assert client.get("/api/login-history?account_id=abc").status_code == 422


def test_own_profile_name_and_language(client, db, settings):
    tenant = make_tenant(db)
    make_account(db, settings, tenant.id, "anna@acme.test", role="user")
    login(client, "anna@acme.test")
    changed = client.patch("/api/account", json={"first_name": "Anna", "last_name": "de Vries", "language": "en"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["first_name"], changed.json()["language"]) == ("Anna", "en")
    assert client.get("/api/auth/me").json()["account"]["last_name"] == "de Vries"
    assert client.patch("/api/account", json={"role": "admin"}).status_code == 422  # not one's own role
    assert client.patch("/api/account", json={"language": "fr"}).json()["errors"][0]["pointer"] == "/language"
    assert client.get("/api/auth/me").json()["account"]["role"] == "user"
