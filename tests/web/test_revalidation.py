"""What every page asks for again on each load is cheap to answer when unchanged: the texts and the
call-plan schema are revalidated (ETag, 304) like the scripts, and the scripts, styles and schema are
found before the API's routes (Starlette tries routes in order)."""

from __future__ import annotations

from starlette.routing import Mount

from web import pages


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
