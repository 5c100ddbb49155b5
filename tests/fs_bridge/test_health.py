"""`python -m fs_bridge.health`, the container health check: alive while the heartbeat is fresh."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from sqlmodel import Session, select

from web.models.bridge_status import BridgeStatus
from web.settings import REPO_ROOT


def _check(settings) -> tuple[int, str]:
    env = {**os.environ, "CALLPLAN_DATABASE_URL": settings.database_url, "CALLPLAN_SECRET_KEY": "x",
           "CALLPLAN_ESL_HOST": "127.0.0.1", "CALLPLAN_ESL_PORT": "8021"}
    done = subprocess.run([sys.executable, "-m", "fs_bridge.health"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout.strip()


def test_health_follows_the_heartbeat(app, settings):
    assert _check(settings) == (1, "down")  # never ran
    now = datetime.now(timezone.utc)
    with Session(app.state.engine) as db:
        db.add(BridgeStatus(esl_address="192.0.2.9:8021", connected=True, heartbeat_at=now))  # another bridge's
        db.commit()
    assert _check(settings) == (1, "down")  # this one's own row is what counts
    with Session(app.state.engine) as db:
        # a heartbeat of just now: the checks before took seconds each on a loaded machine
        db.add(BridgeStatus(esl_address="127.0.0.1:8021", connected=False, heartbeat_at=datetime.now(timezone.utc)))
        db.commit()
    assert _check(settings) == (0, "disconnected")  # alive, FreeSWITCH away: the bridge itself is fine
    with Session(app.state.engine) as db:
        row = db.exec(select(BridgeStatus).where(BridgeStatus.esl_address == "127.0.0.1:8021")).one()
        row.connected, row.heartbeat_at = True, now - timedelta(minutes=2)
        db.add(row)
        db.commit()
    assert _check(settings) == (1, "down")  # heartbeat stale: hung or gone
