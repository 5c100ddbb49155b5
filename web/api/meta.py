"""The API describing itself: health, the OpenAPI document, the page texts."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from sqlalchemy import text
from starlette.responses import JSONResponse, Response

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


@lru_cache(maxsize=None)
def _texts(lang: str) -> tuple[bytes, str]:
    """A language's texts as sent, and their ETag: built once per process, as the catalogue is read once."""
    body = json.dumps(i18n.page_messages(lang), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def messages(ctx, lang: str):
    """The portal's texts in one language. Every page asks for them (~100 kB): a browser that has them
    revalidates (ETag) and gets a 304."""
    if lang not in LANGUAGES:
        raise Problem(404, "not_found")
    body, etag = _texts(lang)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    asked = ctx.request.headers.get("if-none-match", "")
    if etag in (tag.strip().removeprefix("W/") for tag in asked.split(",")):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


routes = [
    api("GET", "/api/health", health, permission="public"),
    api("GET", "/api/openapi.json", openapi_document, permission="public"),
    api("GET", "/api/i18n/{lang}", messages, permission="public"),
]
