"""The API describes itself; the message catalogue is complete in both languages."""

from __future__ import annotations

import re

from tests.web.routes import api_routes
from web import i18n


def test_openapi_lists_every_api_route_with_its_permission(client, app):
    document = client.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    for route in api_routes(app):
        path = re.sub(r"{(\w+):\w+}", r"{\1}", route.path)
        operation = document["paths"][path][route.method.lower()]
        assert operation["x-permission"] == route.permission
        if route.body_model is not None:
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            assert ref.split("/")[-1] in document["components"]["schemas"]
    login = document["paths"]["/api/auth/login"]["post"]
    assert login["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/LoginRequest")
    assert set(document["components"]["schemas"]["LoginRequest"]["properties"]) == {"email", "password"}


def test_both_languages_have_every_message():
    catalogue = i18n.catalogue()
    assert set(catalogue) == {"en", "nl"}
    assert set(catalogue["en"]) == set(catalogue["nl"])
    for key, text in catalogue["en"].items():
        # the same placeholders in both languages
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", catalogue["nl"][key])), key


def test_every_problem_code_used_in_the_code_has_a_text():
    from pathlib import Path

    source = "".join(p.read_text() for p in Path(i18n.__file__).parents[1].rglob("*.py"))
    codes = set(re.findall(r'Problem\(\s*\d+,\s*"(\w+)"', source)) | set(re.findall(r'field_problem\(\s*\d+,\s*"(\w+)"', source))
    missing = sorted(code for code in codes if f"problem.{code}" not in i18n.catalogue()["en"])
    assert missing == []


def test_page_texts_are_served_per_language(client):
    nl = client.get("/api/i18n/nl").json()
    assert nl["ui.login.title"] == "Inloggen" and all(key.startswith("ui.") for key in nl)
    assert client.get("/api/i18n/xx").status_code == 404


def test_uploads_are_described_as_multipart(client):
    upload = client.get("/api/openapi.json").json()["paths"]["/api/audio"]["post"]["requestBody"]["content"]
    assert upload["multipart/form-data"]["schema"]["properties"]["file"]["format"] == "binary"
