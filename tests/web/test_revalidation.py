"""What every page asks for again on each load is cheap to answer when unchanged: the texts and the
call-plan schema are revalidated (ETag, 304) like the scripts, and the scripts, styles and schema are
found before the API's routes (Starlette tries routes in order). Asked for by their current version
(?v=, as the pages name them), they are not asked for again at all: the browser keeps them."""

from __future__ import annotations

import re

from starlette.routing import Mount

from web import i18n, pages
from web.cache_policy import IMMUTABLE, file_version


def test_texts_are_revalidated_with_an_etag(client):
    first = client.get("/api/i18n/nl")
    assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
    etag = first.headers["etag"]
    assert first.json()["ui.login.title"] == "Inloggen"
    again = client.get("/api/i18n/nl", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    # another language, another tag: never the Dutch texts for an English page
    english = client.get("/api/i18n/en", headers={"If-None-Match": etag})
    assert english.status_code == 200 and english.json()["ui.login.title"] != "Inloggen"
    assert english.headers["etag"] != etag
    assert client.get("/api/i18n/nl", headers={"If-None-Match": '"stale"'}).status_code == 200
    assert client.get("/api/i18n/xx", headers={"If-None-Match": etag}).status_code == 404


def test_the_schema_is_revalidated_with_an_etag(client):
    first = client.get("/schemas/callplan.schema.json")
    assert first.status_code == 200 and first.json()["title"]
    again = client.get("/schemas/callplan.schema.json", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert client.get("/schemas/callplan.schema.json", headers={"If-None-Match": '"stale"'}).status_code == 200


def test_assets_come_before_the_api_routes(app):
    paths = [getattr(route, "path", "") for route in app.routes]
    static = next(i for i, route in enumerate(app.routes) if isinstance(route, Mount) and route.path == "/static")
    first_api = next(i for i, path in enumerate(paths) if path.startswith("/api/"))
    assert static < first_api and paths.index("/schemas/callplan.schema.json") < first_api
    # and the pages still answer, after the API
    assert paths.index("/plans/{id}") > first_api
    assert {route.path for route in pages.asset_routes()} == {"/static", "/schemas/callplan.schema.json"}


def test_versioned_addresses_are_kept_and_any_other_revalidated(client):
    html = client.get("/plans/7").text
    script = re.search(r'<script type="module" blocking="render" src="(/static/js/canvas/editor\.js\?v=([0-9a-f]+))"></script>', html)
    style = re.search(r'<link rel="stylesheet" href="(/static/css/app\.css\?v=[0-9a-f]+)">', html)
    texts = re.search(r'href="(/api/i18n/en\?v=[0-9a-f]+)"', html)
    schema = re.search(r'href="(/schemas/callplan\.schema\.json\?v=[0-9a-f]+)"', html)
    assert script and style and texts and schema, html
    assert script.group(2) == file_version(pages.SCRIPTS_DIR / "canvas" / "editor.js")
    for address in (script.group(1), style.group(1), texts.group(1), schema.group(1)):
        kept = client.get(address)
        assert kept.status_code == 200 and kept.headers["cache-control"] == IMMUTABLE, address
        plain = address.split("?")[0]
        # the plain address, or a version that is not the file's (a page from before an update: today's
        # file, never kept under the old name)
        for other in (plain, plain + "?v=0123456789abcdef", plain + "?v="):
            answer = client.get(other)
            assert answer.status_code == 200 and answer.headers["cache-control"] == "no-cache", other
            assert answer.content == kept.content
    assert texts.group(1).endswith(i18n.page_texts("en")[1])


def test_a_changed_file_gets_a_new_version(tmp_path):
    from web.cache_policy import file_version as version

    file = tmp_path / "x.js"
    file.write_text("export const a = 1;\n")
    first = version(file)
    assert first == version(file) and len(first) == 16
    file.write_text("export const a = 22;\n")  # another size: read again
    assert version(file) != first
    assert version(tmp_path / "gone.js") is None
