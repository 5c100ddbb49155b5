"""The portal's HTML pages. They are static shells: the data arrives through the JSON API, which
does every permission check, so a page itself shows nothing to someone not logged in.

Every logged-in page is the one shell, static/portal.html (head, header, menu place, <main>), filled
from its `Page` below: the module that runs it, the key of its title, and either its own markup inside
<main> (static/pages/<name>.html) or none, when the module draws the page with the toolkit. A new screen
is one `Page` line here, one module in static/js/, its menu entry (static/js/layout.js) and its texts.
The login pages keep small shells of their own (no header, no menu)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from html import escape
from pathlib import Path
from string import Template

from starlette.datastructures import QueryParams
from starlette.responses import FileResponse, HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import NotModifiedResponse, StaticFiles

from web import i18n
from web.cache_policy import cache_control, file_version
from web.module_graph import lazy_imports, static_imports
from web.settings import REPO_ROOT

STATIC_DIR = REPO_ROOT / "static"
SCRIPTS_DIR = STATIC_DIR / "js"
SHELL = STATIC_DIR / "portal.html"


@dataclass(frozen=True)
class Page:
    script: str  # its module, under static/js/
    title: str  # text key of its <title>
    markup: str | None = None  # its own markup inside <main>, static/pages/<markup>; None: the script draws it
    styles: tuple[str, ...] = ()  # stylesheets besides app.css, under static/css/
    width: str = ""  # "wide", "narrow" or "editor": how much of the screen <main> takes
    # modules run as soon as they are in, before the page's script and its imports (async module scripts,
    # under static/js/): the requests a page opens with, leaving while the rest of its modules load
    early: tuple[str, ...] = ()
    # what the page will GET first, asked for by the head itself (<link rel="preload" as="fetch">) while
    # the scripts load; {id} is the address's id (digits only, else nothing is asked), {lang} the language
    # the browser asks for. The script must fetch each exactly so (api.js preloaded(), a plain fetch()).
    prefetch: tuple[str, ...] = ()
    folded_menu: bool = False  # the menu behind its button at any width (pages that want all the room)
    # no frame before the page's module graph has run (<script blocking="render">): the page is hidden until
    # its texts are in (html.pending), so a frame before that lays out and styles a shell nobody sees
    # (~12 ms of the renderer's main thread on the canvas's critical path, bench/canvas.py)
    render_blocking: bool = False


BRIDGE_STYLES = ("portal-calls.css",)

# path -> the page
PAGES: dict[str, Page] = {
    "/": Page("shell.js", "ui.nav.home", styles=("schedules.css", "home.css")),
    "/account/security": Page("security.js", "ui.security.title", "security.html", width="narrow"),
    "/plans": Page("plans.js", "ui.plans.title", "plans.html", ("canvas.css",), width="wide"),
    # any id: the page itself sends a wrong one back to the list
    "/plans/{id}": Page("canvas/editor.js", "ui.canvas.title", "plan.html", ("canvas.css", "canvas-counts.css"), width="editor",
                        early=("canvas/opening.js",), folded_menu=True, render_blocking=True,
                        prefetch=("/api/plans/{id}/editor", "/api/auth/me", "/api/i18n/{lang}", "/schemas/callplan.schema.json")),
    "/live": Page("live.js", "ui.livepage.title", "live.html", BRIDGE_STYLES, width="wide"),
    "/agent": Page("agent.js", "ui.agentpanel.title", "agent.html", BRIDGE_STYLES + ("agent.css",), width="wide"),
    "/call-statuses": Page("call-statuses.js", "ui.call_statuses.title"),
    "/calls": Page("calls.js", "ui.calls.title", "calls.html", BRIDGE_STYLES + ("report-mail.css", "recordings.css"), width="wide"),
    "/reports": Page("reports.js", "ui.reports.title", "reports.html", BRIDGE_STYLES + ("reports.css", "report-mail.css"),
                      width="wide"),
    "/statements": Page("statements.js", "ui.statements.title", "statements.html", ("statements.css",), width="wide"),
    "/faxes": Page("faxes.js", "ui.faxes.title", "faxes.html", ("faxes.css",), width="wide"),
    "/integrations": Page("integrations.js", "ui.integrations.title", "integrations.html", BRIDGE_STYLES, width="wide"),
    "/departments": Page("departments.js", "ui.departments.title"),
    "/pickup-groups": Page("pickup-groups.js", "ui.pickup.title"),
    "/phonebook": Page("phonebook.js", "ui.phonebook.title", styles=("phonebook.css",)),
    "/accounts": Page("accounts.js", "ui.accounts.title", styles=("accounts.css",), width="wide"),
    "/me": Page("me.js", "ui.me.title", styles=("people.css", "phonebook.css", "me.css"), width="wide"),
    "/account/profile": Page("profile.js", "ui.profile.title", styles=("accounts.css",)),
    "/audit": Page("audit.js", "ui.audit.title", styles=("accounts.css",), width="wide"),
    "/schedules": Page("schedules.js", "ui.schedules.title", styles=("schedules.css",), width="wide"),
    "/ivr-menus": Page("ivr-menus.js", "ui.ivr.title", styles=("ivr.css",), width="wide"),
    "/users": Page("users.js", "ui.users.title", styles=("people.css",), width="wide"),
    # any id: the page itself sends a wrong one back to the list
    "/users/{id}": Page("user-page.js", "ui.users.title", styles=("people.css",), width="wide"),
    "/devices": Page("devices.js", "ui.devices.title", styles=("people.css",), width="wide"),
    "/ring-groups": Page("ring-groups.js", "ui.ring_groups.title", styles=("groups.css",)),
    "/queues": Page("queues.js", "ui.queues.title", styles=("groups.css",)),
    "/numbers": Page("numbers.js", "ui.numbers.title", styles=("numbers.css",), width="wide"),
    "/voicemail": Page("voicemail.js", "ui.voicemail.title", width="wide"),
    "/page-groups": Page("page-groups.js", "ui.page.title", styles=("groups.css",)),
    "/conference-rooms": Page("conference-rooms.js", "ui.conference.title", styles=("conference.css",), width="wide"),
    "/parking": Page("parking.js", "ui.parking.title", styles=("parking.css",)),
    "/messages": Page("voicemail-messages.js", "ui.vmsg.title", styles=("voicemail-messages.css",), width="wide"),
    "/recordings": Page("recordings.js", "ui.recordings.title", styles=("recordings.css",), width="wide"),
    "/audio": Page("audio.js", "ui.audio.title", width="wide"),
    "/company": Page("company.js", "ui.company.title", styles=("company.css",)),
}

# path -> HTML file in static/: the pages before a login (a card of their own)
OWN_PAGES = {
    "/login": "login.html",
    "/set-password": "set-password.html",
    "/forgot-password": "forgot-password.html",
}

# The call-plan schema, for the canvas's palette and step forms (no secrets: the API's own contract).
SCHEMA_FILE = REPO_ROOT / "schemas" / "callplan.schema.json"
SCHEMA_PATH = "/schemas/callplan.schema.json"

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def static_url(name: str) -> str:
    """The address of static/`name` (e.g. "js/api.js") with its version (web.cache_policy): kept by the
    browser until the file changes (then the page names another address)."""
    version = file_version(STATIC_DIR / name)
    return f"/static/{name}?v={version}" if version else f"/static/{name}"


def page_policy(import_map: str) -> str:
    """The pages' Content-Security-Policy, letting in exactly this page's import map (an inline script
    as far as CSP goes: data, no code; named by its hash)."""
    digest = base64.b64encode(hashlib.sha256(import_map.encode()).digest()).decode()
    return SECURITY_HEADERS["Content-Security-Policy"].replace(
        "default-src 'self';", f"default-src 'self'; script-src 'self' 'sha256-{digest}';", 1)


def _prefetches(page: Page, params: dict, accept_language: str | None) -> list[str]:
    id_ = str(params.get("id", ""))
    if "{id}" in "".join(page.prefetch) and not id_.isdigit():
        return []
    lang = i18n.negotiate(accept_language)
    values = {"{id}": id_, "{lang}": lang}
    # what the browser may keep, asked for by its version (web.cache_policy); the script takes the
    # address from the head (i18n.js preloadedAddress) to fetch exactly what was preloaded
    versions = {f"/api/i18n/{lang}": i18n.page_texts(lang)[1], SCHEMA_PATH: file_version(SCHEMA_FILE)}
    addresses = []
    for template in page.prefetch:
        for name, value in values.items():
            template = template.replace(name, value)
        addresses.append(f"{template}?v={versions[template]}" if versions.get(template) else template)
    return addresses


def render(page: Page, params: dict | None = None, accept_language: str | None = None) -> tuple[str, str]:
    """The shell filled for `page`, and its Content-Security-Policy. Read on every request (two small
    files), so an edit shows at once. Every module the page's script imports is named in the head
    (modulepreload), fetched at once instead of level by level as the browser finds the imports.

    Scripts and styles are named by versioned addresses (static_url), kept by the browser until they
    change. A module imports another by its plain address ("./model.js"): the page's import map turns
    each plain address into the versioned one, for the page's own imports and any other (a test's
    import("/static/js/sheet.js") gets the page's instance, not a second one), also for the modules
    loaded only when wanted (a literal import("./x.js"), web.module_graph.lazy_imports)."""
    graph = [name for name in static_imports(SCRIPTS_DIR, page.script) if name not in page.early]
    # the modules it loads only when wanted (import("./x.js")): in the import map, not preloaded
    modules = [*page.early, page.script, *graph, *lazy_imports(SCRIPTS_DIR, page.script)]
    versioned = {f"/static/js/{name}": static_url(f"js/{name}") for name in modules}
    import_map = json.dumps({"imports": versioned}, separators=(",", ":"))
    assert "<" not in import_map  # our own file names: nothing that could end the script element
    head = [f'  <script type="importmap">{import_map}</script>\n']
    head += [f'  <link rel="preload" as="fetch" crossorigin href="{escape(address)}">\n'
             for address in _prefetches(page, params or {}, accept_language)]
    head += [f'  <link rel="stylesheet" href="{escape(static_url("css/" + name))}">\n' for name in page.styles]
    head += [f'  <script type="module" async src="{escape(versioned[f"/static/js/{name}"])}"></script>\n' for name in page.early]
    blocking = ' blocking="render"' if page.render_blocking else ""
    head.append(f'  <script type="module"{blocking} src="{escape(versioned[f"/static/js/{page.script}"])}"></script>\n')
    head += [f'  <link rel="modulepreload" href="{escape(versioned[f"/static/js/{name}"])}">\n' for name in graph]
    content = (STATIC_DIR / "pages" / page.markup).read_text(encoding="utf-8") if page.markup else ""
    content = "".join(f"    {line}" if line.strip() else line for line in content.splitlines(keepends=True))
    html = Template(SHELL.read_text(encoding="utf-8")).substitute(
        title=escape(page.title),
        app_css=escape(static_url("css/app.css")),
        # by its version too: kept by the browser, not asked of the server again (twice) on every page
        favicon=escape(static_url("favicon.svg")),
        head="".join(head),
        body_attributes=' data-menu="folded"' if page.folded_menu else "",
        main_class=f"page page-{page.width}" if page.width else "page",
        content=content,
    )
    return html, page_policy(import_map)


class PageRoute(Route):
    permission = "public"

    def __init__(self, path: str, page: Page):
        async def endpoint(request):
            html, policy = render(page, request.path_params, request.headers.get("accept-language"))
            return HTMLResponse(html, headers={**SECURITY_HEADERS, "Content-Security-Policy": policy})

        super().__init__(path, endpoint, methods=["GET"], name=f"page:{path}")


class OwnPageRoute(Route):
    permission = "public"

    def __init__(self, path: str, filename: str):
        file = STATIC_DIR / filename

        async def endpoint(_request):
            return FileResponse(file, media_type="text/html", headers=SECURITY_HEADERS)

        super().__init__(path, endpoint, methods=["GET"], name=f"page:{filename}")


class StaticMount(Mount):
    permission = "public"


class RevalidatedStaticFiles(StaticFiles):
    """Scripts and styles asked for by their current version (?v=, static_url) are kept by the browser;
    any other address is revalidated on every load (ETag makes that cheap): after an update a browser
    never runs old scripts against new pages."""

    def file_response(self, full_path, stat_result, scope, status_code=200):
        response = super().file_response(full_path, stat_result, scope, status_code)
        asked = QueryParams(scope.get("query_string", b"")).get("v")
        response.headers["Cache-Control"] = cache_control(asked, file_version(Path(full_path)) if asked else None)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


class SchemaRoute(Route):
    permission = "public"

    def __init__(self):
        async def schema(request):
            # Like the scripts: kept when asked for by its version, else revalidated (a 304, not 28 kB again).
            policy = cache_control(request.query_params.get("v"), file_version(SCHEMA_FILE))
            response = FileResponse(SCHEMA_FILE, media_type="application/json", stat_result=os.stat(SCHEMA_FILE),
                                    headers={"Cache-Control": policy, "X-Content-Type-Options": "nosniff"})
            if RevalidatedStaticFiles.is_not_modified(None, response.headers, request.headers):
                return NotModifiedResponse(response.headers)
            return response

        super().__init__(SCHEMA_PATH, schema, methods=["GET"], name="schema:callplan")


def asset_routes() -> list:
    """The scripts, styles and schema: web.app puts them before the API's ~250 routes, which Starlette
    tries one by one (~1 ms a request on this machine; a page asks for ~20 files)."""
    return [SchemaRoute(), StaticMount("/static", app=RevalidatedStaticFiles(directory=STATIC_DIR), name="static")]


def routes() -> list:
    return ([PageRoute(path, page) for path, page in PAGES.items()]
            + [OwnPageRoute(path, filename) for path, filename in OWN_PAGES.items()])
