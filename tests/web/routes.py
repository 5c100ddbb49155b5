"""Walking the app's routes: how to call each one with placeholder path values."""

from __future__ import annotations

import re

from web.api.routing import ApiRoute

_PARAM = re.compile(r"{(\w+)(?::(\w+))?}")
PLACEHOLDER = {"int": "999999", None: "en", "": "en", "str": "en"}


def api_routes(app) -> list[ApiRoute]:
    return [route for route in app.routes if isinstance(route, ApiRoute)]


def fill(path: str, **values) -> str:
    return _PARAM.sub(lambda m: str(values.get(m.group(1), PLACEHOLDER.get(m.group(2), "x"))), path)


def call(client, route: ApiRoute, **values):
    path = fill(route.path, **values)
    if route.body_model is not None:
        return client.request(route.method, path, json={})
    return client.request(route.method, path)


def route_id(route: ApiRoute) -> str:
    return f"{route.method} {route.path}"
