"""The home page ("/") in Chromium: a new company's admin sees the set-up checklist with nothing done and a
link to each screen, does each thing through the API, reloads and sees every item ticked; today's
numbers, the bridge that is down, a diversion switched from the home page; Dutch on a narrow screen; the
platform operator creates a company with its first admin in the browser and assigns it a number.

The server runs in this process (browser_support.in_process_server)."""

from __future__ import annotations

from datetime import timedelta

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

PASSWORD = "a home page that helps"
TIMEOUT = 20_000
ITEMS = ["company_number", "user_with_phone", "phone_registered", "plan_on_number", "opening_hours", "voicemail_email"]
LINKS = ["/company", "/users", "/devices", "/plans", "/schedules", "/voicemail"]


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        yield running


def _with_db(database_url: str, work):
    from web.db import make_engine, session_scope
    from web.domain import audit

    engine = make_engine(database_url)
    try:
        with session_scope(engine, audit.SYSTEM) as db:
            return work(db)
    finally:
        engine.dispose()


def fresh_company(server, name: str, domain: str, emails: dict[str, str]) -> int:
    """A company with nothing set up, and admins (address -> language) who log in at once."""
    from web.auth.passwords import hash_password
    from web.models import Account, Tenant

    def work(db):
        tenant = Tenant(name=name, sip_domain=domain, timezone="Europe/Amsterdam", language="en")
        db.add(tenant)
        db.flush()
        for email, language in emails.items():
            db.add(Account(email=email, role="admin", tenant_id=tenant.id, first_name="Fleur", language=language,
                           password_hash=hash_password(fast_settings(server.database_url), PASSWORD)))
        return tenant.id

    return _with_db(server.database_url, work)


def operator_account(server, email: str) -> None:
    from web.auth.passwords import hash_password
    from web.models import Account

    _with_db(server.database_url, lambda db: db.add(Account(
        email=email, role="operator", tenant_id=None, first_name="Otto", language="en",
        password_hash=hash_password(fast_settings(server.database_url), PASSWORD))))


def assign(server, tenant_id: int, number: str) -> None:
    """The operator's part: a public number of the company."""
    from web.domain import numbers

    _with_db(server.database_url, lambda db: numbers.assign(db, tenant_id, [number]))


def register(server, tenant_id: int, device: dict) -> None:
    """The phone registers (the bridge writes this row when FreeSWITCH tells it)."""
    from web import clock
    from web.models.live import SipRegistration

    _with_db(server.database_url, lambda db: db.add(SipRegistration(
        tenant_id=tenant_id, call_id=f"reg-{device['id']}", sip_user=device["sip_username"], realm="fresh.pbx.test",
        device_id=device["id"], contact=f"sip:{device['sip_username']}@192.0.2.10", network_ip="192.0.2.10",
        user_agent="Yealink SIP-T46U", expires_at=clock.now() + timedelta(hours=1))))


def open_home(session, server):
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(server.url("/"))
    page.wait_for_selector("body[data-ready=true]", timeout=TIMEOUT)
    return page, watch


def no_text_keys(page):
    assert "ui." not in page.locator("main").inner_text(), "a text key shown instead of its text"


def test_the_checklist_ticks_as_the_admin_sets_the_company_up(server, browser):
    shot = Screenshots("home-checklist")
    tenant_id = fresh_company(server, "Fresh Flowers", "fresh.pbx.test", {"fleur@fresh.test": "en"})
    admin = log_in(browser, server, email="fleur@fresh.test", password=PASSWORD)
    page, watch = open_home(admin, server)
    checklist = page.locator("#checklist")
    expect(checklist.get_by_role("heading", name="Setting up your phone system")).to_be_visible(timeout=TIMEOUT)
    expect(checklist.locator(".home-progress")).to_have_text("0 of 6 done")
    items = checklist.locator(".home-check")
    expect(items).to_have_count(6)
    for index, (item, link) in enumerate(zip(ITEMS, LINKS)):
        row = items.nth(index)
        expect(row).to_have_attribute("data-item", item)
        expect(row).to_have_attribute("data-done", "false")
        expect(row.get_by_role("link", name="Set up")).to_have_attribute("href", link)
    expect(items.first).to_contain_text("Set the company number")
    expect(page.locator("#today [data-stat=phones] .home-stat-value")).to_have_text("0 of 0")
    # no bridge runs beside the tests: that needs attention
    expect(page.locator("#attention [data-kind=bridge]")).to_contain_text("The link to the phone switch is down")
    expect(page.locator("#diversions")).to_contain_text("No published call plan has diversions.")
    no_text_keys(page)
    shot(page, "empty")

    # the first one done, then a reload ticks it
    assign(server, tenant_id, "+31301234500")
    admin.call("PATCH", "/api/company", {"company_number": "+31301234500"}, expect=200)
    page.reload()
    page.wait_for_selector("body[data-ready=true]", timeout=TIMEOUT)
    expect(items.first).to_have_attribute("data-done", "true")
    expect(items.first.get_by_role("link")).to_have_count(0)
    expect(checklist.locator(".home-progress")).to_have_text("1 of 6 done")

    # and the rest, as an admin does them on the other screens
    user = admin.post("/api/users", {"first_name": "Fleur", "extension": "201"}, expect=201)
    phone = admin.post("/api/devices", {"name": "Desk", "user_id": user["id"]}, expect=201)
    register(server, tenant_id, phone)
    plan = admin.post("/api/plans", {"name": "Reception", "numbers": ["+31301234500"],
                                     "steps": [{"id": "s1", "type": "hang_up"}],
                                     "diversions": [{"id": "d1", "name": "Storm", "steps": [{"id": "x", "type": "hang_up"}]}]},
                      expect=201)
    admin.post(f"/api/plans/{plan['id']}/publish", {}, expect=200)
    admin.post("/api/schedules", {"name": "Office", "periods": [
        {"from_day": "mon", "from_time": "08:00", "to_day": "mon", "to_time": "17:00"}]}, expect=201)
    admin.post("/api/voicemail-boxes", {"name": "Shop voicemail", "extension": "999", "pin": "1999",
                                        "email": "shop@fresh.test"}, expect=201)
    page.reload()
    page.wait_for_selector("body[data-ready=true]", timeout=TIMEOUT)
    expect(checklist.locator(".home-progress")).to_have_text("All set: your phone system is ready for calls.")
    for index in range(6):
        expect(items.nth(index)).to_have_attribute("data-done", "true")
    expect(checklist.get_by_role("link")).to_have_count(0)
    expect(page.locator("#today [data-stat=phones] .home-stat-value")).to_have_text("1 of 1")

    # the plan's diversion, switched from here
    storm = page.locator("#diversions").get_by_role("button", name="Storm")
    expect(storm).to_have_attribute("aria-pressed", "false")
    storm.click()
    expect(page.locator("#diversions").get_by_role("button", name="Storm")).to_have_attribute("aria-pressed", "true", timeout=TIMEOUT)
    assert admin.get(f"/api/plans/{plan['id']}")["active_diversions"] == ["d1"]
    no_text_keys(page)
    shot(page, "done")
    watch.assert_clean()


def test_dutch_on_a_narrow_screen(server, browser):
    shot = Screenshots("home-nl-narrow")
    fresh_company(server, "Bakkerij", "bakkerij.pbx.test", {"bakker@bakkerij.test": "nl"})
    admin = log_in(browser, server, email="bakker@bakkerij.test", password=PASSWORD, locale="nl-NL",
                   viewport={"width": 380, "height": 800})
    page, watch = open_home(admin, server)
    checklist = page.locator("#checklist")
    expect(checklist.get_by_role("heading", name="Uw telefooncentrale inrichten")).to_be_visible(timeout=TIMEOUT)
    expect(checklist.locator(".home-progress")).to_have_text("0 van 6 klaar")
    expect(checklist.locator(".home-check").first).to_contain_text("Bedrijfsnummer instellen")
    expect(checklist.get_by_role("link", name="Instellen")).to_have_count(6)
    expect(page.get_by_role("heading", name="Vandaag")).to_be_visible()
    expect(page.get_by_role("heading", name="Vraagt aandacht")).to_be_visible()
    expect(page.locator(".night-card").get_by_role("heading", name="Nachtschakeling")).to_be_visible()
    no_text_keys(page)
    # nothing wider than the screen
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 380
    shot(page, "home")
    watch.assert_clean()


def test_the_operator_creates_a_company_with_its_first_admin_and_assigns_a_number(server, browser):
    shot = Screenshots("home-operator")
    operator_account(server, "otto@platform.test")
    operator = log_in(browser, server, email="otto@platform.test", password=PASSWORD)
    page, watch = open_home(operator, server)
    companies = page.locator("#companies")
    expect(companies.get_by_role("heading", name="Companies")).to_be_visible(timeout=TIMEOUT)
    expect(companies.locator("tbody tr").first).to_be_visible()
    no_text_keys(page)
    shot(page, "list")

    companies.get_by_role("button", name="New company").click()
    sheet = page.get_by_role("dialog", name="New company")
    sheet.get_by_label("Company name").fill("Garage Gerrits")
    sheet.get_by_label("SIP domain").fill("not a domain")
    sheet.get_by_label("First admin's e-mail address").fill("gerrit@garage.test")
    sheet.get_by_role("button", name="New company").click()
    # the API's refusal beside the field
    expect(sheet.get_by_label("SIP domain")).to_have_attribute("aria-invalid", "true", timeout=TIMEOUT)
    shot(page, "field-error", full_page=False)
    sheet.get_by_label("SIP domain").fill("garage.pbx.test")
    sheet.get_by_label("First admin's first name").fill("Gerrit")
    sheet.get_by_role("button", name="New company").click()
    expect(sheet).to_be_hidden(timeout=TIMEOUT)
    row = companies.locator("tbody tr", has_text="Garage Gerrits")
    expect(row).to_be_visible(timeout=TIMEOUT)
    expect(row.locator("[data-column=accounts]")).to_have_text("1")
    expect(row.locator("[data-column=numbers]")).to_have_text("0")
    created = next(company for company in operator.get("/api/platform/companies") if company["name"] == "Garage Gerrits")
    assert created["sip_domain"] == "garage.pbx.test"
    admins = operator.get("/api/tenants")
    assert any(tenant["name"] == "Garage Gerrits" for tenant in admins)

    # a number for it
    numbers = page.locator("#assign-numbers")
    numbers.get_by_label("Company").select_option(label="Garage Gerrits")
    numbers.get_by_label("Number (first of a block)").fill("+31401234500")
    numbers.get_by_role("button", name="Assign").click()
    expect(row.locator("[data-column=numbers]")).to_have_text("1", timeout=TIMEOUT)
    shot(page, "assigned")
    watch.assert_clean()
