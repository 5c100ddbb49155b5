"""The OpenAPI 3.1 document, generated from the declared routes and their pydantic models."""

from __future__ import annotations

import re
import typing

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from web.api.routing import ApiRoute

_PARAM = re.compile(r"{(\w+)(?::(\w+))?}")
REF = "#/components/schemas/{model}"


def _models_of(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_of(arg)]


def _schema_ref(annotation, definitions: dict) -> dict:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {"$ref": REF.format(model=annotation.__name__)}
    origin = typing.get_origin(annotation)
    if origin is list:
        (item,) = typing.get_args(annotation)
        return {"type": "array", "items": _schema_ref(item, definitions)}
    return TypeAdapter(annotation).json_schema(ref_template=REF)


def build(routes: list, title: str = "Callplan PBX API", version: str = "0.1.0") -> dict:
    api_routes = [route for route in routes if isinstance(route, ApiRoute)]
    models = {}
    for route in api_routes:
        for model in _models_of(route.body_model) + _models_of(route.response_model):
            models[model.__name__] = model
    _, schemas = models_json_schema(
        [(model, "validation") for model in models.values()], ref_template=REF
    )
    components = schemas.get("$defs", {})
    problem = {"content": {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}}}
    components["Problem"] = {
        "type": "object",
        "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "code": {"type": "string"}, "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object", "properties": {
                "pointer": {"type": "string", "description": "JSON pointer to the field at fault"},
                "code": {"type": "string"}, "message": {"type": "string"}}}},
        },
    }
    paths: dict = {}
    for route in api_routes:
        path = _PARAM.sub(r"{\1}", route.path)
        operation = {
            "operationId": f"{route.method.lower()}_{route.name}",
            "summary": route.summary,
            "x-permission": route.permission,
            "parameters": [
                {"name": name, "in": "path", "required": True,
                 "schema": {"type": "integer" if kind == "int" else "string"}}
                for name, kind in _PARAM.findall(route.path)
            ],
            "responses": {"default": {"description": "a problem", **problem}},
        }
        if route.body_model is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": REF.format(model=route.body_model.__name__)}}},
            }
        if route.form_fields:
            operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object",
                "required": list(route.form_fields),
                "properties": {name: {"type": "string", "format": "binary"} if kind == "file" else {"type": "string"}
                               for name, kind in route.form_fields.items()},
            }}}}
        if route.status == 204 or route.response_model is None:
            operation["responses"][str(route.status)] = {"description": "done"}
        else:
            operation["responses"][str(route.status)] = {
                "description": "ok",
                "content": {"application/json": {"schema": _schema_ref(route.response_model, components)}},
            }
        paths.setdefault(path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "pbx_session"},
                "token": {"type": "http", "scheme": "bearer"},
            },
        },
        "security": [{"session": []}, {"token": []}],
    }
