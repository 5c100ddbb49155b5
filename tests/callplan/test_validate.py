"""callplan.validate: each check with its exact code and pointer, all problems at once, and random plans
built from the step registry (valid ones stay clean; broken on purpose, the break is found)."""

from __future__ import annotations

import copy
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from callplan import nodes
from callplan.compiler import compile_to_xml
from callplan.model import CallPlan
from callplan.nodes import ivr
from callplan.objects import TenantObjects
from callplan.validate import KINDS, MAX_DEPTH, MAX_STEPS, Problem, Report, validate

PLAN_ID = 1
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def period(day, start, end):
    return {"from_day": day, "from_time": start, "to_day": day, "to_time": end}


def tenant(**changes) -> TenantObjects:
    """Three of everything (ids 1-3), and this plan (id 1) with its numbers."""
    data = {
        "tenant_id": 7,
        "domain": "acme.example",
        "users": {i: {"id": i, "extension": f"10{i}", "name": f"User {i}"} for i in (1, 2, 3)},
        "ring_groups": {i: {"id": i, "name": f"Group {i}", "members": [{"type": "user", "id": 1}]} for i in (1, 2, 3)},
        "queues": {i: {"id": i, "name": f"Queue {i}", "extension": f"30{i}"} for i in (1, 2, 3)},
        "ivr_menus": {i: {"id": i, "name": f"Menu {i}", "keys": {"1": {"action": "forward", "destination": {"type": "user", "id": 1}}}}
                      for i in (1, 2, 3)},
        "voicemail_boxes": {i: {"id": i, "name": f"Box {i}", "extension": f"50{i}"} for i in (1, 2, 3)},
        "conference_rooms": {i: {"id": i, "name": f"Room {i}", "pin": f"12{i}4"} for i in (1, 2, 3)},
        "schedules": {i: {"id": i, "name": f"Hours {i}", "periods": [period(d, "08:30", "17:00") for d in WEEKDAYS]} for i in (1, 2, 3)},
        "holidays": {i: {"id": i, "name": f"Holidays {i}", "entries": []} for i in (1, 2, 3)},
        "audio": {i: {"id": i, "name": f"Audio {i}"} for i in (1, 2, 3)},
        "plans": {1: {"id": 1, "name": "Reception", "numbers": ["200"]}, 2: {"id": 2, "name": "Sales"}, 3: {"id": 3, "name": "Support"}},
        "extensions": {"101": "user", "102": "user", "103": "user", "301": "queue", "302": "queue", "303": "queue",
                       "501": "voicemail_box", "502": "voicemail_box", "503": "voicemail_box", "200": "call_plan:1"},
    }
    data.update(changes)
    return TenantObjects.model_validate(data)


def plan(steps=(), **fields) -> CallPlan:
    return CallPlan.model_validate({"name": "Reception", "steps": list(steps), **fields})


def found(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.code, p.pointer) for p in problems]


def check(steps=(), objects=None, plan_id=PLAN_ID, **fields) -> Report:
    return validate(plan(steps, **fields), objects or tenant(), plan_id=plan_id)


def step(type_, id_, **fields):
    return {"id": id_, "type": type_, **fields}


HANG_UP = step("hang_up", "end")


# -- 1. references -------------------------------------------------------------------------------


@pytest.mark.parametrize("body, suffix", [
    (step("user", "s1", user=99), "/user"),
    (step("ring_group", "s1", group=99), "/group"),
    (step("queue", "s1", queue=99), "/queue"),
    (step("ivr", "s1", menu=99), "/menu"),
    (step("voicemail", "s1", box=99), "/box"),
    (step("voicemail", "s1", box=1, greeting=99), "/greeting"),
    (step("announcement", "s1", audio=99), "/audio"),
    (step("time_condition", "s1", schedule=99, then=[step("announcement", "s2", audio=1)]), "/schedule"),
    (step("time_condition", "s1", schedule=1, holidays=99, then=[step("announcement", "s2", audio=1)]), "/holidays"),
    (step("transfer", "s1", to={"user": 99}), "/to/user"),
    (step("transfer", "s1", to={"plan": 99}), "/to/plan"),
    (step("transfer", "s1", to={"extension": "999"}), "/to/extension"),
])
def test_a_reference_to_a_missing_object_is_an_error_at_its_field(body, suffix):
    report = check([body])
    assert found(report.errors) == [("unknown_reference", "/steps/0" + suffix)]
    assert report.errors[0].step_id == "s1"
    assert "99" in report.errors[0].message and "does not exist" in report.errors[0].message


def test_a_missing_reference_deep_inside_names_the_nested_step():
    steps = [step("time_condition", "t", schedule=1, then=[HANG_UP],
                  **{"else": [step("ivr", "menu", menu=1, keys={"#": [step("queue", "q", queue=42), step("hang_up", "h")]})]})]
    report = check(steps)
    assert found(report.errors) == [("unknown_reference", "/steps/0/else/0/keys/#/0/queue")]
    assert report.errors[0].step_id == "q"


def test_a_transfer_to_this_plan_is_not_a_missing_reference_even_when_the_plan_is_unpublished():
    objects = tenant(plans={})
    report = check([step("transfer", "s1", to={"plan": PLAN_ID})], objects)
    assert found(report.errors) == [("transfer_cycle", "/steps/0/to/plan")]


# -- 2. unreachable steps ------------------------------------------------------------------------


def test_every_step_after_a_terminal_step_is_unreachable():
    report = check([step("announcement", "a", audio=1), HANG_UP, step("email", "m"), step("prefix", "p", text="X")])
    assert found(report.errors) == [("unreachable", "/steps/2"), ("unreachable", "/steps/3")]
    assert [p.step_id for p in report.errors] == ["m", "p"]
    assert "“end” (hang up)" in report.errors[0].message


@pytest.mark.parametrize("terminal", [
    step("voicemail", "x", box=1),
    step("ivr", "x", menu=1),
    step("hang_up", "x"),
    step("transfer", "x", to={"plan": 2}),
    step("transfer", "x", to={"extension": "301"}),  # a queue's number takes the call over
])
def test_terminal_step_types(terminal):
    report = check([terminal, step("announcement", "after", audio=1)])
    assert found(report.errors) == [("unreachable", "/steps/1")]


@pytest.mark.parametrize("ringing", [
    step("transfer", "x", to={"extension": "101"}),  # a phone: unanswered goes on
    step("transfer", "x", to={"user": 1}),
    step("transfer", "x", to={"external": "+32470000000"}),
    step("user", "x", user=1),
    step("queue", "x", queue=1),
    step("ring_group", "x", group=1),
])
def test_ringing_steps_let_the_call_go_on(ringing):
    assert check([ringing, HANG_UP]).errors == []


def test_unreachable_steps_are_found_in_every_nested_list():
    after = step("announcement", "late", audio=1)
    steps = [
        step("time_condition", "t", schedule=1,
             then=[step("hang_up", "h1"), dict(after, id="a1")],
             **{"else": [step("voicemail", "v", box=1), dict(after, id="a2")]}),
        step("ivr", "menu", menu=1,
             keys={"2": [step("hang_up", "h2"), dict(after, id="a3")]},
             no_input=[step("transfer", "tp", to={"plan": 2}), dict(after, id="a4")],
             invalid=[step("ivr", "inner", menu=2), dict(after, id="a5")]),
    ]
    diversions = [{"id": "d", "name": "Away", "steps": [step("hang_up", "h3"), dict(after, id="a6")]}]
    report = check(steps, diversions=diversions)
    assert found(report.errors) == [
        ("unreachable", "/diversions/0/steps/1"),
        ("unreachable", "/steps/0/then/1"),
        ("unreachable", "/steps/0/else/1"),
        ("unreachable", "/steps/1"),  # both branches of the time condition end the call
        ("unreachable", "/steps/1/keys/2/1"),
        ("unreachable", "/steps/1/no_input/1"),
        ("unreachable", "/steps/1/invalid/1"),
    ]


def test_a_row_of_time_conditions_reads_as_if_else_if_otherwise():
    chain = step("time_condition", "if", schedule=1, then=[step("queue", "q", queue=1), step("voicemail", "v1", box=1)],
                 **{"else": [step("time_condition", "elif", schedule=2, then=[step("ivr", "i", menu=1)],
                                  **{"else": [step("hang_up", "otherwise")]})]})
    report = check([chain, step("announcement", "never", audio=1)])
    assert found(report.errors) == [("unreachable", "/steps/1")]


@pytest.mark.parametrize("then, else_", [
    ([step("hang_up", "h")], []),  # closed: falls through
    ([step("hang_up", "h")], [step("announcement", "a", audio=1)]),  # else falls through
    ([step("announcement", "a", audio=1)], [step("hang_up", "h")]),  # then falls through
])
def test_a_time_condition_that_can_fall_through_is_not_terminal(then, else_):
    report = check([step("time_condition", "t", schedule=1, then=then, **{"else": else_}), step("voicemail", "next", box=1)])
    assert report.errors == []


# -- 3. empty branches ---------------------------------------------------------------------------


def test_a_time_condition_without_then_steps():
    report = check([step("time_condition", "t", schedule=1, then=[], **{"else": [HANG_UP]})])
    assert found(report.errors) == [("empty_branch", "/steps/0/then")]
    assert report.errors[0].step_id == "t"


def test_an_ivr_where_no_key_does_anything():
    objects = tenant(ivr_menus={1: {"id": 1, "name": "Bare", "keys": {"1": {"action": None}}}})
    report = check([step("ivr", "menu", menu=1)], objects)
    assert found(report.errors) == [("empty_branch", "/steps/0/keys")]
    # a key of its own is enough
    assert check([step("ivr", "menu", menu=1, keys={"1": [HANG_UP]})], objects).errors == []


def test_a_diversion_without_steps():
    report = check([HANG_UP], diversions=[{"id": "d1", "name": "Holiday", "steps": []}])
    assert found(report.errors) == [("empty_branch", "/diversions/0/steps")]


# -- 4. step ids and IVR keys ----------------------------------------------------------------------


def test_step_ids_are_unique_across_the_whole_plan_diversions_included():
    steps = [step("time_condition", "t", schedule=1, then=[step("email", "same")]), step("prefix", "same", text="X"), HANG_UP]
    diversions = [{"id": "d1", "name": "Away", "steps": [step("voicemail", "end", box=1)]}]
    report = check(steps, diversions=diversions)
    assert found(report.errors) == [("duplicate_step_id", "/steps/1/id"), ("duplicate_step_id", "/steps/2/id")]
    assert "/steps/0/then/0" in report.errors[0].message
    assert "/diversions/0/steps/0" in report.errors[1].message


def test_a_step_key_that_overrides_a_menu_key_action_is_no_problem():
    # the plan's steps win for that key; the canvas draws them in the key's branch instead of the
    # menu's action (tests/callplan/test_ivr_keys.py: compiler and simulator alike)
    report = check([step("ivr", "menu", menu=1, keys={"1": [HANG_UP], "2": [step("hang_up", "h2")]})])
    assert report.ok
    assert found(report.warnings) == []


# -- 5. transfer cycles --------------------------------------------------------------------------


def test_a_transfer_to_the_same_plan():
    report = check([step("announcement", "a", audio=1), step("transfer", "loop", to={"plan": PLAN_ID})])
    assert found(report.errors) == [("transfer_cycle", "/steps/1/to/plan")]
    assert report.errors[0].step_id == "loop"


def test_a_cycle_through_another_plan():
    objects = tenant(plans={1: {"id": 1, "name": "A"}, 2: {"id": 2, "name": "B", "transfers_to": [1]}})
    report = check([step("transfer", "to_b", to={"plan": 2})], objects)
    assert found(report.errors) == [("transfer_cycle", "/steps/0/to/plan")]
    assert "B" in report.errors[0].message


def test_a_longer_cycle_names_the_way_round():
    objects = tenant(plans={1: {"id": 1, "name": "A"}, 2: {"id": 2, "name": "B", "transfers_to": [3]},
                            3: {"id": 3, "name": "C", "transfers_to": [1, 2]}})
    report = check([step("ivr", "m", menu=1, keys={"5": [step("transfer", "deep", to={"plan": 2})]})], objects)
    assert found(report.errors) == [("transfer_cycle", "/steps/0/keys/5/0/to/plan")]
    assert "“B” → plan “C” → this plan" in report.errors[0].message


def test_a_transfer_to_a_plan_by_its_internal_number_counts():
    objects = tenant(plans={1: {"id": 1, "name": "A"}, 2: {"id": 2, "name": "B", "numbers": ["220"], "transfers_to": [1]}},
                     extensions={"220": "call_plan:2"})
    report = check([step("transfer", "x", to={"extension": "220"})], objects)
    assert found(report.errors) == [("transfer_cycle", "/steps/0/to/extension")]


def test_no_cycle_when_the_other_plans_never_come_back():
    objects = tenant(plans={1: {"id": 1, "name": "A", "transfers_to": [2]},  # its own stale published version: ignored
                            2: {"id": 2, "name": "B", "transfers_to": [3]}, 3: {"id": 3, "name": "C", "transfers_to": [2]}})
    assert check([step("transfer", "x", to={"plan": 2})], objects).errors == []


def test_a_new_plan_cannot_be_in_a_cycle_yet():
    objects = tenant(plans={2: {"id": 2, "name": "B", "transfers_to": [1]}})
    assert check([step("transfer", "x", to={"plan": 2})], objects, plan_id=None).errors == []


# -- 6. numbers ----------------------------------------------------------------------------------


def test_a_number_of_another_plan_or_another_owner_is_taken():
    objects = tenant(plans={1: {"id": 1, "name": "A", "numbers": ["200"]}, 2: {"id": 2, "name": "Sales", "numbers": ["+3225805000"]}},
                     extensions={"200": "call_plan:1", "201": "user", "202": "call_plan:3", "203": "call_plan"})
    report = check([HANG_UP], objects, numbers=["200", "+3225805000", "201", "202", "203", "299"])
    assert found(report.errors) == [("number_taken", "/numbers/1"), ("number_taken", "/numbers/2"),
                                    ("number_taken", "/numbers/3"), ("number_taken", "/numbers/4")]
    assert "Sales" in report.errors[0].message
    assert "a user" in report.errors[1].message


def test_a_new_plan_may_not_take_a_plans_number():
    report = check([HANG_UP], plan_id=None, numbers=["200"])
    assert found(report.errors) == [("number_taken", "/numbers/0")]


def test_the_owner_kind_without_an_id_is_this_plan_when_it_already_has_the_number():
    objects = tenant(extensions={"200": "call_plan"})
    assert check([HANG_UP], objects, numbers=["200"]).errors == []


def test_a_number_listed_twice_is_a_warning():
    report = check([HANG_UP], numbers=["200", "200"])
    assert report.ok and found(report.warnings) == [("duplicate_number", "/numbers/1")]


# -- 7. size -------------------------------------------------------------------------------------


def nested(levels: int) -> dict:
    """`levels` time conditions inside each other, the innermost holding a hang-up."""
    inner = [step("hang_up", "leaf")]
    for level in range(levels, 0, -1):
        inner = [step("time_condition", f"t{level}", schedule=1, then=inner)]
    return inner[0]


def test_nesting_deeper_than_the_limit_is_reported_once_where_it_starts():
    assert check([nested(MAX_DEPTH - 1)]).errors == []  # the hang-up is level 10
    report = check([nested(MAX_DEPTH + 2)])
    assert found(report.errors) == [("too_deep", "/steps/0" + "/then/0" * MAX_DEPTH)]
    assert report.errors[0].step_id == f"t{MAX_DEPTH + 1}"


def test_too_many_steps():
    many = [step("announcement", f"a{i}", audio=1) for i in range(MAX_STEPS - 1)]
    assert check(many + [HANG_UP]).errors == []
    report = check(many + [step("email", "one_more"), HANG_UP])
    assert found(report.errors) == [("too_many_steps", "")]


# -- 8. warnings ---------------------------------------------------------------------------------


def test_a_ringing_step_with_nothing_after_it():
    report = check([step("announcement", "a", audio=1), step("queue", "q", queue=1)])
    assert report.ok
    assert found(report.warnings) == [("no_fallback", "/steps/1")]
    assert report.warnings[0].step_id == "q"


@pytest.mark.parametrize("steps, pointers", [
    ([step("ring_group", "g", group=1), step("voicemail", "v", box=1)], []),
    ([step("transfer", "t", to={"plan": 2})], []),  # takes the call over: not a ringing end
    ([step("time_condition", "t", schedule=1, then=[step("user", "u", user=1)]), HANG_UP], []),  # the hang-up follows
    ([step("time_condition", "t", schedule=1, then=[step("user", "u", user=1)])], ["/steps/0/then/0"]),  # nothing follows
    ([step("ivr", "m", menu=1, keys={"3": [step("queue", "q", queue=1)]})], ["/steps/0/keys/3/0"]),  # the key's list hangs up
])
def test_no_fallback_follows_where_the_call_goes_next(steps, pointers):
    report = check(steps)
    assert report.ok
    assert found(report.warnings) == [("no_fallback", p) for p in pointers]


def test_the_last_ringing_step_of_a_diversion():
    report = check([HANG_UP], diversions=[{"id": "d1", "name": "Mobile", "steps": [step("transfer", "m", to={"external": "+32470000000"})]}])
    assert found(report.warnings) == [("no_fallback", "/diversions/0/steps/0")]


def test_a_group_that_forwards_unanswered_calls_itself_skips_what_follows():
    objects = tenant(ring_groups={1: {"id": 1, "name": "Sales", "forward_after": {"type": "queue", "id": 1}},
                                  2: {"id": 2, "name": "Mobile", "forward_after": {"type": "external", "number": "+32470000000"}}})
    report = check([step("ring_group", "g", group=1), step("voicemail", "v", box=1)], objects)
    assert report.ok and found(report.warnings) == [("skipped", "/steps/1")]
    # forwarding to a phone comes back when unanswered
    report = check([step("ring_group", "g", group=2), step("voicemail", "v", box=1)], objects)
    assert report.ok and report.warnings == []


def test_a_schedule_without_opening_hours():
    objects = tenant(schedules={1: {"id": 1, "name": "Never", "periods": []}})
    report = check([step("time_condition", "t", schedule=1, then=[HANG_UP])], objects)
    assert report.ok
    assert found(report.warnings) == [("schedule_gap", "/steps/0/schedule")]
    assert "Never" in report.warnings[0].message


def test_schedule_lint_warnings_are_shown_on_the_step():
    periods = [period(d, "09:00", "17:00") for d in ("mon", "tue", "thu", "fri")] + [period("mon", "12:00", "13:00")]
    objects = tenant(schedules={1: {"id": 1, "name": "Office", "periods": periods}})
    steps = [step("time_condition", "t", schedule=1, then=[step("email", "e")]),
             step("time_condition", "t2", schedule=1, then=[step("email", "e2")]), HANG_UP]
    report = check(steps, objects)
    assert report.ok
    assert found(report.warnings) == [("schedule_gap", "/steps/0/schedule")] * 2 + [("schedule_gap", "/steps/1/schedule")] * 2
    messages = " | ".join(p.message for p in report.warnings)
    assert "period 5, overlaps period 1" in messages and "never open on wed" in messages


# -- 9. empty plans ------------------------------------------------------------------------------


def test_an_empty_plan_is_a_warning_unless_a_diversion_is_on():
    report = check([])
    assert report.ok and found(report.warnings) == [("empty_plan", "/steps")]
    on = [{"id": "d1", "name": "Away", "active": True, "steps": [step("voicemail", "v", box=1)]}]
    assert check([], diversions=on).warnings == []


# -- diversions ----------------------------------------------------------------------------------


def test_two_diversions_on_in_one_category_and_ids_used_twice():
    diversions = [{"id": "d1", "name": "Mobile", "category": "A", "active": True, "steps": [step("hang_up", "h1")]},
                  {"id": "d1", "name": "Night", "category": "A", "active": True, "steps": [step("hang_up", "h2")]},
                  {"id": "d3", "name": "Fire", "category": "B", "active": True, "steps": [step("hang_up", "h3")]}]
    report = check([HANG_UP], diversions=diversions)
    assert found(report.errors) == [("duplicate_diversion_id", "/diversions/1/id"), ("diversion_conflict", "/diversions/1/active")]


# -- the whole -----------------------------------------------------------------------------------


def spec_example() -> tuple[CallPlan, TenantObjects]:
    """The example of the spec (shared/spec/callplan.md), its names replaced by ids."""
    objects = tenant(
        queues={1: {"id": 1, "name": "support", "max_wait_s": 300}},
        ring_groups={2: {"id": 2, "name": "backoffice", "members": [{"type": "user", "id": 1}, {"type": "user", "id": 2}]}},
        schedules={1: {"id": 1, "name": "office-hours", "periods": [period(d, "08:30", "17:30") for d in WEEKDAYS]},
                   2: {"id": 2, "name": "lunch", "periods": [period(d, "12:00", "13:00") for d in WEEKDAYS]}},
        holidays={1: {"id": 1, "name": "be-holidays", "entries": [{"start_date": "2026-12-25", "yearly": True}]}},
        ivr_menus={1: {"id": 1, "name": "lunch-menu", "keys": {"1": {"action": "forward", "destination": {"type": "user", "id": 1}}}}},
        audio={1: {"id": 1, "name": "closed-nl"}},
        plans={1: {"id": 1, "name": "Reception", "numbers": ["+3225805000", "200"]}},
        extensions={"101": "user", "102": "user", "200": "call_plan:1"},
    )
    plan = CallPlan.model_validate({
        "name": "Reception",
        "numbers": ["+3225805000", "200"],
        "diversions": [{"id": "d1", "name": "Everything to the duty mobile", "category": "A", "active": False,
                        "steps": [{"id": "s9", "type": "transfer", "to": {"external": "+32467890123"}}]}],
        "steps": [
            {"id": "s1", "type": "time_condition", "schedule": 1, "holidays": 1, "then": [
                {"id": "s2", "type": "queue", "queue": 1, "max_wait_s": 120},
                {"id": "s3", "type": "prefix", "text": "MISSED-Q "},
                {"id": "s4", "type": "ring_group", "group": 2}]},
            {"id": "s5", "type": "time_condition", "schedule": 2, "then": [{"id": "s6", "type": "ivr", "menu": 1}]},
            {"id": "s7", "type": "announcement", "audio": 1},
            {"id": "s8", "type": "email", "to": ["info@example.com"]},
            {"id": "s10", "type": "hang_up"},
        ],
    })
    return plan, objects


def test_the_spec_example_is_valid():
    plan, objects = spec_example()
    report = validate(plan, objects, plan_id=1)
    assert report.ok, report.as_dict()
    # the duty mobile is the diversion's only step: if it is not answered, nothing else happens
    assert found(report.warnings) == [("no_fallback", "/diversions/0/steps/0")]
    assert report.as_dict()["warnings"][0] == {"step_id": "s9", "pointer": "/diversions/0/steps/0", "code": "no_fallback",
                                               "message": report.warnings[0].message}


def test_every_problem_is_reported_at_once():
    steps = [step("user", "u", user=99), HANG_UP, step("email", "after"), step("transfer", "loop", to={"plan": PLAN_ID})]
    report = check(steps, numbers=["101"])
    assert sorted(found(report.errors)) == [
        ("number_taken", "/numbers/0"),
        ("transfer_cycle", "/steps/3/to/plan"),
        ("unknown_reference", "/steps/0/user"),
        ("unreachable", "/steps/2"),
        ("unreachable", "/steps/3"),
    ]
    assert not report.ok
    assert report.as_dict()["ok"] is False and len(report.as_dict()["errors"]) == 5


def test_three_different_problems_give_three_entries():
    report = check([step("queue", "q", queue=99), step("hang_up", "q"), step("email", "late")])
    assert sorted(p.code for p in report.errors) == ["duplicate_step_id", "unknown_reference", "unreachable"]


# -- random plans from the registry -----------------------------------------------------------------

IDS = st.sampled_from([1, 2, 3])
KEYS = st.sampled_from(list(ivr.KEYS))


def _builders(children):
    """A strategy per step type for a step (without its id) whose references all exist in tenant()."""
    lists = st.lists(children, max_size=3)
    return {
        "time_condition": st.fixed_dictionaries({"type": st.just("time_condition"), "schedule": IDS, "then": st.lists(children, min_size=1, max_size=3),
                                                 "else": lists}, optional={"holidays": IDS}),
        "user": st.fixed_dictionaries({"type": st.just("user"), "user": IDS}, optional={"timeout_s": st.integers(5, 600), "follow_forwarding": st.booleans()}),
        "ring_group": st.fixed_dictionaries({"type": st.just("ring_group"), "group": IDS}),
        "queue": st.fixed_dictionaries({"type": st.just("queue"), "queue": IDS}, optional={"max_wait_s": st.integers(10, 7200)}),
        "transfer": st.fixed_dictionaries({"type": st.just("transfer"), "to": st.one_of(
            st.builds(lambda i: {"user": i}, IDS), st.builds(lambda i: {"plan": i}, st.sampled_from([2, 3])),
            st.builds(lambda n: {"extension": n}, st.sampled_from(["101", "301", "502"])), st.just({"external": "+3225805000"}))},
            optional={"announce": st.booleans()}),
        "ivr": st.fixed_dictionaries({"type": st.just("ivr"), "menu": IDS},
                                     optional={"keys": st.dictionaries(KEYS, lists, max_size=3), "no_input": lists, "invalid": lists}),
        "voicemail": st.fixed_dictionaries({"type": st.just("voicemail"), "box": IDS},
                                           optional={"greeting": IDS, "mode": st.sampled_from(["message", "announce_only"])}),
        "conference": st.fixed_dictionaries({"type": st.just("conference"), "room": IDS}),
        "record": st.fixed_dictionaries({"type": st.just("record"), "tell_caller": st.booleans()}),
        "receive_fax": st.fixed_dictionaries({"type": st.just("receive_fax")}, optional={
            "mail_to": st.just(["fax@example.com"]), "station_id": st.sampled_from(["", "+31 20 123 4567"])}),
        "announcement": st.fixed_dictionaries({"type": st.just("announcement"), "audio": IDS}),
        "email": st.fixed_dictionaries({"type": st.just("email"), "to": st.just(["info@example.com"])}),
        "prefix": st.fixed_dictionaries({"type": st.just("prefix"), "text": st.text(min_size=1, max_size=10).filter(lambda t: t.isprintable())}),
        "hang_up": st.fixed_dictionaries({"type": st.just("hang_up")}),
    }


BRANCHING = {"time_condition", "ivr"}


def test_the_strategy_knows_every_step_type():
    assert set(_builders(st.nothing())) == set(nodes.BY_TYPE)


def _leaves():
    return st.one_of([s for name, s in _builders(st.nothing()).items() if name not in BRANCHING])


def _trees(children):
    return st.one_of([s for name, s in _builders(children).items() if name in BRANCHING])


STEPS = st.recursive(_leaves(), _trees, max_leaves=25)
PLANS = st.fixed_dictionaries({
    "name": st.just("Random"),
    "steps": st.lists(STEPS, max_size=6),
    "diversions": st.lists(st.fixed_dictionaries({"name": st.just("D"), "active": st.booleans(), "steps": st.lists(STEPS, min_size=1, max_size=3)}),
                           max_size=2),
})


def lists_of(data: dict):
    """Every step list of a plan's JSON with its pointer."""
    found_lists = []

    def visit(steps, pointer):
        found_lists.append((pointer, steps))
        for index, item in enumerate(steps):
            here = f"{pointer}/{index}"
            for name in ("then", "else", "no_input", "invalid"):
                if name in item:
                    visit(item[name], f"{here}/{name}")
            for key, branch in item.get("keys", {}).items():
                visit(branch, f"{here}/keys/{key}")

    for index, diversion in enumerate(data["diversions"]):
        visit(diversion["steps"], f"/diversions/{index}/steps")
    visit(data["steps"], "/steps")
    return found_lists


def numbered(data: dict) -> dict:
    """Give every step and diversion a unique id."""
    data = copy.deepcopy(data)
    for index, diversion in enumerate(data["diversions"]):
        diversion["id"] = f"d{index}"
        diversion["category"] = f"C{index}"  # one per category: several may be on
    counter = 0
    for _, steps in lists_of(data):
        for item in steps:
            counter += 1
            item["id"] = f"s{counter}"
    return data


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
AT = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)


@FUZZ
@given(PLANS)
def test_random_plans_with_valid_references_have_no_reference_errors_and_compile_when_valid(data):
    plan = CallPlan.model_validate(numbered(data))
    kinds = {kind for _, step in plan.walk() for _, kind, _ in nodes.module_for(step).references(step)}
    assert kinds <= set(KINDS)  # a kind the validator does not know would go unchecked
    report = validate(plan, tenant(), plan_id=PLAN_ID)
    codes = {p.code for p in report.errors}
    assert not codes & {"unknown_reference", "duplicate_step_id", "duplicate_diversion_id", "diversion_conflict", "transfer_cycle"}
    assert all(p.pointer.startswith(("/steps", "/diversions")) for p in report.errors + report.warnings)
    if report.ok:
        ET.fromstring(compile_to_xml(plan, PLAN_ID, 1, tenant(), AT))


@FUZZ
@given(PLANS, st.data())
def test_removing_a_referenced_object_is_caught(data, draw):
    plan = CallPlan.model_validate(numbered(data))
    references = [(step.id, pointer + suffix, kind, ident) for pointer, step in plan.walk()
                  for suffix, kind, ident in nodes.module_for(step).references(step)]
    if not references:
        return
    step_id, pointer, kind, ident = draw.draw(st.sampled_from(references))
    objects = tenant()
    table = {"holiday_schedule": "holidays", "plan": "plans", "extension": "extensions", "audio": "audio"}.get(kind, kind + "s")
    if kind == "voicemail_box":
        table = "voicemail_boxes"
    del getattr(objects, table)[ident]
    report = validate(plan, objects, plan_id=PLAN_ID)
    assert ("unknown_reference", pointer) in found(report.errors)
    assert step_id in {p.step_id for p in report.errors}


@FUZZ
@given(PLANS, st.data())
def test_adding_a_transfer_cycle_is_caught(data, draw):
    data = numbered(data)
    pointer, steps = draw.draw(st.sampled_from(lists_of(data)))
    index = draw.draw(st.integers(0, len(steps)))
    steps.insert(index, {"id": "loop", "type": "transfer", "to": {"plan": 3}})
    objects = tenant()
    objects.plans[3].transfers_to = [2]
    objects.plans[2].transfers_to = [PLAN_ID]
    report = validate(CallPlan.model_validate(data), objects, plan_id=PLAN_ID)
    assert ("transfer_cycle", f"{pointer}/{index}/to/plan") in found(report.errors)


@FUZZ
@given(PLANS, st.data())
def test_a_step_inserted_after_a_hang_up_is_caught(data, draw):
    data = numbered(data)
    pointer, steps = draw.draw(st.sampled_from(lists_of(data)))
    index = draw.draw(st.integers(0, len(steps)))
    steps[index:index] = [{"id": "stop", "type": "hang_up"}, {"id": "late", "type": "prefix", "text": "X"}]
    report = validate(CallPlan.model_validate(data), tenant(), plan_id=PLAN_ID)
    assert ("unreachable", f"{pointer}/{index + 1}") in found(report.errors)
    assert not report.ok


def test_the_deepest_plan_pydantic_accepts_is_refused_without_exhausting_the_stack():
    deep = plan([nested(250)])
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(500)  # well under the ~750 frames walking all 250 levels would take
    try:
        report = validate(deep, tenant(), plan_id=PLAN_ID)
    finally:
        sys.setrecursionlimit(limit)
    assert found(report.errors) == [("too_deep", "/steps/0" + "/then/0" * MAX_DEPTH)]
