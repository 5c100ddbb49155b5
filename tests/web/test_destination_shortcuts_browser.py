"""Destination shortcuts in Chromium (#18 leftovers): on /numbers, a free number routed to the parking lot
("Park the call") and another to "Fax to e-mail" with the user whose address gets the faxes (a user without an
address refused beside the choice, English and Dutch); the table says
what each reaches (the fax one links to the user); saved as the API's shapes. Dutch on a narrow screen, by
the keyboard. Screenshots test-artifacts/destination-shortcuts-*.png."""

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
from tests.web.canvas_support import assign_number  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "park it or fax it please"
PARKED, FAXED, DUTCH = "+31201234572", "+31201234573", "+31201234574"
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        for number in (PARKED, FAXED, DUTCH):
            assign_number(running.database_url, number)
        yield running


def without_address(admin, extension: str, first_name: str) -> dict:
    """A user with no e-mail address and no login: fax to e-mail has nowhere to mail their faxes."""
    return admin.post("/api/users", {"first_name": first_name, "last_name": "Faxloos", "extension": extension}, expect=201)


def open_numbers(admin, server):
    page = admin.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(server.url("/numbers?show=free"))
    page.wait_for_selector("body[data-ready=true]")
    return page, watch


def row_of(page, number: str):
    return page.locator("tbody tr").filter(has=page.locator("th", has_text=re.compile(rf"^{re.escape(number)}")))


def test_a_number_to_the_parking_lot_and_one_to_fax_to_email(server, browser):
    shot = Screenshots("destination-shortcuts-en")
    admin = admin_session(browser, server, "shortcuts@demo.example.com", PASSWORD, "en")
    user = next(row for row in admin.get("/api/users") if row.get("email"))
    name = f"{user['first_name']} {user['last_name']}".strip()
    no_address = without_address(admin, "291", "Fenna")
    page, watch = open_numbers(admin, server)

    row_of(page, PARKED).get_by_role("button", name=f"Route {PARKED}").click()
    sheet = page.get_by_role("dialog", name=f"Route {PARKED}")
    kinds = sheet.get_by_label("Answered by")
    for text in ("Park the call (parking lot)", "Fax to e-mail"):
        expect(kinds.locator("option").filter(has_text=text)).to_have_count(1)
    kinds.select_option(label="Park the call (parking lot)")
    expect(sheet.get_by_label("Which one")).to_be_hidden()  # the lot is the company's one: nothing to pick
    shot(page, "park-chosen", full_page=False)
    sheet.get_by_role("button", name="Save").click()
    expect(sheet).to_be_hidden()

    row_of(page, FAXED).get_by_role("button", name=f"Route {FAXED}").click()
    sheet = page.get_by_role("dialog", name=f"Route {FAXED}")
    sheet.get_by_label("Answered by").select_option(label="Fax to e-mail")
    which = sheet.get_by_label("Which one")
    # each user with the address the faxes would go to; one without an address is refused beside the choice
    which.select_option(label="Fenna Faxloos: no e-mail address yet")
    sheet.get_by_role("button", name="Save").click()
    expect(which).to_have_attribute("aria-invalid", "true")
    expect(sheet.locator(".field-error").filter(has_text="This user has no e-mail address to mail faxes to.")).to_be_visible()
    expect(which).to_be_focused()
    shot(page, "fax-no-address-refused", full_page=False)
    assert next(row for row in admin.get("/api/numbers") if row["number"] == FAXED)["destination"] is None
    option = which.locator("option").filter(has_text=re.compile(rf"^{re.escape(name)}: "))
    expect(option).to_have_count(1)
    expected_label = f"{name}: {user['email']}"
    expect(option).to_have_text(expected_label)
    which.select_option(label=expected_label)
    shot(page, "fax-chosen", full_page=False)
    sheet.get_by_role("button", name="Save").click()
    expect(sheet).to_be_hidden()

    page.get_by_label("Show").select_option(label="All numbers")
    expect(row_of(page, PARKED)).to_contain_text("Parking lot")
    faxed = row_of(page, FAXED)
    expect(faxed).to_contain_text(f"Fax to e-mail: {name}")
    expect(faxed.get_by_role("link", name=name)).to_have_attribute("href", re.compile(rf"/users/{user['id']}\b|edit={user['id']}\b"))
    shot(page, "routed")
    numbers = {row["number"]: row for row in admin.get("/api/numbers")}
    assert numbers[PARKED]["destination"] == {"type": "park", "id": None, "number": None}
    assert numbers[FAXED]["destination"] == {"type": "fax", "id": user["id"], "number": None}
    watch.assert_clean()
    admin.context.close()


def test_dutch_on_a_narrow_screen_by_the_keyboard(server, browser):
    shot = Screenshots("destination-shortcuts-narrow-nl")
    admin = admin_session(browser, server, "parkeren@demo.example.com", PASSWORD, "nl", locale="nl-NL",
                          viewport={"width": 390, "height": 844})
    without_address(admin, "292", "Joost")
    page, watch = open_numbers(admin, server)
    button = row_of(page, DUTCH).get_by_role("button", name=f"{DUTCH} routeren")
    button.focus()
    page.keyboard.press("Enter")
    sheet = page.get_by_role("dialog")
    kinds = sheet.get_by_label("Opgenomen door")
    expect(kinds).to_be_focused()
    for text in ("Gesprek parkeren (parkeerplaats)", "Fax naar e-mail"):
        expect(kinds.locator("option").filter(has_text=text)).to_have_count(1)
    # fax to e-mail for someone without an address: refused beside the choice, in Dutch
    kinds.select_option(label="Fax naar e-mail")
    which = sheet.get_by_label("Welke")
    which.select_option(label="Joost Faxloos: nog geen e-mailadres")
    sheet.get_by_role("button", name="Opslaan").click()
    expect(which).to_have_attribute("aria-invalid", "true")
    expect(sheet.locator(".field-error").filter(has_text="Deze gebruiker heeft geen e-mailadres om faxen naar te mailen.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "fax-no-address-refused")
    kinds.focus()
    kinds.select_option(label="Gesprek parkeren (parkeerplaats)")  # a select answers the keyboard on its own
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "park-chosen")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # submits the form from the label field
    expect(sheet).to_be_hidden()
    page.get_by_label("Toon").select_option(index=0)
    expect(row_of(page, DUTCH)).to_contain_text("Parkeerplaats")
    assert "ui." not in page.locator("body").inner_text()
    shot(page, "routed")
    watch.assert_clean()
    admin.context.close()
