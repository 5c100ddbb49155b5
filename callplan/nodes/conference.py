"""conference: the caller joins a conference room (mod_conference), asked for the room's PIN when it has
one; the moderator PIN makes the caller the room's moderator. Nothing runs after it: the call ends when
the caller leaves the room."""

from __future__ import annotations

from typing import Literal

from callplan.model import StepBase
from callplan.objects import CONFERENCE_PROFILE, conference_name

TYPE = "conference"
RINGS = False
TERMINAL = True


class Step(StepBase):
    type: Literal["conference"]
    room: int


def join(segment, objects, room) -> None:
    """The actions that put the call into `room` (a ConferenceRoomInfo), shared by the step, the room's
    own number and transfer targets. mod_conference asks for a PIN when the room has one (`+pin` in its
    data) and takes the moderator PIN from `conference_moderator_pin` (mod_conference.c: either PIN
    lets the caller in, the moderator's adds the `moderator` flag); the limit of callers applies when
    the first caller opens the room."""
    segment.action("answer")
    if room.max_members:
        segment.action("set", f"conference_max_members={int(room.max_members)}")
    if room.moderator_pin:
        segment.action("set", f"conference_moderator_pin={room.moderator_pin}")
    data = f"{conference_name(objects.tenant_id, room.id)}@{CONFERENCE_PROFILE}"
    if room.pin:
        data += f"+{room.pin}"
    segment.action("conference", data)
    segment.action("hangup", "NORMAL_CLEARING")


def compile(step: Step, segment, compilation) -> bool:
    room = compilation.objects.conference_rooms.get(step.room)
    if room is None:  # validation names the missing room; a call never reaches a broken conference
        segment.action("hangup", "UNALLOCATED_NUMBER")
        return True
    join(segment, compilation.objects, room)
    return True


def simulate(step: Step, simulation) -> bool:
    room = simulation.objects.conference_rooms.get(step.room)
    simulation.outcome = f"conference:{room.id}" if room is not None else "hung_up:UNALLOCATED_NUMBER"
    return True


def references(step: Step):
    yield "/room", "conference_room", step.room
