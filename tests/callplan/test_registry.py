"""The step-type registry: every module in callplan/nodes/ is listed in MODULES and has the interface the
engine calls. The check is a function so it can be shown to catch a broken module without writing one."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import types
from typing import Literal, get_args, get_origin

import pytest

import callplan.nodes as nodes
from callplan.model import StepBase

FUNCTIONS = ("compile", "simulate", "references")
FLAGS = ("RINGS", "TERMINAL")


def _type_literal(step_model) -> tuple:
    field = getattr(step_model, "model_fields", {}).get("type")
    if field is None or get_origin(field.annotation) is not Literal:
        return ()
    return get_args(field.annotation)


def registry_problems(names, modules, load) -> list[str]:
    """What is wrong with a registry: `names` are the modules found in the package, `modules` what
    MODULES lists, `load(name)` imports one."""
    problems = []
    listed = {module.__name__.rsplit(".", 1)[-1] for module in modules}
    for name in names:
        if name not in listed:
            problems.append(f"{name}: in callplan/nodes/ but not in MODULES")
    seen_types = {}
    for module in [load(name) for name in names if name in listed] + [m for m in modules if m.__name__.rsplit(".", 1)[-1] not in names]:
        name = module.__name__.rsplit(".", 1)[-1]
        type_ = getattr(module, "TYPE", None)
        if not isinstance(type_, str) or not type_:
            problems.append(f"{name}: no TYPE")
        elif type_ in seen_types:
            problems.append(f"{name}: TYPE {type_!r} is also {seen_types[type_]}'s")
        else:
            seen_types[type_] = name
        step = getattr(module, "Step", None)
        if not (isinstance(step, type) and issubclass(step, StepBase)):
            problems.append(f"{name}: no Step model derived from StepBase")
        elif _type_literal(step) != (type_,):
            problems.append(f"{name}: Step.type is {_type_literal(step) or 'not a Literal'}, TYPE is {type_!r}")
        for function in FUNCTIONS:
            if not callable(getattr(module, function, None)):
                problems.append(f"{name}: no {function}()")
        for flag in FLAGS:
            if not isinstance(getattr(module, flag, None), bool):
                problems.append(f"{name}: {flag} is not a bool")
    return problems


def package_module_names() -> list[str]:
    return sorted(info.name for info in pkgutil.iter_modules(nodes.__path__) if not info.name.startswith("_"))


def load(name):
    return importlib.import_module(f"callplan.nodes.{name}")


def good_fake(**overrides) -> types.ModuleType:
    """A module that would pass, built in memory; overrides break one thing at a time."""

    class Step(StepBase):
        type: Literal["fake"]

    module = types.ModuleType("callplan.nodes.fake")
    module.TYPE = "fake"
    module.Step = Step
    module.RINGS = False
    module.TERMINAL = False
    module.compile = lambda step, segment, compilation: False
    module.simulate = lambda step, simulation: False
    module.references = lambda step: ()
    for key, value in overrides.items():
        if value is None:
            delattr(module, key)
        else:
            setattr(module, key, value)
    return module


def test_every_module_in_the_package_is_registered_and_complete():
    assert package_module_names(), "found no step modules: is the package path right?"
    assert registry_problems(package_module_names(), nodes.MODULES, load) == []


def test_the_registry_has_the_eleven_step_types_of_the_spec_and_the_conference_fax_and_record_steps():
    # the spec's eleven, "conference" (#18 item 2: a call plan sends callers into a conference room),
    # "receive_fax" (#18 item 5: the call is a fax, mailed as a PDF) and "record" (#18 item 1: record from here)
    assert set(nodes.BY_TYPE) == {"time_condition", "user", "ring_group", "queue", "transfer", "ivr", "voicemail",
                                  "announcement", "email", "prefix", "hang_up", "conference", "receive_fax", "record"}
    assert len(nodes.MODULES) == len(nodes.BY_TYPE)
    union_members = get_args(get_args(nodes.Step)[0])
    assert set(union_members) == {module.Step for module in nodes.MODULES}


def test_terminal_flags_follow_the_spec_table():
    terminal = {module.TYPE for module in nodes.MODULES if module.TERMINAL}
    rings = {module.TYPE for module in nodes.MODULES if module.RINGS}
    # transfer is terminal only towards a plan or a non-phone extension, decided per step (is_terminal)
    assert terminal == {"ivr", "voicemail", "hang_up", "conference", "receive_fax"}
    assert rings == {"user", "ring_group", "queue", "transfer"}


def test_an_unlisted_module_is_caught():
    fake = good_fake()
    names = package_module_names() + ["fake"]
    problems = registry_problems(names, nodes.MODULES, lambda name: fake if name == "fake" else load(name))
    assert problems == ["fake: in callplan/nodes/ but not in MODULES"]


def test_a_listed_fake_that_is_complete_passes():
    fake = good_fake()
    names = package_module_names() + ["fake"]
    assert registry_problems(names, nodes.MODULES + (fake,), lambda name: fake if name == "fake" else load(name)) == []


@pytest.mark.parametrize("overrides,expected", [
    ({"compile": None}, "fake: no compile()"),
    ({"simulate": "not a function"}, "fake: no simulate()"),
    ({"references": None}, "fake: no references()"),
    ({"RINGS": None}, "fake: RINGS is not a bool"),
    ({"TERMINAL": 0}, "fake: TERMINAL is not a bool"),
    ({"TYPE": "faek"}, "fake: Step.type is ('fake',), TYPE is 'faek'"),
    ({"TYPE": "user"}, "fake: TYPE 'user' is also user's"),
    ({"Step": dict}, "fake: no Step model derived from StepBase"),
])
def test_a_broken_module_is_caught(overrides, expected):
    fake = good_fake(**overrides)
    names = package_module_names() + ["fake"]
    problems = registry_problems(names, nodes.MODULES + (fake,), lambda name: fake if name == "fake" else load(name))
    assert expected in problems


def test_a_step_whose_type_is_not_a_literal_is_caught():
    class Step(StepBase):
        type: str

    fake = good_fake(Step=Step)
    problems = registry_problems(["fake"], (fake,), lambda name: fake)
    assert problems == ["fake: Step.type is not a Literal, TYPE is 'fake'"]


def test_a_plan_validated_before_the_registry_is_imported_still_checks_its_steps():
    code = "\n".join([
        "from callplan.model import CallPlan",
        "from callplan.compiler import compile_plan",  # what a caller of the engine imports
        "try:",
        "    CallPlan.model_validate({'name': 'x', 'steps': [{'id': 's1', 'type': 'no_such_type'}]})",
        "except Exception as exc:",
        "    print(type(exc).__name__)",
        "else:",
        "    print('accepted')",
    ])
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "ValidationError"
