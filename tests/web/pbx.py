"""Arranging PBX objects for tests: an admin client and rows made directly in the database."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.web.helpers import make_account, make_tenant, make_token


class Admin:
    """An admin of a fresh tenant, calling the API with an API token (no CSRF dance)."""

    def __init__(self, app, db, settings, name="Acme", domain="acme.pbx.test", email="boss@acme.test"):
        self.app, self.db, self.settings, self._operator = app, db, settings, None
        self.tenant = make_tenant(db, name=name, sip_domain=domain)
        self.account = make_account(db, settings, self.tenant.id, email)
        self.client = TestClient(app, headers={"authorization": f"Bearer {make_token(db, self.account)}"})

    def create(self, path: str, **body) -> dict:
        response = self.client.post(path, json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def user(self, extension="201", first_name="Anna", **fields) -> dict:
        return self.create("/api/users", first_name=first_name, extension=extension, **fields)

    def number(self, number: str, **fields) -> dict:
        """A public number of this company: the operator assigns it, the admin labels and routes it."""
        assigned = self.operator.assign(self.tenant.id, number)
        (row,) = [row for row in self.client.get("/api/numbers").json() if row["number"] == assigned["first"]]
        if fields:
            response = self.client.patch(f"/api/numbers/{row['id']}", json=fields)
            assert response.status_code == 200, response.text
            row = response.json()
        return row

    @property
    def operator(self) -> "Operator":
        if self._operator is None:
            self._operator = Operator(self.app, self.db, self.settings, f"operator@{self.tenant.sip_domain}")
        return self._operator


class Operator:
    """The platform operator, calling the API with an API token: assigns numbers to companies."""

    def __init__(self, app, db, settings, email="operator@platform.test"):
        self.account = make_account(db, settings, None, email, role="operator")
        self.client = TestClient(app, headers={"authorization": f"Bearer {make_token(db, self.account)}"})

    def assign(self, tenant_id: int, first: str, last: str | None = None) -> dict:
        body = {"tenant_id": tenant_id, "first": first} | ({"last": last} if last else {})
        response = self.client.post("/api/platform/numbers", json=body)
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
def admin(app, db, settings) -> Admin:
    return Admin(app, db, settings)


@pytest.fixture
def operator(app, db, settings) -> Operator:
    return Operator(app, db, settings)


@pytest.fixture
def other_admin(app, db, settings) -> Admin:
    return Admin(app, db, settings, name="Other", domain="other.pbx.test", email="boss@other.test")
