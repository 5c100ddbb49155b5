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
from pydantic_core import to_jsonable_python

from web.domain.problems import from_validation_error
from web.models.base import RowProblem

log = logging.getLogger("web.stored_rows")


def _values(data: Any, names, keep_none: bool = True) -> dict:
    if isinstance(data, dict):
        found = {name: data[name] for name in names if name in data}
    else:
        # a loaded row's values are in its __dict__ (much cheaper than the ORM's attribute access); any
        # other name (not loaded, or not a column) is asked of the row as before
        loaded = getattr(data, "__dict__", {})
        found = {name: loaded[name] if name in loaded else getattr(data, name)
                 for name in names if name in loaded or hasattr(data, name)}
    return found if keep_none else {name: value for name, value in found.items() if value is not None}


@lru_cache(maxsize=None)
def _fields(model: type[BaseModel]) -> tuple[dict[str, str], frozenset[str]]:
    """(alias -> field name, the aliases a value may be left out of) of a rules model, made once."""
    names = {field.alias or name: name for name, field in model.model_fields.items()}
    return names, frozenset(key for key, name in names.items() if not model.model_fields[name].is_required())


def problems(data: Any, *rules: type[BaseModel]) -> list[dict]:
    """What the stored `data` (a row or a dict) breaks of the rules of `rules`: each model is given the
    stored values of its own fields; a field it requires that is not stored (or stored as null, "not
    set") is no problem of the row."""
    found: dict[str, dict] = {}
    for model in rules:
        names, optional = _fields(model)
        values = _values(data, names, keep_none=False)
        # an empty text where the field may be left out is how "none" is stored (a function without a code)
        values = {key: value for key, value in values.items() if not (value == "" and key in optional)}
        try:
            checked = model.model_validate(values)
        except ValidationError as exc:
            for error in from_validation_error(exc).errors:
                if error["code"] != "missing":
                    found.setdefault(error["pointer"], error)
            continue
        # a save stores the normal form ("+31 20 ..." as "+3120...", "235" not " 235"): a stored text that
        # is not is a value written past the API, which the engine's stricter checks may well refuse
        for key, value in values.items():
            normal = getattr(checked, names[key], value)
            if isinstance(value, str) and isinstance(normal, str) and normal != value:
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
