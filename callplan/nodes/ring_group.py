"""ring_group: rings a group's members by its strategy; answered ends the journey, otherwise the group's
"forward after waiting" destination is tried, then the call goes on with the next step.

Strategies (seed 001 6.7.3): simultaneous rings all; fixed_order one after the other from the top;
circular likewise but starting after the member who took the group's last call; uniform starts with the
member idle longest; memory_hunt rings one more member each round. Circular and uniform need to know
who answered before: the bridge keeps that (ring_group_state, updated from real call outcomes) and the
snapshot carries it in (`last_answered`, `idle_since`), so the order survives restarts."""

from __future__ import annotations

from typing import Literal

from callplan import destinations
from callplan.destinations import leg
from callplan.model import StepBase

TYPE = "ring_group"
RINGS = True
TERMINAL = False


class Step(StepBase):
    type: Literal["ring_group"]
    group: int


def member_target(member: dict, objects) -> str | None:
    kind = member.get("type")
    if kind == "user":
        user = objects.users.get(member.get("id"))
        return f"user/{user.extension}@{objects.domain}" if user else None
    if kind == "device":
        device = objects.devices.get(member.get("id"))
        return f"user/{device.sip_username}@{objects.domain}" if device else None
    if kind == "external":
        return f"sofia/gateway/{objects.gateway}/{member['number']}"
    return None


def member_key(member: dict) -> str:
    return f"{member.get('type')}:{member.get('id') or member.get('number')}"


def ordered_members(group, objects) -> list[dict]:
    members = list(group.members)
    if group.strategy == "circular" and members:
        last = objects.last_answered.get(group.id)
        if last is not None:
            start = (last + 1) % len(members)
            members = members[start:] + members[:start]
    elif group.strategy == "uniform":
        # longest idle first; members never seen are the most idle of all
        members.sort(key=lambda m: objects.idle_since.get(member_key(m), float("-inf")))
    return members


def dial_string(group, objects) -> str:
    legs = [(member_target(m, objects), m.get("ring_time_s") or group.member_ring_time_s) for m in ordered_members(group, objects)]
    legs = [(target, seconds) for target, seconds in legs if target]
    if not legs:
        return ""
    prefix = "{fail_on_single_reject=USER_BUSY}" if group.busy_members == "busy_tone" else ""
    if group.strategy == "simultaneous":
        return prefix + ",".join(leg(t, min(s, group.total_timeout_s), objects) for t, s in legs)
    if group.strategy == "memory_hunt":
        rounds = [",".join(leg(t, s, objects) for t, s in legs[: n + 1]) for n in range(len(legs))]
        return prefix + "|".join(rounds)
    return prefix + "|".join(leg(t, s, objects) for t, s in legs)  # fixed_order, circular, uniform


def compile(step: Step, segment, compilation) -> bool:
    group = compilation.objects.ring_groups.get(step.group)
    if group is None:
        return False
    target = dial_string(group, compilation.objects)
    if target:
        segment.action("bridge", target)
    return destinations.emit(group.forward_after, segment, compilation)


def simulate(step: Step, simulation) -> bool:
    group = simulation.objects.ring_groups.get(step.group)
    if group is None:
        return False
    if dial_string(group, simulation.objects) and simulation.answered(step):
        return True
    return destinations.simulate(group.forward_after, simulation, step)


def references(step: Step):
    yield "/group", "ring_group", step.group
