"""The route x role walk: every route declares a permission, and every role gets exactly what the
permission table in web/permissions.py says."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.web.helpers import make_account, make_tenant, make_token
from tests.web.routes import api_routes, call, route_id
from web.app import create_app
from web.permissions import ANONYMOUS, PERMISSIONS, ROLES, TENANT_SCOPED, allowed
from tests.conftest import fast_settings

STATIC_APP = create_app(fast_settings("sqlite://"))


def test_every_route_declares_a_known_permission():
    missing = [getattr(route, "path", route) for route in STATIC_APP.routes if getattr(route, "permission", None) not in PERMISSIONS]
    assert missing == []


def test_every_table_entry_names_only_known_roles():
    for permission, roles in PERMISSIONS.items():
        assert roles <= set(ROLES) | {ANONYMOUS}, permission


def expected_access(role: str, permission: str) -> bool:
    if not allowed(None if role == ANONYMOUS else role, permission):
        return False
    return not (permission in TENANT_SCOPED and role == "operator")


@pytest.fixture
def role_clients(app, db, settings):
    tenant = make_tenant(db)
    clients = {ANONYMOUS: TestClient(app)}
    for role in ROLES:
        account = make_account(db, settings, None if role == "operator" else tenant.id, f"{role}@acme.test", role=role)
        clients[role] = TestClient(app, headers={"authorization": f"Bearer {make_token(db, account)}"})
    return clients


@pytest.mark.parametrize("route", api_routes(STATIC_APP), ids=route_id)
def test_route_answers_each_role_as_the_table_says(route, role_clients):
    for role, client in role_clients.items():
        response = call(client, route)
        assert response.status_code < 500, (role, response.text)
        if expected_access(role, route.permission):
            assert response.status_code not in (401, 403), (role, response.status_code, response.text)
        else:
            assert response.status_code == (401 if role == ANONYMOUS else 403), (role, response.status_code)


def test_pages_are_served_to_everyone(client):
    for route in STATIC_APP.routes:
        if getattr(route, "methods", None) == {"GET", "HEAD"} and not route.path.startswith("/api/"):
            # routes guarded by a device's own credentials (phone provisioning) challenge strangers instead
            expected = 401 if getattr(route, "credentials", None) == "device" else 200
            assert client.get(route.path).status_code == expected, route.path
