"""The bridges' health as the web app shows it: connected to FreeSWITCH or not, since when, the last
event, and a heartbeat that tells a dead bridge from a quiet one.

One row per bridge, keyed by the event socket it follows (a deployment runs one bridge per FreeSWITCH),
so several bridges never overwrite each other's state."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional

from sqlmodel import Field, Session, SQLModel, select

STALE_AFTER = timedelta(seconds=20)  # four missed heartbeats
DEAD_AFTER = timedelta(seconds=60)  # a switch's live calls are dropped by the other bridges after this
FORGOTTEN_AFTER = timedelta(days=1)  # a bridge silent this long was taken away, not lost
STATES = ("connected", "disconnected", "down")  # best to worst


class BridgeStatus(SQLModel, table=True):
    __tablename__ = "bridge_status"
    __audit__ = False

    id: Optional[int] = Field(default=None, primary_key=True)
    esl_address: str = Field(default="", max_length=300, unique=True)
    connected: bool = False
    connected_since: Optional[datetime] = None
    last_event_at: Optional[datetime] = None
    events: int = 0
    reconnects: int = 0
    last_error: Optional[str] = Field(default=None, max_length=500)
    heartbeat_at: Optional[datetime] = None
    switch_name: str = Field(default="", max_length=100, sa_column_kwargs={"server_default": ""})  # settings.switch


def address(settings) -> str:
    return f"{settings.esl_host}:{settings.esl_port}"


def row_of(db: Session, settings) -> Optional[BridgeStatus]:
    """This installation's bridge for the settings' event socket."""
    return db.exec(select(BridgeStatus).where(BridgeStatus.esl_address == address(settings))).first()


def write_status(db: Session, settings, status: dict) -> None:
    row = row_of(db, settings) or BridgeStatus(esl_address=address(settings))
    for name in ("connected", "connected_since", "last_event_at", "events", "reconnects", "last_error"):
        setattr(row, name, status.get(name))
    if row.last_error:
        row.last_error = row.last_error[:500]
    row.heartbeat_at = datetime.now(timezone.utc)
    row.switch_name = settings.switch
    db.add(row)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def health(row: Optional[BridgeStatus], now: Optional[datetime] = None) -> str:
    """"connected", "disconnected" (the bridge runs, FreeSWITCH does not answer), "down" (no bridge
    heartbeat lately, or never)."""
    now = now or datetime.now(timezone.utc)
    if row is None or row.heartbeat_at is None:
        return "down"
    if now - _aware(row.heartbeat_at) > STALE_AFTER:
        return "down"
    return "connected" if row.connected else "disconnected"


def worst(db: Session, now: Optional[datetime] = None) -> Optional[BridgeStatus]:
    """The bridge in the worst state among those heard from in the last day (what a health badge must
    show: one FreeSWITCH unwatched is a problem however many others are fine); None when there is none."""
    now = now or datetime.now(timezone.utc)
    rows = [row for row in db.exec(select(BridgeStatus).order_by(BridgeStatus.id)).all()
            if row.heartbeat_at is not None and now - _aware(row.heartbeat_at) <= FORGOTTEN_AFTER]
    if not rows:
        return None
    return max(rows, key=lambda row: STATES.index(health(row, now)))


def switch_health(db: Session, now: Optional[datetime] = None) -> dict[str, str]:
    """Each switch's health, by the name its bridge gives it (CALLPLAN_SWITCH_NAME; its event socket by
    default): what tells a live row of a switch nobody follows now (stale) from a live one."""
    now = now or datetime.now(timezone.utc)
    found: dict[str, str] = {}
    for row in db.exec(select(BridgeStatus)).all():
        name = row.switch_name or row.esl_address
        state = health(row, now)
        if name not in found or STATES.index(state) < STATES.index(found[name]):
            found[name] = state  # two rows of one name (a bridge moved to another socket): the best
    return found


def dead_switches(db: Session, now: Optional[datetime] = None) -> set[str]:
    """Switches whose bridges have all been silent for DEAD_AFTER."""
    now = now or datetime.now(timezone.utc)
    alive, silent = set(), set()
    for row in db.exec(select(BridgeStatus)).all():
        name = row.switch_name or row.esl_address
        quiet = row.heartbeat_at is None or now - _aware(row.heartbeat_at) > DEAD_AFTER
        (silent if quiet else alive).add(name)
    return silent - alive
