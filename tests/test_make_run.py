"""`make run`'s program (`python -m web`): migrates a fresh SQLite database, creates the demo tenant and
prints its admin's one-time password, serves the portal and starts the bridge; Ctrl-C stops both."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx

from tests.conftest import free_port
from web.settings import REPO_ROOT


def test_python_m_web_serves_the_demo_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = {**os.environ, "CALLPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite3'}", "CALLPLAN_PORT": str(port),
           "CALLPLAN_ESL_PORT": str(free_port()), "CALLPLAN_ARGON2_MEMORY_KIB": "1024", "CALLPLAN_ARGON2_TIME_COST": "1",
           "PYTHONUNBUFFERED": "1"}
    log = open(tmp_path / "run.log", "w+")
    process = subprocess.Popen([sys.executable, "-m", "web"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        log.seek(0)
        output = log.read()
        match = re.search(r"admin\s+login: (\S+)\s+one-time password: (\S+)", output)
        assert match, output
        response = httpx.post(f"{base}/api/auth/login", json={"email": match.group(1), "password": match.group(2)})
        assert response.status_code == 200 and response.json()["stage"] == "password"
        assert httpx.get(f"{base}/login").status_code == 200
        time.sleep(1.5)
        log.seek(0)
        assert "not answering" in log.read()  # the bridge runs and says it waits for FreeSWITCH
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        assert process.wait(timeout=20) == 0
    children = subprocess.run(["pgrep", "-f", f"--port {port}"], capture_output=True, text=True).stdout
    assert children.strip() == ""
