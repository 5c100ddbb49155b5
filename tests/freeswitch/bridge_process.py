"""`python -m fs_bridge` as its own process, as in production, on a test FreeSWITCH's event socket: the
one way the FreeSWITCH tests start the bridge, so its environment is written once."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator, Optional

from sqlmodel import Session, select

from tests.freeswitch.harness import free_ports, wait_for
from tests.processes import STARTUP_SECONDS
from web.models.bridge_status import BridgeStatus
from web.settings import REPO_ROOT


@contextlib.contextmanager
def running_bridge(demo, fs, work: Path, log_name: str, *, fs_env, smtp_port: Optional[int] = None,
                   feed_port: int = 0, **extra_env: str) -> Iterator[subprocess.Popen]:
    """Start the bridge and wait until it says it is connected (its bridge_status row); stop it after.

    `fs_env(fs, name)` reads a folder the switch shares with the app (voicemail, CDR spool). Without
    `smtp_port` mail goes to a closed port (nothing is mailed); `feed_port` 0 takes any free port for the
    live feed nobody reads. The log is `work / log_name`, shown when the bridge never connects."""
    env = {**os.environ,
           "CALLPLAN_DATABASE_URL": demo.settings.database_url, "CALLPLAN_SECRET_KEY": demo.settings.secret_key,
           "CALLPLAN_ESL_HOST": "127.0.0.1", "CALLPLAN_ESL_PORT": str(fs.esl_port),
           "CALLPLAN_ESL_PASSWORD": fs.password,
           "CALLPLAN_BRIDGE_FEED_HOST": "127.0.0.1", "CALLPLAN_BRIDGE_FEED_PORT": str(feed_port),
           "CALLPLAN_SMTP_HOST": "127.0.0.1", "CALLPLAN_SMTP_PORT": str(smtp_port or free_ports()),
           "CALLPLAN_VOICEMAIL_DIR": fs_env(fs, "CALLPLAN_VOICEMAIL_DIR"),
           "CALLPLAN_CDR_SPOOL_DIR": fs_env(fs, "CALLPLAN_CDR_SPOOL_DIR"), "PYTHONUNBUFFERED": "1",
           **extra_env}
    log_path = work / log_name
    with open(log_path, "a") as log:
        process = subprocess.Popen([sys.executable, "-m", "fs_bridge"], cwd=REPO_ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)

        def connected():
            with Session(demo.engine) as db:
                row = db.exec(select(BridgeStatus)
                              .where(BridgeStatus.esl_address == f"127.0.0.1:{fs.esl_port}")).first()
                return row is not None and row.connected
        try:
            assert wait_for(connected, STARTUP_SECONDS), log_path.read_text()
            yield process
        finally:
            process.terminate()
            process.wait(timeout=10)
