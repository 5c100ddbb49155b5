"""The queue and agent reports' rows (#17 item 3) from mod_callcenter's callcenter::info texts, fed through
the bridge's handlers: each stay in a queue becomes one queue_call row when it ends (the captured
member-queue-end, a timeout; and the same text as mod_callcenter sends it for an answered and an abandoned
call), an offer the agent let ring one agent_missed_offer row, the agent's statuses (the captured
agent-status-change texts) spans of time. Replayed events count once; another company's events land in
its own rows. On SQLite and PostgreSQL, against the test ESL server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from fs_bridge import handlers
from tests.fs_bridge.agents_rig import DOMAIN, HEAD, Rig, fixture, register_text, status_text
from web.db import session_scope
from web.domain import queue_reports, reports
from web.models.queue import CallQueue
from web.models.queue_stats import AgentMissedOffer, AgentStatusSpan, QueueCall
from web.models.tenant import Tenant

JOINED = 1795301143  # the captured member-queue-end's CC-Member-Joined-Time (2026-11-21 22:45:43 UTC)


@pytest.fixture
def rig(settings, database_url):
    rig = Rig(settings, database_url)
    rig.bridge.table = handlers.table(["fs_bridge.agents", "fs_bridge.registrations", "fs_bridge.queue_stats"])
    with session_scope(rig.engine) as db:
        rig.queue_id = db.exec(select(CallQueue.id).where(CallQueue.tenant_id == rig.tenant_id)).one()
    yield rig
    rig.close()


def _replace(text: str, **headers: str) -> str:
    """The text with headers replaced (value None: removed) or added at the end, values as FreeSWITCH
    encodes them (only @ and spaces occur here)."""
    lines = text.split("\n")
    for name, value in headers.items():
        found = [n for n, line in enumerate(lines) if line.startswith(f"{name}: ")]
        encoded = None if value is None else f"{name}: {value.replace('@', '%40').replace(' ', '%20')}"
        if found and encoded is None:
            del lines[found[0]]
        elif found:
            lines[found[0]] = encoded
        elif encoded is not None:
            lines.append(encoded)
    return "\n".join(lines)


def queue_end(queue: str, member: str, **headers) -> str:
    """The captured member-queue-end (Cancel, TIMEOUT: the caller waited 6 s) in queue `queue`."""
    return _replace(fixture("CUSTOM callcenter::info [member-queue-end]"), **{"CC-Queue": queue, "CC-Member-UUID": member},
                    **headers)


def answered_end(queue: str, member: str, agent: str, answered_after: int, talked: int) -> str:
    """member-queue-end as mod_callcenter sends it when the agent's call ends (mod_callcenter.c
    outbound_agent_thread_run, "Caller off event"): CC-Cause Terminated, the agent and the times."""
    return queue_end(queue, member, **{
        "CC-Cause": "Terminated", "CC-Cancel-Reason": None, "CC-Hangup-Cause": "NORMAL_CLEARING", "CC-Agent": agent,
        "CC-Agent-System": "single_box", "CC-Agent-UUID": f"{member}-agent-leg",
        "CC-Agent-Called-Time": str(JOINED + answered_after - 3), "CC-Agent-Answered-Time": str(JOINED + answered_after),
        "CC-Member-Leaving-Time": str(JOINED + answered_after + talked)})


def agent_fail(queue: str, member: str, agent: str, called: int, cause: str = "NO_ANSWER") -> str:
    # mod_callcenter.c outbound_agent_thread_run, "Fire up event when contact agent fails" (no channel data)
    return (f"Event-Subclass: callcenter%3A%3Ainfo\n{HEAD}CC-Queue: {queue.replace('@', '%40')}\n"
            f"CC-Action: bridge-agent-fail\nCC-Hangup-Cause: {cause}\nCC-Agent: {agent.replace('@', '%40')}\n"
            f"CC-Agent-System: single_box\nCC-Agent-Called-Time: {called}\nCC-Agent-Aborted-Time: {called + 20}\n"
            f"CC-Member-UUID: {member}\nCC-Member-Session-UUID: {member}-session\nCC-Member-CID-Name: Caller\n"
            f"CC-Member-CID-Number: %2B31612345678\nCC-Member-Joined-Time: {JOINED}\n")


def at(text: str, epoch: int) -> str:
    return _replace(text, **{"Event-Date-Timestamp": str(epoch * 1_000_000)})


def rows(rig, model) -> list:
    with session_scope(rig.engine) as db:
        return db.exec(select(model).order_by(model.id)).all()


def test_the_module_runs_after_the_agents_module():
    # its status spans read what fs_bridge.agents recorded for the same event
    assert handlers.MODULES.index("fs_bridge.queue_stats") > handlers.MODULES.index("fs_bridge.agents")


def test_each_stay_in_a_queue_is_one_row_when_it_ends(rig):
    queue = f"q{rig.queue_id}@{DOMAIN}"
    start = _replace(fixture("CUSTOM callcenter::info [member-queue-start]"), **{"CC-Queue": queue})
    rig.send(start)
    assert rows(rig, QueueCall) == []  # written once, when it leaves
    rig.send(queue_end(queue, "member-timeout"),
             answered_end(f"q{rig.queue_id}w30@{DOMAIN}", "member-answered", rig.agent, answered_after=12, talked=95),
             queue_end(queue, "member-abandoned", **{"CC-Cancel-Reason": "NONE", "CC-Member-Leaving-Time": str(JOINED + 41)}))
    rig.send(queue_end(queue, "member-timeout"))  # sent again after a reconnect: still one row
    found = {row.member_uuid: row for row in rows(rig, QueueCall)}
    assert set(found) == {"member-timeout", "member-answered", "member-abandoned"}
    timeout, answered, abandoned = found["member-timeout"], found["member-answered"], found["member-abandoned"]
    joined = datetime.fromtimestamp(JOINED, timezone.utc)
    assert (timeout.outcome, timeout.wait_seconds, timeout.talk_seconds, timeout.answered_at) == ("timeout", 6, 0, None)
    assert (timeout.tenant_id, timeout.queue_id, timeout.joined_at) == (rig.tenant_id, rig.queue_id, joined)
    assert timeout.call_uuid == "ba46e23f-afbc-4a51-8c83-678791f49299" and timeout.caller_number == "1001"
    assert (answered.outcome, answered.agent_user_id, answered.wait_seconds, answered.talk_seconds) == (
        "answered", rig.user_id, 12, 95)
    assert answered.queue_id == rig.queue_id and answered.answered_at == joined + timedelta(seconds=12)
    assert (abandoned.outcome, abandoned.wait_seconds, abandoned.agent_user_id) == ("abandoned", 41, None)


def test_queues_and_agents_of_other_companies_or_of_nobody_are_not_ours(rig):
    with session_scope(rig.engine) as db:
        other = Tenant(name="Other", sip_domain="other.pbx.test")
        db.add(other)
        db.flush()
        other_id = other.id
    rig.send(queue_end("support@default", "member-captured"),  # the capture's own queue: not one of ours
             queue_end(f"q{rig.queue_id}@nobody.example", "member-nobody"),
             queue_end(f"q{rig.queue_id}@other.pbx.test", "member-other"),
             # an agent of one company named in another company's queue is no agent of it
             answered_end(f"q{rig.queue_id}@other.pbx.test", "member-other-2", rig.agent, 5, 10),
             agent_fail(f"q{rig.queue_id}@other.pbx.test", "member-other-3", rig.agent, JOINED + 2))
    found = {row.member_uuid: row for row in rows(rig, QueueCall)}
    assert set(found) == {"member-other", "member-other-2"}
    assert {row.tenant_id for row in found.values()} == {other_id}
    assert found["member-other-2"].agent_user_id is None
    assert rows(rig, AgentMissedOffer) == []
    with session_scope(rig.engine) as db:
        span = reports.period("custom", reports.company_zone(db, rig.tenant_id), datetime(2026, 11, 1).date(),
                              datetime(2026, 11, 1).date(), datetime(2026, 11, 30).date())
        assert queue_reports.queues_overall(db, rig.tenant_id, span).offered == 0
        assert queue_reports.queues_overall(db, other_id, span).offered == 2


def test_an_offer_the_agent_let_ring_is_a_missed_offer_once(rig):
    queue = f"q{rig.queue_id}@{DOMAIN}"
    rig.send(agent_fail(queue, "member-1", rig.agent, JOINED + 2),
             agent_fail(queue, "member-1", rig.agent, JOINED + 2),  # replayed
             agent_fail(queue, "member-1", rig.agent, JOINED + 40, cause="USER_BUSY"),  # offered again later
             agent_fail(queue, "member-2", rig.agent, JOINED + 50, cause="LOSE_RACE"),  # ring-all: another took it
             agent_fail(queue, "member-3", rig.agent, JOINED + 60, cause="ORIGINATOR_CANCEL"))  # the caller gave up
    missed = rows(rig, AgentMissedOffer)
    assert [(row.member_uuid, row.cause, row.user_id, row.queue_id, row.tenant_id) for row in missed] == [
        ("member-1", "NO_ANSWER", rig.user_id, rig.queue_id, rig.tenant_id),
        ("member-1", "USER_BUSY", rig.user_id, rig.queue_id, rig.tenant_id)]
    assert missed[0].offered_at == datetime.fromtimestamp(JOINED + 2, timezone.utc)
    assert missed[0].call_uuid == "member-1-session"


def test_the_agents_statuses_become_spans(rig):
    t0 = JOINED
    rig.send(register_text())  # the agent's phone is registered: a logout is the agent's own
    rig.send(at(status_text(rig.agent, "Available", index=0), t0),
             at(status_text(rig.agent, "Available", index=0, sequence=576), t0 + 5),  # the same again: nothing
             at(status_text(rig.agent, "On Break", index=1, sequence=578), t0 + 600),
             at(status_text(rig.agent, "Available", index=0, sequence=580), t0 + 900),
             at(status_text(rig.agent, "Logged Out", index=0, sequence=582), t0 + 3600))
    spans = [(row.status, row.started_at, row.ended_at) for row in rows(rig, AgentStatusSpan)]
    moment = lambda seconds: datetime.fromtimestamp(t0 + seconds, timezone.utc)  # noqa: E731
    assert spans == [("Available", moment(0), moment(600)), ("On Break", moment(600), moment(900)),
                     ("Available", moment(900), moment(3600))]
    with session_scope(rig.engine) as db:
        day = datetime.fromtimestamp(t0, timezone.utc).date()
        span = reports.period("custom", reports.company_zone(db, rig.tenant_id), day, day, day + timedelta(days=1))
        (anna,) = [row for row in queue_reports.agents(db, rig.tenant_id, span, moment(7200)) if row.key == str(rig.user_id)]
        assert (anna.logged_in_seconds, anna.break_seconds) == (3600, 300)


def test_the_bridges_own_hold_is_no_logout(rig):
    """An agent who chose Available and has no registered phone is held 'Logged Out' by the bridge: the
    agent's span goes on."""
    rig.send(at(status_text(rig.agent, "Available", index=0), JOINED))
    rig.send(at(status_text(rig.agent, "Logged Out", index=0, sequence=590), JOINED + 60))
    assert [(row.status, row.ended_at) for row in rows(rig, AgentStatusSpan)] == [("Available", None)]


def test_spans_are_made_to_agree_with_the_agents_status_now_and_then(rig):
    """An agent who logged in before spans were recorded, and a logout taken over after a reconnect (no
    event): the bridge's tick gives them the spans of queue_agent's status."""
    from fs_bridge import queue_stats as module
    from web import clock

    logged_in_at = clock.now() - timedelta(hours=2)
    rig.set_agent("Available", registered=True, changed_at=logged_in_at)
    rig.bridge.with_context(module.tick)
    spans = rows(rig, AgentStatusSpan)
    assert [(span.status, span.started_at, span.ended_at, span.tenant_id) for span in spans] == [
        ("Available", logged_in_at, None, rig.tenant_id)]
    rig.bridge.with_context(module.tick)  # agreeing: nothing more
    assert len(rows(rig, AgentStatusSpan)) == 1
    logged_out_at = clock.now() - timedelta(minutes=5)
    rig.set_agent("Logged Out", registered=True, changed_at=logged_out_at)
    rig.bridge.with_context(module.tick)  # not due yet: once a minute
    assert rows(rig, AgentStatusSpan)[0].ended_at is None
    rig.bridge.queue_stats_reconcile_at = 0.0
    rig.bridge.with_context(module.tick)
    assert [(span.status, span.ended_at) for span in rows(rig, AgentStatusSpan)] == [("Available", logged_out_at)]
