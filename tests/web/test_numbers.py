"""Public numbers: E.164 parsed and classified with phonenumbers, unique on the platform, one destination."""

from __future__ import annotations

import pytest

from tests.web.pbx import admin, other_admin  # noqa: F401


@pytest.mark.parametrize("typed, stored, kind, country", [
    ("+31 20 123 4567", "+31201234567", "fixed_line", "NL"),
    ("+31612345678", "+31612345678", "mobile", "NL"),
    ("+32 2 580 50 00", "+3225805000", "fixed_line", "BE"),
    ("+3290012345", "+3290012345", "premium_rate", "BE"),
    ("+1 212 555 0123", "+12125550123", "fixed_line_or_mobile", "US"),
])
def test_numbers_are_normalised_and_classified(admin, typed, stored, kind, country):
    number = admin.create("/api/numbers", number=typed, label="main")
    assert (number["number"], number["number_type"], number["country"]) == (stored, kind, country)


@pytest.mark.parametrize("bad", ["0201234567", "+31 20", "hello", "+999123456789"])
def test_invalid_numbers_are_refused(admin, bad):
    response = admin.client.post("/api/numbers", json={"number": bad})
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/number"


def test_a_number_is_unique_on_the_platform(admin, other_admin):
    admin.create("/api/numbers", number="+31201234567")
    taken = other_admin.client.post("/api/numbers", json={"number": "+31 20 1234567"})
    assert taken.status_code == 409 and taken.json()["errors"][0]["pointer"] == "/number"
    assert "Acme" not in taken.text  # says nothing about who has it
    assert other_admin.client.get("/api/numbers").json() == []


def test_a_number_routes_to_one_destination(admin):
    group = admin.create("/api/ring-groups", name="Sales", extension="300")
    number = admin.create("/api/numbers", number="+31201234567", destination={"type": "ring_group", "id": group["id"]})
    moved = admin.client.patch(f"/api/numbers/{number['id']}", json={"destination": {"type": "extension", "number": "300"}})
    assert moved.json()["destination"] == {"type": "extension", "id": None, "number": "300"}
    bad = admin.client.patch(f"/api/numbers/{number['id']}", json={"destination": {"type": "queue", "id": 424242}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/destination"
    shape = admin.client.patch(f"/api/numbers/{number['id']}", json={"destination": {"type": "queue"}})
    assert shape.status_code == 422 and shape.json()["errors"][0]["pointer"] == "/destination"
    refused = admin.client.delete(f"/api/ring-groups/{group['id']}")  # the number dials its extension
    assert refused.status_code == 409 and refused.json()["used_by"][0]["kind"] == "phone_number"
    admin.client.patch(f"/api/numbers/{number['id']}", json={"destination": None})
    assert admin.client.delete(f"/api/ring-groups/{group['id']}").status_code == 204
