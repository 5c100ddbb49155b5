"""Public numbers belong to someone: the operator assigns numbers and blocks to companies and takes them
back, a company's admin routes only its own, E.164 parsed and classified with phonenumbers."""

from __future__ import annotations

import pytest

from tests.web.concurrency import at_once, clients, serving
from tests.web.pbx import admin, operator, other_admin  # noqa: F401


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    return body


def pointers(body: dict) -> list[str]:
    return [error["pointer"] for error in body.get("errors", [])]


@pytest.mark.parametrize("typed, stored, kind, country", [
    ("+31 20 123 4567", "+31201234567", "fixed_line", "NL"),
    ("+31612345678", "+31612345678", "mobile", "NL"),
    ("+32 2 580 50 00", "+3225805000", "fixed_line", "BE"),
    ("+3290012345", "+3290012345", "premium_rate", "BE"),
    ("+1 212 555 0123", "+12125550123", "fixed_line_or_mobile", "US"),
])
def test_numbers_are_normalised_and_classified(admin, typed, stored, kind, country):
    number = admin.number(typed)
    assert (number["number"], number["number_type"], number["country"]) == (stored, kind, country)


@pytest.mark.parametrize("bad", ["0201234567", "+31 20", "hello", "+999123456789"])
def test_invalid_numbers_are_refused(admin, operator, bad):
    response = operator.client.post("/api/platform/numbers", json={"tenant_id": admin.tenant.id, "first": bad})
    assert problem(response, 422, "invalid") and pointers(response.json()) == ["/first"]


def test_an_admin_cannot_make_a_number_up_or_give_one_away(admin):
    made = admin.client.post("/api/numbers", json={"number": "+31201234567"})
    assert made.status_code == 405  # numbers come from the operator
    assert admin.client.get("/api/numbers").json() == []
    number = admin.number("+31201234567")
    assert admin.client.delete(f"/api/numbers/{number['id']}").status_code == 405
    assert [row["number"] for row in admin.client.get("/api/numbers").json()] == ["+31201234567"]
    # nor reach the operator's routes
    for method, path in (("GET", "/api/platform/numbers"), ("POST", "/api/platform/numbers"),
                         ("POST", "/api/platform/verified-caller-ids")):
        answer = admin.client.request(method, path, json={"tenant_id": admin.tenant.id, "first": "+31201234568"})
        assert answer.status_code == 403
    assert len(admin.client.get("/api/numbers").json()) == 1


def test_the_operator_assigns_single_numbers_and_blocks(admin, other_admin, operator):
    block = operator.assign(admin.tenant.id, "+31201234500", "+31201234599")
    assert block == {"tenant_id": admin.tenant.id, "tenant_name": "Acme", "first": "+31201234500",
                     "last": "+31201234599", "count": 100, "routed": 0}
    single = operator.assign(other_admin.tenant.id, "+32 2 580 50 00")
    assert (single["first"], single["last"], single["count"]) == ("+3225805000", "+3225805000", 1)
    operator.assign(admin.tenant.id, "+31201234600")  # next to the block: shown as one block again

    own = admin.client.get("/api/numbers").json()
    assert [row["number"] for row in own] == [f"+312012345{n:02d}" for n in range(100)] + ["+31201234600"]
    assert {row["number_type"] for row in own} == {"fixed_line"} and all(row["destination"] is None for row in own)
    assert [row["number"] for row in other_admin.client.get("/api/numbers").json()] == ["+3225805000"]

    admin.client.patch(f"/api/numbers/{own[5]['id']}", json={"destination": {"type": "hang_up"}, "label": "Silence"})
    ranges = operator.client.get("/api/platform/number-ranges").json()
    assert [(r["first"], r["last"], r["count"], r["tenant_name"], r["routed"]) for r in ranges] == [
        ("+31201234500", "+31201234600", 101, "Acme", 1), ("+3225805000", "+3225805000", 1, "Other", 0)]
    assert operator.client.get("/api/platform/number-ranges", params={"tenant_id": other_admin.tenant.id}).json() == ranges[1:]

    page = operator.client.get("/api/platform/numbers", params={"limit": 2, "offset": 5}).json()
    assert page["total"] == 102 and [row["number"] for row in page["items"]] == ["+31201234505", "+31201234506"]
    assert page["items"][0] | {"assigned_at": None} == {
        "id": own[5]["id"], "number": "+31201234505", "tenant_id": admin.tenant.id, "tenant_name": "Acme",
        "label": "Silence", "number_type": "fixed_line", "country": "NL", "routed": True, "assigned_at": None}
    found = operator.client.get("/api/platform/numbers", params={"q": "+3225"}).json()
    assert [(row["number"], row["tenant_name"]) for row in found["items"]] == [("+3225805000", "Other")]
    only = operator.client.get("/api/platform/numbers", params={"tenant_id": other_admin.tenant.id}).json()
    assert only["total"] == 1
    for params, pointer in (({"q": "20%"}, "/q"), ({"limit": "0"}, "/limit"), ({"tenant_id": "x"}, "/tenant_id")):
        assert pointers(problem(operator.client.get("/api/platform/numbers", params=params), 422, "invalid_filter")) == [pointer]
    unknown = operator.client.get("/api/platform/numbers", params={"tenant_id": 424242})
    assert pointers(problem(unknown, 422, "unknown_reference")) == ["/tenant_id"]


@pytest.mark.parametrize("first, last, pointer", [
    ("+31201234500", "+3120123450", "/last"),  # fewer digits
    ("+31201234599", "+31201234500", "/last"),  # backwards
    ("+31201230000", "+31201239999", "/last"),  # 10,000: more than one assignment may give
])
def test_blocks_that_cannot_be_assigned_are_refused(admin, operator, first, last, pointer):
    response = operator.client.post("/api/platform/numbers", json={"tenant_id": admin.tenant.id, "first": first, "last": last})
    assert response.status_code == 422 and pointers(response.json()) == [pointer]
    assert admin.client.get("/api/numbers").json() == []
    unknown = operator.client.post("/api/platform/numbers", json={"tenant_id": 424242, "first": "+31201234500"})
    assert pointers(problem(unknown, 422, "unknown_reference")) == ["/tenant_id"]


def test_a_number_is_held_by_one_company(admin, other_admin, operator):
    operator.assign(admin.tenant.id, "+31201234510", "+31201234519")
    overlapping = operator.client.post("/api/platform/numbers", json={
        "tenant_id": other_admin.tenant.id, "first": "+31201234500", "last": "+31201234511"})
    body = problem(overlapping, 409, "numbers_taken")
    assert body["taken"] == [{"number": "+31201234510", "tenant_id": admin.tenant.id, "as": "assigned"},
                             {"number": "+31201234511", "tenant_id": admin.tenant.id, "as": "assigned"}]
    assert other_admin.client.get("/api/numbers").json() == []  # all or nothing
    again = operator.client.post("/api/platform/numbers", json={"tenant_id": admin.tenant.id, "first": "+31201234519"})
    assert problem(again, 409, "numbers_taken")["taken"][0]["tenant_id"] == admin.tenant.id


def test_one_block_goes_to_exactly_one_of_many_racing_assignments(app, db, settings):
    from tests.web.pbx import Admin, Operator

    companies = [Admin(app, db, settings, name=f"C{n}", domain=f"c{n}.pbx.test", email=f"boss@c{n}.test") for n in range(10)]
    token = Operator(app, db, settings).client.headers["authorization"]
    with serving(app) as url, clients(url, len(companies), headers={"authorization": token}) as racers:
        answers = at_once(racers, lambda client, n: client.post("/api/platform/numbers", json={
            "tenant_id": companies[n].tenant.id, "first": "+31201234500", "last": "+31201234549"}))
    assert sorted(answer.status_code for answer in answers) == [201] + [409] * 9, [a.text for a in answers]
    holders = [len(company.client.get("/api/numbers").json()) for company in companies]
    assert sorted(holders) == [0] * 9 + [50]


def test_the_operator_takes_numbers_back_unless_they_are_in_use(admin, operator):
    operator.assign(admin.tenant.id, "+31201234500", "+31201234509")
    rows = {row["number"]: row for row in admin.client.get("/api/numbers").json()}
    user = admin.user("201")
    admin.client.patch(f"/api/numbers/{rows['+31201234501']['id']}", json={"destination": {"type": "user", "id": user["id"]}})
    plan = admin.create("/api/plans", name="Main", numbers=["+31201234502"], steps=[{"id": "h", "type": "hang_up"}])
    assert admin.client.post(f"/api/plans/{plan['id']}/publish").status_code in (200, 201)
    assert admin.client.patch("/api/company", json={"company_number": "+31201234503"}).status_code == 200
    department = admin.create("/api/departments", name="Sales", caller_id_number="+31201234504")

    whole = {"tenant_id": admin.tenant.id, "first": "+31201234500", "last": "+31201234509"}
    body = problem(operator.client.post("/api/platform/numbers/release", json=whole), 409, "in_use")
    # only what outside the block uses its numbers: never one of the block's own numbers (the routing of
    # +31201234501 is part of that number and would go with it)
    assert body["used_by"] == [
        {"kind": "plan", "id": plan["id"], "name": "Main", "where": "/numbers/0", "number": "+31201234502"},
        {"kind": "company", "id": admin.tenant.id, "name": "Acme", "where": "/company_number", "number": "+31201234503"},
        {"kind": "department", "id": department["id"], "name": "Sales", "where": "/caller_id_number", "number": "+31201234504"},
    ]
    assert not {use["name"] for use in body["used_by"]} & set(rows)
    assert len(admin.client.get("/api/numbers").json()) == 10  # nothing taken back
    one = problem(operator.client.delete(f"/api/platform/numbers/{rows['+31201234502']['id']}"), 409, "in_use")
    assert [(use["kind"], use["where"]) for use in one["used_by"]] == [("plan", "/numbers/0")]
    # the user +31201234501 routes to cannot go while the number sends calls there
    assert problem(admin.client.delete(f"/api/users/{user['id']}"), 409, "in_use")["used_by"][0]["kind"] == "phone_number"

    released = operator.client.post("/api/platform/numbers/release", json={**whole, "first": "+31201234505"})
    assert released.status_code == 200 and released.json() == [{"tenant_id": admin.tenant.id, "tenant_name": "Acme",
        "first": "+31201234505", "last": "+31201234509", "count": 5, "routed": 0}]
    assert operator.client.delete(f"/api/platform/numbers/{rows['+31201234500']['id']}").status_code == 204
    # a number that only routes calls goes back with its routing, and nothing is left pointing anywhere
    routed = operator.client.post("/api/platform/numbers/release", json={**whole, "first": "+31201234501", "last": "+31201234501"})
    assert routed.status_code == 200 and routed.json()[0]["routed"] == 1
    assert admin.client.delete(f"/api/users/{user['id']}").status_code == 204
    assert [row["number"] for row in admin.client.get("/api/numbers").json()] == [f"+3120123450{n}" for n in range(2, 5)]
    assert admin.client.get(f"/api/numbers/{rows['+31201234500']['id']}").status_code == 404
    nothing = operator.client.post("/api/platform/numbers/release", json={**whole, "first": "+31201234505"})
    assert pointers(problem(nothing, 422, "numbers_not_held")) == ["/first"]
    assert operator.client.delete(f"/api/platform/numbers/{rows['+31201234500']['id']}").status_code == 404


def test_a_company_admin_routes_only_its_own_numbers(admin, other_admin):
    theirs = other_admin.number("+31209999999")
    for answer in (admin.client.get(f"/api/numbers/{theirs['id']}"),
                   admin.client.patch(f"/api/numbers/{theirs['id']}", json={"destination": {"type": "hang_up"}})):
        assert answer.status_code == 404
    assert other_admin.client.get(f"/api/numbers/{theirs['id']}").json()["destination"] is None


def test_a_number_routes_to_one_destination(admin):
    group = admin.create("/api/ring-groups", name="Sales", extension="300")
    number = admin.number("+31201234567", destination={"type": "ring_group", "id": group["id"]})
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


def test_creating_a_company_with_its_number_assigns_it(operator, admin):
    admin.number("+31201234567")
    made = operator.client.post("/api/tenants", json={"name": "Beta", "sip_domain": "beta.pbx.test",
                                                       "company_number": "+31201234568", "admin_email": "boss@beta.test"})
    assert made.status_code == 201, made.text
    ranges = operator.client.get("/api/platform/number-ranges", params={"tenant_id": made.json()["id"]}).json()
    assert [(r["first"], r["count"]) for r in ranges] == [("+31201234568", 1)]
    taken = operator.client.post("/api/tenants", json={"name": "Gamma", "sip_domain": "gamma.pbx.test",
                                                        "company_number": "+31201234567", "admin_email": "boss@gamma.test"})
    assert pointers(problem(taken, 409, "numbers_taken")) == ["/company_number"]
    assert [t["name"] for t in operator.client.get("/api/tenants").json()] == ["Acme", "Beta"]
    # the operator changes a company's number only to one it holds or had verified
    other = operator.client.patch(f"/api/tenants/{made.json()['id']}", json={"company_number": "+31201234567"})
    assert pointers(problem(other, 422, "caller_id_not_allowed")) == ["/company_number"]
