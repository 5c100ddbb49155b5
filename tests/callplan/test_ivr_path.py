"""An IVR step appears once in a call's path, in the compiled dialplan's marks and in the simulator (#16
item 4): the step is marked where the call reaches it, not again on the branch a key or a failure takes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

import callplan.nodes  # noqa: F401  (before any CallPlan is validated)
from callplan.compiler import compile_plan
from callplan.model import CallPlan
from callplan.simulator import simulate_plan
from tests.callplan import objects_fixture as fx

PLAN = CallPlan.model_validate({"name": "x", "steps": [
    {"id": "menu", "type": "ivr", "menu": 1, "keys": {"5": [{"id": "after", "type": "hang_up"}]},
     "no_input": [{"id": "nothing", "type": "hang_up"}]},
]})


def marks_on_the_way(document: str, segments: list[str]) -> list[str]:
    """The cp_path pushes of the segments a call runs through, in order."""
    root = ET.fromstring(document)
    by_name = {ext.get("name"): ext for ext in root.iter("extension")}
    found = []
    for name in segments:
        for action in by_name[name].iter("action"):
            if action.get("application") == "push" and action.get("data", "").startswith("cp_path="):
                found.append(action.get("data").rsplit(":", 1)[-1])
    return found


@pytest.mark.parametrize("keys, segments, path", [
    (["5"], ["cp1_entry", "cp1_menu_menu", "cp1_menu_key_5"], ["menu", "after"]),
    ([""] * 3, ["cp1_entry", "cp1_menu_menu", "cp1_menu_failed", "cp1_menu_failed_"], ["menu", "nothing"]),
    (["1"], ["cp1_entry", "cp1_menu_menu", "cp1_menu_key_1"], ["menu"]),  # the menu's own action
])
def test_the_menu_step_is_in_the_path_once(keys, segments, path):
    compiled = compile_plan(PLAN, 1, 3, fx.objects(), fx.OPEN).document()
    names = {ext.get("name") for ext in ET.fromstring(compiled).iter("extension")}
    assert set(segments) <= names, sorted(names)
    assert marks_on_the_way(compiled, segments) == path
    assert simulate_plan(PLAN, fx.objects(), fx.OPEN, plan_id=1, keys=keys).steps == path
