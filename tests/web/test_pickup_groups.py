"""Pickup groups (seed 000: *98 picks up a call ringing in your group): members are the tenant's users."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.web.factories_phonebook import make_pbx_user, make_pickup_group
from tests.web.helpers import login, make_account, make_tenant, make_token
from web.domain import references
from web.models.pickup_group import PickupGroup


@pytest.fixture
def tenant(db):
    return make_tenant(db)


@pytest.fixture
def admin(client, db, settings, tenant):
    make_account(db, settings, tenant.id, "boss@acme.test")
    login(client, "boss@acme.test")
    return client


@pytest.fixture
def users(db, tenant):
    return [make_pbx_user(db, tenant.id, name, extension) for name, extension in (("Anna", "201"), ("Bert", "202"), ("Cor", "203"))]


def test_pickup_group_crud(admin, users):
    anna, bert, cor = users
    created = admin.post("/api/pickup-groups", json={"name": " Sales ", "members": [anna, bert]})
    assert created.status_code == 201, created.text
    group = created.json()
    assert group["name"] == "Sales" and group["members"] == [anna, bert]
    assert admin.get(f"/api/pickup-groups/{group['id']}").json() == group
    assert [g["id"] for g in admin.get("/api/pickup-groups").json()] == [group["id"]]

    renamed = admin.patch(f"/api/pickup-groups/{group['id']}", json={"name": "Sales floor"}).json()
    assert renamed["members"] == [anna, bert]  # only the fields sent change
    changed = admin.patch(f"/api/pickup-groups/{group['id']}", json={"members": [cor]}).json()
    assert changed["members"] == [cor] and changed["name"] == "Sales floor"
    assert admin.patch(f"/api/pickup-groups/{group['id']}", json={"members": []}).json()["members"] == []

    assert admin.delete(f"/api/pickup-groups/{group['id']}").status_code == 204
    assert admin.get(f"/api/pickup-groups/{group['id']}").status_code == 404
    assert admin.get("/api/pickup-groups").json() == []


def test_a_user_may_be_in_several_groups(admin, users):
    anna, bert, _ = users
    assert admin.post("/api/pickup-groups", json={"name": "Sales", "members": [anna, bert]}).status_code == 201
    assert admin.post("/api/pickup-groups", json={"name": "Support", "members": [bert]}).status_code == 201
    assert sorted(g["name"] for g in admin.get("/api/pickup-groups").json()) == ["Sales", "Support"]


def test_a_user_twice_in_one_group_is_refused(admin, users):
    anna, bert, _ = users
    response = admin.post("/api/pickup-groups", json={"name": "Sales", "members": [anna, bert, anna]})
    assert response.status_code == 422
    assert response.json()["code"] == "duplicate_member"
    assert response.json()["errors"][0]["pointer"] == "/members/2"
    group = admin.post("/api/pickup-groups", json={"name": "Sales", "members": [anna]}).json()
    patched = admin.patch(f"/api/pickup-groups/{group['id']}", json={"members": [bert, bert]})
    assert patched.status_code == 422 and patched.json()["errors"][0]["pointer"] == "/members/1"
    assert admin.get(f"/api/pickup-groups/{group['id']}").json()["members"] == [anna]


def test_members_must_be_users_of_this_company(admin, db, users):
    anna = users[0]
    other = make_tenant(db, name="Other", sip_domain="other.pbx.test")
    stranger = make_pbx_user(db, other.id, "Stranger", "201")
    for members, pointer in (([anna, stranger], "/members/1"), ([anna, 999999], "/members/1"), ([stranger], "/members/0")):
        response = admin.post("/api/pickup-groups", json={"name": "Sales", "members": members})
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "unknown_reference"
        assert response.json()["errors"][0]["pointer"] == pointer
    assert admin.get("/api/pickup-groups").json() == []


@pytest.mark.parametrize("body, pointer", [
    ({"name": "", "members": []}, "/name"),
    ({"name": "x" * 101}, "/name"),
    ({"name": "Line\nbreak"}, "/name"),
    ({"name": "Sales", "members": ["5"]}, "/members/0"),
    ({"name": "Sales", "members": [True]}, "/members/0"),
    ({"name": "Sales", "members": [0]}, "/members/0"),
    ({"name": "Sales", "members": [-3]}, "/members/0"),
    ({"name": "Sales", "members": 5}, "/members"),
    ({"name": "Sales", "members": list(range(1, 502))}, "/members"),
    ({"name": "Sales", "extension": "201"}, "/extension"),
    ({"members": []}, "/name"),
])
def test_bad_groups_are_refused_with_the_field(admin, body, pointer):
    response = admin.post("/api/pickup-groups", json=body)
    assert response.status_code == 422, response.text
    assert pointer in [error["pointer"] for error in response.json()["errors"]]


def test_name_cannot_be_emptied(admin, users):
    group = admin.post("/api/pickup-groups", json={"name": "Sales", "members": users[:1]}).json()
    for body in ({"name": None}, {"name": ""}, {"members": None}):
        response = admin.patch(f"/api/pickup-groups/{group['id']}", json=body)
        assert response.status_code == 422, (body, response.text)


def test_deleting_a_member_is_refused_with_the_groups(admin, db, tenant, users):
    anna, bert, _ = users
    sales = admin.post("/api/pickup-groups", json={"name": "Sales", "members": [anna, bert]}).json()
    support = admin.post("/api/pickup-groups", json={"name": "Support", "members": [bert]}).json()

    with db() as session:
        found = sorted((use.kind, use.id, use.where) for use in references.uses(session, tenant.id, "user", bert))
    assert found == [("pickup_group", sales["id"], "/members/1"), ("pickup_group", support["id"], "/members/0")]

    refused = admin.delete(f"/api/users/{bert}")
    assert refused.status_code == 409, refused.text
    used_by = refused.json()["used_by"]
    assert sorted((u["kind"], u["name"], u["where"]) for u in used_by) == [
        ("pickup_group", "Sales", "/members/1"), ("pickup_group", "Support", "/members/0")]

    admin.patch(f"/api/pickup-groups/{sales['id']}", json={"members": [anna]})
    admin.delete(f"/api/pickup-groups/{support['id']}")
    assert admin.delete(f"/api/users/{bert}").status_code == 204


def test_groups_are_per_tenant(admin, app, db, settings, tenant, users):
    other = make_tenant(db, name="Other", sip_domain="other.pbx.test")
    foreign = make_pickup_group(db, settings, other.id, name="Theirs")
    assert admin.get("/api/pickup-groups").json() == []
    assert admin.get(f"/api/pickup-groups/{foreign}").status_code == 404
    assert admin.patch(f"/api/pickup-groups/{foreign}", json={"members": users[:1]}).status_code == 404
    assert admin.delete(f"/api/pickup-groups/{foreign}").status_code == 404
    with db() as session:
        assert session.get(PickupGroup, foreign).name == "Theirs"


def test_only_admins_manage_pickup_groups(app, db, settings, tenant):
    account = make_account(db, settings, tenant.id, "user@acme.test", role="user")
    user = TestClient(app, headers={"authorization": f"Bearer {make_token(db, account)}"})
    assert user.get("/api/pickup-groups").status_code == 403
    assert user.post("/api/pickup-groups", json={"name": "Mine", "members": []}).status_code == 403
