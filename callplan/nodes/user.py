"""user: rings one user's phones for a while; answered ends the journey, otherwise the call goes on.

With follow_forwarding the user's own settings apply as on a direct call: DND skips ringing, an
unconditional forwarding rings its target instead, the mobile of "Anywhere" rings along, and when the
user does not answer (busy, no answer, no phone registered) the forwarding for that case rings next."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from callplan.destinations import bridge_string, ring_target as dial_string
from callplan.model import StepBase

TYPE = "user"
RINGS = True
TERMINAL = False


class Step(StepBase):
    type: Literal["user"]
    user: int
    timeout_s: int = Field(default=20, ge=5, le=600)
    follow_forwarding: bool = True


def legs(step: Step, objects) -> list[tuple[list[str], int]]:
    """What to ring, round by round, each round's targets at once with its timeout: the user (with
    Anywhere), then the forwarding."""
    user = objects.users.get(step.user)
    if user is None:
        return []
    own = f"user/{user.extension}@{objects.domain}"
    if not step.follow_forwarding:
        return [([own], step.timeout_s)]
    forwarding = user.forwarding or {}

    def target(kind: str) -> str | None:
        rule = forwarding.get(kind) or {}
        return dial_string(rule.get("to"), objects) if rule.get("enabled") else None

    always = target("always")
    if always:
        return [([always], step.timeout_s)]
    result = []
    if not user.dnd:
        anywhere = user.anywhere or {}
        ring = [own]
        if anywhere.get("enabled") and anywhere.get("number"):
            ring.append(f"sofia/gateway/{objects.gateway}/{anywhere['number']}")  # both at once
        no_answer = forwarding.get("no_answer") or {}
        timeout = int(no_answer.get("after_s", step.timeout_s)) if no_answer.get("enabled") else step.timeout_s
        result.append((ring, timeout))
    # One fallback leg: the no-answer target if set, else busy, else unregistered (FreeSWITCH's failover
    # tries it whatever made the first leg fail).
    fallback = target("no_answer") or target("busy") or target("unregistered")
    if fallback:
        result.append(([fallback], step.timeout_s))
    return result


def compile(step: Step, segment, compilation) -> bool:
    memo = compilation.memo
    key = ("user", step.user, step.timeout_s, step.follow_forwarding)
    if key in memo:
        bridge = memo[key]
    else:
        ringing = legs(step, compilation.objects)
        # [leg_timeout=N] per leg; "|" tries the next round when one fails.
        bridge = memo[key] = bridge_string(ringing, compilation.objects) if ringing else None
    if bridge is not None:
        segment.action("bridge", bridge)
    return False


def simulate(step: Step, simulation) -> bool:
    return bool(legs(step, simulation.objects)) and simulation.answered(step)


def references(step: Step):
    yield "/user", "user", step.user
