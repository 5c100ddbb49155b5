"""The page groups screen (/page-groups, static/js/page-groups.js) in Chromium, on the demo company
(#18 item 4): a group made with the keyboard alone (members found by search), the API's refusal of a
taken number beside its field, the group in the list with its number and members; the group offered as
a destination (an IVR key), and its delete refused while that key sends callers there; Dutch on a
phone-sized screen."""

from __future__ import annotations

import re

import pytest

from tests.web.browser_support import Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, in_process_server  # noqa: E402,F401  (fixtures)
from tests.web.browser_support import admin_session, open_screen  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "page the whole warehouse"
WAIT = 15_000


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        yield running


def row(page, name):
    return page.locator(".list-table tbody tr").filter(has=page.locator("th", has_text=re.compile(f"^{re.escape(name)}$")))


def test_make_a_group_by_keyboard_and_see_it_refused_for_deletion_while_used(server, browser):
    shot = Screenshots("page-groups")
    admin = admin_session(browser, server, "paging@demo.example.com", PASSWORD)
    staff = {user["first_name"]: user for user in admin.get("/api/users")}
    bram = staff["Bram"]
    phone = next(device for device in admin.get("/api/devices") if device["user_id"] == staff["Daan"]["id"])
    page, watch = open_screen(admin, server, "/page-groups", wait_ms=WAIT)
    expect(page.get_by_role("heading", level=1)).to_have_text("Page groups")
    expect(page.get_by_role("navigation", name="Main menu").locator("[aria-current=page]")).to_have_text("Page groups")
    expect(page.locator("main")).to_contain_text("intercom code (by default *80)")
    assert "ui." not in page.locator("body").inner_text(), "a text key shown instead of its text"

    page.locator(".page-head").get_by_role("button", name="New page group").focus()
    page.keyboard.press("Enter")
    sheet = page.get_by_role("dialog", name="New page group")
    expect(sheet.get_by_label("Name", exact=True)).to_be_focused()
    page.keyboard.type("Warehouse")
    page.keyboard.press("Tab")
    expect(sheet.get_by_label("Number")).to_be_focused()
    page.keyboard.type(bram["extension"])  # Bram's: taken
    search = sheet.get_by_label("Add a user or a phone")
    search.focus()
    page.keyboard.type("Bram")
    expect(sheet.get_by_role("button", name=f"Add Bram {bram['last_name']} ({bram['extension']})")).to_be_visible()
    page.keyboard.press("Enter")
    expect(search).to_be_focused()
    page.keyboard.type(phone["name"][:6])
    page.keyboard.press("ArrowDown")
    expect(sheet.get_by_role("button", name=f"Add {phone['name']}")).to_be_focused()
    page.keyboard.press("Enter")
    assert sheet.locator(".ol-row .ol-label").all_inner_texts() == [f"Bram {bram['last_name']} ({bram['extension']})", phone["name"]]
    expect(sheet.locator(".ol-row").nth(1)).to_contain_text("Phone")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/api/page-groups")) as answer:
        sheet.get_by_role("button", name="Add", exact=True).click()
    assert answer.value.status == 409
    assert [error["pointer"] for error in answer.value.json()["errors"]] == ["/extension"]
    number = sheet.get_by_label("Number")
    expect(number).to_have_attribute("aria-invalid", "true")
    shot(page, "number-taken", full_page=False)
    number.fill("600")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/api/page-groups")) as sent:
        sheet.get_by_role("button", name="Add", exact=True).click()
    assert sent.value.post_data_json["members"] == [{"type": "user", "id": bram["id"]}, {"type": "device", "id": phone["id"]}]
    expect(sheet).to_be_hidden()
    warehouse = row(page, "Warehouse")
    expect(warehouse.locator("td.mono")).to_have_text("600")
    expect(warehouse).to_contain_text("2")
    expect(warehouse).to_contain_text("Not used")
    shot(page, "made")
    (group,) = [g for g in admin.get("/api/page-groups") if g["name"] == "Warehouse"]

    # a menu key sends callers to the group (a destination like any other), so a delete is refused with it
    menu = admin.post("/api/ivr-menus", {"name": "Paging menu", "keys": {"9": {"action": "forward", "destination": {
        "type": "page_group", "id": group["id"]}}}}, expect=201)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    warehouse = row(page, "Warehouse")
    expect(warehouse.locator(".used-by-cell a")).to_have_text("Paging menu")
    warehouse.get_by_role("button", name="Delete Warehouse").click()
    question = page.get_by_role("alertdialog")
    question.get_by_role("button", name="Delete").click()
    expect(question.get_by_role("alert")).to_contain_text("still used by")
    shot(page, "refused")
    question.get_by_role("button", name="Close").click()

    # the IVR menu's key shows the page group as its destination, among the kinds a destination offers
    page.goto(server.url(f"/ivr-menus?edit={menu['id']}"))
    page.wait_for_selector("body[data-ready=true]")
    menu_sheet = page.get_by_role("dialog")
    nine = menu_sheet.locator('.ivr-key[data-key="9"]').first
    expect(nine).to_have_accessible_name(re.compile(r"Key 9: .*Page group: Warehouse \(600\)"))
    nine.click()
    expect(menu_sheet.locator(".ivr-key-editor .destination > select")).to_have_value("page_group")
    shot(page, "ivr-key-destination", full_page=False)
    watch.assert_clean()


def test_dutch_on_a_narrow_screen(server, browser):
    shot = Screenshots("page-groups")
    admin = admin_session(browser, server, "paging-nl@demo.example.com", PASSWORD, "nl", locale="nl-NL",
                          viewport={"width": 380, "height": 800})
    users = admin.get("/api/users")
    if not any(g["name"] == "Kantine" for g in admin.get("/api/page-groups")):
        admin.post("/api/page-groups", {"name": "Kantine", "extension": "620", "members": [{"type": "user", "id": users[0]["id"]}]},
                   expect=201)
    page, watch = open_screen(admin, server, "/page-groups", wait_ms=WAIT)
    expect(page.get_by_role("heading", level=1)).to_have_text("Omroepgroepen")
    expect(page.locator("main")).to_contain_text("intercomcode (standaard *80)")
    expect(row(page, "Kantine")).to_contain_text("620")
    assert page.evaluate("document.documentElement.scrollWidth") <= 380 + 1
    shot(page, "dutch-narrow")
    row(page, "Kantine").get_by_role("button", name=re.compile("Kantine")).first.click()
    sheet = page.get_by_role("dialog")
    expect(sheet.get_by_label("Gebruiker of toestel toevoegen")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 380 + 1
    shot(page, "dutch-narrow-sheet")
    assert "ui." not in page.locator("body").inner_text(), "a text key shown instead of its text"
    watch.assert_clean()
