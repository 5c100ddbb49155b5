"""transfer: to an internal number, a user (with the user's forwarding), an external number, another call
plan, or the company's parking lot. Ringing a phone falls through when unanswered like any ringing step;
an internal number that is a group, queue, menu or box, another plan, and the parking lot take the call
over: nothing after runs. The parking lot as a number's destination does it (callplan.destinations.park:
the first free slot, taken by dialling it); while parking is off the step does nothing and the next runs."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

from callplan import outbound
from callplan import destinations
from callplan.destinations import bridge_string, leg
from callplan.model import StepBase
from callplan.nodes import user as user_node

TYPE = "transfer"
RINGS = True
TERMINAL = False  # only a transfer to a plan (or to a non-phone extension) is terminal: see is_terminal()

ANNOUNCE = "ivr/ivr-please_hold_while_party_contacted.wav"  # FreeSWITCH's stock prompt


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")
    extension: Optional[str] = Field(default=None, pattern=r"^[0-9]{2,4}$")
    user: Optional[int] = None
    external: Optional[str] = Field(default=None, pattern=r"^\+?[0-9]{3,15}$")
    plan: Optional[int] = None
    park: Optional[Literal[True]] = None  # the company's parking lot

    @model_validator(mode="after")
    def _one(self):
        given = [name for name in ("extension", "user", "external", "plan", "park") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of extension, user, external, plan, park")
        return self


def _parks(objects) -> bool:
    return destinations.ends({"type": "park"}, objects)


class Step(StepBase):
    type: Literal["transfer"]
    to: Target
    announce: bool = False
    timeout_s: int = Field(default=30, ge=5, le=600)


def is_terminal(step: Step, objects) -> bool:
    if step.to.plan is not None:
        return True
    if step.to.park:
        return _parks(objects)
    if step.to.extension is not None:
        return objects.extensions.get(step.to.extension, "user") != "user"
    return False


def compile(step: Step, segment, compilation) -> bool:
    objects = compilation.objects
    if step.announce:
        segment.action("answer")
        segment.action("playback", ANNOUNCE)
    to = step.to
    if to.plan is not None:
        segment.action("transfer", f"cp{to.plan}_entry XML {objects.domain}")
        return True
    if to.park:
        return destinations.park(segment, objects)  # parking off: nothing, the next step runs
    if to.extension is not None:
        if is_terminal(step, objects):
            segment.action("transfer", f"{to.extension} XML {objects.domain}")
            return True
        segment.action("bridge", leg(f"user/{to.extension}@{objects.domain}", step.timeout_s, objects))
        return False
    if to.user is not None:
        legs = user_node.legs(user_node.Step(id=step.id, type="user", user=to.user, timeout_s=step.timeout_s), objects)
        if legs:
            segment.action("bridge", bridge_string(legs, objects))
        return False
    # external: the company's outbound blocking applies to a plan's transfers too; a blocked number is
    # not dialled (the call goes on with the next step) and validation reports it
    if outbound.blocked_category(to.external, objects.company):
        segment.action("log", f"WARNING transfer to a number blocked by company policy: step {step.id}")
        return False
    segment.action("bridge", leg(f"sofia/gateway/{objects.gateway}/{to.external}", step.timeout_s, objects))
    return False


def simulate(step: Step, simulation) -> bool:
    to = step.to
    if to.plan is not None:
        simulation.outcome = f"transferred:plan:{to.plan}"
        return True
    if to.park:
        if not _parks(simulation.objects):
            return False
        simulation.outcome = "parked"
        return True
    if to.extension is not None and is_terminal(step, simulation.objects):
        simulation.outcome = f"transferred:{to.extension}"
        return True
    if to.user is not None and simulation.objects.users.get(to.user) is None:
        return False
    if to.external is not None and outbound.blocked_category(to.external, simulation.objects.company):
        return False
    return simulation.answered(step)


def references(step: Step):
    if step.to.user is not None:
        yield "/to/user", "user", step.to.user
    if step.to.plan is not None:
        yield "/to/plan", "plan", step.to.plan
    if step.to.extension is not None:
        yield "/to/extension", "extension", step.to.extension
