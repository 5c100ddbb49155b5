"""Per-step counts of a plan version: how many calls reached each step, how many ended there and how,
and the busiest path, from the paths calls took (pure: web.domain.step_counts reads the paths).

A path is what a call record stores (web.domain.call_records.stored_steps): the ids of the plan's own
steps in the order the call took them, and a step of another plan, when the call was transferred into
one, as its whole mark "<plan>:<version>:<step>" (step ids never hold a colon).

- reached: the calls whose path holds the step (once per call, however often an IVR repeated);
- ended: the calls whose last step of this plan it was, split by how they ended there:
  answered (a person took the call: the ringing step it ended on answered), voicemail (the step is a
  voicemail box), transferred (the call went on into another plan, or ended on a transfer step and
  no-one answered), hung_up (everything else: the caller gave up, a hang-up step, a branch that ran out).
- the busiest path: the sequence of steps the most calls took from start to end, exactly. Not a path
  built greedily from the busiest step-to-step moves: that can join moves no single call made one after
  the other (70% go left at a time condition, and of the calls that reach the menu after it, most came
  the other way), while the most frequent whole path is a route that real calls took, and its count is
  how many."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Optional

OUTCOMES = ("answered", "voicemail", "transferred", "hung_up")


@dataclass
class StepCount:
    step: str
    type: str
    reached: int = 0
    ended: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))


@dataclass
class Counts:
    calls: int  # calls that entered the version in the period
    steps: list[StepCount]  # every step of the version, in document order (plan first, then diversions)
    busiest: Optional[tuple[list[str], int]]  # (step ids, calls), None without calls taking a step
    unknown_steps: int = 0  # calls that took a step the version's document does not have (never, unless edited by hand)


def document_steps(document: dict) -> list[tuple[str, str]]:
    """(id, type) of every step of a plan document, depth first: the plan's steps, then the diversions'."""
    found: list[tuple[str, str]] = []

    def visit(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("id"), str) and isinstance(node.get("type"), str):
                found.append((node["id"], node["type"]))
            for key, value in node.items():
                if isinstance(value, (dict, list)):
                    visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(document.get("steps") or [])
    for diversion in document.get("diversions") or []:
        visit(diversion.get("steps") if isinstance(diversion, dict) else None)
    return found


def own_steps(path: Iterable[str]) -> list[str]:
    return [step for step in path if ":" not in step]


def ended_how(step_type: str, answered: bool, left_plan: bool) -> str:
    if answered:
        return "answered"
    if left_plan or step_type == "transfer":
        return "transferred"
    if step_type == "voicemail":
        return "voicemail"
    return "hung_up"


def count(steps: list[tuple[str, str]], paths: Iterable[tuple[list[str], bool, int]]) -> Counts:
    """Counts for the version whose steps are `steps`, from (path, answered by a person, calls) rows."""
    by_id = {step: StepCount(step, kind) for step, kind in steps}
    calls = 0
    unknown = 0
    per_path: Counter = Counter()
    for path, answered, n in paths:
        if n <= 0:
            continue
        calls += n
        path = [str(step) for step in path]
        own = own_steps(path)
        if not own:
            continue
        per_path[tuple(own)] += n
        for step in dict.fromkeys(own):
            if step in by_id:
                by_id[step].reached += n
            else:
                unknown += n
        last = own[-1]
        at = by_id.get(last)
        if at is None:
            continue
        left_plan = path[-1] != last  # what follows its last step of this plan is another plan's
        at.ended += n
        at.outcomes[ended_how(at.type, answered, left_plan)] += n
    busiest = None
    if per_path:
        # most calls; of equal ones the shorter, then the first in text order: the same answer every time
        path, n = min(per_path.items(), key=lambda item: (-item[1], len(item[0]), item[0]))
        busiest = (list(path), n)
    return Counts(calls=calls, steps=list(by_id.values()), busiest=busiest, unknown_steps=unknown)
