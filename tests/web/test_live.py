"""Live state over the websocket /api/live, fed by the bridge's real LiveFeed (fs_bridge/live_feed.py):
who may connect, the snapshot, each tenant's changes only, the session ending, the feed going away and
coming back. And the GET snapshots. On SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import gevent
import pytest
from starlette.testclient import TestClient, WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

import web.live
from fs_bridge.live_feed import LiveFeed
from tests.conftest import fast_settings, free_port
from tests.web.factories_devices import make_device
from tests.web.helpers import login, make_account, make_tenant, make_token
from web import clock
from web.app import create_app
from web.db import session_scope
from web.models.bridge_status import write_status
from web.models.live import ActiveCall, QueueAgent, SipRegistration
from web.models.pbx_user import PbxUser
from web.settings import REPO_ROOT


def wait_until(predicate, timeout: float = 10.0) -> bool:
    """Polls while letting the feed's greenlets run (gevent is not monkey-patched in the tests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        gevent.sleep(0.02)
    return predicate()


@pytest.fixture
def feed_port():
    return free_port()


@pytest.fixture
def feed(feed_port):
    feed = LiveFeed(port=feed_port)
    feed.start()
    yield feed
    feed.stop()


@pytest.fixture
def live_app(database_url, tmp_path, feed_port):
    # the loopback feed on both engines (on PostgreSQL the app would LISTEN by default: test_live_notify.py)
    app = create_app(fast_settings(database_url, audio_dir=str(tmp_path / "audio"), bridge_feed_port=feed_port,
                                   live_source="feed"))
    yield app
    app.state.engine.dispose()


@pytest.fixture
def db(live_app):
    return lambda: session_scope(live_app.state.engine)


@pytest.fixture
def tenants(live_app, db):
    a = make_tenant(db, name="A", sip_domain="a.pbx.test")
    b = make_tenant(db, name="B", sip_domain="b.pbx.test")
    settings = live_app.state.settings
    for tenant, name in ((a, "a"), (b, "b")):
        for role in ("admin", "agent", "reports", "user"):
            make_account(db, settings, tenant.id, f"{role}@{name}.test", role=role)
    make_account(db, settings, None, "operator@platform.test", role="operator")
    return a, b


def browser(app, email: str) -> TestClient:
    client = TestClient(app)
    login(client, email)
    return client


def next_change(ws) -> dict:
    """The next message that is not a keep-alive."""
    while True:
        message = ws.receive_json()
        if message["kind"] != "ping":
            return message


def arrange(db, settings, tenant_id: int, tag: str) -> None:
    now = clock.now()
    with db() as session:
        user = PbxUser(tenant_id=tenant_id, first_name=f"Agent {tag}", extension="201")
        session.add(user)
        session.flush()
        session.add(QueueAgent(tenant_id=tenant_id, user_id=user.id, status="Available", phone_registered=True))
        session.add(ActiveCall(tenant_id=tenant_id, call_uuid=f"call-{tag}", caller_number=f"+3120{tag}",
                               dialled_number="200", started_at=now, state="answered", answered_at=now))
    device_id = make_device(db, settings, tenant_id, name=f"Desk {tag}", sip_username=f"dev{tag}")
    with db() as session:
        session.add(SipRegistration(tenant_id=tenant_id, call_id=f"reg-{tag}", sip_user=f"dev{tag}",
                                    realm=f"{tag}.pbx.test", device_id=device_id,
                                    contact=f"sip:dev{tag}@192.0.2.10:5062", network_ip="192.0.2.10",
                                    network_port=5062, user_agent="Yealink SIP-T46U", expires_at=now + timedelta(seconds=300)))
        session.add(SipRegistration(tenant_id=tenant_id, call_id=f"old-{tag}", sip_user=f"dev{tag}",
                                    realm=f"{tag}.pbx.test", contact="sip:gone@192.0.2.11", user_agent="old",
                                    expires_at=now - timedelta(seconds=5)))  # expired: not shown


# --- who may connect ----------------------------------------------------------------------------------


def test_the_socket_refuses_strangers_wrong_roles_and_foreign_origins(live_app, tenants, db):
    a, _ = tenants
    anonymous = TestClient(live_app)
    with pytest.raises(WebSocketDenialResponse) as refused:
        anonymous.websocket_connect("/api/live").__enter__()
    assert refused.value.status_code == 401 and refused.value.json()["code"] == "unauthenticated"
    for email in ("user@a.test", "operator@platform.test"):  # no live.read; the operator has no tenant
        with pytest.raises(WebSocketDenialResponse) as refused:
            browser(live_app, email).websocket_connect("/api/live").__enter__()
        assert refused.value.status_code == 403, email
    # a page on another site opening the socket with the admin's cookie (cross-site websocket hijacking)
    admin = browser(live_app, "admin@a.test")
    with pytest.raises(WebSocketDenialResponse) as refused:
        admin.websocket_connect("/api/live", headers={"origin": "https://evil.example"}).__enter__()
    assert refused.value.status_code == 403 and refused.value.json()["code"] == "cross_origin"
    # a forged or stale cookie is nobody
    forged = TestClient(live_app, cookies={"pbx_session": "not-a-session"})
    with pytest.raises(WebSocketDenialResponse) as refused:
        forged.websocket_connect("/api/live").__enter__()
    assert refused.value.status_code == 401
    # the portal's own origin, and the roles with live.read, are let in
    for email in ("admin@a.test", "agent@a.test", "reports@a.test"):
        client = browser(live_app, email)
        with client.websocket_connect("/api/live", headers={"origin": "http://testserver"}) as ws:
            assert ws.receive_json()["kind"] == "snapshot", email
    # an API token works too (not a browser: no cookie)
    account_token = make_token(db, _account(db, "admin@a.test"))
    with TestClient(live_app).websocket_connect("/api/live", headers={"authorization": f"Bearer {account_token}"}) as ws:
        assert ws.receive_json()["kind"] == "snapshot"


def _account(db, email):
    from sqlmodel import select

    from web.models import Account

    with db() as session:
        return session.exec(select(Account).where(Account.email == email)).one()


# --- what it says --------------------------------------------------------------------------------------


def test_snapshot_holds_the_tenants_calls_registrations_agents_and_bridge_health(live_app, tenants, db):
    a, b = tenants
    arrange(db, live_app.state.settings, a.id, "a")
    arrange(db, live_app.state.settings, b.id, "b")
    with db() as session:
        write_status(session, live_app.state.settings, {"connected": True, "connected_since": clock.now(),
                                                        "last_event_at": clock.now(), "events": 7, "reconnects": 2})
    admin = browser(live_app, "admin@a.test")
    with admin.websocket_connect("/api/live") as ws:
        first = ws.receive_json()
    assert first["kind"] == "snapshot"
    data = first["data"]
    assert [call["call_uuid"] for call in data["calls"]] == ["call-a"]
    [registration] = data["registrations"]
    assert (registration["contact"], registration["user_agent"], registration["device_name"], registration["network_ip"]) == (
        "sip:deva@192.0.2.10:5062", "Yealink SIP-T46U", "Desk a", "192.0.2.10")
    assert datetime.fromisoformat(registration["expires_at"]) > datetime.now(timezone.utc)
    [agent] = data["agents"]
    assert (agent["name"], agent["extension"], agent["status"], agent["phone_registered"]) == ("Agent a", "201", "Available", True)
    assert data["bridge"]["health"] == "connected" and data["bridge"]["reconnects"] == 2
    # the same over GET, and the registrations list
    assert admin.get("/api/live/snapshot").json()["calls"] == data["calls"]
    assert [r["sip_user"] for r in admin.get("/api/registrations").json()] == ["deva"]
    assert [r["sip_user"] for r in browser(live_app, "admin@b.test").get("/api/registrations").json()] == ["devb"]


def test_each_tenant_gets_only_its_own_changes(live_app, tenants, feed):
    a, b = tenants
    admin_a, admin_b, agent_a = (browser(live_app, e) for e in ("admin@a.test", "admin@b.test", "agent@a.test"))
    with admin_a.websocket_connect("/api/live") as ws_a, admin_b.websocket_connect("/api/live") as ws_b, \
            agent_a.websocket_connect("/api/live") as ws_agent:
        for ws in (ws_a, ws_b, ws_agent):
            assert ws.receive_json()["kind"] == "snapshot"
        # one reader per event loop (uvicorn: per process; the test client runs a loop per socket)
        readers = live_app.state.live_feeds
        assert wait_until(lambda: len(readers) == 3 and all(r.connected for r in list(readers.values())))
        assert wait_until(lambda: len(feed._clients) == 3)
        # B's changes first: were they to leak, they would be the next thing A's sockets read
        feed.publish(b.id, "call", {"call_uuid": "secret-of-b"})
        feed.publish(b.id, "blocked", {"address": "198.51.100.9"})
        feed.publish(None, "blocked", {"address": "198.51.100.10"})  # no tenant: the operator's list only
        feed.publish(a.id, "blocked", {"address": "198.51.100.11"})
        feed.publish(a.id, "call", {"call_uuid": "of-a"})
        feed.publish(None, "bridge", {"health": "disconnected"})
        assert wait_until(lambda: feed.published == 6) and gevent.sleep(0.1) is None
        assert next_change(ws_a) == {"kind": "blocked", "data": {"address": "198.51.100.11"}}
        assert next_change(ws_a) == {"kind": "call", "data": {"call_uuid": "of-a"}}
        assert next_change(ws_a) == {"kind": "bridge", "data": {"health": "disconnected"}}
        # the agent has live.read but may not see blocks
        assert next_change(ws_agent) == {"kind": "call", "data": {"call_uuid": "of-a"}}
        assert next_change(ws_agent)["kind"] == "bridge"
        assert next_change(ws_b) == {"kind": "call", "data": {"call_uuid": "secret-of-b"}}
        assert next_change(ws_b) == {"kind": "blocked", "data": {"address": "198.51.100.9"}}
        assert next_change(ws_b)["kind"] == "bridge"
        ws_a.send_text("ping")
        assert next_change(ws_a) == {"kind": "pong"}
    assert wait_until(lambda: not readers)  # the last socket gone: the reader hangs up
    # (the feed notices a reader gone when it next has something for it)
    assert wait_until(lambda: feed.publish(a.id, "call", {}) or len(feed._clients) == 0)


def test_blocks_as_they_happen_for_the_tenant_admin_and_the_operator(live_app, tenants, feed, db):
    from tests.web.factories_live import make_block

    a, b = tenants
    make_block(db, live_app.state.settings, a.id, address="198.51.100.21")
    make_block(db, live_app.state.settings, b.id, address="198.51.100.22")
    admin_a, operator = browser(live_app, "admin@a.test"), browser(live_app, "operator@platform.test")
    with admin_a.websocket_connect("/api/blocked-addresses/live") as ws_a, \
            operator.websocket_connect("/api/blocked-addresses/live") as ws_op:
        assert [row["address"] for row in ws_a.receive_json()["data"]] == ["198.51.100.21"]
        assert sorted(row["address"] for row in ws_op.receive_json()["data"]) == ["198.51.100.21", "198.51.100.22"]
        readers = live_app.state.live_feeds
        assert wait_until(lambda: len(readers) == 2 and all(r.connected for r in list(readers.values())))
        assert wait_until(lambda: len(feed._clients) == 2)
        feed.publish(b.id, "blocked", {"address": "198.51.100.23"})
        feed.publish(a.id, "call", {"call_uuid": "not for this socket"})
        feed.publish(None, "blocked", {"address": "198.51.100.24"})  # tried no known domain
        feed.publish(a.id, "blocked", {"address": "198.51.100.25"})
        gevent.sleep(0.2)
        assert next_change(ws_a) == {"kind": "blocked", "data": {"address": "198.51.100.25"}}
        assert [next_change(ws_op)["data"]["address"] for _ in range(3)] == ["198.51.100.23", "198.51.100.24", "198.51.100.25"]


def test_the_socket_closes_when_the_session_ends(live_app, tenants, monkeypatch):
    monkeypatch.setattr(web.live, "KEEPALIVE_S", 0.2)
    admin = browser(live_app, "admin@a.test")
    with admin.websocket_connect("/api/live") as ws:
        assert ws.receive_json()["kind"] == "snapshot"
        assert ws.receive_json() == {"kind": "ping"}  # quiet: kept alive
        assert admin.post("/api/auth/logout").status_code == 204
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_json()
        assert closed.value.code == 1008


def test_a_session_that_expires_closes_too(live_app, tenants, monkeypatch):
    monkeypatch.setattr(web.live, "KEEPALIVE_S", 0.2)
    admin = browser(live_app, "admin@a.test")
    with admin.websocket_connect("/api/live") as ws:
        assert ws.receive_json()["kind"] == "snapshot"
        clock.advance(13 * 3600)
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                ws.receive_json()
        assert closed.value.code == 1008


FEED_PROCESS = """
import sys, gevent
from fs_bridge.live_feed import LiveFeed
port, tenant, tag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
feed = LiveFeed(port=port)
feed.start()
n = 0
while True:
    gevent.sleep(0.1)
    n += 1
    feed.publish(tenant, "call", {"from": tag, "seq": n})
"""


def bridge_feed(port: int, tenant_id: int, tag: str) -> subprocess.Popen:
    """A bridge's feed in a process of its own, publishing a change every 0.1 s until it is killed."""
    return subprocess.Popen([sys.executable, "-c", FEED_PROCESS, str(port), str(tenant_id), tag], cwd=REPO_ROOT)


def test_without_the_bridge_the_app_works_and_the_feed_is_picked_up_when_it_comes(live_app, tenants, feed_port, monkeypatch):
    monkeypatch.setattr(web.live, "BACKOFF_CAP", 0.3)
    admin = browser(live_app, "admin@a.test")
    a, _ = tenants
    with TestClient(live_app) as lifespan_client:  # the app starts and stops with no bridge anywhere
        assert lifespan_client.get("/api/health").status_code == 200
    with admin.websocket_connect("/api/live") as ws:
        assert ws.receive_json()["kind"] == "snapshot"  # answered from the database, bridge or not
        assert admin.get("/api/live/snapshot").status_code == 200
        assert admin.get("/api/system/bridge").json()["health"] == "down"
        first = bridge_feed(feed_port, a.id, "first")  # the bridge starts
        try:
            change = next_change(ws)
            assert change["kind"] == "call" and change["data"]["from"] == "first"
        finally:
            first.kill()  # the bridge dies
            first.wait()
        second = bridge_feed(feed_port, a.id, "second")  # and comes back
        try:
            # changes published while it was away are lost: the socket gets a fresh snapshot first
            kinds = []
            while not kinds or kinds[-1] != "snapshot":
                kinds.append(next_change(ws)["kind"])
            assert set(kinds) <= {"call", "snapshot"}
            change = next_change(ws)
            assert change["kind"] == "call" and change["data"]["from"] == "second"
        finally:
            second.kill()
            second.wait()


def test_system_bridge_for_admins_and_the_operator(live_app, tenants, db):
    with db() as session:
        write_status(session, live_app.state.settings, {"connected": False, "reconnects": 3, "events": 10,
                                                        "last_error": "connection refused"})
    operator = browser(live_app, "operator@platform.test").get("/api/system/bridge").json()
    assert operator["health"] == "disconnected" and operator["last_error"] == "connection refused"
    assert operator["esl_address"] == "127.0.0.1:8021"
    admin = browser(live_app, "admin@a.test").get("/api/system/bridge").json()
    assert admin["health"] == "disconnected" and admin["reconnects"] == 3
    assert admin["esl_address"] is None and admin["last_error"] is None  # platform details stay with the operator
    assert browser(live_app, "agent@a.test").get("/api/system/bridge").status_code == 403


# --- the route walk for websockets (tests/web/test_permissions.py walks the HTTP routes) ----------------


def test_every_websocket_route_answers_each_role_as_the_permission_table_says(live_app, tenants, db):
    from starlette.routing import WebSocketRoute

    from tests.web.test_permissions import expected_access
    from web.permissions import ANONYMOUS, ROLES

    a, _ = tenants
    clients = {ANONYMOUS: TestClient(live_app)}
    for role in ROLES:
        email = "operator@platform.test" if role == "operator" else f"{role}@a.test"
        clients[role] = TestClient(live_app, headers={"authorization": f"Bearer {make_token(db, _account(db, email))}"})
    sockets = [route for route in live_app.routes if isinstance(route, WebSocketRoute)]
    assert sorted(route.path for route in sockets) == ["/api/blocked-addresses/live", "/api/live", "/api/me/voicemail/live"]
    for route in sockets:
        for role, client in clients.items():
            if expected_access(role, route.permission):
                with client.websocket_connect(route.path) as ws:
                    assert ws.receive_json()["kind"] == "snapshot", role
            else:
                with pytest.raises(WebSocketDenialResponse) as refused:
                    client.websocket_connect(route.path).__enter__()
                assert refused.value.status_code == (401 if role == ANONYMOUS else 403), role
