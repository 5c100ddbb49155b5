"""The call-plan tree: a root plan, its diversions, and steps of the types in callplan/nodes/.

Steps form a discriminated union on `type`; step types that hold nested step lists (time conditions,
IVR menus) refer to `Steps`, which is resolved once every node module is registered (see nodes/)."""

from __future__ import annotations

from typing import Annotated, Any, Iterator

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from callplan.text import plain_text

STEP_ID = r"^[A-Za-z0-9_-]{1,40}$"
StepId = Annotated[str, StringConstraints(pattern=STEP_ID)]


class StepBase(BaseModel):
    """What every step has: an id unique in its plan, its type, and an optional note for the canvas."""

    model_config = ConfigDict(extra="forbid")
    id: StepId
    label: str = Field(default="", max_length=200)

    _printable_label = field_validator("label")(plain_text)

    # Overridden by step types that hold nested steps: (JSON pointer suffix, list) pairs.
    def branches(self) -> list[tuple[str, list]]:
        return []


class Diversion(BaseModel):
    """Bypasses the whole plan while active; one active per category (seed 002 "omleidingen")."""

    model_config = ConfigDict(extra="forbid")
    id: StepId
    name: str = Field(min_length=1, max_length=100)
    category: str = Field(default="A", pattern=r"^[A-Za-z0-9]{1,20}$")
    active: bool = False
    steps: "Steps" = []

    _printable_name = field_validator("name")(plain_text)


PlanNumber = Annotated[str, StringConstraints(pattern=r"^(\+[1-9][0-9]{6,14}|[0-9]{2,4})$")]


class CallPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    numbers: list[PlanNumber] = Field(default=[], max_length=50)
    diversions: list[Diversion] = Field(default=[], max_length=20)
    steps: "Steps" = []

    _printable_name = field_validator("name")(plain_text)

    def walk(self) -> Iterator[tuple[str, Any]]:
        """Every step with its JSON pointer, depth first, in order."""
        for index, diversion in enumerate(self.diversions):
            yield from walk_steps(diversion.steps, f"/diversions/{index}/steps")
        yield from walk_steps(self.steps, "/steps")


def walk_steps(steps: list, prefix: str) -> Iterator[tuple[str, Any]]:
    for index, step in enumerate(steps):
        pointer = f"{prefix}/{index}"
        yield pointer, step
        for suffix, children in step.branches():
            yield from walk_steps(children, pointer + suffix)


Steps = list  # replaced by nodes.build_union(): list[Annotated[Union[...], Field(discriminator="type")]]
