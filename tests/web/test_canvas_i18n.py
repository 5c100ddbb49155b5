"""The canvas pages' texts: every key the plan pages use exists in English and Dutch (web/i18n/canvas.json),
including the keys made from the schema (step types, fields, enum values); the pages are served with the
strict headers and without inline scripts or styles; the schema the palette reads is served."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typing import get_args

from callplan.step_counts import OUTCOMES
from web import i18n, pages
from web.models.ivr_menu import KeyActionType
from web.settings import REPO_ROOT
from tests.web.helpers import page_policy_of, used_i18n_keys

STATIC = REPO_ROOT / "static"
SOURCES = [STATIC / "pages" / "plans.html", STATIC / "pages" / "plan.html", STATIC / "js" / "plans.js",
           *sorted((STATIC / "js" / "canvas").glob("*.js"))]
SCHEMA = json.loads((REPO_ROOT / "schemas" / "callplan.schema.json").read_text())


def schema_families() -> dict[str, set[str]]:
    mapping = SCHEMA["properties"]["steps"]["items"]["discriminator"]["mapping"]
    fields, enums = set(), set()
    for ref in mapping.values():
        definition = SCHEMA["$defs"][ref.split("/")[-1]]
        for name, spec in definition["properties"].items():
            if name in {"id", "type", "then", "else", "keys", "no_input", "invalid"}:
                continue
            fields.add(name)
            enums.update(spec.get("enum") or [])
    # validator codes the canvas translates (others fall back to the server's English message)
    codes = set(re.findall(r'"([a-z]+(?:_[a-z]+)+|unreachable|skipped)"', (REPO_ROOT / "callplan" / "validate.py").read_text()))
    return {
        "ui.canvas.type.": set(mapping),
        "ui.canvas.field.": fields,
        "ui.canvas.enum.": enums,
        "ui.plans.state.": {"draft", "published", "changed"},
        "ui.canvas.branch.": {"then", "else", "key", "no_input", "invalid"},
        "ui.canvas.moved_": {"up", "down", "in", "out"},
        "ui.canvas.move_": {"up", "down", "in", "out"},
        "ui.canvas.target.": {"extension", "user", "external", "plan"},
        "ui.canvas.level.": {"error", "warning"},
        "ui.canvas.op.": {"add", "remove", "replace", "move"},
        "ui.canvas.mark.": {"added", "removed", "changed", "moved"},
        "ui.canvas.outcome.": {"answered", "hung_up", "voicemail", "conference", "transferred", "announced", "stopped", "fax",
                               "parked"},
        "ui.canvas.problem.": {code for code in codes if f"ui.canvas.problem.{code}" in i18n.catalogue()["en"]},
        "ui.canvas.invalid.": {"missing", "int_type", "string_too_short"},
        "ui.ivr.action.": set(get_args(KeyActionType)),  # a menu's key action, shown in the key's branch
        "ui.kit.kind.": {"user", "ring_group", "queue", "ivr_menu", "voicemail_box", "conference_room", "page_group"},  # where a menu key forwards to
        "ui.destination.type.": {"extension", "external", "hang_up", "park"},
        "ui.counts.how.": set(OUTCOMES),  # how the calls that ended on a step ended (canvas/counts.js)
    }


def used_keys() -> tuple[set[str], set[str]]:
    return used_i18n_keys(SOURCES)


def test_every_key_the_canvas_uses_exists_in_english_and_dutch():
    catalogue = i18n.catalogue()
    literal, prefixes = used_keys()
    assert len(literal) > 100  # the scan finds the pages' keys at all
    families = schema_families()
    unknown_families = prefixes - set(families)
    assert not unknown_families, f"keys built from {sorted(unknown_families)}: add their values to schema_families()"
    wanted = literal | {prefix + value for prefix in prefixes for value in families[prefix]}
    for lang in ("en", "nl"):
        missing = sorted(key for key in wanted if key not in catalogue[lang])
        assert not missing, f"{lang}: {missing}"
    # every step type and field of the schema has its words (the palette and the forms are generated)
    assert {"time_condition", "ivr", "hang_up"} <= families["ui.canvas.type."]
    assert {"schedule", "max_wait_s", "to", "cause"} <= families["ui.canvas.field."]


def test_canvas_catalogue_is_its_own_file_with_both_languages_alike():
    own = json.loads((REPO_ROOT / "web" / "i18n" / "canvas.json").read_text())
    assert set(own) == {"en", "nl"}
    assert set(own["en"]) == set(own["nl"])
    for key, text in own["en"].items():
        assert key.startswith("ui."), key
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", own["nl"][key])), key
        assert own["nl"][key].strip(), key


def test_plan_pages_are_served_with_strict_headers_and_no_inline_code(client):
    for path in ("/plans", "/plans/1"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-security-policy"] == page_policy_of(response.text)
        html = response.text
        assert "<script>" not in html and "style=" not in html and " on" + "click=" not in html
        assert re.findall(r'<script type="module"(?: blocking="render")? src="(/static/js/[a-z/]+\.js)\?v=[0-9a-f]{16}"></script>', html)
    assert client.get("/plans/abc").status_code == 200  # a static shell; its script goes back to /plans
    schema = client.get("/schemas/callplan.schema.json")
    assert schema.status_code == 200 and schema.json() == SCHEMA
    for path in SOURCES:
        if path.suffix == ".js":
            text = path.read_text()
            assert "innerHTML" not in text and "insertAdjacentHTML" not in text, f"{path.name}: texts go in as text"


def test_nav_links_to_the_plans_page():
    assert '{ href: "/plans", text: "ui.nav.plans", roles: ["admin"], ready: true' in (STATIC / "js" / "layout.js").read_text()
    assert Path(STATIC / "css" / "canvas.css").is_file()
