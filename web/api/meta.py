"""The API describing itself: health, the OpenAPI document, the page texts."""

from __future__ import annotations

from sqlalchemy import text
from starlette.responses import JSONResponse, Response

from web import i18n
from web.api.problems import Problem
from web.api.routing import api
from web.cache_policy import cache_control
from web.validation import LANGUAGES


def health(ctx):
    """Is the app up and its database reachable."""
    ctx.db.connection().execute(text("SELECT 1"))
    return {"status": "ok"}


def openapi_document(ctx):
    """This API's OpenAPI 3.1 description."""
    from web.api import openapi

    app = ctx.request.app
    if not hasattr(app.state, "openapi"):
        app.state.openapi = openapi.build(app.routes)
    return JSONResponse(app.state.openapi)


def messages(ctx, lang: str):
    """The portal's texts in one language. Every page asks for them (~100 kB): a browser that has them
    revalidates (ETag) and gets a 304; asked for by their version (?v=, as the canvas's head names them)
    they are kept by the browser until the texts change."""
    if lang not in LANGUAGES:
        raise Problem(404, "not_found")
    body, version = i18n.page_texts(lang)
    etag = f'"{version}"'
    headers = {"ETag": etag, "Cache-Control": cache_control(ctx.request.query_params.get("v"), version)}
    asked = ctx.request.headers.get("if-none-match", "")
    if etag in (tag.strip().removeprefix("W/") for tag in asked.split(",")):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


routes = [
    api("GET", "/api/health", health, permission="public"),
    api("GET", "/api/openapi.json", openapi_document, permission="public"),
    api("GET", "/api/i18n/{lang}", messages, permission="public"),
]
