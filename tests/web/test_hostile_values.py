"""Every validator of the project against values with a trailing "\\n", "\\r\\n", NUL and U+2028 (#11 item 1).

The validators are found, not listed: every string field with a rule (a pattern, a validator function, a
fixed set of values) of every model a route of the API validates its body with, and of every other
pydantic model of callplan/, web/ and fs_bridge/ (tests/validators.py). A value that passes is taken from
the field's pattern (hypothesis), its examples, or a small vocabulary of usual shapes; then each suffix is
put after it. Through the API the answer must be a 422 naming the field with its JSON pointer; a model no
route takes must raise a ValidationError at the field. A field may instead store the value normalised
(a name's trailing whitespace stripped): then what it keeps holds none of the suffix's characters."""

from __future__ import annotations

import typing
from typing import Annotated

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from tests.web.helpers import make_account, make_tenant, make_token
from tests.web.routes import fill
from tests.validators import CANDIDATES, StringField, api_models, attribute, contexts, nested, project_models, string_fields
from web.api.call_plans import PlanRoute
from web.domain.problems import from_validation_error
from web.permissions import allowed

SUFFIXES = ("\n", "\r\n", "\x00", "\u2028")
EXAMPLES = 2  # valid values per field (each with every suffix)


def _routes():
    from web.app import api_routes

    return [route for route in api_routes() if getattr(route, "body_model", None) is not None]


def model_errors(model: type[BaseModel], document: dict) -> dict[str, str]:
    """pointer -> error code, as the API would name them."""
    try:
        model.model_validate(document)
    except ValidationError as exc:
        return {error["pointer"]: error["code"] for error in from_validation_error(exc, data=document).errors}
    return {}


def field_info(field: StringField):
    return field.model.model_fields[attribute(field)]


def owner_keeps(field: StringField, context: dict, value: str):
    """What the field's own model, made of `value` and `context` alone, keeps of it; None when it refuses."""
    try:
        return getattr(field.model.model_validate({**context, field.path[-1]: value}), attribute(field))
    except ValidationError:
        pass
    try:  # the model needs more than these two: run the field's own checks on an instance built without them
        instance = field.model.model_construct(**context)
        field.model.__pydantic_validator__.validate_assignment(instance, attribute(field), value)
        return getattr(instance, attribute(field))
    except (ValidationError, AttributeError, KeyError, TypeError):
        return None


def kept(field: StringField, context: dict, value: str):
    """What the field keeps of `value` (beside `context`): its model's answer, else its type's alone."""
    found = owner_keeps(field, context, value)
    if found is not None:
        return found
    info = field_info(field)
    try:
        return TypeAdapter(Annotated[info.annotation, info]).validate_python(value)
    except ValidationError:
        return None


def normalised_away(field: StringField, context: dict, value: str, suffix: str) -> bool:
    """Does the field take `value` only by keeping a form without the suffix's characters (a name's
    trailing whitespace stripped, a number's separators dropped)?"""
    found = kept(field, context, value)
    return isinstance(found, str) and not any(char in found for char in suffix)


def valid_values(top: type[BaseModel], field: StringField):
    """(context, strategy of values the field accepts where it stands in `top`); None when none is found.
    A context in which the field's model takes the value whole is preferred."""
    if field.examples:
        values = list(field.examples)
    elif field.pattern is not None:
        return contexts(field)[0], st.from_regex(field.pattern, fullmatch=True)
    elif field.valid is not None:
        values = [field.valid]
    else:
        values = list(CANDIDATES)
    fallback = None
    for context in contexts(field):
        for value in values:
            if field.pointer in model_errors(top, nested(field, value, context)):
                continue
            if owner_keeps(field, context, value) is not None:
                return context, st.just(value)
            fallback = fallback or (context, st.just(value))
    return fallback


def _fields(models) -> list[tuple[type[BaseModel], StringField]]:
    return [(model, field) for model in models for field in string_fields(model)]


def _check(failures: list, label: str, top, field: StringField, refuse) -> None:
    """Runs `refuse(value) -> pointer -> code` for valid values + each suffix and collects what got through."""
    found = valid_values(top, field)
    if found is None:
        failures.append(f"{label}: no value passes {field!r}; add one of its shape to tests/validators.py CANDIDATES")
        return
    context, strategy = found

    @hypothesis_settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                         suppress_health_check=list(HealthCheck))
    @given(strategy)
    def check(valid):
        for suffix in SUFFIXES:
            if field.multiline and suffix == "\n":
                continue  # a note of several lines ends in a line feed as it likes
            errors = refuse(nested(field, valid + suffix, context))
            if field.pointer not in errors and not normalised_away(field, context, valid + suffix, suffix):
                failures.append(f"{label}: {field!r} took {valid + suffix!r}")

    check()


# --- through the API ---------------------------------------------------------------------------------------


@pytest.fixture
def callers(app, db, settings):
    from starlette.testclient import TestClient

    tenant = make_tenant(db)
    admin = make_account(db, settings, tenant.id, "boss@acme.test")
    operator = make_account(db, settings, None, "ops@pbx.test", role="operator")
    clients = {role: TestClient(app, headers={"authorization": f"Bearer {make_token(db, account)}"})
               for role, account in (("admin", admin), ("operator", operator))}
    plan = clients["admin"].post("/api/plans", json={"name": "Reception", "steps": []})
    assert plan.status_code == 201, plan.text
    return clients, plan.json()["id"]


def test_the_walk_finds_the_validators():
    """The discovery must see what it is meant to: the extension of a user, a step's id in a plan, the
    number of a transfer, a destination's number (each model once, where it is met first)."""
    found = {(route.method, route.path, field.pointer) for route in _routes() for field in string_fields(route.body_model)}
    assert len(found) > 150
    for expected in (("POST", "/api/users", "/extension"), ("PATCH", "/api/users/{id:int}", "/first_name"),
                     ("POST", "/api/plans", "/steps/0/to/extension"), ("POST", "/api/plans", "/steps/0/id"),
                     ("POST", "/api/users", "/voicemail/forward_to/number"), ("POST", "/api/departments", "/caller_id_number")):
        assert expected in found, expected


def test_every_checked_field_of_the_api_refuses_a_trailing_control_character(callers):
    clients, plan_id = callers
    failures: list[str] = []
    for route in _routes():
        role = "admin" if allowed("admin", route.permission) else "operator"
        path = fill(route.path, id=plan_id if isinstance(route, PlanRoute) else 999999)
        client = clients[role]

        for field in string_fields(route.body_model):
            def refuse(document, route=route, path=path, client=client):
                response = client.request(route.method, path, json=document)
                if response.status_code != 422:
                    # the route stops before the body (no such object for this caller): the model decides
                    return model_errors(route.body_model, document) if response.status_code in (403, 404, 409) else {}
                return {error["pointer"]: error["code"] for error in response.json().get("errors", [])}

            _check(failures, f"{route.method} {route.path}", route.body_model, field, refuse)
    assert not failures, "\n".join(failures)


# --- models no route takes -----------------------------------------------------------------------------------


def _other_models():
    on_api = api_models(_routes())
    return [model for model in project_models() if model not in on_api and not typing.get_args(model)]


@pytest.mark.parametrize("model", _other_models(), ids=lambda m: f"{m.__module__}.{m.__qualname__}")
def test_every_checked_field_of_the_other_models_refuses_a_trailing_control_character(model):
    failures: list[str] = []
    own = [field for field in string_fields(model) if field.model is model]
    for field in own:
        def refuse(document):
            return model_errors(model, document)

        _check(failures, model.__qualname__, model, field, refuse)
    assert not failures, "\n".join(failures)
