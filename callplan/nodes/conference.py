"""conference: the caller joins a conference room (mod_conference), asked for the room's PIN when it has
one; the moderator PIN makes the caller the room's moderator. Nothing runs after it: the call ends when
the caller leaves the room."""

from __future__ import annotations

from typing import Literal

from callplan import home
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
    the first caller opens the room. With a home switch (several switches) the call goes to the room's
    home extension first, which runs `enter` there (callplan.home)."""
    if home.hand_over(segment, objects, "conference", room.id):
        return
    enter(segment, objects, room)


def enter(segment, objects, room) -> None:
    """The room's own actions, on the switch that holds the room."""
    segment.action("answer")
    if room.max_members:
        segment.action("set", f"conference_max_members={int(room.max_members)}")
    if room.moderator_pin:
        segment.action("set", f"conference_moderator_pin={room.moderator_pin}")
    data = f"{conference_name(objects.tenant_id, room.id)}@{CONFERENCE_PROFILE}"
    if room.pin:
        # the prompts mod_conference asks with (the profile's pin-sound and bad-pin-sound name these
        # variables): the app's own rendering in the company's language, else a tone
        set_pin_prompts(segment, objects)
        data += f"+{room.pin}"
    segment.action("conference", data)
    segment.action("hangup", "NORMAL_CLEARING")


# Without a rendered prompt (no espeak-ng on the app's server): two rising beeps ask for the PIN, one low
# tone says it was wrong. tone_stream is FreeSWITCH's own, nothing to ship.
PIN_TONE = "tone_stream://%(150,80,660);%(150,0,880)"
BAD_PIN_TONE = "tone_stream://%(600,0,330)"


def set_pin_prompts(segment, objects) -> None:
    segment.action("set", f"cp_conference_pin_sound={objects.prompts.get('conference_pin', PIN_TONE)}")
    segment.action("set", f"cp_conference_bad_pin_sound={objects.prompts.get('conference_bad_pin', BAD_PIN_TONE)}")


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
