"""What the bridge keeps up with, measured on real FreeSWITCH event texts (shared/fixtures).

    .venv/bin/python bench/bridge.py               # SQLite
    .venv/bin/python bench/bridge.py --postgres    # a throw-away database on 127.0.0.1:5432

1. Ingestion: calls made of the captured events of a real call (CHANNEL_CREATE, CHANNEL_ANSWER, the
   plan's `push cp_path` CHANNEL_EXECUTEs, CHANNEL_HANGUP_COMPLETE), each with its own uuid and the
   tenant's domain, plus registrations and callcenter::info traffic in between (only events the bridge
   subscribes to), are fed through the bridge as the socket would (event text -> parse -> queue ->
   batched handlers -> batched writes -> commit -> live feed) in this one process, with a web app's
   reader (another process) on the live feed. Events/s until every call's record is stored and every
   live row is gone, and events per CPU-second of this process (the figure that does not depend on how
   busy the machine is). Target (#20 item 4): >= 10,000 events per CPU-second on SQLite and PostgreSQL.
   The floor, measured in the same run on the same stream: parsing and queueing only (handlers that do
   nothing, an empty transaction per batch), what no handler work can go below.
2. Hangup -> webhook: with a webhook subscribed to call_ended on a local HTTP receiver, hangups are fed
   at --rate calls/s; the time from the hangup entering the bridge to the POST arriving at the receiver,
   p50/p95. Target: p95 <= 1 s.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # as in `python -m fs_bridge`: the outbox's HTTP and the feed are cooperative

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid as uuidlib  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import quote  # noqa: E402

import gevent  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fs_bridge.events import fixture_events, parse_plain  # noqa: E402

FIXTURES = Path("/work/shared/fixtures/freeswitch-1.10.12")
DOMAIN = "bench.pbx.test"
TARGET_EVENTS_PER_S, TARGET_EVENTS_PER_CPU_S, TARGET_P95_S = 5000, 10_000, 1.0


def _texts() -> dict[str, str]:
    found: dict[str, str] = {}
    for _, text in fixture_events(FIXTURES / "esl_events.txt"):
        event = parse_plain(text)
        found.setdefault(event.key, text)
    return found


def _rewrite(text: str, headers: dict[str, str]) -> str:
    lines = [line for line in text.split("\n") if line.partition(":")[0] not in headers]
    return "\n".join(lines + [f"{name}: {quote(value, safe='')}" for name, value in headers.items()])


def call_events(texts: dict[str, str], plan_id: int, steps: int = 4) -> list[str]:
    """One call's event texts, from the captured ones, with a fresh uuid in the tenant's context."""
    uuid = str(uuidlib.uuid4())
    now_us = int(time.time() * 1_000_000)
    common = {"Unique-ID": uuid, "Channel-Call-UUID": uuid, "variable_uuid": uuid, "Caller-Context": DOMAIN,
              "variable_domain_name": DOMAIN, "Caller-Destination-Number": "+31201234567",
              "Caller-Caller-ID-Number": "+31612345678", "Call-Direction": "inbound",
              "Caller-Direction": "inbound", "variable_cp_plan": str(plan_id), "variable_cp_version": "1"}
    marks = [f"{plan_id}:1:s{n}" for n in range(1, steps + 1)]
    out = [_rewrite(texts["CHANNEL_CREATE"], {**common, "Event-Date-Timestamp": str(now_us)})]
    for n, mark in enumerate(marks):
        out.append(_rewrite(texts["CHANNEL_EXECUTE_COMPLETE"], {
            **common, "Event-Name": "CHANNEL_EXECUTE", "Application": "push",
            "Application-Data": f"cp_path={mark}", "Event-Date-Timestamp": str(now_us + n)}))
    out.append(_rewrite(texts["CHANNEL_ANSWER"], {**common, "Event-Date-Timestamp": str(now_us + 10)}))
    path = "ARRAY::" + "|:".join(marks)
    out.append(_rewrite(texts["CHANNEL_HANGUP_COMPLETE"], {
        **common, "variable_cp_path": path, "Event-Date-Timestamp": str(now_us + 5_000_000),
        "variable_start_epoch": str(now_us // 1_000_000), "variable_answer_epoch": str(now_us // 1_000_000 + 1),
        "variable_end_epoch": str(now_us // 1_000_000 + 5), "variable_billsec": "4", "variable_duration": "5"}))
    return out


def noise_events(texts: dict[str, str], count: int) -> list[str]:
    from fs_bridge import connection, handlers

    subscribed = connection.subscription(handlers.table()).split()  # DTMF was, until #20 item 4
    keys = [key for key in ("sofia::register", "callcenter::info", "DTMF") if key in texts and key in subscribed]
    return [texts[keys[n % len(keys)]] for n in range(count)]


def setup_database(postgres: bool) -> tuple[str, callable]:
    from web.migrate import upgrade

    if postgres:
        import psycopg

        name = f"callplan_bench_{uuidlib.uuid4().hex[:8]}"
        admin = "postgresql://postgres@127.0.0.1:5432/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

        def drop():
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    else:
        folder = tempfile.mkdtemp(prefix="callplan-bench-bridge-")
        url = f"sqlite:///{folder}/bench.sqlite3"

        def drop():
            import shutil
            shutil.rmtree(folder, ignore_errors=True)
    upgrade(url)
    return url, drop


def make_tenant(engine, webhook_url: str | None, secret_key: str) -> int:
    from sqlmodel import Session

    from web.models.tenant import Tenant

    with Session(engine) as db:
        tenant = Tenant(name="Bench", sip_domain=DOMAIN)
        db.add(tenant)
        db.commit()
        if webhook_url:
            from web.models.notification import WebhookSubscription
            from web.secretbox import seal

            db.add(WebhookSubscription(tenant_id=tenant.id, url=webhook_url, events=["call_ended"],
                                       secret_sealed=seal(secret_key, "bench-secret")))
            db.commit()
        return tenant.id


class FeedReader:
    """The web app's end of the live feed, in a process of its own (its reading is not the bridge's
    CPU): reads and discards, counts lines."""

    def __init__(self, port: int):
        import subprocess

        code = ("import socket,sys\ns=socket.create_connection(('127.0.0.1',%d))\nn=0\n"
                "while True:\n b=s.recv(65536)\n if not b: break\n n+=b.count(b'\\n')\nprint(n)" % port)
        self.process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)

    def lines(self) -> int:
        """After the feed closed: how many lines the reader got."""
        deadline = time.monotonic() + 10
        while self.process.poll() is None and time.monotonic() < deadline:
            gevent.sleep(0.02)  # the feed's greenlets close their sockets
        if self.process.poll() is None:
            self.process.terminate()
        out = self.process.communicate(timeout=10)[0].strip()
        return int(out) if out.isdigit() else -1


class NotifyReader:
    """On PostgreSQL the web processes LISTEN instead (web/live_notify.py): a process of its own that
    LISTENs, discards and counts notifications until the bench's closing one ("end")."""

    def __init__(self, url: str):
        import subprocess

        code = ("import psycopg\nc=psycopg.connect(%r,autocommit=True)\nc.execute('LISTEN callplan_live')\n"
                "print('ready',flush=True)\nn=0\nfor x in c.notifies():\n if x.payload=='end': break\n n+=1\nprint(n)"
                % url.replace("postgresql+psycopg://", "postgresql://"))
        self.url = url
        self.process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "ready"

    def lines(self) -> int:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("NOTIFY callplan_live, 'end'")
        out = self.process.communicate(timeout=30)[0].strip()
        return int(out) if out.isdigit() else -1


def bench_ingest(url: str, calls: int, floor: bool = False) -> dict:
    from sqlalchemy import func
    from sqlmodel import Session, select

    from fs_bridge.live_feed import LiveFeed
    from fs_bridge.service import Bridge
    from tests.conftest import fast_settings
    from web.db import make_engine
    from web.models.call_record import CallRecord
    from web.models.live import ActiveCall

    settings = fast_settings(url, esl_port=1)
    engine = make_engine(url)
    make_tenant(engine, None, settings.secret_key)
    texts = _texts()
    stream: list[str] = []
    for n in range(calls):
        stream.extend(call_events(texts, plan_id=1))
        stream.extend(noise_events(texts, 2))
    feed = LiveFeed(port=0)
    feed.start()
    notifies = url.startswith("postgresql")  # as deployed: the web processes hear every bridge through LISTEN
    reader = NotifyReader(url) if notifies else FeedReader(feed.port)
    deadline = time.monotonic() + 10
    while not notifies and not feed._clients and time.monotonic() < deadline:
        gevent.sleep(0.01)
    bridge = Bridge(settings, engine, feed=feed)
    if floor:  # the same events parsed, queued and taken in batches, but no handler does anything
        bridge.table = {key: [] for key in bridge.table}
    started, cpu_started = time.perf_counter(), time.process_time()
    for n, text in enumerate(stream):
        event = parse_plain(text)
        event.received_at = time.monotonic()
        bridge.receive(event)
        if n % 2000 == 1999:
            bridge.drain()  # the worker's pace: batches of what has piled up
            gevent.sleep(0)  # and the feed's writer sends what the batches published
    bridge.drain()
    gevent.sleep(0)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    feed.stop()
    feed_lines = reader.lines()
    with Session(engine) as db:
        records = db.exec(select(func.count()).select_from(CallRecord)).one()
        live = db.exec(select(func.count()).select_from(ActiveCall)).one()
    engine.dispose()
    return {"events": len(stream), "seconds": elapsed, "events_per_s": len(stream) / elapsed,
            "cpu_seconds": cpu, "events_per_cpu_s": len(stream) / cpu,
            "records": records, "expected_records": calls, "live_rows_left": live, "failed": bridge.counts["failed"],
            "published": feed.published, "feed_lines": feed_lines,
            "reader": "live notifications" if notifies else "live feed lines"}


class Receiver(BaseHTTPRequestHandler):
    arrivals: dict[str, float] = {}

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            data = json.loads(body).get("data") or {}
            uuid = data.get("call_uuid") or data.get("uuid")
            if uuid:
                Receiver.arrivals.setdefault(uuid, time.monotonic())
        except ValueError:
            pass
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def bench_webhook(url: str, calls: int, rate: float) -> dict:
    from fs_bridge.live_feed import LiveFeed
    from fs_bridge.service import Bridge
    from tests.conftest import fast_settings
    from web.db import make_engine

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
    settings = fast_settings(url, esl_port=1, webhook_allow_private=True)  # the receiver is on loopback
    engine = make_engine(url)
    make_tenant(engine, hook, settings.secret_key)
    texts = _texts()
    bridge = Bridge(settings, engine, feed=LiveFeed(port=0))
    bridge.start(connect=False)
    sent: dict[str, float] = {}
    for n in range(calls):
        events = call_events(texts, plan_id=1)
        for text in events:
            event = parse_plain(text)
            event.received_at = time.monotonic()
            bridge.receive(event)
        sent[event.uuid] = event.received_at
        gevent.sleep(1.0 / rate)
    deadline = time.monotonic() + 30
    while len(Receiver.arrivals) < calls and time.monotonic() < deadline:
        gevent.sleep(0.05)
    bridge.stop()
    server.shutdown()
    engine.dispose()
    latencies = sorted(Receiver.arrivals[u] - t for u, t in sent.items() if u in Receiver.arrivals)
    if not latencies:
        return {"delivered": 0, "calls": calls}
    return {"calls": calls, "delivered": len(latencies), "p50_s": statistics.median(latencies),
            "p95_s": latencies[max(0, int(len(latencies) * 0.95) - 1)], "max_s": latencies[-1]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--calls", type=int, default=3000, help="calls for the ingestion run")
    parser.add_argument("--webhook-calls", type=int, default=300)
    parser.add_argument("--rate", type=float, default=30.0, help="calls/s for the webhook run")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"note: load average {load:.1f} before starting; other work on this machine lowers the figures")
    os.environ.setdefault("CALLPLAN_SECRET_KEY", "bench")
    engine_name = "PostgreSQL" if args.postgres else "SQLite"

    url, drop = setup_database(args.postgres)
    try:
        floor = bench_ingest(url, args.calls, floor=True)
    finally:
        drop()
    url, drop = setup_database(args.postgres)
    try:
        figures = bench_ingest(url, args.calls)
    finally:
        drop()
    print(f"[{engine_name}] ingestion: {figures['events']:,} events in {figures['seconds']:.2f} s = "
          f"{figures['events_per_s']:,.0f} events/s (target >= {TARGET_EVENTS_PER_S:,}); the bridge's own CPU "
          f"{figures['cpu_seconds']:.2f} s = {figures['events_per_cpu_s']:,.0f} events per CPU-second "
          f"(target >= {TARGET_EVENTS_PER_CPU_S:,}); records {figures['records']}/{figures['expected_records']}, "
          f"live rows left {figures['live_rows_left']}, failed events {figures['failed']}, {figures['reader']} "
          f"{figures['feed_lines']:,}/{figures['published']:,}")
    print(f"[{engine_name}] floor (parse + queue + an empty transaction per batch, no handler work): "
          f"{floor['events_per_cpu_s']:,.0f} events per CPU-second ({floor['events_per_s']:,.0f} events/s); "
          f"handler work and writes take {max(0.0, 1 - floor['cpu_seconds'] / figures['cpu_seconds']):.0%} "
          f"of the bridge's CPU")

    url, drop = setup_database(args.postgres)
    try:
        hook = bench_webhook(url, args.webhook_calls, args.rate)
    finally:
        drop()
    if hook.get("delivered"):
        print(f"[{engine_name}] hangup -> webhook: {hook['delivered']}/{hook['calls']} delivered at {args.rate:g} calls/s; "
              f"p50 {hook['p50_s'] * 1000:.0f} ms, p95 {hook['p95_s'] * 1000:.0f} ms, max {hook['max_s'] * 1000:.0f} ms "
              f"(target p95 <= {TARGET_P95_S:g} s)")
    else:
        print(f"[{engine_name}] hangup -> webhook: nothing delivered ({hook})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
