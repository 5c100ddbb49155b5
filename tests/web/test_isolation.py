"""Tenant isolation: a tenant's admin gets 404 for every resource of another tenant, by id, on every
route that addresses one (parametrised over the app's routes, so new routes are covered)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.conftest import fast_settings
from tests.web.factories import FACTORIES
from tests.web.helpers import login, make_account, make_tenant, make_token
from tests.web.routes import api_routes, call, route_id
from web.app import create_app
from web.permissions import allowed

STATIC_APP = create_app(fast_settings("sqlite://"))
# Routes a tenant admin may call that address a row by id (the operator's platform routes, such as
# /api/tenants/{id} and /api/platform/numbers/{id}, refuse tenant admins outright: test_permissions.py).
ID_ROUTES = [route for route in api_routes(STATIC_APP) if "{id" in route.path and allowed("admin", route.permission)]


def test_every_tenant_route_with_an_id_names_its_table_and_the_table_has_a_factory():
    assert ID_ROUTES, "no routes found"
    for route in ID_ROUTES:
        assert route.model is not None, f"{route_id(route)} does not declare model="
        assert route.model in FACTORIES, f"tests/web/factories.py has no factory for {route.model.__name__}"


@pytest.fixture
def two_tenants(app, db, settings):
    tenant_a = make_tenant(db, name="A", sip_domain="a.pbx.test")
    tenant_b = make_tenant(db, name="B", sip_domain="b.pbx.test")
    admin_a = make_account(db, settings, tenant_a.id, "admin@a.test")
    admin_b = make_account(db, settings, tenant_b.id, "admin@b.test")
    return (
        (tenant_a, admin_a, TestClient(app, headers={"authorization": f"Bearer {make_token(db, admin_a)}"})),
        (tenant_b, admin_b, TestClient(app, headers={"authorization": f"Bearer {make_token(db, admin_b)}"})),
    )


@pytest.mark.parametrize("route", ID_ROUTES, ids=route_id)
def test_other_tenants_resource_is_not_found(route, two_tenants, db, settings):
    (_, _, client_a), (tenant_b, admin_b, client_b) = two_tenants
    row_id = FACTORIES[route.model](db, settings, tenant_b.id, admin_b)
    foreign = call(client_a, route, id=row_id)
    assert foreign.status_code == 404, foreign.text
    missing = call(client_a, route, id=row_id + 1000)
    assert foreign.json()["title"] == missing.json()["title"]  # a foreign id looks exactly like no id
    own = call(client_b, route, id=row_id)
    assert own.status_code != 404, own.text  # the row is real and reachable by its own tenant


def test_lists_show_only_the_own_tenant(two_tenants, client):
    (_, _, client_a), (_, _, client_b) = two_tenants
    emails_a = {a["email"] for a in client_a.get("/api/accounts").json()}
    assert emails_a == {"admin@a.test"}
    client_b.patch("/api/tenant", json={"name": "B renamed"})
    audit_a = client_a.get("/api/audit").json()
    assert all(entry["tenant_id"] != two_tenants[1][0].id for entry in audit_a)
    assert client_a.get("/api/tenant").json()["name"] == "A"


def test_login_history_is_per_tenant(two_tenants, client, db, settings):
    (tenant_a, _, client_a), (tenant_b, _, _) = two_tenants
    client.post("/api/auth/login", json={"email": "admin@b.test", "password": "wrong password!"})
    login(client, "admin@b.test")
    assert client_a.get("/api/login-history").json() == []
    history_b = client.get("/api/login-history").json()
    assert [row["reason"] for row in history_b] == ["password_ok", "wrong_password"]


def test_numbers_and_caller_ids_show_only_the_own_company(two_tenants, db, settings):
    from web.models.phone_number import PhoneNumber

    (_, _, client_a), (tenant_b, admin_b, client_b) = two_tenants
    FACTORIES[PhoneNumber](db, settings, tenant_b.id, admin_b)
    assert client_a.get("/api/numbers").json() == []
    assert client_a.get("/api/caller-ids").json() == {"allowed": [], "problems": []}
    assert len(client_b.get("/api/numbers").json()) == 1 and len(client_b.get("/api/caller-ids").json()["allowed"]) == 1
