"""PBX users: CRUD, validation with pointers, forwarding, personal box, direct number, references."""

from __future__ import annotations

from tests.web.pbx import admin, other_admin  # noqa: F401


def test_create_read_update_delete(admin):
    user = admin.user("201", last_name="de Vries", email="Anna@Acme.test", language="en")
    assert user["email"] == "anna@acme.test" and user["voicemail_box_id"] is not None
    assert admin.client.get(f"/api/users/{user['id']}").json()["last_name"] == "de Vries"
    changed = admin.client.patch(f"/api/users/{user['id']}", json={"dnd": True, "night_mode": "on", "caller_id_mode": "own"})
    assert changed.status_code == 200 and changed.json()["dnd"] is True
    assert [u["extension"] for u in admin.client.get("/api/users").json()] == ["201"]
    assert admin.client.delete(f"/api/users/{user['id']}").status_code == 204
    assert admin.client.get(f"/api/users/{user['id']}").status_code == 404
    assert admin.client.get(f"/api/voicemail-boxes/{user['voicemail_box_id']}").status_code == 404


def test_forwarding_and_anywhere(admin):
    admin.user("202", first_name="Bob")
    user = admin.user("201", forwarding={
        "busy": {"enabled": True, "to": {"type": "extension", "number": "202"}},
        "no_answer": {"enabled": True, "to": {"type": "external", "number": "+32 467 89 01 23"}, "after_s": 15},
        "unregistered": {"enabled": True, "to": {"type": "external", "number": "06-12345678"}},
    }, anywhere={"enabled": True, "number": "+31 6 1234 5678"})
    assert user["forwarding"]["no_answer"]["to"]["number"] == "+32467890123"
    assert user["forwarding"]["unregistered"]["to"]["number"] == "0612345678"
    assert user["anywhere"]["number"] == "+31612345678"


def test_forwarding_to_a_missing_extension_points_at_the_field(admin):
    response = admin.client.post("/api/users", json={"first_name": "Anna", "extension": "201", "forwarding": {
        "busy": {"enabled": True, "to": {"type": "extension", "number": "299"}}}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/forwarding/busy/to"


def test_bad_fields_are_named(admin):
    response = admin.client.post("/api/users", json={
        "first_name": "", "extension": "201", "email": "not-mail", "caller_id_mode": "boss",
        "forwarding": {"no_answer": {"after_s": 1}}, "anywhere": {"enabled": True, "number": "call me"},
    })
    assert response.status_code == 422
    assert {e["pointer"] for e in response.json()["errors"]} == {
        "/first_name", "/email", "/caller_id_mode", "/forwarding/no_answer/after_s", "/anywhere/number"}


def test_direct_number_routes_a_public_number_to_the_user(admin):
    number = admin.number("+31 20 555 0101")
    user = admin.user("201", direct_number="+31205550101")
    assert user["direct_number"] == "+31205550101"
    assert admin.client.get(f"/api/numbers/{number['id']}").json()["destination"] == {"type": "user", "id": user["id"], "number": None}
    bob = admin.user("202", first_name="Bob")
    taken = admin.client.patch(f"/api/users/{bob['id']}", json={"direct_number": "+31205550101"})
    assert taken.status_code == 409 and taken.json()["errors"][0]["pointer"] == "/direct_number"
    foreign = admin.client.patch(f"/api/users/{bob['id']}", json={"direct_number": "+31205559999"})
    assert foreign.status_code == 422 and foreign.json()["code"] == "did_not_owned"
    admin.client.patch(f"/api/users/{user['id']}", json={"direct_number": None})
    assert admin.client.get(f"/api/numbers/{number['id']}").json()["destination"] is None


def test_deleting_a_user_in_use_is_refused_with_the_list(admin):
    user = admin.user("201")
    group = admin.create("/api/ring-groups", name="Sales", members=[{"type": "user", "id": user["id"]}])
    queue = admin.create("/api/queues", name="Support", tiers=[{"user_id": user["id"]}])
    refused = admin.client.delete(f"/api/users/{user['id']}")
    assert refused.status_code == 409 and refused.json()["code"] == "in_use"
    assert {(u["kind"], u["id"], u["where"]) for u in refused.json()["used_by"]} == {
        ("ring_group", group["id"], "/members/0/id"), ("queue", queue["id"], "/tiers/0/user_id")}


def test_renaming_keeps_membership_but_renumbering_a_dialled_extension_is_refused(admin):
    user = admin.user("201")
    queue = admin.create("/api/queues", name="Support", tiers=[{"user_id": user["id"]}])
    assert admin.client.patch(f"/api/users/{user['id']}", json={"first_name": "Annemarie"}).status_code == 200
    assert admin.client.get(f"/api/queues/{queue['id']}").json()["tiers"][0]["user_id"] == user["id"]
    admin.create("/api/ivr-menus", name="Main", keys={"1": {"action": "forward", "destination": {"type": "extension", "number": "201"}}})
    refused = admin.client.patch(f"/api/users/{user['id']}", json={"extension": "301"})
    assert refused.status_code == 409 and refused.json()["used_by"][0]["where"] == "/keys/1/destination"


def test_references_to_another_tenants_objects_are_refused(admin, other_admin):
    foreign_user = other_admin.user("201")
    response = admin.client.post("/api/ring-groups", json={"name": "Sales", "members": [{"type": "user", "id": foreign_user["id"]}]})
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/members/0/id"
    department = other_admin.create("/api/departments", name="Sales")
    response = admin.client.post("/api/users", json={"first_name": "Anna", "extension": "201", "department_id": department["id"]})
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/department_id"


def test_portal_account_link_must_be_of_the_same_company(admin, other_admin):
    response = admin.client.post("/api/users", json={"first_name": "Anna", "extension": "201", "account_id": other_admin.account.id})
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/account_id"
    linked = admin.user("201", account_id=admin.account.id)
    assert linked["account_id"] == admin.account.id


def test_only_admins_manage_users(app, db, settings, admin):
    from starlette.testclient import TestClient

    from tests.web.helpers import make_account, make_token

    for role in ("user", "agent", "reports"):
        account = make_account(db, settings, admin.tenant.id, f"{role}@acme.test", role=role)
        client = TestClient(app, headers={"authorization": f"Bearer {make_token(db, account)}"})
        assert client.get("/api/users").status_code == 403
        assert client.post("/api/users", json={"first_name": "X", "extension": "209"}).status_code == 403


# --- forwarding loops ------------------------------------------------------------------------------------


def _forward(admin, user_id, case, to, **rule):
    return admin.client.patch(f"/api/users/{user_id}", json={"forwarding": {case: {"enabled": True, "to": to, **rule}}})


def test_a_forwarding_loop_is_refused_on_the_field_that_closes_it(admin):
    anna, bob = admin.user("201", first_name="Anna"), admin.user("202", first_name="Bob")
    assert _forward(admin, anna["id"], "always", {"type": "user", "id": bob["id"]}).status_code == 200
    closing = _forward(admin, bob["id"], "always", {"type": "extension", "number": "201"})
    assert closing.status_code == 422, closing.text
    [error] = closing.json()["errors"]
    assert (error["pointer"], error["code"]) == ("/forwarding/always/to", "forwarding_loop")
    assert "Bob (202) → Anna (201) → Bob (202)" in error["message"]
    assert admin.client.get(f"/api/users/{bob['id']}").json()["forwarding"]["always"]["enabled"] is False
    # on busy, on no answer, when unregistered: the same loop, only later
    for case in ("busy", "no_answer", "unregistered"):
        refused = _forward(admin, bob["id"], case, {"type": "user", "id": anna["id"]})
        assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == f"/forwarding/{case}/to"
    assert _forward(admin, anna["id"], "always", {"type": "user", "id": anna["id"]}).status_code == 422  # to itself


def test_a_loop_through_a_ring_group_is_refused_and_a_way_out_is_not_a_loop(admin):
    anna, bob = admin.user("201", first_name="Anna"), admin.user("202", first_name="Bob")
    sales = admin.create("/api/ring-groups", name="Sales", extension="600", members=[{"type": "user", "id": bob["id"]}],
                         forward_after={"type": "user", "id": anna["id"]})
    closing = _forward(admin, anna["id"], "no_answer", {"type": "extension", "number": "600"}, after_s=20)
    assert closing.status_code == 422 and closing.json()["errors"][0]["pointer"] == "/forwarding/no_answer/to"
    assert "Anna (201) → Sales (600) → Anna (201)" in closing.json()["errors"][0]["message"]
    # the other way round: the group's own field closes it
    assert admin.client.patch(f"/api/ring-groups/{sales['id']}", json={"forward_after": None}).status_code == 200
    assert _forward(admin, anna["id"], "no_answer", {"type": "ring_group", "id": sales["id"]}).status_code == 200
    refused = admin.client.patch(f"/api/ring-groups/{sales['id']}", json={"forward_after": {"type": "extension", "number": "201"}})
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/forward_after"
    night = admin.client.patch(f"/api/ring-groups/{sales['id']}", json={"night_destination": {"type": "user", "id": anna["id"]}})
    assert night.status_code == 422 and night.json()["errors"][0]["pointer"] == "/night_destination"
    # members are rung, not forwarded to: Bob in the group and Bob forwarding to it is no loop
    assert _forward(admin, bob["id"], "busy", {"type": "ring_group", "id": sales["id"]}).status_code == 200
    # a chain that ends (outside number, voicemail, hang up) is fine, however long
    assert admin.client.patch(f"/api/ring-groups/{sales['id']}", json={"forward_after": {"type": "external", "number": "+31201234567"}}).status_code == 200
    # an always-forwarding user's other rules never run: they close no loop
    assert _forward(admin, anna["id"], "always", {"type": "external", "number": "0612345678"}).status_code == 200
    assert admin.client.patch(f"/api/ring-groups/{sales['id']}", json={"forward_after": {"type": "user", "id": anna["id"]}}).status_code == 200


def test_a_stored_loop_is_named_on_the_next_change_of_its_members(admin, db):
    from web.models.pbx_user import PbxUser

    anna, bob = admin.user("201", first_name="Anna"), admin.user("202", first_name="Bob")
    with db() as session:  # made before this check existed
        for me, other in ((anna, bob), (bob, anna)):
            row = session.get(PbxUser, me["id"])
            row.forwarding = {"always": {"enabled": True, "to": {"type": "user", "id": other["id"]}}}
            session.add(row)
    renamed = admin.client.patch(f"/api/users/{anna['id']}", json={"first_name": "Annie"})
    assert renamed.status_code == 422 and renamed.json()["errors"][0]["pointer"] == "/forwarding/always/to"
    assert "Annie (201) → Bob (202) → Annie (201)" in renamed.json()["errors"][0]["message"]


def test_the_next_free_extension_fills_the_users_run(admin):
    suggest = lambda kind="user": admin.client.get("/api/extensions/next-free", params={"kind": kind}).json()["extension"]  # noqa: E731
    assert suggest() == "201"  # a company without users
    for extension in ("201", "202", "204"):
        admin.user(extension, first_name=f"U{extension}")
    assert suggest() == "203"
    admin.create("/api/ring-groups", name="Sales", extension="203")  # taken by something else
    assert suggest() == "205"
    assert suggest("ring_group") == "205"  # from its own lowest number, 203
    assert suggest("queue") == "400"
    bad = admin.client.get("/api/extensions/next-free", params={"kind": "plan\n"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/kind"


def test_the_next_free_extension_never_suggests_an_emergency_number(other_admin):
    for extension in ("110", "111"):
        other_admin.user(extension, first_name=f"U{extension}")
    assert other_admin.client.get("/api/extensions/next-free").json() == {"extension": "113"}


def test_free_numbers_are_those_nothing_answers(admin):
    admin.operator.assign(admin.tenant.id, "+31205550100", "+31205550103")
    anna = admin.user("201", direct_number="+31205550101")
    numbers = {row["number"]: row for row in admin.client.get("/api/numbers").json()}
    admin.client.patch(f"/api/numbers/{numbers['+31205550102']['id']}", json={"destination": {"type": "hang_up"}})
    free = admin.client.get("/api/numbers/free").json()
    assert [row["number"] for row in free] == ["+31205550100", "+31205550103"]
    # a published plan on a number takes it too
    plan = admin.create("/api/plans", name="Reception", numbers=["+31205550103"],
                        steps=[{"id": "s1", "type": "user", "user": anna["id"]}])
    published = admin.client.post(f"/api/plans/{plan['id']}/publish", json={})
    assert published.status_code == 200, published.text
    assert [row["number"] for row in admin.client.get("/api/numbers/free").json()] == ["+31205550100"]


def test_a_user_gets_a_portal_login(admin, mailbox):
    anna = admin.user("201", last_name="de Vries", email="anna@acme.test", language="nl")
    given = admin.client.post(f"/api/users/{anna['id']}/portal-account", json={"role": "agent"})
    assert given.status_code == 201, given.text
    account = given.json()
    assert (account["email"], account["role"], account["first_name"], account["last_name"], account["language"]) == (
        "anna@acme.test", "agent", "Anna", "de Vries", "nl")
    assert admin.client.get(f"/api/users/{anna['id']}").json()["account_id"] == account["id"]
    (welcome,) = mailbox.to("anna@acme.test")
    assert "/set-password" in welcome.get_body(("plain",)).get_content()
    again = admin.client.post(f"/api/users/{anna['id']}/portal-account", json={})
    assert again.status_code == 409 and again.json()["code"] == "portal_account_exists"

    # without an address of its own: the one sent, which the user then gets too
    bob = admin.user("202", first_name="Bob")
    missing = admin.client.post(f"/api/users/{bob['id']}/portal-account", json={"send_welcome": False})
    assert missing.status_code == 422 and missing.json()["errors"][0] == {
        "pointer": "/email", "code": "missing", "message": "the user has no e-mail address: enter the one to log in with"}
    taken = admin.client.post(f"/api/users/{bob['id']}/portal-account", json={"email": "boss@acme.test"})
    assert taken.status_code == 409 and taken.json()["errors"][0]["pointer"] == "/email"
    made = admin.client.post(f"/api/users/{bob['id']}/portal-account", json={"email": "bob@acme.test", "send_welcome": False})
    assert made.status_code == 201 and admin.client.get(f"/api/users/{bob['id']}").json()["email"] == "bob@acme.test"
    assert mailbox.to("bob@acme.test") == []

    # one login belongs to one user
    linked = admin.client.patch(f"/api/users/{bob['id']}", json={"account_id": account["id"]})
    assert linked.status_code == 409 and linked.json()["errors"][0]["pointer"] == "/account_id"
    assert "Anna de Vries (201)" in linked.json()["errors"][0]["message"]

    # deleting the login leaves the user, unlinked, and still editable
    assert admin.client.delete(f"/api/accounts/{account['id']}").status_code == 204
    assert admin.client.get(f"/api/users/{anna['id']}").json()["account_id"] is None
    assert admin.client.patch(f"/api/users/{anna['id']}", json={"dnd": True}).status_code == 200


def test_portal_logins_of_another_company_are_not_reachable(admin, other_admin):
    anna = admin.user("201", email="anna@acme.test")
    foreign = other_admin.client.post(f"/api/users/{anna['id']}/portal-account", json={})
    assert foreign.status_code == 404
    other_account = other_admin.client.get("/api/accounts").json()[0]
    refused = admin.client.patch(f"/api/users/{anna['id']}", json={"account_id": other_account["id"]})
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/account_id"
