"""`python -m web` (what `make run` runs): migrate, create the demo on first run, then run the web app
and the FreeSWITCH bridge side by side until Ctrl-C.

The bridge is its own process on purpose: it runs on gevent, whose monkey-patching must not touch the
asyncio web server.

What a newcomer needs is printed last, in a box: the URL and, on the first run, the two logins. Setting
up is quiet. If either process cannot start (a port taken, most often by another `make run`) or stops
on its own, this says so and exits non-zero; only Ctrl-C (or SIGTERM) ends it with status 0."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from contextlib import contextmanager

import httpx

from web.app import create_app
from web.demo import ensure_demo
from web.migrate import upgrade
from web.settings import Settings, get_settings

READY_SECONDS = 60


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # our own requests: the readiness checks
    settings = get_settings()
    host, port = os.environ.get("CALLPLAN_HOST", "127.0.0.1"), int(os.environ.get("CALLPLAN_PORT") or 8000)
    feed = (settings.bridge_feed_host, settings.bridge_feed_port)
    for what, address, variable in (("web app", (host, port), "CALLPLAN_PORT"),
                                    ("bridge's live feed", feed, "CALLPLAN_BRIDGE_FEED_PORT")):
        if address[1] and taken(*address):
            return fail(f"The {what} cannot start: {address[0]}:{address[1]} is taken (by another `make run`?).\n"
                        f"Stop that one, or choose another port: {variable}=<port> make run")

    with quiet_setup():
        upgrade(settings.database_url)
        app = create_app(settings)
        made = ensure_demo(app)
        app.state.engine.dispose()

    stopping: list[int] = []  # Ctrl-C reaches the children too (one process group): they stop themselves
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda number, _: stopping.append(number))
    children = {
        "web app": subprocess.Popen(web_command(host, port)),
        "bridge": subprocess.Popen([sys.executable, "-m", "fs_bridge"]),
    }
    try:
        problem = wait_until_ready(children, host, port, feed, stopping)
        if problem is None and not stopping:
            print(box(welcome(settings, host, port, made)), flush=True)
            problem = wait_until_one_stops(children, stopping)
    finally:
        stop(children)
    return fail(f"{problem}; everything is stopped (the messages above say why).") if problem else 0


def workers(env=None) -> int:
    """Web processes: CALLPLAN_WEB_WORKERS, else one per CPU up to four. Every request (FreeSWITCH's
    fetches most of all) is short, CPU-bound Python: one process uses one core at most, and a second lets
    a fetch run while the first stores a call record (bench/xml_curl.py, bench/switch_load.py)."""
    value = (os.environ if env is None else env).get("CALLPLAN_WEB_WORKERS", "")
    return max(1, int(value)) if value.strip() else max(1, min(os.cpu_count() or 1, 4))


HEALTHCHECK_SECONDS = 30


def healthcheck_seconds(env=None) -> int:
    """How long uvicorn's supervisor waits for a worker to answer its health check before it kills the
    worker and starts another: CALLPLAN_WEB_WORKER_HEALTHCHECK_SECONDS, else 30. uvicorn's own 5 s is
    missed by a busy worker (a company's first build, a full garbage collection: bench/tenants.py saw
    workers killed under load), and a replacement starts with empty caches, so every company is built
    again just when the machine is busiest."""
    value = (os.environ if env is None else env).get("CALLPLAN_WEB_WORKER_HEALTHCHECK_SECONDS", "")
    return max(1, int(value)) if value.strip() else HEALTHCHECK_SECONDS


def web_command(host: str, port: int, env=None) -> list[str]:
    """How the web app is served (also by bench/switch_load.py, which measures it as `make run` runs it):
    uvicorn with its fast parser and loop (httptools, uvloop: uvicorn[standard]), several workers."""
    return [sys.executable, "-m", "uvicorn", "web.app:app", "--host", host, "--port", str(port), "--no-access-log",
            "--log-level", "warning", "--http", "httptools", "--loop", "uvloop", "--workers", str(workers(env)),
            "--timeout-worker-healthcheck", str(healthcheck_seconds(env))]


def fail(message: str) -> int:
    print(f"\n{message}", file=sys.stderr, flush=True)
    return 1


def taken(host: str, port: int) -> bool:
    """Whether a server could not listen on host:port now (bound as uvicorn and gevent bind, with
    SO_REUSEADDR, so a just-closed connection waiting in TIME_WAIT does not count)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError:
            return True
    return False


@contextmanager
def quiet_setup():
    """Migrating and making the demo would log what nobody starting the app needs to read: each migration,
    each request the demo makes to the app's own API (and Starlette's notice that its test client, which
    the demo uses for them, will want another HTTP library), each phone-cache flush no FreeSWITCH is there
    to take. Errors still show."""
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
            yield
    finally:
        logging.disable(logging.NOTSET)


def ended(children: dict[str, subprocess.Popen]) -> str | None:
    for name, child in children.items():
        if child.poll() is not None:
            return f"The {name} stopped (exit status {child.returncode})"
    return None


def wait_until_ready(children, host: str, port: int, feed: tuple[str, int], stopping: list) -> str | None:
    """Until the web app answers its health check and the bridge's live feed listens; what went wrong if
    a child ended first or was not ready in time."""
    local = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}.get(host, f"[{host}]" if ":" in host else host)
    checks = {"web app": lambda: answers(f"http://{local}:{port}/api/health"),
              "bridge": lambda: not feed[1] or listens(*feed)}
    deadline = time.monotonic() + READY_SECONDS
    while checks and not stopping:
        if problem := ended(children):
            return None if stopping else problem
        if time.monotonic() > deadline:
            return f"The {' and the '.join(checks)} did not get ready within {READY_SECONDS} s"
        for name, check in list(checks.items()):
            if check():
                del checks[name]
        time.sleep(0.2)
    return None


def wait_until_one_stops(children, stopping: list) -> str | None:
    while not stopping:
        if problem := ended(children):
            return None if stopping else problem
        time.sleep(0.5)
    return None


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def listens(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def stop(children: dict[str, subprocess.Popen]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.terminate()
    for child in children.values():
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def welcome(settings: Settings, host: str, port: int, made: list[tuple[str, str, str]]) -> list[str]:
    lines = [f"Callplan PBX: open http://{host}:{port}/login", ""]
    if made:
        width = max(len(login) for _, login, _ in made)
        lines.append("First run: each password works once; at login you choose your own.")
        lines += [f"  {role:8} {login:{width}}  password: {password}" for role, login, password in made]
    else:
        lines += ["Log in with the accounts of the first run", "(`make clean` starts over, database and all)."]
    lines += ["", f"The bridge waits for FreeSWITCH at {settings.esl_host}:{settings.esl_port} (see README.md).",
              "Ctrl-C stops the web app and the bridge."]
    return lines


def box(lines: list[str]) -> str:
    width = max(map(len, lines))
    rule = "+" + "-" * (width + 4) + "+"
    return "\n".join(["", rule, *(f"|  {line.ljust(width)}  |" for line in lines), rule, ""])


if __name__ == "__main__":
    sys.exit(main())
