"""Ring groups, queues and IVR menus: their own rules on top of the shared resource behaviour."""

from __future__ import annotations

import pytest

from tests.web.pbx import admin, other_admin  # noqa: F401
from web.models.queue import QueueStrategy
from typing import get_args


@pytest.mark.parametrize("strategy", ["simultaneous", "fixed_order", "circular", "uniform", "memory_hunt"])
def test_ring_group_strategies(admin, strategy):
    anna = admin.user("201")
    group = admin.create("/api/ring-groups", name="Sales", display_name="Sales team", extension="300", strategy=strategy,
                         members=[{"type": "user", "id": anna["id"], "ring_time_s": 15}, {"type": "external", "number": "+31 6 1234 5678"}],
                         total_timeout_s=45, busy_members="busy_tone", forward_after={"type": "user", "id": anna["id"]})
    assert group["strategy"] == strategy and group["members"][1]["number"] == "+31612345678"


def test_ring_group_validation(admin):
    anna = admin.user("201")
    twice = admin.client.post("/api/ring-groups", json={"name": "Sales", "members": [{"type": "user", "id": anna["id"]}] * 2})
    assert twice.status_code == 422 and twice.json()["errors"][0]["pointer"] == "/members/1"
    bad = admin.client.post("/api/ring-groups", json={"name": "Sales", "strategy": "random", "member_ring_time_s": 1,
                                                      "members": [{"type": "external"}]})
    assert {e["pointer"] for e in bad.json()["errors"]} == {"/strategy", "/member_ring_time_s", "/members/0"}
    device = admin.client.post("/api/ring-groups", json={"name": "Sales", "members": [{"type": "device", "id": 4242}]})
    assert device.status_code == 422 and device.json()["errors"][0]["pointer"] == "/members/0/id"


def test_queue_strategies_are_mod_callcenters_names(admin):
    for strategy in get_args(QueueStrategy):
        admin.create("/api/queues", name=f"Q {strategy}", strategy=strategy)
    assert len(get_args(QueueStrategy)) == 9
    refused = admin.client.post("/api/queues", json={"name": "Q", "strategy": "round_robin"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/strategy"


def test_queue_tiers_and_settings(admin):
    anna, bob = admin.user("201"), admin.user("202", first_name="Bob")
    queue = admin.create("/api/queues", name="Support", extension="400", strategy="top-down", max_wait_s=120,
                         announce_position=True, tiers=[{"user_id": anna["id"], "level": 1, "position": 1},
                                                        {"user_id": bob["id"], "level": 2, "position": 1}])
    assert [t["level"] for t in queue["tiers"]] == [1, 2]
    twice = admin.client.patch(f"/api/queues/{queue['id']}", json={"tiers": [{"user_id": anna["id"]}, {"user_id": anna["id"]}]})
    assert twice.status_code == 422 and twice.json()["errors"][0]["pointer"] == "/tiers/1/user_id"
    admin.client.patch(f"/api/users/{bob['id']}", json={"agent": {"wrap_up_time_s": 30, "max_no_answer": 2}})
    assert admin.client.get(f"/api/users/{bob['id']}").json()["agent"]["wrap_up_time_s"] == 30


def test_queue_after_wait_destination(admin, other_admin):
    """Where a call to the queue itself goes after the longest wait (#13 item 3): a destination as
    elsewhere, checked against the company, refusing the queue itself, and keeping its target in use."""
    anna = admin.user("201")
    queue = admin.create("/api/queues", name="Support", extension="400")
    assert queue["after_wait"] is None
    box = admin.create("/api/voicemail-boxes", name="Support box", extension="999", pin="2468")
    changed = admin.client.patch(f"/api/queues/{queue['id']}", json={"after_wait": {"type": "voicemail_box", "id": box["id"]}})
    assert changed.status_code == 200 and changed.json()["after_wait"] == {"type": "voicemail_box", "id": box["id"], "number": None}
    assert admin.client.get(f"/api/queues/{queue['id']}").json()["after_wait"]["id"] == box["id"]
    # a used box cannot be deleted: the refusal lists the queue and the field
    refused = admin.client.delete(f"/api/voicemail-boxes/{box['id']}")
    assert refused.status_code == 409 and refused.json()["used_by"] == [
        {"kind": "queue", "id": queue["id"], "name": "Support", "where": "/after_wait"}]
    # another company's object, a missing one, a bad shape and the queue itself: 422 naming the field
    theirs = other_admin.create("/api/voicemail-boxes", name="Theirs", extension="998", pin="2468")
    for bad in ({"type": "voicemail_box", "id": theirs["id"]}, {"type": "user", "id": 99999},
                {"type": "queue", "id": queue["id"]}, {"type": "extension", "number": "400"},
                {"type": "extension", "number": "777"}):
        answer = admin.client.patch(f"/api/queues/{queue['id']}", json={"after_wait": bad})
        assert answer.status_code == 422, bad
        assert answer.json()["errors"][0]["pointer"].startswith("/after_wait"), bad
    shape = admin.client.post("/api/queues", json={"name": "Q2", "after_wait": {"type": "user"}})
    assert shape.status_code == 422 and shape.json()["errors"][0]["pointer"].startswith("/after_wait")
    made = admin.create("/api/queues", name="Q3", after_wait={"type": "user", "id": anna["id"]})
    assert made["after_wait"]["type"] == "user"
    # cleared: the box is free again
    assert admin.client.patch(f"/api/queues/{queue['id']}", json={"after_wait": None}).json()["after_wait"] is None
    assert admin.client.delete(f"/api/voicemail-boxes/{box['id']}").status_code in (200, 204)


def test_ivr_menu_with_keys_reception_and_after_hours(admin):
    anna = admin.user("201")
    queue = admin.create("/api/queues", name="Support", extension="400")
    menu = admin.create("/api/ivr-menus", name="Main", extension="555", dial_by_name_order="first_last", keys={
        "0": {"action": "repeat"},
        "1": {"action": "forward", "destination": {"type": "queue", "id": queue["id"]}, "description": "support"},
        "2": {"action": "forward_announced", "destination": {"type": "user", "id": anna["id"]}},
        "8": {"action": "dial_by_name"}, "9": {"action": "dial_by_extension"}, "#": {"action": "hang_up"},
        "*": {"action": "reception"},
    }, reception={"type": "extension", "number": "201"})
    assert set(menu["keys"]) == {"0", "1", "2", "8", "9", "#", "*"}
    missing = admin.client.post("/api/ivr-menus", json={"name": "X", "keys": {"1": {"action": "forward"}}})
    # the refusal names the missing part, with a code of its own the portal says in the admin's language
    assert missing.status_code == 422 and missing.json()["errors"][0]["pointer"] == "/keys/1/destination"
    assert missing.json()["errors"][0]["code"] == "destination_required"
    silent = admin.client.post("/api/ivr-menus", json={"name": "X", "keys": {"4": {"action": "play_message"}}})
    assert silent.status_code == 422 and [(e["pointer"], e["code"]) for e in silent.json()["errors"]] == [("/keys/4/audio_id", "audio_required")]
    no_audio = admin.client.post("/api/ivr-menus", json={"name": "X", "keys": {"3": {"action": "play_message", "audio_id": 999}}})
    assert no_audio.status_code == 422 and no_audio.json()["errors"][0]["pointer"] == "/keys/3/audio_id"
    no_schedule = admin.client.patch(f"/api/ivr-menus/{menu['id']}", json={"after_hours": {"schedule_id": 999, "keys": {}}})
    assert no_schedule.status_code == 422 and no_schedule.json()["errors"][0]["pointer"] == "/after_hours/schedule_id"
    refused = admin.client.delete(f"/api/queues/{queue['id']}")
    assert refused.status_code == 409 and refused.json()["used_by"] == [
        {"kind": "ivr_menu", "id": menu["id"], "name": "Main", "where": "/keys/1/destination"}]


def test_the_simulator_takes_the_out_of_hours_keys_and_dials_by_name(admin):
    """#16 item 1 through the portal's simulator: out of hours (a Saturday; the company's zone) the menu's
    variant applies, and its dial-by-name key finds a colleague by the keys of the first name, pressed one
    by one and ended by #, then chosen with 1."""
    admin.user("201", "Anna", last_name="de Vries")
    admin.user("202", "Carla", last_name="Bakker")
    week = admin.create("/api/schedules", name="Weekdays", periods=[
        {"from_day": day, "from_time": "08:00", "to_day": day, "to_time": "18:00"} for day in ("mon", "tue", "wed", "thu", "fri")])
    menu = admin.create("/api/ivr-menus", name="Main", dial_by_name_order="first_last",
                        keys={"1": {"action": "reception"}}, reception={"type": "extension", "number": "201"},
                        after_hours={"schedule_id": week["id"], "keys": {"5": {"action": "dial_by_name"}}})
    plan = admin.create("/api/plans", name="Menu", numbers=["310"], steps=[{"id": "s1", "type": "ivr", "menu": menu["id"]}])

    def simulate(at: str, keys: list[str], answers=()) -> str:
        response = admin.client.post(f"/api/plans/{plan['id']}/simulate", json={"at": at, "keys": keys, "answers": list(answers)})
        assert response.status_code == 200, response.text
        return response.json()["outcome"]

    saturday, wednesday = "2026-03-07T11:00:00+01:00", "2026-03-04T11:00:00+01:00"
    assert simulate(saturday, ["5", "2", "2", "7", "#", "1"]) == "transferred:202"  # C-A-R: Carla
    assert simulate(saturday, ["1", "", ""]) == simulate(saturday, ["", "", ""])  # 1 is no key out of hours
    assert simulate(wednesday, ["1"], answers=["s1"]) == "answered:s1"  # in hours: the normal keys (the reception)
    assert simulate(wednesday, ["5", "2", "2", "7", "#", "1"]) != "transferred:202"


def test_company_voicemail_box_and_personal_box_rules(admin):
    box = admin.create("/api/voicemail-boxes", name="Company voicemail", extension="999", pin="4321", email="info@acme.test",
                       copy_email="boss@acme.test", max_message_s=120)
    assert box["kind"] == "company" and "pin" not in box
    weak = admin.client.post("/api/voicemail-boxes", json={"name": "X", "extension": "998", "pin": "12"})
    assert weak.status_code == 422 and weak.json()["errors"][0]["pointer"] == "/pin"
    user = admin.user("201")
    personal = admin.client.delete(f"/api/voicemail-boxes/{user['voicemail_box_id']}")
    assert personal.status_code == 409 and personal.json()["code"] == "personal_box"
    no_ext = admin.client.patch(f"/api/voicemail-boxes/{user['voicemail_box_id']}", json={"extension": "997"})
    assert no_ext.status_code == 422 and no_ext.json()["errors"][0]["pointer"] == "/extension"
    assert admin.client.patch(f"/api/voicemail-boxes/{user['voicemail_box_id']}", json={"pin": "808080"}).status_code == 200
    # only a company box announces by its own setting; a personal box by its user's voicemail setting
    assert admin.client.patch(f"/api/voicemail-boxes/{box['id']}", json={"announce_only": True}).json()["announce_only"] is True
    announcing = admin.client.patch(f"/api/voicemail-boxes/{user['voicemail_box_id']}", json={"announce_only": True})
    assert announcing.status_code == 422 and announcing.json()["errors"][0]["pointer"] == "/announce_only"
    assert admin.client.delete(f"/api/voicemail-boxes/{box['id']}").status_code == 204


def test_feature_codes_have_defaults_and_can_change(admin):
    codes = {c["function"]: c for c in admin.client.get("/api/feature-codes").json()}
    assert codes["voicemail"]["code"] == "*97" and codes["pickup"]["code"] == "*98"
    changed = admin.client.patch(f"/api/feature-codes/{codes['pickup']['id']}", json={"code": "*8"})
    assert changed.json()["code"] == "*8"
    assert admin.client.patch(f"/api/feature-codes/{codes['voicemail']['id']}", json={"code": "*98"}).status_code == 200
    bad = admin.client.patch(f"/api/feature-codes/{codes['dnd_toggle']['id']}", json={"code": "78"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "/code"
    assert len(admin.client.get("/api/feature-codes").json()) == len(codes)  # listing twice adds nothing


def test_company_settings(admin):
    company = admin.client.get("/api/company").json()
    assert company["company_name"] == "Acme" and company["night_mode"] == "off" and company["block_premium"] is True
    group = admin.create("/api/ring-groups", name="Night", extension="390")
    admin.number("+31201234567")
    changed = admin.client.patch("/api/company", json={
        "company_name": "Acme BV", "company_number": "+31 20 123 4567", "night_mode": "on",
        "night_destination": {"type": "ring_group", "id": group["id"]}, "block_international": True,
        "release_pin": "2468", "number_display": "personal"}).json()
    assert changed["company_number"] == "+31201234567" and changed["release_pin_set"] is True
    assert "release_pin" not in changed and admin.client.get("/api/tenant").json()["name"] == "Acme BV"
    refused = admin.client.delete(f"/api/ring-groups/{group['id']}")
    assert refused.status_code == 409 and refused.json()["used_by"][0]["kind"] == "company_settings"
    bad = admin.client.patch("/api/company", json={"release_pin": "12ab", "night_mode": "sometimes", "night_schedule_id": 9})
    assert {e["pointer"] for e in bad.json()["errors"]} == {"/release_pin", "/night_mode"}
    dangling = admin.client.patch("/api/company", json={"night_schedule_id": 999})
    assert dangling.status_code == 422 and dangling.json()["errors"][0]["pointer"] == "/night_schedule_id"


def test_departments(admin):
    admin.operator.assign(admin.tenant.id, "+31201234500", "+31201234599")
    department = admin.create("/api/departments", name="Sales", caller_id_number="+31 20 123 4500")
    assert department["caller_id_number"] == "+31201234500"
    user = admin.user("201", department_id=department["id"], caller_id_mode="department")
    refused = admin.client.delete(f"/api/departments/{department['id']}")
    assert refused.status_code == 409 and refused.json()["used_by"][0] == {
        "kind": "user", "id": user["id"], "name": "Anna", "where": "/department_id"}


def test_fallback_routing_setting_writes_freeswitchs_static_dialplan(admin, settings):
    from pathlib import Path

    admin.number("+31205550170")
    box = admin.create("/api/voicemail-boxes", name="Company", extension="999", pin="1999")
    own = admin.client.patch("/api/company", json={"fallback": {"destination": {"type": "external", "number": "+31205550170"}}})
    assert own.status_code == 422 and own.json()["errors"][0]["pointer"] == "/fallback/destination/number"
    external = admin.client.patch("/api/company", json={"fallback": {"destination": {"type": "external", "number": "+31612345678"}}})
    assert external.status_code == 200 and external.json()["fallback"]["destination"]["number"] == "+31612345678"
    written = Path(settings.fallback_dialplan).read_text()
    assert "+31612345678" in written and "31205550170" in written  # the company's number routes to it
    announce = admin.client.patch("/api/company", json={"fallback": {"destination": {
        "type": "announcement", "voicemail_box_id": box["id"]}}})
    assert announce.status_code == 200
    refused = admin.client.delete(f"/api/voicemail-boxes/{box['id']}")
    assert refused.status_code == 409 and refused.json()["used_by"][0]["where"] == "/fallback/destination/voicemail_box_id"
    dangling = admin.client.patch("/api/company", json={"fallback": {"destination": {"type": "announcement", "audio_id": 999}}})
    assert dangling.status_code == 422 and dangling.json()["errors"][0]["pointer"] == "/fallback/destination/audio_id"
