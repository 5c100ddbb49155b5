"""prefix: puts a text before the caller's name on every phone rung after it ("MISSED-Q Jan Jansen")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from callplan.model import StepBase, printable
from callplan.xml import literal

TYPE = "prefix"
RINGS = False
TERMINAL = False


class Step(StepBase):
    type: Literal["prefix"]
    text: str = Field(min_length=1, max_length=40)

    _printable_text = field_validator("text")(printable)


def compile(step: Step, segment, compilation) -> bool:
    # effective_caller_id_name is what the phones rung by later bridges display.
    segment.action("set", f"effective_caller_id_name={literal(step.text)}${{caller_id_name}}")
    return False


def simulate(step: Step, simulation) -> bool:
    simulation.caller_name = step.text + simulation.caller_name
    return False


def references(step: Step):
    return ()
