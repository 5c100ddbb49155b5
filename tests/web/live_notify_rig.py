"""Several switches' live state across processes, for tests: bridges (`python -m fs_bridge`, one per
switch, each on an ESL server of its own that speaks FreeSWITCH's protocol, or on a real FreeSWITCH) and
web processes on one PostgreSQL, and a websocket client of /api/live that keeps the calls it was told of.

    url = migrated_postgres(pg_databases)
    with running_bridge(url, esl.port, "fs-a", folder):      # CALLPLAN_SWITCH_NAME=fs-a: NOTIFYs on its own
        with running_server(database_url=url) as web:         # LISTENs on its own (PostgreSQL)
            with LiveSocket(web.base_url, "admin@a.test") as live:
                live.until(lambda: "some-uuid" in live.calls)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional

import httpx

from tests.conftest import free_port
from tests.processes import own_env
from tests.web.call_record_samples import event_text
from tests.web.helpers import PASSWORD
from web.settings import REPO_ROOT

ESL_PASSWORD = "live-notify-test"
WAIT_S = 60.0  # a limit on waiting, never a sleep: processes start slowly on a loaded machine


def migrated_postgres(pg_databases) -> str:
    """A throw-away PostgreSQL database of this test's, migrated (dropped at the end of the run)."""
    from web.migrate import upgrade

    url = pg_databases.create()
    upgrade(url)
    return url


@contextmanager
def running_bridge(database_url: str, esl_port: int, switch: str, folder: Path, esl_host: str = "127.0.0.1",
                   esl_password: str = ESL_PASSWORD, **extra_env: str) -> Iterator[subprocess.Popen]:
    """`python -m fs_bridge` following the event socket at esl_host:esl_port as switch `switch`; its log
    is folder/bridge-<switch>.log. Stopped (SIGTERM, then SIGKILL) on leaving unless stopped before."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **own_env(folder), "CALLPLAN_DATABASE_URL": database_url, "CALLPLAN_SECRET_KEY": "test",
           "CALLPLAN_ESL_HOST": esl_host, "CALLPLAN_ESL_PORT": str(esl_port), "CALLPLAN_ESL_PASSWORD": esl_password,
           "CALLPLAN_SWITCH_NAME": switch, "CALLPLAN_BRIDGE_FEED_PORT": str(free_port()),
           "CALLPLAN_SMTP_PORT": str(free_port()), **extra_env}
    log = open(folder / f"bridge-{switch}.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "fs_bridge"], cwd=REPO_ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def wait_for(predicate: Callable[[], bool], timeout: float = WAIT_S, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.05)


def subscribed(esl) -> bool:
    """The bridge on this ESL server (tests/fs_bridge/esl_server.py) has asked for its events."""
    return any(command.startswith("event plain") for command in list(esl.commands))


def call_event(text: str, uuid: str, tenant_id: int, domain: str, caller: str) -> str:
    """A real event text (../shared/fixtures) made one of `uuid`, a call of this tenant from `caller`, now."""
    return event_text(text, domain=domain, set_vars={"cp_tenant_id": str(tenant_id), "uuid": uuid},
                      headers={"Unique-ID": uuid, "Channel-Call-UUID": uuid, "Caller-Unique-ID": uuid,
                               "Caller-Caller-ID-Number": caller,
                               "Event-Date-Timestamp": str(int(time.time() * 1_000_000))})  # happening now


class LiveSocket:
    """A browser's /api/live: logs in over HTTP, opens the websocket with the session cookie, and keeps
    what it was told: `calls` (uuid -> the call as last sent), every message in `messages`."""

    def __init__(self, base_url: str, email: str, password: str = PASSWORD):
        self.base_url, self.email, self.password = base_url, email, password
        self.calls: dict[str, dict] = {}
        self.messages: list[dict] = []
        self.snapshots = 0
        self._ws = None

    def __enter__(self) -> "LiveSocket":
        from websockets.sync.client import connect

        login = httpx.post(self.base_url + "/api/auth/login", json={"email": self.email, "password": self.password},
                           timeout=30)
        assert login.status_code == 200 and login.json()["stage"] == "full", login.text
        cookie = "; ".join(f"{name}={value}" for name, value in login.cookies.items())
        self._ws = connect(self.base_url.replace("http", "ws", 1) + "/api/live", open_timeout=30,
                           additional_headers={"Cookie": cookie, "Origin": self.base_url})
        self._ws.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._ws.__exit__(*exc)

    def _take(self, message: dict) -> None:
        self.messages.append(message)
        kind, data = message.get("kind"), message.get("data")
        if kind == "snapshot":
            self.snapshots += 1
            self.calls = {call["call_uuid"]: call for call in data["calls"]}
        elif kind == "call":
            self.calls[data["call_uuid"]] = {**self.calls.get(data["call_uuid"], {}), **data}
        elif kind == "call_ended":
            self.calls.pop(data["call_uuid"], None)

    def until(self, predicate: Callable[[], bool], timeout: float = WAIT_S, what: str = "") -> None:
        """Read messages until `predicate()` holds (AssertionError after `timeout`)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.email}: not within {timeout} s: {what}; calls {sorted(self.calls)}; "
                                     f"last messages {self.messages[-5:]}")
            try:
                text = self._ws.recv(timeout=min(left, 1.0))
            except TimeoutError:
                continue
            self._take(json.loads(text))

    def has(self, kind: str, **fields) -> bool:
        """Whether a message of `kind` came whose data holds these values."""
        return any(message.get("kind") == kind and isinstance(message.get("data"), dict)
                   and all(message["data"].get(name) == value for name, value in fields.items())
                   for message in self.messages)

    def seen(self, needle: str) -> bool:
        """Whether any message this socket received holds `needle` anywhere."""
        return any(needle in json.dumps(message) for message in self.messages)


def channel_texts(uuid: str) -> dict[str, str]:
    """The first CHANNEL_CREATE, CHANNEL_ANSWER and CHANNEL_HANGUP_COMPLETE of a real call's A leg."""
    from fs_bridge.events import fixture_events
    from tests.web.call_record_samples import FIXTURES

    found: dict[str, str] = {}
    for title, text in fixture_events(FIXTURES / "esl_all_events.txt"):
        name = title.split()[0]
        if name in ("CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE") and f"Unique-ID: {uuid}" in text:
            found.setdefault(name, text)
    return found
