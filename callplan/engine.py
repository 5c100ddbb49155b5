"""The machinery every step type plugs into: compiling a plan to dialplan segments, and simulating it.

A plan compiles to one FreeSWITCH context document. Its steps run in order inside an extension
("segment"); a step that rings someone bridges with continue_on_fail, so an unanswered call simply goes
on with the next action, and hangup_after_bridge ends the call once an answered bridge is over. Time
conditions are decided when the dialplan is fetched (in the tenant's zone, by callplan.schedules, the
same code the simulator uses), so only the branch in force is emitted; `valid_until` says when that
decision next changes, which is how long the compiled document may be cached. An IVR is the only
branch decided during the call: its keys, no-input and invalid lists become segments of their own that
the menu transfers to. Each step that runs pushes "<plan>:<version>:<step>" onto the channel variable
cp_path, so the bridge (and the CDR) can tell the path a call took.

With a home switch (objects.home: several FreeSWITCH, callplan.home), a queue step splits its segment:
the step and everything the call would do after it (the rest of its list, and of the lists around it
when it sits in a time condition's branch) go into a segment of their own that runs only on the home
switch; the call is transferred there, and on any other switch that segment hands the call over to the
home switch (callplan.home.plan_extension), which goes on with the plan from the queue step. So every
caller of a queue waits in the one queue of the switch that holds it. Without a home switch nothing
changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from callplan.objects import TenantObjects
from callplan.xml import Document, context_document, dialplan, exact

_HOME_STEPS = frozenset({"queue"})  # step types that run on the home switch when there is one (callplan.home)


@dataclass(slots=True)
class Segment:
    name: str  # the destination number that reaches it
    match: str  # the regular expression on destination_number
    # (application, data); data is a string, or with rotation_at_fetch a ring_group.Rotation
    actions: list[tuple[str, object]] = field(default_factory=list)

    def action(self, application: str, data: object = "") -> None:
        self.actions.append((application, data))


@dataclass
class ConditionalSegment(Segment):
    """A segment with more conditions after its number (field, expression, actions, anti_actions)."""

    then: list = field(default_factory=list)


@dataclass
class Compilation:
    plan_id: int
    version: int
    objects: TenantObjects
    at: datetime
    segments: list[Segment] = field(default_factory=list)
    valid_until: Optional[datetime] = None
    marks: bool = True  # off for the tenant's base dialplan, which is no plan
    # Leave the order of rotating ring groups open (a ring_group.Rotation in place of the bridge's data),
    # for whoever serves the document to fill in from the groups' state when FreeSWITCH fetches it.
    rotation_at_fetch: bool = False
    decisions: dict = field(default_factory=dict)  # (schedule, holidays) -> open?, decided once per document
    # (schedule, holidays) -> (open?, until when) already decided for the same objects and instant, shared
    # by the compilations of one build (a company's plans mostly share a schedule or two); filled in here
    known: Optional[dict] = None
    # what step modules worked out once per document for the same objects (a group's bridge, a user's
    # legs, a menu's key actions): a plan of a thousand steps rings the same few objects again and again
    memo: dict = field(default_factory=dict)
    # with a home switch, while steps are emitted: the steps that follow each enclosing list's current step
    # ((list, index) pairs, outermost first), which a queue step's continuation must carry on with
    _rests: list = field(default_factory=list)
    _at_home: bool = False  # emitting a continuation, which runs on the home switch already: no second split

    # -- helpers for step modules -----------------------------------------------------------------

    def __post_init__(self):
        # made once: a plan of a thousand steps names some thousand segments and marks every step
        self._name_prefix = f"cp{self.plan_id}_"
        self._mark_prefix = f"cp_path={self.plan_id}:{self.version}:"

    def segment_name(self, *parts: str) -> str:
        return self._name_prefix + "_".join(parts)

    def new_segment(self, *parts: str) -> Segment:
        name = self._name_prefix + "_".join(parts)
        # our own names: step ids are [A-Za-z0-9_-] and IVR keys add * and #, the only PCRE characters
        segment = Segment(name, "^(" + (name.replace("*", "\\*") if "*" in name else name) + ")$")
        self.segments.append(segment)
        return segment

    def transfer(self, segment: Segment, target: Segment) -> None:
        segment.actions.append(("transfer", f"{target.name} XML {self.objects.domain}"))

    def mark(self, segment: Segment, step) -> None:
        if self.marks:
            segment.actions.append(("push", self._mark_prefix + step.id))

    def decision_holds_until(self, moment: Optional[datetime]) -> None:
        if moment is not None and (self.valid_until is None or moment < self.valid_until):
            self.valid_until = moment

    def emit(self, segment: Segment, steps: list) -> bool:
        """Emit `steps` into `segment`; True when the call cannot go on after them."""
        by_type = _BY_TYPE or _step_modules()
        if self.marks and not self._at_home and self.objects.home is not None:
            return self._emit_with_home(segment, steps, by_type)
        actions = segment.actions
        for step in steps:
            if self.marks:
                actions.append(("push", self._mark_prefix + step.id))
            if by_type[step.type].compile(step, segment, self):
                return True
        return False

    def _emit_with_home(self, segment: Segment, steps: list, by_type: dict) -> bool:
        """emit() with a home switch, for a list that holds a queue step: up to it as usual, the queue step
        and all after it in a segment of its own that runs on the home switch (the module docstring)."""
        from callplan import home

        actions, rests = segment.actions, self._rests
        for index, step in enumerate(steps):
            if step.type in _HOME_STEPS:
                here = Segment("", "")
                self._at_home = True
                try:
                    ended = self.emit(here, steps[index:])
                    for outer, start in reversed(rests):  # then what the enclosing lists do after it
                        if ended:
                            break
                        ended = self.emit(here, outer[start:])
                finally:
                    self._at_home = False
                if not ended:
                    here.action("hangup", "NORMAL_CLEARING")
                name = home.continuation(self.plan_id, step.id)
                continuation = ConditionalSegment(name, exact(name))
                continuation.then = home.plan_extension(self.objects, self.plan_id, self.version, step.id, here.actions)
                self.segments.append(continuation)
                actions.append(("transfer", f"{name} XML {self.objects.domain}"))
                return True
            actions.append(("push", self._mark_prefix + step.id))
            rests.append((steps, index + 1))
            try:
                if by_type[step.type].compile(step, segment, self):
                    return True
            finally:
                rests.pop()
        return False

    def finish(self, segment: Segment, steps: list) -> None:
        """Emit a whole branch; a branch that runs out of steps hangs up."""
        rests, self._rests = self._rests, []  # a branch of its own (an IVR key's): nothing follows it
        try:
            if not self.emit(segment, steps):
                segment.action("hangup", "NORMAL_CLEARING")
        finally:
            self._rests = rests

    # -- the document -------------------------------------------------------------------------

    def document(self) -> str:
        description = f"call plan {self.plan_id} version {self.version}"
        if any(getattr(s, "then", None) for s in self.segments):  # a home switch's continuations
            return context_document(self.objects.domain, self.extensions(), description=description)
        return dialplan(self.objects.domain, ((s.name, s.match, s.actions) for s in self.segments),
                        description=description)

    def extensions(self) -> list[tuple[str, list]]:
        """The segments as (name, [(field, expression, actions, anti_actions), ...]) extensions."""
        return [(s.name, [("destination_number", s.match, s.actions, []), *getattr(s, "then", ())])
                for s in self.segments]

    def document_tree(self) -> str:
        """The same document built as an ElementTree (what `document()` must equal; tests compare)."""
        document = Document("dialplan", description=f"call plan {self.plan_id} version {self.version}")
        context = document.child(document.section, "context", name=self.objects.domain)
        for name, conditions in self.extensions():
            extension = document.child(context, "extension", name=name)
            for field_, expression, actions, anti_actions, *options in conditions:
                condition = document.child(extension, "condition", field=field_, expression=expression,
                                           **({"break": options[0]} if options else {}))
                for tag, items in (("action", actions), ("anti-action", anti_actions)):
                    for application, data in items:
                        document.child(condition, tag, application=application, data=data)
        return document.to_string()


_BY_TYPE: dict = {}


def _step_modules() -> dict:
    """callplan.nodes.BY_TYPE, imported on first use (the step modules import this package's parts)."""
    from callplan.nodes import BY_TYPE

    _BY_TYPE.update(BY_TYPE)
    return _BY_TYPE


@dataclass
class Simulation:
    """One call walked through a plan: the keys the caller presses and the steps that answer are given."""

    objects: TenantObjects
    at: datetime
    plan_id: int = 0
    keys: list[str] = field(default_factory=list)  # pressed in order, one per IVR prompt; "" is no input
    answers: set[str] = field(default_factory=set)  # ids of ringing steps that are answered
    caller_name: str = ""
    path: list[str] = field(default_factory=list)
    outcome: str = ""
    max_steps: int = 1000  # a safety net; validation refuses loops before this matters

    def run(self, steps: list) -> bool:
        """Walk `steps`; True when the call ended inside them."""
        from callplan.nodes import module_for

        for step in steps:
            if len(self.path) >= self.max_steps:
                self.outcome = "stopped:too_many_steps"
                return True
            self.path.append(step.id)
            if module_for(step).simulate(step, self):
                return True
        return False

    def finish(self, steps: list) -> None:
        if not self.run(steps):
            self.outcome = "hung_up:NORMAL_CLEARING"

    def answered(self, step) -> bool:
        if step.id in self.answers:
            self.outcome = f"answered:{step.id}"
            return True
        return False

    def next_key(self) -> str:
        return self.keys.pop(0) if self.keys else ""
