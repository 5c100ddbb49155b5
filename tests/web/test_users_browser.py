"""The users screen (/users) and a user's page (/users/<id>) in Chromium, on the demo company: search by
name, extension, number or phone; a new user added with the keyboard alone, its free extension filled in
and a direct number picked from the company's free ones; every tab of the user's page saved and read
back through the API (forwarding on no answer to voicemail, voicemail, the mobile, caller ID, night mode,
pickup groups, portal access); a field error beside its field; a refused delete listing what uses the
user (linked) and a done one; Dutch on a narrow screen."""

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
from tests.web.canvas_support import assign_number  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "people of the company"
WAIT = 20_000  # ms: a loaded machine is slow, never wrong


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        assign_number(running.database_url, "+31201234590", "Gina direct")
        yield running


def session(browser, server, email, language="en", **options):
    return admin_session(browser, server, email, PASSWORD, language, **options)


def open_page(admin, server, path="/users"):
    return open_screen(admin, server, path, wait_ms=WAIT)


def no_text_keys(page):
    assert not re.search(r"\bui\.[a-z_]+\.", page.locator("body").inner_text()), "a text key shown instead of its text"


def user_by_extension(admin, extension):
    return next(row for row in admin.get("/api/users") if row["extension"] == extension)


def save(page, button, path_part="/api/"):
    """Click a Save button and wait for the answer to its PATCH (the toast of an earlier save may still show)."""
    with page.expect_response(lambda response: response.request.method in ("PATCH", "POST") and path_part in response.url) as answer:
        button.click()
    assert answer.value.status < 300, answer.value.text()


def test_search_and_add_a_user_with_the_keyboard(server, browser):
    shot = Screenshots("users-list")
    admin = session(browser, server, "people@demo.example.com")
    page, watch = open_page(admin, server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    expect(page.get_by_role("navigation", name="Main menu").locator("[aria-current=page]")).to_have_text("Users")
    rows = page.locator("tbody tr")
    expect(rows.first).to_be_visible()
    total = rows.count()
    assert total >= 5
    no_text_keys(page)
    shot(page, "list")

    search = page.get_by_label("Search")
    search.fill("bram")  # by name
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Bram")
    expect(rows.first).to_contain_text("Bram's desk phone")
    carla = user_by_extension(admin, "203")
    search.fill("203")  # by extension
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(carla["first_name"])
    search.fill("eva's desk")  # by phone
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Eva")
    search.fill("")
    expect(rows).to_have_count(total)

    suggested = admin.get("/api/extensions/next-free?kind=user")["extension"]
    # the keyboard alone: New user, the fields in order, Add
    page.get_by_role("button", name="New user").focus()
    page.keyboard.press("Enter")
    sheet = page.get_by_role("dialog", name="New user")
    expect(sheet.get_by_label("First name")).to_be_focused()
    expect(sheet.get_by_label("Extension")).to_have_value(suggested)
    page.keyboard.type("Gina")
    page.keyboard.press("Tab")
    page.keyboard.type("de Vries")
    page.keyboard.press("Tab")
    page.keyboard.type("gina@demo.example.com")
    page.keyboard.press("Tab")  # the extension: the suggested one stays
    expect(sheet.get_by_label("Extension")).to_be_focused()
    page.keyboard.press("Tab")
    direct = sheet.get_by_label("Direct number")
    expect(direct).to_be_focused()
    options = direct.locator("option").all_inner_texts()
    assert "+31201234590 · Gina direct" in options, options  # the company's free number, with its label
    direct.select_option(label="+31201234590 · Gina direct")  # a select: the arrow keys pick, as a person does
    shot(page, "new-user", full_page=False)
    with page.expect_request(lambda request: request.method == "POST" and request.url.endswith("/api/users")) as sent:
        sheet.get_by_role("button", name="Add", exact=True).focus()
        page.keyboard.press("Enter")
    body = sent.value.post_data_json
    assert body["first_name"] == "Gina" and body["extension"] == suggested and body["direct_number"] == "+31201234590"
    expect(sheet).to_be_hidden()
    expect(page.locator(".toast")).to_contain_text(f"“Gina de Vries” added with extension {suggested}.")
    search.fill("+31201234590")  # by direct number
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Gina de Vries")
    gina = user_by_extension(admin, suggested)
    assert gina["direct_number"] == "+31201234590" and gina["email"] == "gina@demo.example.com"
    # the free numbers no longer offer it
    assert "+31201234590" not in [row["number"] for row in admin.get("/api/numbers/free")]
    watch.assert_clean()


def test_a_users_page_tab_by_tab(server, browser):
    shot = Screenshots("users-page")
    admin = session(browser, server, "tabs@demo.example.com")
    made = admin.post("/api/users", {"first_name": "Hanna", "last_name": "Bakker", "extension": "260", "email": "hanna@demo.example.com"},
                      expect=201)
    page, watch = open_page(admin, server, f"/users/{made['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hanna Bakker (260)")
    tabs = page.get_by_role("tab")
    expect(tabs).to_have_count(9)
    expect(page.get_by_role("tab", name="General")).to_have_attribute("aria-selected", "true")
    no_text_keys(page)
    shot(page, "general")

    # a field error beside its field: an extension another user has
    general = page.locator("#panel-general")
    general.get_by_label("Extension").fill("202")
    general.get_by_role("button", name="Save").click()
    error = general.locator('[data-field="extension"] .field-error')
    expect(error).to_be_visible()
    expect(general.get_by_label("Extension")).to_have_attribute("aria-invalid", "true")
    expect(general.get_by_label("Extension")).to_be_focused()
    shot(page, "field-error")
    general.get_by_label("Extension").fill("261")
    general.get_by_label("Last name").fill("Bakker-Smit")
    general.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hanna Bakker-Smit (261)")
    expect(error).to_have_count(0)

    # the tabs with the arrow keys
    page.get_by_role("tab", name="General").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Phones")).to_be_focused()
    page.keyboard.press("ArrowRight")
    forwarding_tab = page.get_by_role("tab", name="Forwarding")
    expect(forwarding_tab).to_be_focused()
    expect(forwarding_tab).to_have_attribute("aria-selected", "true")
    assert page.evaluate("window.location.hash") == "#forwarding"

    # forwarding: not answered after 15 s to the user's own voicemail box; night mode never; DND on
    panel = page.locator("#panel-forwarding")
    expect(panel).to_be_visible()
    rule = panel.get_by_role("group", name="When not answered")
    rule.get_by_label("Forward when not answered").check()
    rule.get_by_label("After (seconds)").fill("15")
    rule.get_by_label("Forward to").select_option(label="Voicemail box")
    box = admin.get(f"/api/users/{made['id']}")["voicemail_box_id"]
    rule.locator("select").nth(1).select_option(value=str(box))
    panel.get_by_label("At night").select_option(label="Never night mode")
    panel.get_by_label("Do not disturb").check()
    shot(page, "forwarding")
    save(page, panel.get_by_role("button", name="Save"))

    def saved():
        return admin.get(f"/api/users/{made['id']}")
    user = saved()
    rule_saved = user["forwarding"]["no_answer"]
    assert rule_saved["enabled"] is True and rule_saved["after_s"] == 15
    assert {key: rule_saved["to"][key] for key in ("type", "id")} == {"type": "voicemail_box", "id": box}
    assert user["forwarding"]["always"]["enabled"] is False
    assert user["night_mode"] == "off" and user["dnd"] is True

    # a refusal inside the forwarding lands beside its input
    rule.get_by_label("After (seconds)").fill("2")
    panel.get_by_role("button", name="Save").click()
    expect(rule.get_by_label("After (seconds)")).to_have_attribute("aria-invalid", "true")
    expect(rule.locator(".field-error")).to_be_visible()
    rule.get_by_label("After (seconds)").fill("20")
    panel.get_by_role("button", name="Save").click()
    expect(rule.locator(".field-error")).to_have_count(0)

    # voicemail: after 3 rings when not answered; the box mails to another address
    page.get_by_role("tab", name="Voicemail").click()
    panel = page.locator("#panel-voicemail")
    panel.get_by_label("Voicemail answers").select_option(label="When not answered")
    panel.get_by_label("After how many rings").fill("3")
    save(page, panel.get_by_role("button", name="Save").first)
    panel.get_by_label("Mail new messages to").fill("voicemail@demo.example.com")
    save(page, panel.get_by_role("button", name="Save").nth(1))
    expect(page.locator(".toast").last).to_contain_text("Voicemail box saved.")
    user = saved()
    assert user["voicemail"]["when"] == "no_answer" and user["voicemail"]["after_rings"] == 3
    assert admin.get(f"/api/voicemail-boxes/{box}")["email"] == "voicemail@demo.example.com"

    # the mobile rings along; caller ID withheld
    page.get_by_role("tab", name="Mobile").click()
    panel = page.locator("#panel-mobile")
    panel.get_by_label("Ring my mobile too").check()
    panel.get_by_label("Mobile number").fill("+31612345678")
    save(page, panel.get_by_role("button", name="Save"))
    page.get_by_role("tab", name="Caller ID").click()
    panel = page.locator("#panel-caller_id")
    panel.get_by_label("Number shown on calls out").select_option(label="The user's own number")
    panel.get_by_label("Withhold the number (anonymous)").check()
    save(page, panel.get_by_role("button", name="Save"))
    user = saved()
    assert user["anywhere"] == {"enabled": True, "number": "+31612345678"}
    assert user["caller_id_mode"] == "own" and user["withhold_caller_id"] is True

    # pickup group Sales
    page.get_by_role("tab", name="Pickup groups").click()
    panel = page.locator("#panel-pickup")
    panel.get_by_label("Sales").check()
    save(page, panel.get_by_role("button", name="Save"))
    sales = next(group for group in admin.get("/api/pickup-groups") if group["name"] == "Sales")
    assert made["id"] in sales["members"]

    # portal access as an agent
    page.get_by_role("tab", name="Portal access").click()
    panel = page.locator("#panel-portal")
    panel.get_by_label("Role").select_option(label="Agent: answers queue calls")
    save(page, panel.get_by_role("button", name="Give portal access"))
    expect(panel).to_contain_text("Logs in as")
    expect(panel).to_contain_text("hanna@demo.example.com")
    account_id = saved()["account_id"]
    assert admin.get(f"/api/accounts/{account_id}")["role"] == "agent"
    shot(page, "portal")

    # the page opens on the tab its address names
    page.goto(server.url(f"/users/{made['id']}#voicemail"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.get_by_role("tab", name="Voicemail")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#panel-voicemail").get_by_label("After how many rings")).to_have_value("3")
    no_text_keys(page)
    watch.assert_clean()


def test_refused_and_done_deletes(server, browser):
    shot = Screenshots("users-delete")
    admin = session(browser, server, "remove@demo.example.com")
    admin.post("/api/users", {"first_name": "Ivo", "extension": "270"}, expect=201)
    page, watch = open_page(admin, server)
    rows = page.locator("tbody tr")
    page.get_by_label("Search").fill("bram")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("button", name="Delete Bram").click()
    dialog = page.get_by_role("alertdialog")
    dialog.get_by_role("button", name="Delete", exact=True).click()
    used = dialog.locator(".used-by")
    expect(used).to_contain_text("Ring group")
    expect(used).to_contain_text("Sales")
    expect(used).to_contain_text("Bram's desk phone")
    shot(page, "refused", full_page=False)
    dialog.get_by_role("button", name="Close").click()
    assert any(row["first_name"] == "Bram" for row in admin.get("/api/users"))

    page.get_by_label("Search").fill("ivo")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("button", name="Delete Ivo").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete", exact=True).click()
    expect(page.locator(".toast").last).to_contain_text("“Ivo” deleted.")
    expect(page.get_by_text("Nothing matches")).to_be_visible()
    assert not any(row["first_name"] == "Ivo" for row in admin.get("/api/users"))

    # from the user's own page: deleted, back to the list
    other = admin.post("/api/users", {"first_name": "Joost", "extension": "271"}, expect=201)
    page.goto(server.url(f"/users/{other['id']}"))
    page.wait_for_selector("body[data-ready=true]")
    page.get_by_role("button", name="Delete", exact=True).click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete", exact=True).click()
    page.wait_for_url(re.compile(r"/users$"))
    assert not any(row["first_name"] == "Joost" for row in admin.get("/api/users"))
    watch.assert_clean()


def test_dutch_on_a_narrow_screen(server, browser):
    shot = Screenshots("users-narrow-nl")
    admin = session(browser, server, "smal-mensen@demo.example.com", language="nl", locale="nl-NL",
                    viewport={"width": 380, "height": 800})
    page, watch = open_page(admin, server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Gebruikers")
    expect(page.get_by_role("button", name="Nieuwe gebruiker")).to_be_visible()
    no_text_keys(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 380 + 1  # the table scrolls, not the page
    shot(page, "list")
    page.get_by_role("button", name="Nieuwe gebruiker").click()
    sheet = page.get_by_role("dialog", name="Nieuwe gebruiker")
    expect(sheet.get_by_label("Toestelnummer")).not_to_have_value("")
    sheet.get_by_role("button", name="Toevoegen").click()
    expect(sheet.get_by_label("Voornaam")).to_have_attribute("aria-invalid", "true")  # required, beside its field
    shot(page, "new-user", full_page=False)
    page.keyboard.press("Escape")

    bram = user_by_extension(admin, "202")
    page.goto(server.url(f"/users/{bram['id']}#forwarding"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.get_by_role("tab", name="Doorschakelen")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#panel-forwarding").get_by_role("group", name="Bij geen antwoord")).to_be_visible()
    no_text_keys(page)
    # nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 380 + 1
    shot(page, "forwarding")
    page.get_by_role("tab", name="Telefoons").click()
    expect(page.locator("#panel-phones")).to_contain_text("Bram's desk phone")
    shot(page, "phones")
    watch.assert_clean()


def test_a_user_in_a_sheet_over_another_page(server, browser):
    """objects/user.js as any page's editInSheet uses it: the general fields, saved with a PATCH."""
    admin = session(browser, server, "sheet-people@demo.example.com")
    carla = user_by_extension(admin, "203")
    page, watch = open_page(admin, server, "/departments")
    page.evaluate("""async (id) => {
        const { editInSheet } = await import("/static/js/sheet.js");
        const user = (await import("/static/js/objects/user.js")).default;
        window.edited = editInSheet(user, { id });
    }""", carla["id"])
    sheet = page.get_by_role("dialog", name=f"Edit {carla['first_name']} {carla['last_name']}")
    expect(sheet.locator("label")).to_have_text(["First name", "Last name", "E-mail address", "Extension", "Direct number",
                                                 "Language", "Department", "Call waiting", "Hot desking", "Record calls"])
    sheet.get_by_label("Last name").fill("Bakker-Sheet")
    with page.expect_request(lambda request: request.method == "PATCH") as sent:
        sheet.get_by_role("button", name="Save").click()
    assert sent.value.post_data_json == {"last_name": "Bakker-Sheet"}
    assert page.evaluate("window.edited.then((user) => user.last_name)") == "Bakker-Sheet"
    watch.assert_clean()
