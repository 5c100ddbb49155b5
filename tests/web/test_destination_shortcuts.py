"""Destination shortcuts (#18 leftovers): "park" (the company's parking lot: the call waits in the first free
slot) and "fax to mail" (the call is received as a fax and mailed to a user's address) as the destination of
a number, a user's forwarding, an IVR key, ...: what FreeSWITCH is served for each (POST /freeswitch/xml),
the shapes refused naming the field, another company's user refused, the user kept while a fax destination
names them (used_by), and the numbers directory saying what a number reaches. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.conftest import fast_settings
from tests.web.pbx import admin, other_admin  # noqa: F401  (fixtures)
from tests.web.test_xml_curl import PASSWORD, _fresh_cache, fs  # noqa: F401  (fixtures: the switch's side)


@pytest.fixture
def settings(database_url, tmp_path):
    return fast_settings(database_url, audio_dir=str(tmp_path / "audio"), xml_curl_password=PASSWORD, bridge_feed_port=0)


def actions(root, name: str) -> list[tuple[str, str]]:
    condition = root.find(f".//extension[@name='{name}']/condition")
    assert condition is not None, name
    return [(a.get("application"), a.get("data")) for a in condition.iter("action")]


def reaches(admin, number: str) -> dict:
    return next(row for row in admin.client.get("/api/numbers/directory").json() if row["number"] == number)["reaches"]


def test_a_number_to_the_parking_lot_parks_its_calls_while_parking_is_on(fs, admin):
    domain = admin.tenant.sip_domain
    admin.number("+31201110003", destination={"type": "park"})
    # parking off: there is no lot, and the number is not in use
    assert actions(fs.dialplan(domain, ""), "number_31201110003") == [("hangup", "UNALLOCATED_NUMBER")]
    on = admin.client.patch("/api/parking", json={"enabled": True, "first_slot": "701", "last_slot": "703",
                                                  "return_after_s": 45})
    assert on.status_code == 200, on.text
    assert actions(fs.dialplan(domain, ""), "number_31201110003") == [
        ("answer", ""), ("set", "cp_parked_at=${strepoch()}"),
        ("set", "valet_announce_slot=false"),  # the slot is for the staff, not the caller
        ("set", "valet_parking_timeout=45"),
        ("valet_park", f"t{admin.tenant.id}-park auto in 701 703"),
        ("hangup", "NORMAL_CLEARING")]  # nobody parked it: when its time is up it ends
    assert reaches(admin, "+31201110003") == {"kind": "park", "id": None, "number": None, "name": ""}


def test_an_ivr_key_and_a_groups_forward_after_waiting_park_the_call(fs, admin):
    domain = admin.tenant.sip_domain
    assert admin.client.patch("/api/parking", json={"enabled": True}).status_code == 200
    park = ("valet_park", f"t{admin.tenant.id}-park auto in 701 709")
    anna = admin.user("201", "Anna")
    admin.create("/api/ivr-menus", name="Reception", extension="500",
                 keys={"1": {"action": "forward", "destination": {"type": "park"}}})
    menu = fs.dialplan(domain, "")
    assert [name for name in _names(menu) if park in actions(menu, name)], _names(menu)
    group = admin.create("/api/ring-groups", name="Sales", extension="300", members=[{"type": "user", "id": anna["id"]}],
                         forward_after={"type": "park"})
    assert group["forward_after"] == {"type": "park", "id": None, "number": None}
    sales = fs.dialplan(domain, "")
    assert [name for name in _names(sales) if park in actions(sales, name)], _names(sales)


def _names(root) -> list[str]:
    return [e.get("name") for e in root.iter("extension") if e.find("condition") is not None]


def test_a_users_forwarding_and_a_number_to_fax_to_mail(fs, admin):
    domain = admin.tenant.sip_domain
    anna = admin.user("201", "Anna", email="anna@acme.test")
    changed = admin.client.patch(f"/api/users/{anna['id']}", json={
        "forwarding": {"unregistered": {"enabled": True, "to": {"type": "fax", "id": anna["id"]}}}})
    assert changed.status_code == 200, changed.text
    admin.number("+31201110004", destination={"type": "fax", "id": anna["id"]})
    fax_steps = [("set", f"cp_fax=rxu:{anna['id']}"), ("set", "cp_fax_file=rx-${uuid}.tif"),
                 ("set", "fax_ident=${destination_number}"), ("set", "fax_enable_t38=true"),
                 ("set", "fax_enable_t38_request=false"), ("set", "absolute_codec_string=PCMU,PCMA"), ("answer", ""),
                 ("playback", "silence_stream://1000"), ("rxfax", "${callplan_fax_dir}/${cp_fax_file}"),
                 ("hangup", "NORMAL_CLEARING")]
    root = fs.dialplan(domain, "")
    assert actions(root, "number_31201110004") == fax_steps
    # Anna's own extension: when her phone is not registered the call is received as a fax for her
    holding = [name for name in _names(root) if not name.startswith("number_")
               and ("set", f"cp_fax=rxu:{anna['id']}") in actions(root, name)]
    assert holding and all(name.startswith("user_201") for name in holding), holding
    steps = actions(root, holding[0])
    at = steps.index(fax_steps[0])
    assert steps[at:at + len(fax_steps)] == fax_steps
    assert reaches(admin, "+31201110004") == {"kind": "fax", "id": anna["id"], "number": None, "name": "Anna"}
    # the user the faxes go to is kept while something sends faxes to them
    refused = admin.client.delete(f"/api/users/{anna['id']}")
    assert refused.status_code == 409 and refused.json()["code"] == "in_use"
    assert {use["where"] for use in refused.json()["used_by"]} >= {"/destination"}


@pytest.mark.parametrize("destination, pointer", [
    ({"type": "fax"}, "/destination"),
    ({"type": "fax", "number": "201"}, "/destination"),
    ({"type": "park", "id": 1}, "/destination"),
    ({"type": "park", "number": "701"}, "/destination"),
    ({"type": "fax", "id": 999999}, "/destination"),
])
def test_bad_shortcuts_are_refused_naming_the_field(admin, destination, pointer):
    number = admin.number("+31201110005")
    answer = admin.client.patch(f"/api/numbers/{number['id']}", json={"destination": destination})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["pointer"].startswith(pointer), answer.json()


def test_another_companys_user_is_no_fax_destination(admin, other_admin):
    theirs = other_admin.user("201", "Olga", email="olga@other.test")
    number = admin.number("+31201110006")
    answer = admin.client.patch(f"/api/numbers/{number['id']}", json={"destination": {"type": "fax", "id": theirs["id"]}})
    assert answer.status_code == 422 and answer.json()["errors"][0]["code"] == "unknown_reference", answer.text


def test_fax_to_email_needs_a_user_with_an_address(fs, admin):
    """Fax to e-mail for a user without an address would answer calls as a fax that reaches nobody (the
    company has no address of its own to fall back on): refused naming the chosen user's field, wherever
    the destination is set; with an address, or the login's, it is taken; and a user whose address faxes go
    to keeps one while they do."""
    domain = admin.tenant.sip_domain
    piet = admin.user("202", "Piet")  # no e-mail address, no login
    number = admin.number("+31201110007")
    fax = {"type": "fax", "id": piet["id"]}
    for method, path, body, pointer in (
        ("PATCH", f"/api/numbers/{number['id']}", {"destination": fax}, "/destination/id"),
        ("PATCH", f"/api/users/{piet['id']}", {"forwarding": {"busy": {"enabled": True, "to": fax}}}, "/forwarding/busy/to/id"),
        ("POST", "/api/ring-groups", {"name": "Sales", "extension": "300", "forward_after": fax}, "/forward_after/id"),
        ("POST", "/api/ivr-menus", {"name": "Menu", "extension": "500",
                                    "keys": {"1": {"action": "forward", "destination": fax}}}, "/keys/1/destination/id"),
        ("PATCH", "/api/company", {"night_destination": fax}, "/night_destination/id"),
    ):
        answer = admin.client.request(method, path, json=body)
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["code"] == "fax_user_without_email", answer.json()
        assert [e["pointer"] for e in answer.json()["errors"]] == [pointer]
    assert admin.client.get(f"/api/numbers/{number['id']}").json()["destination"] is None
    assert actions(fs.dialplan(domain, ""), "number_31201110007") == [("hangup", "UNALLOCATED_NUMBER")]
    assert admin.client.get("/api/ring-groups").json() == [] and admin.client.get("/api/ivr-menus").json() == []

    # given an address (in the same change as the forwarding to their own faxes, too): taken
    own = admin.client.patch(f"/api/users/{piet['id']}", json={
        "email": "piet@acme.test", "forwarding": {"busy": {"enabled": True, "to": fax}}})
    assert own.status_code == 200, own.text
    routed = admin.client.patch(f"/api/numbers/{number['id']}", json={"destination": fax})
    assert routed.status_code == 200, routed.text
    assert ("set", f"cp_fax=rxu:{piet['id']}") in actions(fs.dialplan(domain, ""), "number_31201110007")
    # the address faxes go to stays while they do: refused, with what sends faxes there
    cleared = admin.client.patch(f"/api/users/{piet['id']}", json={"email": None})
    assert cleared.status_code == 409, cleared.text
    body = cleared.json()
    assert body["code"] == "email_used_for_faxes" and [e["pointer"] for e in body["errors"]] == ["/email"]
    assert [(use["kind"], use["id"], use["where"]) for use in body["used_by"]] == [("phone_number", number["id"], "/destination")]
    assert admin.client.get(f"/api/users/{piet['id']}").json()["email"] == "piet@acme.test"
    # with a login the faxes go to the login's address: the user's own may go
    account = admin.client.post(f"/api/users/{piet['id']}/portal-account", json={"role": "user", "send_welcome": False})
    assert account.status_code == 201, account.text
    assert admin.client.patch(f"/api/users/{piet['id']}", json={"email": None}).status_code == 200
    assert admin.client.get(f"/api/users/{piet['id']}").json()["email"] is None
    anna = admin.user("201", "Anna")
    number2 = admin.number("+31201110008")
    assert admin.client.patch(f"/api/numbers/{number2['id']}", json={"destination": fax}).status_code == 200
    assert admin.client.patch(f"/api/numbers/{number2['id']}", json={"destination": {"type": "fax", "id": anna["id"]}}).status_code == 422


def test_my_phone_forwards_to_the_parking_lot_and_to_my_own_faxes(fs, admin):
    """My phone offers the parking lot and fax to e-mail too (only to one's own address): what FreeSWITCH
    is served for a call to the user follows; another user's faxes, and faxes while the user has no
    address (the login's counts), are refused naming the field."""
    from starlette.testclient import TestClient

    from tests.web.helpers import make_account, make_token

    domain = admin.tenant.sip_domain
    assert admin.client.patch("/api/parking", json={"enabled": True, "first_slot": "701", "last_slot": "703"}).status_code == 200
    colleague = admin.user("202", "Bram", email="bram@acme.test")
    piet = admin.user("203", "Piet")  # no address of his own
    account = make_account(admin.db, admin.settings, admin.tenant.id, "piet-login@acme.test", role="user")
    me = TestClient(admin.app, headers={"authorization": f"Bearer {make_token(admin.db, account)}"})
    current = me.get("/api/me")
    assert current.status_code == 409  # no phone of his own yet
    assert admin.client.patch(f"/api/users/{piet['id']}", json={"account_id": account.id}).status_code == 200
    current = me.get("/api/me").json()
    assert current["fax_address"] == "piet-login@acme.test"  # his login's address gets his faxes

    forwarding = {**current["forwarding"],
                  "busy": {"enabled": True, "to": {"type": "park"}},
                  "unregistered": {"enabled": True, "to": {"type": "fax", "id": piet["id"]}}}
    saved = me.patch("/api/me", json={"forwarding": forwarding})
    assert saved.status_code == 200, saved.text
    stored = admin.client.get(f"/api/users/{piet['id']}").json()["forwarding"]
    assert stored["busy"]["to"] == {"type": "park", "id": None, "number": None}
    assert stored["unregistered"]["to"] == {"type": "fax", "id": piet["id"], "number": None}
    root = fs.dialplan(domain, "")
    his = [name for name in _names(root) if name.startswith("user_203")]
    served = [action for name in his for action in actions(root, name)]
    assert ("valet_park", f"t{admin.tenant.id}-park auto in 701 703") in served, his
    assert ("set", f"cp_fax=rxu:{piet['id']}") in served, his

    refused = me.patch("/api/me", json={"forwarding": {**forwarding, "always": {"enabled": True, "to": {"type": "fax", "id": colleague["id"]}}}})
    assert refused.status_code == 422 and pointers(refused) == ["/forwarding/always/to/id"], refused.text
    # without his login (and no address of his own) his faxes could not be mailed: the forwarding says so
    assert admin.client.patch(f"/api/users/{piet['id']}", json={"forwarding": {**stored, "unregistered": {"enabled": False, "to": None}}}).status_code == 200
    bare = admin.user("204", "Joost")
    assert admin.client.patch(f"/api/users/{bare['id']}", json={"forwarding": {
        "unregistered": {"enabled": True, "to": {"type": "fax", "id": bare["id"]}}}}).json()["errors"][0]["pointer"] == \
        "/forwarding/unregistered/to/id"


def pointers(answer) -> list[str]:
    return [error["pointer"] for error in answer.json().get("errors", [])]
