"""A typed text wherever an announcement or greeting is picked (#18 item 6): the audio picker
(static/js/audio-picker.js) of an IVR menu's greeting and of a voicemail box's greeting offers "Type a
text…" beside the upload; the text is spoken on the server (POST /api/audio/text, espeak-ng), added to
the library and chosen, played in the browser, and saved with the form. By keyboard, in English and in
Dutch on a narrow screen; an empty text is refused beside the field."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.web.browser_support import Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
if shutil.which("espeak-ng") is None:
    pytest.skip("espeak-ng is not installed (Debian package espeak-ng; .ci/run installs it)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, in_process_server  # noqa: E402,F401  (fixtures)
from tests.web.browser_support import admin_session, open_screen  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "type what callers hear"
WAIT = 20_000  # ms: a loaded machine


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        yield running


def test_an_ivr_greeting_typed_in_the_menus_sheet_by_keyboard(server, browser):
    shot = Screenshots("audio-picker-tts")
    admin = admin_session(browser, server, "tts-picker@demo.example.com", PASSWORD)
    page, watch = open_screen(admin, server, "/ivr-menus", wait_ms=WAIT)
    page.get_by_role("button", name="New IVR menu").first.click()
    sheet = page.get_by_role("dialog", name="New IVR menu")
    sheet.locator('[data-field="name"] input').fill("Typed menu")
    greeting = sheet.locator('[data-field="greeting_audio_id"]')
    typing = greeting.get_by_role("button", name="Type a text…")
    expect(typing).to_have_attribute("aria-expanded", "false")
    typing.focus()
    page.keyboard.press("Enter")
    expect(greeting.get_by_label("Text to speak")).to_be_focused()
    expect(typing).to_have_attribute("aria-expanded", "true")
    # nothing typed: refused beside the text
    greeting.get_by_role("button", name="Speak and choose").click()
    expect(greeting.get_by_label("Text to speak")).to_have_attribute("aria-invalid", "true")
    expect(greeting.locator(".field-error")).to_have_text("Fill this in.")
    greeting.get_by_label("Text to speak").focus()
    page.keyboard.type("Welcome to Demo Company. For sales press 1, for support press 2.")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # past the hint to the language (the company's unless chosen)
    greeting.get_by_label("Language of the text").select_option("en")
    shot(page, "typing", full_page=False)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/api/audio/text")) as spoken:
        greeting.get_by_role("button", name="Speak and choose").press("Enter")
    saved = spoken.value.json()
    assert spoken.value.status == 201, saved
    assert saved["text"] == "Welcome to Demo Company. For sales press 1, for support press 2." and saved["language"] == "en"
    expect(greeting.get_by_role("status")).to_contain_text("spoken and added to the audio library", timeout=WAIT)
    expect(greeting.get_by_label("Text to speak")).to_be_hidden()
    expect(greeting.get_by_role("combobox")).to_have_value(str(saved["id"]))
    expect(greeting.get_by_role("button", name="Play the chosen audio file")).to_be_focused()
    page.keyboard.press("Enter")
    expect(greeting.locator("audio")).to_be_visible()
    assert greeting.locator("audio").get_attribute("src") == f"/api/audio/{saved['id']}/file"
    shot(page, "spoken", full_page=False)
    with page.expect_request(lambda request: request.method == "POST" and request.url.endswith("/api/ivr-menus")) as sent:
        sheet.get_by_role("button", name="Add", exact=True).click()
    assert sent.value.post_data_json["greeting_audio_id"] == saved["id"]
    expect(sheet).to_be_hidden()
    # the library has it, with its text (it is re-rendered when the text changes, on /audio)
    assert [row["text"] for row in admin.get("/api/audio") if row["id"] == saved["id"]] == [saved["text"]]
    # Escape closes the typing, not the sheet around it
    page.get_by_role("button", name="New IVR menu").first.click()
    greeting = page.get_by_role("dialog", name="New IVR menu").locator('[data-field="greeting_audio_id"]')
    greeting.get_by_role("button", name="Type a text…").click()
    page.keyboard.press("Escape")
    expect(greeting.get_by_label("Text to speak")).to_be_hidden()
    expect(page.get_by_role("dialog", name="New IVR menu")).to_be_visible()
    expect(greeting.get_by_role("button", name="Type a text…")).to_be_focused()
    watch.assert_clean()
    admin.context.close()


def test_a_voicemail_greeting_typed_in_dutch_on_a_narrow_screen(server, browser):
    shot = Screenshots("audio-picker-tts-nl")
    admin = admin_session(browser, server, "tts-smal@demo.example.com", PASSWORD, language="nl", locale="nl-NL",
                          viewport={"width": 380, "height": 800})
    page, watch = open_screen(admin, server, "/voicemail", wait_ms=WAIT)
    page.get_by_role("button", name=re.compile("bewerken")).first.click()
    sheet = page.get_by_role("dialog")
    picker = sheet.locator(".audio-picker").first
    picker.get_by_role("button", name="Tekst typen…").click()
    picker.get_by_label("Uit te spreken tekst").fill("Welkom. Spreek na de toon uw bericht in.")
    picker.get_by_label("Taal van de tekst").select_option("nl")
    assert page.evaluate("document.documentElement.scrollWidth") <= 380
    shot(page, "typing", full_page=False)
    picker.get_by_role("button", name="Uitspreken en kiezen").click()
    expect(picker.get_by_role("status")).to_contain_text("uitgesproken en toegevoegd aan de geluidsbibliotheek",
                                                         timeout=WAIT)
    expect(picker.get_by_role("combobox")).to_have_text(re.compile("Welkom. Spreek na de toon"))
    shot(page, "spoken", full_page=False)
    watch.assert_clean()
    admin.context.close()
