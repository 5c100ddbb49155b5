"""`make run`'s program (`python -m web`): migrates a fresh SQLite database, creates the demo tenant, serves
the portal and starts the bridge, then prints the URL and the two logins last, in a box; Ctrl-C stops
both. A port it needs being taken, or one of its processes stopping, is said and ends it non-zero.

Every run here has its own database, files and ports: a developer's own `make run` may hold 8000, 8025."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from tests.conftest import free_port
from tests.processes import OutputWatch, own_env
from web.settings import REPO_ROOT

# What setting up used to flood the terminal with: migrations, the demo's API requests, cache flushes.
NOISE = ("Running upgrade", "HTTP Request:", "could not flush", "Context impl")


def start(tmp_path, **env) -> tuple[subprocess.Popen, OutputWatch]:
    env = {**os.environ, **own_env(tmp_path), "CALLPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}",
           "CALLPLAN_PORT": str(free_port()), "CALLPLAN_ARGON2_MEMORY_KIB": "1024", "CALLPLAN_ARGON2_TIME_COST": "1",
           "PYTHONUNBUFFERED": "1", **env}
    process = subprocess.Popen([sys.executable, "-m", "web"], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    return process, OutputWatch(process)


def child_pids(process: subprocess.Popen, pattern: str) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(process.pid), "-f", pattern], capture_output=True, text=True).stdout
    return [int(pid) for pid in found.split()]


@pytest.fixture
def stop_later():
    started = []
    yield started.append
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_python_m_web_serves_the_demo_says_the_logins_last_and_stops_on_ctrl_c(tmp_path, stop_later):
    process, output = start(tmp_path)
    stop_later(process)
    assert output.wait_for("password: ", timeout=90), output.text()
    text = output.text()
    match = re.search(r"open (http://\S+)/login", text)
    assert match, text
    base = match.group(1)
    assert httpx.get(f"{base}/api/health").status_code == 200  # the box comes once the portal answers
    logins = {role: (email, password) for role, email, password in re.findall(r"(\w+) +(\S+@\S+) +password: (\S+)", text)}
    assert set(logins) == {"operator", "admin"}, text
    email, password = logins["admin"]
    response = httpx.post(f"{base}/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200 and response.json()["stage"] == "password"
    assert httpx.get(f"{base}/login").status_code == 200

    before_box = text[:text.index("+---")]
    assert not [line for line in before_box.splitlines() if any(noise in line for noise in NOISE)], before_box
    assert len(before_box.splitlines()) < 10, before_box  # a few lines of the bridge starting, no more
    assert output.wait_for("not answering", timeout=180), output.text()  # the bridge runs, waiting for FreeSWITCH

    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    assert process.wait(timeout=20) == 0, output.text()
    assert subprocess.run(["pgrep", "-f", f"--port {match.group(1).rsplit(':', 1)[1]}"],
                          capture_output=True, text=True).stdout.strip() == ""  # uvicorn went with it

    again, output = start(tmp_path, CALLPLAN_PORT=str(free_port()))  # the same database: no new accounts
    stop_later(again)
    assert output.wait_for("accounts of the first run", timeout=180), output.text()
    assert "password: " not in output.text()
    os.killpg(again.pid, signal.SIGINT)
    assert again.wait(timeout=20) == 0, output.text()


@pytest.mark.parametrize("variable, what", [("CALLPLAN_BRIDGE_FEED_PORT", "bridge's live feed"),
                                            ("CALLPLAN_PORT", "web app")])
def test_a_port_taken_is_said_and_ends_it_non_zero(tmp_path, stop_later, variable, what):
    with socket.socket() as holder:  # as another `make run` would hold it
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        process, output = start(tmp_path, **{variable: str(port)})
        stop_later(process)
        text = output.rest(timeout=60)
    assert process.returncode == 1, text
    assert f"The {what} cannot start: 127.0.0.1:{port} is taken" in text and variable in text
    assert "password: " not in text  # nothing made: the next run prints the logins


def test_the_bridge_stopping_stops_everything_non_zero(tmp_path, stop_later):
    process, output = start(tmp_path)
    stop_later(process)
    assert output.wait_for("password: ", timeout=90), output.text()
    [bridge], [web] = child_pids(process, "fs_bridge"), child_pids(process, "uvicorn")
    os.kill(bridge, signal.SIGKILL)
    assert process.wait(timeout=30) == 1, output.text()
    assert "The bridge stopped (exit status -9)" in output.rest(), output.text()
    with pytest.raises(ProcessLookupError):  # the web app was stopped and reaped
        os.kill(web, 0)


def test_the_web_app_is_served_with_the_fast_parser_loop_and_workers(monkeypatch):
    """#20: uvicorn with httptools and uvloop (uvicorn[standard]) and several processes where there are
    CPUs for them; CALLPLAN_WEB_WORKERS chooses."""
    import importlib.util

    from web.__main__ import web_command, workers

    assert importlib.util.find_spec("httptools") and importlib.util.find_spec("uvloop")
    command = web_command("127.0.0.1", 8000, {"CALLPLAN_WEB_WORKERS": "3"})
    assert command[command.index("--http") + 1] == "httptools" and command[command.index("--loop") + 1] == "uvloop"
    assert command[command.index("--workers") + 1] == "3"
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    assert workers({}) == 4 and workers({"CALLPLAN_WEB_WORKERS": "0"}) == 1
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert workers({}) == 1


def test_the_workers_health_check_waits_as_long_as_the_setting_says():
    """#20 item 6: uvicorn's supervisor killed busy workers after its own 5 s and each replacement started
    with empty caches; CALLPLAN_WEB_WORKER_HEALTHCHECK_SECONDS chooses how long it waits (30 s unless set)."""
    from web.__main__ import web_command

    def waits(env) -> str:
        command = web_command("127.0.0.1", 8000, env)
        return command[command.index("--timeout-worker-healthcheck") + 1]

    assert waits({}) == "30"
    assert waits({"CALLPLAN_WEB_WORKER_HEALTHCHECK_SECONDS": "45"}) == "45"
    assert waits({"CALLPLAN_WEB_WORKER_HEALTHCHECK_SECONDS": "0"}) == "1"
    # the option is uvicorn's: it refuses one it does not know, and this one takes whole seconds
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "uvicorn", "--help"], capture_output=True, text=True, check=True).stdout
    assert "--timeout-worker-healthcheck INTEGER" in out
