"""Compile a call plan to a FreeSWITCH dialplan document (one context per tenant)."""

from __future__ import annotations

from datetime import datetime

from callplan.engine import Compilation
from callplan.model import CallPlan
from callplan.objects import TenantObjects
from callplan.xml import exact


def active_steps(plan: CallPlan) -> tuple[list, str]:
    """The steps a call runs: the first active diversion's, else the plan's own (and which it was)."""
    for diversion in plan.diversions:
        if diversion.active:
            return diversion.steps, f"diversion:{diversion.id}"
    return plan.steps, "plan"


def compile_plan(plan: CallPlan, plan_id: int, version: int, objects: TenantObjects, at: datetime, *,
                 rotation_at_fetch: bool = False, known: dict | None = None) -> Compilation:
    """The plan as FreeSWITCH runs it at `at`; `.document()` is the XML, `.valid_until` how long it holds
    (see Compilation for `rotation_at_fetch` and `known`)."""
    compilation = Compilation(plan_id=plan_id, version=version, objects=objects, at=at,
                              rotation_at_fetch=rotation_at_fetch, known=known)
    entry = compilation.new_segment("entry")
    if plan.numbers:
        entry.match = exact(*plan.numbers, entry.name)
    for application, data in (
        ("set", "continue_on_fail=true"),  # an unanswered bridge goes on with the next step
        ("set", "hangup_after_bridge=true"),  # an answered one ends the journey when it is over
        ("set", f"cp_plan={plan_id}"),
        ("set", f"cp_version={version}"),
    ):
        entry.action(application, data)
    steps, _ = active_steps(plan)
    compilation.finish(entry, steps)
    return compilation


def compile_to_xml(plan: CallPlan, plan_id: int, version: int, objects: TenantObjects, at: datetime) -> str:
    return compile_plan(plan, plan_id, version, objects, at).document()
