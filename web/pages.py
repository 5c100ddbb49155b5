"""The portal's HTML pages. They are static shells: the data arrives through the JSON API, which
does every permission check, so a page itself shows nothing to someone not logged in."""

from __future__ import annotations

from starlette.responses import FileResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from web.settings import REPO_ROOT

STATIC_DIR = REPO_ROOT / "static"

# path -> HTML file in static/
PAGES = {
    "/": "shell.html",
    "/login": "login.html",
    "/set-password": "set-password.html",
    "/forgot-password": "forgot-password.html",
    "/account/security": "security.html",
    "/plans": "plans.html",
    "/plans/{id}": "plan.html",  # any id: the page itself sends a wrong one back to the list
    "/live": "live.html",
    "/calls": "calls.html",
    "/integrations": "integrations.html",
}

# The call-plan schema, for the canvas's palette and step forms (no secrets: the API's own contract).
SCHEMA_FILE = REPO_ROOT / "schemas" / "callplan.schema.json"

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class PageRoute(Route):
    permission = "public"

    def __init__(self, path: str, filename: str):
        file = STATIC_DIR / filename

        async def page(_request):
            return FileResponse(file, media_type="text/html", headers=SECURITY_HEADERS)

        super().__init__(path, page, methods=["GET"], name=f"page:{filename}")


class StaticMount(Mount):
    permission = "public"


class RevalidatedStaticFiles(StaticFiles):
    """Scripts and styles are revalidated on every load (ETag makes that cheap), so after an update a
    browser never runs old scripts against new pages."""

    def file_response(self, *args, **kwargs):
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


class SchemaRoute(Route):
    permission = "public"

    def __init__(self):
        async def schema(_request):
            return FileResponse(SCHEMA_FILE, media_type="application/json",
                                headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})

        super().__init__("/schemas/callplan.schema.json", schema, methods=["GET"], name="schema:callplan")


def routes() -> list:
    return [PageRoute(path, filename) for path, filename in PAGES.items()] + [SchemaRoute()] + [
        StaticMount("/static", app=RevalidatedStaticFiles(directory=STATIC_DIR), name="static")
    ]
