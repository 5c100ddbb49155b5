"""Page groups (#18 item 4) through the API: made, changed and deleted with their number in the company's
one namespace and their members (users and phones of the company); bad input refused naming the field;
a member or a group in use is not deleted (used_by); another company neither sees nor pages them; and the
dialplan FreeSWITCH fetches pages each member's phone with its brand's auto-answer header."""

from __future__ import annotations

import pytest

from tests.web.pbx import admin, other_admin  # noqa: F401  (fixtures)
from tests.web.test_xml_curl import _fresh_cache, extensions, fs, settings  # noqa: F401  (fixtures: the switch's side)


def device(admin, name: str, brand: str, model: str, user_id=None) -> dict:
    return admin.create("/api/devices", name=name, brand=brand, model=model, **({"user_id": user_id} if user_id else {}))


def pointers(response) -> list[str]:
    assert response.status_code == 422, response.text
    return [error["pointer"] for error in response.json()["errors"]]


def test_a_group_is_made_changed_and_deleted_with_its_number(admin):
    anna = admin.user("201", "Anna")
    desk = device(admin, "Lobby", "snom", "D715")
    created = admin.client.post("/api/page-groups", json={
        "name": " Warehouse ", "extension": "600", "members": [{"type": "user", "id": anna["id"]}, {"type": "device", "id": desk["id"]}]})
    assert created.status_code == 201, created.text
    group = created.json()
    assert (group["name"], group["extension"], group["members"]) == (
        "Warehouse", "600", [{"type": "user", "id": anna["id"]}, {"type": "device", "id": desk["id"]}])
    assert admin.client.get("/api/page-groups").json() == [group]
    changed = admin.client.patch(f"/api/page-groups/{group['id']}", json={"extension": "610", "members": [{"type": "user", "id": anna["id"]}]})
    assert changed.status_code == 200 and changed.json()["members"] == [{"type": "user", "id": anna["id"]}], changed.text
    # the old number is free again, the new one taken in the one namespace
    assert admin.client.post("/api/ring-groups", json={"name": "Sales", "extension": "600"}).status_code == 201
    taken = admin.client.post("/api/conference-rooms", json={"name": "Board", "extension": "610"})
    assert taken.status_code == 409 and taken.json()["errors"][0]["pointer"] == "/extension", taken.text
    assert admin.client.delete(f"/api/page-groups/{group['id']}").status_code == 204
    assert admin.client.get(f"/api/page-groups/{group['id']}").status_code == 404
    assert admin.client.post("/api/conference-rooms", json={"name": "Board", "extension": "610"}).status_code == 201


@pytest.mark.parametrize("body, pointer", [
    ({"name": "P", "extension": "6"}, "/extension"),
    ({"name": "P", "extension": "600", "members": []}, "/members"),
    ({"name": "P", "extension": "600", "members": [{"type": "external", "id": 1}]}, "/members/0/type"),
    ({"name": "P", "extension": "600", "members": [{"type": "user", "id": "1"}]}, "/members/0/id"),
    ({"name": "P", "extension": "600", "members": [{"type": "user", "id": 99999}]}, "/members/0/id"),
    ({"name": "P", "extension": "600", "members": [{"type": "device", "id": 99999}]}, "/members/0/id"),
    ({"name": "", "extension": "600", "members": [{"type": "user", "id": 1}]}, "/name"),
    ({"name": "P", "extension": "600", "members": [{"type": "user", "id": 1}], "mode": "two-way"}, "/mode"),
])
def test_bad_input_is_refused_naming_the_field(admin, body, pointer):
    if "members" not in body:
        body = {**body, "members": [{"type": "user", "id": admin.user()["id"]}]}
    assert pointer in pointers(admin.client.post("/api/page-groups", json=body))


def test_a_member_twice_is_refused_at_its_place(admin):
    anna = admin.user()
    twice = admin.client.post("/api/page-groups", json={"name": "P", "extension": "600", "members": [
        {"type": "user", "id": anna["id"]}, {"type": "user", "id": anna["id"]}]})
    assert pointers(twice) == ["/members/1"]


def test_what_uses_a_group_and_what_a_group_uses_is_kept_from_deletion(admin):
    anna = admin.user()
    group = admin.create("/api/page-groups", name="Floor", extension="600", members=[{"type": "user", "id": anna["id"]}])
    # a member cannot be deleted from under the group
    refused = admin.client.delete(f"/api/users/{anna['id']}")
    assert refused.status_code == 409 and refused.json()["used_by"][0]["kind"] == "page_group", refused.text
    # a group an IVR key sends callers to (a destination) is not deleted either
    menu = admin.create("/api/ivr-menus", name="Main", keys={"9": {"action": "forward", "destination": {
        "type": "page_group", "id": group["id"]}}})
    refused = admin.client.delete(f"/api/page-groups/{group['id']}")
    assert refused.status_code == 409, refused.text
    assert [(use["kind"], use["name"]) for use in refused.json()["used_by"]] == [("ivr_menu", "Main")]
    assert admin.client.get("/api/page-groups/used-by").json() == [{"id": group["id"], "used_by": refused.json()["used_by"]}]
    assert admin.client.delete(f"/api/ivr-menus/{menu['id']}").status_code == 204
    assert admin.client.delete(f"/api/page-groups/{group['id']}").status_code == 204


def test_another_company_neither_sees_nor_uses_nor_pages_the_group(fs, admin, other_admin):
    anna = admin.user()
    group = admin.create("/api/page-groups", name="Floor", extension="600", members=[{"type": "user", "id": anna["id"]}])
    assert other_admin.client.get("/api/page-groups").json() == []
    for method, path in (("get", f"/api/page-groups/{group['id']}"), ("patch", f"/api/page-groups/{group['id']}"),
                         ("delete", f"/api/page-groups/{group['id']}")):
        kwargs = {"json": {"name": "Mine"}} if method == "patch" else {}
        assert getattr(other_admin.client, method)(path, **kwargs).status_code == 404, (method, path)
    # another company's user is no member, nor is its group a destination
    bram = other_admin.user()
    assert pointers(admin.client.patch(f"/api/page-groups/{group['id']}", json={"members": [{"type": "user", "id": bram["id"]}]})) == \
        ["/members/0/id"]
    menu = other_admin.client.post("/api/ivr-menus", json={"name": "M", "keys": {"1": {"action": "forward", "destination": {
        "type": "page_group", "id": group["id"]}}}})
    assert menu.status_code == 422, menu.text
    # its own 600 is its own; its dialplan pages none of Acme's phones
    assert other_admin.client.post("/api/page-groups", json={"name": "Ours", "extension": "600", "members": [
        {"type": "user", "id": bram["id"]}]}).status_code == 201
    theirs = fs.dialplan(other_admin.tenant.sip_domain, "600")
    assert "acme.pbx.test" not in "".join(a.get("data") or "" for a in theirs.iter("anti-action"))


def test_the_dialplan_pages_each_phone_with_its_brands_header(fs, admin):
    anna = admin.user("201", "Anna")
    yealink = device(admin, "Anna's desk", "yealink", "T46U", anna["id"])
    polycom = device(admin, "Anna's other", "polycom", "VVX 350", anna["id"])
    snom = device(admin, "Lobby", "snom", "D715")
    admin.create("/api/page-groups", name="Floor", extension="600", members=[
        {"type": "user", "id": anna["id"]}, {"type": "device", "id": snom["id"]}])
    context = fs.dialplan(admin.tenant.sip_domain, "600")
    page = next(e for e in context.iter("extension") if e.get("name") == "page_600")
    legs = {c.get("expression"): c.find("anti-action").get("data") for c in page.findall("condition")
            if c.get("field") == "${user_name}"}
    domain = admin.tenant.sip_domain
    assert legs == {
        f"^({yealink['sip_username']})$":
            f"[sip_h_Call-Info=<sip:{domain}>;answer-after=0,outcall_flags=mute]user/{yealink['sip_username']}@{domain}",
        f"^({polycom['sip_username']})$":
            f"[sip_h_Call-Info=<sip:{domain}>;answer-after=0,sip_h_Alert-Info=<http://www.notused.com>;info=alert-autoanswer;"
            f"delay=0,outcall_flags=mute]user/{polycom['sip_username']}@{domain}",
        f"^({snom['sip_username']})$":
            f"[sip_h_Call-Info=<sip:{domain}>;answer-after=0,sip_h_Alert-Info=<http://www.notused.com>;info=alert-autoanswer;"
            f"delay=0,outcall_flags=mute]user/{snom['sip_username']}@{domain}",
    }
    # the intercom code (*80, made with the company's feature codes) rings Anna's phones with the same
    # headers, both ways
    assert {c["function"]: c["code"] for c in admin.client.get("/api/feature-codes").json()}["intercom"] == "*80"
    intercom = next(e for e in fs.dialplan(domain, "*80201").iter("extension") if e.get("name") == "feature_intercom_201")
    (bridge,) = [a.get("data") for a in intercom.iter("action") if a.get("application") == "bridge"]
    assert bridge == (f"[sip_h_Call-Info=<sip:{domain}>;answer-after=0]user/{yealink['sip_username']}@{domain},"
                      f"[sip_h_Call-Info=<sip:{domain}>;answer-after=0,sip_h_Alert-Info=<http://www.notused.com>;"
                      f"info=alert-autoanswer;delay=0]user/{polycom['sip_username']}@{domain}")
    # a user on do not disturb is not paged (a change FreeSWITCH fetches again)
    assert admin.client.patch(f"/api/users/{anna['id']}", json={"dnd": True}).status_code == 200
    context = fs.dialplan(domain, "600")
    page = next(e for e in context.iter("extension") if e.get("name") == "page_600")
    assert [c.get("expression") for c in page.findall("condition") if c.get("field") == "${user_name}"] == [f"^({snom['sip_username']})$"]
