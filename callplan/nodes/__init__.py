"""The step types. One module per type, each with the same small interface:

    TYPE = "user"                 the `type` value
    class Step(StepBase)          its pydantic model (with `type: Literal[TYPE]`)
    RINGS, TERMINAL               does it ring someone; can the call go on after it
    compile(step, segment, compilation) -> bool   emit its dialplan actions; True if the call ends there
    simulate(step, simulation) -> bool            walk it; True if the call ends there
    references(step) -> [(pointer suffix, kind, id)]   the tenant objects it points at

Adding a step type is one new module and one entry in MODULES (a test checks every module is listed).
"""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from callplan import model
from callplan.nodes import (
    announcement,
    conference,
    email,
    hang_up,
    ivr,
    prefix,
    queue,
    receive_fax,
    record,
    ring_group,
    time_condition,
    transfer,
    user,
    voicemail,
)

MODULES = (time_condition, user, ring_group, queue, transfer, ivr, voicemail, conference, receive_fax, announcement,
           record, email, prefix, hang_up)
BY_TYPE = {module.TYPE: module for module in MODULES}

Step = Annotated[Union[tuple(module.Step for module in MODULES)], Field(discriminator="type")]
Steps = list[Step]


def module_for(step):
    return BY_TYPE[step.type]


def _resolve() -> None:
    """Tie the recursive models together now that every step type exists."""
    namespace = {"Steps": Steps, "Step": Step}
    for module in MODULES:
        module.Step.model_rebuild(_types_namespace=namespace, force=True)
    model.Diversion.model_rebuild(_types_namespace=namespace, force=True)
    model.CallPlan.model_rebuild(_types_namespace=namespace, force=True)


_resolve()
