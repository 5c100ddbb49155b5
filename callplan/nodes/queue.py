"""queue: puts the caller in a mod_callcenter queue; answered by an agent ends the journey, and after the
maximum wait the callcenter application returns and the call goes on with the next step.

mod_callcenter reads the maximum wait from the queue's own configuration (max-wait-time), not from the
channel; a step that sets its own max_wait_s therefore uses a variant of the queue, "q<id>w<seconds>",
which the callcenter configuration (served by the app) defines with the same agents and tiers.

Called on the queue itself (its extension, or a number routed straight to it) there is no next step:
the call goes to the queue's `after_wait` destination instead (`compile_direct`), or is hung up."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from callplan import destinations, home, recording
from callplan.model import StepBase

TYPE = "queue"
RINGS = True
TERMINAL = False


class Step(StepBase):
    type: Literal["queue"]
    queue: int
    max_wait_s: Optional[int] = Field(default=None, ge=10, le=7200)


def queue_name(step: Step, objects) -> str | None:
    queue = objects.queues.get(step.queue)
    if queue is None:
        return None
    if step.max_wait_s is not None and step.max_wait_s != queue.max_wait_s:
        return f"q{queue.id}w{step.max_wait_s}@{objects.domain}"
    return f"q{queue.id}@{objects.domain}"


def hold_music(queue_id: int, objects) -> str | None:
    """The queue's own music on hold as FreeSWITCH plays it, or None (then the company's applies)."""
    queue = objects.queues.get(queue_id)
    audio_id = queue.music_on_hold_audio_id if queue is not None else None
    return objects.audio_path(audio_id) if audio_id is not None and audio_id in objects.audio else None


def compile(step: Step, segment, compilation) -> bool:
    name = queue_name(step, compilation.objects)
    if name is None:
        return False
    segment.action("answer")
    queue = compilation.objects.queues[step.queue]
    if queue.record_calls:
        # recorded once an agent takes the call (callcenter.conf's record-template); the caller is told first
        announcement = recording.announcement(compilation.objects)
        if announcement:
            segment.action("playback", announcement)
    music = hold_music(step.queue, compilation.objects)
    if music:
        # An agent who puts the caller on hold plays the queue's music: FreeSWITCH plays the holding leg's
        # temp_hold_music before its hold_music (the company's, from the directory), and mod_callcenter
        # gives the agent's leg the caller's variables named in cc_export_vars. Unset once the queue is
        # done: the caller's later steps hold with the company's music again.
        segment.action("set", f"temp_hold_music={music}")
        segment.action("set", "cc_export_vars=temp_hold_music")
    segment.action("callcenter", name)
    if music:
        segment.action("unset", "temp_hold_music")
    return False


def compile_direct(queue_id: int, segment, compilation, *, bridge_set: bool = False) -> None:
    """The queue called on its own: after the longest wait, its after_wait destination; else hung up.
    `bridge_set`: the segment already set continue_on_fail and hangup_after_bridge. With a home switch
    the queue lives there: the call goes to the queue's home extension (callplan.home, `direct_here`)."""
    if home.hand_over(segment, compilation.objects, "queue", queue_id):
        return
    direct_here(queue_id, segment, compilation, bridge_set=bridge_set)


def direct_here(queue_id: int, segment, compilation, *, bridge_set: bool = False) -> None:
    """compile_direct's own actions, on the switch that holds the queue."""
    queue = compilation.objects.queues.get(queue_id)
    after = queue.after_wait if queue is not None else None
    if after and not bridge_set:
        segment.action("set", "continue_on_fail=true")
        segment.action("set", "hangup_after_bridge=true")
    compile(Step(id=f"q{queue_id}", type="queue", queue=queue_id), segment, compilation)
    if not (after and destinations.emit(after, segment, compilation)):
        segment.action("hangup", "NORMAL_CLEARING")


def simulate(step: Step, simulation) -> bool:
    return queue_name(step, simulation.objects) is not None and simulation.answered(step)


def references(step: Step):
    yield "/queue", "queue", step.queue
