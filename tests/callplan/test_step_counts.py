"""callplan.step_counts: what a path counts for (reached once per call, ended where its last step of the
plan was and how), and which path is the busiest."""

from callplan.step_counts import count, document_steps

DOCUMENT = {"name": "P", "diversions": [{"id": "d1", "name": "D", "steps": [{"id": "x", "type": "hang_up"}]}], "steps": [
    {"id": "m", "type": "ivr", "menu": 1, "keys": {"1": [{"id": "u", "type": "user", "user": 1}]}, "no_input": [],
     "invalid": []},
    {"id": "t", "type": "transfer", "to": {"plan": 9}},
    {"id": "v", "type": "voicemail", "box": 1},
]}


def test_document_steps_are_in_order_plan_first_then_diversions():
    assert document_steps(DOCUMENT) == [("m", "ivr"), ("u", "user"), ("t", "transfer"), ("v", "voicemail"), ("x", "hang_up")]


def test_each_way_a_call_ends_and_a_repeated_step_reached_once():
    found = count(document_steps(DOCUMENT), [
        (["m", "m", "u"], True, 4),  # the menu repeated, then the user answered
        (["m", "u"], False, 2),  # the user did not answer and the caller hung up
        (["t", "9:2:a", "9:2:b"], False, 3),  # on into plan 9
        (["t", "9:2:a"], True, 1),  # answered in plan 9: answered, whoever it was
        (["v"], False, 5),
        (["x"], False, 0),  # a row counted down to nothing
        ([], False, 2),  # entered the plan, took no step of it
        (["gone"], False, 1),  # a step the version does not have
    ])
    rows = {row.step: row for row in found.steps}
    assert found.calls == 18
    assert {step: row.reached for step, row in rows.items()} == {"m": 6, "u": 6, "t": 4, "v": 5, "x": 0}
    assert rows["u"].ended == 6 and rows["u"].outcomes == {"answered": 4, "voicemail": 0, "transferred": 0, "hung_up": 2}
    assert rows["m"].ended == 0
    assert rows["t"].outcomes == {"answered": 1, "voicemail": 0, "transferred": 3, "hung_up": 0}
    assert rows["v"].outcomes == {"answered": 0, "voicemail": 5, "transferred": 0, "hung_up": 0}
    assert found.unknown_steps == 1
    assert found.busiest == (["v"], 5)


def test_the_busiest_path_is_a_whole_path_and_ties_go_to_the_shorter():
    steps = document_steps(DOCUMENT)
    # m, u: 5 calls however they ended, tied with v alone; the shorter wins, and of equal length the first
    found = count(steps, [(["m", "u"], True, 3), (["m", "u"], False, 2), (["v"], False, 5), (["t", "9:1:a"], False, 4)])
    assert found.busiest == (["v"], 5)
    assert count(steps, [(["v"], False, 5), (["t", "9:1:a"], False, 5)]).busiest == (["t"], 5)
    assert count(steps, []).busiest is None and count(steps, []).calls == 0
