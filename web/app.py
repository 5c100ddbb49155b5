"""The ASGI app: `web.app:app` for uvicorn, `create_app(settings)` for tests and other processes."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Match

import importlib
import pkgutil

import web.api
from web import i18n, live, pages
from web.api.problems import Problem, problem_response
from web.db import make_engine
from web.provisioning.routes import file_routes as provisioning_routes
from web.settings import Settings, get_settings
from web.xml_curl import PATH as XML_CURL_PATH, routes as xml_curl_routes
from web.xml_curl import cache as xml_curl_cache
from web.xml_curl.endpoint import fast as xml_curl_fast

log = logging.getLogger("web")

def api_modules() -> list:
    """Every module in web/api/ that exports `routes` (adding an API concept is one new module)."""
    modules = [importlib.import_module(f"web.api.{info.name}") for info in pkgutil.iter_modules(web.api.__path__)]
    return sorted((m for m in modules if hasattr(m, "routes")), key=lambda m: m.__name__)


def api_routes() -> list:
    return [route for module in api_modules() for route in module.routes]


async def _not_found(request: Request, exc) -> JSONResponse:
    lang = i18n.negotiate(request.headers.get("accept-language"))
    status = getattr(exc, "status_code", 404)
    code = {404: "not_found", 405: "method_not_allowed"}.get(status, "http_error")
    headers = {"Allow": _allowed(request)} if status == 405 else {}
    return problem_response(Problem(status, code, headers=headers), lang)


def _allowed(request: Request) -> str:
    """Every method the path has (RFC 9110): each API route is one method, and Starlette names only
    those of the first route whose path matched."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


async def _internal(request: Request, exc) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(Problem(500, "internal"), i18n.negotiate(request.headers.get("accept-language")))


class App(Starlette):
    """Starlette, with FreeSWITCH's fetches answered before its middleware and routing
    (web.xml_curl.endpoint.fast: anything it does not answer goes the usual way)."""

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"] == XML_CURL_PATH and await xml_curl_fast(self, scope, receive, send):
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, engine=None) -> Starlette:
    settings = settings or get_settings()
    app = App(
        # FreeSWITCH's fetches first: Starlette tries routes in order, and walking the ~140 API routes
        # before reaching it cost a dialplan fetch ~0.2 ms of CPU (bench/xml_curl.py)
        routes=xml_curl_routes() + pages.asset_routes() + api_routes() + live.routes() + pages.routes() + provisioning_routes(),
        exception_handlers={404: _not_found, 405: _not_found, 500: _internal},
        lifespan=live.lifespan,  # stops the live feed's reader (web/live.py)
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url)
    xml_curl_cache.of(app.state.engine).limit(settings.xml_cache_mb)  # FreeSWITCH's documents kept, per process
    from web.domain import switches  # late: the domain layer imports the models

    switches.use_engine(settings, app.state.engine)  # the switches' registry, for threads holding only settings
    return app


def __getattr__(name: str):
    # `web.app:app` is built on first use, so importing this module (tests, tools) reads no settings.
    if name == "app":
        global app
        app = create_app()
        return app
    raise AttributeError(name)
