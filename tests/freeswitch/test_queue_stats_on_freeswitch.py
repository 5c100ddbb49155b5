"""The queue and agent reports' rows (#17 item 3) on a real FreeSWITCH with the bridge as its own process:
an agent logged in through the panel's API takes a caller from outside on the queue's number, the call
is hung up, and the bridge has written one queue_call row (answered, by that agent) from
mod_callcenter's member-queue-end and an open 'Available' span for the agent; a caller on a queue with
nobody to answer leaves it after its longest wait: a row with outcome timeout. /api/reports/queues and
/api/reports/agents count them.

The FreeSWITCH, the app and the demo company are those of test_config_on_freeswitch.py; the queue call of
the agent panel's test (test_agent_panel_on_freeswitch.QueueCall)."""

from __future__ import annotations

import threading

from sqlmodel import select

from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_agent_panel_on_freeswitch import QueueCall as AnsweredQueueCall
from tests.freeswitch.test_bridge_on_freeswitch import bridge  # noqa: F401  (fixture)
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    carrier_call, demo, far_end, fs, needs_freeswitch, server, work,
)
from tests.freeswitch.test_queues_on_freeswitch import QUEUE_NUMBER, admin_client, ok  # noqa: F401  (fixture)
from web.db import session_scope
from web.models.queue_stats import AgentStatusSpan, QueueCall


def _rows(demo, model, **where) -> list:
    with session_scope(demo.engine) as db:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        rows = db.exec(query).all()
        for row in rows:
            db.expunge(row)
        return rows


@needs_freeswitch
def test_an_answered_and_a_timed_out_queue_call_are_rows(work, demo, server, fs, far_end, admin_client, bridge):
    client = admin_client
    call = AnsweredQueueCall(work, demo, fs, client, 80)
    try:
        queue_id = call.card["queue_id"] if "queue_id" in call.card else None
        assert client.post(f"/api/agent-panel/calls/{call.card['call_uuid']}/hang-up").status_code == 200
        answered = wait_for(lambda: [row for row in _rows(demo, QueueCall, call_uuid=call.card["call_uuid"])], 30)
        assert answered, call.bridge_log()
        (row,) = answered
        assert (row.outcome, row.agent_user_id) == ("answered", call.agent["id"]), row
        assert row.answered_at is not None and row.joined_at <= row.answered_at <= row.left_at
        assert 0 <= row.wait_seconds <= 30 and row.talk_seconds >= 0
        if queue_id is not None:
            assert row.queue_id == queue_id
        spans = _rows(demo, AgentStatusSpan, user_id=call.agent["id"])
        assert [(span.status, span.ended_at) for span in spans] == [("Available", None)], spans
    finally:
        call.stop()

    # nobody to answer: the caller leaves the queue after its longest wait
    nobody = ok(client.post("/api/queues", json={"name": "Nobody answers", "extension": "489", "max_wait_s": 10}))
    (number,) = [entry for entry in ok(client.get("/api/numbers")) if entry["number"] == QUEUE_NUMBER]
    ok(client.patch(f"/api/numbers/{number['id']}", json={"destination": {"type": "queue", "id": nobody["id"]}}))
    threading.Thread(target=carrier_call, args=(work, fs, "0612000489", QUEUE_NUMBER), daemon=True).start()
    timed_out = wait_for(lambda: _rows(demo, QueueCall, queue_id=nobody["id"]), 45)
    assert timed_out, f"{call.bridge_log()}\n{fs.log_tail(100)}"
    (left,) = timed_out
    assert (left.outcome, left.agent_user_id, left.answered_at) == ("timeout", None, None), left
    assert 8 <= left.wait_seconds <= 20, left.wait_seconds

    # the reports count both
    queues = {entry["key"]: entry for entry in ok(client.get("/api/reports/queues"))["queues"]}
    assert (queues[str(nobody["id"])]["offered"], queues[str(nobody["id"])]["timed_out"]) == (1, 1)
    assert queues[str(row.queue_id)]["answered"] == 1
    agents = {entry["key"]: entry for entry in ok(client.get("/api/reports/agents"))["agents"]}
    assert agents[str(call.agent["id"])]["calls"] == 1 and agents[str(call.agent["id"])]["logged_in_seconds"] >= 0
