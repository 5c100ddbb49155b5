"""The IVR menus screen (/ivr-menus) in Chromium, on the demo company: a menu made with a greeting uploaded
from the sheet and played in the browser, its keys set on the keypad (also with the keyboard alone: arrow
keys, typing a digit), the out-of-hours variant with its schedule, a change and a delete; field errors
beside their inputs (the API's 422 pointers into a key); the demo's Lunch menu refused while the Reception
plan uses it, with a link to that plan; the keypad in a sheet over the canvas; Dutch on a narrow screen."""

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
from tests.web.canvas_support import wav_bytes  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "press one for the menus"
WAIT = 20_000  # ms: a loaded machine


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        yield running


def session(browser, server, email, language="en", **options):
    return admin_session(browser, server, email, PASSWORD, language, **options)


def open_page(admin, server, path="/ivr-menus"):
    return open_screen(admin, server, path, wait_ms=WAIT)


def no_text_keys(page):
    assert not re.search(r"\bui\.[a-z_]+\.", page.locator("body").inner_text()), "a text key shown instead of its text"


def key(sheet, digit: str, within=None):
    return (within or sheet).locator(f'.ivr-key[data-key="{digit}"]').first


def test_make_a_menu_change_its_keys_with_the_keyboard_and_delete_it(server, browser):
    shot = Screenshots("ivr-menus")
    admin = session(browser, server, "ivr@demo.example.com")
    page, watch = open_page(admin, server)
    expect(page.get_by_role("heading", level=1)).to_have_text("IVR menus", timeout=WAIT)
    expect(page.get_by_role("navigation", name="Main menu").locator("[aria-current=page]")).to_have_text("IVR menus")
    lunch = page.locator("tbody tr").filter(has_text="Lunch menu")
    expect(lunch).to_contain_text("1 sales · 2 support · 0 Reception")
    expect(lunch).to_contain_text("User: Finn")
    no_text_keys(page)
    shot(page, "list")

    page.get_by_role("button", name="New IVR menu").first.click()
    sheet = page.get_by_role("dialog", name="New IVR menu")
    sheet.locator('[data-field="name"] input').fill("Main menu")
    sheet.get_by_label("Extension").fill("510")
    # the greeting: uploaded from the sheet into the library, chosen, and played in the browser
    greeting = sheet.locator('[data-field="greeting_audio_id"]')
    greeting.locator('input[type="file"]').set_input_files(
        {"name": "welcome.wav", "mimeType": "audio/wav", "buffer": wav_bytes(0.6)})
    expect(greeting.get_by_role("status")).to_contain_text("welcome added to the audio library", timeout=WAIT)
    expect(greeting.get_by_role("combobox")).to_have_text(re.compile("welcome"))
    with page.expect_response(lambda response: re.search(r"/api/audio/\d+/file$", response.url) is not None) as played:
        greeting.get_by_role("button", name="Play the chosen audio file").click()
    assert played.value.status in (200, 206) and played.value.headers["content-type"] == "audio/wav"
    expect(greeting.locator("audio")).to_be_visible()

    # the keypad: twelve keys, nothing set yet
    keys = sheet.locator('[data-field="keys"]')
    expect(keys.locator(".ivr-key")).to_have_count(12)
    expect(key(keys, "1")).to_have_accessible_name("Key 1: Nothing")
    key(keys, "1").click()
    keys.get_by_label("What key 1 does").select_option(label="Forward, saying “you are being transferred”")
    keys.locator(".ivr-key-editor .destination > select").select_option(label="Ring group")
    keys.get_by_label("Which one").select_option(label="Sales (300)")
    keys.get_by_label("Description").fill("sales")
    expect(key(keys, "1")).to_have_accessible_name(re.compile(r"Key 1: Forward, saying .* Ring group: Sales \(300\) \(sales\)"))
    key(keys, "0").click()
    keys.get_by_label("What key 0 does").select_option(label="Reception")
    expect(key(keys, "0")).to_contain_text("Reception")
    reception = sheet.locator('[data-field="reception"]')
    reception.get_by_role("combobox").first.select_option(label="User")
    finn = next(user for user in admin.get("/api/users") if user["first_name"] == "Finn")
    reception.get_by_label("Which one").select_option(label=f"Finn {finn['last_name']} ({finn['extension']})")
    sheet.get_by_label("Wait for a key (seconds)").fill("7")
    # out of hours: another key map outside the office hours
    sheet.get_by_label("A different menu outside hours").check()
    after = sheet.locator('[data-field="after_hours"]')
    after.get_by_label("Hours of the normal menu").select_option(label="Office hours")
    key(after, "1").click()
    after.get_by_label("What key 1 does").select_option(label="Hang up")
    shot(page, "new", full_page=False)
    with page.expect_request(lambda request: request.method == "POST" and request.url.endswith("/api/ivr-menus")) as sent:
        sheet.get_by_role("button", name="Add", exact=True).click()
    body = sent.value.post_data_json
    objects = {row["name"]: row["id"] for row in admin.get("/api/ring-groups")}
    schedules = {row["name"]: row["id"] for row in admin.get("/api/schedules")}
    assert body["keys"] == {
        "0": {"action": "reception", "description": ""},
        "1": {"action": "forward_announced", "destination": {"type": "ring_group", "id": objects["Sales"]}, "description": "sales"}}
    assert body["greeting_audio_id"] is not None and body["timeout_s"] == 7 and body["reception"]["type"] == "user"
    assert body["after_hours"] == {"schedule_id": schedules["Office hours"], "holiday_schedule_id": None, "greeting_audio_id": None,
                                   "keys": {"1": {"action": "hang_up", "description": ""}}}
    expect(sheet).to_be_hidden()
    row = page.locator("tbody tr").filter(has_text="Main menu")
    expect(row).to_contain_text("1 sales · 0 Reception")
    expect(row).to_contain_text("510")

    # change, with the keyboard alone: arrows to key 2, Enter; Tab to its action; type a digit to reach key 9
    row.get_by_role("button", name="Edit Main menu").click()
    sheet = page.get_by_role("dialog", name="Edit Main menu")
    keys = sheet.locator('[data-field="keys"]')
    key(keys, "1").focus()
    page.keyboard.press("ArrowRight")
    expect(key(keys, "2")).to_be_focused()
    page.keyboard.press("Enter")
    expect(key(keys, "2")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Tab")
    expect(keys.get_by_label("What key 2 does")).to_be_focused()
    page.keyboard.type("Hang")
    expect(keys.get_by_label("What key 2 does")).to_have_value("hang_up")
    page.keyboard.press("Shift+Tab")
    expect(key(keys, "2")).to_be_focused()
    page.keyboard.press("9")  # a digit typed on the keypad chooses that key
    expect(key(keys, "9")).to_be_focused()
    expect(key(keys, "9")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Tab")
    page.keyboard.type("Dial by e")
    expect(keys.get_by_label("What key 9 does")).to_have_value("dial_by_extension")
    expect(key(keys, "9")).to_contain_text("Dial by extension")
    expect(key(keys, "2")).to_contain_text("Hang up")
    shot(page, "keyboard", full_page=False)
    with page.expect_request(lambda request: request.method == "PATCH") as sent:
        sheet.get_by_role("button", name="Save").click()
    assert set(sent.value.post_data_json) == {"keys"}  # only what changed
    assert sent.value.post_data_json["keys"]["2"] == {"action": "hang_up", "description": ""}
    assert sent.value.post_data_json["keys"]["9"] == {"action": "dial_by_extension", "description": ""}
    assert sent.value.post_data_json["keys"]["1"]["destination"] == {"type": "ring_group", "id": objects["Sales"]}
    expect(sheet).to_be_hidden()
    expect(row).to_contain_text("1 sales · 2 Hang up · 9 Dial by extension · 0 Reception")

    # delete: nothing uses it
    row.get_by_role("button", name="Delete Main menu").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page.locator(".toast").last).to_have_text(re.compile("“Main menu” deleted."))
    expect(page.locator("tbody tr").filter(has_text="Main menu")).to_have_count(0)
    watch.assert_clean()
    admin.context.close()


def test_field_errors_beside_their_inputs_and_a_refused_delete(server, browser):
    shot = Screenshots("ivr-menus-errors")
    admin = session(browser, server, "ivr-errors@demo.example.com")
    page, watch = open_page(admin, server)
    page.get_by_role("button", name="New IVR menu").first.click()
    sheet = page.get_by_role("dialog", name="New IVR menu")
    sheet.locator('[data-field="name"] input').fill("Half done")
    keys = sheet.locator('[data-field="keys"]')
    key(keys, "3").click()
    keys.get_by_label("What key 3 does").select_option(label="Forward")  # but not where to
    key(keys, "4").click()
    keys.get_by_label("What key 4 does").select_option(label="Play a message")  # but not which
    sheet.get_by_label("Attempts").fill("20")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        sheet.get_by_role("button", name="Add", exact=True).click()
    assert answer.value.status == 422
    pointers = {error["pointer"] for error in answer.value.json()["errors"]}
    assert pointers == {"/keys/3/destination", "/keys/4/audio_id", "/attempts"}
    # key 3, the first refused, is chosen and its error is beside its destination
    expect(key(keys, "3")).to_have_attribute("aria-pressed", "true")
    where = keys.locator(".ivr-key-editor .destination > select")
    expect(where).to_have_attribute("aria-invalid", "true")
    expect(keys.locator(".ivr-key-editor .field-error")).to_have_text("Choose where the call goes.")
    # key 4 is marked on the keypad and its error said under it
    expect(key(keys, "4")).to_have_attribute("aria-invalid", "true")
    expect(keys.locator(".ivr-keypad-wrap > .field-error")).to_have_text("Key 4: Choose the message to play.")
    attempts = sheet.get_by_label("Attempts")
    expect(attempts).to_have_attribute("aria-invalid", "true")
    expect(sheet.locator('[data-field="attempts"] .field-error')).to_have_text("Too large.")
    shot(page, "errors", full_page=False)
    # put right: the errors go, the menu is made
    keys.locator(".ivr-key-editor .destination > select").select_option(label="Hang up")
    key(keys, "4").click()
    keys.get_by_label("What key 4 does").select_option(label="Repeat the menu")
    attempts.fill("2")
    sheet.get_by_role("button", name="Add", exact=True).click()
    expect(sheet).to_be_hidden()
    expect(page.locator("tbody tr").filter(has_text="Half done")).to_contain_text("3 Forward · 4 Repeat the menu")

    # the demo's Lunch menu is in the published Reception plan: refused, with a link to that plan
    page.locator("tbody tr").filter(has_text="Lunch menu").get_by_role("button", name="Delete Lunch menu").click()
    question = page.get_by_role("alertdialog")
    question.get_by_role("button", name="Delete").click()
    expect(question.locator(".used-by")).to_be_visible()
    expect(question.locator(".used-by li")).to_contain_text(["Call plan: Reception"])
    link = question.locator(".used-by").get_by_role("link", name="Reception")
    expect(link).to_have_attribute("href", re.compile(r"^/plans/\d+$"))
    shot(page, "refused", full_page=False)
    question.get_by_role("button", name="Close").click()
    expect(page.locator("tbody tr").filter(has_text="Lunch menu")).to_have_count(1)
    # a link to a menu (?edit=<id>, as used_by lists give it) opens its sheet
    lunch = next(row for row in admin.get("/api/ivr-menus") if row["name"] == "Lunch menu")
    page.goto(server.url(f"/ivr-menus?edit={lunch['id']}"))
    sheet = page.get_by_role("dialog", name="Edit Lunch menu")
    expect(key(sheet.locator('[data-field="keys"]'), "2")).to_have_accessible_name("Key 2: Forward: Queue: Support (400) (support)")
    watch.assert_clean()
    admin.context.close()


def test_the_keypad_in_a_sheet_over_the_canvas(server, browser):
    """What the canvas's "Edit IVR menu" does: editInSheet with the ivr_menu type, on the plan editor."""
    admin = session(browser, server, "ivr-canvas@demo.example.com")
    plan = next(plan for plan in admin.get("/api/plans") if plan["name"] == "Reception")
    lunch = next(row for row in admin.get("/api/ivr-menus") if row["name"] == "Lunch menu")
    page, watch = open_page(admin, server, f"/plans/{plan['id']}")
    page.locator("#save").focus()
    page.evaluate("""async (id) => {
      const { editInSheet } = await import("/static/js/sheet.js");
      const menu = (await import("/static/js/objects/ivr_menu.js")).default;
      editInSheet(menu, { id }).then((saved) => { window.savedMenu = saved; });
    }""", lunch["id"])
    sheet = page.get_by_role("dialog", name="Edit Lunch menu")
    keys = sheet.locator('[data-field="keys"]')
    expect(keys.locator(".ivr-key")).to_have_count(12)
    expect(key(keys, "1")).to_have_css("border-top-style", "solid")  # its stylesheet came along
    key(keys, "5").click()
    keys.get_by_label("What key 5 does").select_option(label="Dial by name")
    sheet.get_by_role("button", name="Save").click()
    expect(sheet).to_be_hidden()
    expect(page.locator("#save")).to_be_focused()
    page.wait_for_function("() => window.savedMenu !== undefined")
    saved = page.evaluate("window.savedMenu")
    assert saved["keys"]["5"] == {"action": "dial_by_name", "destination": None, "audio_id": None, "description": ""}
    assert saved["keys"]["1"]["description"] == "sales"
    Screenshots("ivr-menus-canvas")(page, "saved")
    watch.assert_clean()
    admin.context.close()


def test_dutch_on_a_narrow_screen(server, browser):
    shot = Screenshots("ivr-menus-narrow-nl")
    admin = session(browser, server, "smal-ivr@demo.example.com", language="nl", locale="nl-NL", viewport={"width": 390, "height": 844})
    page, watch = open_page(admin, server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Keuzemenu's")
    expect(page.locator("tbody tr, .list-card").filter(has_text="Lunch menu").first).to_contain_text("0 Receptie")
    no_text_keys(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    shot(page, "list")
    page.get_by_role("button", name="Lunch menu bewerken").first.click()
    sheet = page.get_by_role("dialog", name=re.compile("Lunch menu"))
    keys = sheet.locator('[data-field="keys"]')
    expect(key(keys, "1")).to_have_accessible_name("Toets 1: Doorverbinden: Belgroep: Sales (300) (sales)")
    expect(key(keys, "1").locator(".ivr-key-target")).to_have_text("Belgroep: Sales (300) (sales)")
    key(keys, "1").click()
    expect(keys.get_by_label("Wat toets 1 doet")).to_have_value("forward")
    expect(sheet.get_by_label("Wachten op een toets (seconden)")).to_have_value("5")
    no_text_keys(page)
    box = keys.locator(".ivr-keypad").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    shot(page, "sheet", full_page=False)
    sheet.get_by_label("Een ander menu buiten kantooruren").check()
    sheet.locator('[data-field="after_hours"]').scroll_into_view_if_needed()
    shot(page, "after-hours", full_page=False)
    watch.assert_clean()
    admin.context.close()


def test_every_key_of_the_menu_on_the_canvas_and_a_drop_gives_one_steps(server, browser):
    """#13 item 8: an IVR step draws every key of its menu as a branch, with the menu's action for it; a step
    dropped onto a key gives the key the plan's own steps, which win (the simulator takes them); "back to the
    menu's action" gives the key back to the menu."""
    from tests.web.canvas_support import drag, drop_zone, palette, settle

    shot = Screenshots("ivr-keys-canvas")
    admin = session(browser, server, "ivr-keys@demo.example.com")
    ids = {path: {row.get("name") or row.get("first_name"): row["id"] for row in admin.get(f"/api/{path}")}
           for path in ("ring-groups", "queues", "users")}
    menu = admin.post("/api/ivr-menus", {"name": "Keys menu", "keys": {
        "1": {"action": "forward", "destination": {"type": "ring_group", "id": ids["ring-groups"]["Sales"]}, "description": "sales"},
        "2": {"action": "forward", "destination": {"type": "queue", "id": ids["queues"]["Support"]}, "description": "support"},
        "0": {"action": "reception"}}, "reception": {"type": "user", "id": ids["users"]["Finn"]}}, expect=201)
    plan_id = admin.post("/api/plans", {"name": "Keys", "steps": [{"id": "s1", "type": "ivr", "menu": menu["id"]}]}, expect=201)["id"]
    page, watch = open_page(admin, server, f"/plans/{plan_id}")
    page.wait_for_selector("body[data-validated]")
    branches = page.locator('[data-step-id="s1"] > .branches > .branch')
    expect(branches).to_have_count(5)  # keys 1, 2 and 0 of the menu, no key pressed, wrong key
    assert branches.evaluate_all("items => items.map(b => b.dataset.branch)") == [
        "s1|keys/1", "s1|keys/2", "s1|keys/0", "s1|no_input", "s1|invalid"]
    key_two = page.locator('[data-branch="s1|keys/2"]')
    expect(key_two.locator(".menu-action")).to_have_text("The menu: Forward: Queue: Support (support)")
    expect(page.locator('[data-branch="s1|keys/1"] .menu-action')).to_have_text("The menu: Forward: Ring group: Sales (sales)")
    expect(page.locator('[data-branch="s1|keys/0"] .menu-action')).to_contain_text("The menu: Reception: User: Finn")
    shot(page, "menu-keys")

    # a hang-up dropped onto key 2: the plan's own step for that key, in place of the menu's action
    drag(page, palette(page, "hang_up"), drop_zone(page, "s1|keys/2").locator(".drop-hint"), where="middle")
    settle(page)
    expect(key_two.locator('[data-step-id="s2"]')).to_have_count(1)
    expect(key_two.locator(".menu-action")).to_have_count(0)
    expect(key_two.locator(".branch-note")).to_have_text("instead of the menu's “Forward: Queue: Support (support)”")
    expect(page.locator('[data-branch="s1|keys/1"] .menu-action')).to_have_count(1)  # the others keep the menu's
    shot(page, "key-2-dropped")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#page-status")).to_have_text("Draft saved.")
    stored = admin.get(f"/api/plans/{plan_id}")["document"]
    assert list(stored["steps"][0]["keys"]) == ["2"]  # only the key given steps: the others stay the menu's
    assert [step["id"] for step in stored["steps"][0]["keys"]["2"]] == ["s2"]
    # the simulator follows the same rule: key 2 takes the plan's step, key 1 the menu's ring group
    two = admin.post(f"/api/plans/{plan_id}/simulate", {"keys": ["2"]})
    assert two["steps"] == ["s1", "s2"] and two["outcome"].startswith("hung_up")
    one = admin.post(f"/api/plans/{plan_id}/simulate", {"keys": ["1"]})
    assert one["steps"] == ["s1"] and not one["outcome"].startswith("hung_up:NORMAL")

    # back to the menu's action: the key's own steps go, the menu's action shows again
    key_two.get_by_role("button", name="Back to the menu's action for key 2").click()
    expect(key_two.locator(".menu-action")).to_have_text("The menu: Forward: Queue: Support (support)")
    expect(page.locator('[data-step-id="s2"]')).to_have_count(0)
    page.get_by_role("button", name="Undo").click()
    expect(key_two.locator('[data-step-id="s2"]')).to_have_count(1)
    watch.assert_clean()
    admin.context.close()
