"""Call plans through the API (on SQLite and PostgreSQL): drafts, validation, simulation, publishing,
versions, diff, rollback, clone, export/import, deletion refusals, diversions, numbers, the XML preview,
the snapshot the engine gets, and tenant isolation."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest
from sqlalchemy import event
from sqlmodel import select

from tests.web.factories_audio import make_audio_file
from tests.web.pbx import Admin, admin, other_admin  # noqa: F401  (fixtures)
from callplan.diff import document_diff
from web.domain.callplan_snapshot import snapshot
from web.models.call_plan import CallPlanRecord, CallPlanVersion
from web.models.internal_number import InternalNumber

# Tuesday 10 March 2026 in Amsterdam (CET, +01:00): office hours, lunch, evening; Christmas Day.
OPEN = "2026-03-10T10:00:00+01:00"
LUNCH = "2026-03-10T12:30:00+01:00"
CLOSED = "2026-03-10T20:00:00+01:00"
HOLIDAY = "2026-12-25T10:00:00+01:00"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
MAIN = "+31201234567"


@dataclass
class World:
    """One company's objects, made through the API, for plans to point at."""

    anna: int
    bram: int
    box: int  # the company voicemail box, extension 999
    group: int
    queue: int
    menu: int
    office: int
    lunch: int
    holidays: int
    audio: int
    did: int  # MAIN, routed nowhere yet
    room: int = 0  # a conference room, extension 800


@pytest.fixture
def world(admin, db, settings) -> World:
    anna, bram = admin.user("201", "Anna")["id"], admin.user("202", "Bram")["id"]
    group = admin.create("/api/ring-groups", name="Backoffice", extension="300", members=[{"type": "user", "id": bram}])
    return World(
        anna=anna, bram=bram,
        box=admin.create("/api/voicemail-boxes", name="Company", extension="999", pin="1234")["id"],
        group=group["id"],
        queue=admin.create("/api/queues", name="Support", extension="400", max_wait_s=300,
                           tiers=[{"user_id": anna}])["id"],
        menu=admin.create("/api/ivr-menus", name="Lunch menu", extension="500", keys={
            "1": {"action": "forward", "destination": {"type": "ring_group", "id": group["id"]}}})["id"],
        office=admin.create("/api/schedules", name="Office hours", periods=[
            {"from_day": d, "from_time": "08:30", "to_day": d, "to_time": "17:30"} for d in WEEKDAYS])["id"],
        lunch=admin.create("/api/schedules", name="Lunch", periods=[
            {"from_day": d, "from_time": "12:00", "to_day": d, "to_time": "13:00"} for d in WEEKDAYS])["id"],
        holidays=admin.create("/api/holiday-schedules", name="Holidays", entries=[
            {"start_date": "2026-12-25", "end_date": "2026-12-26", "yearly": True}])["id"],
        audio=make_audio_file(db, settings, admin.tenant.id, name="Closed"),
        did=admin.number(MAIN)["id"],
    )


def spec_plan(w: World, name="Reception", numbers=(MAIN, "200")) -> dict:
    """shared/spec/callplan.md's example with this company's ids."""
    return {
        "name": name,
        "numbers": list(numbers),
        "diversions": [{"id": "d1", "name": "Everything to the duty mobile", "category": "A", "active": False,
                        "steps": [{"id": "s9", "type": "transfer", "to": {"external": "+32467890123"}}]}],
        "steps": [
            {"id": "s1", "type": "time_condition", "schedule": w.office, "holidays": w.holidays, "then": [
                {"id": "s2", "type": "queue", "queue": w.queue, "max_wait_s": 120},
                {"id": "s3", "type": "prefix", "text": "MISSED-Q "},
                {"id": "s4", "type": "ring_group", "group": w.group},
            ]},
            {"id": "s5", "type": "time_condition", "schedule": w.lunch, "then": [{"id": "s6", "type": "ivr", "menu": w.menu}]},
            {"id": "s7", "type": "announcement", "audio": w.audio},
            {"id": "s8", "type": "email", "to": ["info@example.com"]},
            {"id": "s10", "type": "hang_up"},
        ],
    }


def ok(response, status=200) -> dict:
    assert response.status_code == status, response.text
    return response.json() if response.content else {}


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code, body
    return body


def pointers(body: dict) -> list[str]:
    return [error["pointer"] for error in body.get("errors", [])]


def publish(admin: Admin, plan_id: int, **body) -> dict:
    return ok(admin.client.post(f"/api/plans/{plan_id}/publish", json=body))


def simulate(admin: Admin, plan_id: int, **body) -> dict:
    return ok(admin.client.post(f"/api/plans/{plan_id}/simulate", json=body))


def actions(xml_text: str) -> list[tuple[str, str]]:
    root = ET.fromstring(xml_text)
    return [(a.get("application"), a.get("data")) for a in root.iter("action")]


# --- the spec's example, end to end ------------------------------------------------------------


def test_the_spec_example_plan_from_draft_to_published(admin, world):
    created = admin.create("/api/plans", **spec_plan(world))
    plan_id = created["id"]
    assert created["state"] == "draft" and created["errors"] == [] and created["published_version"] is None
    assert created["draft_updated_by"] == admin.account.id and created["draft_updated_by_email"] == "boss@acme.test"
    assert created["document"]["steps"][0]["else"] == []  # stored whole, defaults included
    assert ok(admin.client.post(f"/api/plans/{plan_id}/validate"))["ok"] is True

    # office hours, nobody answers: queue, prefix, backoffice, then the rest of the plan
    walk = simulate(admin, plan_id, at=OPEN, caller="Jan")
    assert walk["steps"] == ["s1", "s2", "s3", "s4", "s5", "s7", "s8", "s10"]
    assert walk["outcome"] == "hung_up:NORMAL_CLEARING" and walk["caller_name"] == "MISSED-Q Jan"
    assert walk["entered"] == "plan" and walk["version"] == 0
    assert simulate(admin, plan_id, at=OPEN, answers=["s2"])["steps"] == ["s1", "s2"]
    assert simulate(admin, plan_id, at=OPEN, answers=["s2"])["outcome"] == "answered:s2"
    # lunch: the IVR takes the call; key 1 sends it to the ring group's extension
    lunch = simulate(admin, plan_id, at=LUNCH, keys=["1"])
    assert lunch["steps"] == ["s1", "s2", "s3", "s4", "s5", "s6"] and lunch["outcome"] == "transferred:300"
    # closed and on holidays: straight to the announcement
    assert simulate(admin, plan_id, at=CLOSED)["steps"] == ["s1", "s5", "s7", "s8", "s10"]
    assert simulate(admin, plan_id, at=HOLIDAY)["steps"] == ["s1", "s5", "s7", "s8", "s10"]
    # the published version does not exist yet
    problem(admin.client.post(f"/api/plans/{plan_id}/simulate", json={"version": "published"}), 409, "plan_not_published")

    published = publish(admin, plan_id, note="first")
    assert published["version"]["version"] == 1 and published["version"]["note"] == "first"
    assert published["version"]["published_by"] == admin.account.id
    assert published["plan"]["state"] == "published" and published["plan"]["numbers"] == [MAIN, "200"]
    (listed,) = ok(admin.client.get("/api/plans"))
    assert listed["state"] == "published" and listed["published_version"] == 1 and listed["numbers"] == [MAIN, "200"]

    # the XML FreeSWITCH would get: the numbers reach the entry, every step that runs is marked
    response = admin.client.get(f"/api/plans/{plan_id}/xml", params={"version": "published", "at": OPEN})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.text)
    assert root.find("section/context").get("name") == "acme.pbx.test"
    entry = root.find("section/context/extension/condition")
    assert entry.get("expression") == rf"^(\+31201234567|200|cp{plan_id}_entry)$"
    data = [value for _, value in actions(response.text)]
    for step in ("s1", "s2", "s3", "s4", "s5", "s7", "s8", "s10"):
        assert f"cp_path={plan_id}:1:{step}" in data
    assert f"cp_path={plan_id}:1:s6" not in data  # lunch is over at 10:00
    assert response.headers["x-valid-until"].startswith("2026-03-10T")  # 12:00 local, when lunch starts
    # the draft is version 0 in the marks
    draft_xml = ok_text(admin.client.get(f"/api/plans/{plan_id}/xml", params={"at": LUNCH}))
    assert f"cp_path={plan_id}:0:s6" in draft_xml


def ok_text(response) -> str:
    assert response.status_code == 200, response.text
    return response.text


# --- one plan per step type -------------------------------------------------------------------------

VOICEMAIL = {"id": "v", "type": "voicemail"}
STEP_CASES = {
    # type: (steps(world), simulate body, expected steps, expected outcome)
    "time_condition": (lambda w: [{"id": "t", "type": "time_condition", "schedule": w.office, "holidays": w.holidays,
                                   "then": [{"id": "a", "type": "hang_up", "cause": "USER_BUSY"}],
                                   "else": [{"id": "b", "type": "hang_up"}]}],
                       {"at": HOLIDAY}, ["t", "b"], "hung_up:NORMAL_CLEARING"),
    "user": (lambda w: [{"id": "u", "type": "user", "user": w.anna, "timeout_s": 15}, {**VOICEMAIL, "box": w.box}],
             {"answers": ["u"]}, ["u"], "answered:u"),
    "ring_group": (lambda w: [{"id": "g", "type": "ring_group", "group": w.group}, {**VOICEMAIL, "box": w.box}],
                   {}, ["g", "v"], "voicemail:999"),
    "queue": (lambda w: [{"id": "q", "type": "queue", "queue": w.queue, "max_wait_s": 60}, {**VOICEMAIL, "box": w.box}],
              {"answers": ["q"]}, ["q"], "answered:q"),
    "transfer": (lambda w: [{"id": "x", "type": "transfer", "to": {"external": "+32467890123"}, "announce": True},
                            {**VOICEMAIL, "box": w.box}],
                 {}, ["x", "v"], "voicemail:999"),
    "ivr": (lambda w: [{"id": "i", "type": "ivr", "menu": w.menu,
                        "keys": {"2": [{"id": "k2", "type": "hang_up", "cause": "CALL_REJECTED"}]}}],
            {"keys": ["2"]}, ["i", "k2"], "hung_up:CALL_REJECTED"),
    "voicemail": (lambda w: [{"id": "v", "type": "voicemail", "box": w.box, "greeting": w.audio}],
                  {}, ["v"], "voicemail:999"),
    "announcement": (lambda w: [{"id": "a", "type": "announcement", "audio": w.audio}, {"id": "h", "type": "hang_up"}],
                     {}, ["a", "h"], "hung_up:NORMAL_CLEARING"),
    "email": (lambda w: [{"id": "e", "type": "email", "to": ["Ops@Acme.test"]}, {"id": "h", "type": "hang_up"}],
              {}, ["e", "h"], "hung_up:NORMAL_CLEARING"),
    "prefix": (lambda w: [{"id": "p", "type": "prefix", "text": "VIP <&> "}, {"id": "u", "type": "user", "user": w.anna},
                          {**VOICEMAIL, "box": w.box}],
               {"answers": ["u"], "caller": "Jan"}, ["p", "u"], "answered:u"),
    "hang_up": (lambda w: [{"id": "h", "type": "hang_up", "cause": "USER_BUSY"}], {}, ["h"], "hung_up:USER_BUSY"),
    "conference": (lambda w: [{"id": "c", "type": "conference", "room": w.room}], {}, ["c"],
                   lambda w: f"conference:{w.room}"),
    "receive_fax": (lambda w: [{"id": "f", "type": "receive_fax", "mail_to": ["Fax@Acme.test"], "station_id": "+31 20 1234"}],
                    {}, ["f"], "fax"),
    "record": (lambda w: [{"id": "r", "type": "record", "tell_caller": True}, {"id": "u", "type": "user", "user": w.anna},
                          {**VOICEMAIL, "box": w.box}],
               {"answers": ["u"]}, ["r", "u"], "answered:u"),
}


def test_every_step_type_has_a_case():
    from callplan.nodes import BY_TYPE

    assert set(STEP_CASES) == set(BY_TYPE)


@pytest.mark.parametrize("step_type", sorted(STEP_CASES))
def test_a_plan_of_each_step_type_validates_simulates_publishes_and_compiles(step_type, admin, world):
    make_steps, body, expected_steps, outcome = STEP_CASES[step_type]
    if step_type == "conference":
        world.room = admin.create("/api/conference-rooms", name="Board", extension="800")["id"]
    outcome = outcome(world) if callable(outcome) else outcome
    steps = make_steps(world)
    created = admin.create("/api/plans", name=f"Only {step_type}", numbers=["250"], steps=steps)
    assert created["errors"] == [], created["errors"]
    walk = simulate(admin, created["id"], **body)
    assert (walk["steps"], walk["outcome"]) == (expected_steps, outcome)
    if step_type == "prefix":
        assert walk["caller_name"] == "VIP <&> Jan"
    if step_type == "email":
        assert created["document"]["steps"][0]["to"] == ["ops@acme.test"]
    if step_type == "receive_fax":
        assert created["document"]["steps"][0]["mail_to"] == ["fax@acme.test"]
    if step_type == "record":  # the caller's leg records from here, into the company's folder of recordings
        assert created["document"]["steps"][0]["tell_caller"] is True
    assert publish(admin, created["id"])["version"]["version"] == 1
    assert simulate(admin, created["id"], version="published", **body)["steps"] == expected_steps
    xml = ok_text(admin.client.get(f"/api/plans/{created['id']}/xml", params={"version": "published", "at": body.get("at", OPEN)}))
    data = [value for _, value in actions(xml)]
    assert f"cp_path={created['id']}:1:{steps[0]['id']}" in data
    for step_id in expected_steps:
        assert f"cp_path={created['id']}:1:{step_id}" in data
    if step_type == "receive_fax":
        assert ("rxfax", "${callplan_fax_dir}/${cp_fax_file}") in actions(xml)
        assert f"cp_fax=rx:{created['id']}:1:f" in data and "fax_ident=+31 20 1234" in data
    if step_type == "record":
        assert f"${{callplan_recordings_dir}}/{admin.tenant.id}/${{uuid}}_step.wav" in data


# --- saving, validating, publishing -------------------------------------------------------------------


def test_saving_refuses_only_what_is_no_call_plan_with_pointers_into_the_document(admin, world):
    plan_id = admin.create("/api/plans", name="Draft")["id"]
    bad = spec_plan(world)
    bad["steps"][0]["then"][0]["max_wait_s"] = 5  # below the minimum
    bad["steps"][0]["then"][2]["colour"] = "red"  # no such field
    bad["steps"].insert(1, {"id": "u1", "type": "user", "user": "Anna"})  # a user step's `user` is an id
    bad["steps"].append({"id": "zz", "type": "teleport"})
    body = problem(admin.client.put(f"/api/plans/{plan_id}/draft", json=bad), 422, "invalid")
    assert sorted(pointers(body)) == sorted([
        "/steps/0/then/0/max_wait_s", "/steps/0/then/2/colour", "/steps/1/user", "/steps/6",
    ])
    assert {e["code"] for e in body["errors"] if e["pointer"] == "/steps/0/then/2/colour"} == {"unknown_field"}
    problem(admin.client.put(f"/api/plans/{plan_id}/draft", json={**spec_plan(world), "extra": 1}), 422, "invalid")
    problem(admin.client.put(f"/api/plans/{plan_id}/draft", content=b"[1]"), 422, "invalid")
    assert ok(admin.client.get(f"/api/plans/{plan_id}"))["document"]["steps"] == []  # nothing was saved

    # a CallPlan with problems is saved, and the problems come back with their steps and pointers
    broken = spec_plan(world)
    broken["steps"][0]["then"][0]["queue"] = 987654
    broken["steps"].append({"id": "s11", "type": "hang_up"})  # after a hang up: can never run
    saved = ok(admin.client.put(f"/api/plans/{plan_id}/draft", json=broken))
    found = {(e["code"], e["pointer"], e["step_id"]) for e in saved["errors"]}
    assert ("unknown_reference", "/steps/0/then/0/queue", "s2") in found
    assert ("unreachable", "/steps/5", "s11") in found
    assert saved["name"] == "Reception" and saved["document"]["steps"][0]["then"][0]["queue"] == 987654
    report = ok(admin.client.post(f"/api/plans/{plan_id}/validate"))
    assert report["ok"] is False and {e["code"] for e in report["errors"]} == {"unknown_reference", "unreachable"}

    # publishing refuses while errors remain, listing them; nothing is published
    refused = problem(admin.client.post(f"/api/plans/{plan_id}/publish"), 422, "plan_invalid")
    assert "/steps/0/then/0/queue" in pointers(refused)
    assert ok(admin.client.get(f"/api/plans/{plan_id}/versions")) == []
    assert not number_held(admin, "200")  # numbers are claimed only by a publish that succeeds


def number_held(admin: Admin, number: str) -> bool:
    """Is the internal number taken? Asked the way an admin would: by giving it to a new user."""
    response = admin.client.post("/api/users", json={"first_name": "Probe", "extension": number})
    if response.status_code == 201:
        ok(admin.client.delete(f"/api/users/{response.json()['id']}"), 204)
        return False
    problem(response, 409, "number_taken")
    return True


def test_changes_history_diff_and_rollback(admin, world):
    plan_id = admin.create("/api/plans", **spec_plan(world))["id"]
    v1 = publish(admin, plan_id)["version"]
    changed = spec_plan(world, name="Reception (winter)")
    then = changed["steps"][0]["then"]
    then[0]["max_wait_s"] = 90
    changed["steps"][0]["else"] = [then.pop(2)]  # the ring group moves to the "closed" branch
    changed["steps"].remove(changed["steps"][2])  # no announcement
    changed["steps"].insert(2, {"id": "s11", "type": "email", "to": ["boss@example.com"]})
    saved = ok(admin.client.put(f"/api/plans/{plan_id}/draft", json=changed))
    assert saved["state"] == "changed" and saved["published_version"] == 1

    diff = ok(admin.client.get(f"/api/plans/{plan_id}/diff"))
    assert (diff["from_version"], diff["to_version"]) == ("published", "draft")
    changes = diff["changes"]
    assert {"op": "replace", "path": "/name", "old": "Reception", "value": "Reception (winter)"} in changes
    assert {"op": "replace", "path": "/steps/0/then/0/max_wait_s", "old": 120, "value": 90} in changes
    assert {"op": "move", "from": "/steps/0/then/2", "path": "/steps/0/else/0"} in changes
    assert {"op": "remove", "path": "/steps/2", "old": spec_plan(world)["steps"][2] | {"label": ""}} in changes
    assert [c["op"] for c in changes if c["path"] == "/steps/2"] == ["remove", "add"]
    assert len(changes) == 5, changes  # nothing else: s5, s8, s10 only shifted
    assert ok(admin.client.get(f"/api/plans/{plan_id}/diff", params={"from": "draft", "to": "draft"}))["changes"] == []

    v2 = publish(admin, plan_id, note="winter")["version"]
    assert v2["version"] == 2
    history = ok(admin.client.get(f"/api/plans/{plan_id}/versions"))
    assert [(v["version"], v["note"]) for v in history] == [(2, "winter"), (1, "")]
    first = ok(admin.client.get(f"/api/plans/{plan_id}/versions/1"))
    assert first["document"]["name"] == "Reception" and first["numbers"] == [MAIN, "200"]
    assert ok(admin.client.get(f"/api/plans/{plan_id}/versions/published"))["version"] == 2
    problem(admin.client.get(f"/api/plans/{plan_id}/versions/7"), 404, "version_not_found")
    problem(admin.client.get(f"/api/plans/{plan_id}/versions/latest"), 422, "invalid_version")
    problem(admin.client.get(f"/api/plans/{plan_id}/diff", params={"from": "9"}), 404, "version_not_found")
    assert ok(admin.client.get(f"/api/plans/{plan_id}/diff", params={"from": "1", "to": "2"}))["changes"] == changes

    rolled = ok(admin.client.post(f"/api/plans/{plan_id}/rollback", json={"version": v1["version"]}))
    assert rolled["version"]["version"] == 3 and rolled["version"]["note"] == "rollback to version 1"
    assert rolled["plan"]["state"] == "published" and rolled["plan"]["name"] == "Reception"
    assert ok(admin.client.get(f"/api/plans/{plan_id}/diff", params={"from": "1", "to": "3"}))["changes"] == []
    assert ok(admin.client.get(f"/api/plans/{plan_id}/diff", params={"from": "3"}))["changes"] == []
    problem(admin.client.post(f"/api/plans/{plan_id}/rollback", json={"version": 9}), 404, "version_not_found")
    problem(admin.client.post(f"/api/plans/{plan_id}/rollback", json={}), 422, "invalid")


def test_diff_compares_steps_by_id():
    def step(ident, **fields):
        return {"id": ident, "type": "hang_up", **fields}

    old = {"steps": [step("a"), step("b"), step("c"), step("d")]}
    # one step moved to the front: only it shows as moved, not every step after it
    assert document_diff(old, {"steps": [step("d"), step("a"), step("b"), step("c")]}) == [
        {"op": "move", "from": "/steps/3", "path": "/steps/0"}]
    # an insertion shifts the others without moving them
    assert document_diff(old, {"steps": [step("a"), step("x"), step("b"), step("c"), step("d")]}) == [
        {"op": "add", "path": "/steps/1", "value": step("x")}]
    # into another branch and changed on the way: one move, then its own change
    nested_old = {"steps": [{"id": "t", "type": "time_condition", "then": [step("a"), step("b")], "else": []}]}
    nested_new = {"steps": [{"id": "t", "type": "time_condition", "then": [step("a")], "else": [step("b", cause="USER_BUSY")]}]}
    assert document_diff(nested_old, nested_new) == [
        {"op": "move", "from": "/steps/0/then/1", "path": "/steps/0/else/0"},
        {"op": "add", "path": "/steps/0/else/0/cause", "value": "USER_BUSY"},
    ]
    # plain lists by position; keys with "/" and "~" escaped
    assert document_diff({"numbers": ["200"], "a/b~": 1}, {"numbers": ["200", "201"], "a/b~": 2}) == [
        {"op": "add", "path": "/numbers/1", "value": "201"},
        {"op": "replace", "path": "/a~1b~0", "old": 1, "value": 2},
    ]
    assert document_diff(old, copy.deepcopy(old)) == []


def test_clone_and_export_import_round_trip(admin, world):
    plan_id = admin.create("/api/plans", **spec_plan(world, name="Réception «main» & co"))["id"]
    exported = admin.client.get(f"/api/plans/{plan_id}/export")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/json")
    assert exported.headers["content-disposition"] == f'attachment; filename="call-plan-{plan_id}-r-ception-main-co.json"'
    document = exported.json()
    imported = admin.create("/api/plans/import", **document)
    assert imported["id"] != plan_id and imported["document"] == document and imported["state"] == "draft"
    assert admin.client.get(f"/api/plans/{imported['id']}/export").json() == document

    clone = ok(admin.client.post(f"/api/plans/{plan_id}/clone", json={"name": "Copy"}), 201)
    assert clone["document"] == {**document, "name": "Copy", "numbers": []} and clone["name"] == "Copy"
    problem(admin.client.post(f"/api/plans/{plan_id}/clone", json={"name": ""}), 422, "invalid")
    problem(admin.client.post("/api/plans/import", json={"name": "x", "steps": [{"id": "a b", "type": "hang_up"}]}),
            422, "invalid")
    assert {p["name"] for p in ok(admin.client.get("/api/plans"))} == {"Réception «main» & co", "Copy"}


# --- deleting -----------------------------------------------------------------------------------------


def test_deleting_a_plan_is_refused_while_it_has_numbers_or_other_plans_transfer_to_it(admin, world, db):
    target = admin.create("/api/plans", **spec_plan(world))["id"]
    publish(admin, target)
    body = problem(admin.client.delete(f"/api/plans/{target}"), 409, "plan_has_numbers")
    assert body["numbers"] == [MAIN, "200"]

    caller = admin.create("/api/plans", name="Overflow", steps=[{"id": "o1", "type": "transfer", "to": {"plan": target}}])
    assert simulate(admin, caller["id"])["outcome"] == f"transferred:plan:{target}"
    publish(admin, caller["id"])
    ok(admin.client.put(f"/api/plans/{target}/draft", json=spec_plan(world, numbers=())))
    publish(admin, target)
    assert not number_held(admin, "200")  # released by the publish without it
    body = problem(admin.client.delete(f"/api/plans/{target}"), 409, "in_use")
    assert body["used_by"] == [{"kind": "plan", "id": caller["id"], "name": "Overflow", "where": "/steps/0/to/plan"}]

    # the draft no longer transfers, the published version still does
    ok(admin.client.put(f"/api/plans/{caller['id']}/draft", json={"name": "Overflow", "steps": [{"id": "o2", "type": "hang_up"}]}))
    problem(admin.client.delete(f"/api/plans/{target}"), 409, "in_use")
    publish(admin, caller["id"])
    ok(admin.client.delete(f"/api/plans/{target}"), 204)
    problem(admin.client.get(f"/api/plans/{target}"), 404, "not_found")
    with db() as session:
        assert session.exec(select(CallPlanVersion).where(CallPlanVersion.plan_id == target)).all() == []
    # the plan's own transfer to itself is no reason to keep it
    lonely = admin.create("/api/plans", name="Loop", steps=[{"id": "l", "type": "transfer", "to": {"plan": 0}}])["id"]
    ok(admin.client.put(f"/api/plans/{lonely}/draft", json={"name": "Loop", "steps": [
        {"id": "l", "type": "transfer", "to": {"plan": lonely}}]}))
    ok(admin.client.delete(f"/api/plans/{lonely}"), 204)


@pytest.mark.parametrize("kind,path,attribute,where", [
    ("user", "/api/users", "anna", "/steps/0/user"),
    ("queue", "/api/queues", "queue", "/steps/1/queue"),
    ("schedule", "/api/schedules", "office", "/steps/2/schedule"),
    ("audio", "/api/audio", "audio", "/steps/2/then/0/audio"),
    ("voicemail_box", "/api/voicemail-boxes", "box", "/diversions/0/steps/0/box"),
])
def test_objects_a_plan_uses_cannot_be_deleted(kind, path, attribute, where, admin, world):
    steps = [
        {"id": "a", "type": "user", "user": world.anna},
        {"id": "b", "type": "queue", "queue": world.queue},
        {"id": "c", "type": "time_condition", "schedule": world.office,
         "then": [{"id": "d", "type": "announcement", "audio": world.audio}]},
        {"id": "e", "type": "hang_up"},
    ]
    diversions = [{"id": "x", "name": "Night", "steps": [{"id": "y", "type": "voicemail", "box": world.box}]}]
    plan = admin.create("/api/plans", name="Uses all", steps=steps, diversions=diversions)
    body = problem(admin.client.delete(f"{path}/{getattr(world, attribute)}"), 409, "in_use")
    assert {"kind": "plan", "id": plan["id"], "name": "Uses all", "where": where} in body["used_by"]


def test_a_public_number_a_plan_answers_cannot_be_taken_back(admin, world):
    plan = admin.create("/api/plans", **spec_plan(world))
    body = problem(admin.operator.client.delete(f"/api/platform/numbers/{world.did}"), 409, "in_use")
    assert body["used_by"] == [{"kind": "plan", "id": plan["id"], "name": "Reception", "where": "/numbers/0", "number": MAIN}]


# --- diversions -------------------------------------------------------------------------------------


def test_diversions_switch_without_publishing_one_per_category(admin, world):
    document = spec_plan(world)
    document["diversions"] += [
        {"id": "d2", "name": "Closed for the day", "category": "A", "steps": [{"id": "s12", "type": "voicemail", "box": world.box}]},
        {"id": "d3", "name": "Storm", "category": "B", "steps": [{"id": "s13", "type": "hang_up", "cause": "USER_BUSY"}]},
    ]
    plan_id = admin.create("/api/plans", **document)["id"]
    publish(admin, plan_id)
    url = f"/api/plans/{plan_id}/diversions"

    assert ok(admin.client.post(f"{url}/d1/on"))["active_diversions"] == ["d1"]
    assert simulate(admin, plan_id, version="published", answers=["s9"]) == {
        "version": 1, "steps": ["s9"], "outcome": "answered:s9", "entered": "diversion:d1", "caller_name": ""}
    assert ok(admin.client.post(f"{url}/d2/on"))["active_diversions"] == ["d2"]  # same category: d1 goes off
    switched = ok(admin.client.post(f"{url}/d3/on"))
    assert switched["active_diversions"] == ["d2", "d3"] and switched["state"] == "published"  # no new version
    # the first active one in the plan's order takes the call, also in the dialplan
    assert simulate(admin, plan_id, version="published")["entered"] == "diversion:d2"
    xml = ok_text(admin.client.get(f"/api/plans/{plan_id}/xml", params={"version": "published"}))
    data = [value for _, value in actions(xml)]
    assert f"cp_path={plan_id}:1:s12" in data and f"cp_path={plan_id}:1:s1" not in data
    assert ok(admin.client.post(f"{url}/d2/off"))["active_diversions"] == ["d3"]
    assert simulate(admin, plan_id)["outcome"] == "hung_up:USER_BUSY"
    assert ok(admin.client.post(f"{url}/d3/off"))["active_diversions"] == []
    assert simulate(admin, plan_id, at=CLOSED)["entered"] == "plan"
    problem(admin.client.post(f"{url}/nope/on"), 422, "unknown_diversion")
    # the documents are untouched; the switch is audited on the plan's row
    assert all(not d["active"] for d in ok(admin.client.get(f"/api/plans/{plan_id}"))["document"]["diversions"])
    updates = [e for e in ok(admin.client.get("/api/audit")) if e["action"] == "call_plan.update"]
    assert any("d3" in str(e["summary"]["after"].get("active_diversions")) for e in updates)


def test_a_new_plan_starts_with_the_diversions_its_document_marks_active(admin, world):
    document = spec_plan(world, numbers=())
    document["diversions"][0]["active"] = True
    plan = admin.create("/api/plans", **document)
    assert plan["active_diversions"] == ["d1"]
    assert simulate(admin, plan["id"])["entered"] == "diversion:d1"


# --- numbers ---------------------------------------------------------------------------------------


def test_internal_numbers_are_claimed_when_published_and_released_when_dropped(admin, world, db):
    taken = admin.create("/api/plans", name="On 201", numbers=["201"], steps=[{"id": "h", "type": "hang_up"}])
    body = problem(admin.client.post(f"/api/plans/{taken['id']}/publish"), 422, "plan_invalid")
    assert [(e["code"], e["pointer"]) for e in body["errors"]] == [("number_taken", "/numbers/0")]

    plan_id = admin.create("/api/plans", **spec_plan(world))["id"]
    assert not number_held(admin, "200")  # a draft claims nothing
    publish(admin, plan_id)
    assert number_held(admin, "200")
    other = admin.create("/api/plans", name="Also 200", numbers=["200"], steps=[{"id": "h", "type": "hang_up"}])
    problem(admin.client.post(f"/api/plans/{other['id']}/publish"), 422, "plan_invalid")

    # another plan dials 210: once the first plan takes 210 it cannot let it go while that transfer exists
    ok(admin.client.put(f"/api/plans/{plan_id}/draft", json=spec_plan(world, numbers=(MAIN, "210"))))
    publish(admin, plan_id)
    assert not number_held(admin, "200") and number_held(admin, "210")
    with db() as session:
        rows = session.exec(select(InternalNumber).where(InternalNumber.owner_kind == "call_plan")).all()
        assert [(r.number, r.owner_id) for r in rows] == [("210", plan_id)]
    dialler = admin.create("/api/plans", name="Dialler", steps=[{"id": "t", "type": "transfer", "to": {"extension": "210"}}])
    assert dialler["errors"] == []
    ok(admin.client.put(f"/api/plans/{plan_id}/draft", json=spec_plan(world, numbers=(MAIN,))))
    body = problem(admin.client.post(f"/api/plans/{plan_id}/publish"), 409, "in_use")
    assert body["used_by"] == [{"kind": "plan", "id": dialler["id"], "name": "Dialler", "where": "/steps/0/to/extension"}]


def test_public_numbers_must_be_the_companys_and_free(admin, other_admin, world):
    foreign = other_admin.number("+31209999999")["number"]
    plan = admin.create("/api/plans", name="Foreign", numbers=["200", foreign], steps=[{"id": "h", "type": "hang_up"}])
    body = problem(admin.client.post(f"/api/plans/{plan['id']}/publish"), 422, "did_not_owned")
    assert pointers(body) == ["/numbers/1"]
    assert not number_held(admin, "200")  # the refused publish claimed nothing

    routed = admin.number("+31201234568", destination={"type": "user", "id": world.anna})
    ok(admin.client.put(f"/api/plans/{plan['id']}/draft", json={"name": "Routed", "numbers": [routed["number"]],
                                                                 "steps": [{"id": "h", "type": "hang_up"}]}))
    body = problem(admin.client.post(f"/api/plans/{plan['id']}/publish"), 409, "did_assigned_elsewhere")
    assert pointers(body) == ["/numbers/0"]

    first = admin.create("/api/plans", name="Main", numbers=[MAIN], steps=[{"id": "h", "type": "hang_up"}])
    publish(admin, first["id"])
    second = admin.create("/api/plans", name="Main again", numbers=[MAIN], steps=[{"id": "h", "type": "hang_up"}])
    body = problem(admin.client.post(f"/api/plans/{second['id']}/publish"), 422, "plan_invalid")
    assert pointers(body) == ["/numbers/0"]


# --- the XML preview ----------------------------------------------------------------------------


def test_xml_preview_refusals(admin, world):
    plan_id = admin.create("/api/plans", **spec_plan(world))["id"]
    problem(admin.client.get(f"/api/plans/{plan_id}/xml", params={"version": "published"}), 409, "plan_not_published")
    problem(admin.client.get(f"/api/plans/{plan_id}/xml", params={"version": "newest"}), 422, "invalid_version")
    problem(admin.client.get(f"/api/plans/{plan_id}/xml", params={"at": "2026-03-10T10:00:00"}), 422, "invalid_instant")
    problem(admin.client.post(f"/api/plans/{plan_id}/simulate", json={"number": "+31209999999"}), 422, "not_a_plan_number")
    problem(admin.client.post(f"/api/plans/{plan_id}/simulate", json={"at": "2026-03-10T10:00:00"}), 422, "invalid")
    assert simulate(admin, plan_id, number="200", at=CLOSED)["steps"] == ["s1", "s5", "s7", "s8", "s10"]


# --- tenant isolation -----------------------------------------------------------------------------


def test_another_companys_plan_cannot_be_reached_or_referenced(admin, other_admin, world):
    theirs = other_admin.create("/api/plans", name="Theirs", steps=[{"id": "h", "type": "hang_up"}])["id"]
    for response in (
        admin.client.post(f"/api/plans/{theirs}/simulate", json={}),
        admin.client.get(f"/api/plans/{theirs}/xml"),
        admin.client.post(f"/api/plans/{theirs}/diversions/d1/on"),
        admin.client.put(f"/api/plans/{theirs}/draft", json={"not": "a plan"}),  # 404 before the body is read
        admin.client.post(f"/api/plans/{theirs}/clone", json={}),
    ):
        problem(response, 404, "not_found")
    assert ok(admin.client.get("/api/plans")) == []
    # their objects do not exist here: the snapshot is this company's alone
    stranger = other_admin.user("201", "Stranger")["id"]
    mine = admin.create("/api/plans", name="Mine", steps=[
        {"id": "t", "type": "transfer", "to": {"plan": theirs}}, {"id": "u", "type": "user", "user": stranger}])
    assert {(e["code"], e["pointer"]) for e in mine["errors"]} >= {
        ("unknown_reference", "/steps/0/to/plan"), ("unknown_reference", "/steps/1/user")}


# --- the snapshot -------------------------------------------------------------------------------------


def test_snapshot_holds_the_companys_objects_and_reads_each_table_once(admin, world, app, db, settings):
    plan_id = admin.create("/api/plans", **spec_plan(world))["id"]
    publish(admin, plan_id)
    caller = admin.create("/api/plans", name="Caller", steps=[{"id": "t", "type": "transfer", "to": {"plan": plan_id}}])
    publish(admin, caller["id"])
    for extension in range(210, 230):  # more rows must not mean more queries
        admin.user(str(extension), "Extra")
    admin.number("+31201234568")
    department = admin.create("/api/departments", name="Sales", caller_id_number="+31201234568")["id"]
    ok(admin.client.patch(f"/api/users/{world.bram}", json={"department_id": department, "caller_id_mode": "department"}))
    admin.number("+31201234569")
    ok(admin.client.patch(f"/api/users/{world.anna}", json={"direct_number": "+31201234569", "withhold_caller_id": True}))
    ok(admin.client.patch("/api/company", json={"block_mobile": True, "release_pin": "4321"}))
    admin.create("/api/pickup-groups", name="Desk", members=[world.anna, world.bram])
    ok(admin.client.get("/api/feature-codes"))  # the defaults

    def counted() -> tuple[int, object]:
        statements = []

        def count(*_args):
            statements.append(1)

        event.listen(app.state.engine, "before_cursor_execute", count)
        try:
            with db() as session:
                made = snapshot(session, admin.tenant.id, settings)
        finally:
            event.remove(app.state.engine, "before_cursor_execute", count)
        return len(statements), made

    # Rows are checked once per process, keyed by their stored values (#20): a table whose rows changed
    # since is read once more for those rows (13 tables are checked row by row), a table whose rows did
    # not is read once
    first, objects = counted()
    assert first <= 24 + 14
    again, _ = counted()
    assert again <= 24  # one per table (the phonebook's blocked numbers the 21st, conference rooms the 22nd, the parking lot the 23rd, page groups the 24th)

    assert objects.domain == "acme.pbx.test" and objects.timezone == "Europe/Amsterdam"
    assert objects.audio_dir == str(settings.audio_dir)
    assert objects.users[world.anna].extension == "201" and objects.users[world.anna].voicemail_box_id
    assert objects.queues[world.queue].max_wait_s == 300 and objects.ivr_menus[world.menu].keys["1"]["action"] == "forward"
    assert objects.voicemail_boxes[world.box].extension == "999"
    assert objects.schedules[world.office].periods[0]["from_time"] == "08:30"
    assert objects.holidays[world.holidays].entries[0]["start_date"] == "2026-12-25"
    assert objects.audio[world.audio].name == "Closed"
    assert objects.plans[plan_id].numbers == [MAIN, "200"] and objects.plans[caller["id"]].transfers_to == [plan_id]
    assert objects.extensions["200"] == f"call_plan:{plan_id}" and objects.extensions["201"] == "user"
    assert objects.extensions["300"] == "ring_group"
    assert len(objects.users) == 22
    anna, bram = objects.users[world.anna], objects.users[world.bram]
    assert anna.direct_number == "+31201234569" and anna.withhold_caller_id and anna.caller_id_mode == "company"
    assert bram.department_id == department and objects.departments[department].caller_id_number == "+31201234568"
    assert objects.caller_ids == {MAIN, "+31201234568", "+31201234569"}  # the company's own numbers
    assert objects.company.block_mobile and objects.company.release_pin == "4321" and objects.company.country == "NL"
    assert objects.feature_codes["voicemail"] == "*97" and list(objects.pickup_groups.values()) == [[world.anna, world.bram]]
    with db() as session:
        assert session.get(CallPlanRecord, plan_id).published_version == 1


def test_a_number_a_published_plan_answers_cannot_be_routed_elsewhere(admin):
    number = admin.number("+31205550188")
    plan = admin.create("/api/plans", name="Main")
    admin.client.put(f"/api/plans/{plan['id']}/draft", json={"name": "Main", "numbers": ["+31205550188"],
                                                              "steps": [{"id": "s1", "type": "hang_up"}]})
    assert admin.client.post(f"/api/plans/{plan['id']}/publish").status_code in (200, 201)
    user = admin.user("201")
    routed = admin.client.patch(f"/api/numbers/{number['id']}", json={"destination": {"type": "user", "id": user["id"]}})
    assert routed.status_code == 409 and routed.json()["errors"][0]["pointer"] == "/destination"
    direct = admin.client.patch(f"/api/users/{user['id']}", json={"direct_number": "+31205550188"})
    assert direct.status_code == 409 and direct.json()["errors"][0]["pointer"] == "/direct_number"
