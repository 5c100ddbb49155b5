"""Queue agents, registrations and click-to-dial on a real FreeSWITCH running the project's configuration, with the
bridge as its own process (`python -m fs_bridge`): a SIPp phone of a demo queue agent registers (the
bridge stores it, read from sofia's own event), the agent logs in in mod_callcenter (the bridge mirrors
callcenter::info), the phone unregisters and FreeSWITCH holds the agent 'Logged Out' (FusionPBX #2831)
while the app keeps the agent's choice, and the phone registering again makes it 'Available'.
Click-to-dial's originate rings the user's own registered phone showing the number, then calls the
number out through the company's dialplan and gateway.

The FreeSWITCH, the app and the demo company are those of test_config_on_freeswitch.py; the bridge
fixture is test_bridge_on_freeswitch.py's."""

from __future__ import annotations

import re
import secrets
import time

from sqlmodel import Session, select

from tests.freeswitch import harness
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_bridge_on_freeswitch import bridge  # noqa: F401  (fixture)
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    HOST, demo, far_end, fs, needs_freeswitch, register, server, work,
)
from web.models.device import Device
from web.models.live import QueueAgent, SipRegistration
from web.models.pbx_user import PbxUser
from web.models.queue import CallQueue
from web.models.tenant import Tenant
from web.secretbox import open_sealed



def queue_agent_phone(demo, index: int = 0):
    """A demo user in a queue's tiers, its phone's SIP account and the company's domain."""
    with Session(demo.engine) as db:
        queue = db.exec(select(CallQueue).order_by(CallQueue.id)).first()
        user = db.get(PbxUser, queue.tiers[index]["user_id"])
        device = db.exec(select(Device).where(Device.user_id == user.id)).first()
        domain = db.get(Tenant, user.tenant_id).sip_domain
        return user.id, device.sip_username, domain, open_sealed(demo.settings.secret_key, device.sip_password_sealed)


def freeswitch_status(fs, agent: str) -> str | None:
    for line in fs.api("callcenter_config agent list").splitlines():
        fields = line.split("|")
        if fields[0] == agent:
            return fields[5]
    return None


@needs_freeswitch
def test_an_agent_without_a_registered_phone_is_not_offered_calls(work, demo, server, fs, bridge):
    user_id, sip_user, domain, password = queue_agent_phone(demo)
    agent = f"u{user_id}@{domain}"
    assert freeswitch_status(fs, agent) is not None, fs.api("callcenter_config agent list")
    call_id = f"agent-phone-{secrets.token_hex(4)}@{HOST}"

    def stored():
        with Session(demo.engine) as db:
            return db.exec(select(SipRegistration).where(SipRegistration.sip_user == sip_user)).first()

    def agent_row():
        with Session(demo.engine) as db:
            return db.exec(select(QueueAgent).where(QueueAgent.user_id == user_id)).first()

    assert register(work, fs, sip_user, domain, password, expires=120, call_id=call_id) == [200], fs.log_tail(60)
    row = wait_for(stored)
    assert row is not None, (work / "bridge.log").read_text()[-3000:]
    assert (row.call_id, row.user_id, row.user_agent, row.realm) == (call_id, user_id, "SIPp-callplan-test", domain)

    # the agent logs in, as the feature code does it
    fs.api(f"callcenter_config agent set status {agent} 'Available'")
    assert wait_for(lambda: (r := agent_row()) is not None and r.status == "Available" and r.phone_registered), \
        (work / "bridge.log").read_text()[-3000:]
    assert freeswitch_status(fs, agent) == "Available"

    # the phone goes: FreeSWITCH holds the agent out of the queue, the app keeps the agent's choice
    assert register(work, fs, sip_user, domain, password, expires=0, call_id=call_id) == [200], fs.log_tail(60)
    assert wait_for(lambda: stored() is None), (work / "bridge.log").read_text()[-3000:]
    assert wait_for(lambda: freeswitch_status(fs, agent) == "Logged Out"), (work / "bridge.log").read_text()[-3000:]
    time.sleep(1)  # the hold's own agent-status-change event has come back through the bridge
    held = agent_row()
    assert held.status == "Available" and held.phone_registered is False

    # the phone is back: so is the agent
    assert register(work, fs, sip_user, domain, password, expires=120, call_id=call_id) == [200], fs.log_tail(60)
    assert wait_for(lambda: freeswitch_status(fs, agent) == "Available"), (work / "bridge.log").read_text()[-3000:]
    assert wait_for(lambda: agent_row().phone_registered)


@needs_freeswitch
def test_registrations_made_while_the_bridge_was_away_are_read_on_connect(work, demo, server, fs, request):
    user_id, sip_user, domain, password = queue_agent_phone(demo, 1)
    call_id = f"before-bridge-{secrets.token_hex(4)}@{HOST}"
    assert register(work, fs, sip_user, domain, password, expires=120, call_id=call_id) == [200], fs.log_tail(60)
    request.getfixturevalue("bridge")  # connects now: `sofia xmlstatus profile internal reg` is read

    def stored():
        with Session(demo.engine) as db:
            return db.exec(select(SipRegistration).where(SipRegistration.call_id == call_id)).first()

    row = wait_for(stored)
    assert row is not None, (work / "bridge.log").read_text()[-3000:]
    assert (row.sip_user, row.user_id, row.user_agent, row.realm) == (sip_user, user_id, "SIPp-callplan-test", domain)
    assert 60 < (row.expires_at - row.registered_at).total_seconds() <= 180  # sofia's expsecs


@needs_freeswitch
def test_click_to_dial_rings_the_own_phone_then_calls_the_number_out(work, demo, server, fs, far_end):
    from web.api.click_to_dial import command_for

    own_phone = harness.Phone(work, "uas_answer")
    try:
        with Session(demo.engine) as db:
            user = db.exec(select(PbxUser).where(PbxUser.extension == "201")).one()
            device = db.exec(select(Device).where(Device.user_id == user.id)).first()
            domain = db.get(Tenant, user.tenant_id).sip_domain
            command = command_for(db, demo.settings, user.tenant_id, user, "0612345678")
            password = open_sealed(demo.settings.secret_key, device.sip_password_sealed)
        call_id = f"click-{secrets.token_hex(4)}@{HOST}"
        assert register(work, fs, device.sip_username, domain, password, expires=120, call_id=call_id,
                        contact_port=own_phone.port) == [200], fs.log_tail(60)
        reply = fs.api(command)
        assert reply.startswith("+OK Job-UUID"), reply

        def invite(phone, pattern):
            return next((text for direction, text in harness.sip_messages(phone.received())
                         if direction == "received" and text.startswith("INVITE ") and re.search(pattern, text, re.M)), None)

        ringing = wait_for(lambda: invite(own_phone, r"^From:.*0612345678"), 20)
        assert ringing, f"{own_phone.received()[-2000:]}\n{fs.log_tail(80)}"  # the phone shows the number
        out = wait_for(lambda: invite(far_end, r"^INVITE sip:0612345678@"), 20)
        assert out, f"{far_end.received()[-2000:]}\n{fs.log_tail(120)}"
        assert re.search(r"^From:.*\+?31201234", out, re.M), out  # the company's caller ID, not the number
    finally:
        own_phone.stop()
