"""The bridge's core: real event texts parsed header by header, batches applied in one transaction with
a bad event costing only itself, the health status, and the live feed to the web app."""

from __future__ import annotations

import json
import socket
import types
from datetime import datetime, timedelta, timezone

import gevent
from sqlmodel import select

from fs_bridge.events import parse_plain
from fs_bridge.live_feed import LiveFeed
from fs_bridge.service import Bridge
from tests.fs_bridge.conftest import fixture_event, fixture_text, fixture_texts, rewrite
from web.models.bridge_status import BridgeStatus, health, row_of, worst
from web.models.tenant import Tenant


def test_every_fixture_event_parses_with_its_name_and_decoded_values():
    texts = fixture_texts("esl_events.txt") + fixture_texts("esl_all_events.txt")
    assert len(texts) > 100
    for _, text in texts:
        event = parse_plain(text)
        assert event.name, text[:200]
        assert event.key == (event.subclass if event.name == "CUSTOM" else event.name)
    register = fixture_event("sofia::register")
    assert register.subclass == "sofia::register"  # "sofia%3A%3Aregister" on the wire
    assert register.get("contact").startswith('"" <sip:')  # %22%22%20%3Csip... decoded once, not twice
    assert register.at.year == 2026


def test_a_value_holding_an_encoded_newline_stays_one_header():
    text = rewrite(fixture_texts()[0][1], cp_note="line one\nline two: not a header")
    event = parse_plain(text)
    assert event.get("cp_note") == "line one\nline two: not a header"
    assert "line two" not in event.headers


def _recording_module(seen: list, fail_on: str | None = None):
    def handle(ctx, event):
        if event.uuid == fail_on:
            raise RuntimeError("bad event")
        ctx.db.add(Tenant(name=f"t-{event.uuid[:8]}", sip_domain=f"{event.uuid[:8]}.example.test"))
        seen.append(event.uuid)
    return types.SimpleNamespace(__name__="recording", HANDLES={"CHANNEL_CREATE": handle})


def test_a_batch_is_applied_in_one_go_and_a_failing_event_costs_only_itself(app, settings):
    seen: list = []
    create = fixture_text("CHANNEL_CREATE")
    uuids = [f"{n:08d}-aaaa-bbbb-cccc-dddddddddddd" for n in range(5)]
    bridge = Bridge(settings, app.state.engine, feed=LiveFeed(port=0), modules=[_recording_module(seen, fail_on=uuids[2])])
    for uuid in uuids:
        bridge.receive(parse_plain(rewrite(create, **{"Unique-ID": uuid})))
    bridge.drain()
    from sqlmodel import Session

    with Session(app.state.engine) as db:
        domains = set(db.exec(select(Tenant.sip_domain)).all())
    stored = {u[:8] + ".example.test" for u in uuids} & domains
    assert stored == {u[:8] + ".example.test" for u in uuids if u != uuids[2]}
    assert bridge.counts["failed"] == 1
    assert bridge.status["events"] == 5


def test_the_status_row_tells_connected_disconnected_and_down(app, settings):
    bridge = Bridge(settings, app.state.engine, feed=LiveFeed(port=0), modules=[])
    from sqlmodel import Session

    with Session(app.state.engine) as db:
        assert health(row_of(db, settings)) == "down" and worst(db) is None  # never ran
    bridge.status.update(connected=True, connected_since=datetime.now(timezone.utc))
    bridge.write_status()
    with Session(app.state.engine) as db:
        row = row_of(db, settings)
        assert health(row) == "connected"
        assert row.esl_address == f"{settings.esl_host}:{settings.esl_port}"
        assert health(row, now=datetime.now(timezone.utc) + timedelta(minutes=5)) == "down"  # heartbeat stale
    bridge._disconnected("connection closed")
    with Session(app.state.engine) as db:
        row = row_of(db, settings)
        assert health(row) == "disconnected" and row.last_error == "connection closed"


def _read_lines(sock: socket.socket, count: int, timeout: float = 5.0) -> list[dict]:
    sock.settimeout(timeout)
    data = b""
    while data.count(b"\n") < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return [json.loads(line) for line in data.decode().splitlines()]


def test_the_live_feed_sends_each_change_to_every_connected_web_app():
    feed = LiveFeed(port=0)
    feed.start()
    try:
        clients = [socket.create_connection(("127.0.0.1", feed.port)) for _ in range(2)]
        gevent.sleep(0.1)
        feed.publish(7, "call", {"uuid": "u1", "state": "ringing"})
        feed.publish(8, "registration", {"user": "1001"})
        # the feed runs in gevent; let it write while we read in this (unpatched) thread
        gevent.sleep(0.1)
        for client in clients:
            lines = _read_lines(client, 2)
            assert lines == [{"tenant_id": 7, "kind": "call", "data": {"uuid": "u1", "state": "ringing"}},
                             {"tenant_id": 8, "kind": "registration", "data": {"user": "1001"}}]
            client.close()
    finally:
        feed.stop()


def test_escaped_values_decode_alike_however_many_and_whatever_they_hold():
    from urllib.parse import quote

    from fs_bridge.events import parse_headers

    values = {"a": "plain", "b": "with space", "c": "nul\x00inside", "d": "100%", "e": "line\nbreak", "f": "é ü"}
    text = "\n".join(f"{name}: {quote(value, safe='')}" for name, value in values.items())
    assert parse_headers(text) == values
    assert list(parse_headers(text)) == list(values)  # FreeSWITCH's order kept
    without_nul = {k: v for k, v in values.items() if k != "c"}
    assert parse_headers("\n".join(f"{k}: {quote(v, safe='')}" for k, v in without_nul.items())) == without_nul


def test_coming_and_going_of_freeswitch_is_announced_on_the_feed(app, settings):
    feed = LiveFeed(port=0)
    feed.start()
    try:
        client = socket.create_connection(("127.0.0.1", feed.port))
        gevent.sleep(0.1)
        bridge = Bridge(settings, app.state.engine, feed=feed, modules=[])
        bridge._connected(types.SimpleNamespace(connected=True))
        bridge._disconnected("connection closed")
        gevent.sleep(0.1)
        first, second = _read_lines(client, 2)
        assert (first["tenant_id"], first["kind"], first["data"]["health"]) == (None, "bridge", "connected")
        assert first["data"]["connected_since"]
        assert (second["kind"], second["data"]["health"], second["data"]["connected_since"]) == ("bridge", "disconnected", None)
        client.close()
    finally:
        feed.stop()


def test_each_bridge_keeps_its_own_row_and_the_worst_one_is_shown(app, settings):
    from dataclasses import replace
    from sqlmodel import Session

    first = Bridge(settings, app.state.engine, feed=LiveFeed(port=0), modules=[])
    second = Bridge(replace(settings, esl_host="192.0.2.7", esl_port=8021), app.state.engine,
                    feed=LiveFeed(port=0), modules=[])
    first.status.update(connected=True, connected_since=datetime.now(timezone.utc))
    first.write_status()
    second.write_status()  # running, its FreeSWITCH not answering
    with Session(app.state.engine) as db:
        rows = db.exec(select(BridgeStatus)).all()
        assert sorted(r.esl_address for r in rows) == sorted([f"{settings.esl_host}:{settings.esl_port}", "192.0.2.7:8021"])
        assert health(row_of(db, settings)) == "connected"
        assert worst(db).esl_address == "192.0.2.7:8021"  # one FreeSWITCH unwatched shows
        later = datetime.now(timezone.utc) + timedelta(days=2)
        assert worst(db, now=later) is None  # bridges silent for days were taken away: forgotten
