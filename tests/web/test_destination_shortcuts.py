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
