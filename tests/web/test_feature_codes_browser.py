"""Feature codes on the numbers screen (/numbers) in Chromium, on the demo company: the company's codes listed
with their functions, on or off; a code changed to one another function has is refused beside the field,
then saved and followed by the directory above; one switched off; the in-call code's own rule refused
beside its field; changed from a feature code's row in the directory too; the keyboard alone; Dutch on a
narrow screen."""

from __future__ import annotations

import re

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, in_process_server  # noqa: E402,F401  (fixtures)
from tests.web.browser_support import admin_session  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "codes dialled on phones"
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        yield running


def session(browser, server, email, language="en", **options):
    return admin_session(browser, server, email, PASSWORD, language, **options)


def open_page(admin, url):
    page = admin.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    return page, watch


def feature_row(page, name: str):
    return page.locator("#features tbody tr").filter(has=page.locator("th", has_text=re.compile(rf"^{re.escape(name)}")))


def directory_row(page, number: str):
    return page.locator("#numbers-list tbody tr").filter(has=page.locator("th", has_text=re.compile(rf"^{re.escape(number)}")))


def codes(admin) -> dict[str, dict]:
    return {row["function"]: row for row in admin.get("/api/feature-codes")}


def no_text_keys(page):
    assert "ui." not in page.locator("body").inner_text(), "a text key shown instead of its text"


def test_find_change_refused_then_saved_and_switched_off(server, browser):
    shot = Screenshots("feature-codes-en")
    admin = session(browser, server, "codes@demo.example.com")
    page, watch = open_page(admin, server.url("/numbers"))
    features = page.locator("#features")
    expect(features.get_by_role("heading", level=2)).to_have_text("Feature codes")
    voicemail = feature_row(page, "Listen to voicemail")
    expect(voicemail).to_contain_text("*97")
    expect(voicemail).to_contain_text("On")
    expect(feature_row(page, "Park a call")).to_contain_text("*70")
    expect(features.locator("tbody tr")).to_have_count(len(codes(admin)))
    no_text_keys(page)
    shot(page, "listed")

    # Park a call on *97: voicemail's code, refused beside the field; then on *75
    feature_row(page, "Park a call").get_by_role("button", name="Change the code of Park a call").click()
    sheet = page.get_by_role("dialog", name="Feature code: Park a call")
    code = sheet.get_by_label("Code")
    expect(code).to_have_value("*70")
    expect(code).to_be_focused()
    code.fill("*97")
    sheet.get_by_role("button", name="Save").click()
    expect(code).to_have_attribute("aria-invalid", "true")
    error = sheet.locator(".field-error").first
    expect(error).to_contain_text("already in use")
    expect(code).to_be_focused()
    shot(page, "refused", full_page=False)
    code.fill("*75")
    sheet.get_by_role("button", name="Save").click()
    expect(sheet).to_be_hidden()
    expect(page.locator(".toast").last).to_contain_text("Park a call is dialled with *75.")
    expect(feature_row(page, "Park a call")).to_contain_text("*75")
    assert codes(admin)["park"]["code"] == "*75"
    # the directory above follows: *75 parks, *70 is free for nothing any more
    page.locator("#numbers-list").get_by_role("searchbox").fill("*75")
    expect(directory_row(page, "*75")).to_contain_text("Feature code: Park a call")
    page.locator("#numbers-list").get_by_role("searchbox").fill("*70")
    expect(page.locator("#numbers-list tbody tr")).to_have_count(0)

    # the in-call code has its own rule: * and one digit
    feature_row(page, "Record this call (pressed during a call)").get_by_role("button").click()
    sheet = page.get_by_role("dialog", name="Feature code: Record this call (pressed during a call)")
    sheet.get_by_label("Code").fill("*12")
    sheet.get_by_role("button", name="Save").click()
    expect(sheet.get_by_label("Code")).to_have_attribute("aria-invalid", "true")
    expect(sheet.locator(".field-error").first).to_contain_text("* and one digit")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Discard").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert codes(admin)["record"]["code"] == "*1"

    # switch intercom off, from its row in the directory
    page.locator("#numbers-list").get_by_role("searchbox").fill("*80")
    directory_row(page, "*80").get_by_role("button", name="Change feature code *80").click()
    sheet = page.get_by_role("dialog", name=re.compile("^Feature code: Intercom"))
    sheet.get_by_label("On", exact=True).uncheck()
    sheet.get_by_role("button", name="Save").click()
    expect(sheet).to_be_hidden()
    expect(feature_row(page, "Intercom")).to_contain_text("Off")
    assert codes(admin)["intercom"]["enabled"] is False
    shot(page, "changed")
    watch.assert_clean()
    admin.context.close()


def test_change_a_code_with_the_keyboard_alone(server, browser):
    admin = session(browser, server, "code-keys@demo.example.com")
    page, watch = open_page(admin, server.url("/numbers"))
    button = feature_row(page, "Pick up a call").get_by_role("button", name="Change the code of Pick up a call")
    button.focus()
    page.keyboard.press("Enter")
    sheet = page.get_by_role("dialog", name="Feature code: Pick up a call")
    expect(sheet.get_by_label("Code")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("*8")
    page.keyboard.press("Enter")  # submits the form
    expect(sheet).to_be_hidden()
    expect(feature_row(page, "Pick up a call")).to_contain_text("*8")
    expect(button).to_be_focused()  # the focus is back where it was
    assert codes(admin)["pickup"]["code"] == "*8"
    watch.assert_clean()
    admin.context.close()


def test_dutch_on_a_narrow_screen(server, browser):
    shot = Screenshots("feature-codes-narrow-nl")
    admin = session(browser, server, "smal-codes@demo.example.com", language="nl", locale="nl-NL", viewport={"width": 390, "height": 844})
    page, watch = open_page(admin, server.url("/numbers"))
    features = page.locator("#features")
    features.scroll_into_view_if_needed()
    expect(features.get_by_role("heading", level=2)).to_have_text("Functiecodes")
    expect(feature_row(page, "Voicemail beluisteren")).to_contain_text("Aan")
    no_text_keys(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    # each code's button within the screen, not in a table scrolled sideways
    box = feature_row(page, "Gesprek parkeren").get_by_role("button").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    shot(page, "screen")
    feature_row(page, "Gesprek parkeren").get_by_role("button", name="De code van Gesprek parkeren wijzigen").click()
    sheet = page.get_by_role("dialog", name="Functiecode: Gesprek parkeren")
    sheet.get_by_label("Code").fill("*97")  # voicemail's
    sheet.get_by_role("button", name="Opslaan").click()
    expect(sheet.locator(".field-error").first).to_contain_text("al in gebruik")
    no_text_keys(page)
    shot(page, "refused", full_page=False)
    watch.assert_clean()
    admin.context.close()
