"""The API describing itself: health, the OpenAPI document, the page texts."""

from __future__ import annotations

from sqlalchemy import text
from starlette.responses import JSONResponse

from web import i18n
from web.api.problems import Problem
from web.api.routing import api
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
    """The portal's texts in one language."""
    if lang not in LANGUAGES:
        raise Problem(404, "not_found")
    return i18n.page_messages(lang)


routes = [
    api("GET", "/api/health", health, permission="public"),
    api("GET", "/api/openapi.json", openapi_document, permission="public"),
    api("GET", "/api/i18n/{lang}", messages, permission="public"),
]
