"""announcement: plays an uploaded audio file to the caller, then the call goes on."""

from __future__ import annotations

from typing import Literal

from callplan.model import StepBase

TYPE = "announcement"
RINGS = False
TERMINAL = False


class Step(StepBase):
    type: Literal["announcement"]
    audio: int  # an audio file's id


def compile(step: Step, segment, compilation) -> bool:
    segment.action("answer")  # playing needs media; answering first also starts billing, as callers expect
    segment.action("playback", compilation.objects.audio_path(step.audio))
    return False


def simulate(step: Step, simulation) -> bool:
    return False


def references(step: Step):
    yield "/audio", "audio", step.audio
