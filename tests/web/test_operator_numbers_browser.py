"""The platform operator's numbers and verified caller IDs, and a company's settings, on the operator's home
page ("/") in Chromium: the blocks each company holds; releasing one whose numbers route calls says so first,
and in use it is refused with what outside the block uses it (never the block's own numbers), a
spare block assigned and released; one number found by its digits and refused likewise; a caller ID another
company holds here refused beside the field, a mobile verified, withdrawing one a department shows refused
with the department, one nobody shows withdrawn; a company's settings changed in a sheet, a refused value
beside its field; the keyboard alone; Dutch on a narrow screen."""

from __future__ import annotations

import re

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.conftest import fast_settings  # noqa: E402
from tests.web.browser_support import browser, in_process_server  # noqa: E402,F401  (fixtures)
from tests.web.canvas_support import log_in  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "numbers for every company"
DEMO_BLOCK = "+31201234567 – +31201234569"  # the demo company's: its main number, Sales, Support
expect.set_options(timeout=20_000)


def _with_db(database_url: str, work):
    from web.db import make_engine, session_scope
    from web.domain import audit

    engine = make_engine(database_url)
    try:
        with session_scope(engine, audit.SYSTEM) as db:
            return work(db)
    finally:
        engine.dispose()


def operator_account(server, email: str, language: str = "en") -> None:
    from web.auth.passwords import hash_password
    from web.models import Account

    _with_db(server.database_url, lambda db: db.add(Account(
        email=email, role="operator", tenant_id=None, first_name="Otto", language=language,
        password_hash=hash_password(fast_settings(server.database_url), PASSWORD))))


def department_shows(server, name: str, number: str) -> None:
    """The company's admin gives a department this outgoing number (their part, done here directly)."""
    from sqlmodel import select

    from web.models.company import Department

    def work(db):
        department = db.exec(select(Department).where(Department.name == name)).one()
        department.caller_id_number = number
        db.add(department)

    _with_db(server.database_url, work)


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        yield running


def operator_session(browser, server, email, language="en", **options):
    operator_account(server, email, language)
    return log_in(browser, server, email=email, password=PASSWORD, **options)


def open_home(session, server):
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(server.url("/"))
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#verified-panel")
    return page, watch


def no_text_keys(page):
    assert "ui." not in page.locator("main").inner_text(), "a text key shown instead of its text"


def row_in(page, list_id: str, text: str):
    return page.locator(f"#{list_id} tbody tr").filter(has_text=text)


def test_numbers_and_caller_ids_of_companies(server, browser):
    shot = Screenshots("operator-numbers-en")
    operator = operator_session(browser, server, "otto@platform.test")
    page, watch = open_home(operator, server)
    blocks = page.locator("#number-blocks-panel")
    expect(blocks.get_by_role("heading", level=2)).to_have_text("Numbers held by companies")
    demo = row_in(page, "number-blocks", DEMO_BLOCK)
    expect(demo).to_contain_text("Demo Company")
    no_text_keys(page)
    shot(page, "home")

    # the demo block is in use: the question says its numbers route calls; refused, with what outside the
    # block uses them (the company number, the departments showing them, the plan answering the main
    # number), never one of the block's own numbers (Sales and Support route to their group and queue)
    demo.get_by_role("button", name=f"Release {DEMO_BLOCK}").click()
    dialog = page.get_by_role("alertdialog", name=f"Release “{DEMO_BLOCK}”?")
    expect(dialog.locator(".confirm-explain")).to_have_text(
        "3 of these numbers route calls now: those calls stop reaching the company.")
    shot(page, "release-asked", full_page=False)
    dialog.get_by_role("button", name="Release").click()
    expect(dialog.get_by_role("alert")).to_contain_text("still used")
    expect(dialog.locator(".used-by li").first).to_be_visible()
    expect(dialog.locator(".used-by")).to_contain_text("Sales")
    expect(dialog.locator('.used-by li[data-kind="phone_number"]')).to_have_count(0)
    for number in ("+31201234567", "+31201234568", "+31201234569"):
        expect(dialog.locator(".used-by")).not_to_contain_text(number)
    shot(page, "release-refused", full_page=False)
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    # a spare block: assigned with the form above, then released
    assign = page.locator("#assign-numbers")
    assign.get_by_label("Company").select_option(label="Demo Company")
    assign.get_by_label("Number (first of a block)").fill("+31201234580")
    assign.get_by_label("Last number").fill("+31201234582")
    assign.get_by_role("button", name="Assign").click()
    spare = row_in(page, "number-blocks", "+31201234580 – +31201234582")
    expect(spare).to_contain_text("3")
    spare.get_by_role("button", name="Release +31201234580 – +31201234582").click()
    dialog = page.get_by_role("alertdialog", name="Release “+31201234580 – +31201234582”?")
    expect(dialog.locator(".confirm-explain")).to_have_count(0)  # none of them routes calls
    dialog.get_by_role("button", name="Release").click()
    expect(dialog).to_be_hidden()
    expect(spare).to_have_count(0)
    assert not [row for row in operator.get("/api/platform/numbers?q=3120123458")["items"]]

    # one number, found by its digits; in use: refused
    numbers = page.locator("#platform-numbers")
    numbers.get_by_role("searchbox").fill("1234568")
    one = row_in(page, "platform-numbers", "+31201234568")
    expect(numbers.locator("tbody tr")).to_have_count(1)
    one.get_by_role("button", name="Release +31201234568").click()
    dialog = page.get_by_role("alertdialog", name="Release “+31201234568”?")
    expect(dialog.locator(".confirm-explain")).to_have_text("This number routes calls now: those calls stop reaching the company.")
    dialog.get_by_role("button", name="Release").click()
    expect(dialog.locator(".used-by")).to_be_visible()
    expect(dialog.locator(".used-by li")).to_have_text(["Department: Sales"])  # showing it on calls, not the number itself
    dialog.get_by_role("button", name="Close").click()

    # verified caller IDs: a number a company holds here refused beside the field; a mobile verified
    verified = page.locator("#verified-panel")
    verified.get_by_label("Company").select_option(label="Demo Company")
    number = verified.get_by_label("Number")
    number.fill("+31201234569")
    verified.get_by_role("button", name="Verify").click()
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(verified.locator('[data-field="number"] .field-error')).to_be_visible()
    expect(number).to_be_focused()
    shot(page, "verify-refused")
    number.fill("+31 6 1234 5678")
    verified.get_by_label("How it was checked").fill("Called back, contract seen")
    verified.get_by_role("button", name="Verify").click()
    mobile = row_in(page, "verified-caller-ids", "+31612345678")
    expect(mobile).to_contain_text("Called back, contract seen")
    expect(verified.get_by_label("Number")).to_have_value("")  # the form again, for the next one
    expect(verified.get_by_label("Company")).to_be_focused()
    expect(mobile).to_contain_text("Demo Company")
    # a department shows it now: withdrawing it is refused, with the department
    department_shows(server, "Sales", "+31612345678")
    mobile.get_by_role("button", name="Withdraw +31612345678").click()
    dialog = page.get_by_role("alertdialog", name="Withdraw “+31612345678”?")
    dialog.get_by_role("button", name="Withdraw").click()
    expect(dialog.locator(".used-by")).to_contain_text("Sales")
    shot(page, "withdraw-refused", full_page=False)
    dialog.get_by_role("button", name="Close").click()
    department_shows(server, "Sales", "+31201234568")
    mobile.get_by_role("button", name="Withdraw +31612345678").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Withdraw").click()
    expect(mobile).to_have_count(0)
    assert operator.get("/api/platform/verified-caller-ids") == []

    # the company's own settings: a company number it does not hold refused beside the field, a name saved
    companies = page.locator("#companies")
    companies.get_by_role("button", name="Edit Demo Company").click()
    sheet = page.get_by_role("dialog", name="Edit Demo Company")
    name = sheet.get_by_label("Company name")
    expect(name).to_have_value("Demo Company")
    company_number = sheet.get_by_label("Company number")
    company_number.fill("+31209999999")
    sheet.get_by_role("button", name="Save").click()
    expect(company_number).to_have_attribute("aria-invalid", "true")
    shot(page, "company-refused", full_page=False)
    company_number.fill("+31201234567")
    name.fill("Demo Company BV")
    sheet.get_by_role("button", name="Save").click()
    expect(sheet).to_be_hidden()
    expect(companies.locator("tbody tr").filter(has_text="Demo Company BV")).to_have_count(1)
    expect(companies.get_by_role("button", name="Edit Demo Company BV")).to_be_focused()
    assert any(tenant["name"] == "Demo Company BV" for tenant in operator.get("/api/tenants"))
    expect(row_in(page, "number-blocks", DEMO_BLOCK)).to_contain_text("Demo Company BV")
    expect(verified.get_by_label("Company").locator("option")).to_have_text(["Demo Company BV"])
    shot(page, "changed")
    watch.assert_clean()
    operator.context.close()


def test_verify_a_caller_id_with_the_keyboard_alone(server, browser):
    operator = operator_session(browser, server, "otto-keys@platform.test")
    page, watch = open_home(operator, server)
    verified = page.locator("#verified-panel")
    company = verified.get_by_label("Company")
    company.focus()
    company.select_option(index=0)  # a select answers the keyboard on its own; the choice is what counts
    page.keyboard.press("Tab")
    expect(verified.get_by_label("Number")).to_be_focused()
    page.keyboard.type("+31687654321")
    page.keyboard.press("Tab")
    expect(verified.get_by_label("How it was checked")).to_be_focused()
    page.keyboard.type("Letter from the carrier")
    page.keyboard.press("Enter")
    row = row_in(page, "verified-caller-ids", "+31687654321")
    expect(row).to_contain_text("Letter from the carrier")
    button = row.get_by_role("button", name="Withdraw +31687654321")
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("alertdialog")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()  # the safe choice first
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Withdraw")).to_be_focused()
    page.keyboard.press("Enter")
    expect(row).to_have_count(0)
    watch.assert_clean()
    operator.context.close()


def test_dutch_on_a_narrow_screen(server, browser):
    shot = Screenshots("operator-numbers-narrow-nl")
    operator = operator_session(browser, server, "otto-smal@platform.test", language="nl", locale="nl-NL",
                                viewport={"width": 390, "height": 844})
    page, watch = open_home(operator, server)
    expect(page.locator("#number-blocks-panel").get_by_role("heading", level=2)).to_have_text("Nummers van bedrijven")
    expect(page.locator("#verified-panel").get_by_role("heading", level=2)).to_have_text("Geverifieerde nummerweergave")
    no_text_keys(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    shot(page, "screen")
    demo = row_in(page, "number-blocks", DEMO_BLOCK)
    demo.get_by_role("button", name=f"{DEMO_BLOCK} vrijgeven").click()
    dialog = page.get_by_role("alertdialog", name=f"“{DEMO_BLOCK}” vrijgeven?")
    expect(dialog.locator(".confirm-explain")).to_have_text(
        "3 van deze nummers sturen nu gesprekken door: die gesprekken komen dan niet meer bij het bedrijf aan.")
    dialog.get_by_role("button", name="Vrijgeven").click()
    expect(dialog.locator(".used-by")).to_contain_text("Sales")
    expect(dialog.locator('.used-by li[data-kind="phone_number"]')).to_have_count(0)
    no_text_keys(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "release-refused", full_page=False)
    dialog.get_by_role("button", name="Sluiten").click()
    expect(dialog).to_be_hidden()
    verified = page.locator("#verified-panel")
    verified.get_by_label("Bedrijf").select_option(index=0)
    verified.get_by_label("Nummer").fill("12")
    verified.get_by_role("button", name="Verifiëren").click()
    expect(verified.get_by_label("Nummer")).to_have_attribute("aria-invalid", "true")
    verified.scroll_into_view_if_needed()
    no_text_keys(page)
    shot(page, "refused", full_page=False)
    page.locator("#companies").get_by_role("button", name=re.compile("bewerken$")).first.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    no_text_keys(page)
    shot(page, "company-sheet", full_page=False)
    watch.assert_clean()
    operator.context.close()
