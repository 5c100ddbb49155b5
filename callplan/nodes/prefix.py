"""prefix: puts a text before the caller's name on every phone rung after it ("MISSED-Q Jan Jansen")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from callplan.model import StepBase
from callplan.text import plain_text
from callplan.xml import literal

TYPE = "prefix"
RINGS = False
TERMINAL = False


class Step(StepBase):
    type: Literal["prefix"]
    text: str = Field(min_length=1, max_length=40)

    _printable_text = field_validator("text")(plain_text)


def compile(step: Step, segment, compilation) -> bool:
    # effective_caller_id_name is what the phones rung by later bridges display. Prefixes add up
    # (cp_prefix keeps them, newest first, as the simulator does). FreeSWITCH expands an application's
    # data once before `set` runs and `set` expands it again, so the caller's own display name would be
    # expanded a second time: a name like "${...}" could run an API. Expansion by the core is switched
    # off around these two actions, leaving exactly one expansion, of our own variables.
    segment.action("set", "app_disable_expand_variables=true")
    segment.action("set", f"cp_prefix={literal(step.text)}${{cp_prefix}}")
    segment.action("set", "effective_caller_id_name=${cp_prefix}${caller_id_name}")
    segment.action("unset", "app_disable_expand_variables")
    return False


def simulate(step: Step, simulation) -> bool:
    simulation.caller_name = step.text + simulation.caller_name
    return False


def references(step: Step):
    return ()
