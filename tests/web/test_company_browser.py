"""The company settings screen (/company) in Chromium, on the demo company: the fields in their sections
with a help sentence each, a change saved and still there after a reload (in both routes behind it), a
refusal beside its field (a company number that is not the company's, a fallback to the company's own
number), the keyboard alone, Dutch on a narrow screen."""

from __future__ import annotations

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, in_process_server  # noqa: E402,F401  (fixtures)
from tests.web.browser_support import admin_session  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "the company settings page"
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        yield running


def session(browser, server, email, language="en", **options):
    return admin_session(browser, server, email, PASSWORD, language, **options)


def open_page(admin, server, path="/company"):
    page = admin.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(server.url(path))
    page.wait_for_selector("body[data-ready=true]")
    return page, watch


def no_text_keys(page):
    assert "ui." not in page.locator("body").inner_text(), "a text key shown instead of its text"


def field(page, name):
    return page.locator(f'[data-field="{name}"]')


def test_change_and_keep_settings_with_errors_beside_their_fields(server, browser):
    shot = Screenshots("company-en")
    admin = session(browser, server, "company@demo.example.com")
    page, watch = open_page(admin, server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Company settings")
    expect(page.get_by_role("navigation", name="Main menu").locator("[aria-current=page]")).to_have_text("Company settings")
    for title in ("Company", "Name and number display", "Calls out", "Music on hold", "Emergency fallback routing", "Region",
                  "Login security", "Queue agents"):
        section = page.get_by_role("region", name=title, exact=True)
        expect(section).to_be_visible()
        expect(section.locator(".section-help")).not_to_be_empty()
    expect(page.get_by_role("region", name="Company", exact=True)).to_contain_text("without one the company cannot call out")
    expect(page.get_by_label("Company number")).to_have_value("+31201234567")
    no_text_keys(page)
    shot(page, "screen")

    # a number that is not the company's: refused beside the field, nothing saved
    page.get_by_label("Company number").fill("+31209999999")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("Company number")).to_have_attribute("aria-invalid", "true")
    expect(field(page, "company_number").locator(".field-error")).to_contain_text("company's numbers")
    expect(page.get_by_label("Company number")).to_be_focused()
    assert admin.get("/api/company")["company_number"] == "+31201234567"
    shot(page, "company-number-error")
    page.get_by_label("Company number").fill("+31201234567")

    # a fallback to one of the company's own numbers: refused beside the fallback's number
    page.get_by_label("When the platform does not answer").select_option(label="Forward to an outside number")
    page.get_by_label("Outside number").fill("+31201234568")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("Outside number")).to_have_attribute("aria-invalid", "true")
    expect(field(page, "fallback").locator(".field-error")).to_be_visible()
    assert admin.get("/api/company")["fallback"] is None

    # then everything at once, in both routes
    page.get_by_label("Outside number").fill("+31612345678")
    page.get_by_label("Company name", exact=True).fill("Demo Company B.V.")
    page.get_by_label("Number shown").select_option(label="Each user's own number")
    page.get_by_label("Block mobile numbers").check()
    page.get_by_label("Block 0909 (paid games and entertainment)").uncheck()
    page.get_by_label("Release PIN").fill("4321")
    page.get_by_label("Time zone", exact=True).select_option("Europe/Brussels")
    page.get_by_label("Language", exact=True).select_option(label="English")
    page.get_by_label("Everyone logs in with two factors").check()
    page.get_by_label("Agents on break at once, at most").fill("3")
    page.get_by_label("Logging out of the portal logs the agent out of the queues").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".toast")).to_contain_text("Company settings saved.")
    company, tenant = admin.get("/api/company"), admin.get("/api/tenant")
    assert (company["company_name"], company["number_display"], company["block_mobile"], company["block_premium_0909"],
            company["block_premium_0900"], company["release_pin_set"], company["max_agents_on_break"],
            company["agent_logout_with_portal"]) == ("Demo Company B.V.", "personal", True, False, True, True, 3, False)
    assert company["fallback"] == {"destination": {"type": "external", "number": "+31612345678"}}
    assert (tenant["name"], tenant["timezone"], tenant["language"], tenant["require_2fa"]) == ("Demo Company B.V.", "Europe/Brussels", "en", True)

    # still there after a reload
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.get_by_label("Company name", exact=True)).to_have_value("Demo Company B.V.")
    expect(page.get_by_label("Block mobile numbers")).to_be_checked()
    expect(page.get_by_label("Block 0909 (paid games and entertainment)")).not_to_be_checked()
    expect(page.get_by_label("Time zone", exact=True).locator("option:checked")).to_have_text("Europe/Brussels")
    expect(page.get_by_label("Outside number")).to_have_value("+31612345678")
    expect(page.get_by_label("Agents on break at once, at most")).to_have_value("3")
    expect(page.get_by_label("Release PIN")).to_have_value("")
    expect(field(page, "release_pin")).to_contain_text("A PIN is set")
    shot(page, "saved")
    # back as it was, for the other tests (two-factor login for everyone would stop their logins)
    admin.call("PATCH", "/api/tenant", {"require_2fa": False, "language": "nl"}, expect=200)
    watch.assert_clean()
    admin.context.close()


def test_keyboard_alone(server, browser):
    admin = session(browser, server, "company-keys@demo.example.com")
    page, watch = open_page(admin, server)
    name = page.get_by_label("Company name", exact=True)
    name.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("Typed Company")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Company number")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Show the company name")).to_be_focused()
    page.keyboard.press("Space")  # a checkbox answers the space bar
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # Enter in a text field saves the form
    expect(page.locator(".toast")).to_contain_text("Company settings saved.")
    company = admin.get("/api/company")
    assert (company["company_name"], company["show_company_name"]) == ("Typed Company", False)
    watch.assert_clean()
    admin.context.close()


def test_dutch_on_a_narrow_screen(server, browser):
    shot = Screenshots("company-narrow-nl")
    admin = session(browser, server, "smal-bedrijf@demo.example.com", language="nl", locale="nl-NL", viewport={"width": 390, "height": 844})
    page, watch = open_page(admin, server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bedrijfsinstellingen")
    expect(page.get_by_role("region", name="Noodrouting")).to_be_visible()
    expect(page.get_by_label("Bedrijfsnummer")).to_be_visible()
    no_text_keys(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    shot(page, "screen")
    page.get_by_label("Bedrijfsnummer").fill("geen nummer")
    page.get_by_role("button", name="Opslaan").click()
    expect(field(page, "company_number").locator(".field-error")).to_be_visible()
    no_text_keys(page)
    shot(page, "error", full_page=False)
    watch.assert_clean()
    admin.context.close()
