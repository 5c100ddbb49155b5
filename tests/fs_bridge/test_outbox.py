"""Delivering the outbox: a receiver that is down and then up gets every delivery with the same
idempotency key and a valid signature; backoff and giving up; claims that two bridges cannot share; a
restart loses nothing; hang-up to webhook POST end to end through the bridge process."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import gevent
import pytest
from sqlmodel import select

from fs_bridge import outbox
from fs_bridge.events import parse_plain
from fs_bridge.live_feed import LiveFeed
from fs_bridge.service import Bridge
from tests.conftest import free_port
from tests.fs_bridge.esl_server import EslServer
from tests.fs_bridge.notice_support import email_event, hangup_event, make_plan
from tests.processes import STARTUP_SECONDS, own_env
from tests.web.factories_webhooks import make_webhook
from web import clock
from web.db import make_engine
from web.migrate import upgrade
from web.models.notification import DeliveryAttempt, OutboxMessage
from web.domain.notices import verify
from web.secretbox import seal
from web.settings import REPO_ROOT

SECRET = "whsec_factory"  # what tests/web/factories_webhooks.py seals


class Receiver:
    """A real HTTP server recording every request; answers with `statuses` in turn, then 200."""

    def __init__(self, port: int = 0, statuses=()):
        self.requests: list[dict] = []
        self.statuses = list(statuses)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append({"headers": dict(self.headers), "body": body, "at": time.monotonic()})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/pbx"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def settings(settings):
    """The receivers here listen on 127.0.0.1: an on-premises installation's setting lets webhooks reach
    it (tests/web/test_webhook_targets.py proves it is refused without)."""
    return dataclasses.replace(settings, webhook_allow_private=True)


@pytest.fixture
def receivers():
    made = []

    def make(**options):
        receiver = Receiver(**options)
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture
def bridge(app, settings):
    return Bridge(settings, app.state.engine, feed=LiveFeed(port=0))


def feed(bridge, *texts):
    for text in texts:
        bridge.receive(parse_plain(text))
    bridge.drain()


def rows(db, model=OutboxMessage, **where):
    with db() as session:
        query = select(model).order_by(model.id)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return list(session.exec(query).all())


def assert_signed(request, secret=SECRET):
    headers = request["headers"]
    assert headers["Content-Type"] == "application/json"
    assert verify(secret, headers["X-Timestamp"], request["body"], headers["X-Signature"])
    assert abs(int(headers["X-Timestamp"]) - clock.timestamp()) < 3600 * 2  # (the test moves the clock)


def test_a_receiver_down_then_up_gets_every_delivery_with_the_same_key_and_a_valid_signature(bridge, admin, db, settings, receivers):
    port = free_port()  # nothing listens yet: connection refused
    make_webhook(db, settings, admin.tenant.id, url=f"http://127.0.0.1:{port}/hooks/pbx",
                 events=["missed_call", "call_ended"])
    plan = make_plan(db, admin.tenant.id)
    feed(bridge, email_event(plan, uuid="11111111-2222-4333-8444-555555555555"), hangup_event())
    assert len(rows(db, channel="webhook")) == 2

    assert outbox.deliver_due(bridge.engine, settings) == 3  # (the mail too: no relay listens)
    first = rows(db, channel="webhook")
    assert [m.status for m in first] == ["pending", "pending"] and [m.attempts for m in first] == [1, 1]
    assert all(m.last_error == "could not connect" for m in first)
    assert outbox.deliver_due(bridge.engine, settings) == 0  # not due again before its backoff

    receiver = receivers(port=port, statuses=[503])  # up, but the first answer is an error
    for _ in range(3):
        clock.advance(outbox.backoff(3) + 1)
        outbox.deliver_due(bridge.engine, settings)
    done = rows(db, channel="webhook")
    assert [m.status for m in done] == ["delivered", "delivered"]
    assert sorted(m.attempts for m in done) == [2, 3]

    by_key: dict[str, list] = {}
    for request in receiver.requests:
        assert_signed(request)
        by_key.setdefault(request["headers"]["X-Idempotency-Key"], []).append(request)
    assert set(by_key) == {"11111111-2222-4333-8444-555555555555:s2", f"{parse_plain(hangup_event()).uuid}:ended"}
    retried = next(requests for requests in by_key.values() if len(requests) == 2)
    assert retried[0]["body"] == retried[1]["body"]  # the same body, signed anew per try
    missed = json.loads(by_key["11111111-2222-4333-8444-555555555555:s2"][0]["body"])
    assert set(missed) == {"id", "event", "tenant_id", "occurred_at", "data"}
    assert missed["event"] == "missed_call" and missed["tenant_id"] == admin.tenant.id
    assert missed["data"]["dialled"] == "+31201234567"
    assert by_key["11111111-2222-4333-8444-555555555555:s2"][0]["headers"]["X-Event"] == "missed_call"

    webhook_ids = {m.id for m in done}
    attempts = [a for a in rows(db, DeliveryAttempt) if a.message_id in webhook_ids]
    assert len(attempts) == 5 and sum(a.ok for a in attempts) == 2
    assert {a.status_code for a in attempts if not a.ok} == {None, 503}


def test_a_wrong_secret_does_not_verify(bridge, admin, db, settings, receivers):
    receiver = receivers()
    make_webhook(db, settings, admin.tenant.id, url=receiver.url, events=["call_ended"])
    feed(bridge, hangup_event())
    outbox.deliver_due(bridge.engine, settings)
    [request] = receiver.requests
    assert_signed(request)
    headers = request["headers"]
    assert not verify("whsec_other", headers["X-Timestamp"], request["body"], headers["X-Signature"])
    assert not verify(SECRET, headers["X-Timestamp"], request["body"] + b" ", headers["X-Signature"])


def test_backoff_doubles_up_to_an_hour_and_gives_up_after_ten_tries(bridge, admin, db, settings):
    assert [outbox.backoff(n) for n in (1, 2, 3, 10, 12, 20)] == [2, 4, 8, 1024, 3600, 3600]
    make_webhook(db, settings, admin.tenant.id, url=f"http://127.0.0.1:{free_port()}/", events=["call_ended"])
    feed(bridge, hangup_event())
    seen = []
    for _ in range(outbox.MAX_ATTEMPTS + 2):
        outbox.deliver_due(bridge.engine, settings)
        [message] = rows(db)
        seen.append((message.status, message.attempts))
        clock.advance(outbox.BACKOFF_CAP_S + 1)
    assert seen[0] == ("pending", 1)
    assert seen[outbox.MAX_ATTEMPTS - 1] == ("failed", outbox.MAX_ATTEMPTS)
    assert seen[-1] == ("failed", outbox.MAX_ATTEMPTS)  # no more tries
    assert len(rows(db, DeliveryAttempt)) == outbox.MAX_ATTEMPTS


def test_a_claimed_message_is_not_claimed_again_until_its_lease_runs_out(bridge, admin, db, settings):
    make_webhook(db, settings, admin.tenant.id, url="http://127.0.0.1:9/", events=["call_ended"])
    feed(bridge, hangup_event(), hangup_event(**{"Unique-ID": "second-call"}))
    mine = outbox.claim(bridge.engine, settings, 1)
    theirs = outbox.claim(bridge.engine, settings, 10)  # another bridge, meanwhile
    assert len(mine) == 1 and len(theirs) == 1 and set(mine).isdisjoint(theirs)
    assert outbox.claim(bridge.engine, settings, 10) == []
    clock.advance(outbox.lease_seconds(settings) + 1)  # both senders died mid-way
    assert sorted(outbox.claim(bridge.engine, settings, 10)) == sorted(mine + theirs)


def test_concurrent_claims_never_share_a_message(bridge, admin, db, settings):
    make_webhook(db, settings, admin.tenant.id, url="http://127.0.0.1:9/", events=["call_ended"])
    feed(bridge, *[hangup_event(**{"Unique-ID": f"call-{n}"}) for n in range(40)])
    results: list[list[int]] = []

    def take():
        for _ in range(10):
            results.append(outbox.claim(bridge.engine, settings, 3))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    taken = [message_id for batch in results for message_id in batch]
    assert len(taken) == len(set(taken)) == 40


def test_a_disabled_or_unreadable_subscription_is_an_attempt_that_says_why(bridge, admin, db, settings, receivers):
    receiver = receivers()
    hook = make_webhook(db, settings, admin.tenant.id, url=receiver.url, events=["call_ended"])
    feed(bridge, hangup_event())
    from web.models.notification import WebhookSubscription

    with db() as session:
        row = session.get(WebhookSubscription, hook)
        row.secret_sealed = seal("another installation", "x")
        session.add(row)
    outbox.deliver_due(bridge.engine, settings)
    assert "rotate" in rows(db)[0].last_error and receiver.requests == []


def test_a_restart_loses_nothing(app, admin, db, settings, receivers, mailbox):
    receiver = receivers()
    make_webhook(db, settings, admin.tenant.id, url=receiver.url, events=["missed_call", "call_ended"])
    plan = make_plan(db, admin.tenant.id)
    first = Bridge(settings, make_engine(settings.database_url), feed=LiveFeed(port=0))
    feed(first, email_event(plan), hangup_event())
    first.engine.dispose()
    del first  # stopped before its outbox sent anything

    second = Bridge(settings, make_engine(settings.database_url), feed=LiveFeed(port=0))
    worker = gevent.spawn(outbox.run, second)  # the real delivery loop (no monkey-patching needed here)
    try:
        deadline = time.monotonic() + 10
        while not (len(receiver.requests) == 2 and mailbox.messages) and time.monotonic() < deadline:
            gevent.sleep(0.05)
        while {m.status for m in rows(db)} != {"delivered"} and time.monotonic() < deadline:
            gevent.sleep(0.05)  # the attempts are recorded just after the sends
    finally:
        second.running = False
        worker.join(timeout=5)
        second.engine.dispose()
    assert sorted(r["headers"]["X-Event"] for r in receiver.requests) == ["call_ended", "missed_call"]
    assert [m.status for m in rows(db)] == ["delivered"] * 3
    assert [m["Subject"] for m in mailbox.to("sales@acme.test")] == ["Gemiste oproep van Jan de Vries <+31612345678>"]


def test_mail_through_a_relay_that_is_down_is_retried(bridge, admin, db, settings):
    plan = make_plan(db, admin.tenant.id)
    feed(bridge, email_event(plan))
    outbox.deliver_due(bridge.engine, settings)  # smtp_port 1: nothing listens
    [message] = rows(db)
    assert message.status == "pending" and message.attempts == 1 and message.last_error.startswith("SMTP")


# -- end to end: the bridge process, a FreeSWITCH-like event socket, a receiver ---------------------------


def test_hangup_to_webhook_post_through_the_bridge_process_is_quick(database_url, tmp_path, db, admin, settings, receivers):
    receiver = receivers()
    make_webhook(db, settings, admin.tenant.id, url=receiver.url, events=["call_ended"])
    server = EslServer(password="s3cret")
    env = {**os.environ, **own_env(tmp_path), "CALLPLAN_ESL_HOST": "127.0.0.1", "CALLPLAN_ESL_PORT": str(server.port),
           "CALLPLAN_ESL_PASSWORD": "s3cret", "CALLPLAN_DATABASE_URL": database_url,
           "CALLPLAN_SECRET_KEY": settings.secret_key, "CALLPLAN_WEBHOOK_ALLOW_PRIVATE": "1",
           "CALLPLAN_BRIDGE_FEED_PORT": "0",  # any free port: nothing reads the feed here
           "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "fs_bridge"], cwd=REPO_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert server.wait_for(lambda: any(c.startswith("event plain") for c in server.commands), STARTUP_SECONDS)
        latencies = []
        for n in range(20):
            sent = time.monotonic()
            server.push_event(hangup_event(**{"Unique-ID": f"e2e-{n}"}))
            assert server.wait_for(lambda: len(receiver.requests) == n + 1, timeout=10), "no POST arrived"
            latencies.append(receiver.requests[-1]["at"] - sent)
        latencies.sort()
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        print(f"hang-up -> webhook POST latency p95 {p95 * 1000:.0f} ms (max {latencies[-1] * 1000:.0f} ms)")
        assert p95 < 1.0
        keys = [r["headers"]["X-Idempotency-Key"] for r in receiver.requests]
        assert keys == [f"e2e-{n}:ended" for n in range(20)]
        for request in receiver.requests:
            assert_signed(request)
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
        server.close()
    assert "fs_bridge/outbox.py" not in output and "fs_bridge/notices.py" not in output, output
