"""Call-center queues on the home switch (#19, callplan/home.py, callplan/engine.py): with several switches
a plan's queue step and everything after it run in a continuation segment of the plan that holds them on
the home switch and hands the call over to it anywhere else; a queue called on its own goes to its home
extension. Without a home switch nothing of it is there (the goldens in test_golden.py stay as they were)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

import callplan.nodes  # noqa: F401
from callplan import home
from callplan.base_dialplan import compile_base
from callplan.compiler import compile_plan
from callplan.model import CallPlan
from callplan.objects import HomeSwitchInfo
from callplan.simulator import simulate_plan
from tests.callplan.objects_fixture import OPEN, CLOSED, objects

HOME = HomeSwitchInfo(name="fs1", address="10.0.0.1:5080", handover_key="0" * 32)
PLAN = CallPlan.model_validate({"name": "Support", "numbers": ["+3225550100"], "steps": [
    {"id": "hello", "type": "announcement", "audio": 1},
    {"id": "wait", "type": "queue", "queue": 1},
    {"id": "after", "type": "voicemail", "box": 1},
]})


def extensions(document: str) -> dict[str, ET.Element]:
    return {e.get("name"): e for e in ET.fromstring(document).iter("extension")}


def actions(element: ET.Element, tag: str = "action") -> list[tuple[str, str]]:
    return [(a.get("application"), a.get("data")) for a in element.iter(tag)]


def test_a_queue_step_and_the_rest_of_the_plan_run_on_the_home_switch():
    items = objects(home=HOME)
    document = compile_plan(PLAN, 12, 3, items, OPEN).document()
    found = extensions(document)
    # the entry runs up to the queue step, then goes to the continuation (no mark of the queue step here:
    # the switch that runs it marks it)
    entry = actions(found["cp12_entry"])
    assert ("push", "cp_path=12:3:hello") in entry
    assert entry[-1] == ("transfer", f"cp12_wait_home XML {items.domain}")
    assert ("push", "cp_path=12:3:wait") not in entry and ("callcenter", f"q1@{items.domain}") not in entry
    continuation = found["cp12_wait_home"]
    number, here = continuation.findall("condition")
    assert (number.get("field"), number.get("expression")) == ("destination_number", "^(cp12_wait_home)$")
    assert not list(number)
    # on the home switch (or for a call handed to it): the queue step, then the rest of the plan
    assert (here.get("field"), here.get("expression")) == ("${callplan_switch_name}/${cp_home_arrived}", "^(fs1/.*|.*/true)$")
    own = actions(here)
    assert own[0] == ("push", "cp_path=12:3:wait")
    assert ("callcenter", f"q1@{items.domain}") in own
    assert own.index(("callcenter", f"q1@{items.domain}")) < own.index(("push", "cp_path=12:3:after"))
    # the voicemail step after it: the box's home extension (callplan.home, kind "voicemail"), here too
    assert own[-1] == ("transfer", f"cp-home-voicemail-1 XML {items.domain}")
    # anywhere else: handed to the home switch as kind "plan", carrying the plan, its version and the step
    assert actions(here, "anti-action") == [
        ("set", "hangup_after_bridge=true"),
        ("bridge", "{sip_h_X-Callplan-Home=" + "0" * 32 + ",sip_h_X-Callplan-Origin=${uuid},"
                   "origination_caller_id_number=${caller_id_number},origination_caller_id_name=${caller_id_name}}"
                   f"sofia/external/cp-home-{items.tenant_id}-plan-12-3-wait@10.0.0.1:5080"),
        ("hangup", "NORMAL_TEMPORARY_FAILURE")]
    assert home.PLAN_NUMBER.fullmatch(f"cp-home-{items.tenant_id}-plan-12-3-wait").groups() == (
        str(items.tenant_id), "12", "3", "wait")
    # the streamed document is the tree builder's, byte for byte
    compilation = compile_plan(PLAN, 12, 3, items, OPEN)
    assert compilation.document() == compilation.document_tree()


def test_without_a_home_switch_the_plan_is_what_it_was():
    document = compile_plan(PLAN, 12, 3, objects(), OPEN).document()
    assert "cp-home-" not in document and "_home" not in document
    assert ("callcenter", f"q1@{objects().domain}") in actions(extensions(document)["cp12_entry"])


def test_a_queue_inside_a_time_condition_carries_on_with_the_steps_after_the_condition():
    plan = CallPlan.model_validate({"name": "Hours", "numbers": ["800"], "steps": [
        {"id": "hours", "type": "time_condition", "schedule": 1,
         "then": [{"id": "q", "type": "queue", "queue": 2}, {"id": "inner", "type": "announcement", "audio": 1}],
         "else": [{"id": "shut", "type": "announcement", "audio": 1}]},
        {"id": "outer", "type": "voicemail", "box": 1},
    ]})
    items = objects(home=HOME)
    found = extensions(compile_plan(plan, 7, 1, items, OPEN).document())
    assert actions(found["cp7_entry"])[-1] == ("transfer", f"cp7_q_home XML {items.domain}")
    marks = [data for application, data in actions(found["cp7_q_home"].findall("condition")[1]) if application == "push"]
    assert marks == ["cp_path=7:1:q", "cp_path=7:1:inner", "cp_path=7:1:outer"]
    # closed: no queue, no continuation (only the voicemail step's message goes to the box's home extension)
    closed = extensions(compile_plan(plan, 7, 1, items, CLOSED).document())
    entry = ET.tostring(closed["cp7_entry"], encoding="unicode")
    assert "cp7_q_home" not in closed and "cp-home-" not in entry.replace("cp-home-voicemail-1 XML", "")


def test_a_second_queue_after_the_first_runs_in_the_same_continuation():
    plan = CallPlan.model_validate({"name": "Two", "steps": [
        {"id": "first", "type": "queue", "queue": 1, "max_wait_s": 60},
        {"id": "second", "type": "queue", "queue": 2},
    ]})
    items = objects(home=HOME)
    found = extensions(compile_plan(plan, 8, 2, items, OPEN).document())
    assert actions(found["cp8_entry"])[-1] == ("transfer", f"cp8_first_home XML {items.domain}")
    assert "cp8_second_home" not in found
    own = actions(found["cp8_first_home"].findall("condition")[1])
    assert [data for application, data in own if application == "callcenter"] == [
        f"q1w60@{items.domain}", f"q2@{items.domain}"]


def test_an_ivr_key_with_a_queue_hands_over_from_its_branch():
    plan = CallPlan.model_validate({"name": "Menu", "steps": [
        {"id": "menu", "type": "ivr", "menu": 1, "keys": {"3": [{"id": "k3q", "type": "queue", "queue": 1}]}},
    ]})
    items = objects(home=HOME)
    found = extensions(compile_plan(plan, 9, 1, items, OPEN).document())
    branch = next(name for name in found if name.startswith("cp9_menu_key_3"))
    assert actions(found[branch])[-1] == ("transfer", f"cp9_k3q_home XML {items.domain}")
    assert ("callcenter", f"q1@{items.domain}") in actions(found["cp9_k3q_home"].findall("condition")[1])


def test_the_simulator_is_not_changed_by_a_home_switch():
    answered = simulate_plan(PLAN, objects(home=HOME), OPEN, answers={"wait"})
    assert answered.outcome == "answered:wait" and answered.steps == ["hello", "wait"]


def test_a_queue_called_on_its_own_goes_to_its_home_extension():
    items = objects(home=HOME)
    document, _ = compile_base(items, OPEN)
    found = extensions(document)
    assert actions(found["queue_600"]) == [("transfer", f"cp-home-queue-1 XML {items.domain}")]
    number, here = found["home_queue_1"].findall("condition")
    assert number.get("expression") == "^(cp\\-home\\-queue\\-1)$"
    assert ("callcenter", f"q1@{items.domain}") in actions(here)
    assert [data for application, data in actions(here, "anti-action") if application == "bridge"] == [
        "{sip_h_X-Callplan-Home=" + "0" * 32 + ",sip_h_X-Callplan-Origin=${uuid},"
        "origination_caller_id_number=${caller_id_number},origination_caller_id_name=${caller_id_name}}"
        f"sofia/external/cp-home-{items.tenant_id}-queue-1@10.0.0.1:5080"]
    # every queue has one, with or without a number of its own (a public number may route to it)
    assert {"home_queue_1", "home_queue_2"} <= set(found)
    plain, _ = compile_base(objects(), OPEN)
    assert "cp-home-" not in plain and ("callcenter", f"q1@{items.domain}") in actions(extensions(plain)["queue_600"])


@pytest.mark.parametrize("step", ["bad id", "x" * 41, "a:b"])
def test_a_hand_over_number_names_only_a_step_id(step):
    with pytest.raises(ValueError):
        home.plan_public_number(1, 2, 3, step)
    assert home.PLAN_NUMBER.fullmatch(f"cp-home-1-plan-2-3-{step}") is None
