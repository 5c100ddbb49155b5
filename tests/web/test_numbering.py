"""One namespace of internal numbers across users, ring groups, queues, IVR menus, voicemail boxes and
feature codes, checked in one place and guaranteed by the database."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from tests.web.pbx import admin, other_admin  # noqa: F401
from web.models.internal_number import InternalNumber

CLAIMANTS = [
    ("/api/users", {"first_name": "Anna"}),
    ("/api/ring-groups", {"name": "Sales"}),
    ("/api/queues", {"name": "Support"}),
    ("/api/ivr-menus", {"name": "Main"}),
    ("/api/voicemail-boxes", {"name": "Company", "pin": "1234"}),
]


@pytest.mark.parametrize("first", CLAIMANTS, ids=lambda c: c[0])
def test_an_extension_is_taken_across_every_kind(admin, first):
    path, body = first
    admin.create(path, extension="555", **body)
    for other_path, other_body in CLAIMANTS:
        refused = admin.client.post(other_path, json={**other_body, "extension": "555"})
        assert refused.status_code == 409, (other_path, refused.text)
        assert refused.json()["errors"][0]["pointer"] == "/extension"


def test_another_tenant_may_use_the_same_extension(admin, other_admin):
    admin.user("201")
    other_admin.user("201")


def test_freed_numbers_can_be_used_again(admin):
    user = admin.user("201")
    assert admin.client.patch(f"/api/users/{user['id']}", json={"extension": "202"}).status_code == 200
    admin.create("/api/ring-groups", name="Sales", extension="201")
    assert admin.client.delete(f"/api/users/{user['id']}").status_code == 204
    admin.user("202", first_name="Bob")


def test_feature_codes_share_the_namespace(admin):
    codes = {c["function"]: c for c in admin.client.get("/api/feature-codes").json()}
    clash = admin.client.patch(f"/api/feature-codes/{codes['pickup']['id']}", json={"code": codes["voicemail"]["code"]})
    assert clash.status_code == 409 and clash.json()["errors"][0]["pointer"] == "/code"


@pytest.mark.parametrize("bad", ["1", "12345", "2a1", "", " 201"])
def test_extensions_are_two_to_four_digits(admin, bad):
    response = admin.client.post("/api/users", json={"first_name": "Anna", "extension": bad})
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/extension"


def test_the_database_refuses_a_double_booking(db, admin):
    with pytest.raises(IntegrityError):
        with db() as session:
            session.add(InternalNumber(tenant_id=admin.tenant.id, number="777", owner_kind="user", owner_id=1))
            session.add(InternalNumber(tenant_id=admin.tenant.id, number="777", owner_kind="queue", owner_id=2))
