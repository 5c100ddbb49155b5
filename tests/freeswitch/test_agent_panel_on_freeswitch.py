"""The agent panel on a real FreeSWITCH (#15 item 3): an agent with a portal login of role agent logs in
to a queue through the panel's API (PUT /api/me/agent), a caller from outside on the queue's number is
offered to the agent's SIPp phone, which answers; the panel (GET /api/agent-panel, read from what the
bridge wrote) shows the call bridged with its queue; the agent transfers it to a colleague through the
panel (POST /api/agent-panel/calls/{uuid}/transfer: uuid_transfer into the company's dialplan) and the
colleague's SIPp phone gets the INVITE; the call record then carries the outcome and note the agent
gives it (PUT /api/call-records/{id}/outcome).

The FreeSWITCH, the app and the demo company are those of test_config_on_freeswitch.py; the bridge and
the admin's API client those of test_bridge_on_freeswitch.py and test_queues_on_freeswitch.py."""

from __future__ import annotations

import secrets
import threading

from sqlmodel import select
from starlette.testclient import TestClient

from tests.freeswitch import harness
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_bridge_on_freeswitch import bridge  # noqa: F401  (fixture)
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    HOST, carrier_call, demo, far_end, fs, needs_freeswitch, register, server, work,
)
from tests.freeswitch.test_queues_on_freeswitch import QUEUE_NUMBER, admin_client, ok  # noqa: F401  (fixture)
from web.auth.passwords import hash_password
from web.auth.tokens import digest, new_api_token
from web.db import session_scope
from web.models import Account, ApiToken
from web.models.call_record import CallRecord
from web.models.pbx_user import PbxUser


def agent_login(demo, user_id: int, email: str) -> TestClient:
    """A portal login of role agent linked to the PBX user, on the API with a token of its own."""
    raw = new_api_token()
    with session_scope(demo.engine) as db:
        user = db.get(PbxUser, user_id)
        account = Account(email=email, role="agent", tenant_id=user.tenant_id, first_name="Panel", last_name="Agent",
                          password_hash=hash_password(demo.app.state.settings, secrets.token_hex(16)))
        db.add(account)
        db.flush()
        user.account_id = account.id
        db.add(user)
        db.add(ApiToken(account_id=account.id, tenant_id=account.tenant_id, name="panel", prefix=raw[:10], token_hash=digest(raw)))
    return TestClient(demo.app, headers={"authorization": f"Bearer {raw}"})


def invited(phone) -> bool:
    return any(direction == "received" and text.startswith("INVITE ") for direction, text in harness.sip_messages(phone.received()))


@needs_freeswitch
def test_an_agent_takes_a_queue_call_transfers_it_and_describes_it(work, demo, server, fs, far_end, admin_client, bridge):
    client = admin_client
    domain = ok(client.get("/api/devices/sip-settings"))["domain"]
    agent = ok(client.post("/api/users", json={"first_name": "Panel", "last_name": "Agent", "extension": "264"}))
    # the demo company's night switch follows its office hours: the colleague's phone rings at any hour
    target = ok(client.post("/api/users", json={"first_name": "Transfer", "last_name": "Target", "extension": "265",
                                                "night_mode": "off"}))
    agent_device = ok(client.post("/api/devices", json={"name": "Panel agent's phone", "user_id": agent["id"]}))
    target_device = ok(client.post("/api/devices", json={"name": "Target's phone", "user_id": target["id"]}))
    status = ok(client.post("/api/call-statuses", json={"name": "Transferred to sales", "default_for": "inbound"}))
    agent_phone = harness.Phone(work, "uas_hold")  # answers and stays on the call for 20 s
    target_phone = harness.Phone(work, "uas_ring")
    try:
        for device, phone in ((agent_device, agent_phone), (target_device, target_phone)):
            call_id = f"panel-{secrets.token_hex(4)}@{HOST}"
            assert register(work, fs, device["sip_username"], domain, device["sip_password"], expires=300, call_id=call_id,
                            contact_port=phone.port) == [200], fs.log_tail(60)
        queue = ok(client.post("/api/queues", json={"name": "Panel queue", "extension": "472", "strategy": "ring-all",
                                                     "max_wait_s": 60, "tiers": [{"user_id": agent["id"]}]}))
        assert queue["freeswitch"]["applied"] is True, queue
        panel_client = agent_login(demo, agent["id"], "panel.agent@demo.example.com")

        # the agent logs in through the panel's API, once the bridge has seen the phone
        assert wait_for(lambda: ok(panel_client.get("/api/me/agent"))["phone_registered"]), (work / "bridge.log").read_text()[-3000:]
        answer = panel_client.put("/api/me/agent", json={"status": "available"})
        assert answer.status_code == 200 and answer.json()["applied"] is True, answer.text

        # a caller from outside on the queue's number: the agent's phone answers, the panel shows the call
        (number,) = [row for row in ok(client.get("/api/numbers")) if row["number"] == QUEUE_NUMBER]
        ok(client.patch(f"/api/numbers/{number['id']}", json={"destination": {"type": "queue", "id": queue["id"]}}))
        threading.Thread(target=carrier_call, args=(work, fs, "0612000472", QUEUE_NUMBER), daemon=True).start()
        assert wait_for(lambda: invited(agent_phone), 30), f"{agent_phone.received()[-2000:]}\n{fs.log_tail(150)}"

        def bridged_card():
            card = ok(panel_client.get("/api/agent-panel"))["call"]
            return card if card and card["bridged_at"] and card["agent_leg_known"] else None
        card = wait_for(bridged_card, 20)
        assert card, f"{ok(panel_client.get('/api/agent-panel'))}\n{(work / 'bridge.log').read_text()[-3000:]}"
        assert card["queue_name"] == "Panel queue" and card["caller_number"].endswith("612000472"), card

        # transferred through the panel: the colleague's phone gets the INVITE
        answer = panel_client.post(f"/api/agent-panel/calls/{card['call_uuid']}/transfer", json={"to": "user", "user_id": target["id"]})
        assert answer.status_code == 200, answer.text
        assert wait_for(lambda: invited(target_phone), 30), f"{target_phone.received()[-2000:]}\n{fs.log_tail(200)}"

        # the admin ends the call from the panel; its record carries the agent's outcome and note
        assert client.post(f"/api/agent-panel/calls/{card['call_uuid']}/hang-up").status_code == 200

        def record():
            with session_scope(demo.engine) as db:
                row = db.exec(select(CallRecord).where(CallRecord.call_uuid == card["call_uuid"])).first()
                return row.id if row is not None and row.answered_by_user_id == agent["id"] else None
        record_id = wait_for(record, 30)
        assert record_id, (work / "bridge.log").read_text()[-3000:]
        answer = panel_client.put(f"/api/call-records/{record_id}/outcome",
                                  json={"status_id": status["id"], "note": "Sent on to Transfer Target"})
        assert answer.status_code == 200, answer.text
        stored = ok(client.get(f"/api/call-records/{record_id}"))
        assert (stored["outcome_label"], stored["outcome_note"]) == ("Transferred to sales", "Sent on to Transfer Target"), stored
        with session_scope(demo.engine) as db:
            row = db.get(CallRecord, record_id)
            assert (row.outcome_status_id, row.outcome_label, row.outcome_note, row.outcome_by_user_id) == \
                (status["id"], "Transferred to sales", "Sent on to Transfer Target", agent["id"]), stored
    finally:
        agent_phone.stop()
        target_phone.stop()
