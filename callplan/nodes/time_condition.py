"""time_condition: runs `then` inside the schedule (and off its holidays), else `else`; afterwards the
call goes on after the condition. Decided at fetch time in the tenant's zone (see callplan.engine)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from callplan import schedules
from callplan.model import StepBase

TYPE = "time_condition"
RINGS = False
TERMINAL = False


class Step(StepBase):
    type: Literal["time_condition"]
    schedule: int  # a weekly schedule's id
    holidays: Optional[int] = None  # a holiday schedule's id
    then: "Steps" = []
    else_: "Steps" = Field(default=[], alias="else")

    model_config = {**StepBase.model_config, "populate_by_name": True, "serialize_by_alias": True}

    def branches(self):
        return [("/then", self.then), ("/else", self.else_)]


def is_open(step: Step, objects, at) -> bool:
    weekly = objects.schedules.get(step.schedule)
    holidays = objects.holidays.get(step.holidays) if step.holidays is not None else None
    return schedules.is_open(weekly.periods if weekly else [], holidays.entries if holidays else None, at, objects.timezone)


def decide(key: tuple, objects, at) -> tuple[bool, object]:
    """(open?, until when that holds) for a (schedule, holidays) pair at `at`: what compile() decides, so
    a plan compiled earlier can be reused while every pair it decided still comes out the same."""
    weekly = objects.schedules.get(key[0])
    holidays = objects.holidays.get(key[1]) if key[1] is not None else None
    periods, entries = (weekly.periods if weekly else []), (holidays.entries if holidays else None)
    return (schedules.is_open(periods, entries, at, objects.timezone),
            schedules.next_transition(periods, entries, at, objects.timezone))


def decided(compilation, schedule: int, holidays) -> bool:
    """Is the (schedule, holidays) pair open at the compilation's instant: decided once per document (many
    conditions and menus share a schedule), and the document then holds only until that answer changes.
    Time conditions and IVR menus' out-of-hours variants both ask this, so the plan cache
    (web.xml_curl.dialplan.compiled_plan) sees every decision a document depends on."""
    key = (schedule, holidays)
    if key not in compilation.decisions:
        known = compilation.known
        found = known.get(key) if known is not None else None
        if found is None:
            found = decide(key, compilation.objects, compilation.at)
            if known is not None:
                known[key] = found
        verdict, holds_until = found
        compilation.decision_holds_until(holds_until)
        compilation.decisions[key] = verdict
    return compilation.decisions[key]


def compile(step: Step, segment, compilation) -> bool:
    branch = step.then if decided(compilation, step.schedule, step.holidays) else step.else_
    return compilation.emit(segment, branch)


def simulate(step: Step, simulation) -> bool:
    branch = step.then if is_open(step, simulation.objects, simulation.at) else step.else_
    return simulation.run(branch)


def references(step: Step):
    yield "/schedule", "schedule", step.schedule
    if step.holidays is not None:
        yield "/holidays", "holiday_schedule", step.holidays
