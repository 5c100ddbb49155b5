"""The "Receive fax" step on the call-plan canvas in Chromium (#18 item 5): added from the palette by
keyboard, its settings (the addresses each fax is mailed to, the fax ident the sender sees) typed in its
form, saved with Ctrl+S and stored as typed; the step and its
fields in Dutch on a narrow screen. Screenshots in test-artifacts/fax-step-*.png."""

from __future__ import annotations

import re

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, live_server  # noqa: E402,F401  (fixtures)
from tests.web.canvas_support import card, ensure_admin, log_in, new_plan, open_plan, palette  # noqa: E402

pytestmark = pytest.mark.browser


def form(page):
    return page.locator("#panel-step")


def test_the_fax_step_added_and_set_by_keyboard(live_server, browser):
    shot = Screenshots("fax-step")
    session = log_in(browser, live_server)
    plan_id = new_plan(session, "Fax line", steps=[{"id": "s1", "type": "prefix", "text": "FAX "}])
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    open_plan(page, session, plan_id)
    card(page, "s1").focus()
    page.keyboard.press("Enter")
    palette(page, "receive_fax").focus()
    expect(palette(page, "receive_fax")).to_contain_text("Receive fax")
    page.keyboard.press("Enter")
    expect(card(page, "s2")).to_be_focused()
    page.keyboard.press("F2")
    mail_to = form(page).locator("input[name=mail_to]")
    expect(form(page).get_by_text("Mail each fax (PDF) to")).to_be_visible()
    mail_to.fill("Fax@Demo.example.com")
    station = form(page).locator("input[name=station_id]")
    station.fill("+31 20 123 4568")
    page.keyboard.press("Control+s")
    expect(page.locator("#page-status")).to_have_text("Draft saved.")
    expect(card(page, "s2").locator(".step-summary")).to_have_text(re.compile("fax@demo.example.com", re.I))
    document = session.get(f"/api/plans/{plan_id}")["document"]
    step = document["steps"][1]
    assert (step["type"], step["mail_to"], step["station_id"]) == ("receive_fax", ["fax@demo.example.com"], "+31 20 123 4568")
    shot(page, "saved")
    watch.assert_clean()
    session.context.close()


def test_dutch_on_a_narrow_screen(live_server, browser):
    ensure_admin(live_server.database_url, "fax-nl@demo.example.com", language="nl")
    session = log_in(browser, live_server, email="fax-nl@demo.example.com", locale="nl-NL",
                     viewport={"width": 380, "height": 800})
    plan_id = new_plan(session, "Faxlijn", steps=[{"id": "s1", "type": "receive_fax", "mail_to": ["fax@demo.example.com"]}])
    page = session.context.new_page()
    open_plan(page, session, plan_id)
    card(page, "s1").focus()
    page.keyboard.press("F2")
    expect(form(page).get_by_text("Elke fax (pdf) mailen naar")).to_be_visible()
    expect(form(page).get_by_text(re.compile("^Faxnaam die de afzender ziet"))).to_be_visible()
    expect(card(page, "s1")).to_contain_text("Fax ontvangen")
    Screenshots("fax-step-nl")(page, "narrow", full_page=False)
    session.context.close()
