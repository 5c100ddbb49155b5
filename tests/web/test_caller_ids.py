"""Caller IDs: calls out show only a number the company holds or one the operator verified for it, and
asking about another company's number answers exactly like asking about nobody's."""

from __future__ import annotations

import pytest

from tests.web.pbx import admin, operator, other_admin  # noqa: F401

THEIRS, NOBODYS, OURS, MOBILE = "+31209999999", "+31208888888", "+31201234567", "+31612345678"


def answer(response) -> tuple[int, dict]:
    return response.status_code, response.json()


@pytest.fixture
def places(admin):
    """Each place a company's admin names a caller ID: (name, send(number) -> response)."""
    department = admin.create("/api/departments", name="Support")
    user = admin.user("201", caller_id_mode="own")
    return {
        "user's own number": lambda number: admin.client.patch(f"/api/users/{user['id']}", json={"direct_number": number}),
        "company settings": lambda number: admin.client.patch("/api/company", json={"company_number": number}),
        "company record": lambda number: admin.client.patch("/api/tenant", json={"company_number": number}),
        "new department": lambda number: admin.client.post("/api/departments", json={"name": "Sales", "caller_id_number": number}),
        "department": lambda number: admin.client.patch(f"/api/departments/{department['id']}", json={"caller_id_number": number}),
    }


@pytest.mark.parametrize("place", ["company settings", "company record", "new department", "department", "user's own number"])
def test_a_caller_id_is_one_of_the_companys_numbers(admin, other_admin, places, place):
    admin.number(OURS)
    other_admin.number(THEIRS)
    send = places[place]
    theirs, nobodys = answer(send(THEIRS)), answer(send(NOBODYS))
    assert theirs[0] == 422 and theirs[1]["errors"][0]["pointer"] in ("/company_number", "/caller_id_number", "/direct_number")
    assert theirs == (nobodys[0], {**nobodys[1]})  # another company's number answers like nobody's
    assert "Other" not in str(theirs)
    assert send(OURS).status_code in (200, 201)


def test_the_operator_verifies_a_companys_own_outside_numbers(admin, other_admin, operator, places):
    other_admin.number(THEIRS)
    assert places["department"](MOBILE).status_code == 422
    made = operator.client.post("/api/platform/verified-caller-ids",
                                json={"tenant_id": admin.tenant.id, "number": "+31 6 1234 5678", "note": "KvK extract, called back"})
    assert made.status_code == 201, made.text
    verified = made.json()
    assert (verified["number"], verified["tenant_name"], verified["note"]) == (MOBILE, "Acme", "KvK extract, called back")
    assert places["department"](MOBILE).status_code == 200
    assert places["company settings"](MOBILE).status_code == 200

    again = operator.client.post("/api/platform/verified-caller-ids", json={"tenant_id": admin.tenant.id, "number": MOBILE})
    assert again.status_code == 409 and again.json()["code"] == "already_verified"
    held = operator.client.post("/api/platform/verified-caller-ids", json={"tenant_id": admin.tenant.id, "number": THEIRS})
    assert held.status_code == 409 and held.json()["taken"] == [{"number": THEIRS, "tenant_id": other_admin.tenant.id, "as": "assigned"}]
    # a number verified as one company's caller ID is not assigned to another behind its back
    assigned = operator.client.post("/api/platform/numbers", json={"tenant_id": other_admin.tenant.id, "first": MOBILE})
    assert assigned.status_code == 409 and assigned.json()["taken"][0]["as"] == "verified_caller_id"

    listed = operator.client.get("/api/platform/verified-caller-ids", params={"tenant_id": admin.tenant.id}).json()
    assert [row["number"] for row in listed] == [MOBILE]
    assert operator.client.get("/api/platform/verified-caller-ids", params={"tenant_id": other_admin.tenant.id}).json() == []
    admin.number(OURS, label="Main")
    assert admin.client.get("/api/caller-ids").json() == {"allowed": [
        {"number": OURS, "source": "assigned", "label": "Main"},
        {"number": MOBILE, "source": "verified", "label": "KvK extract, called back"},
    ], "problems": []}
    assert other_admin.client.get("/api/caller-ids").json()["allowed"] == [{"number": THEIRS, "source": "assigned", "label": ""}]

    used = operator.client.delete(f"/api/platform/verified-caller-ids/{verified['id']}")
    assert used.status_code == 409 and {use["kind"] for use in used.json()["used_by"]} == {"company", "department"}
    places["company settings"](OURS)
    places["department"](OURS)
    assert operator.client.delete(f"/api/platform/verified-caller-ids/{verified['id']}").status_code == 204
    assert operator.client.delete(f"/api/platform/verified-caller-ids/{verified['id']}").status_code == 404
    assert places["department"](MOBILE).status_code == 422


def test_an_old_row_can_still_be_renamed(admin, db):
    from web.models.company import Department

    department = admin.create("/api/departments", name="Sales")
    with db() as session:
        session.get(Department, department["id"]).caller_id_number = THEIRS  # from before numbers were assigned
    renamed = admin.client.patch(f"/api/departments/{department['id']}", json={"name": "Sales team"})
    assert renamed.status_code == 200 and renamed.json()["caller_id_number"] == THEIRS
    assert admin.client.patch(f"/api/departments/{department['id']}", json={"caller_id_number": None}).status_code == 200
