"""Finding the project's validators programmatically: every pydantic model defined in callplan/, web/ and
fs_bridge/, which of them the API's routes reach, and every string field that has a rule (a pattern, a
validator function, a fixed set of values), with a value that passes it.

Used by tests/test_patterns.py and tests/web/test_hostile_values.py, so a model or field added later is
held to the same rules without anyone listing it."""

from __future__ import annotations

import importlib
import pkgutil
import typing
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Optional

from pydantic import BaseModel
from pydantic.fields import FieldInfo

PACKAGES = ("callplan", "web", "fs_bridge")
SKIPPED_MODULES = {"fs_bridge.__main__", "web.__main__"}  # they start processes (and gevent patches)


@lru_cache(maxsize=1)
def project_models() -> tuple[type[BaseModel], ...]:
    for name in PACKAGES:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, name + "."):
            if info.name not in SKIPPED_MODULES:
                importlib.import_module(info.name)
    found, stack = [], [BaseModel]
    while stack:
        for model in stack.pop().__subclasses__():
            stack.append(model)
            if model.__module__.split(".")[0] in PACKAGES and model not in found:
                found.append(model)
    return tuple(sorted(found, key=lambda m: (m.__module__, m.__qualname__)))


def is_table(model) -> bool:
    return bool(getattr(model, "__table__", None) is not None and getattr(model, "model_config", {}).get("table"))


def _models_in(annotation, seen: set) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in seen:
            seen.add(annotation)
            for field in annotation.model_fields.values():
                _models_in(field.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        _models_in(arg, seen)


def api_models(routes) -> set[type[BaseModel]]:
    """Models a request body of the API is validated with, and every model inside them."""
    seen: set = set()
    for route in routes:
        if getattr(route, "body_model", None) is not None:
            _models_in(route.body_model, seen)
    return seen


# --- string fields with a rule -------------------------------------------------------------------------------


@dataclass
class StringField:
    model: type[BaseModel]
    path: tuple  # field names (and 0 for a list item) from the model to the string
    tags: dict  # path prefix -> the discriminator value a union needs there ({(): {"type": "queue"}})
    valid: Optional[str]  # a value the field accepts; None when none could be found
    rule: str  # what makes it checked: "pattern", "validator", "literal"
    pattern: Optional[str] = None
    examples: tuple = ()
    multiline: bool = False  # a text of several lines (json_schema_extra "x-multiline"): "\n" and "\t" may stay

    @property
    def pointer(self) -> str:
        return "/" + "/".join(str(p) for p in self.path)

    def __repr__(self) -> str:
        return f"{self.model.__module__}.{self.model.__qualname__}{self.pointer}"


def _unwrap(annotation) -> list:
    """The alternatives of an annotation: Optional/Union members, Annotated stripped to its type."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin is typing.Union or str(origin) == "types.UnionType":
        return [alt for arg in typing.get_args(annotation) if arg is not type(None) for alt in _unwrap(arg)]
    return [annotation]


def _metadata(field: FieldInfo) -> list:
    """Every constraint object of a field, those inside Annotated included."""
    found = list(field.metadata)
    stack = [field.annotation]
    while stack:
        annotation = stack.pop()
        if typing.get_origin(annotation) is typing.Annotated:
            args = typing.get_args(annotation)
            found.extend(args[1:])
            stack.append(args[0])
        else:
            stack.extend(typing.get_args(annotation))
    return found


def _examples(field: FieldInfo) -> list:
    found = list(field.examples or [])
    for item in _metadata(field):
        found.extend(getattr(item, "examples", None) or [])
        extra = getattr(item, "json_schema_extra", None)
        if isinstance(extra, dict):
            found.extend(extra.get("examples") or [])
    return found


def _multiline(field: FieldInfo) -> bool:
    for item in [field, *_metadata(field)]:
        extra = getattr(item, "json_schema_extra", None)
        if isinstance(extra, dict) and extra.get("x-multiline"):
            return True
    return False


def _pattern(field: FieldInfo) -> Optional[str]:
    for item in _metadata(field):
        pattern = getattr(item, "pattern", None)
        if isinstance(pattern, str):
            return pattern
    return None


def _has_function_validator(model, name: str, field: FieldInfo) -> bool:
    decorators = model.__pydantic_decorators__
    for decorator in list(decorators.field_validators.values()):
        if name in decorator.info.fields or "*" in decorator.info.fields:
            return True
    return any(type(item).__name__ in ("AfterValidator", "BeforeValidator", "PlainValidator", "WrapValidator")
               for item in _metadata(field))


def _literal_values(annotation) -> list:
    values = []
    for alt in _unwrap(annotation):
        if typing.get_origin(alt) is typing.Literal:
            values.extend(v for v in typing.get_args(alt) if isinstance(v, str))
    return values


def _discriminator(model) -> Optional[tuple[str, str]]:
    """(field, value) a tagged-union member needs: a required Literal field of one value, such as
    `type: Literal["queue"]`."""
    for name, field in model.model_fields.items():
        values = _literal_values(field.annotation)
        if field.is_required() and len(values) == 1:
            return name, values[0]
    return None


# Values of the usual shapes; a checked field without a pattern is tried with these until one passes.
CANDIDATES = ("Front desk", "201", "+31201234567", "+31612345678", "name@example.com", "Europe/Amsterdam",
              "acme.pbx.example.com", "08:30", "2026-12-25", "00:15:65:aa:bb:cc", "desk.201", "Desk-Phone-201!",
              "https://hooks.example.com/pbx", "*97", "1234", "EUR", "+31", "s1", "en")


@lru_cache(maxsize=None)
def string_fields(model: type[BaseModel]) -> list[StringField]:
    """Every checked string field reachable from `model` (nested models and list items included), each
    model's fields once, at the shallowest place it occurs (breadth first)."""
    found: list[StringField] = []
    seen: set = set()
    queue = [(model, (), {})]
    while queue:
        current, prefix, tags = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        tag = _discriminator(current)
        if tag is not None and prefix:
            tags = {**tags, prefix: {tag[0]: tag[1]}}
        for name, field in current.model_fields.items():
            path = prefix + (field.alias or name,)
            for alt in _unwrap(field.annotation):
                origin = typing.get_origin(alt)
                if isinstance(alt, type) and issubclass(alt, BaseModel):
                    queue.append((alt, path, tags))
                elif origin in (list, tuple, set, frozenset, dict):
                    args = typing.get_args(alt)
                    for item in _unwrap(args[-1]) if args else []:
                        if isinstance(item, type) and issubclass(item, BaseModel) and origin is not dict:
                            queue.append((item, path + (0,), tags))
                elif alt is str:
                    pattern = _pattern(field)
                    examples = _examples(field)
                    if pattern is not None:
                        found.append(StringField(current, path, tags, examples[0] if examples else None, "pattern",
                                                 pattern, tuple(examples)))
                    elif _has_function_validator(current, name, field):
                        found.append(StringField(current, path, tags, examples[0] if examples else None, "validator",
                                                 None, tuple(examples), _multiline(field)))
                elif origin is typing.Literal and _literal_values(alt) and (name, _literal_values(alt)[0]) != tag:
                    found.append(StringField(current, path, tags, _literal_values(alt)[0], "literal"))
    return found


def nested(field: StringField, value: Any, context: Optional[dict] = None) -> dict:
    """The smallest document that puts `value` at the field's place, with the union tags on the way and
    `context` (sibling fields the check depends on, such as a destination's type) beside it."""

    def build(index: int):
        if index == len(field.path):
            return value
        part = field.path[index]
        if isinstance(part, int):
            return [build(index + 1)]
        node = dict(field.tags.get(field.path[:index], {}))
        if index == len(field.path) - 1:
            node.update(context or {})
        node[part] = build(index + 1)
        return node

    return build(0)


def contexts(field: StringField) -> list[dict]:
    """Sibling values under which the field's check may differ: each value of a `type` its model has
    (a destination's number is an extension's or an outside number)."""
    kind = field.model.model_fields.get("type")
    values = _literal_values(kind.annotation) if kind is not None else []
    return [{"type": value} for value in values] if len(values) > 1 else [{}]


def attribute(field: StringField) -> str:
    return next(name for name, info in field.model.model_fields.items() if (info.alias or name) == field.path[-1])
