"""voicemail: the caller leaves a message in a company or personal box (mod_voicemail), or, with
mode "announce_only" or in a box set to announce only, hears the greeting and the call ends. Nothing
runs after it."""

from __future__ import annotations

from typing import Literal, Optional

from callplan.destinations import box_language, box_number as number_of, leave_message
from callplan.model import StepBase

TYPE = "voicemail"
RINGS = False
TERMINAL = True


class Step(StepBase):
    type: Literal["voicemail"]
    box: int
    greeting: Optional[int] = None  # an audio file played instead of the box's own greeting
    mode: Literal["message", "announce_only"] = "message"


def box_number(step: Step, objects) -> str | None:
    """mod_voicemail finds a box as a directory user: the company box's extension, or its user's."""
    box = objects.voicemail_boxes.get(step.box)
    return None if box is None else number_of(box, objects)


def announces(step: Step, box) -> bool:
    """The greeting only, no message: the step says so, or the box does (a company box set to announce,
    wherever the call comes from: its extension, a number, the night switch, a plan)."""
    return step.mode == "announce_only" or bool(box is not None and box.announce_only)


def compile(step: Step, segment, compilation) -> bool:
    objects = compilation.objects
    number = box_number(step, objects)
    box = objects.voicemail_boxes.get(step.box)
    greeting = step.greeting if step.greeting is not None else (box.greeting_audio_id if box else None)
    segment.action("answer")
    if announces(step, box):
        if greeting is not None:
            segment.action("playback", objects.audio_path(greeting))
        segment.action("hangup", "NORMAL_CLEARING")
        return True
    if greeting is not None:
        segment.action("set", f"voicemail_greeting_path={objects.audio_path(greeting)}")
    if number is None:
        segment.action("hangup", "UNALLOCATED_NUMBER")
        return True
    leave_message(segment, objects, number, box_language(box, objects), box, greeting)
    return True


def simulate(step: Step, simulation) -> bool:
    if announces(step, simulation.objects.voicemail_boxes.get(step.box)):
        simulation.outcome = "announced"
    else:
        number = box_number(step, simulation.objects)
        simulation.outcome = f"voicemail:{number}" if number else "hung_up:UNALLOCATED_NUMBER"
    return True


def references(step: Step):
    yield "/box", "voicemail_box", step.box
    if step.greeting is not None:
        yield "/greeting", "audio", step.greeting
