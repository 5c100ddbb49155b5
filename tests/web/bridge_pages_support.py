"""Helpers for tests/web/test_bridge_pages_browser.py: a stand-in for the bridge's live feed (a TCP server
sending JSON lines, as fs_bridge/live_feed.py does), a live uvicorn server that reads it and whose
FreeSWITCH (ESL) does not answer, accounts of any role, and rows seeded straight into its database."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from tests.conftest import fast_settings, free_port
from tests.web.browser_support import running_server


class FeedServer:
    """Speaks fs_bridge.live_feed's protocol: every connected web app gets {"tenant_id", "kind", "data"}
    lines. Threads, not gevent: the test process must stay free of monkey-patching."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.clients: list[socket.socket] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.clients.append(conn)
            threading.Thread(target=self._watch, args=(conn,), daemon=True).start()

    def _watch(self, conn: socket.socket) -> None:
        """The web app sends nothing; end of stream means it went (its last websocket closed)."""
        try:
            while conn.recv(4096):
                pass
        except OSError:
            pass
        with self.lock:
            if conn in self.clients:
                self.clients.remove(conn)

    def wait_for_client(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.clients:
                    return
            time.sleep(0.05)
        raise AssertionError("the web app never connected to the live feed")

    def publish(self, tenant_id, kind: str, data: dict) -> None:
        line = (json.dumps({"tenant_id": tenant_id, "kind": kind, "data": data}, default=str) + "\n").encode()
        with self.lock:
            for conn in list(self.clients):
                try:
                    conn.sendall(line)
                except OSError:
                    self.clients.remove(conn)

    def close(self) -> None:
        self.listener.close()
        with self.lock:
            for conn in self.clients:
                conn.close()
            self.clients.clear()


@pytest.fixture(scope="module")
def feed():
    server = FeedServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def bridge_server(feed):
    """browser_support's uvicorn and demo company, reading `feed`; FreeSWITCH's ESL port has nobody
    listening (so an agent's status is saved but not applied)."""
    with running_server("callplan-bridge-pages-", CALLPLAN_BRIDGE_FEED_HOST="127.0.0.1",
                        CALLPLAN_BRIDGE_FEED_PORT=str(feed.port), CALLPLAN_ESL_HOST="127.0.0.1",
                        CALLPLAN_ESL_PORT=str(free_port())) as server:  # FreeSWITCH is away
        yield server


class Db:
    """The live server's database, for seeding rows the bridge would write."""

    def __init__(self, database_url: str):
        from web.db import make_engine

        self.engine = make_engine(database_url)

    def session(self):
        from web.domain import audit
        from web.db import session_scope

        return session_scope(self.engine, audit.SYSTEM)

    def tenant_id(self) -> int:
        from sqlmodel import select

        from web.models import Tenant

        with self.session() as db:
            return db.exec(select(Tenant.id)).first()

    def user(self, first_name: str):
        from sqlmodel import select

        from web.models.pbx_user import PbxUser

        with self.session() as db:
            user = db.exec(select(PbxUser).where(PbxUser.first_name == first_name)).one()
            db.expunge(user)
            return user

    def add(self, *rows) -> list[int]:
        with self.session() as db:
            for row in rows:
                db.add(row)
            db.flush()
            return [row.id for row in rows]

    def account(self, email: str, password: str, role: str, language: str = "en", pbx_user: str | None = None) -> None:
        """An account that can log in at once; `pbx_user` (a first name): linked to that PBX user."""
        from sqlmodel import select

        from web.auth.passwords import hash_password
        from web.models import Account
        from web.models.pbx_user import PbxUser

        with self.session() as db:
            if db.exec(select(Account).where(Account.email == email)).first() is not None:
                return
            tenant_id = self.tenant_id()
            account = Account(email=email, role=role, tenant_id=None if role == "operator" else tenant_id, first_name=role.title(), last_name="Tester",
                              language=language, password_hash=hash_password(fast_settings("sqlite://"), password))
            db.add(account)
            db.flush()
            if pbx_user:
                user = db.exec(select(PbxUser).where(PbxUser.first_name == pbx_user)).one()
                user.account_id = account.id
                db.add(user)

    def close(self) -> None:
        self.engine.dispose()
