"""Properties of the engine on random plans: random nested trees of all step types (from the registry),
with references drawn from the fixture tenant's objects (and now and then one that does not exist), and
with diversions. For every such plan: the XML parses and is the same on every run, the JSON form reads
back to the same plan, the simulator never crashes and only walks the plan's steps, every step mark
names a step of the plan, every transfer inside the document lands on the segment it names, and the
validator (callplan/validate.py, when present) never crashes."""

from __future__ import annotations

import importlib.util
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings, strategies as st

import callplan.nodes as nodes  # before any CallPlan is validated: see test_registry
from callplan.compiler import compile_plan
from callplan.model import CallPlan
from callplan.nodes import hang_up, ivr
from callplan.simulator import simulate_plan
from tests.callplan import objects_fixture as fx

PLAN_ID, VERSION = 1, 3
MISSING = 999  # an id no object has: the engine must cope (validation reports it)
TYPES = sorted(nodes.BY_TYPE)
NESTING = {"time_condition", "ivr"}
MAX_DEPTH = 3
HAS_VALIDATE = importlib.util.find_spec("callplan.validate") is not None
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Text users type: any printable character (control characters are refused by the models, see
# test_hostile_text), including non-Latin letters, emoji, bidi marks and markup; not what callplan.text
# refuses besides the controls: the line and paragraph separators and the bidi overrides and isolates.
text = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"),
                     blacklist_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def ref(ids) -> st.SearchStrategy:
    return st.sampled_from(sorted(ids) + [MISSING])


@st.composite
def step_lists(draw, depth: int, max_size: int = 3) -> list[dict]:
    return [draw(steps(depth)) for _ in range(draw(st.integers(0, max_size)))]


@st.composite
def steps(draw, depth: int) -> dict:
    kind = draw(st.sampled_from(TYPES if depth < MAX_DEPTH else [t for t in TYPES if t not in NESTING]))
    step: dict = {"type": kind}
    if draw(st.booleans()):
        step["label"] = draw(st.text(text, max_size=30))
    nested = lambda: draw(step_lists(depth + 1))  # noqa: E731
    if kind == "time_condition":
        step["schedule"] = draw(ref(fx.SCHEDULES))
        step["holidays"] = draw(st.none() | ref(fx.HOLIDAYS))
        step["then"], step["else"] = nested(), nested()
    elif kind == "user":
        step.update(user=draw(ref(fx.USERS)), timeout_s=draw(st.integers(5, 600)), follow_forwarding=draw(st.booleans()))
    elif kind == "ring_group":
        step["group"] = draw(ref(fx.RING_GROUPS))
    elif kind == "queue":
        step.update(queue=draw(ref(fx.QUEUES)), max_wait_s=draw(st.none() | st.integers(10, 7200)))
    elif kind == "transfer":
        step["to"] = draw(st.one_of(
            st.fixed_dictionaries({"extension": st.sampled_from(sorted(fx.EXTENSIONS) + ["299", "4711"])}),
            st.fixed_dictionaries({"user": ref(fx.USERS)}),
            st.fixed_dictionaries({"external": st.sampled_from(["+32471234567", "0471234567", "112"])}),
            st.fixed_dictionaries({"plan": st.sampled_from([2, PLAN_ID, MISSING])}),
        ))
        step.update(announce=draw(st.booleans()), timeout_s=draw(st.integers(5, 600)))
    elif kind == "ivr":
        step["menu"] = draw(ref(fx.IVR_MENUS))
        step["keys"] = {key: nested() for key in draw(st.lists(st.sampled_from(ivr.KEYS), max_size=3, unique=True))}
        step["no_input"], step["invalid"] = nested(), nested()
    elif kind == "voicemail":
        step.update(box=draw(ref(fx.VOICEMAIL_BOXES)), greeting=draw(st.none() | ref(fx.AUDIO)),
                    mode=draw(st.sampled_from(["message", "announce_only"])))
    elif kind == "conference":
        step["room"] = draw(ref(fx.CONFERENCE_ROOMS))
    elif kind == "announcement":
        step["audio"] = draw(ref(fx.AUDIO))
    elif kind == "email":
        step.update(to=draw(st.lists(st.sampled_from(["info@example.com", "Boss@Example.COM", "a.b+c@mail.example.org"]),
                                     max_size=3)), webhooks=draw(st.booleans()))
    elif kind == "receive_fax":
        step.update(mail_to=draw(st.lists(st.sampled_from(["fax@example.com", "Office@Example.COM"]), max_size=2)),
                    station_id=draw(st.sampled_from(["", "+31 20 123 4567", "0201234567"])))
    elif kind == "prefix":
        step["text"] = draw(st.text(text, min_size=1, max_size=40))
    elif kind == "hang_up":
        step["cause"] = draw(st.sampled_from(hang_up.Cause.__args__))
    return step


@st.composite
def plans(draw) -> CallPlan:
    data = {
        "name": draw(st.text(text, min_size=1, max_size=40)),
        "numbers": draw(st.lists(st.sampled_from(["+3225805000", "+3225805001", "200", "2000"]), unique=True, max_size=3)),
        "diversions": [
            {"id": f"d{index}", "name": draw(st.text(text, min_size=1, max_size=20)),
             "category": draw(st.sampled_from(["A", "B"])), "active": draw(st.booleans()),
             "steps": draw(step_lists(1))}
            for index in range(draw(st.integers(0, 2)))
        ],
        "steps": draw(step_lists(0, max_size=5)),
    }
    _number_steps(data)
    return CallPlan.model_validate(data)


def _number_steps(data: dict) -> None:
    """Unique ids s1, s2, ... in document order (what the editor does)."""
    counter = iter(range(1, 10**6))

    def visit(step_list):
        for step in step_list:
            step["id"] = f"s{next(counter)}"
            for key in ("then", "else", "no_input", "invalid"):
                visit(step.get(key, []))
            for branch in step.get("keys", {}).values():
                visit(branch)

    for diversion in data["diversions"]:
        visit(diversion["steps"])
    visit(data["steps"])


instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(timezone.utc))
OBJECTS = fx.objects()


def step_ids(plan: CallPlan) -> set[str]:
    return {step.id for _, step in plan.walk()}


def extensions(document: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    root = ET.fromstring(document)
    return [(ext.get("name"), ext.find("condition").get("expression"),
             [(a.get("application"), a.get("data")) for a in ext.iter("action")]) for ext in root.iter("extension")]


def route(table, destination: str) -> str | None:
    """The extension FreeSWITCH's XML dialplan picks: the first whose condition matches."""
    for name, expression, _ in table:
        if re.search(expression, destination):
            return name
    return None


# -- properties ---------------------------------------------------------------------------------


@SETTINGS
@given(plans(), instants)
def test_compiling_gives_well_formed_xml_that_is_the_same_every_time(plan, at):
    first = compile_plan(plan, PLAN_ID, VERSION, OBJECTS, at)
    second = compile_plan(plan, PLAN_ID, VERSION, OBJECTS, at)
    assert first.document() == second.document()
    assert first.valid_until == second.valid_until
    assert first.valid_until is None or first.valid_until > at
    root = ET.fromstring(first.document())
    assert root.tag == "document"
    names = [name for name, _, _ in extensions(first.document())]
    assert len(names) == len(set(names)), "two segments with the same name"


@SETTINGS
@given(plans())
def test_the_json_form_reads_back_to_the_same_plan(plan):
    assert CallPlan.model_validate(plan.model_dump(mode="json", by_alias=True)) == plan
    assert CallPlan.model_validate_json(plan.model_dump_json(by_alias=True)) == plan


@SETTINGS
@given(plans(), instants)
def test_every_step_mark_is_a_step_of_the_plan(plan, at):
    ids = step_ids(plan)
    for _, _, actions in extensions(compile_plan(plan, PLAN_ID, VERSION, OBJECTS, at).document()):
        for application, value in actions:
            if application == "push":
                variable, mark = value.split("=", 1)
                assert variable == "cp_path"
                plan_id, version, step_id = mark.split(":")
                assert (plan_id, version) == (str(PLAN_ID), str(VERSION))
                assert step_id in ids


@SETTINGS
@given(plans(), instants)
def test_every_transfer_inside_the_document_lands_on_the_segment_it_names(plan, at):
    table = extensions(compile_plan(plan, PLAN_ID, VERSION, OBJECTS, at).document())
    own = f"cp{PLAN_ID}_"
    for name, _, actions in table:
        digits = ""
        for application, value in actions:
            if application == "play_and_get_digits":
                args = value.split(" ", 10)  # FreeSWITCH keeps the rest in the 11th: the failure target
                digits = ""
                if len(args) > 10:  # a menu (dial-by-extension has no failure target)
                    digits = re.sub(r"[\\^$\[\]]", "", args[8])  # the keys it accepts, from ^[0-9\*\#]$
                    target, dialplan, context = args[10].split(" ")
                    assert (dialplan, context) == ("XML", fx.DOMAIN)
                    assert route(table, target) == target
            if application != "transfer":
                continue
            target, dialplan, context = value.split(" ")
            assert (dialplan, context) == ("XML", fx.DOMAIN)
            if not target.startswith(own):
                continue  # an internal number or another plan: served by other documents
            if target.endswith("_${cp_digit}"):
                for key in digits:
                    expanded = target.replace("${cp_digit}", key)
                    assert route(table, expanded) == expanded, (name, expanded)
            elif target.endswith("_${cp_digit_invalid}"):
                assert route(table, target.replace("${cp_digit_invalid}", "")) == target.replace("_${cp_digit_invalid}", "_")
                assert route(table, target.replace("${cp_digit_invalid}", "7")) == target.replace("_${cp_digit_invalid}", "_x")
            else:
                assert "$" not in target
                assert route(table, target) == target, (name, target)


OUTCOMES = re.compile(r"^(answered:.+|hung_up:[A-Z_]+|voicemail:.+|conference:[0-9]+|fax|transferred:.+|announced|stopped:too_many_steps)$")


@SETTINGS
@given(plans(), instants, st.data())
def test_the_simulator_never_crashes_and_walks_only_the_plans_steps(plan, at, data):
    ids = step_ids(plan)
    result = simulate_plan(
        plan, OBJECTS, at, plan_id=PLAN_ID,
        caller_name=data.draw(st.text(text, max_size=20)),
        keys=data.draw(st.lists(st.sampled_from(list(ivr.KEYS) + ["", "7"]), max_size=6)),
        answers=data.draw(st.sets(st.sampled_from(sorted(ids))) if ids else st.just(set())),
    )
    assert set(result.steps) <= ids
    assert OUTCOMES.match(result.outcome), result.outcome
    assert result.entered == "plan" or result.entered.startswith("diversion:")


if HAS_VALIDATE:
    from callplan.validate import validate

    def resolve(document, pointer: str):
        node = document
        for part in pointer.split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            node = node[int(part)] if isinstance(node, list) else node[part]
        return node

    @SETTINGS
    @given(plans(), st.sampled_from([None, PLAN_ID, 2]))
    def test_the_validator_never_crashes_and_points_into_the_plan(plan, plan_id):
        report = validate(plan, OBJECTS, plan_id=plan_id)
        ids = step_ids(plan)
        document = plan.model_dump(mode="json", by_alias=True)
        for problem in report.errors + report.warnings:
            assert problem.step_id is None or problem.step_id in ids, problem
            resolve(document, problem.pointer)  # raises when the pointer leads nowhere


def test_the_generator_reaches_every_step_type_and_diversions():
    """The strategy above is only as good as its reach: find a handful of plans that use every step
    type and an active diversion (hypothesis.find fails when it cannot)."""

    def covers(found):
        seen = {step.type for plan in found for _, step in plan.walk()}
        return seen == set(TYPES) and any(d.active and d.steps for plan in found for d in plan.diversions)

    found = find(st.lists(plans(), min_size=1, max_size=20), covers, settings=settings(max_examples=500, database=None, phases=[Phase.generate]))
    assert covers(found)


def test_an_answered_reception_is_not_claimed_when_the_menu_has_none():
    """Found by reading the simulator; the compiled dialplan hangs up, the simulator says answered."""
    plan = CallPlan.model_validate({"name": "x", "steps": [{"id": "s1", "type": "ivr", "menu": 2}]})
    result = simulate_plan(plan, OBJECTS, fx.OPEN, keys=[], answers={"s1"})
    compiled = extensions(compile_plan(plan, PLAN_ID, VERSION, OBJECTS, fx.OPEN).document())
    assert dict((name, actions) for name, _, actions in compiled)["cp1_s1_failed_"][-1] == ("hangup", "NORMAL_CLEARING")
    assert result.outcome == "hung_up:NORMAL_CLEARING"


def test_segments_of_a_nested_menu_are_not_captured_by_the_outer_menus_invalid_branch():
    plan = CallPlan.model_validate({"name": "x", "steps": [
        {"id": "m", "type": "ivr", "menu": 2,
         "no_input": [{"id": "m_failed_again", "type": "ivr", "menu": 1}]},
    ]})
    table = extensions(compile_plan(plan, PLAN_ID, VERSION, OBJECTS, fx.OPEN).document())
    assert route(table, "cp1_m_failed_again_menu") == "cp1_m_failed_again_menu"


@SETTINGS
@given(plans(), instants)
def test_the_streamed_document_equals_the_tree_built_one(plan, at):
    """Compilation.document() streams the XML for speed; it must be exactly what ElementTree writes."""
    compilation = compile_plan(plan, PLAN_ID, VERSION, OBJECTS, at)
    assert compilation.document() == compilation.document_tree()


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.text(), st.text(alphabet="-pPrReE\"&<> x\x00\x1f\x7f\t\n\u00e9"), st.sampled_from(
    ["x-pre-process", "a-PRE-b", "continue_on_fail=true", "user/201@acme.test"])), max_size=8))
def test_a_whole_document_is_checked_as_each_value_would_be(values):
    """A document's values are checked for plainness at once (callplan.xml._all_plain_long, C loops over
    the joined text): the same answer as checking each value with _plain()."""
    from callplan import xml

    joined = " ".join(values)
    assert xml._all_plain_long(joined) == xml._plain(joined)
