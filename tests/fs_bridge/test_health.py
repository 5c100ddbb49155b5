"""`python -m fs_bridge.health`, the container health check: alive while the heartbeat is fresh."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from sqlmodel import Session

from web.models.bridge_status import BridgeStatus
from web.settings import REPO_ROOT


def _check(settings) -> tuple[int, str]:
    env = {**os.environ, "CALLPLAN_DATABASE_URL": settings.database_url, "CALLPLAN_SECRET_KEY": "x"}
    done = subprocess.run([sys.executable, "-m", "fs_bridge.health"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout.strip()


def test_health_follows_the_heartbeat(app, settings):
    assert _check(settings) == (1, "down")  # never ran
    now = datetime.now(timezone.utc)
    with Session(app.state.engine) as db:
        db.add(BridgeStatus(id=1, connected=False, heartbeat_at=now))
        db.commit()
    assert _check(settings) == (0, "disconnected")  # alive, FreeSWITCH away: the bridge itself is fine
    with Session(app.state.engine) as db:
        row = db.get(BridgeStatus, 1)
        row.connected, row.heartbeat_at = True, now - timedelta(minutes=2)
        db.add(row)
        db.commit()
    assert _check(settings) == (1, "down")  # heartbeat stale: hung or gone
