"""email: the missed-call notice. Fires a CUSTOM event (callplan::email) the bridge turns into mail to
the addresses and POSTs to the tenant's webhooks; the call goes on at once."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from callplan.model import StepBase

TYPE = "email"
RINGS = False
TERMINAL = False
_EMAIL = re.compile(r"^[^@\s<>\"'\\,;:()\[\]]+@[a-z0-9-]+(\.[a-z0-9-]+)+$")


def _email_address(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("must be an e-mail address such as name@example.com")
    return value


Address = Annotated[str, AfterValidator(_email_address)]


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
