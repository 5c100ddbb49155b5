"""The company's night switch as it stands now (seed 001 6.4.4): is it night, until when, and where calls
go then. Asked by the portal (the schedules screen and the home page's card); the answer comes from the
same rule and the same snapshot the dialplan is compiled from (callplan.base_dialplan.company_night), so
the portal never says "day" while the switch sends calls to the night destination."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlmodel import Session

from callplan import schedules
from callplan.base_dialplan import company_night
from web.domain import references
from web.domain.callplan_snapshot import snapshot
from web.scoping import scoped


@dataclass(frozen=True)
class NightState:
    mode: str  # off | on | auto
    night: bool  # calls that follow the company go to the night destination now
    at: datetime  # the moment asked about, in the company's zone
    next_change: Optional[datetime]  # when `night` flips by the schedule (UTC, as schedule checks answer); None: not by itself
    timezone: str
    destination: Optional[dict]  # the night destination with the name of what it points at


def destination_named(db: Session, tenant_id: int, destination: Optional[dict]) -> Optional[dict]:
    """A stored destination with `name`: the object's name, the number dialled, or None for hang up."""
    if not destination:
        return None
    named = dict(destination)
    kind = destination.get("type")
    if kind in references.KINDS and destination.get("id") is not None:
        table = references.KINDS[kind]
        row = db.exec(scoped(table, tenant_id).where(table.id == destination["id"])).first()
        named["name"] = references.display_name(row) if row is not None else None
    else:
        named["name"] = destination.get("number")
    return named


def state(db: Session, tenant_id: int, settings, at: datetime) -> NightState:
    objects = snapshot(db, tenant_id, settings)
    night, until = company_night(objects, at)
    zone = objects.timezone
    return NightState(
        mode=objects.company.night_mode,
        night=night,
        at=schedules.local_time(at, zone),
        next_change=until,
        timezone=zone,
        destination=destination_named(db, tenant_id, objects.company.night_destination),
    )
