"""fs_bridge.calls on real event texts (../shared/fixtures): the live ActiveCall rows, the steps a call took
(cp_path pushes serialised as FreeSWITCH does), one record per call however often events come, B legs."""

from __future__ import annotations

import os
import time
from pathlib import Path

import gevent
import pytest
from sqlmodel import Session, select

from fs_bridge.events import fixture_events, parse_plain
from fs_bridge.live_feed import LiveFeed
from fs_bridge.service import Bridge
from tests.web.call_record_samples import (CAPTURED_DOMAIN, FIXTURES, IVR_CALL, QUEUE_CALL, cdr_body, cdr_document,
                                           event_text)
from web.db import make_engine
from web.models.call_plan import CallPlanRecord, CallPlanVersion
from web.models.call_record import CallRecord
from web.models.live import ActiveCall
from web.models.pbx_user import PbxUser
from web.models.ring_group import RingGroup
from web.models.ring_group_state import RingGroupState
from web.models.tenant import Tenant

DOMAIN = "acme.pbx.test"


@pytest.fixture
def bridge(settings):
    bridge = Bridge(settings, make_engine(settings.database_url), feed=LiveFeed(port=0), modules=["fs_bridge.calls"])
    bridge.published = []
    bridge.feed.publish = lambda tenant_id, kind, data: bridge.published.append((tenant_id, kind, data))
    yield bridge
    bridge.engine.dispose()


@pytest.fixture
def tenant_id(bridge):
    with Session(bridge.engine) as db:
        tenant = Tenant(name="Acme", sip_domain=DOMAIN)
        db.add(tenant)
        db.commit()
        return tenant.id


def call_events(uuid: str) -> list[str]:
    """The channel events of one real call, in the order FreeSWITCH sent them (all-events capture)."""
    return [text for title, text in fixture_events(FIXTURES / "esl_all_events.txt")
            if title.split()[0] in ("CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_EXECUTE", "CHANNEL_BRIDGE",
                                    "CHANNEL_HANGUP_COMPLETE") and f"Unique-ID: {uuid}" in text]


def feed(bridge, texts) -> None:
    for text in texts:
        bridge.receive(parse_plain(text))
    bridge.drain()
    gevent.sleep(0.01)  # after-commit actions (the live feed) run in greenlets


def rows(bridge, model) -> list:
    with Session(bridge.engine) as db:
        return db.exec(select(model).order_by(model.id)).all()


def moved(text: str, **changes) -> str:
    return event_text(text, domain=DOMAIN, **changes)


def test_a_real_call_is_live_while_it_lasts_and_one_record_afterwards(bridge, tenant_id):
    events = [moved(t) for t in call_events(IVR_CALL)]
    names = [parse_plain(t).name for t in events]
    create, answer, hangup = names.index("CHANNEL_CREATE"), names.index("CHANNEL_ANSWER"), names.index("CHANNEL_HANGUP_COMPLETE")
    feed(bridge, events[: create + 1])
    (call,) = rows(bridge, ActiveCall)
    assert (call.call_uuid, call.state, call.tenant_id, call.caller_number, call.dialled_number) == (
        IVR_CALL, "ringing", tenant_id, "1001", "9000")
    assert call.direction == "internal"
    feed(bridge, events[create + 1: answer + 1])
    assert rows(bridge, ActiveCall)[0].state == "answered"
    feed(bridge, events[answer + 1: hangup + 1])
    assert rows(bridge, ActiveCall) == []
    (record,) = rows(bridge, CallRecord)
    assert record.sources == ["events"] and record.tenant_id == tenant_id and record.billed_seconds == 4
    kinds = [kind for _, kind, _ in bridge.published]
    assert kinds[0] == "call" and kinds[-1] == "call_ended"
    assert bridge.published[-1][2]["record_id"] == record.id and all(t == tenant_id for t, _, _ in bridge.published)


def test_events_replayed_after_a_reconnect_make_no_second_record(bridge, tenant_id):
    events = [moved(t) for t in call_events(IVR_CALL)] + [moved(t) for t in call_events(QUEUE_CALL)]
    feed(bridge, events)
    feed(bridge, events)  # FreeSWITCH's events again (a replay, a reconnect mid-stream)
    assert sorted(r.call_uuid for r in rows(bridge, CallRecord)) == sorted([IVR_CALL, QUEUE_CALL])
    assert rows(bridge, ActiveCall) == []


def test_steps_taken_are_rebuilt_from_real_event_texts(bridge, tenant_id):
    """The plan's steps mark the channel with `push cp_path=<plan>:<version>:<step>`: each push is a
    CHANNEL_EXECUTE (Application push), and at hangup the variable holds every entry as
    ARRAY::a|:b|:c (switch_event.c), URL-encoded in the event text (switch_event_serialize)."""
    events = call_events(IVR_CALL)
    execute = next(t for t in events if parse_plain(t).name == "CHANNEL_EXECUTE")
    path = ["7:3:welcome", "7:3:hours", "7:3:sales"]
    create = next(t for t in events if parse_plain(t).name == "CHANNEL_CREATE")
    feed(bridge, [moved(create)])
    for index, entry in enumerate(path):
        # the real CHANNEL_EXECUTE event of this call, running `push` as the plan's marks do
        feed(bridge, [moved(execute, headers={"Application": "push", "Application-Data": f"cp_path={entry}"},
                            push={"cp_path": path[:index]} if index else None)])
        assert rows(bridge, ActiveCall)[0].step == entry.split(":")[2]
    assert rows(bridge, ActiveCall)[0].plan_id == 7
    hangup = next(t for t in events if parse_plain(t).name == "CHANNEL_HANGUP_COMPLETE")
    text = moved(hangup, push={"cp_path": path}, set_vars={"cp_plan": "7", "cp_version": "3"})
    assert "variable_cp_path: ARRAY%3A%3A7%3A3%3Awelcome%7C%3A7%3A3%3Ahours%7C%3A7%3A3%3Asales" in text
    feed(bridge, [text])
    (record,) = rows(bridge, CallRecord)
    assert record.steps == ["welcome", "hours", "sales"] and (record.plan_id, record.plan_version) == (7, 3)


def test_a_path_through_two_plans_keeps_the_other_plans_marks(bridge, tenant_id):
    """A plan that transfers to another: the record belongs to the plan the call entered, the other
    plan's steps keep their whole mark."""
    hangup = next(t for t in call_events(IVR_CALL) if parse_plain(t).name == "CHANNEL_HANGUP_COMPLETE")
    feed(bridge, [moved(hangup, push={"cp_path": ["7:3:welcome", "7:3:to_sales", "9:1:ring"]},
                        set_vars={"cp_plan": "9", "cp_version": "1"})])  # cp_plan: the plan entered last
    record = rows(bridge, CallRecord)[0]
    assert (record.plan_id, record.plan_version, record.steps) == (7, 3, ["welcome", "to_sales", "9:1:ring"])


def test_a_single_push_has_no_array_prefix(bridge, tenant_id):
    hangup = next(t for t in call_events(IVR_CALL) if parse_plain(t).name == "CHANNEL_HANGUP_COMPLETE")
    text = moved(hangup, push={"cp_path": ["7:3:welcome"]})
    assert "variable_cp_path: 7%3A3%3Awelcome" in text
    feed(bridge, [text])
    assert rows(bridge, CallRecord)[0].steps == ["welcome"]


def test_the_cdr_and_the_events_agree_on_the_steps(bridge, tenant_id):
    """The same pushes, as mod_xml_cdr writes them (one <cp_path> element per entry), give the same steps."""
    from web.domain import call_records

    path = ["7:3:welcome", "7:3:menu"]
    from_cdr = call_records.from_xml(call_records.cdr_text(cdr_body(cdr_document(IVR_CALL, domain=DOMAIN,
                                                                                 push={"cp_path": path}))))
    hangup = next(t for t in call_events(IVR_CALL) if parse_plain(t).name == "CHANNEL_HANGUP_COMPLETE")
    from_event = call_records.from_event(parse_plain(moved(hangup, push={"cp_path": path})).headers)
    assert from_cdr.steps == from_event.steps == [{"plan_id": 7, "version": 3, "step": "welcome"},
                                                  {"plan_id": 7, "version": 3, "step": "menu"}]
    assert from_cdr == from_event  # every fact the same, whichever source


def _user(bridge, tenant_id, extension, first_name) -> int:
    with Session(bridge.engine) as db:
        user = PbxUser(tenant_id=tenant_id, first_name=first_name, extension=extension)
        db.add(user)
        db.commit()
        return user.id


def test_a_bridged_call_names_who_answered_and_teaches_the_ring_group(bridge, tenant_id):
    anna, bob = _user(bridge, tenant_id, "201", "Anna"), _user(bridge, tenant_id, "202", "Bob")
    with Session(bridge.engine) as db:
        group = RingGroup(tenant_id=tenant_id, name="Sales", strategy="circular",
                          members=[{"type": "user", "id": anna}, {"type": "user", "id": bob}])
        plan = CallPlanRecord(tenant_id=tenant_id, name="Main", draft={})
        db.add(group)
        db.add(plan)
        db.flush()
        db.add(CallPlanVersion(tenant_id=tenant_id, plan_id=plan.id, version=1, document={
            "steps": [{"id": "hello", "type": "announcement"}, {"id": "ring", "type": "ring_group", "group": group.id}]}))
        db.commit()
        group_id, plan_id = group.id, plan.id
    hangup = next(t for t in call_events(QUEUE_CALL) if parse_plain(t).name == "CHANNEL_HANGUP_COMPLETE")
    # the A leg bridged to Bob's phone: last_bridge_to and the bridge time, Bob's leg as originatee
    text = moved(hangup, push={"cp_path": [f"{plan_id}:1:hello", f"{plan_id}:1:ring"]},
                 set_vars={"cp_plan": str(plan_id), "cp_version": "1", "last_bridge_to": IVR_CALL,
                           "bridge_uepoch": "1795301145000000"},
                 headers={"Other-Type": "originatee", "Other-Leg-Destination-Number": "202",
                          "Other-Leg-Unique-ID": IVR_CALL, "Other-Leg-Channel-Name": f"sofia/internal/202@{DOMAIN}"})
    feed(bridge, [text])
    (record,) = rows(bridge, CallRecord)
    assert (record.answered_by_user_id, record.answered_by, record.missed, record.callee_number) == (bob, "Bob", False, "202")
    (state,) = rows(bridge, RingGroupState)
    assert state.ring_group_id == group_id and state.last_answered_index == 1
    assert set(state.last_call_at) == {f"user:{bob}"}


def test_a_queue_call_names_the_agent(bridge, tenant_id):
    carla = _user(bridge, tenant_id, "203", "Carla")
    hangup = next(t for t in call_events(QUEUE_CALL) if parse_plain(t).name == "CHANNEL_HANGUP_COMPLETE")
    # mod_callcenter sets these on the member's channel when an agent takes it (mod_callcenter.c)
    feed(bridge, [moved(hangup, set_vars={"cc_agent": f"u{carla}@{DOMAIN}", "cc_agent_uuid": IVR_CALL},
                        drop=("variable_cc_cause", "variable_cc_cancel_reason"))])
    (record,) = rows(bridge, CallRecord)
    assert (record.answered_by_user_id, record.answered_by, record.missed) == (carla, "Carla", False)


def test_b_legs_are_no_calls_but_say_who_answered(bridge, tenant_id):
    dirk = _user(bridge, tenant_id, "204", "Dirk")
    events = call_events(QUEUE_CALL)
    a_hangup = next(t for t in events if parse_plain(t).name == "CHANNEL_HANGUP_COMPLETE")
    feed(bridge, [moved(a_hangup, set_vars={"last_bridge_to": IVR_CALL, "bridge_uepoch": "1795301145000000"})])
    assert rows(bridge, CallRecord)[0].answered_by is None  # bridged, but to whom the A leg cannot tell
    b_events = [moved(t, set_vars={"originator": QUEUE_CALL, "cp_user_id": str(dirk)},
                      headers={"Other-Type": "originator", "Other-Leg-Unique-ID": QUEUE_CALL})
                for t in call_events(IVR_CALL)]
    feed(bridge, b_events)
    assert rows(bridge, ActiveCall) == []  # a B leg is part of its A leg's call
    (record,) = rows(bridge, CallRecord)
    assert record.call_uuid == QUEUE_CALL and (record.answered_by_user_id, record.answered_by) == (dirk, "Dirk")
    assert not record.missed


def test_a_carriers_call_is_inbound_and_learns_its_tenant_in_the_public_context(bridge, tenant_id):
    events = call_events(IVR_CALL)
    create = next(t for t in events if parse_plain(t).name == "CHANNEL_CREATE")
    external = {"variable_sofia_profile_name": "external", "Caller-Context": "public",
                "Caller-Caller-ID-Number": "+31612345678"}
    feed(bridge, [event_text(create, headers=external, drop=("variable_domain_name",))])
    assert rows(bridge, ActiveCall)[0].tenant_id is None and rows(bridge, ActiveCall)[0].direction == "inbound"
    execute = next(t for t in events if parse_plain(t).name == "CHANNEL_EXECUTE")
    feed(bridge, [moved(execute, headers={"variable_sofia_profile_name": "external"})])  # domain_name set by now
    assert rows(bridge, ActiveCall)[0].tenant_id == tenant_id
    hangup = next(t for t in events if parse_plain(t).name == "CHANNEL_HANGUP_COMPLETE")
    feed(bridge, [moved(hangup, set_vars={"sofia_profile_name": "external", "sip_req_user": "+31201234567"},
                        headers={"Caller-Caller-ID-Number": "+31612345678"})])
    (record,) = rows(bridge, CallRecord)
    assert (record.direction, record.call_type, record.missed, record.dialled_number) == (
        "inbound", "mobile", True, "+31201234567")


def test_tick_collects_the_spool_folder(bridge, tenant_id, settings):
    os.makedirs(settings.cdr_spool_dir)
    path = Path(settings.cdr_spool_dir) / f"a_{IVR_CALL}.cdr.xml"
    path.write_text(cdr_body(cdr_document(IVR_CALL, domain=DOMAIN))[4:])
    os.utime(path, (time.time() - 10, time.time() - 10))
    from fs_bridge import calls

    bridge.with_context(calls.tick)
    assert not path.exists() and [r.call_uuid for r in rows(bridge, CallRecord)] == [IVR_CALL]


def test_the_captured_domain_is_nobodys(bridge, tenant_id):
    hangup = next(t for t in call_events(IVR_CALL) if parse_plain(t).name == "CHANNEL_HANGUP_COMPLETE")
    assert f"variable_domain_name: {CAPTURED_DOMAIN}" in hangup
    feed(bridge, [hangup])  # unchanged: a record without a tenant, for the operator, not lost
    assert rows(bridge, CallRecord)[0].tenant_id is None


def test_after_a_reconnect_calls_freeswitch_no_longer_has_are_gone(bridge, tenant_id):
    from fs_bridge import calls

    creates = [next(t for t in call_events(uuid) if parse_plain(t).name == "CHANNEL_CREATE") for uuid in (IVR_CALL, QUEUE_CALL)]
    feed(bridge, [moved(t) for t in creates])
    assert len(rows(bridge, ActiveCall)) == 2
    bridge.api = lambda command, timeout=5.0: None  # FreeSWITCH did not answer: nothing changes
    bridge.with_context(calls.on_connected)
    assert len(rows(bridge, ActiveCall)) == 2
    # what mod_commands answers to `show channels as json` (only the queue call is still up)
    bridge.api = lambda command, timeout=5.0: ('{"row_count":1,"rows":[{"uuid":"%s","direction":"inbound",'
                                               '"created":"2026-11-21 22:45:43"}]}' % QUEUE_CALL)
    bridge.with_context(calls.on_connected)
    assert [c.call_uuid for c in rows(bridge, ActiveCall)] == [QUEUE_CALL]
    bridge.api = lambda command, timeout=5.0: '{"row_count":0}'
    bridge.with_context(calls.on_connected)
    assert rows(bridge, ActiveCall) == []
    assert calls.channel_uuids("-ERR no reply\n") is None and calls.channel_uuids('{"rows": []}') is None


def test_a_hostile_caller_id_is_kept_as_text(bridge, tenant_id):
    events = [moved(t, headers={"Caller-Caller-ID-Name": "Eve\x00" + "x" * 300, "Caller-Caller-ID-Number": "=1+2"})
              for t in call_events(IVR_CALL)]
    names = [parse_plain(t).name for t in events]
    feed(bridge, events[: names.index("CHANNEL_ANSWER") + 1])
    (call,) = rows(bridge, ActiveCall)
    assert call.caller_name.startswith("Evexxx") and len(call.caller_name) == 100 and call.caller_number == "=1+2"
    feed(bridge, events[names.index("CHANNEL_ANSWER") + 1:])
    (record,) = rows(bridge, CallRecord)
    assert record.caller_name.startswith("Evexxx") and "\x00" not in record.caller_name


# --- a call handed to the home switch (#19, callplan.home): one call, one tile, one record -------------------


@pytest.fixture
def home_bridge(settings):
    """The home switch's bridge: the same database, CALLPLAN_HOME_SWITCH set (so it knows the token)."""
    from dataclasses import replace

    home_settings = replace(settings, home_switch="fs1", home_switch_sip="127.0.0.2:5080", switch_name="fs1")
    bridge = Bridge(home_settings, make_engine(settings.database_url), feed=LiveFeed(port=0),
                    modules=["fs_bridge.calls"])
    bridge.published = []
    bridge.feed.publish = lambda tenant_id, kind, data: bridge.published.append((tenant_id, kind, data))
    yield bridge
    bridge.engine.dispose()


def _continuation(settings, events, origin: str, token: str) -> list[str]:
    """The home switch's leg of a handed-over call, as real events: the INVITE's headers on every event
    (sofia keeps them as sip_h_ variables), cp_home_origin once the public context has run (not yet at
    CHANNEL_CREATE)."""
    headers = {"sip_h_X-Callplan-Home": token, "sip_h_X-Callplan-Origin": origin, "sofia_profile_name": "external"}
    texts = []
    for text in events:
        event = parse_plain(text)
        late = {} if event.name == "CHANNEL_CREATE" else {"cp_home_origin": origin}
        # the company's queue 7 (the capture's queue has a name of its own)
        queue = {"Application-Data": f"q7@{DOMAIN}"} if event.get("Application") == "callcenter" else {}
        texts.append(moved(text, set_vars={**headers, **late}, headers=queue))
    return texts


def test_a_call_handed_to_the_home_switch_is_one_call_one_tile_one_record(bridge, home_bridge, tenant_id, settings):
    from web.domain.switches import handover_token

    carla = _user(bridge, tenant_id, "203", "Carla")
    token = handover_token(home_bridge.settings)
    # the forwarding switch: its A leg rings, is answered and bridged (to the home switch)
    first = [moved(t) for t in call_events(IVR_CALL)]
    names = [parse_plain(t).name for t in first]
    feed(bridge, first[: names.index("CHANNEL_ANSWER") + 1])
    (live,) = rows(bridge, ActiveCall)
    assert live.call_uuid == IVR_CALL
    # the home switch: the handed-over leg waits in a queue there; no second tile, the first one says so
    home_leg = _continuation(settings, call_events(QUEUE_CALL), IVR_CALL, token)
    home_names = [parse_plain(t).name for t in home_leg]
    feed(home_bridge, home_leg[: home_names.index("CHANNEL_HANGUP_COMPLETE")])
    (live,) = rows(bridge, ActiveCall)
    assert live.call_uuid == IVR_CALL and live.queue_id == 7 and live.state == "queued"
    assert {data["call_uuid"] for _, kind, data in home_bridge.published if kind == "call"} == {IVR_CALL}
    # the caller hangs up on the first switch (its bridge ends the call), then the home leg ends: one
    # record, which the home leg completes with the agent who took the call there
    feed(bridge, first[names.index("CHANNEL_ANSWER") + 1:])
    assert rows(bridge, ActiveCall) == []
    hangup = home_leg[home_names.index("CHANNEL_HANGUP_COMPLETE")]
    feed(home_bridge, [event_text(hangup, set_vars={"cc_agent": f"u{carla}@{DOMAIN}", "cc_agent_uuid": QUEUE_CALL},
                                  drop=("variable_cc_cause", "variable_cc_cancel_reason"))])
    assert rows(bridge, ActiveCall) == []
    (record,) = rows(bridge, CallRecord)
    assert record.call_uuid == IVR_CALL and (record.answered_by_user_id, record.answered_by) == (carla, "Carla")
    assert not [kind for _, kind, _ in home_bridge.published if kind == "call_ended"]


def test_a_hand_over_header_without_the_token_is_a_call_of_its_own(home_bridge, tenant_id, settings):
    """Anyone can write X-Callplan-Origin: without the installation's token it merges nothing."""
    home_leg = _continuation(settings, call_events(QUEUE_CALL), IVR_CALL, "0" * 32)
    create = home_leg[[parse_plain(t).name for t in home_leg].index("CHANNEL_CREATE")]
    feed(home_bridge, [create])
    assert [r.call_uuid for r in rows(home_bridge, ActiveCall)] == [QUEUE_CALL]


# --- a plan handed to the home switch at its queue step (#19): the home leg's steps and agent, either order ---

FIRST_PATH = ["12:3:hello"]  # the plan's steps on the switch the call landed on, up to the hand-over
HOME_PATH = ["12:3:wait", "12:3:after"]  # on the home switch: the queue step and what followed


def _handed_plan(settings, bridge, home_bridge, tenant_id):
    """The two legs of one call, as real events: the forwarding switch's (its hangup carrying its path and
    bridged to the hand-over) and the home switch's (the queue, the agent Carla, its own path)."""
    from web.domain.switches import handover_token

    carla = _user(bridge, tenant_id, "203", "Carla")
    token = handover_token(home_bridge.settings)
    first = [moved(t) for t in call_events(IVR_CALL)]
    names = [parse_plain(t).name for t in first]
    first[names.index("CHANNEL_HANGUP_COMPLETE")] = moved(
        first[names.index("CHANNEL_HANGUP_COMPLETE")], push={"cp_path": FIRST_PATH},
        set_vars={"cp_plan": "12", "cp_version": "3", "last_bridge_to": QUEUE_CALL, "bridge_uepoch": "1795301143600000",
                  "bridge_channel": f"sofia/external/cp-home-{tenant_id}-plan-12-3-wait@127.0.0.2:5080",
                  "callee_id_number": f"cp-home-{tenant_id}-plan-12-3-wait"})
    home_leg = _continuation(settings, call_events(QUEUE_CALL), IVR_CALL, token)
    home_names = [parse_plain(t).name for t in home_leg]
    hangup = home_leg[home_names.index("CHANNEL_HANGUP_COMPLETE")]
    home_leg[home_names.index("CHANNEL_HANGUP_COMPLETE")] = event_text(
        hangup, push={"cp_path": HOME_PATH}, set_vars={"cc_agent": f"u{carla}@{DOMAIN}", "cc_agent_uuid": QUEUE_CALL,
                                                       "cp_plan": "12", "cp_version": "3"},
        drop=("variable_cc_cause", "variable_cc_cancel_reason"))
    return carla, first, home_leg


def test_the_home_legs_steps_and_agent_complete_the_record_when_the_first_switchs_comes_first(
        bridge, home_bridge, tenant_id, settings):
    carla, first, home_leg = _handed_plan(settings, bridge, home_bridge, tenant_id)
    feed(bridge, first)
    (record,) = rows(bridge, CallRecord)
    # bridged to the home switch is nobody's answer: the hand-over's number is not "who answered"
    assert (record.answered_by, record.answered_by_user_id, record.missed) == (None, None, True)
    feed(home_bridge, home_leg)
    (record,) = rows(bridge, CallRecord)
    assert record.call_uuid == IVR_CALL and record.steps == ["hello", "wait", "after"]
    assert (record.answered_by_user_id, record.answered_by, record.missed) == (carla, "Carla", False)
    assert record.caller_number == "1001" and record.dialled_number == "9000" and "home" in record.sources
    # told again (the CDR posts of both switches): nothing doubles, nothing is lost
    feed(home_bridge, home_leg[-1:])
    feed(bridge, first[-1:])
    (record,) = rows(bridge, CallRecord)
    assert record.steps == ["hello", "wait", "after"] and record.answered_by_user_id == carla


def test_the_home_legs_record_stored_first_is_taken_over_by_the_call(bridge, home_bridge, tenant_id, settings):
    """Each bridge commits on its own: the home leg's end may be stored before the first switch's record
    exists. Who answered there and its steps are kept, and the call's own facts take over the rest."""
    carla, first, home_leg = _handed_plan(settings, bridge, home_bridge, tenant_id)
    feed(home_bridge, home_leg)
    (record,) = rows(bridge, CallRecord)
    assert record.call_uuid == IVR_CALL and record.sources == ["home"]
    assert (record.answered_by_user_id, record.answered_by) == (carla, "Carla")
    feed(bridge, first)
    (record,) = rows(bridge, CallRecord)
    assert record.call_uuid == IVR_CALL and record.steps == ["hello", "wait", "after"]
    assert (record.answered_by_user_id, record.answered_by, record.missed) == (carla, "Carla", False)
    # the call's own facts: where it was dialled, when it started (the home leg started later)
    assert record.dialled_number == "9000" and record.sources == ["home", "events"]
    first_start = parse_plain(first[-1]).var("start_uepoch")
    assert int(record.started_at.replace(tzinfo=None).timestamp()) == int(first_start) // 1_000_000
    # the first switch's end published once, as the merged record
    (ended,) = [data for _, kind, data in bridge.published if kind == "call_ended"]
    assert ended["answered_by"] == "Carla" and ended["call_uuid"] == IVR_CALL
    feed(home_bridge, home_leg[-1:])
    (record,) = rows(bridge, CallRecord)
    assert record.steps == ["hello", "wait", "after"]


def test_the_forwarding_legs_answer_does_not_overwrite_the_home_legs_queue(bridge, home_bridge, tenant_id, settings):
    """The forwarding switch's leg is answered when the home leg answers: the tile then already says the
    caller waits in the home switch's queue, which that older copy of the row must not undo."""
    _, first, home_leg = _handed_plan(settings, bridge, home_bridge, tenant_id)
    names = [parse_plain(t).name for t in first]
    feed(bridge, first[: names.index("CHANNEL_CREATE") + 1])
    home_names = [parse_plain(t).name for t in home_leg]
    feed(home_bridge, home_leg[: home_names.index("CHANNEL_HANGUP_COMPLETE")])
    (live,) = rows(bridge, ActiveCall)
    assert (live.state, live.queue_id) == ("queued", 7)
    handing = {"current_application": "bridge",
               "current_application_data": f"{{sip_h_X-Callplan-Home=x}}sofia/external/cp-home-{tenant_id}-plan-12-3-wait@127.0.0.2:5080"}
    feed(bridge, [event_text(first[names.index("CHANNEL_ANSWER")], set_vars=handing)])
    (live,) = rows(bridge, ActiveCall)
    assert (live.state, live.queue_id) == ("queued", 7)
    # an answer of anything else is an answer
    feed(bridge, [first[names.index("CHANNEL_ANSWER")]])
    (live,) = rows(bridge, ActiveCall)
    assert live.state == "answered"
