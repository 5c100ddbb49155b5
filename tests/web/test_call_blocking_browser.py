"""Incoming call blocking in Chromium (#16 item 2), on the demo company: the company's rules in their
section of /company (anonymous callers, numbers and prefixes with a schedule, what a blocked caller
hears), a refusal beside the number's row and beside the message's audio, kept after a reload; a user's
rules on the user page's "Call blocking" tab, in Dutch on a narrow screen and by keyboard alone; a
phonebook contact marked blocked; and a blocked call marked as such on /calls."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, in_process_server  # noqa: E402,F401  (fixtures)
from tests.web.browser_support import admin_session  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "the call blocking screens"
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        yield running


def session(browser, server, email, language="en", **options):
    return admin_session(browser, server, email, PASSWORD, language, **options)


def open_page(admin, server, path):
    page = admin.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(server.url(path))
    page.wait_for_selector("body[data-ready=true]")
    return page, watch


def no_text_keys(page):
    assert "ui." not in page.locator("body").inner_text(), "a text key shown instead of its text"


def test_the_companys_blocking_with_errors_beside_their_fields(server, browser):
    shot = Screenshots("blocking-company-en")
    admin = session(browser, server, "blocking@demo.example.com")
    page, watch = open_page(admin, server, "/company")
    section = page.get_by_role("region", name="Incoming call blocking", exact=True)
    expect(section).to_be_visible()
    expect(section.locator(".section-help")).to_contain_text("Colleagues are never blocked")
    section.get_by_label("Block anonymous callers").check()
    section.get_by_role("button", name="Add a number").click()
    expect(section.get_by_label("Number", exact=True)).to_be_focused()
    section.get_by_label("Number", exact=True).fill("12ab")
    section.get_by_label("Answer").select_option(label="A message")
    no_text_keys(page)
    page.get_by_role("button", name="Save").click()
    # both refusals beside their inputs: the number's row and the message's audio
    expect(section.get_by_label("Number", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(section.locator(".blocking-number .field-error")).to_be_visible()
    expect(section.locator("select[name$='-audio']")).to_have_attribute("aria-invalid", "true")
    assert admin.get("/api/company")["call_blocking"]["anonymous"] is False  # nothing saved
    section.scroll_into_view_if_needed()
    shot(page, "errors")

    section.get_by_label("Number", exact=True).fill("06 1234 5678")
    section.get_by_role("button", name="Add a number").click()
    rows = section.locator(".blocking-number")
    rows.nth(1).get_by_label("Match").select_option(label="Starts with")
    rows.nth(1).get_by_label("Number", exact=True).fill("+3190")
    rows.nth(1).get_by_label("When").select_option(label="Office hours")
    section.get_by_label("Answer").select_option(label="Refused")
    section.get_by_label("Reason given").select_option(label="Number changed (410)")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".toast")).to_contain_text("Company settings saved.")
    saved = admin.get("/api/company")["call_blocking"]
    office = next(row["id"] for row in admin.get("/api/schedules") if row["name"] == "Office hours")
    assert saved["anonymous"] is True and saved["treatment"] == "reject" and saved["reject_cause"] == "NUMBER_CHANGED"
    assert saved["numbers"] == [{"match": "number", "number": "0612345678", "schedule_id": None},
                                {"match": "prefix", "number": "+3190", "schedule_id": office}]

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    section = page.get_by_role("region", name="Incoming call blocking", exact=True)
    expect(section.get_by_label("Block anonymous callers")).to_be_checked()
    expect(section.locator(".blocking-number")).to_have_count(2)
    expect(section.locator(".blocking-number").nth(1).get_by_label("Number", exact=True)).to_have_value("+3190")
    expect(section.get_by_label("Reason given").locator("option:checked")).to_have_text("Number changed (410)")
    section.scroll_into_view_if_needed()
    shot(page, "saved")

    # a number removed again by its own button
    section.get_by_role("button", name="Remove 0612345678").click()
    expect(section.locator(".blocking-number")).to_have_count(1)
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".toast")).to_contain_text("Company settings saved.")
    assert [row["number"] for row in admin.get("/api/company")["call_blocking"]["numbers"]] == ["+3190"]
    watch.assert_clean()
    admin.context.close()


def test_a_users_blocking_in_dutch_on_a_narrow_screen_by_keyboard(server, browser):
    shot = Screenshots("blocking-user-nl")
    admin = session(browser, server, "blokkeren@demo.example.com", language="nl", locale="nl-NL",
                    viewport={"width": 390, "height": 844})
    user = next(row for row in admin.get("/api/users") if row["extension"] == "201")
    page, watch = open_page(admin, server, f"/users/{user['id']}#blocking")
    tab = page.get_by_role("tab", name="Blokkeren")
    expect(tab).to_have_attribute("aria-selected", "true")
    panel = page.get_by_role("tabpanel")
    expect(panel).to_contain_text("Collega's komen altijd door")
    no_text_keys(page)
    # by keyboard: the switch, a number, busy, save with Enter in the number
    panel.get_by_label("Blokkeer alle bellers").focus()
    page.keyboard.press("Space")
    panel.get_by_role("button", name="Nummer toevoegen").focus()
    page.keyboard.press("Enter")
    expect(panel.get_by_label("Nummer", exact=True)).to_be_focused()
    page.keyboard.type("+32471234567")
    panel.get_by_label("Antwoord").focus()
    page.keyboard.press("End")  # the last choice: a message
    panel.get_by_label("Antwoord").select_option(label="In gesprek")
    panel.get_by_label("Nummer", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.locator(".toast")).to_be_visible()
    saved = admin.get(f"/api/users/{user['id']}")["call_blocking"]
    assert (saved["all_callers"], saved["treatment"], saved["numbers"][0]["number"]) == (True, "busy", "+32471234567")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    shot(page, "saved")
    watch.assert_clean()
    admin.context.close()


def test_a_blocked_contact_and_a_blocked_call_are_shown(server, browser):
    from sqlmodel import select

    from web.db import make_engine, session_scope
    from web.domain import audit
    from web.models import Tenant
    from web.models.call_record import CallRecord

    shot = Screenshots("blocking-records-en")
    engine = make_engine(server.database_url)
    try:
        with session_scope(engine, audit.SYSTEM) as db:
            tenant = db.exec(select(Tenant)).first()
            start = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
            db.add(CallRecord(tenant_id=tenant.id, call_uuid="blocked-call-1", direction="inbound", caller_number="0612000666",
                              dialled_number="+31201234567", callee_number="+31201234567", started_at=start, ended_at=start,
                              hangup_cause="CALL_REJECTED", call_type="mobile", blocked="company", sources=["cdr"]))
    finally:
        engine.dispose()
    admin = session(browser, server, "blocking-records@demo.example.com")
    page, watch = open_page(admin, server, "/phonebook")
    page.get_by_role("button", name="New contact").click()
    sheet = page.get_by_role("dialog")
    sheet.get_by_label("Name").fill("Pest Caller")
    sheet.get_by_label("Number").fill("0612000666")
    sheet.get_by_label("Blocked").check()
    sheet.get_by_role("button", name="Add").click()
    row = page.get_by_role("row").filter(has_text="Pest Caller")
    expect(row).to_contain_text("blocked")
    assert any(contact["blocked"] for contact in admin.get("/api/phonebook"))
    shot(page, "phonebook")

    page.goto(server.url("/calls"))
    page.wait_for_selector("body[data-ready=true]")
    record = page.get_by_role("row").filter(has_text="0612000666")
    expect(record).to_contain_text("blocked")
    page.get_by_label("Blocked", exact=True).select_option(label="Blocked only")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_role("row").filter(has_text="0612000666")).to_be_visible()
    record.get_by_role("button", name="Details of the call").click()
    expect(page.locator("#detail")).to_contain_text("The company's call blocking")
    no_text_keys(page)
    shot(page, "calls")
    watch.assert_clean()
    admin.context.close()
