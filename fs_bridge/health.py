"""`python -m fs_bridge.health`: exit 0 while the bridge is alive (its heartbeat in the database is
fresh: connected to FreeSWITCH, or running and retrying), 1 when it is down. For container health checks;
prints the state ("connected", "disconnected", "down")."""

from __future__ import annotations

import sys

from sqlmodel import Session

from web.db import make_engine
from web.models.bridge_status import health, row_of
from web.settings import get_settings


def main() -> int:
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as db:
            state = health(row_of(db, settings))  # this bridge's own row
    except Exception as exc:  # no database, no table: not healthy
        print(f"down ({exc.__class__.__name__})")
        return 1
    finally:
        engine.dispose()
    print(state)
    return 0 if state in ("connected", "disconnected") else 1


if __name__ == "__main__":
    sys.exit(main())
