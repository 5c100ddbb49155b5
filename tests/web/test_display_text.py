"""Text that reaches a phone (#11 item 6): every name the API takes (users, ring groups and their display
name, queues, departments, the company, devices, menus, boxes, schedules, audio, plans, a prefix step's
text, labels, notes ...) refuses control characters anywhere in it: CR, LF, NUL, tab, the bidi overrides
and isolates U+202A-E and U+2066-9, U+2028/9. One check does it (callplan.text); a note may keep line
feeds and tabs. The fields are found by walking every route's body model, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from tests.validators import nested, string_fields
from tests.web.helpers import make_account, make_tenant, make_token
from tests.web.routes import fill
from web.api.call_plans import PlanRoute
from web.permissions import allowed

CONTROLS = ["\r", "\n", "\x00", "\t", "\x1b", "\x85", "\u202a", "\u202e", "\u2066", "\u2069", "\u2028", "\u2029"]
DISPLAY = re.compile(r"(^|_)(name|label|text|description|note)$")
MULTILINE_ALLOWED = {"\n", "\t"}


def _routes():
    from web.app import api_routes

    return [route for route in api_routes() if getattr(route, "body_model", None) is not None]


def display_fields():
    """(route, field) for every text field of a request body that is a name, label, text or note."""
    found = []
    for route in _routes():
        for field in string_fields(route.body_model):
            if isinstance(field.path[-1], str) and DISPLAY.search(field.path[-1]):
                found.append((route, field))
    return found


def test_the_walk_finds_the_names_that_reach_phones():
    found = {(route.method, route.path, field.pointer) for route, field in display_fields()}
    for expected in (("POST", "/api/users", "/first_name"), ("POST", "/api/users", "/last_name"),
                     ("POST", "/api/ring-groups", "/name"), ("POST", "/api/ring-groups", "/display_name"),
                     ("POST", "/api/queues", "/name"), ("POST", "/api/departments", "/name"),
                     ("PATCH", "/api/company", "/company_name"), ("POST", "/api/devices", "/name"),
                     ("POST", "/api/plans", "/steps/0/text"), ("POST", "/api/tenants", "/name")):
        assert expected in found, expected


def test_every_name_refuses_control_characters(app, db, settings):
    tenant = make_tenant(db)
    accounts = {"admin": make_account(db, settings, tenant.id, "boss@acme.test"),
                "operator": make_account(db, settings, None, "ops@pbx.test", role="operator")}
    clients = {role: TestClient(app, headers={"authorization": f"Bearer {make_token(db, account)}"})
               for role, account in accounts.items()}
    plan = clients["admin"].post("/api/plans", json={"name": "Reception", "steps": []}).json()["id"]
    let_through = []
    for route, field in display_fields():
        client = clients["admin" if allowed("admin", route.permission) else "operator"]
        path = fill(route.path, id=plan if isinstance(route, PlanRoute) else 999999)
        for char in CONTROLS:
            if field.multiline and char in MULTILINE_ALLOWED:
                continue
            response = client.request(route.method, path, json=nested(field, f"An{char}na"))
            pointers = {error["pointer"] for error in response.json().get("errors", [])} if response.status_code == 422 else set()
            if field.pointer not in pointers:
                let_through.append(f"{route.method} {route.path} {field.pointer} took U+{ord(char):04X} ({response.status_code})")
    assert not let_through, "\n".join(let_through)
