"""What mod_xml_curl fetches cost, measured over real HTTP the way FreeSWITCH asks.

    .venv/bin/python bench/xml_curl.py               # SQLite
    .venv/bin/python bench/xml_curl.py --postgres    # a throw-away database on 127.0.0.1:5432

Builds a tenant of 1,000 users (each with a phone and a voicemail box), 20 ring groups, 5 queues and
200 published call plans (each on an internal and a public number) with direct inserts, starts the
app under uvicorn on 127.0.0.1 in a process of its own, and drives it from another process that opens
a NEW connection for every request, as mod_xml_curl does, posting the captured FreeSWITCH bodies
(shared/fixtures) adapted to the tenant. For each kind (dialplan, directory):

  * open loop at each of --rates requests/s for --seconds: p50/p99 latency (connect to last byte);
  * closed loop with --concurrency connections at a time: requests/s, and the server's CPU per request
    (every uvicorn process's user + system time over the run, divided by the requests answered);
  * the same against a bare Starlette route on the same server that returns the same document as a
    constant (the floor: what HTTP and Starlette cost), and the ratios between them (what the endpoint
    itself costs). Also, for reference, the same constant answered by a bare ASGI function before
    Starlette (what uvicorn and HTTP alone cost; FreeSWITCH's fetches are answered before Starlette too,
    web.xml_curl.endpoint.fast).

Targets (#20 items 1-2): server CPU per request app / bare route <= 1.2, dialplan and directory; dialplan
p99 <= 2 ms at 1,000 requests/s and <= 5 ms at 2,000; >= 4,000 directory fetches/s (#20 item 2); req/s bare / app
<= 1.5. CPU per request is the figure to compare on a shared machine (latencies follow its load).
The caches are warm when measuring (one fetch of each first): a rebuild happens once per change."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIXTURES = Path("/work/shared/fixtures/freeswitch-1.10.12/xml_curl_requests.txt")
DOMAIN = "bench.pbx.test"
CREDENTIALS = ("freeswitch", "bench-secret")
USERS, PLANS, GROUPS, QUEUES = 1000, 200, 20, 5
TARGET_P99_MS = {1000: 2.0, 2000: 5.0}  # dialplan p99 at a rate (requests/s)
TARGET_DIRECTORY_RPS, TARGET_RATIO, TARGET_CPU_RATIO = 4000, 1.5, 1.2  # directory fetches/s: #20 asks 4,000


# --- the tenant -----------------------------------------------------------------------------------------


def populate(url: str, secret_key: str) -> dict:
    """One company of USERS users, PLANS plans, GROUPS groups and QUEUES queues (bench/tenant_rows.py)."""
    from bench.tenant_rows import PASSWORD, Shape, populate as write

    [tenant_id] = write(url, secret_key, Shape(USERS, PLANS, GROUPS, QUEUES))
    return {"tenant_id": tenant_id, "password": PASSWORD}


# --- the requests -----------------------------------------------------------------------------------------


def captured(section: str, action: str = "") -> list[tuple[str, str]]:
    text = FIXTURES.read_text()
    for body in re.findall(r"^---- raw body:\n(.*)$", text, re.M):
        pairs = parse_qsl(body, keep_blank_values=True)
        fields = dict(pairs)
        if fields.get("section") == section and fields.get("action", "") == action:
            return pairs
    raise LookupError(section)


def bodies() -> dict[str, list[bytes]]:
    """Per kind, request bodies with varying numbers and names (a different one each request)."""
    dialplan, register = captured("dialplan"), captured("directory", "sip_auth")

    def dialled(number):
        return urlencode([(k, {"Caller-Context": DOMAIN, "Hunt-Context": DOMAIN, "Caller-Destination-Number": number,
                               "Hunt-Destination-Number": number}.get(k, v)) for k, v in dialplan]).encode()

    def registering(name):
        swap = {"domain": DOMAIN, "key_value": DOMAIN, "sip_auth_realm": DOMAIN, "user": name, "sip_auth_username": name}
        return urlencode([(k, swap.get(k, v)) for k, v in register]).encode()

    return {"dialplan": [dialled(str(5000 + p % PLANS)) for p in range(50)],
            "directory": [registering(f"p{2000 + i}") for i in range(0, USERS, 7)]}


def request_bytes(path: str, body: bytes) -> bytes:
    auth = base64.b64encode(":".join(CREDENTIALS).encode()).decode()
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: freeswitch-xml/1.0\r\nAccept: */*\r\n"
            f"Authorization: Basic {auth}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


# --- the server -----------------------------------------------------------------------------------------


def bench_app():
    """The app as the bench serves it (uvicorn's factory, in every worker): the real app, plus a bare
    route that answers a constant document (written to a file by /remember, so every worker has it)."""
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from web.app import create_app
    from web.settings import Settings

    url, workdir = os.environ["BENCH_DATABASE_URL"], Path(os.environ["BENCH_WORKDIR"])
    settings = Settings(database_url=url, secret_key="bench-secret-key", audio_dir=str(workdir),
                        xml_curl_user=CREDENTIALS[0], xml_curl_password=CREDENTIALS[1])
    app = create_app(settings)
    constants: dict[str, bytes] = {}

    async def bare(request: Request) -> Response:
        await request.body()
        kind = request.path_params["kind"]
        if kind not in constants:
            path = workdir / f"constant-{kind}.xml"
            constants[kind] = path.read_bytes() if path.exists() else b"<document/>"
        return Response(constants[kind], media_type="text/xml")

    async def remember(request: Request) -> Response:
        (workdir / f"constant-{request.path_params['kind']}.xml").write_bytes(await request.body())
        return Response(b"")

    # first, as the app puts its own /freeswitch/xml first: both are matched without walking the API
    app.router.routes.insert(0, Route("/bare/{kind}", bare, methods=["POST"]))
    app.router.routes.append(Route("/remember/{kind}", remember, methods=["POST"]))
    return asgi_floor(app, constants, workdir)


def asgi_floor(app, constants: dict, workdir: Path):
    """The app behind a bare ASGI function that answers /asgi/<kind> with the constant itself, before
    Starlette (reading the body as a route would): what uvicorn and HTTP cost alone."""

    async def floor(scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/asgi/"):
            return await app(scope, receive, send)
        while (await receive()).get("more_body"):
            pass
        kind = scope["path"][6:]
        if kind not in constants:
            path = workdir / f"constant-{kind}.xml"
            constants[kind] = path.read_bytes() if path.exists() else b"<document/>"
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-length", str(len(constants[kind])).encode()), (b"content-type", b"text/xml; charset=utf-8")]})
        await send({"type": "http.response.body", "body": constants[kind]})

    floor.app = app  # the Starlette app behind it (bench/tenants.py adds its own route)
    return floor


def serve(url: str, port: int, workdir: str, http: str, loop: str, workers: int) -> None:
    import uvicorn

    os.environ.update(BENCH_DATABASE_URL=url, BENCH_WORKDIR=workdir)
    uvicorn.run("bench.xml_curl:bench_app", factory=True, host="127.0.0.1", port=port, log_level="warning",
                access_log=False, http=http, loop=loop, workers=workers)


def family(pid: int) -> list[int]:
    """A process and all its descendants (uvicorn's workers)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


# --- the load -------------------------------------------------------------------------------------------


async def one(port: int, payload: bytes) -> tuple[float, int]:
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(payload)
    data = await reader.read()  # the server closes after the answer (Connection: close)
    writer.close()
    status = int(data[9:12]) if data[:5] == b"HTTP/" else 0
    return time.perf_counter() - start, status


async def open_loop(port: int, payloads: list[bytes], rate: float, seconds: float) -> dict:
    """Requests started on a fixed schedule whatever the answers do (as calls arrive); a latency counts
    from the moment the request was due, so a client or server falling behind shows in it."""
    count = int(rate * seconds)
    latencies, lags, statuses, tasks = [], [], [], []

    async def fire(i, due):
        lags.append(time.perf_counter() - due)
        _, status = await one(port, payloads[i % len(payloads)])
        latencies.append(time.perf_counter() - due)
        statuses.append(status)

    start = time.perf_counter() + 0.05
    for i in range(count):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(fire(i, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    # percentiles here, not the samples: a long line through the pipe was seen cut short on a busy machine
    return {"sent": count, "rate": count / elapsed, "p50": pct(latencies, 0.5), "p99": pct(latencies, 0.99),
            "lag_p99": pct(lags, 0.99), "errors": sum(1 for s in statuses if s != 200)}


async def closed_loop(port: int, payloads: list[bytes], concurrency: int, seconds: float) -> dict:
    done, errors = 0, 0
    stop = time.perf_counter() + seconds

    async def worker(k):
        nonlocal done, errors
        i = k
        while time.perf_counter() < stop:
            _, status = await one(port, payloads[i % len(payloads)])
            done += 1
            errors += status != 200
            i += concurrency

    start = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    return {"rps": done / (time.perf_counter() - start), "done": done, "errors": errors}


def load(port: int, path: str, body_file: str, mode: str, amount: float, seconds: float) -> None:
    try:  # a faster loop makes the load generator itself lag less behind its schedule, when installed
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    payloads = [request_bytes(path, body.encode("latin-1")) for body in json.loads(Path(body_file).read_text())["bodies"]]
    if mode == "open":
        result = asyncio.run(open_loop(port, payloads, amount, seconds))
    else:
        result = asyncio.run(closed_loop(port, payloads, int(amount), seconds))
    print(json.dumps(result))


def pct(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))] if ordered else float("nan")


# --- orchestration --------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc); 0 for one that is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(pid: int) -> float:
    return sum(cpu_seconds(each) for each in family(pid))


def run_load(port, path, bodies_for_kind, mode, amount, seconds, workdir, server_pid=None) -> dict:
    body_file = Path(workdir) / "bodies.json"
    body_file.write_text(json.dumps({"bodies": [b.decode("latin-1") for b in bodies_for_kind]}))
    before = server_cpu(server_pid) if server_pid else 0.0
    result = subprocess.run([sys.executable, __file__, "load", str(port), path, str(body_file), mode, str(amount),
                             str(seconds)], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"load generator failed: {result.stderr[-2000:]}")
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if len(lines) != 1:
        raise RuntimeError(f"load generator: no figures in {result.stdout[-500:]!r} {result.stderr[-1000:]!r}")
    answer = json.loads(lines[0])
    if server_pid and answer.get("done"):
        answer["server_us"] = (server_cpu(server_pid) - before) / answer["done"] * 1e6
    return answer


def fetch(port: int, path: str, body: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(request_bytes(path, body))
        chunks = []
        while chunk := sock.recv(1 << 20):
            chunks.append(chunk)
    head, _, content = b"".join(chunks).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    return content


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="a throw-away database on 127.0.0.1:5432")
    parser.add_argument("--rates", default="1000,2000", help="open-loop rates, requests/s (comma-separated)")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3, help="closed-loop runs per route (the median counts)")
    # mod_xml_curl fetches from many FreeSWITCH threads at once (every call and registration)
    parser.add_argument("--concurrency", type=int, default=32)
    # how `make run` serves the app (web.__main__.web_command); --http h11 --loop asyncio --workers 1 is
    # uvicorn without its extras, one process: the floor before #20
    parser.add_argument("--http", default="httptools", choices=("httptools", "h11"))
    parser.add_argument("--loop", default="uvloop", choices=("uvloop", "asyncio"))
    parser.add_argument("--workers", type=int, default=None, help="default: as make run (CALLPLAN_WEB_WORKERS)")
    args = parser.parse_args(argv)
    rates = [float(rate) for rate in args.rates.split(",")]
    if args.workers is None:
        from web.__main__ import workers

        args.workers = workers()

    from web.migrate import upgrade

    workdir = tempfile.mkdtemp(prefix="bench-xml-curl-")
    pg_name = None
    if args.postgres:
        import psycopg

        pg_name = f"callplan_bench_{os.getpid()}"
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        url = f"postgresql://postgres@127.0.0.1:5432/{pg_name}"
    else:
        url = f"sqlite:///{workdir}/bench.sqlite3"
    server = None
    try:
        upgrade(url)
        started = time.perf_counter()
        populate(url, "bench-secret-key")
        print(f"server: uvicorn ({args.http}, {args.loop}), {args.workers} worker process(es); "
              f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; tenant of {USERS} users + phones + boxes, "
              f"{GROUPS} groups, {QUEUES} queues, {PLANS} published plans made in {time.perf_counter() - started:.1f} s")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen([sys.executable, __file__, "serve", url, str(port), workdir, args.http, args.loop,
                                   str(args.workers)], cwd=ROOT)
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("the server did not start")
                time.sleep(0.2)
        kinds = bodies()
        for kind, payloads in kinds.items():
            started = time.perf_counter()
            document = fetch(port, "/freeswitch/xml", payloads[0])
            cold = (time.perf_counter() - started) * 1000
            assert b"not found" not in document, document[:300]
            fetch(port, f"/remember/{kind}", document)  # the bare route answers this same document
            print(f"{kind}: first fetch (cold cache, builds the tenant's {kind}) {cold:.0f} ms; "
                  f"answer {len(document):,} bytes")
            if args.workers > 1:  # every worker has caches of its own: warm them all before measuring
                run_load(port, "/freeswitch/xml", payloads, "closed", args.concurrency, 3.0, workdir)
        ok = True
        print()
        figures, p99s = {}, {}
        for kind, payloads in kinds.items():
            routes = (("app", "/freeswitch/xml"), ("bare", f"/bare/{kind}"), ("asgi", f"/asgi/{kind}"))
            # closed-loop runs alternate between the routes and the median counts: a 2-core machine
            # shared with the load generator is noisy from one run to the next
            closed = {route: [] for route, _ in routes}
            for _ in range(args.rounds):
                for route, path in routes:
                    closed[route].append(run_load(port, path, payloads, "closed", args.concurrency, args.seconds, workdir,
                                                  server.pid))
            for route, path in routes:
                rps = statistics.median(run["rps"] for run in closed[route])
                cpu = statistics.median(run["server_us"] for run in closed[route])
                errors = sum(run["errors"] for run in closed[route])
                runs = ", ".join(f"{run['rps']:.0f}" for run in closed[route])
                cpus = ", ".join(f"{run['server_us']:.0f}" for run in closed[route])
                opened = []
                for rate in rates:
                    if route == "asgi":
                        break  # a reference for the CPU only
                    run = run_load(port, path, payloads, "open", rate, args.seconds, workdir)
                    p50, p99 = run["p50"] * 1000, run["p99"] * 1000
                    p99s[(kind, route, rate)] = (p50, p99)
                    errors += run["errors"]
                    opened.append(f"{run['rate']:.0f}/s p50 {p50:.2f} p99 {p99:.2f} (client lag p99 "
                                  f"{run['lag_p99'] * 1000:.1f})")
                figures[(kind, route)] = (rps, cpu)
                print(f"{kind:<10} {route:<5} closed c={args.concurrency}: {rps:>5.0f} req/s, server CPU {cpu:>4.0f} µs/req "
                      f"(runs: {runs} req/s; {cpus} µs), errors {errors}" + "".join(f"\n{'':17}open {o} ms" for o in opened))
        print()
        for kind in kinds:
            (arps, acpu), (brps, bcpu), (_, fcpu) = (figures[(kind, route)] for route in ("app", "bare", "asgi"))
            ratio, cpu_ratio = brps / arps, acpu / bcpu
            print(f"{kind}: server CPU per request app {acpu:.0f} µs / bare route {bcpu:.0f} µs (the floor) = "
                  f"{cpu_ratio:.2f} (target <= {TARGET_CPU_RATIO}: {'ok' if cpu_ratio <= TARGET_CPU_RATIO else 'MISSED'}); "
                  f"app - bare {acpu - bcpu:+.0f} µs; bare ASGI before Starlette {fcpu:.0f} µs (app / it {acpu / fcpu:.2f})")
            print(f"{kind}: req/s bare / app {ratio:.2f} (target <= {TARGET_RATIO}: {'ok' if ratio <= TARGET_RATIO else 'MISSED'})")
            ok = ok and ratio <= TARGET_RATIO and cpu_ratio <= TARGET_CPU_RATIO
        for rate in rates:
            (p50, p99), (_, bare99) = p99s[("dialplan", "app", rate)], p99s[("dialplan", "bare", rate)]
            target = TARGET_P99_MS.get(int(rate))
            verdict = "no target" if target is None else f"target <= {target}: {'ok' if p99 <= target else 'MISSED'}"
            print(f"dialplan p99 at {rate:.0f} req/s: {p99:.2f} ms ({verdict}); bare route {bare99:.2f} ms (the floor)")
            ok = ok and (target is None or p99 <= target)
        rps = figures[("directory", "app")][0]
        print(f"directory fetches/s: {rps:.0f} (target >= {TARGET_DIRECTORY_RPS}: "
              f"{'ok' if rps >= TARGET_DIRECTORY_RPS else 'MISSED'})")
        ok = ok and rps >= TARGET_DIRECTORY_RPS
        load1, load5, _ = os.getloadavg()
        print(f"load average {load1:.1f} / {load5:.1f} at the end")
        print(f"this machine: {os.cpu_count()} CPUs; server, load generator{' and PostgreSQL' if args.postgres else ''} "
              f"share them")
        return 0 if ok else 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
        if pg_name:
            import psycopg

            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], int(sys.argv[7]))
    elif len(sys.argv) > 1 and sys.argv[1] == "load":
        load(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6]), float(sys.argv[7]))
    else:
        sys.exit(main())
