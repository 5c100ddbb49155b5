"""The bridge's health as the web app shows it: connected to FreeSWITCH or not, since when, the last
event, and a heartbeat that tells a dead bridge from a quiet one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional

from sqlmodel import Field, Session, SQLModel

STALE_AFTER = timedelta(seconds=20)  # four missed heartbeats


class BridgeStatus(SQLModel, table=True):
    __tablename__ = "bridge_status"
    __audit__ = False

    id: Optional[int] = Field(default=None, primary_key=True)  # one row per bridge: 1
    esl_address: str = Field(default="", max_length=300)
    connected: bool = False
    connected_since: Optional[datetime] = None
    last_event_at: Optional[datetime] = None
    events: int = 0
    reconnects: int = 0
    last_error: Optional[str] = Field(default=None, max_length=500)
    heartbeat_at: Optional[datetime] = None


def write_status(db: Session, settings, status: dict) -> None:
    row = db.get(BridgeStatus, 1) or BridgeStatus(id=1)
    row.esl_address = f"{settings.esl_host}:{settings.esl_port}"
    for name in ("connected", "connected_since", "last_event_at", "events", "reconnects", "last_error"):
        setattr(row, name, status.get(name))
    if row.last_error:
        row.last_error = row.last_error[:500]
    row.heartbeat_at = datetime.now(timezone.utc)
    db.add(row)


def health(row: Optional[BridgeStatus], now: Optional[datetime] = None) -> str:
    """"connected", "disconnected" (the bridge runs, FreeSWITCH does not answer), "down" (no bridge
    heartbeat lately, or never)."""
    now = now or datetime.now(timezone.utc)
    if row is None or row.heartbeat_at is None:
        return "down"
    beat = row.heartbeat_at if row.heartbeat_at.tzinfo else row.heartbeat_at.replace(tzinfo=timezone.utc)
    if now - beat > STALE_AFTER:
        return "down"
    return "connected" if row.connected else "disconnected"
