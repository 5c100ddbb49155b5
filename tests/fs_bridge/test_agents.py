"""Queue agents mirrored from mod_callcenter's callcenter::info texts (the fixtures' agent-status-change
events) into queue_agent; the bridge's own hold ('Logged Out' for an agent without a phone) never taken
for the agent's choice; the status reconciled after a reconnect; the status callcenter.conf carries.
On SQLite and PostgreSQL, against the test ESL server."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlmodel import select

from fs_bridge import agents, registrations
from tests.fs_bridge.agents_rig import DOMAIN, HEAD, Rig, agent_list, register_text, state_text, status_text
from web import clock
from web.db import session_scope


@pytest.fixture
def rig(settings, database_url):
    rig = Rig(settings, database_url)
    yield rig
    rig.close()


def test_status_change_texts_become_the_agents_row(rig):
    rig.send(register_text(), status_text(rig.agent, "Available", index=0))
    row = rig.agent_row()
    assert (row.status, row.phone_registered, row.tenant_id) == ("Available", True, rig.tenant_id)
    assert row.status_changed_at is not None
    rig.send(status_text(rig.agent, "On Break", index=1, sequence=578))
    assert rig.agent_row().status == "On Break"
    rig.send(state_text(rig.agent, "In a queue call"))
    assert rig.agent_row().state == "In a queue call"
    lines = [line for line in rig.feed_lines() if line["kind"] == "agent"]
    assert [line["data"]["status"] for line in lines][-3:] == ["Available", "On Break", "On Break"]
    assert lines[-1]["data"]["state"] == "In a queue call" and lines[-1]["tenant_id"] == rig.tenant_id
    assert rig.status_commands() == []  # FreeSWITCH already holds what it told us


def test_the_captured_texts_for_agents_not_ours_change_nothing(rig):
    rig.send(status_text("1001@default", "Available"), status_text(f"u999999@{DOMAIN}", "Available"),
             status_text("u1@other.example", "Available"))
    with session_scope(rig.engine) as db:
        from web.models.live import QueueAgent

        assert db.exec(select(QueueAgent)).all() == []


def test_our_own_hold_is_not_recorded_as_the_agents_choice(rig):
    rig.set_agent("Available", registered=False)
    rig.send(status_text(rig.agent, "Logged Out"))
    row = rig.agent_row()
    assert row.status == "Available" and row.phone_registered is False


def test_available_chosen_without_a_phone_is_kept_and_held(rig):
    rig.send(status_text(rig.agent, "Available"))  # e.g. from fs_cli: no phone of the user is registered
    assert rig.agent_row().status == "Available"
    assert rig.wait_commands(1) == [f"callcenter_config agent set status {rig.agent} 'Logged Out'"]


def test_a_real_logout_is_recorded(rig):
    rig.send(register_text())
    rig.set_agent("Available", registered=True)
    rig.send(status_text(rig.agent, "Logged Out"))  # the feature code, dialled from the registered phone
    assert rig.agent_row().status == "Logged Out"


def test_agent_status_webhook_is_queued_once_per_event(rig):
    notices = pytest.importorskip("fs_bridge.notices")
    if not hasattr(notices, "enqueue_webhooks"):
        pytest.skip("fs_bridge.notices.enqueue_webhooks is not there yet")
    from web.models.notification import OutboxMessage, WebhookSubscription

    with session_scope(rig.engine) as db:
        db.add(WebhookSubscription(tenant_id=rig.tenant_id, url="https://hooks.example/agents", secret_sealed="x",
                                   events=["agent_status"]))
    rig.send(register_text(), status_text(rig.agent, "On Break", sequence=700))
    rig.send(status_text(rig.agent, "On Break", sequence=700))  # the same event again (a replay)
    with session_scope(rig.engine) as db:
        [message] = db.exec(select(OutboxMessage)).all()
        assert message.event == "agent_status" and message.tenant_id == rig.tenant_id
        assert message.payload["data"]["status"] == "on_break" and message.payload["data"]["user_id"] == rig.user_id


def test_reconnect_sends_a_choice_made_while_freeswitch_was_away(rig):
    rig.send(register_text())
    rig.set_agent("On Break", registered=True, changed_at=clock.now())
    an_hour_ago = int((clock.now() - timedelta(hours=1)).timestamp())
    rig.switch.api_answers[agents.LIST_COMMAND] = agent_list((rig.agent, "Available", an_hour_ago))
    rig.bridge.with_context(registrations.on_connected)
    gevent_wait(rig)
    assert rig.wait_commands(1) == [f"callcenter_config agent set status {rig.agent} 'On Break'"]
    assert rig.agent_row().status == "On Break"


def test_reconnect_records_a_change_made_in_freeswitch_meanwhile(rig):
    rig.send(register_text())
    rig.set_agent("Available", registered=True, changed_at=clock.now() - timedelta(hours=1))
    just_now = int(clock.now().timestamp())
    rig.switch.api_answers[agents.LIST_COMMAND] = agent_list((rig.agent, "On Break", just_now))
    rig.bridge.with_context(registrations.on_connected)
    gevent_wait(rig)
    assert rig.agent_row().status == "On Break"
    assert rig.status_commands() == []


def test_reconnect_holds_an_available_agent_whose_phone_went_meanwhile(rig):
    rig.set_agent("Available", registered=True, changed_at=clock.now())
    rig.switch.api_answers[registrations.RESYNC_COMMAND] = "<profile>\n  <registrations>\n  </registrations>\n</profile>\n"
    rig.switch.api_answers[agents.LIST_COMMAND] = agent_list((rig.agent, "Available", int(clock.now().timestamp()) - 60))
    rig.bridge.with_context(registrations.on_connected)
    assert rig.wait_commands(1) == [f"callcenter_config agent set status {rig.agent} 'Logged Out'"]
    row = rig.agent_row()
    assert row.status == "Available" and row.phone_registered is False


def test_parse_agent_list_reads_freeswitchs_answer():
    text = open("/work/shared/fixtures/freeswitch-1.10.12/esl_api_outputs.txt").read()
    section = text.split("######## api callcenter_config agent list\n", 1)[1].split("########", 1)[0]
    [entry] = agents.parse_agent_list(section)
    assert (entry["name"], entry["status"], entry["last_status_change"]) == ("1001@default", "On Break", "1795301143")


def test_callcenter_conf_holds_agents_without_a_phone_logged_out(rig):
    from web.xml_curl import configuration

    def statuses():
        document = configuration.answer(rig.engine, rig.settings, {"key_value": "callcenter.conf"})
        conf = ET.fromstring(document).find("section/configuration")
        return {a.get("name"): a.get("status") for a in conf.find("agents")}

    loner = f"u{rig.loner_id}@{DOMAIN}"
    assert statuses() == {rig.agent: None, loner: None}  # nothing known: FreeSWITCH keeps its own
    rig.set_agent("Available", registered=False)
    assert statuses() == {rig.agent: "Logged Out", loner: None}
    rig.send(register_text())
    assert statuses() == {rig.agent: "Available", loner: None}  # the cached document, today's statuses
    rig.set_agent("On Break", registered=True)
    assert statuses()[rig.agent] == "On Break"


def gevent_wait(rig):
    import gevent

    gevent.sleep(0.2)


def call_text(agent: str, action: str, member: str, agent_uuid: str = "", cause: str = "") -> str:
    # mod_callcenter.c: agent-offering and bridge-agent-start/-end/-fail carry the member's session uuid;
    # bridge-agent-start also the agent's own leg (CC-Agent-UUID); bridge-agent-fail the cause (CC-Hangup-Cause)
    extra = f"CC-Agent-UUID: {agent_uuid}\n" if agent_uuid else ""
    extra += f"CC-Hangup-Cause: {cause}\n" if cause else ""
    return (f"Event-Subclass: callcenter%3A%3Ainfo\n{HEAD}CC-Queue: q1%40{DOMAIN}\nCC-Agent: {agent.replace('@', '%40')}\n"
            f"CC-Action: {action}\n{extra}CC-Member-Session-UUID: {member}\nCC-Member-CID-Number: %2B31612345678\n")


def test_the_agents_current_call_and_todays_missed_offers_and_break_time(rig):
    """The agent panel's current call (#15 item 3): the member's call while offered or bridged, the
    agent's own leg once bridged; an offer not taken counts as missed today; a break ended by
    FreeSWITCH's own event adds its time."""
    rig.send(register_text(), status_text(rig.agent, "Available", index=0))
    rig.send(call_text(rig.agent, "agent-offering", "member-1"))
    row = rig.agent_row()
    assert (row.call_uuid, row.agent_uuid, row.missed) == ("member-1", "", 0)
    rig.send(call_text(rig.agent, "bridge-agent-fail", "member-1", cause="NO_ANSWER"))
    row = rig.agent_row()
    assert (row.call_uuid, row.missed) == ("", 1)
    # an offer another agent took first (ring-all) or the caller gave up on is no miss
    for member, cause in (("member-1b", "LOSE_RACE"), ("member-1c", "ORIGINATOR_CANCEL")):
        rig.send(call_text(rig.agent, "agent-offering", member), call_text(rig.agent, "bridge-agent-fail", member, cause=cause))
        row = rig.agent_row()
        assert (row.call_uuid, row.missed) == ("", 1)
    rig.send(call_text(rig.agent, "agent-offering", "member-2"),
             call_text(rig.agent, "bridge-agent-start", "member-2", agent_uuid="agent-leg-2"))
    row = rig.agent_row()
    assert (row.call_uuid, row.agent_uuid) == ("member-2", "agent-leg-2")
    rig.send(call_text(rig.agent, "bridge-agent-end", "member-2"))
    row = rig.agent_row()
    assert (row.call_uuid, row.agent_uuid, row.missed) == ("", "", 1)
    # a break that FreeSWITCH ends (a feature code) adds its seconds to today's break time
    rig.set_agent("On Break", registered=True, changed_at=clock.now() - timedelta(seconds=90))
    now_stamp = f"Event-Date-Timestamp: {int(clock.now().timestamp() * 1_000_000)}"
    rig.send(re.sub(r"Event-Date-Timestamp: [0-9]+", now_stamp, status_text(rig.agent, "Available", index=0, sequence=600)))
    assert 85 <= rig.agent_row().break_seconds <= 120


def test_an_agent_row_the_web_app_inserted_first_is_taken_not_a_dropped_event(rig, monkeypatch):
    """The web app inserts an agent's first row (agents.keep) while FreeSWITCH's status event for the same
    change reaches the bridge: the bridge found no row, made one, and its commit met the app's row (the
    unique user_id on PostgreSQL; a stale snapshot on SQLite). The failed batch is applied again event by
    event (Bridge.process), so the event lands on the row that is there: not dropped, not a second row."""
    from web.models.live import QueueAgent

    real = agents.agent_row
    raced = []

    def racing_row(db, tenant_id, user_id, create=True):
        row = real(db, tenant_id, user_id, create)
        if row is not None and row.id is None and not raced:
            raced.append(True)
            rig.set_agent("On Break", registered=False)  # the web app's row, committed meanwhile
        return row

    monkeypatch.setattr(agents, "agent_row", racing_row)
    rig.send(status_text(rig.agent, "On Break"))
    assert raced and rig.bridge.counts.get("failed", 0) == 0
    with session_scope(rig.engine) as db:
        rows = db.exec(select(QueueAgent).where(QueueAgent.user_id == rig.user_id)).all()
    assert [row.status for row in rows] == ["On Break"]
    lines = [line for line in rig.feed_lines() if line["kind"] == "agent"]
    assert lines and lines[-1]["data"]["status"] == "On Break"
