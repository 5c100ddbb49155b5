"""hang_up: ends the call with a hangup cause."""

from __future__ import annotations

from typing import Literal

from callplan.model import StepBase

TYPE = "hang_up"
RINGS = False
TERMINAL = True

Cause = Literal["NORMAL_CLEARING", "USER_BUSY", "CALL_REJECTED", "NO_ANSWER", "UNALLOCATED_NUMBER", "NO_ROUTE_DESTINATION"]


class Step(StepBase):
    type: Literal["hang_up"]
    cause: Cause = "NORMAL_CLEARING"


def compile(step: Step, segment, compilation) -> bool:
    # Before answer mod_sofia refuses the call with the SIP code of the last failed bridge leg ("Overriding
    # SIP cause 480 with 486 from the other leg") unless told not to: the caller must get this step's cause.
    segment.action("set", "sip_ignore_remote_cause=true")
    segment.action("hangup", step.cause)
    return True


def simulate(step: Step, simulation) -> bool:
    simulation.outcome = f"hung_up:{step.cause}"
    return True


def references(step: Step):
    return ()
