"""Conference rooms in the dialplan (#18 item 2): a room's own number, a plan's conference step and a
destination all join the same tenant-scoped mod_conference room, with its PINs and limit."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from datetime import datetime, timezone

import pytest

import callplan.nodes  # noqa: F401
from callplan.base_dialplan import compile_base
from callplan.compiler import compile_to_xml
from callplan.destinations import emit
from callplan.engine import Compilation, Segment
from callplan.model import CallPlan
from callplan.nodes.conference import BAD_PIN_TONE, PIN_TONE
from callplan.objects import ConferenceRoomInfo, conference_name
from callplan.simulator import simulate_plan
from callplan.validate import validate
from tests.callplan.objects_fixture import objects as fixture_objects

AT = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
ROOMS = {
    5: ConferenceRoomInfo(id=5, name="Board", extension="850", pin="1234", moderator_pin="9876", max_members=10),
    6: ConferenceRoomInfo(id=6, name="Open", extension="851"),
}


def objects(**overrides):
    return fixture_objects(conference_rooms=ROOMS, **overrides)


def actions(element: ET.Element) -> list[tuple[str, str]]:
    return [(a.get("application"), a.get("data")) for a in element.iter("action")]


def extension(document: str, name: str) -> ET.Element:
    return next(e for e in ET.fromstring(document).iter("extension") if e.get("name") == name)


def test_a_rooms_number_joins_its_conference_with_pins_and_limit():
    tenant = objects()
    document, _ = compile_base(tenant, AT)
    name = conference_name(tenant.tenant_id, 5)
    assert name == f"t{tenant.tenant_id}-5"
    assert actions(extension(document, "conference_850")) == [
        ("answer", ""), ("set", "conference_max_members=10"), ("set", "conference_moderator_pin=9876"),
        ("set", f"cp_conference_pin_sound={PIN_TONE}"), ("set", f"cp_conference_bad_pin_sound={BAD_PIN_TONE}"),
        ("conference", f"{name}@callplan+1234"), ("hangup", "NORMAL_CLEARING")]
    # a room without PINs or limit: straight in
    assert actions(extension(document, "conference_851")) == [
        ("answer", ""), ("conference", f"t{tenant.tenant_id}-6@callplan"), ("hangup", "NORMAL_CLEARING")]


def test_two_companies_rooms_of_the_same_id_never_meet():
    first, _ = compile_base(objects(tenant_id=1), AT)
    second, _ = compile_base(objects(tenant_id=2, domain="other.pbx.test"), AT)
    assert ("conference", "t1-6@callplan") in actions(extension(first, "conference_851"))
    assert ("conference", "t2-6@callplan") in actions(extension(second, "conference_851"))


def test_the_plan_step_joins_the_room_and_ends_the_plan():
    tenant = objects()
    plan = CallPlan.model_validate({"name": "Meet", "numbers": ["+3225805000"], "steps": [
        {"id": "s1", "type": "conference", "room": 5}]})
    assert validate(plan, tenant).errors == []
    document = compile_to_xml(plan, 1, 1, tenant, AT)
    assert f"{conference_name(tenant.tenant_id, 5)}@callplan+1234" in document
    assert simulate_plan(plan, tenant, AT).outcome == "conference:5"
    # a step after it can never run
    after = CallPlan.model_validate({"name": "Meet", "numbers": ["+3225805000"], "steps": [
        {"id": "s1", "type": "conference", "room": 5}, {"id": "s2", "type": "hang_up"}]})
    assert any(problem.step_id == "s2" for problem in validate(after, tenant).errors)


def test_a_missing_room_is_a_validation_error_naming_the_step():
    plan = CallPlan.model_validate({"name": "Meet", "numbers": ["+3225805000"], "steps": [
        {"id": "s1", "type": "conference", "room": 99}]})
    problems = validate(plan, objects()).errors
    assert any(p.step_id == "s1" and p.pointer.endswith("/room") for p in problems), problems


@pytest.mark.parametrize("room_id", [5, 6])
def test_a_destination_sends_the_call_into_the_room(room_id):
    tenant = objects()
    compilation = Compilation(plan_id=1, version=1, objects=tenant, at=AT)
    segment = Segment("x", "^x$")
    assert emit({"type": "conference_room", "id": room_id}, segment, compilation) is True
    assert ("conference", f"t{tenant.tenant_id}-{room_id}@callplan" + ("+1234" if room_id == 5 else "")) in \
        segment.actions


def test_a_room_pin_that_is_not_digits_never_reaches_the_dialplan():
    with pytest.raises(ValueError):
        ConferenceRoomInfo(id=1, pin="12,evil")


def test_a_room_with_a_pin_asks_with_the_rendered_prompts_else_with_tones():
    """mod_conference's pin-sound and bad-pin-sound are ${cp_conference_pin_sound} and
    ${cp_conference_bad_pin_sound} (freeswitch/autoload_configs/conference.conf.xml): set for every room
    with a PIN, to the app's rendered prompts when the snapshot has them, else to tones FreeSWITCH makes."""
    rendered = {"conference_pin": "/var/lib/callplan/audio/prompts/en/conference_pin-0123.wav",
                "conference_bad_pin": "/var/lib/callplan/audio/prompts/en/conference_bad_pin-4567.wav"}
    document, _ = compile_base(objects(prompts=rendered), AT)
    assert ("set", f"cp_conference_pin_sound={rendered['conference_pin']}") in actions(extension(document, "conference_850"))
    assert ("set", f"cp_conference_bad_pin_sound={rendered['conference_bad_pin']}") in actions(extension(document, "conference_850"))
    # a room without a PIN asks nothing
    assert not any(data.startswith("cp_conference") for _, data in actions(extension(document, "conference_851")))
    toned, _ = compile_base(objects(), AT)
    assert ("set", f"cp_conference_pin_sound={PIN_TONE}") in actions(extension(toned, "conference_850"))
    with pytest.raises(ValueError):  # a prompt path never carries dialplan syntax
        objects(prompts={"conference_pin": "/x/${evil}.wav"})
    profile = (Path(__file__).parents[2] / "freeswitch/autoload_configs/conference.conf.xml").read_text()
    assert '<param name="pin-sound" value="${cp_conference_pin_sound}"/>' in profile
    assert '<param name="bad-pin-sound" value="${cp_conference_bad_pin_sound}"/>' in profile
    assert "conf-pin.wav" not in profile


def test_with_a_home_switch_every_way_in_goes_through_the_rooms_home_extension():
    """callplan/home.py: the room's number and a destination transfer to cp-home-conference-<id>; that
    extension holds the room where ${callplan_switch_name} is the home switch (or the call was handed
    over), and bridges to the home switch everywhere else."""
    from callplan.objects import HomeSwitchInfo

    home = HomeSwitchInfo(name="fs1", address="10.0.0.1:5080", handover_key="0" * 32)
    items = objects(home=home)
    document, _ = compile_base(items, AT)
    assert actions(extension(document, "conference_850")) == [("transfer", f"cp-home-conference-5 XML {items.domain}")]
    room = extension(document, "home_conference_5")
    _, here = room.findall("condition")
    assert ("conference", f"{conference_name(items.tenant_id, 5)}@callplan+1234") in actions(here)
    assert [a.get("data") for a in here.iter("anti-action") if a.get("application") == "bridge"] == [
        "{sip_h_X-Callplan-Home=" + "0" * 32 + ",sip_h_X-Callplan-Origin=${uuid},origination_caller_id_number=${caller_id_number},"
        "origination_caller_id_name=${caller_id_name}}"
        f"sofia/external/cp-home-{items.tenant_id}-conference-5@10.0.0.1:5080"]
    segment = Segment("x", "^x$")
    emit({"type": "conference_room", "id": 6}, segment, Compilation(plan_id=1, version=1, objects=items, at=AT))
    assert segment.actions == [("transfer", f"cp-home-conference-6 XML {items.domain}")]
    # without a home switch nothing of it is there
    plain, _ = compile_base(objects(), AT)
    assert "cp-home-" not in plain
