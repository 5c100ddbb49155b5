"""Tenants: the operator creates companies with their first admin; staff read their own, admins edit it."""

from __future__ import annotations

import re

import pytest

from tests.web.helpers import login, make_account, make_tenant
from web.models.phone_number import PhoneNumber


def _operator(client, db, settings):
    make_account(db, settings, None, "op@platform.test", role="operator")
    login(client, "op@platform.test")


def test_operator_creates_a_tenant_whose_admin_gets_a_welcome_mail(client, db, settings, mailbox):
    _operator(client, db, settings)
    created = client.post("/api/tenants", json={
        "name": "Bakkerij Jansen", "sip_domain": "Jansen.PBX.example.com", "timezone": "Europe/Brussels",
        "language": "nl", "company_number": "+32 2 580 50 00", "admin_email": "Piet@Jansen.be",
    })
    assert created.status_code == 201, created.text
    tenant = created.json()
    assert tenant["sip_domain"] == "jansen.pbx.example.com" and tenant["company_number"] == "+3225805000"
    (mail,) = mailbox.to("piet@jansen.be")
    assert mail["Subject"] == "Welkom bij uw telefooncentrale"  # the tenant's language
    token = re.search(r"#token=([\w-]+)", mail.get_content()).group(1)
    client.post("/api/auth/logout")
    assert client.post("/api/auth/password-reset/confirm", json={"token": token, "new_password": "bakker brood 123"}).status_code == 204
    state = login(client, "piet@jansen.be", "bakker brood 123")
    assert state["account"]["role"] == "admin" and state["tenant_name"] == "Bakkerij Jansen"
    assert client.get("/api/tenant").json()["id"] == tenant["id"]


def test_sip_domain_is_unique_and_validated(client, db, settings):
    make_tenant(db, sip_domain="taken.pbx.test")
    _operator(client, db, settings)
    base = {"name": "X", "timezone": "Europe/Amsterdam", "admin_email": "a@x.test"}
    taken = client.post("/api/tenants", json={**base, "sip_domain": "TAKEN.pbx.test"})
    assert taken.status_code == 409 and taken.json()["errors"][0]["pointer"] == "/sip_domain"
    bad = client.post("/api/tenants", json={**base, "sip_domain": "not a domain", "timezone": "Mars/Olympus",
                                            "company_number": "12345"})
    assert bad.status_code == 422
    assert {e["pointer"] for e in bad.json()["errors"]} == {"/sip_domain", "/timezone", "/company_number"}


def test_admin_edits_own_company_but_not_its_sip_domain(client, db, settings):
    tenant = make_tenant(db)
    make_account(db, settings, tenant.id, "boss@acme.test")
    login(client, "boss@acme.test")
    not_ours = client.patch("/api/tenant", json={"name": "Acme BV", "company_number": "+31 20 123 4567"})
    assert not_ours.status_code == 422 and not_ours.json()["errors"][0]["pointer"] == "/company_number"
    with db() as session:
        session.add(PhoneNumber(tenant_id=tenant.id, number="+31201234567"))  # the operator assigns it
    changed = client.patch("/api/tenant", json={"name": "Acme BV", "company_number": "+31 20 123 4567"})
    assert changed.status_code == 200 and changed.json()["company_number"] == "+31201234567"
    refused = client.patch("/api/tenant", json={"sip_domain": "other.pbx.test"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/sip_domain"


def test_operator_changes_a_tenants_domain(client, db, settings):
    tenant = make_tenant(db)
    _operator(client, db, settings)
    assert client.patch(f"/api/tenants/{tenant.id}", json={"sip_domain": "new.pbx.test"}).json()["sip_domain"] == "new.pbx.test"
    assert client.get("/api/tenants/999999").status_code == 404
    assert [t["name"] for t in client.get("/api/tenants").json()] == ["Acme"]


def test_the_last_admin_cannot_be_demoted_blocked_or_deleted(client, db, settings):
    tenant = make_tenant(db)
    boss = make_account(db, settings, tenant.id, "boss@acme.test")
    login(client, "boss@acme.test")
    for attempt in (client.patch(f"/api/accounts/{boss.id}", json={"role": "user"}),
                    client.patch(f"/api/accounts/{boss.id}", json={"blocked": True}),
                    client.delete(f"/api/accounts/{boss.id}")):
        assert attempt.status_code == 409 and attempt.json()["code"] == "last_admin"
    second = client.post("/api/accounts", json={"email": "second@acme.test", "role": "admin", "send_welcome": False}).json()
    assert client.patch(f"/api/accounts/{second['id']}", json={"role": "reports"}).status_code == 200
    assert client.post("/api/accounts", json={"email": "op@acme.test", "role": "operator"}).status_code == 422


def test_an_operator_made_by_the_command_gets_in_once_with_the_printed_password(client, app, db, settings):
    from web.operator import make_operator

    login_name, password = make_operator(app.state.engine, settings, " Ops@Platform.test ")
    assert login_name == "ops@platform.test"
    login(client, login_name, password, expect_stage="password")  # nothing else until an own password
    changed = client.post("/api/auth/password", json={"current_password": password, "new_password": "my own passphrase"})
    assert changed.status_code == 200 and changed.json()["stage"] == "full"
    client.headers["x-csrf-token"] = changed.json()["csrf_token"]
    assert client.get("/api/tenants").status_code == 200  # an operator's
    client.post("/api/auth/logout")

    _, again = make_operator(app.state.engine, settings, login_name)  # lost it: a new one-time password
    assert client.post("/api/auth/login", json={"email": login_name, "password": "my own passphrase"}).status_code == 401
    login(client, login_name, again, expect_stage="password")


def test_the_operator_command_refuses_a_companys_account(app, db, settings):
    from web.operator import make_operator

    tenant = make_tenant(db)
    make_account(db, settings, tenant.id, "boss@acme.test")
    for address, said in (("boss@acme.test", "not an operator"), ("not an address", "e-mail address")):
        with pytest.raises(ValueError, match=said):
            make_operator(app.state.engine, settings, address)
