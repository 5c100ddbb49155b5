"""Bad input gets a problem document with a JSON pointer and a message a person understands; never a 500."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from starlette.testclient import TestClient

from tests.web.helpers import login, make_account, make_tenant, make_token
from tests.web.routes import api_routes, fill


@pytest.fixture
def admin(client, db, settings):
    tenant = make_tenant(db)
    account = make_account(db, settings, tenant.id, "boss@acme.test")
    login(client, "boss@acme.test")
    return account


def test_invalid_field_points_at_it(client, admin):
    response = client.post("/api/accounts", json={"email": "not an address", "role": "wizard"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    pointers = {e["pointer"]: e["message"] for e in response.json()["errors"]}
    assert set(pointers) == {"/email", "/role"}
    assert "e-mail address" in pointers["/email"]


def test_unknown_fields_are_refused_by_name(client, admin):
    response = client.patch("/api/tenant", json={"nmae": "typo"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"pointer": "/nmae", "code": "unknown_field", "message": "is not a field of this object"}]


def test_null_for_a_required_column_is_a_422_not_a_database_error(client, admin):
    response = client.patch("/api/tenant", json={"name": None})
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/name"


def test_malformed_json_is_a_400(client, admin):
    response = client.post("/api/accounts", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["code"] == "malformed_json"


def test_a_json_array_body_is_refused(client, admin):
    response = client.post("/api/accounts", json=[1, 2])
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == ""


def test_errors_speak_the_callers_language(client, db, settings):
    anonymous = client.get("/api/tenant", headers={"accept-language": "nl-BE,nl;q=0.9"})
    assert anonymous.json()["title"] == "Log eerst in."
    assert client.get("/api/tenant").json()["title"] == "Please log in."


def test_unknown_api_path_is_a_problem_document(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_duplicate_email_is_a_409_naming_the_field(client, admin):
    response = client.post("/api/accounts", json={"email": "BOSS@acme.test"})
    assert response.status_code == 409 and response.json()["errors"][0]["pointer"] == "/email"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)


@pytest.mark.parametrize("engine", ["sqlite"])
def test_random_bodies_never_cause_a_500(engine, tmp_path):
    """Every route with a body, fed random JSON built from its own field names, as an admin."""
    from tests.conftest import fast_settings
    from web.app import create_app
    from web.db import session_scope
    from web.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'fuzz.sqlite3'}"
    upgrade(url)
    app = create_app(fast_settings(url))

    def db():
        return session_scope(app.state.engine)

    tenant = make_tenant(db)
    account = make_account(db, app.state.settings, tenant.id, "boss@acme.test")
    client = TestClient(app, headers={"authorization": f"Bearer {make_token(db, account)}"})
    routes = [r for r in api_routes(app) if r.body_model is not None]

    @hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.sampled_from(routes), st.data())
    def check(route, data):
        fields = list(route.body_model.model_fields)
        body = data.draw(st.dictionaries(st.sampled_from(fields) if fields else st.text(), json_values, max_size=4))
        response = client.request(route.method, fill(route.path, id=account.id), content=json.dumps(body),
                                  headers={"content-type": "application/json"})
        assert response.status_code < 500, (route.path, body, response.text)

    check()
    app.state.engine.dispose()
