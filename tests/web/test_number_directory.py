"""GET /api/numbers/directory: who answers what. Every public number and every internal number of the
company, each with what it reaches and how (routed, answered by a published plan, an object's own),
free public numbers marked, and nothing of another company."""

from __future__ import annotations

from tests.web.pbx import admin, other_admin  # noqa: F401


def directory(admin) -> dict[str, dict]:
    response = admin.client.get("/api/numbers/directory")
    assert response.status_code == 200, response.text
    return {row["number"]: row for row in response.json()}


def test_every_number_with_what_it_reaches(admin):
    anna = admin.user("201", first_name="Anna", last_name="Smit")
    group = admin.create("/api/ring-groups", name="Sales", extension="300", members=[{"type": "user", "id": anna["id"]}])
    direct = admin.number("+31201234501", label="Anna direct", destination={"type": "user", "id": anna["id"]})
    admin.number("+31201234502", destination={"type": "extension", "number": "300"})
    admin.number("+31201234503", destination={"type": "external", "number": "+32467890123"})
    free = admin.number("+31201234504", label="Spare")
    plan = admin.create("/api/plans", name="Reception", numbers=["+31201234505", "250"],
                        steps=[{"id": "s1", "type": "hang_up"}])
    admin.number("+31201234505")
    assert admin.client.post(f"/api/plans/{plan['id']}/publish", json={}).status_code == 200
    assert admin.client.patch("/api/company", json={"company_number": "+31201234501"}).status_code == 200

    rows = directory(admin)
    assert rows["+31201234501"] == {
        "number": "+31201234501", "kind": "public", "id": direct["id"], "label": "Anna direct", "number_type": "fixed_line",
        "via": "route", "reaches": {"kind": "user", "id": anna["id"], "number": None, "name": "Anna Smit"},
        "name": "Anna Smit", "free": False, "company_number": True}
    # an extension destination is shown as the object that holds the extension
    assert rows["+31201234502"]["reaches"] == {"kind": "ring_group", "id": group["id"], "number": "300", "name": "Sales"}
    assert rows["+31201234503"]["reaches"] == {"kind": "external", "id": None, "number": "+32467890123", "name": ""}
    spare = rows["+31201234504"]
    assert (spare["free"], spare["reaches"], spare["via"], spare["id"], spare["label"]) == (True, None, "", free["id"], "Spare")
    assert (rows["+31201234505"]["via"], rows["+31201234505"]["reaches"]) == ("plan", {"kind": "plan", "id": plan["id"], "number": None, "name": "Reception"})
    # internal numbers: the objects' own extensions, the plan's, the feature codes
    assert rows["201"]["kind"] == "internal" and rows["201"]["via"] == "own" and rows["201"]["name"] == "Anna Smit"
    assert rows["300"]["reaches"]["kind"] == "ring_group"
    assert rows["250"]["reaches"] == {"kind": "plan", "id": plan["id"], "number": "250", "name": "Reception"}
    numbers = list(rows)
    assert numbers.index("+31201234505") < numbers.index("201") < numbers.index("250") < numbers.index("300")

    # routing the free number changes what it reaches
    assert admin.client.patch(f"/api/numbers/{free['id']}", json={"destination": {"type": "ring_group", "id": group["id"]}}).status_code == 200
    assert directory(admin)["+31201234504"]["reaches"]["name"] == "Sales"


def test_only_the_own_company(admin, other_admin):
    admin.number("+31201234501")
    other_admin.user("202", first_name="Bert")
    assert [row["number"] for row in other_admin.client.get("/api/numbers/directory").json()] == ["202"]
    assert "202" not in directory(admin)
