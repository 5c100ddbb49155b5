"""Stored rows held to the rules they passed when they were saved (#11 item 1).

An older version, a bug or a hand-made UPDATE can leave a value in the database that the API refuses
today (an extension "235\\n", a name holding a NUL). Such a row must never take its company down:

- the call-plan snapshot (web.domain.callplan_snapshot) leaves the row out of calls, logs it and lists it
  in `TenantObjects.skipped`, which the plan validator names wherever a plan uses the object;
- the API still answers with the row as it is stored, plus a `problems` list naming each field at fault
  with a JSON pointer, as a refused save would; the admin sees what to fix, and can fix it.

"Validates" means one thing in both places: the stored values pass the API's own shapes for saving the
object (its Create and Update models), restricted to the fields stored in the row."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import SchemaValidator, to_jsonable_python

from web.domain.problems import from_validation_error
from web.models.base import RowProblem

log = logging.getLogger("web.stored_rows")


def _values(data: Any, names, keep_none: bool = True) -> dict:
    if isinstance(data, dict):
        if not keep_none:
            return {name: value for name in names if name in data and (value := data[name]) is not None}
        found = {name: data[name] for name in names if name in data}
    else:
        # a loaded row's values are in its __dict__ (much cheaper than the ORM's attribute access); any
        # other name (not loaded, or not a column) is asked of the row as before
        loaded = getattr(data, "__dict__", {})
        kind = type(data)
        found = {name: loaded[name] if name in loaded else getattr(data, name)
                 for name in names if name in loaded or (_may_have(kind, name) and hasattr(data, name))}
    return found if keep_none else {name: value for name, value in found.items() if value is not None}


@lru_cache(maxsize=None)
def _may_have(kind: type, name: str) -> bool:
    """Can a `kind` that does not hold `name` in its __dict__ still answer it? Only through its class (a
    column, a property) or pydantic's __getattr__ (private attributes, start with "_"; extra fields, which
    no stored row has). A rules model's field the table has no column for (a user's direct_number) is
    then known to be absent without asking, which raised and caught an AttributeError per row."""
    return hasattr(kind, name) or name.startswith("_") or bool(getattr(kind, "model_config", {}).get("extra") == "allow")


@lru_cache(maxsize=None)
def _fields(model: type[BaseModel]) -> tuple[dict[str, str], frozenset[str]]:
    """(alias -> field name, the aliases a value may be left out of) of a rules model, made once."""
    names = {field.alias or name: name for name, field in model.model_fields.items()}
    return names, frozenset(key for key, name in names.items() if not model.model_fields[name].is_required())


@lru_cache(maxsize=None)
def _checker(model: type[BaseModel]) -> SchemaValidator:
    """The model's own rules (its core schema) for checking stored values, made once. What a check has no
    use for is left out, as it was a third of the cost of checking a company's thousands of rows (#20):
    SQLModel's model_validate wrapping (copies of the instance's __dict__), and the deep copy pydantic
    makes of a default that is a model (an unset `forwarding.busy` is a new Forward() for each row): here
    such a default is one shared instance of a hashable subclass, which pydantic does not copy. The
    instance a check makes is only read (the normal form of its own texts) and then dropped, so sharing
    a default is safe; the errors are the same, as defaults are not validated (the schema is the
    model's, only its classes are stand-ins: `_unbuilt`)."""
    schema = _shared_defaults(model.__pydantic_core_schema__)
    return SchemaValidator(schema) if schema is not model.__pydantic_core_schema__ else model.__pydantic_validator__


def _shared_defaults(schema: Any) -> Any:
    """A copy of a core schema with every unhashable model default made shared (only what changes is copied)."""
    if isinstance(schema, list):
        items = [_shared_defaults(item) for item in schema]
        return items if any(new is not old for new, old in zip(items, schema)) else schema
    if not isinstance(schema, dict):
        return schema
    changed = {}
    if schema.get("type") == "model" and isinstance(schema.get("cls"), type):
        # pydantic-core would use the class's own validator (its copies) for a model's schema ("prebuilt"),
        # and SQLModel's __init__ (custom_init) would too: the schema is validated here instead, as a
        # subclass pydantic-core sees as not built
        changed["cls"] = _unbuilt(schema["cls"])
        changed["custom_init"] = False
    for key, value in schema.items():
        if key == "default" and schema.get("type") == "default" and isinstance(value, BaseModel) and value.__hash__ is None:
            changed[key] = _shared(value)
        elif isinstance(value, (dict, list)):
            new = _shared_defaults(value)
            if new is not value:
                changed[key] = new
    return {**schema, **changed} if changed else schema


# The module the check's own subclasses claim: none of the project's packages, so that walks over the
# project's models (tests/validators.py) never meet these copies.
_CHECKS_MODULE = "stored_row_checks"
_SHARED_CLASSES: dict[type, type] = {}
_UNBUILT_CLASSES: dict[type, type] = {}


def _unbuilt(model: type) -> type:
    """A subclass of `model` (same name and fields) whose own validator pydantic-core does not reuse."""
    unbuilt = _UNBUILT_CLASSES.get(model)
    if unbuilt is None:
        unbuilt = _UNBUILT_CLASSES[model] = type(model.__name__, (model,), {"__module__": _CHECKS_MODULE})
        unbuilt.__pydantic_complete__ = False
    return unbuilt


def _shared(default: BaseModel) -> BaseModel:
    """`default` as an instance of a subclass of its class that hashes (by identity): the same values."""
    model = type(default)
    shared = _SHARED_CLASSES.get(model)
    if shared is None:
        shared = _SHARED_CLASSES[model] = type(model.__name__, (model,), {"__hash__": object.__hash__,
                                                                          "__module__": _CHECKS_MODULE})
    return shared.model_construct(_fields_set=set(default.model_fields_set), **default.__dict__)


def problems(data: Any, *rules: type[BaseModel]) -> list[dict]:
    """What the stored `data` (a row or a dict) breaks of the rules of `rules`: each model is given the
    stored values of its own fields; a field it requires that is not stored (or stored as null, "not
    set") is no problem of the row."""
    found: dict[str, dict] = {}
    for model in rules:
        names, optional = _fields(model)
        values = _values(data, names, keep_none=False)
        # an empty text where the field may be left out is how "none" is stored (a function without a code)
        if "" in values.values():
            values = {key: value for key, value in values.items() if not (value == "" and key in optional)}
        try:
            # the model's rules, without the copies a check does not need (see _checker)
            checked = _checker(model).validate_python(values)
        except ValidationError as exc:
            # a required field that is not stored is no problem of the row (most rows meet the Create
            # rules this way): only the other errors are put into problems
            if any(error["type"] != "missing" for error in exc.errors(include_url=False, include_context=False,
                                                                         include_input=False)):
                for error in from_validation_error(exc).errors:
                    if error["code"] != "missing":
                        found.setdefault(error["pointer"], error)
            continue
        # a save stores the normal form ("+31 20 ..." as "+3120...", "235" not " 235"): a stored text that
        # is not is a value written past the API, which the engine's stricter checks may well refuse
        for key, value in values.items():
            if isinstance(value, str):
                normal = getattr(checked, names[key], value)
                if isinstance(normal, str) and normal != value:
                    found.setdefault("/" + key, {"pointer": "/" + key, "code": "not_normal_form",
                                                 "message": f"is stored as {value!r}, which a save would store as {normal!r}"})
    return list(found.values())


def answer(shape: type[BaseModel], data: Any, *rules: type[BaseModel]) -> Any:
    """`data` (a row or a dict) in the answer shape `shape`, with the `problems` the rules find. A row
    the shape itself refuses is answered as it is stored, with only the shape's fields (never a column
    the shape leaves out, such as a sealed password): reading an object is never refused for a value
    the reader did not send."""
    found = problems(data, *rules) if rules else []
    try:
        if isinstance(data, dict):
            shaped = shape.model_validate(data)
        else:
            shaped = shape.model_validate(data, from_attributes=True)
    except ValidationError as exc:
        pointers = {problem["pointer"] for problem in found}
        found += [error for error in from_validation_error(exc).errors if error["pointer"] not in pointers]
        values = _values(data, [name for name in shape.model_fields if name != "problems"])
        log.warning("%s answered as stored; no longer valid: %s", shape.__name__, ", ".join(p["pointer"] for p in found))
        return {**to_jsonable_python(values, fallback=str), "problems": found}
    if found:
        if "problems" in shape.model_fields:
            shaped.problems = [RowProblem.model_validate(problem) for problem in found]
    return shaped


# --- the tables the call-plan snapshot reads, and the rules each row is held to --------------------------


@lru_cache(maxsize=1)
def _table_rules() -> dict[type, tuple[type[BaseModel], ...]]:
    from web.models.audio import AudioFile, AudioUpdate
    from web.models.company import CompanySettings, CompanyUpdate, Department, DepartmentCreate, DepartmentUpdate
    from web.models.device import Device, DeviceCreate, DeviceUpdate
    from web.models.feature_code import FeatureCode, FeatureCodeUpdate
    from web.models.conference_room import ConferenceRoom, ConferenceRoomCreate, ConferenceRoomUpdate
    from web.models.page_group import PageGroup, PageGroupCreate, PageGroupUpdate
    from web.models.ivr_menu import IvrMenu, IvrMenuCreate, IvrMenuUpdate
    from web.models.pbx_user import PbxUser, PbxUserCreate, PbxUserUpdate
    from web.models.phone_number import PhoneNumber, PhoneNumberUpdate
    from web.models.pickup_group import PickupGroup, PickupGroupCreate, PickupGroupUpdate
    from web.models.queue import CallQueue, QueueCreate, QueueUpdate
    from web.models.ring_group import RingGroup, RingGroupCreate, RingGroupUpdate
    from web.models.schedule import (
        HolidaySchedule,
        HolidayScheduleCreate,
        HolidayScheduleUpdate,
        TimeSchedule,
        TimeScheduleCreate,
        TimeScheduleUpdate,
    )
    from web.models.tenant import Tenant, TenantUpdate
    from web.models.voicemail_box import VoicemailBox, VoicemailBoxCreate, VoicemailBoxUpdate

    return {
        PbxUser: (PbxUserCreate, PbxUserUpdate),
        RingGroup: (RingGroupCreate, RingGroupUpdate),
        CallQueue: (QueueCreate, QueueUpdate),
        IvrMenu: (IvrMenuCreate, IvrMenuUpdate),
        VoicemailBox: (VoicemailBoxCreate, VoicemailBoxUpdate),
        ConferenceRoom: (ConferenceRoomCreate, ConferenceRoomUpdate),
        PageGroup: (PageGroupCreate, PageGroupUpdate),
        Department: (DepartmentCreate, DepartmentUpdate),
        Device: (DeviceCreate, DeviceUpdate),
        TimeSchedule: (TimeScheduleCreate, TimeScheduleUpdate),
        HolidaySchedule: (HolidayScheduleCreate, HolidayScheduleUpdate),
        AudioFile: (AudioUpdate,),
        FeatureCode: (FeatureCodeUpdate,),
        PickupGroup: (PickupGroupCreate, PickupGroupUpdate),
        PhoneNumber: (PhoneNumberUpdate,),
        CompanySettings: (CompanyUpdate,),
        Tenant: (TenantUpdate,),
    }


def rules_for(table: type) -> tuple[type[BaseModel], ...]:
    return _table_rules().get(table, ())


def row_problems(row) -> list[dict]:
    """What a stored row of one of the snapshot's tables breaks ([] when it still validates)."""
    return problems(row, *rules_for(type(row)))
