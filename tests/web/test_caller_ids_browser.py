"""The numbers calls may show, on the departments screen (/departments) in Chromium, on the demo company: the
company's own numbers listed with why each is allowed; a department's stored outgoing number calls cannot
show (stored before the rule) listed with what calls show instead and a link to the department; there a
number the company may not show is refused beside the field, one of its own saved, and the problem goes;
the keyboard alone; Dutch on a narrow screen."""

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

PASSWORD = "numbers calls may show"
MOBILE, NOBODYS = "+31612345678", "+31208888888"
COMPANY, SALES = "+31201234567", "+31201234568"  # the demo company's main number and the Sales line
expect.set_options(timeout=20_000)


def stored_before_the_rule(database_url: str, name: str, number: str) -> None:
    """A department whose outgoing number was stored before caller IDs were checked (the API refuses it)."""
    from sqlmodel import select

    from web.db import make_engine, session_scope
    from web.domain import audit
    from web.models import Tenant
    from web.models.company import Department

    engine = make_engine(database_url)
    try:
        with session_scope(engine, audit.SYSTEM) as db:
            db.add(Department(tenant_id=db.exec(select(Tenant)).first().id, name=name, caller_id_number=number))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        for name in ("Legacy", "Old branch", "Smalle afdeling"):
            stored_before_the_rule(running.database_url, name, MOBILE)
        yield running


def session(browser, server, email, language="en", **options):
    return admin_session(browser, server, email, PASSWORD, language, **options)


def open_page(admin, url):
    page = admin.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    page.wait_for_selector("#caller-ids")
    return page, watch


def no_text_keys(page):
    assert "ui." not in page.locator("body").inner_text(), "a text key shown instead of its text"


def problem(page, name):
    return page.locator("#caller-id-problems li").filter(has_text=name)


def test_find_the_problem_then_a_refused_number_then_one_allowed(server, browser):
    shot = Screenshots("caller-ids-en")
    admin = session(browser, server, "caller-ids@demo.example.com")
    legacy = next(row for row in admin.get("/api/departments") if row["name"] == "Legacy")
    page, watch = open_page(admin, server.url("/departments"))
    panel = page.locator("#caller-ids")
    expect(panel.get_by_role("heading", level=2)).to_have_text("Numbers calls may show")
    allowed = panel.locator("#caller-ids-allowed tbody tr")
    expect(allowed).to_have_count(len(admin.get("/api/caller-ids")["allowed"]))
    expect(allowed.filter(has_text=COMPANY)).to_contain_text("The company's own number")
    item = problem(page, "Legacy")
    expect(item).to_contain_text(f"Legacy shows {MOBILE}, which is not among them: calls show {COMPANY} instead.")
    no_text_keys(page)
    shot(page, "problem")

    # the link opens the department; a number of nobody's is refused beside the field
    item.get_by_role("link", name="Change Legacy").click()
    sheet = page.get_by_role("dialog", name="Edit Legacy")
    number = sheet.get_by_label("Outgoing number")
    expect(number).to_have_value(MOBILE)
    number.fill(NOBODYS)
    sheet.get_by_role("button", name="Save").click()
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(sheet.locator('[data-field="caller_id_number"] .field-error')).to_contain_text("company's numbers")
    expect(number).to_be_focused()
    shot(page, "refused", full_page=False)
    # one the company holds: saved, and the problem has gone
    number.fill(SALES)
    sheet.get_by_role("button", name="Save").click()
    expect(sheet).to_be_hidden()
    expect(problem(page, "Legacy")).to_have_count(0)
    expect(problem(page, "Old branch")).to_have_count(1)
    assert admin.get(f"/api/departments/{legacy['id']}")["caller_id_number"] == SALES
    shot(page, "mended")
    watch.assert_clean()
    admin.context.close()


def test_from_the_problem_to_the_department_with_the_keyboard_alone(server, browser):
    admin = session(browser, server, "caller-id-keys@demo.example.com")
    page, watch = open_page(admin, server.url("/departments"))
    link = problem(page, "Old branch").get_by_role("link", name="Change Old branch")
    link.focus()
    page.keyboard.press("Enter")
    sheet = page.get_by_role("dialog", name="Edit Old branch")
    expect(sheet.get_by_label("Name")).to_be_focused()
    page.keyboard.press("Tab")
    expect(sheet.get_by_label("Outgoing number")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type(COMPANY)
    page.keyboard.press("Enter")
    expect(sheet).to_be_hidden()
    expect(problem(page, "Old branch")).to_have_count(0)
    watch.assert_clean()
    admin.context.close()


def test_dutch_on_a_narrow_screen(server, browser):
    shot = Screenshots("caller-ids-narrow-nl")
    admin = session(browser, server, "smal-nummers-tonen@demo.example.com", language="nl", locale="nl-NL",
                    viewport={"width": 390, "height": 844})
    page, watch = open_page(admin, server.url("/departments"))
    panel = page.locator("#caller-ids")
    expect(panel.get_by_role("heading", level=2)).to_have_text("Nummers die gesprekken mogen tonen")
    expect(panel.locator("#caller-ids-allowed tbody tr").filter(has_text=COMPANY)).to_contain_text("Eigen nummer van het bedrijf")
    expect(problem(page, "Smalle afdeling")).to_contain_text("gesprekken tonen in plaats daarvan")
    no_text_keys(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    panel.scroll_into_view_if_needed()
    shot(page, "screen")
    problem(page, "Smalle afdeling").get_by_role("link", name="Smalle afdeling wijzigen").click()
    sheet = page.get_by_role("dialog", name="Smalle afdeling bewerken")
    sheet.get_by_label("Uitgaand nummer").fill(NOBODYS)
    sheet.get_by_role("button", name="Opslaan").click()
    expect(sheet.get_by_label("Uitgaand nummer")).to_have_attribute("aria-invalid", "true")
    no_text_keys(page)
    shot(page, "refused", full_page=False)
    watch.assert_clean()
    admin.context.close()
