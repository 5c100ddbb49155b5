"""A queue made after FreeSWITCH started rings its agents (#16 item 4).

mod_callcenter loads a queue it does not know on demand at its first call, but that path loads neither
agents nor tiers; before the app told FreeSWITCH of every change, such a queue's agent was "Agent not
found" when set available (while the API said 202) and callers waited until the queue's timeout. Here,
on a real FreeSWITCH running the project's configuration with the bridge: the queue, its agents and
tiers are made through the API only after FreeSWITCH is up, a tier is changed, the agent is set
available (the API answers that FreeSWITCH took it), and a call to the queue's number rings the
agent's SIPp phone. And (#13 item 3) a queue nobody answers sends a call on its number, after the
longest wait, to its after_wait destination."""

from __future__ import annotations

import re
import secrets
import threading

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from tests.freeswitch import harness
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_bridge_on_freeswitch import bridge  # noqa: F401  (fixture)
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    HOST, carrier_call, demo, far_end, fs, needs_freeswitch, register, server, work,
)
from web.auth.tokens import digest, new_api_token
from web.db import session_scope
from web.demo import DEMO_ADMIN
from web.models import Account, ApiToken

QUEUE_NUMBER = "+31201234569"  # the demo's Support number, routed to the new queue below


@pytest.fixture(scope="module")
def admin_client(demo, fs):
    """The demo admin on the API, with the app telling this FreeSWITCH (its event socket)."""
    settings = demo.app.state.settings
    wired = type(settings)(**{**settings.__dict__, "esl_host": HOST, "esl_port": fs.esl_port, "esl_password": fs.password})
    demo.app.state.settings = wired
    raw = new_api_token()
    with session_scope(demo.engine) as db:
        account = db.exec(select(Account).where(Account.email == DEMO_ADMIN)).one()
        db.add(ApiToken(account_id=account.id, tenant_id=account.tenant_id, name="fs test", prefix=raw[:10],
                        token_hash=digest(raw)))
    client = TestClient(demo.app, headers={"authorization": f"Bearer {raw}"})
    yield client
    demo.app.state.settings = settings


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), response.text
    return response.json()


def tiers(fs, queue: str) -> set[str]:
    """The agents of a queue's tiers, as mod_callcenter holds them (a header line, then queue|agent|...)."""
    lines = [line.split("|") for line in fs.api(f"callcenter_config queue list tiers {queue}").splitlines() if "|" in line]
    return {fields[1] for fields in lines[1:]}


@needs_freeswitch
def test_a_queue_made_after_freeswitch_started_rings_its_agent(work, demo, server, fs, far_end, admin_client, bridge):
    client = admin_client
    domain = ok(client.get("/api/devices/sip-settings"))["domain"]
    first = ok(client.post("/api/users", json={"first_name": "First", "last_name": "Agent", "extension": "261"}))
    agent = ok(client.post("/api/users", json={"first_name": "Late", "last_name": "Agent", "extension": "262"}))
    device = ok(client.post("/api/devices", json={"name": "Late agent's phone", "user_id": agent["id"]}))
    phone = harness.Phone(work, "uas_ring")
    try:
        call_id = f"late-agent-{secrets.token_hex(4)}@{HOST}"
        assert register(work, fs, device["sip_username"], domain, device["sip_password"], expires=300, call_id=call_id,
                        contact_port=phone.port) == [200], fs.log_tail(60)

        # the queue with one tier, made now that FreeSWITCH runs: loaded with its agents and tiers
        queue = ok(client.post("/api/queues", json={"name": "Late queue", "extension": "470", "strategy": "ring-all",
                                                     "max_wait_s": 60, "tiers": [{"user_id": first["id"]}]}))
        assert queue["freeswitch"] == {"applied": True, "reachable": True, "refused": []}, queue
        name = f"q{queue['id']}@{domain}"
        assert tiers(fs, name) == {f"u{first['id']}@{domain}"}, fs.api(f"callcenter_config queue list tiers {name}")

        # a tier changed: the late agent in, the first one out
        changed = ok(client.patch(f"/api/queues/{queue['id']}", json={"tiers": [{"user_id": agent["id"], "level": 1}]}))
        assert changed["freeswitch"]["applied"] is True, changed
        assert tiers(fs, name) == {f"u{agent['id']}@{domain}"}, fs.api(f"callcenter_config queue list tiers {name}")

        # the bridge has seen the registration; the agent logs in: FreeSWITCH takes it (no 202, no "Agent not found")
        assert wait_for(lambda: ok(client.get("/api/agents")) and any(
            row["user_id"] == agent["id"] and row["phone_registered"] for row in ok(client.get("/api/agents")))), \
            (work / "bridge.log").read_text()[-3000:]
        status = client.put(f"/api/agents/{agent['id']}/status", json={"status": "available"})
        assert status.status_code == 200 and status.json()["applied"] is True, status.text
        assert f"u{agent['id']}@{domain}|" in fs.api("callcenter_config agent list")
        assert re.search(rf"^u{agent['id']}@{re.escape(domain)}\|.*\|Available\|", fs.api("callcenter_config agent list"), re.M)

        # a caller on the queue's number rings the agent's phone
        (number,) = [row for row in ok(client.get("/api/numbers")) if row["number"] == QUEUE_NUMBER]
        ok(client.patch(f"/api/numbers/{number['id']}", json={"destination": {"type": "queue", "id": queue["id"]}}))
        threading.Thread(target=carrier_call, args=(work, fs, "0612000470", QUEUE_NUMBER), daemon=True).start()

        def rang():
            return any(direction == "received" and text.startswith("INVITE ")
                       for direction, text in harness.sip_messages(phone.received()))
        assert wait_for(rang, 30), f"{phone.received()[-2000:]}\n{fs.log_tail(150)}"
    finally:
        phone.stop()


@needs_freeswitch
def test_after_the_longest_wait_a_call_to_the_queue_goes_to_its_after_wait(work, demo, server, fs, far_end, admin_client, bridge):
    """#13 item 3: a queue with nobody to answer, called on a number routed straight to it: once
    mod_callcenter gives up (max wait), the call goes to the queue's after_wait, here a user whose
    SIPp phone then rings."""
    client = admin_client
    domain = ok(client.get("/api/devices/sip-settings"))["domain"]
    backup = ok(client.post("/api/users", json={"first_name": "Backup", "last_name": "Desk", "extension": "263"}))
    device = ok(client.post("/api/devices", json={"name": "Backup desk phone", "user_id": backup["id"]}))
    phone = harness.Phone(work, "uas_ring")
    try:
        call_id = f"after-wait-{secrets.token_hex(4)}@{HOST}"
        assert register(work, fs, device["sip_username"], domain, device["sip_password"], expires=300, call_id=call_id,
                        contact_port=phone.port) == [200], fs.log_tail(60)
        queue = ok(client.post("/api/queues", json={"name": "Nobody home", "extension": "471", "max_wait_s": 10,
                                                     "after_wait": {"type": "user", "id": backup["id"]}}))
        (number,) = [row for row in ok(client.get("/api/numbers")) if row["number"] == QUEUE_NUMBER]
        ok(client.patch(f"/api/numbers/{number['id']}", json={"destination": {"type": "queue", "id": queue["id"]}}))
        threading.Thread(target=carrier_call, args=(work, fs, "0612000471", QUEUE_NUMBER), daemon=True).start()

        def rang():
            return any(direction == "received" and text.startswith("INVITE ")
                       for direction, text in harness.sip_messages(phone.received()))
        assert wait_for(rang, 45), f"{phone.received()[-2000:]}\n{fs.log_tail(200)}"
        assert f"q{queue['id']}@{domain}" in fs.log_text()  # it went through the queue first
    finally:
        phone.stop()
