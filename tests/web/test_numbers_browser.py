"""The numbers screen (/numbers) in Chromium, on the demo company: who answers what, every public number and
every extension with what it reaches and a working link to it (the feature codes below the table:
test_feature_codes_browser.py); a free number marked, routed from here to a
user (it becomes the user's direct number) and the table follows; a bad outside number refused beside its
field; search and the free filter; the keyboard alone; Dutch on a narrow screen."""

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

PASSWORD = "who answers what number"
SPARE = "+31201234570"
SPARE_TOO = "+31201234571"
expect.set_options(timeout=20_000)


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        assign_number(running.database_url, SPARE, "Spare line")
        assign_number(running.database_url, SPARE_TOO)
        yield running


def session(browser, server, email, language="en", **options):
    return admin_session(browser, server, email, PASSWORD, language, **options)


def open_page(admin, server, path="/numbers"):
    page = admin.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(server.url(path))
    page.wait_for_selector("body[data-ready=true]")
    return page, watch


def row_of(page, number: str):
    return page.locator("#numbers-list tbody tr").filter(has=page.locator("th", has_text=re.compile(rf"^{re.escape(number)}")))


def no_text_keys(page):
    assert "ui." not in page.locator("body").inner_text(), "a text key shown instead of its text"


def test_who_answers_what_with_links_then_route_a_free_number(server, browser):
    shot = Screenshots("numbers-en")
    admin = session(browser, server, "numbers@demo.example.com")
    plans = {row["name"]: row["id"] for row in admin.get("/api/plans")}
    users = admin.get("/api/users")
    page, watch = open_page(admin, server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Numbers")
    expect(page.get_by_role("navigation", name="Main menu").locator("[aria-current=page]")).to_have_text("Numbers")
    no_text_keys(page)

    # the main number: the company number, answered by the published reception plan, linked to its editor
    main = row_of(page, "+31201234567")
    expect(main).to_contain_text("Main number")
    expect(main).to_contain_text("Company number")
    expect(main).to_contain_text("A published call plan answers it")
    plan_link = main.get_by_role("link", name="Reception")
    expect(plan_link).to_have_attribute("href", f"/plans/{plans['Reception']}")
    expect(main.get_by_role("link", name="Open the plan that answers +31201234567")).to_have_attribute("href", f"/plans/{plans['Reception']}")
    # the others: a ring group, a queue, the plan's own extension, users' extensions, the feature codes
    expect(row_of(page, "+31201234568")).to_contain_text("Ring group: Sales")
    expect(row_of(page, "+31201234569")).to_contain_text("Queue: Support")
    expect(row_of(page, "+31201234569")).to_contain_text("Routed here")
    expect(row_of(page, "200")).to_contain_text("Call plan: Reception")
    # the feature codes come after the first page (25 rows): the list's search finds one
    page.locator("#numbers-list").get_by_role("searchbox").fill("*97")
    expect(row_of(page, "*97")).to_contain_text("Feature code: Listen to voicemail")
    page.locator("#numbers-list").get_by_role("searchbox").fill("")
    first_user = users[0]
    expect(row_of(page, first_user["extension"])).to_contain_text(f"User: {first_user['first_name']}")
    expect(row_of(page, first_user["extension"])).to_contain_text("Its own number")
    # the free numbers are marked, and counted
    spare = row_of(page, SPARE)
    expect(spare).to_contain_text("Spare line")
    expect(spare.locator(".badge-free")).to_have_text("Free")
    expect(page.locator("#numbers-summary")).to_contain_text("5 public numbers, 2 of them free")
    shot(page, "directory")

    # the link works
    plan_link.click()
    expect(page).to_have_url(re.compile(rf"/plans/{plans['Reception']}$"))
    page.go_back()
    page.wait_for_selector("body[data-ready=true]")

    # only the free ones
    page.get_by_label("Show").select_option(label="Free numbers")
    expect(page.locator("#numbers-list tbody tr")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"\?show=free"))

    # route the spare line: first to a bad outside number (refused beside the number), then to a user
    row_of(page, SPARE).get_by_role("button", name=f"Route {SPARE}").click()
    sheet = page.get_by_role("dialog", name=f"Route {SPARE}")
    expect(sheet.get_by_label("Label")).to_have_value("Spare line")
    sheet.get_by_label("Answered by").select_option(label="Outside number")
    sheet.get_by_label("Number", exact=True).fill("12")
    sheet.get_by_role("button", name="Save").click()
    number_input = sheet.get_by_label("Number", exact=True)
    expect(number_input).to_have_attribute("aria-invalid", "true")
    error = sheet.locator(".destination .field-error")
    expect(error).to_be_visible()
    assert error.inner_text().strip()
    shot(page, "field-error", full_page=False)
    sheet.get_by_label("Answered by").select_option(label="User")
    user = users[-1]
    name = f"{user['first_name']} {user['last_name']}".strip()
    sheet.get_by_label("Which one").select_option(label=f"{name} ({user['extension']})")
    sheet.get_by_role("button", name="Save").click()
    expect(sheet).to_be_hidden()
    # still filtered to the free ones: the spare line has gone from them
    expect(page.locator("#numbers-list tbody tr")).to_have_count(1)
    page.get_by_label("Show").select_option(label="All numbers")
    routed = row_of(page, SPARE)
    expect(routed).to_contain_text(f"User: {name}")
    expect(routed).to_contain_text("Routed here")
    expect(routed.locator(".badge-free")).to_have_count(0)
    expect(page.locator("#numbers-summary")).to_contain_text("5 public numbers, 1 of them free")
    # it is the user's direct number now
    assert admin.get(f"/api/users/{user['id']}")["direct_number"] == SPARE
    shot(page, "routed")

    # search: by name and by number
    search = page.locator("#numbers-list").get_by_label("Search")
    search.fill("Sales")
    expect(page.locator("#numbers-list tbody tr").first).to_contain_text("Sales")
    rows = page.locator("#numbers-list tbody tr")
    expect(rows).not_to_have_count(0)
    for text in rows.all_inner_texts():
        assert "Sales" in text
    search.fill(SPARE_TOO)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Free")
    search.fill("no such thing at all")
    expect(page.locator("#numbers-list .list-no-match")).to_contain_text("no such thing at all")
    expect(rows).to_have_count(0)
    watch.assert_clean()
    admin.context.close()


def test_route_with_the_keyboard_alone(server, browser):
    admin = session(browser, server, "keys@demo.example.com")
    page, watch = open_page(admin, server, f"/numbers?q={SPARE_TOO[1:]}")
    expect(page.locator("#numbers-list tbody tr")).to_have_count(1)
    button = row_of(page, SPARE_TOO).get_by_role("button", name=f"Route {SPARE_TOO}")
    button.focus()
    page.keyboard.press("Enter")
    sheet = page.get_by_role("dialog", name=f"Route {SPARE_TOO}")
    answered_by = sheet.get_by_label("Answered by")
    expect(answered_by).to_be_focused()
    answered_by.select_option(label="Hang up")  # a select answers the keyboard on its own; the choice is what counts
    page.keyboard.press("Tab")  # the destination's own parts are hidden for "hang up": next is the label
    expect(sheet.get_by_label("Label")).to_be_focused()
    page.keyboard.type("Nuisance line")
    page.keyboard.press("Enter")  # submits the form
    expect(sheet).to_be_hidden()
    row = row_of(page, SPARE_TOO)
    expect(row).to_contain_text("Hang up")
    expect(row).to_contain_text("Nuisance line")
    # the focus is back on the row's button, and Esc closes an opened sheet again
    expect(row.get_by_role("button", name=f"Route {SPARE_TOO}")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(row.get_by_role("button", name=f"Route {SPARE_TOO}")).to_be_focused()
    watch.assert_clean()
    admin.context.close()


def test_dutch_on_a_narrow_screen(server, browser):
    shot = Screenshots("numbers-narrow-nl")
    admin = session(browser, server, "smal-nummers@demo.example.com", language="nl", locale="nl-NL", viewport={"width": 390, "height": 844})
    page, watch = open_page(admin, server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Nummers")
    expect(row_of(page, "+31201234567")).to_contain_text("Bedrijfsnummer")
    expect(row_of(page, "+31201234568")).to_contain_text("Belgroep: Sales")
    page.locator("#numbers-list").get_by_role("searchbox").fill("*97")
    expect(row_of(page, "*97")).to_contain_text("Functiecode: Voicemail beluisteren")
    page.locator("#numbers-list").get_by_role("searchbox").fill("")
    no_text_keys(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    shot(page, "screen")
    row_of(page, "+31201234569").get_by_role("button", name="+31201234569 routeren").click()
    sheet = page.get_by_role("dialog", name="+31201234569 routeren")
    expect(sheet.get_by_label("Opgenomen door")).to_have_value("queue")
    no_text_keys(page)
    shot(page, "sheet", full_page=False)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    watch.assert_clean()
    admin.context.close()
