"""Every API operation a person can use is asked for by some browser module (static/js/**): the developers'
rule "every feature a user can use has a screen", checked where it is cheapest to forget, when a route is
added. The few operations only machines use are listed below, each with why.

A module asks for an operation when it has a string or template literal that starts with "/api/" and
matches the operation's path: `${...}` stands for any text within one segment, "{id}" (the toolkit's
bodySchema paths) for one segment, a query string is ignored. The method counts when the call names it
(api("PATCH", ...), get(), post(), patch(), del(), upload("POST", ...), fetch(), preloaded()); a path
kept in a variable, an href, a src or an object type's `path:` may be any method. An object type's
`path: "/api/x"` (static/js/objects/) also stands for "/api/x/{id}", which the toolkit (crud.js, sheet.js,
confirm.js) asks for as `${type.path}/${row.id}`; a template that starts with a hole and goes on with a
named segment (`${path}/import/preview`) may be under any API path. A bodySchema("POST", "/api/x") lookup reads the API's
description, not the operation: it asks for nothing. Comments are no references.

Only the API's routes (web.api.routing.ApiRoute, what /api/openapi.json describes) are walked: FreeSWITCH's
fetches (/freeswitch/xml, /freeswitch/cdr) and the phones' provisioning files are other routes, for
machines by construction.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from web import pages
from web.api.routing import ApiRoute
from web.app import api_routes

JS = pages.SCRIPTS_DIR

# Operations no screen asks for, on purpose. Keep it small: a reason per line.
NO_SCREEN = {
    # load balancers, compose's healthcheck and uptime monitors poll it; people never do
    "GET /api/health": "machines",
    # the live page has the same registrations from /api/live/snapshot and then the live feed;
    # this one is for API clients (a wallboard, a monitoring script)
    "GET /api/registrations": "API clients",
    # /faxes lists every field of a fax and links its PDF; one fax by id is for API clients
    "GET /api/faxes/{id:int}": "API clients",
    # /messages lists every box's messages from /api/me/voicemail/messages; per box is for API clients
    "GET /api/me/voicemail/boxes/{box_id:int}/messages": "API clients",
    # the schedules screen shows the same warnings from POST /api/schedules/preview while one is edited
    "GET /api/schedules/{id:int}/lint": "API clients",
    # asked for by the addresses the API itself hands the page (a message's audio_url, a statement's url)
    "GET /api/me/voicemail/boxes/{box_id:int}/messages/{uuid}/audio": "address in the answer",
    "GET /api/statements/{month}.pdf": "address in the answer",
    # the operator's home lists the companies with their counts from /api/platform/companies
    "GET /api/tenants": "API clients",
}

# Screens still to be built (each one leaves this list in the commit that adds its screen; the test
# fails when an entry here is asked for by a module, so the list cannot go stale).
SCREENS_TO_BUILD: set[str] = set()

_METHOD_NAMED = re.compile(r"""\b(?:api|upload)\(\s*["'](GET|POST|PUT|PATCH|DELETE)["']\s*,\s*$""")
_METHOD_OF_HELPER = re.compile(r"\b(get|preloaded|fetch|post|patch|put|del)\(\s*$")
_HELPERS = {"get": "GET", "preloaded": "GET", "fetch": "GET", "post": "POST", "patch": "PATCH", "put": "PUT", "del": "DELETE"}
_SCHEMA_LOOKUP = re.compile(r"""\bbodySchema\(\s*["'](?:GET|POST|PUT|PATCH|DELETE)["']\s*,\s*$""")
_OBJECT_TYPE_PATH = re.compile(r"\bpath:\s*$")
_ANY_PATH = object()  # the hole a template starts with, before a named segment: any API path


def literals(source: str) -> list[tuple[int, list]]:
    """Every string and template literal outside comments: (offset, parts), parts being the literal's text
    and None for each `${...}` hole. JavaScript's regular-expression literals are not told from division
    (the modules have none with a quote or backtick in them; a stray one fails loudly, unclosed)."""
    n = len(source)

    def quoted(i):
        quote, j = source[i], i + 1
        while source[j:j + 1] != quote:
            if source[j:j + 1] == "\\":
                j += 1
            elif source[j:j + 1] in ("\n", ""):
                raise ValueError(f"an unclosed string at offset {i}")
            j += 1
        return source[i + 1:j], j + 1

    def template(i):  # i: after the opening backtick
        parts, text = [], []
        while i < n:
            c = source[i]
            if c == "\\":
                text.append(source[i:i + 2])
                i += 2
            elif c == "`":
                parts.append("".join(text))
                return parts, i + 1
            elif source.startswith("${", i):
                parts += ["".join(text), None]
                text = []
                i = hole(i + 2)
            else:
                text.append(c)
                i += 1
        raise ValueError("an unclosed template literal")

    def hole(i):  # i: after "${"; answers the offset after its "}"
        depth = 1
        while i < n:
            c = source[i]
            if c in "\"'":
                i = quoted(i)[1]
                continue
            if c == "`":
                i = template(i + 1)[1]
                continue
            depth += {"{": 1, "}": -1}.get(c, 0)
            i += 1
            if depth == 0:
                return i
        raise ValueError("an unclosed ${")

    found, i = [], 0
    while i < n:
        if source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif source.startswith("/*", i):
            i = source.index("*/", i) + 2
        elif source[i] in "\"'":
            text, end = quoted(i)
            found.append((i, [text]))
            i = end
        elif source[i] == "`":
            parts, end = template(i + 1)
            found.append((i, parts))
            i = end
        else:
            i += 1
    return found


def _pattern(parts: list) -> str:
    out = []
    for part in parts:
        if part is _ANY_PATH:
            out.append(r"[^?]+")
            continue
        if part is None:
            out.append(r"[^/?]*")
            continue
        text, query, _ = part.partition("?")
        out.append(re.sub(r"\\\{\w+\\\}", r"[^/?]+", re.escape(text)))
        if query or _:
            break
    return "".join(out)


def references(modules: dict[str, str]) -> list[tuple[str | None, re.Pattern, str]]:
    """(method or None for any, path pattern, module) for every API address the modules hold."""
    found = []
    for name, source in modules.items():
        for offset, parts in literals(source):
            if parts[0] == "" and len(parts) > 2 and re.match(r"/[a-z]", parts[2] or ""):
                parts = ["/api/", _ANY_PATH, *parts[2:]]  # `${path}/import/preview`: under a path the caller gives
            if not parts[0].startswith("/api/"):
                continue
            before = source[max(0, offset - 60):offset]
            if _SCHEMA_LOOKUP.search(before):
                continue
            named = _METHOD_NAMED.search(before)
            helper = _METHOD_OF_HELPER.search(before)
            method = named.group(1) if named else _HELPERS[helper.group(1)] if helper else None
            pattern = _pattern(parts)
            found.append((method, re.compile(pattern), name))
            if len(parts) == 1 and _OBJECT_TYPE_PATH.search(before):
                found.append((None, re.compile(pattern + r"/[^/?]+"), name))  # crud.js: `${type.path}/${row.id}`
    return found


def browser_modules() -> dict[str, str]:
    return {str(path.relative_to(JS)): path.read_text(encoding="utf-8") for path in sorted(JS.rglob("*.js"))}


def operation(route: ApiRoute) -> str:
    return f"{route.method} {route.path}"


def asked_by(route: ApiRoute, found) -> list[str]:
    sample = re.sub(r"{\w+(?::\w+)?}", "7", route.path)
    return [name for method, pattern, name in found if method in (None, route.method) and pattern.fullmatch(sample)]


def unasked(routes, found) -> list[str]:
    return sorted(operation(route) for route in routes if not asked_by(route, found))


def _api_routes() -> list[ApiRoute]:
    return [route for route in api_routes() if isinstance(route, ApiRoute)]


def test_every_operation_is_asked_for_by_a_browser_module():
    missing = set(unasked(_api_routes(), references(browser_modules())))
    assert missing - set(NO_SCREEN) - SCREENS_TO_BUILD == set(), "an operation no screen uses: build its screen, or say why not in NO_SCREEN"


def test_the_lists_name_real_operations_that_no_module_asks_for():
    """A stale entry would hide the next forgotten screen: every entry is a route, still unasked."""
    routes = {operation(route): route for route in _api_routes()}
    found = references(browser_modules())
    for entry in sorted(set(NO_SCREEN) | SCREENS_TO_BUILD):
        assert entry in routes, f"{entry}: no such operation"
        assert asked_by(routes[entry], found) == [], f"{entry} is asked for now: take it off the list"
    assert not set(NO_SCREEN) & SCREENS_TO_BUILD


def _route(method, path):
    return ApiRoute(method, path, lambda ctx: None, permission="pbx.manage")


def test_the_check_tells_an_asked_operation_from_one_nobody_asks_for():
    modules = {
        "a.js": """
            import { bodySchema } from "./schema.js";
            // patch("/api/commented/1") is an explanation, not a call
            /* del("/api/commented/1") neither */
            await patch(`/api/widgets/${row.id}`, body);
            const form = await bodySchema("POST", "/api/gadgets");
            const csv = `/api/reports/${kind === "queue" ? "queues" : "agents"}.csv?${query}`;
            export default { path: "/api/things" };
            el("a", { href: `/api/faxes/${fax.id}/pdf` });
            await api("POST", "/api/actions/{id}/go");
            await upload("POST", `${path}/import/preview`, body);  // path: "/api/phonebook" or "/api/me/contacts"
            const item = `${type.path}/${row.id}`;  // no help: the toolkit's object types say their paths
        """,
    }
    found = references(modules)
    routes = [_route(m, p) for m, p in [
        ("PATCH", "/api/widgets/{id:int}"), ("DELETE", "/api/widgets/{id:int}"),  # only the PATCH is called
        ("POST", "/api/gadgets"),  # a schema lookup is no call
        ("GET", "/api/reports/queues.csv"), ("GET", "/api/reports/agents.csv"),
        ("GET", "/api/things"), ("POST", "/api/things"), ("DELETE", "/api/things/{id:int}"),  # the toolkit's
        ("GET", "/api/things/{id:int}/more"),
        ("GET", "/api/faxes/{id:int}/pdf"), ("POST", "/api/actions/{id:int}/go"), ("GET", "/api/actions/{id:int}/go"),
        ("GET", "/api/commented/{id:int}"), ("DELETE", "/api/commented/{id:int}"),
        ("POST", "/api/phonebook/import/preview"), ("POST", "/api/me/contacts/import/preview"),
        ("GET", "/api/phonebook/import/preview"), ("GET", "/api/nothing/{id:int}"),
    ]]
    assert unasked(routes, found) == [
        "DELETE /api/commented/{id:int}", "DELETE /api/widgets/{id:int}", "GET /api/actions/{id:int}/go",
        "GET /api/commented/{id:int}", "GET /api/nothing/{id:int}", "GET /api/phonebook/import/preview",
        "GET /api/things/{id:int}/more", "POST /api/gadgets",
    ]


@pytest.mark.parametrize("source", ['const a = "/api/x', "const a = `/api/${x`"])
def test_a_module_the_check_cannot_read_fails_it(source):
    with pytest.raises(ValueError):
        literals(source)
