"""Never a 500 (#11 item 7): ids of 2^63 and above (path and body), JSON nested past a sane depth (the
anonymous login and reset routes too), plans nested past the limit, dates of the year 1 or 9999 in
simulate and the filters, NUL (and lone surrogates) in any text: each is a 4xx problem+json naming the
field with a JSON pointer. A 405 says which methods there are (Allow). On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.web.pbx import admin  # noqa: F401  (fixture)

PROBLEM = "application/problem+json"


def refused(response, status: int = 422) -> dict[str, str]:
    """The problem's pointers -> codes, after checking it is one."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    return {error["pointer"]: error["code"] for error in response.json().get("errors", [])}


def raw(client, method: str, path: str, body: str):
    return client.request(method, path, content=body.encode(), headers={"content-type": "application/json"})


@pytest.mark.parametrize("ident", [2**63, 2**63 + 1, 2**64, 10**30])
def test_ids_of_2_to_the_63_and_above_in_the_path(admin, ident):
    for method, path in (("GET", f"/api/users/{ident}"), ("DELETE", f"/api/ring-groups/{ident}"),
                         ("GET", f"/api/plans/{ident}"), ("GET", f"/api/call-records/{ident}")):
        assert refused(admin.client.request(method, path)) == {"/id": "out_of_range"}, path
    assert refused(admin.client.patch(f"/api/users/{ident}", json={"first_name": "X"})) == {"/id": "out_of_range"}
    assert admin.client.get(f"/api/users/{2**31 - 1}").status_code == 404  # the largest id there can be: none such
    # past the 32-bit INTEGER ids of PostgreSQL too
    assert refused(admin.client.get(f"/api/users/{2**31}")) == {"/id": "out_of_range"}


@pytest.mark.parametrize("ident", [2**31, 2**63, -(2**63) - 1, 10**40])
def test_ids_of_2_to_the_63_and_above_in_the_body(admin, ident):
    assert refused(admin.client.post("/api/users", json={"first_name": "A", "extension": "201", "department_id": ident})) \
        == {"/department_id": "out_of_range"}
    group = {"name": "G", "members": [{"type": "user", "id": ident}]}
    assert refused(admin.client.post("/api/ring-groups", json=group)) == {"/members/0/id": "out_of_range"}
    plan = {"name": "P", "steps": [{"id": "s1", "type": "user", "user": ident}]}
    assert "/steps/0/user" in refused(admin.client.post("/api/plans", json=plan))


@pytest.mark.parametrize("path", ["/api/auth/login", "/api/auth/password-reset", "/api/auth/password-reset/confirm",
                                  "/api/users", "/api/plans"])
def test_json_nested_past_a_sane_depth(app, admin, path):
    from starlette.testclient import TestClient

    anonymous = TestClient(app)
    client = anonymous if path.startswith("/api/auth") else admin.client
    deep = '{"email": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert refused(raw(client, "POST", path, deep)) == {"/email" + "/0" * 63: "too_deep"}
    middling = '{"email": ' + "[" * 80 + "]" * 80 + "}"  # the parser takes it, the check does not
    assert refused(raw(client, "POST", path, middling)) == {"/email" + "/0" * 63: "too_deep"}
    assert refused(raw(client, "POST", path, "[" * 100_000)) == {"/0" * 64: "too_deep"}


def nested_plan(levels: int) -> str:
    """A plan whose steps nest `levels` deep, as JSON text (json.dumps itself recurses)."""
    opening = '{"id": "s%d", "type": "time_condition", "schedule": 1, "then": ['
    return ('{"name": "Deep", "steps": [' + "".join(opening % level for level in range(levels - 1))
            + '{"id": "leaf", "type": "hang_up"}' + "]}" * (levels - 1) + "]}")


def test_plans_nested_past_the_limit(admin):
    # past the validator's ten levels: saved as a draft that says so, never published
    saved = raw(admin.client, "POST", "/api/plans", nested_plan(12))
    assert saved.status_code == 201
    assert "too_deep" in {error["code"] for error in saved.json()["errors"]}
    published = admin.client.post(f"/api/plans/{saved.json()['id']}/publish", json={})
    assert published.status_code == 422 and published.headers["content-type"].startswith(PROBLEM)
    # far past it: refused where the nesting passes the sane depth of a body
    for levels in (40, 200, 5000):
        body = nested_plan(levels)
        errors = refused(raw(admin.client, "POST", "/api/plans", body))
        assert list(errors.values()) == ["too_deep"] and next(iter(errors)).startswith("/steps/0/then/0/then/0")
        errors = refused(raw(admin.client, "PUT", f"/api/plans/{saved.json()['id']}/draft", body))
        assert list(errors.values()) == ["too_deep"]


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+01:00", "0001-01-01T00:30:00+00:00", "9999-12-31T23:59:59-01:00",
                                "9999-12-31T23:59:59+00:00", "1969-12-31T23:59:59Z"])
def test_dates_of_the_year_1_or_9999_in_simulate(admin, at):
    plan = admin.create("/api/plans", name="P", steps=[{"id": "s1", "type": "hang_up"}])
    assert refused(admin.client.post(f"/api/plans/{plan['id']}/simulate", json={"at": at})) == {"/at": "value_error"}
    assert refused(admin.client.get(f"/api/plans/{plan['id']}/xml", params={"at": at})) == {"/at": "invalid_instant"}


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00",
                                   "9999-12-31T23:59:59"])
def test_dates_of_the_year_1_or_9999_in_filters(admin, value):
    for name in ("from", "to"):
        for path in ("/api/call-records", "/api/call-records.csv"):
            assert refused(admin.client.get(path, params={name: value})) == {f"/{name}": "invalid_filter"}, (path, name)
    schedule = admin.create("/api/schedules", name="Office", periods=[])
    assert refused(admin.client.get(f"/api/schedules/{schedule['id']}/check", params={"at": value})) == {"/at": "invalid_instant"}


@pytest.mark.parametrize("text", ["A\u0000", "\u0000", "A\\ud800B"])
def test_nul_and_lone_surrogates_in_any_text(admin, text):
    escaped = text.replace("\u0000", "\\u0000")
    assert refused(raw(admin.client, "POST", "/api/phonebook", '{"name": "' + escaped + '", "number": "+31201234567"}')) \
        == {"/name": "bad_character"}
    assert refused(raw(admin.client, "POST", "/api/plans", '{"name": "P", "steps": [], "x' + escaped + '": 1}')) \
        == {"/x" + text.replace("\u0000", "\ufffd").replace("\\ud800", "\ufffd"): "bad_character"}
    assert refused(raw(admin.client, "POST", "/api/auth/login", '{"email": "' + escaped + '", "password": "x"}')) \
        == {"/email": "bad_character"}
    # query strings and path parameters too
    assert refused(admin.client.get("/api/call-records", params={"number": "1\u00002"})) == {"/number": "bad_character"}
    assert refused(admin.client.get("/api/phonebook", params={"q": "\u0000"})) == {"/q": "bad_character"}
    plan = admin.create("/api/plans", name="P", steps=[])
    assert refused(admin.client.get(f"/api/plans/{plan['id']}/versions/1%00")) == {"/version": "bad_character"}


def test_not_json_numbers(admin):
    for constant in ("NaN", "Infinity", "-Infinity"):
        assert refused(raw(admin.client, "POST", "/api/call-rates", '{"prefix": "+31", "price_per_minute": ' + constant + "}"),
                       400) == {"": "malformed_json"}


def test_405_says_which_methods_there_are(admin):
    for method, path, allowed in (("PUT", "/api/users", {"GET", "POST"}), ("POST", "/api/users/1", {"GET", "PATCH", "DELETE"}),
                                  ("DELETE", "/api/auth/login", {"POST"})):
        response = admin.client.request(method, path)
        assert response.status_code == 405 and response.headers["content-type"].startswith(PROBLEM)
        assert allowed <= {m.strip() for m in response.headers["allow"].split(",")}, response.headers
