"""One meaning for an IVR key (#13 item 8): the plan's own steps for a key win over the menu's action for
it, in the compiled dialplan and in the simulator alike; a key whose own list is empty (the canvas leaves
one behind when its last step is moved out) has no steps of its own, so the menu's action applies; a key
the menu does not use and the plan gives no steps does nothing (a wrong key). The validator no longer
warns about a key with both: the canvas draws the plan's steps in that key's branch instead of the menu's
action."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import callplan.nodes  # noqa: F401  (before any CallPlan is validated: see test_registry)
from callplan.compiler import compile_plan
from callplan.model import CallPlan
from callplan.simulator import simulate_plan
from callplan.validate import validate
from tests.callplan import objects_fixture as fx

PLAN_ID, VERSION = 1, 3
# Main menu (fixture id 1): 1 forward to ring group 1 (extension 300), 2 forward announced to user 202,
# 3 dial by extension, 4 play message, 9 repeat, 0 reception, * hang up; 5, 6, 7, 8 and # unused


def plan(keys: dict) -> CallPlan:
    return CallPlan.model_validate({"name": "Reception", "numbers": ["200"], "steps": [
        {"id": "s1", "type": "ivr", "menu": 1, "keys": keys, "no_input": [{"id": "s9", "type": "hang_up"}]}]})


def key_actions(the_plan: CallPlan) -> dict[str, list[tuple[str, str]]]:
    """The actions of each key's extension (cp1_s1_key_<key>), and the accepted keys' regex under "menu"."""
    root = ET.fromstring(compile_plan(the_plan, PLAN_ID, VERSION, fx.objects(), fx.OPEN).document())
    found = {}
    for extension in root.iter("extension"):
        name = extension.get("name")
        actions = [(action.get("application"), action.get("data")) for action in extension.iter("action")]
        if name.startswith("cp1_s1_key_"):
            found[name.removeprefix("cp1_s1_key_")] = actions
        elif name == "cp1_s1_menu":
            found["menu"] = [data.split()[8] for application, data in actions if application == "play_and_get_digits"]
    return found


def path(the_plan: CallPlan, *keys: str):
    result = simulate_plan(the_plan, fx.objects(), fx.OPEN, plan_id=PLAN_ID, keys=keys)
    return result.steps, result.outcome


OWN = [{"id": "s2", "type": "announcement", "audio": 2}, {"id": "s3", "type": "hang_up"}]


def test_the_plans_steps_for_a_key_win_over_the_menus_action_in_both():
    with_own = plan({"1": OWN})
    compiled = key_actions(with_own)
    assert ("transfer", "300 XML acme.pbx.test") not in compiled["1"]  # not the menu's ring group
    assert any(application == "playback" and data.endswith("/2.wav") for application, data in compiled["1"])
    assert compiled["1"][-1] == ("hangup", "NORMAL_CLEARING")
    assert path(with_own, "1") == (["s1", "s2", "s3"], "hung_up:NORMAL_CLEARING")
    # the other keys keep the menu's actions
    assert compiled["2"] == key_actions(plan({}))["2"]


def test_an_empty_list_for_a_key_leaves_the_menus_action():
    empty, absent = plan({"1": []}), plan({})
    assert key_actions(empty) == key_actions(absent)
    assert ("transfer", "300 XML acme.pbx.test") in key_actions(empty)["1"]
    assert path(empty, "1") == path(absent, "1") == (["s1"], "transferred:300")


def test_a_key_only_the_plan_uses_is_accepted_and_an_empty_one_is_not():
    own_five = key_actions(plan({"5": OWN}))
    assert "5" in own_five and own_five["menu"] == ["^[0123459\\*]$"]
    assert path(plan({"5": OWN}), "5")[0] == ["s1", "s2", "s3"]
    empty_five = key_actions(plan({"5": []}))
    assert "5" not in empty_five and empty_five["menu"] == ["^[012349\\*]$"]
    # pressed three times (the menu's attempts): a wrong key each time, as 8, which nothing uses
    assert path(plan({"5": []}), "5", "5", "5") == path(plan({}), "8", "8", "8")


def test_the_validator_accepts_a_key_with_both_and_counts_only_keys_with_steps():
    report = validate(plan({"1": OWN}), fx.objects(), plan_id=PLAN_ID)
    assert [problem.code for problem in report.warnings] == []
    objects = fx.objects().model_copy(update={"ivr_menus": {
        1: fx.objects().ivr_menus[1].model_copy(update={"keys": {}})}})
    bare = validate(plan({"1": []}), objects, plan_id=PLAN_ID)
    assert [(problem.code, problem.pointer) for problem in bare.errors] == [("empty_branch", "/steps/0/keys")]
    assert validate(plan({"1": OWN}), objects, plan_id=PLAN_ID).errors == []
