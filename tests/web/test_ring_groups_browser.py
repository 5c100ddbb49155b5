"""The ring groups screen (/ring-groups) in Chromium, on the demo company: a group made with members found by
search (a user, a phone, an outside number), put in order with the keyboard alone (Alt+ArrowUp) and by
dragging a handle, its strategy with the sentence saying what it does, ring times, busy members and where
the call goes when nobody answers; field errors beside their inputs (a member's ring time, a taken
extension); a refused delete linking the published plan, the IVR menu and the number that use the demo's
Sales group, and a done delete; the form in a sheet over the canvas; Dutch on a narrow screen."""

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

PASSWORD = "ring ring goes the group"
WAIT = 15_000


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        yield running


def session(browser, server, email, language="en", **options):
    return admin_session(browser, server, email, PASSWORD, language, **options)


def open_page(admin, server, path="/ring-groups"):
    return open_screen(admin, server, path, wait_ms=WAIT)


def no_text_keys(page):
    assert "ui." not in page.locator("body").inner_text(), "a text key shown instead of its text"


def member_labels(sheet):
    return sheet.locator(".ol-row .ol-label").all_inner_texts()


def users(admin):
    return {user["first_name"]: user for user in admin.get("/api/users")}


def test_make_a_group_by_search_and_keyboard_then_drag_a_member(server, browser):
    shot = Screenshots("ring-groups-make")
    admin = session(browser, server, "groups@demo.example.com")
    staff = users(admin)
    bram, carla = staff["Bram"], staff["Carla"]
    phone = next(device for device in admin.get("/api/devices") if device["user_id"] == staff["Daan"]["id"])
    assign_number(server.database_url, "+31201234570", "Service desk")  # the operator's part: a number nothing answers yet
    page, watch = open_page(admin, server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Ring groups")
    expect(page.get_by_role("navigation", name="Main menu").locator("[aria-current=page]")).to_have_text("Ring groups")
    sales = page.locator("tbody tr").filter(has_text="Sales")
    expect(sales).to_contain_text("Circular")
    expect(sales).to_contain_text("+31201234568")  # the demo's Sales number rings it
    no_text_keys(page)
    shot(page, "screen")

    page.get_by_role("button", name="New ring group").focus()
    page.keyboard.press("Enter")
    sheet = page.get_by_role("dialog", name="New ring group")
    expect(sheet.get_by_label("Name", exact=True)).to_be_focused()
    page.keyboard.type("Service desk")
    sheet.get_by_label("Extension").fill("310")
    # its public number: one nothing answers yet; the Sales group's is offered too, named
    numbers = sheet.locator("fieldset").filter(has_text="Public numbers")
    expect(numbers.get_by_role("checkbox")).to_have_count(2)
    expect(numbers.get_by_label("+31201234568 (Sales)")).not_to_be_checked()
    numbers.get_by_label("+31201234570", exact=True).check()
    # members by search, with the keyboard: a user (first result by Enter), another (arrow to it), a phone,
    # an outside number typed
    search = sheet.get_by_label("Add a member")
    search.focus()
    page.keyboard.type("Bram")
    expect(sheet.get_by_role("button", name=f"Add Bram {bram['last_name']} ({bram['extension']})")).to_be_visible()
    page.keyboard.press("Enter")
    expect(search).to_be_focused()
    expect(search).to_have_value("")
    page.keyboard.type(carla["extension"])
    page.keyboard.press("ArrowDown")
    expect(sheet.get_by_role("button", name=re.compile("^Add Carla"))).to_be_focused()
    page.keyboard.press("Enter")
    search.fill(phone["name"][:6])
    sheet.get_by_role("button", name=f"Add {phone['name']}").click()
    search.fill("+31 6 1234 5678")
    expect(sheet.locator(".ol-results")).to_contain_text("Outside number")
    page.keyboard.press("Enter")
    assert member_labels(sheet) == [f"Bram {bram['last_name']} ({bram['extension']})", f"Carla {carla['last_name']} ({carla['extension']})",
                                    phone["name"], "+31612345678"]
    expect(sheet.locator(".ol-row").nth(1)).to_contain_text("User")
    expect(sheet.locator(".ol-row").nth(2)).to_contain_text("Phone")
    # the outside number first, with Alt+ArrowUp from its handle: the focus stays on it, the move is said
    handle = sheet.get_by_role("button", name="Move +31612345678", exact=True)
    handle.focus()
    for _ in range(3):
        page.keyboard.press("Alt+ArrowUp")
    expect(handle).to_be_focused()
    assert member_labels(sheet)[0] == "+31612345678"
    expect(sheet.locator(".ordered-list [role=status]")).to_have_text("+31612345678 moved to position 1 of 4.")
    expect(sheet.locator(".ol-row").first.locator(".ol-position")).to_have_text("1")
    # Alt+ArrowDown from the ring time input of Bram (now second) moves him down one
    bram_time = sheet.get_by_label(f"Bram {bram['last_name']} ({bram['extension']}): ring time in seconds (empty: the group's)")
    bram_time.focus()
    page.keyboard.press("Alt+ArrowDown")
    expect(bram_time).to_be_focused()
    assert member_labels(sheet)[1:3] == [f"Carla {carla['last_name']} ({carla['extension']})", f"Bram {bram['last_name']} ({bram['extension']})"]
    # the phone removed again
    sheet.get_by_role("button", name=f"Remove {phone['name']}").click()
    assert len(member_labels(sheet)) == 3
    bram_time.fill("15")
    expect(bram_time).to_have_attribute("placeholder", "20")  # the group's ring time shows where a member has none
    sheet.get_by_label("Ring time per member (s)").fill("25")
    expect(sheet.get_by_label(re.compile("^Carla.*ring time"))).to_have_attribute("placeholder", "25")
    # the strategy, each with its sentence
    expect(sheet.get_by_role("radio", name="Simultaneous")).to_be_checked()
    expect(sheet.get_by_text("Rings the members one at a time, always starting at the top of the list.")).to_be_visible()
    sheet.get_by_role("radio", name="Fixed order").check()
    sheet.get_by_label("Total ring time (s)").fill("50")
    sheet.get_by_label("Members who are busy").select_option(label="Make the whole group busy: the call goes on as if nobody answered")
    sheet.get_by_label("When nobody answers, forward to").select_option(label="Voicemail box")
    sheet.locator("select[id$=forward_after-object]").select_option(label="Company voicemail (999)")
    shot(page, "filled", full_page=False)
    with page.expect_response(lambda response: response.request.method == "POST" and response.url.endswith("/api/ring-groups")) as answer:
        sheet.get_by_role("button", name="Add", exact=True).click()
    assert answer.value.status == 201, answer.value.text()
    saved = answer.value.json()
    box = next(row for row in admin.get("/api/voicemail-boxes") if row["extension"] == "999")
    assert saved["members"] == [
        {"type": "external", "id": None, "number": "+31612345678", "ring_time_s": None},
        {"type": "user", "id": carla["id"], "number": None, "ring_time_s": None},
        {"type": "user", "id": bram["id"], "number": None, "ring_time_s": 15}]
    assert (saved["name"], saved["extension"], saved["strategy"], saved["member_ring_time_s"], saved["total_timeout_s"],
            saved["busy_members"]) == ("Service desk", "310", "fixed_order", 25, 50, "busy_tone")
    assert saved["forward_after"] == {"type": "voicemail_box", "id": box["id"], "number": None}
    expect(sheet).to_be_hidden()
    row = page.locator("tbody tr").filter(has_text="Service desk")
    expect(row).to_contain_text("Fixed order")
    expect(row.locator("td").nth(3)).to_have_text("3")
    expect(row.locator("td").nth(1)).to_have_text("+31201234570")
    line = next(number for number in admin.get("/api/numbers") if number["number"] == "+31201234570")
    assert line["destination"] == {"type": "ring_group", "id": saved["id"], "number": None}

    # change: drag Bram (third) above the outside number by his handle, and hunt by memory
    row.get_by_role("button", name="Edit Service desk").click()
    sheet = page.get_by_role("dialog", name="Edit Service desk")
    expect(sheet.get_by_role("radio", name="Fixed order")).to_be_checked()
    sheet.locator(".ol-list").evaluate("element => element.scrollIntoView({block: 'center'})")
    source = sheet.get_by_role("button", name=re.compile(r"^Move Bram .*\)$")).bounding_box()
    target = sheet.locator(".ol-row").first.bounding_box()
    page.mouse.move(source["x"] + source["width"] / 2, source["y"] + source["height"] / 2)
    page.mouse.down()
    page.mouse.move(source["x"] + source["width"] / 2, target["y"] + target["height"] / 2, steps=6)
    page.mouse.move(source["x"] + source["width"] / 2, target["y"] + 4, steps=3)
    page.mouse.up()
    assert member_labels(sheet)[0].startswith("Bram")
    expect(sheet.locator(".ordered-list [role=status]")).to_contain_text("moved to position 1 of 3.")
    sheet.get_by_role("radio", name="Memory hunt").check()
    numbers = sheet.locator("fieldset").filter(has_text="Public numbers")
    expect(numbers.get_by_label("+31201234570 (Service desk)")).to_be_checked()
    numbers.get_by_label("+31201234570 (Service desk)").uncheck()
    shot(page, "dragged", full_page=False)
    with page.expect_request(lambda request: request.method == "PATCH") as sent:
        sheet.get_by_role("button", name="Save").click()
    body = sent.value.post_data_json
    assert body["strategy"] == "memory_hunt"
    assert [(m["type"], m.get("id"), m.get("number")) for m in body["members"]] == [
        ("user", bram["id"], None), ("external", None, "+31612345678"), ("user", carla["id"], None)]
    assert body["members"][0]["ring_time_s"] == 15
    expect(sheet).to_be_hidden()
    expect(row).to_contain_text("Memory hunt")
    expect(row.locator("td").nth(1)).to_have_text("—")
    assert next(number for number in admin.get("/api/numbers") if number["number"] == "+31201234570")["destination"] is None
    watch.assert_clean()
    admin.context.close()


def test_field_errors_beside_their_inputs_and_deletes(server, browser):
    shot = Screenshots("ring-groups-errors")
    admin = session(browser, server, "group-errors@demo.example.com")
    page, watch = open_page(admin, server)
    page.get_by_role("button", name="New ring group").click()
    sheet = page.get_by_role("dialog", name="New ring group")
    sheet.get_by_label("Name", exact=True).fill("Night crew")
    sheet.get_by_label("Extension").fill("300")  # the demo's Sales group has it
    sheet.get_by_label("Add a member").fill("+31201234999")
    sheet.get_by_label("Add a member").press("Enter")
    ring = sheet.get_by_label("+31201234999: ring time in seconds (empty: the group's)")
    ring.fill("3")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        sheet.get_by_role("button", name="Add", exact=True).click()
    assert answer.value.status == 422
    assert [error["pointer"] for error in answer.value.json()["errors"]] == ["/members/0/ring_time_s"]
    expect(ring).to_have_attribute("aria-invalid", "true")
    expect(ring).to_be_focused()
    expect(page.locator(f"#{ring.get_attribute('id')}-error")).to_be_visible()
    shot(page, "ring-time", full_page=False)
    ring.fill("")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        sheet.get_by_role("button", name="Add", exact=True).click()
    assert answer.value.status == 409 and answer.value.json()["errors"][0]["pointer"] == "/extension"
    extension = sheet.get_by_label("Extension")
    expect(extension).to_have_attribute("aria-invalid", "true")
    expect(extension).to_be_focused()
    expect(page.locator(f"#{extension.get_attribute('id')}-error")).to_have_text("This number is already in use.")
    expect(ring).not_to_have_attribute("aria-invalid", "true")
    shot(page, "extension", full_page=False)
    extension.fill("")
    sheet.get_by_role("button", name="Add", exact=True).click()
    expect(sheet).to_be_hidden()

    # Sales is used by the published Reception plan, the lunch menu and a number: refused, each linked
    page.locator("tbody tr").filter(has_text="Sales").get_by_role("button", name="Delete Sales").click()
    question = page.get_by_role("alertdialog")
    question.get_by_role("button", name="Delete").click()
    used = question.locator(".used-by")
    expect(used).to_be_visible()
    expect(used.get_by_role("link", name="Reception")).to_have_attribute("href", re.compile(r"^/plans/\d+$"))
    expect(used).to_contain_text("Call plan: Reception")
    expect(used).to_contain_text("IVR menu: Lunch menu")
    shot(page, "refused", full_page=False)
    question.get_by_role("button", name="Close").click()
    assert any(group["name"] == "Sales" for group in admin.get("/api/ring-groups"))
    # one nothing uses goes
    page.locator("tbody tr").filter(has_text="Night crew").get_by_role("button", name="Delete Night crew").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page.locator(".toast").last).to_have_text(re.compile("“Night crew” deleted."))
    expect(page.locator("tbody tr").filter(has_text="Night crew")).to_have_count(0)
    # a used_by link to a group (?edit=<id>) opens its sheet
    sales = next(group for group in admin.get("/api/ring-groups") if group["name"] == "Sales")
    page.goto(server.url(f"/ring-groups?edit={sales['id']}"))
    sheet = page.get_by_role("dialog", name="Edit Sales")
    expect(sheet.locator(".ol-row")).to_have_count(len(sales["members"]))
    expect(sheet.get_by_role("radio", name="Circular")).to_be_checked()
    expect(sheet.get_by_label("When nobody answers, forward to")).to_have_value("extension")
    watch.assert_clean()
    admin.context.close()


def test_a_ring_group_in_a_sheet_over_the_canvas(server, browser):
    """What the canvas's "New ring group" does: editInSheet with the ring group type, over the plan editor."""
    admin = session(browser, server, "group-canvas@demo.example.com")
    plan = next(plan for plan in admin.get("/api/plans") if plan["name"] == "Reception")
    page, watch = open_page(admin, server, f"/plans/{plan['id']}")
    page.locator("#save").focus()
    page.evaluate("""async () => {
      const { editInSheet } = await import("/static/js/sheet.js");
      const group = (await import("/static/js/objects/ring_group.js")).default;
      editInSheet(group).then((saved) => { window.savedGroup = saved; });
    }""")
    sheet = page.get_by_role("dialog", name="New ring group")
    expect(sheet.locator(".ordered-list")).to_have_css("display", "flex")  # its stylesheet came along
    sheet.get_by_label("Name", exact=True).fill("Warehouse")
    sheet.get_by_label("Add a member").fill("Eva")
    sheet.get_by_label("Add a member").press("Enter")
    sheet.get_by_role("button", name="Add", exact=True).click()
    expect(sheet).to_be_hidden()
    expect(page.locator("#save")).to_be_focused()
    page.wait_for_function("() => window.savedGroup !== undefined")
    saved = page.evaluate("window.savedGroup")
    assert saved["name"] == "Warehouse" and [member["id"] for member in saved["members"]] == [users(admin)["Eva"]["id"]]
    watch.assert_clean()
    admin.context.close()


def test_dutch_on_a_narrow_screen(server, browser):
    shot = Screenshots("ring-groups-narrow-nl")
    admin = session(browser, server, "groepen@demo.example.com", language="nl", locale="nl-NL", viewport={"width": 390, "height": 844})
    page, watch = open_page(admin, server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Belgroepen")
    expect(page.locator("tbody tr").filter(has_text="Sales")).to_contain_text("Rondgaand")
    no_text_keys(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    shot(page, "screen")
    page.locator("tbody tr").filter(has_text="Sales").get_by_role("button", name="Sales bewerken").click()
    sheet = page.get_by_role("dialog", name="Sales bewerken")
    expect(sheet.get_by_role("radio", name="Rondgaand")).to_be_checked()
    expect(sheet.get_by_text("Belt een voor een, beginnend na wie het vorige gesprek aannam, zodat de gesprekken rondgaan.")).to_be_visible()
    expect(sheet.locator(".ol-row")).to_have_count(2)
    second = sheet.locator(".ol-row").nth(1)
    name = second.locator(".ol-label").inner_text()
    second.get_by_role("button", name=f"{name} omhoog").click()
    expect(sheet.locator(".ol-row").first.locator(".ol-label")).to_have_text(name)
    expect(sheet.locator(".ordered-list [role=status]")).to_have_text(f"{name} verplaatst naar plaats 1 van 2.")
    sheet_width = page.evaluate("document.querySelector('dialog.sheet').scrollWidth")
    assert sheet_width <= 390
    no_text_keys(page)
    shot(page, "sheet", full_page=False)
    sheet.locator(".ol-row").first.scroll_into_view_if_needed()
    shot(page, "members", full_page=False)
    watch.assert_clean()
    admin.context.close()
