"""Many companies on one platform: what a web process holds, and whether fetches stay as fast (#20 item 6).

    .venv/bin/python bench/tenants.py                   # 1,000 companies (a few minutes)
    .venv/bin/python bench/tenants.py --companies 20    # quick

Writes --companies companies of --users users (each with a phone and a voicemail box) and --plans
published call plans (bench/tenant_rows.py) into a throw-away PostgreSQL database on 127.0.0.1:5432,
starts the web app as `make run` serves it (uvicorn, httptools, uvloop, its number of workers) plus the
bare route of bench/xml_curl.py, and measures over real HTTP, a new connection per request as
mod_xml_curl makes them:

  * time to start: from starting the process to the first answer of /api/health, against the same
    uvicorn serving a bare Starlette app (the floor);
  * cold fetches: each company's first dialplan and directory fetch, one at a time (each builds the
    company's document), p50/p99;
  * memory: the resident size of every web process before and after every company's dialplan and
    directory is cached there, per company (target <= 1 MB);
  * warm fetches, open loop at --rate: spread over every company, against one company only and against
    the bare route answering the same document (the floor), p50/p99 (target: as for one company).

The caches are per process: a server of N workers holds N copies."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import xml_curl  # noqa: E402  (the requests, the load generator, the bare route)
from bench.tenant_rows import Shape, did, domain_of, extension, phone_name, plan_number, populate  # noqa: E402

TARGET_BYTES_PER_COMPANY = 1_000_000
# warm fetches spread over every company "as for one company": within the noise of a shared machine
TARGET_WARM_SLOWER = 1.25
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


# --- the server -----------------------------------------------------------------------------------------


def bench_app():
    """bench/xml_curl.py's app (the real one and its bare route) and /bench/caches: this process's id,
    resident size and how many companies its dialplan and directory caches hold (the bench warms every
    worker and reads each one's memory through it)."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from web.xml_curl import cache

    served = xml_curl.bench_app()  # the app behind bench/xml_curl.py's bare ASGI answer
    app = getattr(served, "app", served)

    async def caches(request: Request) -> JSONResponse:
        held = cache.of(request.app.state.engine)
        stats = {"pid": os.getpid(), "rss": rss(os.getpid()), "dialplans": len(held.dialplans._entries),
                 "directories": len(held.directories._entries), "text": documents_text(held),
                 "budget": held.documents.held, "limit": held.documents.limit, "evicted": held.documents.evicted}
        if request.query_params.get("gc"):
            stats.update(collector())
        return JSONResponse(stats)

    app.router.routes.insert(0, Route("/bench/caches", caches, methods=["GET"]))
    return served


def documents_text(held) -> int:
    """Bytes of the documents' text the caches hold (each dialplan extension's and directory entry's
    finished text, once): what answering every company from memory needs at the least, the memory's floor."""
    total = 0
    for entry in list(held.dialplans._entries.values()):
        dialplan = entry.value
        total += len(dialplan.head) + len(dialplan.tail)
        for part in dialplan.parts:
            total += len(part) if isinstance(part, bytes) else sum(len(p) for p in part if isinstance(p, bytes))
    for entry in list(held.directories._entries.values()):
        total += sum(len(item.document) for item in entry.value.entries.values())
    return total


def collector() -> dict:
    """What a full collection goes through in this process and how long it takes, as the process runs
    (what its builds kept frozen: web.xml_curl.cache._freeze) and, the floor's opposite, with nothing
    frozen (as before #20 item 6); frozen again afterwards. Stops the process for both collections."""
    import gc

    from web.xml_curl import cache

    cache.settle()  # a freeze still due after the last build (it follows the answer)

    def full() -> tuple[float, int]:
        started = time.perf_counter()
        found = gc.collect(2)
        return time.perf_counter() - started, found

    frozen, tracked, (now, _) = gc.get_freeze_count(), len(gc.get_objects()), full()
    gc.unfreeze()
    unfrozen_tracked, (unfrozen, garbage) = len(gc.get_objects()), full()
    gc.freeze()
    # garbage: unreachable objects the unfrozen collection found, i.e. cyclic garbage that had been frozen
    return {"frozen": frozen, "tracked": tracked, "full_s": now, "unfrozen_tracked": unfrozen_tracked,
            "unfrozen_full_s": unfrozen, "garbage": garbage}


def bare_app():
    """The floor of the time to start: uvicorn serving a Starlette app that imports nothing of ours."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def health(_request):
        return Response(b"{}", media_type="application/json")

    return Starlette(routes=[Route("/api/health", health)])


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def command(app: str, port: int, workers: int) -> list[str]:
    """`make run`'s uvicorn command (web.__main__.web_command), serving `app` (a factory) instead."""
    from web.__main__ import web_command

    cmd = web_command("127.0.0.1", port, {"CALLPLAN_WEB_WORKERS": str(workers)})
    cmd[cmd.index("web.app:app")] = app
    return cmd + ["--factory"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_get(port: int, path: str) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(1 << 16):
            chunks.append(chunk)
    head, _, content = b"".join(chunks).partition(b"\r\n\r\n")
    return int(head[9:12]), content


def start(app: str, port: int, workers: int, env: dict) -> tuple[subprocess.Popen, float]:
    """The server, and seconds from starting it to its first 200 on /api/health (as `make run` waits)."""
    started = time.perf_counter()
    server = subprocess.Popen(command(app, port, workers), cwd=ROOT, env={**os.environ, **env})
    deadline = time.time() + 120
    while True:
        try:
            if http_get(port, "/api/health")[0] == 200:
                return server, time.perf_counter() - started
        except OSError:
            pass
        if time.time() > deadline or server.poll() is not None:
            server.terminate()
            raise RuntimeError(f"{app} did not start")
        time.sleep(0.01)


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


EVER_SEEN: set[int] = set()  # every worker process that answered: more than --workers means restarts


def workers_seen(port: int, workers: int, tries: int = 200, path: str = "/bench/caches") -> dict[int, dict]:
    """/bench/caches of every worker (a new connection lands on any of them: asked until each answered)."""
    seen: dict[int, dict] = {}
    for _ in range(tries):
        stats = json.loads(http_get(port, path)[1])
        seen[stats["pid"]] = stats
        EVER_SEEN.add(stats["pid"])
        if len(seen) >= workers:
            break
    return seen


# --- the requests -----------------------------------------------------------------------------------------


def dialplan_body(domain: str, number: str) -> bytes:
    fields = {"Caller-Context": domain, "Hunt-Context": domain, "Caller-Destination-Number": number,
              "Hunt-Destination-Number": number}
    return urlencode([(k, fields.get(k, v)) for k, v in xml_curl.captured("dialplan")]).encode()


def directory_body(domain: str, name: str) -> bytes:
    swap = {"domain": domain, "key_value": domain, "sip_auth_realm": domain, "user": name, "sip_auth_username": name}
    return urlencode([(k, swap.get(k, v)) for k, v in xml_curl.captured("directory", "sip_auth")]).encode()


def company_bodies(index: int, companies: int, shape: Shape, rng: random.Random) -> dict[str, list[bytes]]:
    """A company's fetches: a plan's internal and public number and a user's extension (dialplan), and a
    phone registering (directory)."""
    domain = domain_of(index, companies)
    plan = rng.randrange(shape.plans)
    return {"dialplan": [dialplan_body(domain, plan_number(plan)), dialplan_body(domain, did(index, companies, plan)),
                         dialplan_body(domain, extension(rng.randrange(shape.users)))],
            "directory": [directory_body(domain, phone_name(rng.randrange(shape.users))) for _ in range(2)]}


async def each_once(port: int, bodies: list[bytes], concurrency: int) -> list[tuple[float, int]]:
    """Every fetch once, `concurrency` at a time (1: one after another): (seconds, status) each."""
    gate = asyncio.Semaphore(concurrency)

    async def send(body):
        async with gate:
            return await xml_curl.one(port, xml_curl.request_bytes("/freeswitch/xml", body))

    return await asyncio.gather(*(send(body) for body in bodies))


def ms(samples: list[float], fraction: float) -> float:
    return xml_curl.pct(samples, fraction) * 1000


# --- the run --------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--plans", type=int, default=5)
    parser.add_argument("--rate", type=float, default=200.0, help="warm fetches per second (open loop)")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3, help="warm runs per route (the median counts)")
    parser.add_argument("--workers", type=int, default=None, help="default: as make run (CALLPLAN_WEB_WORKERS)")
    args = parser.parse_args(argv)
    if args.workers is None:
        from web.__main__ import workers

        args.workers = workers()
    shape = Shape(users=args.users, plans=args.plans, groups=3, queues=1)

    import psycopg

    from web.migrate import upgrade

    workdir = tempfile.mkdtemp(prefix="bench-tenants-")
    pg_name = f"callplan_bench_tenants_{os.getpid()}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{pg_name}"')
    url = f"postgresql://postgres@127.0.0.1:5432/{pg_name}"
    server = None
    try:
        upgrade(url)
        started = time.perf_counter()
        populate(url, "bench-secret-key", shape, tenants=args.companies)
        print(f"{args.companies:,} companies of {shape.users} users (+ phones, voicemail boxes), {shape.plans} published "
              f"plans, {shape.groups} ring groups, {shape.queues} queue written in {time.perf_counter() - started:.1f} s "
              f"(PostgreSQL); server: uvicorn (httptools, uvloop), {args.workers} worker process(es), as make run")

        env = {"BENCH_DATABASE_URL": url, "BENCH_WORKDIR": workdir}
        starts = {"app": [], "bare": []}
        for _ in range(3):  # alternating, the median counts
            for name, app in (("bare", "bench.tenants:bare_app"), ("app", "bench.tenants:bench_app")):
                port = free_port()
                server, seconds = start(app, port, args.workers, env)
                starts[name].append(seconds)
                if name == "app" and len(starts["app"]) == 3:
                    break  # the last app started stays up for the rest
                stop(server)
                server = None
        start_app, start_bare = statistics.median(starts["app"]), statistics.median(starts["bare"])

        rng = random.Random(7)
        per_company = [company_bodies(i, args.companies, shape, rng) for i in range(args.companies)]
        kinds = ("dialplan", "directory")

        # one company cached in every worker: what being used at all costs (imports, first-use tables)
        # stays out of the figure per company
        first = {kind: per_company[0][kind] * 4 * args.workers for kind in kinds}
        for kind in kinds:
            for body in per_company[0][kind]:
                answer = xml_curl.fetch(port, "/freeswitch/xml", body)
                assert b"not found" not in answer, answer[:300]
            asyncio.run(each_once(port, first[kind], 4))
        before = workers_seen(port, args.workers)

        cold, again = {}, {}
        for kind in kinds:  # one after another: each company's first fetch builds its document
            results = asyncio.run(each_once(port, [bodies[kind][0] for bodies in per_company[1:]], 1))
            assert all(status == 200 for _, status in results), "a cold fetch failed"
            cold[kind] = [seconds for seconds, _ in results]

        everything = [body for bodies in per_company for kind in kinds for body in bodies[kind]]
        rounds = 0
        while True:  # until every worker holds every company (a connection lands on any worker)
            rounds += 1
            asyncio.run(each_once(port, everything, 8))
            after = workers_seen(port, args.workers)
            full = all(s["dialplans"] == s["directories"] == args.companies for s in after.values())
            if (full and len(after) == args.workers) or rounds >= 30:
                break
        for kind in kinds:  # the cold fetches' floor: the same fetches once more, one after another, all cached
            results = asyncio.run(each_once(port, [bodies[kind][0] for bodies in per_company[1:]], 1))
            again[kind] = [seconds for seconds, _ in results]

        print(f"\ntime to start (to the first answer of /api/health): app {start_app:.2f} s (no target in #20 item 6), "
              f"bare Starlette app {start_bare:.2f} s (floor)  [runs: app {', '.join(f'{s:.2f}' for s in starts['app'])}; "
              f"bare {', '.join(f'{s:.2f}' for s in starts['bare'])}]")
        from web.settings import Settings

        timeout = Settings(database_url=url, secret_key="bench-secret-key").xml_curl_timeout_s  # as bench_app sets it
        for kind in kinds:
            floor = f"the same fetches cached (floor): p50 {ms(again[kind], 0.5):.1f} ms, p99 {ms(again[kind], 0.99):.1f} ms"
            print(f"cold {kind:<9} fetch (builds the company's {kind}), {len(cold[kind])} companies one after another: "
                  f"p50 {ms(cold[kind], 0.5):.1f} ms, p99 {ms(cold[kind], 0.99):.1f} ms, max {max(cold[kind]) * 1000:.1f} ms, "
                  f"{sum(cold[kind]):.1f} s in all (no target in #20 item 6; FreeSWITCH waits {timeout} s); {floor}")

        ok = True
        print(f"\nmemory (resident) per web process, every company's dialplan and directory cached ({rounds} warming "
              f"round(s)):")
        per, texts = [], []
        for pid, stats in sorted(after.items()):
            base = before.get(pid)
            if base is None:
                print(f"  worker {pid}: not seen before warming; left out")
                continue
            added = stats["dialplans"] - base["dialplans"]
            growth = stats["rss"] - base["rss"]
            each = growth / added if added else float("nan")
            per.append(each)
            text = (stats["text"] - base["text"]) / added if added else float("nan")
            texts.append(text)
            print(f"  worker {pid}: {base['rss'] / 2**20:.0f} MB with one company cached -> {stats['rss'] / 2**20:.0f} MB "
                  f"with {stats['dialplans']:,} dialplans and {stats['directories']:,} directories: "
                  f"{each / 1000:,.0f} kB per company, of which the documents' text {text / 1000:,.0f} kB")
        if len(EVER_SEEN) > args.workers:
            # uvicorn's supervisor kills a worker that leaves its health check unanswered for 5 s (the
            # GIL held by builds on a busy machine) and starts a new one, with empty caches
            print(f"  {len(EVER_SEEN) - args.workers} worker(s) were replaced by uvicorn's supervisor during the run "
                  f"(health check unanswered); a new worker starts with empty caches")
        print("full garbage collection (gc.collect(2)) per web process, every company cached:")
        for pid, stats in sorted(workers_seen(port, args.workers, tries=20, path="/bench/caches?gc=1").items()):
            print(f"  worker {pid}: {stats['tracked']:,} objects tracked, {stats['frozen']:,} frozen: "
                  f"{stats['full_s'] * 1000:,.0f} ms; nothing frozen (before #20 item 6): "
                  f"{stats['unfrozen_tracked']:,} tracked, {stats['unfrozen_full_s'] * 1000:,.0f} ms, "
                  f"{stats['garbage']:,} unreachable found (cyclic garbage that was frozen)")
        worst = max(per) if per else float("nan")
        fits = worst <= TARGET_BYTES_PER_COMPANY
        ok = ok and fits
        for pid, stats in sorted(after.items()):
            limit = f"{stats['limit'] / 2**20:,.0f} MB" if stats["limit"] else "none"
            print(f"  worker {pid}: the documents' budget (CALLPLAN_XML_CACHE_MB, web.xml_curl.cache.Budget) counts "
                  f"{stats['budget'] / 2**20:,.0f} MB, {stats['budget'] / max(1, stats['dialplans']) / 1000:,.0f} kB per "
                  f"company; limit {limit}, {stats['evicted']:,} let go")
        floor = max(texts) if texts else float("nan")
        print(f"cache per company: {worst / 1000:,.0f} kB (target <= {TARGET_BYTES_PER_COMPANY / 1000:,.0f} kB: "
              f"{'ok' if fits else 'MISSED'}); floor: the documents' text alone, {floor / 1000:,.0f} kB")

        print(f"\nwarm fetches, open loop at {args.rate:.0f} req/s for {args.seconds:.0f} s, median of {args.rounds} runs:")
        print(f"{'kind':<10} {'route':<28} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}   {'sent/s':>6} {'client lag p99 ms':>17}")
        for kind in kinds:
            spread = [body for bodies in per_company for body in bodies[kind]]
            random.Random(3).shuffle(spread)
            one = per_company[0][kind]
            document = xml_curl.fetch(port, "/freeswitch/xml", one[0])
            xml_curl.fetch(port, f"/remember/{kind}", document)  # the bare route answers this document
            routes = (("bare route (floor)", f"/bare/{kind}", one), ("app, one company", "/freeswitch/xml", one),
                      (f"app, {args.companies:,} companies", "/freeswitch/xml", spread))
            runs = {name: [] for name, _, _ in routes}
            for _ in range(args.rounds):
                for name, path, payloads in routes:
                    runs[name].append(xml_curl.run_load(port, path, payloads, "open", args.rate, args.seconds, workdir))
            figures = {}
            for name, _, _ in routes:
                # the load generator reports its percentiles, not its samples (bench/xml_curl.py open_loop)
                p50 = statistics.median(run["p50"] * 1000 for run in runs[name])
                p99 = statistics.median(run["p99"] * 1000 for run in runs[name])
                errors = sum(run["errors"] for run in runs[name])
                sent = statistics.median(run["rate"] for run in runs[name])
                lag = statistics.median(run["lag_p99"] for run in runs[name]) * 1000
                figures[name] = (p50, p99)
                print(f"{kind:<10} {name:<28} {p50:>7.2f} {p99:>7.2f} {errors:>6}   {sent:>6.0f} {lag:>17.1f}")
            (one50, one99), (all50, all99) = figures["app, one company"], figures[f"app, {args.companies:,} companies"]
            same = all50 <= one50 * TARGET_WARM_SLOWER and all99 <= one99 * TARGET_WARM_SLOWER
            ok = ok and same
            print(f"{kind}: {args.companies:,} companies / one company: p50 {all50 / one50:.2f}, p99 {all99 / one99:.2f} "
                  f"(target: as for one company, <= {TARGET_WARM_SLOWER}: {'ok' if same else 'MISSED'}); "
                  f"floor p50 {figures['bare route (floor)'][0]:.2f} ms")
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"this machine: {os.cpu_count()} CPUs; server, load generator and PostgreSQL share them; load average "
              f"(1, 5, 15 min) {load}{': busy, the latencies are noisy' if os.getloadavg()[0] > os.cpu_count() else ''}")
        return 0 if ok else 1
    finally:
        if server is not None:
            stop(server)
        shutil.rmtree(workdir, ignore_errors=True)
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
