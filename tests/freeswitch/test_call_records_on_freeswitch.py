"""What a real FreeSWITCH's CHANNEL_HANGUP_COMPLETE says about who answered, read by web.domain.call_records:
the plans and phones of test_plans_on_freeswitch.py (its fixtures), calls answered by a ring group's
member, by a user, by a queue's agent, and by nobody. Skips without FreeSWITCH or SIPp, as that module does."""

from __future__ import annotations

from tests.freeswitch.test_plans_on_freeswitch import pbx, pytestmark  # noqa: F401  (fixture, its skip and marker)
from web.domain import call_records


def facts_of(call) -> call_records.Facts:
    return call_records.from_event(call.hangup)


def test_a_ring_group_member_answering_is_named_by_the_a_leg(pbx):  # noqa: F811
    call, uac, simulated = pbx.call(2, answers={"s2"})
    facts = facts_of(call)
    assert facts.bridged, call.explain("bridged")
    assert facts.answered_candidates[0] == "202", (facts.answered_candidates, call.explain("who answered"))
    assert [s["step"] for s in facts.steps] == simulated.steps
    assert not facts.is_b_leg and facts.billed_seconds >= 0 and facts.answered_at is not None


def test_nobody_answering_is_no_bridge(pbx):  # noqa: F811
    call, uac, simulated = pbx.call(1)
    facts = facts_of(call)
    assert not facts.bridged and facts.answered_candidates == []
    assert [s["step"] for s in facts.steps] == simulated.steps


def test_a_queue_agent_answering_is_named(pbx):  # noqa: F811
    call, uac, simulated = pbx.call(15, answers={"s1"})
    facts = facts_of(call)
    # the harness's agent is "anna@<domain>" (not the app's u<id>@ form): bridged, answered by her phone
    assert call.hangup.get("variable_cc_agent", "").startswith("anna@"), call.explain("agent")
    assert facts.bridged, call.explain("bridged to the agent")

