"""email: the missed-call notice. Fires a CUSTOM event (callplan::email) the bridge turns into mail to
the addresses and POSTs to the tenant's webhooks; the call goes on at once."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from callplan.model import StepBase
from callplan.text import email_address

TYPE = "email"
RINGS = False
TERMINAL = False
Address = Annotated[str, AfterValidator(email_address)]


class Step(StepBase):
    type: Literal["email"]
    to: list[Address] = Field(default=[], max_length=20)
    webhooks: bool = True


def compile(step: Step, segment, compilation) -> bool:
    # Only ids travel in the event; the bridge looks the addresses up, so nothing typed reaches the channel.
    segment.action("event", ",".join([
        "Event-Name=CUSTOM",
        "Event-Subclass=callplan::email",
        f"cp_plan={compilation.plan_id}",
        f"cp_version={compilation.version}",
        f"cp_step={step.id}",
    ]))
    return False


def simulate(step: Step, simulation) -> bool:
    return False


def references(step: Step):
    return ()
