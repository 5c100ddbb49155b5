"""Walk a call through a plan without FreeSWITCH: the same decisions the compiled dialplan makes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from callplan.compiler import active_steps
from callplan.engine import Simulation
from callplan.model import CallPlan
from callplan.objects import TenantObjects


@dataclass
class SimulationResult:
    steps: list[str]  # step ids in the order they ran
    outcome: str  # answered:<step>, hung_up:<cause>, voicemail:<box>, transferred:<target>, ...
    entered: str  # "plan" or "diversion:<id>"
    caller_name: str


def simulate_plan(plan: CallPlan, objects: TenantObjects, at: datetime, *, plan_id: int = 0, caller_name: str = "",
                  keys: Iterable[str] = (), answers: Iterable[str] = ()) -> SimulationResult:
    simulation = Simulation(objects=objects, at=at, plan_id=plan_id, keys=list(keys), answers=set(answers),
                            caller_name=caller_name)
    steps, entered = active_steps(plan)
    simulation.finish(steps)
    return SimulationResult(simulation.path, simulation.outcome, entered, simulation.caller_name)
