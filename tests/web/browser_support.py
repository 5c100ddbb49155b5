"""Helpers for the browser tests: a live uvicorn server on a fresh SQLite database with the demo
accounts, Debian's chromium driven by Playwright, screenshots, and a watch on the console."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import fast_settings, free_port
from tests.processes import own_env
from web.settings import REPO_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO_ROOT / "test-artifacts"
STARTUP_SECONDS = 90  # a wait, not a measure: on a loaded machine uvicorn takes a while to start


def missing_browser_reason() -> str | None:
    if shutil.which("chromium") is None and not os.path.exists("/usr/bin/chromium"):
        return "Debian's chromium is not installed (apt-get install chromium)"
    return None


@dataclass
class LiveServer:
    base_url: str
    database_url: str
    log_path: Path
    accounts: dict[str, tuple[str, str]] = field(default_factory=dict)  # role -> (email, one-time password)

    def url(self, path: str) -> str:
        return self.base_url + path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _wait_until_healthy(process: subprocess.Popen, base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            if httpx.get(base_url + "/api/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"uvicorn did not answer /api/health in {STARTUP_SECONDS} s:\n{log_path.read_text(errors='replace')}")


@contextmanager
def running_server(prefix: str = "callplan-browser-", database_url: str | None = None, **extra_env: str):
    """uvicorn serving the app on a fresh migrated SQLite with the demo company, in a process of its own;
    `extra_env` adds CALLPLAN_* settings (a bridge feed, an ESL port nobody answers on). `database_url`: a
    migrated database of the caller's instead (several servers on one PostgreSQL)."""
    from web import demo
    from web.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'portal.sqlite3'}"
        if database_url is None:
            upgrade(url)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            **own_env(Path(tmp)),  # never a running `make run`'s bridge feed, FreeSWITCH or var/ files
            "CALLPLAN_DATABASE_URL": url,
            "CALLPLAN_SECRET_KEY": "test",
            "CALLPLAN_PUBLIC_BASE_URL": base_url,
            "CALLPLAN_ARGON2_MEMORY_KIB": "1024",
            "CALLPLAN_ARGON2_TIME_COST": "1",
            "CALLPLAN_ARGON2_PARALLELISM": "1",
            "CALLPLAN_SMTP_HOST": "127.0.0.1",
            "CALLPLAN_SMTP_PORT": str(free_port()),  # nothing listens: mail fails quietly
            **extra_env,
        }
        log_path = Path(tmp) / "uvicorn.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "web.app:app", "--host", "127.0.0.1", "--port", str(port)],
                cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        try:
            _wait_until_healthy(process, base_url, log_path)
            from web.app import create_app

            demo_app = create_app(fast_settings(url, public_base_url=base_url))
            made = demo.ensure_demo(demo_app)
            demo_app.state.engine.dispose()
            yield LiveServer(base_url, url, log_path, {role: (email, password) for role, email, password in made})
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def live_server():
    with running_server() as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class ConsoleWatch:
    """Collects console errors and uncaught exceptions of a page (CSP violations land here too).

    "Failed to load resource" for /api/ addresses is the browser noting an API refusal the page
    expects and shows (401 before logging in, a wrong password); those are not faults of the page."""

    def __init__(self, page):
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))

    def _console(self, message) -> None:
        if message.type != "error":
            return
        location = message.location or {}
        url = location.get("url", "") if isinstance(location, dict) else ""
        if message.text.startswith("Failed to load resource") and "/api/" in url:
            return
        self.problems.append(f"{message.text} ({url})")

    def assert_clean(self) -> None:
        assert self.problems == [], "console errors:\n" + "\n".join(self.problems)


class Screenshots:
    """Numbered full-page screenshots in test-artifacts/<prefix>-NN-<name>.png."""

    def __init__(self, prefix: str):
        ARTIFACTS.mkdir(exist_ok=True)
        self.prefix = prefix
        self.count = 0

    def __call__(self, page, name: str, full_page: bool = True) -> Path:
        """full_page=False: the window only (a side sheet or dialog covers just that)."""
        self.count += 1
        path = ARTIFACTS / f"{self.prefix}-{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@contextmanager
def in_process_server(prefix: str = "callplan-browser-"):
    """Like running_server, but uvicorn serves the app in a thread of the test process, so a test moves the
    server's clock with web.clock (what "now" is for schedules, night mode, expiry) as API tests do."""
    from tests.web.concurrency import serving
    from web import demo
    from web.app import create_app
    from web.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'portal.sqlite3'}"
        upgrade(url)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        settings = fast_settings(url, public_base_url=base_url, audio_dir=str(folder / "audio"),
                                 fallback_dialplan=str(folder / "fallback_dialplan.xml"), voicemail_dir=str(folder / "voicemail"),
                                 cdr_spool_dir=str(folder / "cdr-spool"), esl_port=free_port(), bridge_feed_port=free_port())
        app = create_app(settings)
        made = demo.ensure_demo(app)
        try:
            with serving(app, port=port) as served:
                assert served == base_url
                yield LiveServer(base_url, url, folder / "uvicorn.log", {role: (email, password) for role, email, password in made})
        finally:
            app.state.engine.dispose()


def admin_session(browser, server, email: str, password: str, language: str = "en", **options):
    """A browser context logged in as an admin of the demo company made for the test (canvas_support)."""
    from tests.web.canvas_support import ensure_admin, log_in

    ensure_admin(server.database_url, email, password, language=language)
    return log_in(browser, server, email=email, password=password, **options)


def open_screen(session, server, path: str, *, wait_ms: int):
    """A new page of `session` on `path`, drawn (body[data-ready]), with a watch on its console."""
    page = session.context.new_page()
    page.set_default_timeout(wait_ms)
    watch = ConsoleWatch(page)
    page.goto(server.url(path))
    page.wait_for_selector("body[data-ready=true]")
    return page, watch
