"""Call-center queues on the home switch (#19, callplan/home.py, callplan/engine.py), on two real FreeSWITCH
behind the SIP edge with CALLPLAN_HOME_SWITCH=fs1 (the rig of test_home_switch_on_freeswitch.py).

A public number's plan is a time condition (always open) and, inside it, a queue step. Two carrier
callers call it, one sent straight to each switch's carrier port: the time condition runs where each
landed, the queue step and what follows run on fs1, so both wait in ONE queue there (fs1's mod_callcenter
lists both members, fs2's none), and the queue's one agent, a SIPp phone registered through the edge, is
offered them one after the other (its second call only once the first has ended, never two at once).
Two live calls, not three: the caller that reached fs2 shows as waiting in fs1's queue (its own leg's
answer by the hand-over does not undo that; before, it did: "answered", no queue). Each call is one record: the time condition (taken on the switch the caller reached) and the queue step
(on fs1) in order, and the agent as who answered."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlmodel import select

from bench.switch_load import Edge, make_world
from tests.freeswitch import harness
from tests.freeswitch.edge import carrier_calls, missing_kamailio
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_failover_on_freeswitch import Phone
from tests.freeswitch.test_home_switch_on_freeswitch import _session, carrier_port, live_calls

MISSING = harness.missing_tools() or missing_kamailio()
pytestmark = [pytest.mark.freeswitch,
              pytest.mark.skipif(bool(MISSING), reason=f"needs FreeSWITCH, SIPp and Kamailio ({MISSING})")]

QUEUE_NUMBER = "+31201237010"


def add_queue_plan(world) -> dict:
    """Through the API, as an admin would: an agent (user, phone, one second of wrap-up), a queue with that
    agent, and a plan on a public number: time condition (always) -> the queue step. What the test needs."""
    from starlette.testclient import TestClient

    from web.app import create_app
    from web.auth.tokens import digest, new_api_token
    from web.db import session_scope
    from web.demo import DEMO_ADMIN
    from web.domain import audit, numbers
    from web.models import Account, ApiToken

    app = create_app(world.settings)
    raw = new_api_token()
    with session_scope(app.state.engine, audit.SYSTEM) as db:
        admin = db.exec(select(Account).where(Account.email == DEMO_ADMIN)).one()
        db.add(ApiToken(account_id=admin.id, tenant_id=admin.tenant_id, name="home queue", prefix=raw[:10],
                        token_hash=digest(raw)))
        numbers.assign(db, admin.tenant_id, [QUEUE_NUMBER])

    def ok(response):
        assert response.status_code in (200, 201), response.text
        return response.json()

    try:
        with TestClient(app, base_url=world.settings.public_base_url, headers={"authorization": f"Bearer {raw}"}) as client:
            agent = ok(client.post("/api/users", json={"first_name": "Queue", "last_name": "Agent", "extension": "281",
                                                      "language": "en"}))
            ok(client.patch(f"/api/users/{agent['id']}", json={"agent": {"wrap_up_time_s": 1, "max_no_answer": 0}}))
            device = ok(client.post("/api/devices", json={"name": "Agent phone", "user_id": agent["id"]}))
            queue = ok(client.post("/api/queues", json={"name": "Home queue", "extension": "480", "max_wait_s": 120,
                                                         "tiers": [{"user_id": agent["id"]}]}))
            (always,) = [row for row in ok(client.get("/api/schedules")) if row["name"] == "Always"]
            plan = ok(client.post("/api/plans", json={"name": "Home queue", "numbers": [QUEUE_NUMBER], "steps": [
                {"id": "open", "type": "time_condition", "schedule": always["id"],
                 "then": [{"id": "wait", "type": "queue", "queue": queue["id"]}]},
                {"id": "after", "type": "hang_up"}]}))
            ok(client.post(f"/api/plans/{plan['id']}/publish", json={"note": "home queue"}))
    finally:
        app.state.engine.dispose()
    return {"token": raw, "agent": agent, "device": device, "queue": queue, "plan": plan}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, pg_databases):
    work = tmp_path_factory.mktemp("homequeue")
    world = make_world(work, pg_databases.create(), lines=1)
    made = add_queue_plan(world)
    setup = Edge(world, xml_curl_timeout=5, home="fs1")
    phone = Phone(work / "agent")
    try:
        setup.start()
        yield setup, world, made, phone
    finally:
        setup.stop()
        phone.stop()


def members(fs, queue: str) -> list[list[str]]:
    """mod_callcenter's members of a queue on this switch (a header line, then uuid|...|state|...)."""
    lines = [line.split("|") for line in fs.api(f"callcenter_config queue list members {queue}").splitlines() if "|" in line]
    return lines[1:]


def test_callers_on_two_switches_wait_in_one_queue_on_the_home_switch_and_one_agent_takes_them_in_turn(cluster, tmp_path):
    setup, world, made, phone = cluster
    home, other = setup.fleet
    domain, agent, queue = world.domain, made["agent"], made["queue"]
    name = f"q{queue['id']}@{domain}"

    # the agent's phone registers through the edge; the agent logs in through the running app (which tells
    # every switch); only fs1's mod_callcenter will ever have a caller to offer
    status = harness.register(tmp_path, None, made["device"]["sip_username"], domain, made["device"]["sip_password"],
                              expires=600, contact_port=phone.port, target=setup.phone_target())
    assert status == [200], (status, setup.edge.log_tail())
    api = httpx.Client(base_url=setup.base_url, headers={"authorization": f"Bearer {made['token']}"}, timeout=30)

    def registered():
        rows = api.get("/api/agents").json()
        return any(row["user_id"] == agent["id"] and row["phone_registered"] for row in rows)
    assert wait_for(registered, 30), api.get("/api/agents").text
    answer = api.put(f"/api/agents/{agent['id']}/status", json={"status": "available"})
    assert answer.status_code == 200, answer.text
    assert wait_for(lambda: f"u{agent['id']}@{domain}|" in home.api("callcenter_config agent list")
                    and "|Available|" in home.api("callcenter_config agent list"), 15), home.api("callcenter_config agent list")

    # two carrier callers, one on each switch: the one on fs1 first (it holds 12 s once answered), the one
    # on fs2 two seconds later (held 40 s: long enough to wait for the agent and then talk)
    results: dict = {}

    def call(fs, label, hold_ms):
        results[label] = carrier_calls(tmp_path / label, carrier_port(fs), QUEUE_NUMBER, 1, 1, hold_ms=hold_ms, timeout=90)

    first = threading.Thread(target=call, args=(home, "fs1", 12000), daemon=True)
    second = threading.Thread(target=call, args=(other, "fs2", 40000), daemon=True)
    first.start()
    time.sleep(2)
    second.start()
    try:
        # both callers are members of the one queue on fs1 (one talking to the agent, one waiting); fs2's
        # mod_callcenter has none: its caller was handed to fs1 at the queue step
        both = wait_for(lambda: (lambda found: found if len(found) == 2 else None)(members(home, name)), 20, 0.3)
        assert both, (members(home, name), home.log_tail(150), other.log_tail(150))
        assert members(other, name) == [], other.api(f"callcenter_config queue list members {name}")
        # two live calls, not three; the one that reached fs2 (its row, written by fs2's bridge) shows it
        # waiting in fs1's queue, and its own leg's answer by the hand-over does not undo that
        def waiting():
            rows = tiles(world)
            return rows if len(rows) == 2 and ("fs2", "queued", queue["id"]) in rows else None
        assert wait_for(waiting, 10, 0.3), tiles(world)
        time.sleep(1.5)
        assert ("fs2", "queued", queue["id"]) in tiles(world), tiles(world)
        # the agent is offered one call at a time: a second INVITE only after the first call's BYE
        assert wait_for(lambda: phone.invites() >= 1, 15), (home.log_tail(150), setup.edge.log_tail())
        time.sleep(4)
        assert phone.invites() == 1, "the agent was offered a second call while on the first"
        assert wait_for(lambda: phone.invites() >= 2, 40), (members(home, name), home.log_tail(200))
        log = phone.messages.read_text(errors="replace")
        invites = [index for index, line in enumerate(log.splitlines()) if line.startswith("INVITE sip:")]
        byes = [index for index, line in enumerate(log.splitlines()) if line.startswith("BYE sip:")]
        assert byes and byes[0] < invites[1], "the second call was offered before the first had ended"
    finally:
        first.join(120)
        second.join(120)
    assert results == {"fs1": (1, 0), "fs2": (1, 0)}, (results, home.log_tail(100), other.log_tail(100))

    # two calls, two records: each the time condition and then the queue step, answered by the agent
    assert wait_for(lambda: not live_calls(world), 20, 0.3), live_calls(world)

    def settled():
        rows = stored(world)
        return rows if len(rows) == 2 and all(row[2] and "cdr" in row[4] for row in rows) else None
    rows = wait_for(settled, 30, 0.5) or stored(world)
    assert len(rows) == 2, rows
    for call_uuid, dialled, answered_by, steps, sources in rows:
        assert dialled == QUEUE_NUMBER and answered_by == agent["id"], rows
        assert steps == ["open", "wait"], rows
    # the caller that reached fs2 was handed over: its record has the home switch's leg in it too
    assert sum(1 for *_, sources in rows if "home" in sources) == 1, rows


def tiles(world) -> list:
    from web.models.live import ActiveCall

    with _session(world) as db:
        return [(row.switch, row.state, row.queue_id) for row in db.exec(select(ActiveCall)).all()]


def stored(world) -> list:
    from web.models.call_record import CallRecord

    with _session(world) as db:
        return [(row.call_uuid, row.dialled_number, row.answered_by_user_id, list(row.steps or []), list(row.sources or []))
                for row in db.exec(select(CallRecord).where(CallRecord.dialled_number == QUEUE_NUMBER)).all()]
