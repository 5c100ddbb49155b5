"""Phones' registrations from FreeSWITCH's own sofia::register text into sip_registration and the
device, gone on unregister / expire / expiry, read again from `sofia xmlstatus` after a reconnect;
and the rule of FusionPBX issue #2831: an available agent whose last phone goes is held 'Logged Out' in
FreeSWITCH (its choice kept), and given back 'Available' when a phone registers again.
On SQLite and PostgreSQL, against the test ESL server speaking the real protocol."""

from __future__ import annotations

import pytest

from fs_bridge import registrations
from tests.fs_bridge.agents_rig import (DOMAIN, Rig, expire_text, register_text, unregister_text, xmlstatus)
from web import clock


@pytest.fixture
def rig(settings, database_url):
    rig = Rig(settings, database_url)
    yield rig
    rig.close()


def test_register_text_becomes_a_row_and_marks_the_device(rig):
    rig.send(register_text())
    [row] = rig.registrations()
    assert (row.call_id, row.sip_user, row.realm) == ("1-13544@127.0.0.1", "1001", DOMAIN)
    assert row.contact == '"" <sip:1001@127.0.0.1:5070;transport=UDP>'
    assert (row.network_ip, row.network_port, row.user_agent) == ("127.0.0.1", 5070, "SIPp-test")
    assert row.user_id == rig.user_id and row.device_id == rig.device().id and row.tenant_id == rig.tenant_id
    left = (row.expires_at - clock.now()).total_seconds()
    assert 290 < left <= 300  # "expires: 300" from when the bridge read it
    device = rig.device()
    assert device.registered and device.registration_user_agent == "SIPp-test"
    assert device.registration_source_ip == "127.0.0.1"
    [line] = [line for line in rig.feed_lines() if line["kind"] == "registration"]
    assert line["tenant_id"] == rig.tenant_id and line["data"]["action"] == "register"
    assert line["data"]["device_id"] == device.id and line["data"]["user_agent"] == "SIPp-test"


def test_the_same_register_again_refreshes_the_one_row(rig):
    rig.send(register_text(), register_text())
    assert len(rig.registrations()) == 1


def test_a_new_register_of_the_phone_replaces_its_old_binding(rig):
    # the project's sofia profile keeps one registration per user (no multiple-registrations): a phone
    # that rebooted registers with a new Call-ID, and sofia drops the old one without an event
    rig.send(register_text(), register_text(call_id="2-99@127.0.0.1"))
    assert [r.call_id for r in rig.registrations()] == ["2-99@127.0.0.1"]
    assert rig.device().registered
    actions = [line["data"]["action"] for line in rig.feed_lines() if line["kind"] == "registration"]
    assert actions == ["register", "replaced", "register"]


def test_unregister_removes_the_users_registration_whatever_its_call_id(rig):
    rig.send(register_text())
    rig.send(unregister_text(call_id="another-call-id@127.0.0.1"))
    assert rig.registrations() == []
    assert not rig.device().registered


def test_expire_removes_the_row(rig):
    rig.send(register_text())
    rig.send(expire_text())
    assert rig.registrations() == []
    assert not rig.device().registered
    actions = [line["data"]["action"] for line in rig.feed_lines() if line["kind"] == "registration"]
    assert actions == ["register", "expire"]


def test_a_domain_of_no_tenant_is_ignored(rig):
    rig.send(register_text(domain="127.0.0.1"))
    assert rig.registrations() == []


def test_tick_drops_registrations_past_their_expiry(rig):
    rig.send(register_text())
    rig.bridge.with_context(registrations.tick)
    assert len(rig.registrations()) == 1
    clock.advance(300 + 61)  # expiry plus the grace a late re-REGISTER gets
    rig.bridge.with_context(registrations.tick)
    assert rig.registrations() == []
    assert not rig.device().registered


def test_available_agent_is_held_logged_out_while_its_phone_is_away_and_restored_after(rig):
    rig.send(register_text())
    rig.set_agent("Available", registered=True)
    rig.send(unregister_text())
    assert rig.wait_commands(1) == [f"callcenter_config agent set status {rig.agent} 'Logged Out'"]
    row = rig.agent_row()
    assert row.status == "Available" and row.phone_registered is False  # the choice is kept
    agent_lines = [line for line in rig.feed_lines() if line["kind"] == "agent"]
    assert agent_lines[-1]["data"]["offered"] is False and agent_lines[-1]["data"]["status"] == "Available"
    rig.send(register_text())
    assert rig.wait_commands(2)[1] == f"callcenter_config agent set status {rig.agent} 'Available'"
    assert rig.agent_row().phone_registered is True


def test_agents_on_break_or_logged_out_are_left_alone_when_phones_come_and_go(rig):
    rig.send(register_text())
    rig.set_agent("On Break", registered=True)
    rig.send(unregister_text(), register_text())
    assert rig.status_commands() == []
    assert rig.agent_row().status == "On Break"


def test_expiry_by_tick_also_holds_the_agent(rig):
    rig.send(register_text())
    rig.set_agent("Available", registered=True)
    clock.advance(400)
    rig.bridge.with_context(registrations.tick)
    assert rig.wait_commands(1) == [f"callcenter_config agent set status {rig.agent} 'Logged Out'"]


def test_reconnect_reads_freeswitchs_registrations_again(rig):
    rig.send(register_text(call_id="gone@127.0.0.1"))  # FreeSWITCH dropped this one while we were away
    rig.switch.api_answers[registrations.RESYNC_COMMAND] = xmlstatus(
        {"call_id": "1-13544@127.0.0.1", "user": "1001", "agent": "Yealink SIP-T46U 66.86.0.15 &amp; more"},
        {"call_id": "other@127.0.0.1", "user": "1001", "domain": "127.0.0.1"})  # not a tenant's domain
    clock.advance(1)
    rig.bridge.with_context(registrations.on_connected)
    [row] = rig.registrations()
    assert row.call_id == "1-13544@127.0.0.1" and row.user_agent == "Yealink SIP-T46U 66.86.0.15 & more"
    assert row.contact == '"" <sip:1001@127.0.0.1:5070;transport=UDP>' and row.user_id == rig.user_id
    assert 350 < (row.expires_at - clock.now()).total_seconds() <= 360  # expsecs(360)
    assert f"api {registrations.RESYNC_COMMAND}" in rig.switch.commands


def test_reconnect_without_an_answer_keeps_the_rows(rig):
    rig.send(register_text())
    clock.advance(1)
    rig.bridge.with_context(registrations.on_connected)  # the test switch answers -ERR: nothing is dropped
    assert len(rig.registrations()) == 1


def test_parse_xmlstatus_reads_escaped_fields():
    [reg] = registrations.parse_xmlstatus(xmlstatus({"call_id": "a<b@host", "user": "1001", "expsecs": 42}))
    assert reg["call_id"] == "a<b@host" and reg["expires_s"] == 42 and reg["realm"] == DOMAIN
    assert reg["contact"].startswith('"" <sip:1001@') and reg["network_port"] == 5070
