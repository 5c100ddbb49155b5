"""The portal toolkit and the page shell without a browser: every page is the one shell (strict headers,
no inline code, its module and markup exist, no other copies of the frame in static/); the menu shows
exactly the pages that exist, to the roles their API lets in, and links object kinds the API names in
used_by; every text key the toolkit and its screens use exists in English and Dutch."""

from __future__ import annotations

import json
import re

import pytest

from tests.web.helpers import menu_entries, page_policy_of, used_i18n_keys
from web import i18n, pages
from web.permissions import EVERYONE, PERMISSIONS
from web.settings import REPO_ROOT

STATIC = REPO_ROOT / "static"
JS = STATIC / "js"
TOOLKIT = ["dom.js", "api.js", "i18n.js", "ui.js", "portal.js", "layout.js", "toast.js", "schema.js", "form.js",
           "sheet.js", "confirm.js", "used-by.js", "list.js", "crud.js", "shell.js"]
SCREENS = ["departments.js", "pickup-groups.js", "schedules.js", "schedule-grid.js", "holiday-entries.js", "night-switch.js",
           "destination.js", "ivr-menus.js", "ivr-keys.js", "audio-picker.js", "users.js", "user-page.js", "subform.js", "devices.js",
           "ordered-list.js", "ring-groups.js", "queues.js", "numbers.js", "company.js", "call-blocking.js",
           "home.js", "operator-home.js", "me.js", "tabs.js", "user-forms.js", "dial.js", "call-statuses.js", "faxes.js",
           *(f"objects/{path.name}" for path in sorted((JS / "objects").glob("*.js")))]
SOURCES = [JS / name for name in TOOLKIT + SCREENS]

# the permission of each existing page's API: its menu entry is shown to exactly those roles
PAGE_PERMISSIONS = {"/plans": "pbx.manage", "/departments": "pbx.manage", "/pickup-groups": "pbx.manage", "/schedules": "pbx.manage", "/ivr-menus": "pbx.manage",
                    "/users": "pbx.manage", "/devices": "pbx.manage",
                    "/ring-groups": "pbx.manage", "/queues": "pbx.manage",
                    "/numbers": "pbx.manage", "/company": "pbx.manage",
                    "/calls": "calls.read",
                    "/phonebook": "phonebook.read", "/accounts": "accounts.manage", "/audit": "audit.read", "/account/profile": "self",
                    "/integrations": "pbx.manage", "/account/security": "self", "/": "self", "/me": "phone.self",
                    "/messages": "phone.self", "/call-statuses": "pbx.manage", "/faxes": "pbx.manage",
                    "/recordings": "recordings.read"}


def test_every_portal_page_is_the_one_shell(client):
    for path, page in pages.PAGES.items():
        response = client.get(path.replace("{id}", "7"))
        assert response.status_code == 200, path
        assert response.headers["content-security-policy"] == page_policy_of(response.text)
        html = response.text
        assert "<script>" not in html and "style=" not in html and " on" + "click=" not in html, path
        assert re.findall(r'<script type="module"(?: blocking="render")? src="/static/js/([a-z/-]+\.js)\?v=[0-9a-f]{16}"></script>', html) == [page.script], path
        assert html.count('<header class="topbar" id="topbar"></header>') == 1, path
        assert f'<title data-i18n="{page.title}">' in html
        assert (JS / page.script).is_file(), page.script
        if page.markup:
            markup = (STATIC / "pages" / page.markup).read_text()
            assert "<html" not in markup and "topbar" not in markup, page.markup
            assert markup.strip().splitlines()[0].strip() in html
        for style in page.styles:
            assert (STATIC / "css" / style).is_file()
    # the frame is written once: only the shell and the login pages are whole documents
    documents = {path.name for path in STATIC.glob("*.html")}
    assert documents == {"portal.html", *pages.OWN_PAGES.values()}
    assert not set(pages.PAGES) & set(pages.OWN_PAGES)


def test_menu_shows_exactly_the_pages_that_exist():
    entries = menu_entries()
    assert 20 <= len(entries) <= 40  # grouped for the screens to come
    ready = {entry["href"] for entry in entries if entry["ready"]}
    portal_pages = {path for path in pages.PAGES if "{" not in path}
    assert ready == portal_pages  # a page without an entry is unreachable; an entry without a page is a dead link
    groups = [entry["group"] for entry in entries]
    assert groups[0] is None and {"ui.nav.group.calls", "ui.nav.group.people", "ui.nav.group.company",
                                  "ui.nav.group.reports", "ui.nav.group.integrations"} <= set(groups)
    assert len({entry["href"] for entry in entries}) == len(entries)


def test_menu_entries_are_shown_to_the_roles_their_api_lets_in():
    entries = {entry["href"]: entry for entry in menu_entries()}
    for path, permission in PAGE_PERMISSIONS.items():
        roles = entries[path]["roles"]
        assert (roles or EVERYONE) == PERMISSIONS[permission], path
    for entry in entries.values():
        assert entry["roles"] is None or entry["roles"] <= EVERYONE, entry


def test_menu_kinds_are_the_kinds_used_by_names(app):
    from web.domain import references

    kinds = [entry["kind"] for entry in menu_entries() if entry["kind"]]
    assert len(kinds) == len(set(kinds))
    assert set(kinds) <= set(references.KINDS), set(kinds) - set(references.KINDS)


def toolkit_families(app) -> dict[str, set[str]]:
    from web.domain import references

    from typing import get_args

    from web.destinations import OBJECT_TYPES, DestinationType
    from web.models.company import NightMode
    from web.models.fax import DIRECTIONS, STATUSES

    from web.models.ivr_menu import IvrMenuFields, KeyActionType
    from web.tts import VOICES
    from web.models.recording import Reason, UserRecording

    modes = set(get_args(NightMode))
    key_actions = set(get_args(KeyActionType)) | {"none"}  # none: a key that does nothing
    menu_fields = IvrMenuFields.model_fields
    return {"ui.kit.kind.": set(references.KINDS) | {"company_settings"},
            "ui.destination.type.": set(get_args(DestinationType)) - set(OBJECT_TYPES),  # objects: their kind's name
            "ui.night.mode.": modes, "ui.night.mode_help.": modes,
            "ui.ivr.action.": key_actions, "ui.ivr.action_help.": key_actions, "ui.ivr.action_short.": key_actions,
            "ui.ivr.name_order.": set(get_args(menu_fields["dial_by_name_order"].annotation)),
            "ui.ivr.night.": set(get_args(menu_fields["night_mode"].annotation)),
            "ui.call_statuses.default_for.": {"inbound", "outbound", "none"},
            "ui.audio.lang.": set(VOICES),  # the languages a typed sound is spoken in
            "ui.faxes.status.": set(STATUSES), "ui.faxes.direction.": set(DIRECTIONS),
            "ui.faxes.col.": {"when", "direction", "number", "station", "pages", "status", "pdf"},
            # call recordings: why one was made (recordings.js, calls.js), a user's recording setting
            "ui.recordings.reason.": set(get_args(Reason)), "ui.users.recording.": set(get_args(UserRecording)),
            **home_families()}


def home_families() -> dict[str, set[str]]:
    """The home page's: checklist items with their help, languages, the operator's form fields."""
    from web.domain.home import CHECKLIST
    from web.models.phone_number import NumberRange
    from web.models.tenant import TenantCreate
    from web.validation import LANGUAGES

    return {"ui.home.checklist.": set(CHECKLIST) | {f"{item}_help" for item in CHECKLIST},
            "ui.home.language.": set(LANGUAGES),
            "ui.home.operator.field.": set(TenantCreate.model_fields) | set(NumberRange.model_fields)
            | {"sip_domain_help", "admin_email_help", "company_number_help", "last_help"}}


def test_every_key_the_toolkit_and_its_screens_use_exists_in_english_and_dutch(app):
    catalogue = i18n.catalogue()
    literal, prefixes = used_i18n_keys(SOURCES)
    assert len(literal) > 60
    families = toolkit_families(app)
    prefixes -= {"ui.field."}  # fieldErrorText: ours when we have one, else the API's own message
    assert prefixes <= set(families), prefixes - set(families)
    wanted = literal | {prefix + value for prefix in prefixes for value in families[prefix]}
    # the menu's texts, built from the one list
    wanted |= {entry["text"] for entry in menu_entries()} | {entry["group"] for entry in menu_entries() if entry["group"]}
    for lang in ("en", "nl"):
        missing = sorted(key for key in wanted if key not in catalogue[lang])
        assert not missing, f"{lang}: {missing}"
    for key in ("ui.kit.kind.user", "ui.kit.kind.plan", "ui.kit.kind.department"):
        assert key in wanted


@pytest.mark.parametrize("name", ["toolkit.json", "departments.json", "pickup_groups.json", "voicemail.json", "schedules_screen.json", "ivr_menus.json",
                                  "ring_groups.json", "queues_screen.json",
                                  "numbers_screen.json", "company_screen.json", "agent_panel.json",
                                  "call_blocking.json"])
def test_toolkit_catalogues_have_both_languages_alike(name):
    own = json.loads((REPO_ROOT / "web" / "i18n" / name).read_text())
    assert set(own) == {"en", "nl"} and set(own["en"]) == set(own["nl"])
    for key, text in own["en"].items():
        assert key.startswith("ui."), key
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", own["nl"][key])), key
        assert text.strip() and own["nl"][key].strip(), key


def test_toolkit_modules_document_their_api_and_put_texts_in_as_text():
    for path in SOURCES:
        text = path.read_text()
        assert text.startswith("//"), f"{path.name}: starts with the comment block that says what it offers"
        assert "innerHTML" not in text and "insertAdjacentHTML" not in text and "outerHTML" not in text, path.name
    # one DOM helper
    helpers = [path.relative_to(JS) for path in JS.rglob("*.js")
               if re.search(r"function (el|element)\(tag", path.read_text())]
    assert [str(path) for path in helpers] == ["dom.js"]
