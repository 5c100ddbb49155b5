"""record: "record from here": everything the caller says and hears after this step is recorded
(record_session on the caller's leg; callplan/recording.py says where the file goes). With `tell_caller`
the caller first hears the company's recording announcement, when it has one. The call goes on."""

from __future__ import annotations

from typing import Literal

from callplan import recording
from callplan.model import StepBase

TYPE = "record"
RINGS = False
TERMINAL = False


class Step(StepBase):
    type: Literal["record"]
    tell_caller: bool = True  # play the company's recording announcement first (company settings), if it has one


def compile(step: Step, segment, compilation) -> bool:
    objects = compilation.objects
    # recording needs media: answered, as for an announcement (record_session would otherwise send early
    # media by itself); the announcement comes before the recording starts
    segment.action("answer")
    announcement = recording.announcement(objects) if step.tell_caller else None
    if announcement:
        segment.action("playback", announcement)
    segment.action("record_session", recording.file_path(objects.tenant_id, "step"))
    return False


def simulate(step: Step, simulation) -> bool:
    return False


def references(step: Step):
    return ()
