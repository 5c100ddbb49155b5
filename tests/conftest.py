"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, the app, a real SMTP server.

Every test that takes `database_url` (directly or through `client`) runs once per engine. PostgreSQL is
the server at 127.0.0.1:5432 (trust auth); when it is not reachable those runs skip and say why.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import socket
import threading
import uuid
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message

import pytest
from sqlalchemy import text

from web import clock
from web.migrate import upgrade
from web.settings import Settings
from web.xml_curl import cache as _xml_curl_cache

# a served process freezes what its builds keep (web.xml_curl.cache._freeze); a test session, building and
# dropping thousands of apps and engines, must not pin whatever is alive when a build ends. The tests of
# the freeze switch it back on.
_xml_curl_cache.FREEZE_BUILT = False

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_ADMIN_URL = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"


def postgres_unavailable_reason() -> str | None:
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover
        return f"psycopg is not installed ({exc})"
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except Exception as exc:
        return f"PostgreSQL at {PG_HOST}:{PG_PORT} is not reachable ({exc.__class__.__name__}: {exc})"


@pytest.fixture(scope="session")
def _pg_reason():
    return postgres_unavailable_reason()


@dataclass
class PgDatabases:
    """Creates throw-away databases on the local server and drops them at the end of the run."""

    made: list[str] = field(default_factory=list)

    def create(self) -> str:
        import psycopg

        name = f"callplan_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{name}"

    def drop_all(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for name in self.made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_databases(_pg_reason):
    if _pg_reason:
        pytest.skip(_pg_reason)
    databases = PgDatabases()
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _pg_migrated(pg_databases):
    url = pg_databases.create()
    upgrade(url)
    return url


def _truncate_all(url: str) -> None:
    from sqlalchemy import inspect

    from web.db import make_engine

    engine = make_engine(url)
    names = ", ".join(f'"{name}"' for name in inspect(engine).get_table_names() if name != "alembic_version")
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A migrated, empty database of each engine."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("_pg_migrated")
    _truncate_all(url)
    return url


# --- a real SMTP server -------------------------------------------------------------------------


class MailBox:
    def __init__(self):
        self.messages: list[Message] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def clear(self):
        with self._lock:
            self.messages.clear()

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address in m["To"]]


@pytest.fixture(scope="session")
def _smtp_server():
    from aiosmtpd.controller import Controller

    box = MailBox()
    box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def mailbox(_smtp_server):
    _smtp_server.clear()
    return _smtp_server


# --- the app -------------------------------------------------------------------------------------


# Tests never write into the real var/audio, where a developer's own tenants keep their sounds.
AUDIO_TEST_ROOT = tempfile.mkdtemp(prefix="callplan-audio-test-")
atexit.register(shutil.rmtree, AUDIO_TEST_ROOT, True)


def fast_settings(database_url: str, **overrides) -> Settings:
    """Production settings but a cheap argon2 cost, so a test suite full of logins stays quick."""
    values = dict(
        audio_dir=AUDIO_TEST_ROOT,
        fax_dir=os.path.join(AUDIO_TEST_ROOT, "fax"),
        fallback_dialplan=os.path.join(AUDIO_TEST_ROOT, "fallback_dialplan.xml"),
        database_url=database_url,
        secret_key="test-secret",
        public_base_url="http://testserver",
        smtp_host="127.0.0.1",
        smtp_port=1,  # nothing listens: mail must not be needed unless the test asks for `mailbox`
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(database_url, request, tmp_path):
    overrides = {"audio_dir": str(tmp_path / "audio"), "fallback_dialplan": str(tmp_path / "fallback_dialplan.xml"),
                 "voicemail_dir": str(tmp_path / "voicemail"), "cdr_spool_dir": str(tmp_path / "cdr-spool"),
                 "fax_dir": str(tmp_path / "fax"), "recordings_dir": str(tmp_path / "recordings"),
                 "bridge_feed_port": 0, "esl_port": 1}
    if "mailbox" in request.fixturenames:
        overrides["smtp_port"] = request.getfixturevalue("mailbox").port
    return fast_settings(database_url, **overrides)


@pytest.fixture
def app(settings):
    from web.app import create_app

    app = create_app(settings)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def client(app):
    from starlette.testclient import TestClient

    with TestClient(app) as client:
        yield client


@pytest.fixture(autouse=True)
def _reset_clock():
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def db(app):
    """A database session for arranging and checking rows directly."""
    from web.db import session_scope

    def open_session():
        return session_scope(app.state.engine)

    return open_session


# --- running side by side (`make test`: pytest-xdist) ------------------------------------------------

FREESWITCH_TESTS = "tests/freeswitch/"


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, asked only when tests run side by side
def pytest_xdist_make_scheduler(config, log):
    """Each test process takes whole modules: a module's tests share its module-scoped fixtures (a live
    server, a browser, a FreeSWITCH) and may build on each other. The FreeSWITCH tests (tests/freeswitch/)
    are one unit, run one after another in one process: they make SIP calls with timeouts, and two
    FreeSWITCH, their SIPp phones and bridges at once would be what a loaded machine cannot time well.
    (A FreeSWITCH elsewhere, such as test_brute_force's, still finds its ports free: the harness's
    switches check each RTP port before using it, and each process picks SIP ports from its own range.)
    Everything else is apart already: each process has its own temporary folder and PostgreSQL
    database, and every server a test starts listens on a free port.

    Not xdist's `xdist_group` marks: with pytest 9.2 they group nothing (pytest-xdist issue 1386)."""
    if config.getvalue("dist") != "load":  # the default with -n; another --dist chosen by hand wins
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByModule(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return FREESWITCH_TESTS if module.startswith(FREESWITCH_TESTS) else module

    return ByModule(config, log)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


os.environ.setdefault("CALLPLAN_SECRET_KEY", "test-secret")
