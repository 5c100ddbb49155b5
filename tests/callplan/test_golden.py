"""Golden dialplans: for each step type (and the spec's example plan) a small plan is compiled at a fixed
instant against the fixture tenant, and the XML must equal tests/callplan/golden/<name>.xml.

The files are pretty-printed (xml.dom.minidom) so a change shows as a readable diff, and start with a
comment holding the plan and the instant, so each file can be reviewed on its own. They are rewritten
only on purpose:

    CALLPLAN_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/callplan/test_golden.py

then read the diff: it is exactly what FreeSWITCH will get."""

from __future__ import annotations

import re

import json
import os
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from xml.dom import minidom

import pytest

import callplan.nodes  # noqa: F401  (before any CallPlan is validated: see test_registry)
from callplan.compiler import compile_plan
from callplan.model import CallPlan
from callplan.simulator import simulate_plan
from tests.callplan import objects_fixture as fx

GOLDEN = Path(__file__).resolve().parent / "golden"
REGENERATE = os.environ.get("CALLPLAN_REGENERATE_GOLDEN") == "1"
PLAN_ID, VERSION = 1, 3


def plan(*steps, name="Reception", numbers=("+3225805000", "200"), diversions=()) -> CallPlan:
    return CallPlan.model_validate({"name": name, "numbers": list(numbers), "diversions": list(diversions),
                                    "steps": list(steps)})


SPEC_STEPS = [
    {"id": "s1", "type": "time_condition", "schedule": 1, "holidays": 1, "then": [
        {"id": "s2", "type": "queue", "queue": 1, "max_wait_s": 120},
        {"id": "s3", "type": "prefix", "text": "MISSED-Q "},
        {"id": "s4", "type": "ring_group", "group": 2},
    ]},
    {"id": "s5", "type": "time_condition", "schedule": 2, "then": [{"id": "s6", "type": "ivr", "menu": 2}]},
    {"id": "s7", "type": "announcement", "audio": 5},
    {"id": "s8", "type": "email", "to": ["info@example.com"]},
    {"id": "s10", "type": "hang_up"},
]
SPEC_DIVERSION = {"id": "d1", "name": "Everything to the duty mobile", "category": "A", "active": False,
                  "steps": [{"id": "s9", "type": "transfer", "to": {"external": "+32467890123"}}]}

CASES: dict[str, tuple[CallPlan, datetime]] = {
    "time_condition": (plan(
        {"id": "s1", "type": "time_condition", "schedule": 1, "holidays": 1, "then": [
            {"id": "s2", "type": "time_condition", "schedule": 2,
             "then": [{"id": "s3", "type": "announcement", "audio": 4}],
             "else": [{"id": "s4", "type": "queue", "queue": 1}]},
        ], "else": [{"id": "s5", "type": "voicemail", "box": 1}]},
        {"id": "s6", "type": "hang_up"},
    ), fx.LUNCH),
    "user": (plan(
        {"id": "s1", "type": "user", "user": 201, "label": "Jan: desk and mobile, then mobile alone"},
        {"id": "s2", "type": "user", "user": 203, "label": "Piet forwards everything to Marie"},
        {"id": "s3", "type": "user", "user": 204, "label": "Sofie is on DND; busy goes to 202"},
        {"id": "s4", "type": "user", "user": 202, "timeout_s": 15, "follow_forwarding": False},
    ), fx.OPEN),
    "ring_group": (plan(
        {"id": "s1", "type": "ring_group", "group": 1},
        {"id": "s2", "type": "ring_group", "group": 2},
        {"id": "s3", "type": "ring_group", "group": 4},
        {"id": "s4", "type": "ring_group", "group": 5},
        {"id": "s5", "type": "ring_group", "group": 3},
    ), fx.OPEN),
    "queue": (plan(
        {"id": "s1", "type": "queue", "queue": 1},
        {"id": "s2", "type": "queue", "queue": 2, "max_wait_s": 60},
        {"id": "s3", "type": "voicemail", "box": 1},
    ), fx.OPEN),
    "transfer": (plan(
        {"id": "s1", "type": "transfer", "to": {"external": "+32471234567"}, "announce": True},
        {"id": "s2", "type": "transfer", "to": {"extension": "202"}, "timeout_s": 20},
        {"id": "s3", "type": "transfer", "to": {"user": 201}, "timeout_s": 25},
        {"id": "s4", "type": "transfer", "to": {"extension": "600"}},
    ), fx.OPEN),
    "ivr": (plan(
        {"id": "s1", "type": "ivr", "menu": 1,
         "keys": {"5": [{"id": "s2", "type": "queue", "queue": 2}, {"id": "s3", "type": "voicemail", "box": 1}],
                  "#": [{"id": "s4", "type": "hang_up"}]},
         "no_input": [{"id": "s5", "type": "voicemail", "box": 1}]},
    ), fx.OPEN),
    "voicemail": (plan(
        {"id": "s1", "type": "voicemail", "box": 2, "greeting": 5},
    ), fx.OPEN),
    "voicemail_announce_only": (plan(
        {"id": "s1", "type": "voicemail", "box": 1, "mode": "announce_only"},
    ), fx.OPEN),
    "conference": (plan(
        {"id": "s1", "type": "announcement", "audio": 1},
        {"id": "s2", "type": "conference", "room": 1},
    ), fx.OPEN),
    "announcement": (plan(
        {"id": "s1", "type": "announcement", "audio": 1},
        {"id": "s2", "type": "ring_group", "group": 1},
    ), fx.OPEN),
    "record": (plan(
        {"id": "s1", "type": "record"},
        {"id": "s2", "type": "user", "user": 202},
        {"id": "s3", "type": "record", "tell_caller": False},
    ), fx.OPEN),
    "receive_fax": (plan(
        {"id": "s1", "type": "receive_fax", "mail_to": ["fax@example.com"], "station_id": "+31 20 123 4567"},
    ), fx.OPEN),
    "email": (plan(
        {"id": "s1", "type": "user", "user": 202},
        {"id": "s2", "type": "email", "to": ["info@example.com", "Boss@Example.com"], "webhooks": False},
        {"id": "s3", "type": "hang_up", "cause": "NO_ANSWER"},
    ), fx.OPEN),
    "prefix": (plan(
        {"id": "s1", "type": "prefix", "text": "MISSED-Q "},
        {"id": "s2", "type": "ring_group", "group": 1},
        {"id": "s3", "type": "prefix", "text": "R&D <\"2\"> "},
        {"id": "s4", "type": "user", "user": 202},
    ), fx.OPEN),
    "hang_up": (plan(
        {"id": "s1", "type": "hang_up", "cause": "USER_BUSY"},
    ), fx.OPEN),
    "diversion": (plan(*SPEC_STEPS, diversions=[
        SPEC_DIVERSION,
        {"id": "d2", "name": "Night service", "category": "B", "active": True,
         "steps": [{"id": "s11", "type": "transfer", "to": {"plan": 2}}]},
        {"id": "d3", "name": "Closed", "category": "C", "active": True, "steps": [{"id": "s12", "type": "hang_up"}]},
    ]), fx.OPEN),
    "spec_example_open": (plan(*SPEC_STEPS, diversions=[SPEC_DIVERSION]), fx.OPEN),
    "spec_example_lunch": (plan(*SPEC_STEPS, diversions=[SPEC_DIVERSION]), fx.LUNCH),
    "spec_example_closed": (plan(*SPEC_STEPS, diversions=[SPEC_DIVERSION]), fx.CLOSED),
}


def render(name: str) -> str:
    """The compiled document, pretty-printed, after a comment saying what was compiled."""
    the_plan, at = CASES[name]
    compilation = compile_plan(the_plan, PLAN_ID, VERSION, fx.objects(), at)
    document = minidom.parseString(compilation.document())
    valid_until = compilation.valid_until.isoformat() if compilation.valid_until else "no time condition decided"
    header = [
        f" {name}: plan {PLAN_ID} version {VERSION} compiled at {at.isoformat()} ({fx.ZONE}); valid until {valid_until} ",
        " plan: " + json.dumps(the_plan.model_dump(mode="json", by_alias=True, exclude_defaults=True), ensure_ascii=False) + " ",
    ]
    for text in header:
        document.insertBefore(document.createComment(text), document.documentElement)
    return document.toprettyxml(indent="  ")


@pytest.mark.parametrize("name", sorted(CASES))
def test_compiled_dialplan_matches_the_golden_file(name):
    path = GOLDEN / f"{name}.xml"
    actual = render(name)
    if REGENERATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with CALLPLAN_REGENERATE_GOLDEN=1 and review it"
    assert actual == path.read_text(encoding="utf-8"), (
        f"{path.name} differs: if the change is intended, rerun with CALLPLAN_REGENERATE_GOLDEN=1 and review the diff")


def test_every_step_type_has_a_golden_file():
    from callplan.nodes import BY_TYPE

    assert set(BY_TYPE) <= set(CASES)
    covered = {step.type for the_plan, _ in CASES.values() for _, step in the_plan.walk()}
    assert covered == set(BY_TYPE)


def test_no_golden_file_is_left_without_a_case():
    assert {path.stem for path in GOLDEN.glob("*.xml")} == set(CASES)


def test_golden_files_are_well_formed_freeswitch_documents():
    for name in CASES:
        root = ET.parse(GOLDEN / f"{name}.xml").getroot()
        assert root.tag == "document" and root.get("type") == "freeswitch/xml"
        (section,) = root
        assert section.get("name") == "dialplan"
        (context,) = section
        assert context.get("name") == fx.DOMAIN
        assert context[0].get("name") == f"cp{PLAN_ID}_entry"


# -- what the golden files show, asserted on their own so a regeneration cannot silently accept it ----


def actions(name: str) -> dict[str, list[tuple[str, str]]]:
    root = ET.fromstring(compile_plan(CASES[name][0], PLAN_ID, VERSION, fx.objects(), CASES[name][1]).document())
    return {ext.get("name"): [(a.get("application"), a.get("data")) for a in ext.iter("action")]
            for ext in root.iter("extension")}


def test_the_document_says_how_long_its_time_decisions_hold():
    lunch = compile_plan(*_args("time_condition"))
    assert lunch.valid_until == datetime.fromisoformat("2026-03-10T12:00:00+00:00")  # lunch ends 13:00 CET
    open_ = compile_plan(*_args("spec_example_open"))
    assert open_.valid_until == datetime.fromisoformat("2026-03-10T11:00:00+00:00")  # lunch starts 12:00 CET
    closed = compile_plan(*_args("spec_example_closed"))
    assert closed.valid_until == datetime.fromisoformat("2026-03-11T07:30:00+00:00")  # opens Wed 08:30 CET


def _args(name):
    the_plan, at = CASES[name]
    return the_plan, PLAN_ID, VERSION, fx.objects(), at


def test_the_entry_answers_the_plan_numbers_and_its_own_name():
    root = ET.fromstring(compile_plan(*_args("spec_example_open")).document())
    entry = root.find(".//extension[@name='cp1_entry']/condition")
    assert entry.get("field") == "destination_number"
    assert entry.get("expression") == r"^(\+3225805000|200|cp1_entry)$"


def test_the_first_active_diversion_wins():
    entry = actions("diversion")["cp1_entry"]
    assert ("push", "cp_path=1:3:s11") in entry
    assert entry[-1] == ("transfer", "cp2_entry XML acme.pbx.test")
    assert not any("s12" in data for _, data in entry)


def test_two_prefixes_show_on_the_phone_as_the_simulator_says():
    the_plan, at = CASES["prefix"]
    simulated = simulate_plan(the_plan, fx.objects(), at, caller_name="Alice").caller_name
    assert simulated == 'R&D <"2"> MISSED-Q Alice'
    # play the sets as FreeSWITCH would: cp_prefix stacks, the name shown is cp_prefix + caller name
    variables = {"cp_prefix": "", "caller_id_name": "Alice"}
    for app, data in actions("prefix")["cp1_entry"]:
        if app == "set" and data.startswith(("cp_prefix=", "effective_caller_id_name=")):
            name, value = data.split("=", 1)
            variables[name] = re.sub(r"\$\{(\w+)\}", lambda m: variables.get(m.group(1), ""), value)
    assert variables["effective_caller_id_name"] == simulated


def test_every_leg_of_a_bridge_has_its_timeout():
    for app, data in actions("user")["cp1_entry"]:
        if app == "bridge":
            for group in data.split("|"):
                for leg in re.split(r",(?![^\[]*\])", group):
                    assert leg.startswith("[leg_timeout="), (leg, data)
