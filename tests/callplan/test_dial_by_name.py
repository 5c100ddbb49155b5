"""Dial by name in an IVR menu (#16 item 1): the key runs mod_directory on the company's directory, the
caller spelling the last or the first name as the menu's `dial_by_name_order` says; a caller who chooses
nobody goes to the menu's reception. The simulator searches the users the way mod_directory does."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import callplan.nodes  # noqa: F401  (before any CallPlan is validated: see test_registry)
from callplan import directory
from callplan.compiler import compile_plan
from callplan.model import CallPlan
from callplan.simulator import simulate_plan
from tests.callplan import objects_fixture as fx

# users: 201 Jan Janssens, 202 Marie Dubois, 203 Piet de Vries, 204 Sofie Peeters; the Main menu's
# reception is Jan (201)


def objects(order: str = "last_first"):
    menu = {**fx.IVR_MENUS[1], "dial_by_name_order": order,
            "keys": {**fx.IVR_MENUS[1]["keys"], "5": {"action": "dial_by_name"}}}
    return fx.objects(ivr_menus={**fx.IVR_MENUS, 1: menu})


PLAN = CallPlan.model_validate({"name": "Reception", "numbers": ["200"], "steps": [
    {"id": "s1", "type": "ivr", "menu": 1, "no_input": [{"id": "s9", "type": "hang_up"}]}]})


def key_5(order: str) -> list[tuple[str, str]]:
    root = ET.fromstring(compile_plan(PLAN, 1, 3, objects(order), fx.OPEN).document())
    (extension,) = [e for e in root.iter("extension") if e.get("name") == "cp1_s1_key_5"]
    return [(action.get("application"), action.get("data")) for action in extension.iter("action")]


def outcome(order: str, *searches: str) -> str:
    """Key 5, then each search spelled key by key and ended by #, each followed by a choice (or not)."""
    keys = ["5"]
    for search in searches:
        keys += [*search, "#"] if search.isdigit() and len(search) > 1 else [search]
    return simulate_plan(PLAN, objects(order), fx.OPEN, plan_id=1, keys=keys).outcome


def test_the_key_runs_mod_directory_in_the_menus_name_order_then_the_reception():
    assert key_5("last_first") == [
        ("set", "directory_search_order=last_name"),
        ("directory", "default acme.pbx.test acme.pbx.test"),
        ("bridge", "user/201@acme.pbx.test"),  # chose nobody: the reception
        ("hangup", "NORMAL_CLEARING")]
    assert key_5("first_last")[0] == ("set", "directory_search_order=first_name")


def test_names_are_spelled_and_split_as_mod_directory_does():
    assert directory.keypad("Dubois") == "382647"
    assert directory.keypad("d'Hondt-Élise 2") == "3466385473"  # letters only; É is no keypad letter
    assert directory.split_name("Piet de Vries") == ("Piet de", "Vries")
    assert directory.split_name("Cher") == ("Cher", "Cher")


def test_the_simulated_caller_spells_a_name_and_chooses():
    assert outcome("last_first", "382", "1") == "transferred:202"  # D-U-B: Marie Dubois
    assert outcome("first_last", "743", "1") == "transferred:203"  # P-I-E: Piet de Vries
    assert outcome("last_first", "743", "1") == "hung_up:NORMAL_CLEARING"  # no last name starts P-I-E
    # too short, then nothing found, then found: the third search counts
    assert outcome("last_first", "38", "999", "733", "1") == "transferred:204"  # P-E-E: Sofie Peeters
    # found, but not chosen: the reception (Jan, who does not answer here)
    assert outcome("last_first", "382", "") == "hung_up:NORMAL_CLEARING"
    answered = simulate_plan(PLAN, objects(), fx.OPEN, plan_id=1, keys=["5", "3", "8", "2", "#", ""], answers={"s1"})
    assert answered.outcome == "answered:s1"
    # the spelling also ends when the caller stops pressing keys (mod_directory's digit timeout)
    assert simulate_plan(PLAN, objects(), fx.OPEN, plan_id=1, keys=["5", "3", "8", "2", "", "1"]).outcome == "transferred:202"
