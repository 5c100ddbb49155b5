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


class QueueCall:
    """An agent (a portal login of role agent) and a colleague, each with a registered SIPp phone, a queue
    of the agent's; the agent logged in through the panel's API and a caller from outside on the queue's
    number, answered by the agent's phone (which stays on the call for 20 s): `card` is the panel's
    current call once bridged."""

    def __init__(self, work, demo, fs, client, number: int):
        self.work, self.fs, self.client = work, fs, client
        domain = ok(client.get("/api/devices/sip-settings"))["domain"]
        self.agent = ok(client.post("/api/users", json={"first_name": "Panel", "last_name": f"Agent {number}",
                                                        "extension": f"2{number}"}))
        # the demo company's night switch follows its office hours: the colleague's phone rings at any hour
        self.target = ok(client.post("/api/users", json={"first_name": "Transfer", "last_name": f"Target {number}",
                                                         "extension": f"2{number + 1}", "night_mode": "off"}))
        self.agent_phone = harness.Phone(work, "uas_hold")
        self.target_phone = harness.Phone(work, "uas_ring")
        for user, phone in ((self.agent, self.agent_phone), (self.target, self.target_phone)):
            device = ok(client.post("/api/devices", json={"name": f"{user['last_name']}'s phone", "user_id": user["id"]}))
            call_id = f"panel-{secrets.token_hex(4)}@{HOST}"
            assert register(work, fs, device["sip_username"], domain, device["sip_password"], expires=300, call_id=call_id,
                            contact_port=phone.port) == [200], fs.log_tail(60)
        queue = ok(client.post("/api/queues", json={"name": f"Panel queue {number}", "extension": f"4{number + 8}",
                                                     "strategy": "ring-all", "max_wait_s": 60,
                                                     "tiers": [{"user_id": self.agent["id"]}]}))
        assert queue["freeswitch"]["applied"] is True, queue
        self.panel = agent_login(demo, self.agent["id"], f"panel.agent{number}@demo.example.com")

        # the agent logs in through the panel's API, once the bridge has seen the phone
        assert wait_for(lambda: ok(self.panel.get("/api/me/agent"))["phone_registered"]), self.bridge_log()
        answer = self.panel.put("/api/me/agent", json={"status": "available"})
        assert answer.status_code == 200 and answer.json()["applied"] is True, answer.text

        # a caller from outside on the queue's number: the agent's phone answers, the panel shows the call
        (routed,) = [row for row in ok(client.get("/api/numbers")) if row["number"] == QUEUE_NUMBER]
        ok(client.patch(f"/api/numbers/{routed['id']}", json={"destination": {"type": "queue", "id": queue["id"]}}))
        caller = f"06120004{number}"
        threading.Thread(target=carrier_call, args=(work, fs, caller, QUEUE_NUMBER), daemon=True).start()
        assert wait_for(lambda: invited(self.agent_phone), 30), f"{self.agent_phone.received()[-2000:]}\n{fs.log_tail(150)}"

        def bridged_card():
            card = ok(self.panel.get("/api/agent-panel"))["call"]
            return card if card and card["bridged_at"] and card["agent_leg_known"] else None
        self.card = wait_for(bridged_card, 20)
        assert self.card, f"{ok(self.panel.get('/api/agent-panel'))}\n{self.bridge_log()}"
        assert self.card["queue_name"] == queue["name"] and self.card["caller_number"].endswith(caller[1:]), self.card

    def bridge_log(self) -> str:
        return (self.work / "bridge.log").read_text()[-3000:]

    def transfer(self, **body) -> None:
        answer = self.panel.post(f"/api/agent-panel/calls/{self.card['call_uuid']}/transfer", json=body)
        assert answer.status_code == 200, answer.text

    def stop(self) -> None:
        self.agent_phone.stop()
        self.target_phone.stop()


@needs_freeswitch
def test_an_agent_takes_a_queue_call_transfers_it_and_describes_it(work, demo, server, fs, far_end, admin_client, bridge):
    client = admin_client
    status = ok(client.post("/api/call-statuses", json={"name": "Transferred to sales", "default_for": "inbound"}))
    call = QueueCall(work, demo, fs, client, 64)
    try:
        # transferred through the panel (blind): the colleague's phone gets the INVITE
        call.transfer(to="user", user_id=call.target["id"])
        assert wait_for(lambda: invited(call.target_phone), 30), f"{call.target_phone.received()[-2000:]}\n{fs.log_tail(200)}"
        card, agent, panel_client = call.card, call.agent, call.panel

        # the admin ends the call from the panel; its record carries the agent's outcome and note
        assert client.post(f"/api/agent-panel/calls/{card['call_uuid']}/hang-up").status_code == 200

        def record():
            with session_scope(demo.engine) as db:
                row = db.exec(select(CallRecord).where(CallRecord.call_uuid == card["call_uuid"])).first()
                return row.id if row is not None and row.answered_by_user_id == agent["id"] else None
        record_id = wait_for(record, 30)
        assert record_id, call.bridge_log()
        answer = panel_client.put(f"/api/call-records/{record_id}/outcome",
                                  json={"status_id": status["id"], "note": "Sent on to Transfer Target"})
        assert answer.status_code == 200, answer.text
        stored = ok(client.get(f"/api/call-records/{record_id}"))
        assert (stored["outcome_label"], stored["outcome_note"]) == ("Transferred to sales", "Sent on to Transfer Target"), stored
        with session_scope(demo.engine) as db:
            row = db.get(CallRecord, record_id)
            assert (row.outcome_status_id, row.outcome_note, row.outcome_by_user_id) == \
                (status["id"], "Sent on to Transfer Target", agent["id"])
    finally:
        call.stop()


@needs_freeswitch
def test_an_attended_transfer_calls_the_colleague_while_the_caller_waits(work, demo, server, fs, far_end, admin_client, bridge):
    """FreeSWITCH's att_xfer on the agent's own leg (uuid_broadcast, as a phone's bound key runs it): the
    colleague's phone is called while the agent is still on the call with the caller."""
    call = QueueCall(work, demo, fs, admin_client, 66)
    try:
        call.transfer(to="user", user_id=call.target["id"], attended=True)
        assert wait_for(lambda: invited(call.target_phone), 30), f"{call.target_phone.received()[-2000:]}\n{fs.log_tail(200)}"
        assert "att_xfer" in fs.log_text()
        # the caller is still there, held for the agent (not transferred away yet)
        assert wait_for(lambda: ok(call.panel.get("/api/agent-panel"))["call"] is not None, 2), fs.log_tail(100)
    finally:
        call.stop()
