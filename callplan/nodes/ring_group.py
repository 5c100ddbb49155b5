"""ring_group: rings a group's members by its strategy; answered ends the journey, otherwise the group's
"forward after waiting" destination is tried, then the call goes on with the next step.

Strategies (seed 001 6.7.3): simultaneous rings all; fixed_order one after the other from the top;
circular likewise but starting after the member who took the group's last call; uniform starts with the
member idle longest; memory_hunt rings one more member each round. No member rings past the group's total ring time
(total_timeout_s): members and rounds whose turn would come later are left out. Circular and uniform need to know
who answered before: the bridge keeps that (ring_group_state, updated from real call outcomes), so the
order survives restarts. It changes with every answered call, so the dialplan the app serves leaves the
order open (a `Rotation`, when the compilation asks for `rotation_at_fetch`) and puts it in when
FreeSWITCH fetches it, from the state as it is then; a compiled dialplan never goes stale because
someone answered. Without `rotation_at_fetch` (the simulator, previews, tests) the snapshot's
`last_answered` and `idle_since` decide it at once, through the same `order()`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping, Optional

from callplan import destinations
from callplan.destinations import leg, render_leg
from callplan.outbound import company_caller_id
from callplan.model import StepBase
from callplan.xml import literal

TYPE = "ring_group"
RINGS = True
TERMINAL = False
ROTATING = frozenset({"circular", "uniform"})  # strategies whose order depends on who answered before


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


def order(items: list, keys: list[str], strategy: str, last_answered: Optional[int],
          idle_since: Mapping[str, float]) -> list:
    """`items` (one per member, in the group's order; `keys` their member keys) in the order a call rings
    them: circular starts after the member who took the last call, uniform with the one idle longest."""
    if strategy == "circular" and items and last_answered is not None:
        start = (last_answered + 1) % len(items)
        return items[start:] + items[:start]
    if strategy == "uniform":
        # longest idle first; members never seen are the most idle of all (a stable sort: ties keep order)
        ranked = sorted(range(len(items)), key=lambda index: idle_since.get(keys[index], float("-inf")))
        return [items[index] for index in ranked]
    return list(items)


def ordered_members(group, objects) -> list[dict]:
    members = list(group.members)
    return order(members, [member_key(m) for m in members], group.strategy, objects.last_answered.get(group.id),
                 objects.idle_since)


# What a dial string's {variables} block cannot hold in a value (its separator, brackets, quotes, which
# also end a SIP display name) is shown as the look-alike character.
_SHOWN_NAME = str.maketrans({",": "\u201a", "'": "\u2019", '"': "\u201d", "[": "(", "]": ")"})


def shown_name(group) -> str:
    """The name the ringing phones show for a call to the group (its display name, seed 001 6.7: members
    see the call is for the group), as a dial string carries it; empty: the caller's own name."""
    # ":_:" would split the bridge into enterprise originates
    return literal(group.display_name or "").translate(_SHOWN_NAME).replace(":_:", ": :").strip()


def _prefix(group) -> str:
    """Variables of every leg the group rings: busy_tone ends the group on a member's busy, and the
    group's display name is the caller ID name the phones show (the number stays the caller's)."""
    variables = ["fail_on_single_reject=USER_BUSY"] if group.busy_members == "busy_tone" else []
    name = shown_name(group)
    if name:
        variables.append(f"origination_caller_id_name={name}")
    return "{" + ",".join(variables) + "}" if variables else ""


def within(legs: list[tuple[str, int]], total: int) -> list[tuple[str, int]]:
    """Members rung one after the other (fixed order, circular, uniform), as (target, seconds): those whose
    turn starts within the group's total ring time, the last cut short so the group stops ringing then.
    (A busy or unregistered member takes no time, so the group may reach further members than this
    assumes; it never rings longer.)"""
    kept, left = [], total
    for target, seconds in legs:
        if left <= 0:
            break
        kept.append((target, min(seconds, left)))
        left -= seconds
    return kept


def hunt_rounds(legs: list[tuple[str, int]], total: int) -> list[list[tuple[str, int]]]:
    """Memory hunt: round n rings the first n members at once, each for its own ring time (a round lasts as
    long as its longest); rounds that would start after the total ring time are left out, the last one cut
    short."""
    rounds, left = [], total
    for count in range(1, len(legs) + 1):
        if left <= 0:
            break
        members = legs[:count]
        rounds.append([(target, min(seconds, left)) for target, seconds in members])
        left -= max(seconds for _, seconds in members)
    return rounds


def _legs(group, objects) -> list[Optional[tuple[str, int]]]:
    """Each member's bridge target and ring time, in the group's order (None: it rings nothing, a deleted user)."""
    legs = []
    for member in group.members:
        target = member_target(member, objects)
        legs.append((target, member.get("ring_time_s") or group.member_ring_time_s) if target else None)
    return legs


@dataclass(frozen=True)
class Rotation:
    """A rotating group's bridge with its order left open: every member's target and ring time, in the
    group's own order; `dial_string` puts them in the order the group's state gives at the moment of
    asking, and keeps to the group's total ring time in that order."""

    group: int
    strategy: str
    prefix: str
    keys: tuple[str, ...]  # member keys, in the group's order
    legs: tuple[Optional[tuple[str, int]], ...]  # each member's (target, seconds); None: it rings nothing
    total_s: int = 60
    shown: Optional[str] = None  # the company's caller ID on legs out through the gateway

    def dial_string(self, last_answered: Optional[int], idle_since: Mapping[str, float]) -> str:
        ordered = [leg for leg in order(list(self.legs), list(self.keys), self.strategy, last_answered, idle_since) if leg]
        legs = within(ordered, self.total_s)
        return self.prefix + "|".join(render_leg(target, seconds, self.shown) for target, seconds in legs) if legs else ""

    @property
    def rings(self) -> bool:
        return any(self.legs)


def rotation(group, objects) -> Rotation:
    return Rotation(group.id, group.strategy, _prefix(group), tuple(member_key(m) for m in group.members),
                    tuple(_legs(group, objects)), group.total_timeout_s, company_caller_id(objects))


def dial_string(group, objects) -> str:
    """The bridge's data: the members in the strategy's order and rounds, none ringing past the group's
    total ring time."""
    if group.strategy in ROTATING:
        return rotation(group, objects).dial_string(objects.last_answered.get(group.id), objects.idle_since)
    legs = [item for item in _legs(group, objects) if item]
    if not legs:
        return ""
    prefix = _prefix(group)
    if group.strategy == "simultaneous":
        return prefix + ",".join(leg(t, min(s, group.total_timeout_s), objects) for t, s in legs)
    if group.strategy == "memory_hunt":
        rounds = hunt_rounds(legs, group.total_timeout_s)
        return prefix + "|".join(",".join(leg(t, s, objects) for t, s in members) for members in rounds)
    return prefix + "|".join(leg(t, s, objects) for t, s in within(legs, group.total_timeout_s))  # fixed_order


def compile(step: Step, segment, compilation) -> bool:
    group = compilation.objects.ring_groups.get(step.group)
    if group is None:
        return False
    if group.strategy in ROTATING and compilation.rotation_at_fetch:
        turn = rotation(group, compilation.objects)
        if turn.rings:
            segment.action("bridge", turn)
    else:
        memo = compilation.memo
        key = ("ring_group", group.id)
        target = memo.get(key)
        if target is None:
            target = memo[key] = dial_string(group, compilation.objects)
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
