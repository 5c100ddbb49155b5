"""Typed sounds on the audio library screen (#18 item 6) in Chromium, on the demo company: a text typed
beside the upload, spoken by the server in the chosen language and played at once as the preview; the
API's 422 beside the text; a typed sound's sheet changes its text (spoken again, a new length); Dutch on
a narrow screen."""

from __future__ import annotations

import re
import secrets
import shutil

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
if shutil.which("espeak-ng") is None:
    pytest.skip("espeak-ng is not installed (Debian package espeak-ng; .ci/run installs it)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, live_server  # noqa: E402,F401  (fixtures)
from tests.web.canvas_support import ensure_admin, log_in  # noqa: E402

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms: a loaded machine is slow, never wrong


def open_screen(session, server):
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(server.url("/audio"))
    page.wait_for_selector("body[data-ready=true]", timeout=WAIT)
    assert "ui." not in page.locator("body").inner_text(), "a text key shown instead of its text"
    return page, watch


def row(page, name):
    return page.locator("#library .list-table tbody tr").filter(
        has=page.locator("th", has_text=re.compile(f"^{re.escape(name)}$")))


def duration_of_player(page) -> float:
    page.wait_for_function("() => { const a = document.querySelector('#library audio.audio-player');"
                           " return a && a.readyState >= 1 && a.duration > 0.3; }", timeout=WAIT)
    return page.locator("#library audio.audio-player").evaluate("a => a.duration")


def test_type_a_text_hear_it_and_change_it(live_server, browser):
    shot = Screenshots("tts")
    session = log_in(browser, live_server, email="tts-admin@demo.example.com")
    page, watch = open_screen(session, live_server)
    panel = page.locator("#type-text")
    expect(panel.get_by_role("heading", level=2)).to_have_text("Type a text")
    language = panel.get_by_label("Language")
    expect(language.locator("option:checked")).to_have_text("The company's language")
    expect(language.locator("option")).to_have_text(["The company's language", "Dutch", "English", "German", "French"])

    # an empty text: the API's 422, beside the text
    name = f"Welcome {secrets.token_hex(2)}"
    panel.get_by_label("Name").fill(name)
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        panel.get_by_role("button", name="Make and play").click()
    assert answer.value.status == 422 and answer.value.json()["errors"][0]["pointer"] == "/text"
    text_box = panel.get_by_label("Text")
    expect(text_box).to_have_attribute("aria-invalid", "true")

    # typed, in English: spoken, listed, and played at once
    text_box.fill("Welcome to the demo company. Please hold the line.")
    language.select_option(label="English")
    with page.expect_request(lambda request: request.method == "POST") as sent:
        panel.get_by_role("button", name="Make and play").click()
    assert sent.value.post_data_json == {"name": name, "text": "Welcome to the demo company. Please hold the line.",
                                         "language": "en"}
    expect(page.locator(".now-playing p")).to_have_text(f"Playing: {name}", timeout=WAIT)
    saved = {row["name"]: row for row in session.get("/api/audio")}[name]
    player = page.locator("#library audio.audio-player")
    assert player.get_attribute("src") == f"/api/audio/{saved['id']}/file?rate=16000"
    first = duration_of_player(page)
    assert abs(first - saved["duration_ms"] / 1000) < 0.1 and first > 2
    expect(row(page, name)).to_contain_text("Typed: English “Welcome to the demo company.")
    expect(text_box).to_have_value("")  # ready for the next one
    shot(page, "typed")

    # its sheet changes the text: spoken again, shorter now
    row(page, name).get_by_role("button", name=f"Edit {name}").click()
    sheet = page.get_by_role("dialog", name=f"Edit {name}")
    expect(sheet.get_by_label("Text")).to_have_value("Welcome to the demo company. Please hold the line.")
    expect(sheet.get_by_label("Language").locator("option:checked")).to_have_text("English")
    sheet.get_by_label("Text").fill("We are closed.")
    shot(page, "sheet", full_page=False)
    with page.expect_request(lambda request: request.method == "PATCH") as sent:
        sheet.get_by_role("button", name="Save").click()
    assert sent.value.post_data_json == {"text": "We are closed."}
    expect(sheet).to_be_hidden()
    expect(row(page, name)).to_contain_text("“We are closed.”")
    changed = session.get(f"/api/audio/{saved['id']}")
    assert changed["text"] == "We are closed." and changed["duration_ms"] < saved["duration_ms"]
    watch.assert_clean()
    session.context.close()


def test_dutch_on_a_narrow_screen(live_server, browser):
    shot = Screenshots("tts-narrow-nl")
    email, password = "tts-nl@demo.example.com", "tekst naar spraak op een smal scherm"
    ensure_admin(live_server.database_url, email, password, language="nl")
    session = log_in(browser, live_server, email=email, password=password, locale="nl-NL",
                     viewport={"width": 380, "height": 740})
    page, watch = open_screen(session, live_server)
    panel = page.locator("#type-text")
    expect(panel.get_by_role("heading", level=2)).to_have_text("Tekst typen")
    name = f"Welkom {secrets.token_hex(2)}"
    panel.get_by_label("Naam").fill(name)
    panel.get_by_label("Tekst").fill("Welkom bij het demobedrijf. Een moment geduld alstublieft.")
    # the language left at the company's: the server picks it (the demo company's is English)
    panel.get_by_label("Tekst").press("Tab")
    page.keyboard.press("Tab")  # past the language choice, to the button: keyboard only
    page.keyboard.press("Enter")
    expect(page.locator(".now-playing p")).to_have_text(f"Speelt af: {name}", timeout=WAIT)
    assert duration_of_player(page) > 2
    saved = {row["name"]: row for row in session.get("/api/audio")}[name]
    assert saved["language"] == "en"
    expect(row(page, name)).to_contain_text("Getypt: Engels “Welkom bij het demobedrijf.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    assert "ui." not in page.locator("body").inner_text()
    shot(page, "typed")
    watch.assert_clean()
    session.context.close()
