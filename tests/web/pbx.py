"""Arranging PBX objects for tests: an admin client and rows made directly in the database."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.web.helpers import make_account, make_tenant, make_token


class Admin:
    """An admin of a fresh tenant, calling the API with an API token (no CSRF dance)."""

    def __init__(self, app, db, settings, name="Acme", domain="acme.pbx.test", email="boss@acme.test"):
        self.tenant = make_tenant(db, name=name, sip_domain=domain)
        self.account = make_account(db, settings, self.tenant.id, email)
        self.client = TestClient(app, headers={"authorization": f"Bearer {make_token(db, self.account)}"})

    def create(self, path: str, **body) -> dict:
        response = self.client.post(path, json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def user(self, extension="201", first_name="Anna", **fields) -> dict:
        return self.create("/api/users", first_name=first_name, extension=extension, **fields)


@pytest.fixture
def admin(app, db, settings) -> Admin:
    return Admin(app, db, settings)


@pytest.fixture
def other_admin(app, db, settings) -> Admin:
    return Admin(app, db, settings, name="Other", domain="other.pbx.test", email="boss@other.test")
