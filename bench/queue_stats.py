"""What writing the queue and agent reports' rows (#17 item 3, fs_bridge/queue_stats.py) costs the bridge.

    .venv/bin/python bench/queue_stats.py               # SQLite
    .venv/bin/python bench/queue_stats.py --postgres    # a throw-away database on 127.0.0.1:5432

Queue calls as mod_callcenter reports them (callcenter::info: member-queue-start, agent-offering,
bridge-agent-start, bridge-agent-end, member-queue-end; every 4th call first offered to an agent who lets
it ring, bridge-agent-fail; every 10th an agent-status-change), made from the captured member-queue-end
and agent-status-change texts, are fed through the bridge in this one process on one core, twice: with
the modules the bridge had before (fs_bridge.agents: the live agent state; the floor) and with
fs_bridge.queue_stats after it. Prints events/s of both and what the rows cost per queue call."""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # as in `python -m fs_bridge`

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid as uuidlib  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bridge import setup_database  # noqa: E402  (a throw-away database, as the bridge bench makes it)
from fs_bridge.events import fixture_events, parse_plain  # noqa: E402

FIXTURES = Path("/work/shared/fixtures/freeswitch-1.10.12")
DOMAIN = "bench.pbx.test"
HEAD = "Event-Subclass: callcenter%3A%3Ainfo\nEvent-Name: CUSTOM\nCore-UUID: bench\n"


def _captured(title: str) -> str:
    return [text for name, text in fixture_events(FIXTURES / "esl_events.txt") if name == title][0]


def _set(text: str, **headers: str) -> str:
    lines = [line for line in text.split("\n") if line.partition(":")[0] not in headers]
    return "\n".join(lines + [f"{name}: {value}" for name, value in headers.items()])


def queue_call(n: int, queue: str, agent: str, end_text: str, status_text: str) -> list[str]:
    member, session = str(uuidlib.uuid4()), str(uuidlib.uuid4())
    joined = 1795301143 + n
    stamp = f"Event-Date-Timestamp: {joined * 1_000_000}\n"
    common = (f"CC-Queue: {queue}\nCC-Agent: {agent}\nCC-Member-UUID: {member}\nCC-Member-Session-UUID: {session}\n"
              f"CC-Member-CID-Number: %2B31612345678\n")
    texts = [f"{HEAD}{stamp}CC-Action: member-queue-start\n{common}"]
    if n % 4 == 0:
        texts += [f"{HEAD}{stamp}CC-Action: agent-offering\n{common}",
                  f"{HEAD}{stamp}CC-Action: bridge-agent-fail\nCC-Hangup-Cause: NO_ANSWER\n"
                  f"CC-Agent-Called-Time: {joined + 1}\n{common}"]
    texts += [f"{HEAD}{stamp}CC-Action: agent-offering\n{common}",
              f"{HEAD}{stamp}CC-Action: bridge-agent-start\nCC-Agent-UUID: {session}-a\n{common}",
              f"{HEAD}{stamp}CC-Action: bridge-agent-end\nCC-Agent-UUID: {session}-a\n{common}",
              _set(end_text, **{"CC-Queue": queue.replace("@", "%40"), "CC-Cause": "Terminated", "CC-Cancel-Reason": "",
                                "CC-Agent": agent.replace("@", "%40"), "CC-Member-UUID": member,
                                "CC-Member-Session-UUID": session, "CC-Member-Joined-Time": str(joined),
                                "CC-Agent-Answered-Time": str(joined + 9), "CC-Member-Leaving-Time": str(joined + 200)})]
    if n % 10 == 0:
        status = "On%20Break" if n % 20 == 0 else "Available"
        texts.append(_set(status_text, **{"CC-Agent": agent.replace("@", "%40"), "CC-Agent-Status": status,
                                          "Event-Date-Timestamp": str((joined + 250) * 1_000_000)}))
    return texts


def run(url: str, calls: int, modules: list[str]) -> dict:
    from sqlalchemy import func
    from sqlmodel import Session, select

    from fs_bridge.live_feed import LiveFeed
    from fs_bridge.service import Bridge
    from tests.conftest import fast_settings
    from web.db import make_engine
    from web.models.pbx_user import PbxUser
    from web.models.queue import CallQueue
    from web.models.queue_stats import QueueCall
    from web.models.tenant import Tenant

    engine = make_engine(url)
    with Session(engine) as db:
        tenant = Tenant(name="Bench", sip_domain=DOMAIN)
        db.add(tenant)
        db.flush()
        users = [PbxUser(tenant_id=tenant.id, first_name=f"Agent {n}", extension=f"2{n:02d}") for n in range(8)]
        db.add_all(users)
        db.flush()
        queue = CallQueue(tenant_id=tenant.id, name="Bench", tiers=[{"user_id": user.id} for user in users])
        db.add(queue)
        db.commit()
        agents, queue_name = [f"u{user.id}@{DOMAIN}" for user in users], f"q{queue.id}@{DOMAIN}"
    end_text = _captured("CUSTOM callcenter::info [member-queue-end]")
    status_text = _captured("CUSTOM callcenter::info [agent-status-change]")
    stream = [text for n in range(calls) for text in queue_call(n, queue_name, agents[n % len(agents)], end_text, status_text)]
    bridge = Bridge(fast_settings(url, esl_port=1), engine, feed=LiveFeed(port=0), modules=modules)
    bridge.api = lambda command, timeout=5.0: None  # the agents module's hold commands: no switch here
    started, cpu_started = time.perf_counter(), time.process_time()
    for n, text in enumerate(stream):
        bridge.receive(parse_plain(text))
        if n % 2000 == 1999:
            bridge.drain()
    bridge.drain()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    with Session(engine) as db:
        rows = db.exec(select(func.count()).select_from(QueueCall)).one()
    engine.dispose()
    return {"events": len(stream), "seconds": elapsed, "cpu": cpu, "rows": rows, "failed": bridge.counts["failed"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args()
    results = {}
    for label, modules in (("floor (fs_bridge.agents)", ["fs_bridge.agents"]),
                           ("with fs_bridge.queue_stats", ["fs_bridge.agents", "fs_bridge.queue_stats"])):
        url, drop = setup_database(args.postgres)
        try:
            results[label] = found = run(url, args.calls, modules)
        finally:
            drop()
        print(f"{label:28s} {found['events']:6d} events in {found['seconds']:6.2f} s: "
              f"{found['events'] / found['seconds']:7.0f} events/s ({found['events'] / found['cpu']:7.0f} per CPU s); "
              f"queue_call rows {found['rows']}, failed events {found['failed']}")
    floor, ours = results.values()
    wall = (ours["seconds"] - floor["seconds"]) / args.calls * 1e6
    cpu = (ours["cpu"] - floor["cpu"]) / args.calls * 1e6
    print(f"the rows cost {cpu:.0f} µs of CPU ({wall:.0f} µs of wall clock) per queue call, over a floor of "
          f"{floor['cpu'] / args.calls * 1e6:.0f} µs of CPU ({'PostgreSQL' if args.postgres else 'SQLite'}; "
          f"{args.calls} queue_call rows expected with the module, 0 without)")

if __name__ == "__main__":
    main()
