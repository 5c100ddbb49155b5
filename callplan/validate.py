"""Validating a call plan against the tenant's objects: everything that is wrong, all at once.

Pydantic has already checked each field's shape; this looks at the plan as a whole: references to
objects that do not exist, steps that can never run, required branches left empty, step ids used twice,
plans that transfer to each other in a loop, numbers that already lead somewhere else, trees too deep or
too large to serve. Errors stop a plan from being published; warnings are shown but allowed.

One walk over the tree with precomputed lookups, so the cost is linear in the number of steps: the
editor validates on every change and plans may hold thousands of steps."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Optional

from callplan import destinations, schedules
from callplan.model import CallPlan
from callplan.nodes import BY_TYPE, ivr, ring_group, time_condition, transfer
from callplan.objects import TenantObjects

MAX_DEPTH = 10  # nesting levels: a top-level step is level 1
MAX_STEPS = 2000
# Below this level (far past MAX_DEPTH, already an error) lists are not walked: pydantic accepts ~250
# levels and three Python frames a level would come close to the interpreter's recursion limit.
WALK_DEPTH = 4 * MAX_DEPTH

# reference kind (from each node module's references()) -> (TenantObjects table, what a person calls it)
KINDS = {
    "user": ("users", "user"),
    "ring_group": ("ring_groups", "ring group"),
    "queue": ("queues", "queue"),
    "ivr_menu": ("ivr_menus", "IVR menu"),
    "voicemail_box": ("voicemail_boxes", "voicemail box"),
    "conference_room": ("conference_rooms", "conference room"),
    "page_group": ("page_groups", "page group"),
    "schedule": ("schedules", "schedule"),
    "holiday_schedule": ("holidays", "holiday schedule"),
    "audio": ("audio", "audio file"),
    "plan": ("plans", "call plan"),
    "extension": ("extensions", "internal number"),
}
STEP_NAMES = {"ivr": "IVR menu", "hang_up": "hang up", "email": "e-mail"}
PLAN_OWNER = "call_plan"  # objects.extensions owner kind of a plan's number: "call_plan:<id>"


@dataclass(frozen=True, slots=True)
class Problem:
    step_id: Optional[str]
    pointer: str  # JSON pointer into the plan's JSON
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"step_id": self.step_id, "pointer": self.pointer, "code": self.code, "message": self.message}


@dataclass(slots=True)
class Report:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {"ok": self.ok, "errors": [p.as_dict() for p in self.errors], "warnings": [p.as_dict() for p in self.warnings]}


def validate(plan: CallPlan, objects: TenantObjects, *, plan_id: int | None = None) -> Report:
    """Every problem of `plan` as the plan with id `plan_id` (None: a plan not saved yet)."""
    return _Validator(plan, objects, plan_id).run()


# A list "ends" the call when one of its steps does: HARD by the plan's own shape (hang up, IVR, ...),
# SOFT because a tenant object takes the call on (a ring group forwarding unanswered calls to a queue).
HARD, SOFT = 2, 1


def _step_name(step) -> str:
    return f"“{step.id}” ({STEP_NAMES.get(step.type, step.type.replace('_', ' '))})"


def _named(info, kind_label: str, ident) -> str:
    name = getattr(info, "name", "") if info is not None else ""
    return f"{kind_label} “{name}”" if name else f"{kind_label} {ident}"


def _plan_owner(owner: Optional[str]) -> Optional[int]:
    """The plan id behind an internal number's owner kind "call_plan:<id>"; None for anything else."""
    if owner and owner.startswith(PLAN_OWNER + ":"):
        try:
            return int(owner[len(PLAN_OWNER) + 1:])
        except ValueError:
            return None
    return None


def _forward_ends(group, objects) -> bool:
    """Does the group's "forward after waiting" take the call away for good? (as destinations.emit)"""
    return destinations.ends(group.forward_after, objects)


class _Validator:
    def __init__(self, plan: CallPlan, objects: TenantObjects, plan_id: Optional[int]):
        self.plan, self.objects, self.plan_id = plan, objects, plan_id
        self.report = Report()
        self.tables = {kind: getattr(objects, table) for kind, (table, _) in KINDS.items()}
        self.seen_ids: dict[str, str] = {}
        self.count = 0
        self.plan_transfers: list[tuple[str, str, int]] = []  # (pointer, step id, target plan)
        self.schedule_lint: dict[int, list[dict]] = {}

    def error(self, step_id, pointer, code, message):
        self.report.errors.append(Problem(step_id, pointer, code, message))

    def warn(self, step_id, pointer, code, message):
        self.report.warnings.append(Problem(step_id, pointer, code, message))

    def run(self) -> Report:
        plan = self.plan
        self._diversions()
        self.walk(plan.steps, "/steps", 1, True)
        if self.count > MAX_STEPS:
            self.error(None, "", "too_many_steps",
                       f"The plan has {self.count} steps; at most {MAX_STEPS} are allowed. Split it into plans that transfer to each other.")
        if not plan.steps and not any(d.active for d in plan.diversions):
            self.warn(None, "/steps", "empty_plan", "The plan has no steps and no active diversion: every call is hung up at once.")
        self._cycles()
        self._numbers()
        for item in self.objects.skipped:
            if item.object_kept:
                self.warn(None, "", "company_value_invalid",
                          f"The company's stored {item.pointer.lstrip('/')} is no longer valid ({item.message}); calls go on "
                          "without it until it is corrected in the company settings.")
        return self.report

    # -- the tree ---------------------------------------------------------------------------------

    def _diversions(self) -> None:
        active_in: dict[str, int] = {}
        ids: set[str] = set()
        for index, diversion in enumerate(self.plan.diversions):
            pointer = f"/diversions/{index}"
            if diversion.id in ids:
                self.error(None, pointer + "/id", "duplicate_diversion_id", f"Another diversion already has the id “{diversion.id}”.")
            ids.add(diversion.id)
            if diversion.active:
                if diversion.category in active_in:
                    other = self.plan.diversions[active_in[diversion.category]]
                    self.error(None, pointer + "/active", "diversion_conflict",
                               f"Diversion “{other.name}” of category {diversion.category} is already on; only one diversion per category can be on.")
                else:
                    active_in[diversion.category] = index
            if not diversion.steps:
                self.error(None, pointer + "/steps", "empty_branch", f"Diversion “{diversion.name}” has no steps: give it at least one.")
            self.walk(diversion.steps, pointer + "/steps", 1, True)

    def walk(self, steps: list, prefix: str, depth: int, tail: bool) -> int:
        """Check a list of steps; returns HARD/SOFT when the call cannot go on after the list, else 0.

        `tail`: nothing runs after this list (the plan's, a diversion's, an IVR branch's, or a time
        condition's branch when the condition is itself last in such a list)."""
        ended, ender = 0, None
        if depth > WALK_DEPTH:
            return ended
        last = len(steps) - 1
        for index, step in enumerate(steps):
            pointer = f"{prefix}/{index}"
            if ended == HARD:
                self.error(step.id, pointer, "unreachable", f"This step can never run: step {_step_name(ender)} before it ends the call.")
            elif ended == SOFT:
                self.warn(step.id, pointer, "skipped",
                          f"This step never runs: step {_step_name(ender)} before it sends unanswered calls on by itself "
                          "(the ring group's “forward after waiting”).")
            ends = self.step(step, pointer, depth, tail and index == last)
            if ends > ended:
                ended, ender = ends, step
        return ended

    def step(self, step, pointer: str, depth: int, at_tail: bool) -> int:
        module = BY_TYPE[step.type]
        objects = self.objects
        self.count += 1
        if depth == MAX_DEPTH + 1:  # reported once, on the outermost step that is too deep
            self.error(step.id, pointer, "too_deep", f"This step is nested {depth} levels deep; at most {MAX_DEPTH} levels are allowed.")
        first = self.seen_ids.get(step.id)
        if first is None:
            self.seen_ids[step.id] = pointer
        else:
            self.error(step.id, pointer + "/id", "duplicate_step_id", f"Step id “{step.id}” is already used by the step at {first}; step ids must be unique in a plan.")
        self._references(step, module, pointer)

        ends = HARD if module.TERMINAL else 0
        kind = step.type
        if kind == time_condition.TYPE:
            return self._time_condition(step, pointer, depth, at_tail)
        if kind == ivr.TYPE:
            self._ivr(step, pointer)
        elif kind == transfer.TYPE:
            if transfer.is_terminal(step, objects):
                ends = HARD
            target = step.to.plan if step.to.plan is not None else _plan_owner(objects.extensions.get(step.to.extension or ""))
            if target is not None:
                suffix = "/to/plan" if step.to.plan is not None else "/to/extension"
                self.plan_transfers.append((pointer + suffix, step.id, target))
        elif kind == ring_group.TYPE:
            group = objects.ring_groups.get(step.group)
            if group is not None and _forward_ends(group, objects):
                ends = max(ends, SOFT)
        # Other branches than a time condition's (an IVR's keys) end with a hang-up when they run out
        # (Compilation.finish): nothing runs after them.
        for suffix, children in step.branches():
            self.walk(children, pointer + suffix, depth + 1, True)
        if module.RINGS and at_tail and not ends:
            self.warn(step.id, pointer, "no_fallback",
                      "Nobody catches an unanswered call after this step: add a step after it (voicemail, an announcement, another group), "
                      "or the call is hung up.")
        return ends

    def _references(self, step, module, pointer: str) -> None:
        for suffix, kind, ident in module.references(step):
            table = self.tables.get(kind)
            if table is None or ident in table:
                continue
            if kind == "plan" and ident == self.plan_id:
                continue  # this plan itself: a loop, reported by _cycles
            label = KINDS[kind][1]
            left_out = self.objects.skipped_object(kind, ident)
            if left_out is not None:
                self.error(step.id, pointer + suffix, "object_invalid",
                           f"The {_named(left_out, label, ident)} is left out of calls: its stored {left_out.pointer.lstrip('/')} "
                           f"is no longer valid ({left_out.message}). Correct it on its own page.")
                continue
            self.error(step.id, pointer + suffix, "unknown_reference",
                       f"The {label} {ident} does not exist (it may have been deleted): choose another.")

    def _time_condition(self, step, pointer: str, depth: int, at_tail: bool) -> int:
        if not step.then:
            self.error(step.id, pointer + "/then", "empty_branch", "The time condition has no steps for when the schedule is open: give it at least one.")
        self._schedule(step, pointer)
        then_ends = self.walk(step.then, pointer + "/then", depth + 1, at_tail)
        else_ends = self.walk(step.else_, pointer + "/else", depth + 1, at_tail)
        # Both branches ending makes the condition end the call ("if / else if / otherwise"); with an
        # empty `else` the call falls through when the schedule is closed.
        if step.then and step.else_ and then_ends and else_ends:
            return min(then_ends, else_ends)
        return 0

    def _schedule(self, step, pointer: str) -> None:
        weekly = self.objects.schedules.get(step.schedule)
        if weekly is None:
            return
        where = pointer + "/schedule"
        name = _named(weekly, "Schedule", weekly.id)
        if not weekly.periods:
            self.warn(step.id, where, "schedule_gap", f"{name} has no opening hours at all, so this condition always takes its “else” branch.")
            return
        found = self.schedule_lint.get(weekly.id)
        if found is None:
            found = self.schedule_lint[weekly.id] = schedules.lint(weekly.periods)
        for item in found:
            at = item["pointer"]
            place = f", period {int(at.rsplit('/', 1)[1]) + 1}," if at.startswith("/periods/") else ""
            self.warn(step.id, where, "schedule_gap", f"{name}{place} {item['message']}.")

    def _ivr(self, step, pointer: str) -> None:
        menu = self.objects.ivr_menus.get(step.menu)
        if menu is None:
            return  # reported as unknown_reference
        menu_actions = {key: action for key, action in (menu.keys or {}).items() if isinstance(action, dict) and action.get("action")}
        if not menu_actions and not any(ivr.own_steps(step, key) for key in step.keys):
            self.error(step.id, pointer + "/keys", "empty_branch",
                       f"No key does anything: IVR menu “{menu.name}” has no key actions and this step gives no key its own steps.")
        # A key with steps of its own and an action on the menu is no conflict: the plan's steps win, and the
        # canvas shows them in the key's branch, in place of the menu's action (one meaning, in one place).

    # -- across plans -----------------------------------------------------------------------------

    def _cycles(self) -> None:
        """A transfer to a plan that (through other plans' published transfers) comes back here."""
        if not self.plan_transfers:
            return
        me = self.plan_id
        plans = self.objects.plans
        # towards[p] = the plan p transfers to on a shortest way back to this plan (reverse BFS).
        towards: dict[int, int] = {}
        if me is not None:
            callers: dict[int, list[int]] = {}
            for pid, info in plans.items():
                if pid == me:
                    continue  # this plan's transfers are its steps, not its published version
                for target in info.transfers_to:
                    callers.setdefault(target, []).append(pid)
            queue = deque([me])
            while queue:
                node = queue.popleft()
                for caller in callers.get(node, ()):
                    if caller not in towards and caller != me:
                        towards[caller] = node
                        queue.append(caller)
        for pointer, step_id, target in self.plan_transfers:
            if me is not None and target == me:
                self.error(step_id, pointer, "transfer_cycle", "This step transfers the call to this same plan: calls would go round forever.")
            elif target in towards:
                path, node = [], target
                while node != me:
                    path.append(_named(plans.get(node), "plan", node))
                    node = towards[node]
                self.error(step_id, pointer, "transfer_cycle",
                           f"This step transfers to {path[0]}, which transfers back to this plan ({' → '.join(path)} → this plan): calls would go round forever.")

    def _numbers(self) -> None:
        me = self.plan_id
        owner_plan: dict[str, int] = {}
        for pid, info in self.objects.plans.items():
            if pid != me:
                for number in info.numbers:
                    owner_plan.setdefault(number, pid)
        own_numbers = set(self.objects.plans[me].numbers) if me in self.objects.plans else set()
        listed: set[str] = set()
        for index, number in enumerate(self.plan.numbers):
            pointer = f"/numbers/{index}"
            if number in listed:
                self.warn(None, pointer, "duplicate_number", f"{number} is listed twice.")
                continue
            listed.add(number)
            other = owner_plan.get(number)
            if other is not None:
                self.error(None, pointer, "number_taken", f"{number} already leads to {_named(self.objects.plans[other], 'plan', other)}.")
                continue
            owner = self.objects.extensions.get(number)
            if owner is None:
                continue
            owner_id = _plan_owner(owner)
            if owner_id is not None and owner_id == me:
                continue
            if owner == PLAN_OWNER and number in own_numbers:
                continue  # an owner kind without the id: this plan's number as published
            what = _named(self.objects.plans.get(owner_id), "plan", owner_id) if owner_id is not None else "a " + owner.replace("_", " ")
            self.error(None, pointer, "number_taken", f"{number} is already used by {what}.")
