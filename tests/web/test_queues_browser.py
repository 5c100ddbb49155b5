"""The queues screen (/queues) in Chromium, on the demo company: a queue made with its strategy (and the
sentence saying what it does), music on hold from the audio library, position announcements, the longest
wait, agents found by search and put in tiers and order with the keyboard alone (Alt+ArrowUp), an agent's
wrap-up time (kept on the user), where a call to the queue itself goes after the longest wait (a
destination, refused beside the field when it is the queue's own extension); each agent's live state (GET /api/agents); field errors beside their
inputs (the longest wait, an agent's wrap-up time); a refused delete linking the published plan that uses
the demo's Support queue, and a done delete; the form in a sheet over the canvas; Dutch on a narrow screen."""

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
from tests.web.canvas_support import ensure_audio  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "waiting in line for agents"
WAIT = 15_000


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        yield running


def session(browser, server, email, language="en", **options):
    return admin_session(browser, server, email, PASSWORD, language, **options)


def open_page(admin, server, path="/queues"):
    return open_screen(admin, server, path, wait_ms=WAIT)


def no_text_keys(page):
    assert "ui." not in page.locator("body").inner_text(), "a text key shown instead of its text"


def staff(admin):
    return {user["first_name"]: user for user in admin.get("/api/users")}


def label(user):
    return f"{user['first_name']} {user['last_name']} ({user['extension']})"


def test_make_a_queue_with_tiers_by_keyboard_and_see_live_states(server, browser):
    shot = Screenshots("queues-make")
    admin = session(browser, server, "queues@demo.example.com")
    people = staff(admin)
    daan, eva, finn = people["Daan"], people["Eva"], people["Finn"]
    music = ensure_audio(admin, "Calm jazz")
    # Daan chose to take calls (no FreeSWITCH here: kept, and applied when it is back), Eva is on a break
    admin.call("PUT", f"/api/agents/{daan['id']}/status", {"status": "available"}, expect=202)
    admin.call("PUT", f"/api/agents/{eva['id']}/status", {"status": "on_break"}, expect=202)
    page, watch = open_page(admin, server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Queues")
    expect(page.get_by_role("navigation", name="Main menu").locator("[aria-current=page]")).to_have_text("Queues")
    support = page.locator("tbody tr").filter(has_text="Support")
    expect(support).to_contain_text("Longest idle agent")
    expect(support).to_contain_text("2 · 0 available")  # nobody's phone is registered
    expect(support).to_contain_text("120 s")
    no_text_keys(page)
    shot(page, "screen")

    # the live states in the demo's Support queue
    support.get_by_role("button", name="Edit Support").click()
    sheet = page.get_by_role("dialog", name="Edit Support")
    daan_row = sheet.locator(".ol-row").filter(has_text=label(daan))
    expect(daan_row.locator(".agent-state")).to_contain_text("Available")
    expect(daan_row.locator(".agent-state")).to_contain_text("Phone not registered")
    expect(sheet.locator(".ol-row").filter(has_text=label(eva)).locator(".agent-state")).to_contain_text("On break")
    expect(sheet.get_by_text("Offers the call to the free agent who has waited longest since their last call.")).to_be_visible()
    shot(page, "states", full_page=False)
    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()

    page.get_by_role("button", name="New queue").focus()
    page.keyboard.press("Enter")
    sheet = page.get_by_role("dialog", name="New queue")
    expect(sheet.get_by_label("Name", exact=True)).to_be_focused()
    page.keyboard.type("Billing")
    sheet.get_by_label("Extension").fill("410")
    strategy = sheet.get_by_label("Strategy")
    strategy.select_option(label="Round robin")
    expect(sheet.locator(".strategy-explain")).to_have_text("Takes turns: offers the call to the agent after the one who got the previous call.")
    # agents by search, with the keyboard: Enter takes the first found
    search = sheet.get_by_label("Add an agent")
    for person in (daan, eva, finn):
        search.focus()
        page.keyboard.type(person["first_name"])
        page.keyboard.press("Enter")
    expect(sheet.locator(".ol-row")).to_have_count(3)
    expect(sheet.locator(".ol-row").last.locator(".ol-note")).to_have_text("Agent once saved")  # Finn is in no queue yet
    # Finn to the top with Alt+ArrowUp from his tier select, Eva to tier 2, Daan's wrap-up 30 s
    finn_tier = sheet.get_by_label(f"{label(finn)}: tier (1 answers first)")
    finn_tier.focus()
    page.keyboard.press("Alt+ArrowUp")
    page.keyboard.press("Alt+ArrowUp")
    expect(finn_tier).to_be_focused()
    expect(sheet.locator(".ol-row .ol-label")).to_have_text([label(finn), label(daan), label(eva)])
    expect(sheet.locator(".ordered-list [role=status]")).to_have_text(f"{label(finn)} moved to position 1 of 3.")
    sheet.get_by_label(f"{label(eva)}: tier (1 answers first)").select_option("2")
    wrap = sheet.get_by_label(f"{label(daan)}: wrap-up time in seconds")
    expect(wrap).to_have_value(str(daan["agent"]["wrap_up_time_s"]))
    wrap.fill("30")
    sheet.get_by_label("Music on hold").select_option(label="Calm jazz")
    sheet.get_by_label("Tell callers their place in the queue").check()
    sheet.get_by_label("Say it every (s)").fill("45")
    sheet.get_by_label("Longest wait (s)").fill("180")
    # then, for calls to 410 itself: the company voicemail (inside a plan the plan's next step wins)
    expect(sheet.get_by_text("Inside a call plan the plan's next step follows instead.", exact=False)).to_be_visible()
    sheet.get_by_label("After the longest wait, send the call to").select_option(label="Voicemail box")
    sheet.locator("select[id$=after_wait-object]").select_option(label="Company voicemail (999)")
    shot(page, "filled", full_page=False)
    with page.expect_response(lambda response: response.request.method == "POST" and response.url.endswith("/api/queues")) as answer:
        sheet.get_by_role("button", name="Add", exact=True).click()
    assert answer.value.status == 201, answer.value.text()
    saved = answer.value.json()
    assert saved["tiers"] == [{"user_id": finn["id"], "level": 1, "position": 1}, {"user_id": daan["id"], "level": 1, "position": 2},
                              {"user_id": eva["id"], "level": 2, "position": 3}]
    assert (saved["strategy"], saved["music_on_hold_audio_id"], saved["announce_position"], saved["announce_every_s"],
            saved["max_wait_s"], saved["extension"]) == ("round-robin", music, True, 45, 180, "410")
    box = next(box for box in admin.get("/api/voicemail-boxes") if box["extension"] == "999")
    assert saved["after_wait"] == {"type": "voicemail_box", "id": box["id"], "number": None}
    assert admin.get(f"/api/users/{daan['id']}")["agent"]["wrap_up_time_s"] == 30  # kept on the user
    expect(sheet).to_be_hidden()
    row = page.locator("tbody tr").filter(has_text="Billing")
    expect(row).to_contain_text("Round robin")
    expect(row).to_contain_text("3 · 0 available")

    # change: Eva back to tier 1 and to the top by the move button, the strategy to all at once
    row.get_by_role("button", name="Edit Billing").click()
    sheet = page.get_by_role("dialog", name="Edit Billing")
    expect(sheet.locator(".ol-row .ol-label")).to_have_text([label(finn), label(daan), label(eva)])
    expect(sheet.get_by_label(f"{label(daan)}: wrap-up time in seconds")).to_have_value("30")
    expect(sheet.get_by_label("After the longest wait, send the call to")).to_have_value("voicemail_box")
    expect(sheet.locator("select[id$=after_wait-object] option:checked")).to_have_text("Company voicemail (999)")
    expect(sheet.locator(".ol-row").first.locator(".agent-state")).to_contain_text("Logged out")  # Finn, an agent now
    sheet.get_by_label(f"{label(eva)}: tier (1 answers first)").select_option("1")
    sheet.get_by_role("button", name=f"Move {label(eva)} up").click()
    sheet.get_by_role("button", name=f"Move {label(eva)} up").click()
    sheet.get_by_label("Strategy").select_option(label="All at once")
    with page.expect_request(lambda request: request.method == "PATCH" and "/api/queues/" in request.url) as sent:
        sheet.get_by_role("button", name="Save").click()
    assert sent.value.post_data_json == {"strategy": "ring-all", "tiers": [
        {"user_id": eva["id"], "level": 1, "position": 1}, {"user_id": finn["id"], "level": 1, "position": 2},
        {"user_id": daan["id"], "level": 1, "position": 3}]}
    expect(sheet).to_be_hidden()
    expect(row).to_contain_text("All at once")
    watch.assert_clean()
    admin.context.close()


def test_field_errors_beside_their_inputs_and_deletes(server, browser):
    shot = Screenshots("queues-errors")
    admin = session(browser, server, "queue-errors@demo.example.com")
    bram = staff(admin)["Bram"]
    page, watch = open_page(admin, server)
    page.get_by_role("button", name="New queue").click()
    sheet = page.get_by_role("dialog", name="New queue")
    sheet.get_by_label("Name", exact=True).fill("Overflow")
    sheet.get_by_label("Longest wait (s)").fill("5")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        sheet.get_by_role("button", name="Add", exact=True).click()
    assert answer.value.status == 422 and [e["pointer"] for e in answer.value.json()["errors"]] == ["/max_wait_s"]
    wait = sheet.get_by_label("Longest wait (s)")
    expect(wait).to_have_attribute("aria-invalid", "true")
    expect(wait).to_be_focused()
    expect(page.locator(f"#{wait.get_attribute('id')}-error")).to_be_visible()
    shot(page, "max-wait", full_page=False)
    wait.fill("300")
    # an agent's wrap-up time the user's settings refuse: said beside that agent's input
    sheet.get_by_label("Add an agent").fill("Bram")
    sheet.get_by_label("Add an agent").press("Enter")
    wrap = sheet.get_by_label(f"{label(bram)}: wrap-up time in seconds")
    wrap.fill("9999")
    with page.expect_response(lambda response: response.request.method == "PATCH") as answer:
        sheet.get_by_role("button", name="Add", exact=True).click()
    assert answer.value.status == 422
    expect(wrap).to_have_attribute("aria-invalid", "true")
    expect(wrap).to_be_focused()
    expect(page.locator(f"#{wrap.get_attribute('id')}-error")).to_be_visible()
    expect(wait).not_to_have_attribute("aria-invalid", "true")
    shot(page, "wrap-up", full_page=False)
    wrap.fill("20")
    # after the longest wait to its own extension (no number yet while the queue is new): refused beside the number
    sheet.get_by_label("Extension").fill("420")
    after = sheet.get_by_label("After the longest wait, send the call to")
    after.select_option(label="Internal number")
    sheet.locator("input[id$=after_wait-number]").fill("420")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        sheet.get_by_role("button", name="Add", exact=True).click()
    assert answer.value.status == 422 and [e["pointer"] for e in answer.value.json()["errors"]] == ["/after_wait"]
    number = sheet.locator("input[id$=after_wait-number]")
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{number.get_attribute('id')}-error")).to_be_visible()
    number.evaluate("element => element.scrollIntoView({ block: 'center' })")  # above the sheet's buttons
    shot(page, "after-wait", full_page=False)
    after.select_option(label="Hang up")
    sheet.get_by_role("button", name="Add", exact=True).click()
    expect(sheet).to_be_hidden()
    assert admin.get(f"/api/users/{bram['id']}")["agent"]["wrap_up_time_s"] == 20
    overflow = next(queue for queue in admin.get("/api/queues") if queue["name"] == "Overflow")
    assert overflow["after_wait"] == {"type": "hang_up", "id": None, "number": None}

    # Support is used by the published Reception plan, the lunch menu and a number: refused, each linked
    page.locator("tbody tr").filter(has_text="Support").get_by_role("button", name="Delete Support").click()
    question = page.get_by_role("alertdialog")
    question.get_by_role("button", name="Delete").click()
    used = question.locator(".used-by")
    expect(used.get_by_role("link", name="Reception")).to_have_attribute("href", re.compile(r"^/plans/\d+$"))
    expect(used).to_contain_text("Call plan: Reception")
    expect(used).to_contain_text("IVR menu: Lunch menu")
    shot(page, "refused", full_page=False)
    question.get_by_role("button", name="Close").click()
    assert any(queue["name"] == "Support" for queue in admin.get("/api/queues"))
    page.locator("tbody tr").filter(has_text="Overflow").get_by_role("button", name="Delete Overflow").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page.locator(".toast").last).to_have_text(re.compile("“Overflow” deleted."))
    expect(page.locator("tbody tr").filter(has_text="Overflow")).to_have_count(0)
    # a used_by link to a queue (?edit=<id>) opens its sheet
    support = next(queue for queue in admin.get("/api/queues") if queue["name"] == "Support")
    page.goto(server.url(f"/queues?edit={support['id']}"))
    expect(page.get_by_role("dialog", name="Edit Support").locator(".ol-row")).to_have_count(len(support["tiers"]))
    watch.assert_clean()
    admin.context.close()


def test_a_queue_in_a_sheet_over_the_canvas(server, browser):
    """What the canvas's "New queue" does: editInSheet with the queue type, over the plan editor."""
    admin = session(browser, server, "queue-canvas@demo.example.com")
    plan = next(plan for plan in admin.get("/api/plans") if plan["name"] == "Reception")
    page, watch = open_page(admin, server, f"/plans/{plan['id']}")
    page.locator("#save").focus()
    page.evaluate("""async () => {
      const { editInSheet } = await import("/static/js/sheet.js");
      const queue = (await import("/static/js/objects/queue.js")).default;
      editInSheet(queue).then((saved) => { window.savedQueue = saved; });
    }""")
    sheet = page.get_by_role("dialog", name="New queue")
    expect(sheet.locator(".ordered-list")).to_have_css("display", "flex")  # its stylesheet came along
    sheet.get_by_label("Name", exact=True).fill("Returns")
    sheet.get_by_label("Add an agent").fill("Carla")
    sheet.get_by_label("Add an agent").press("Enter")
    sheet.get_by_role("button", name="Add", exact=True).click()
    expect(sheet).to_be_hidden()
    expect(page.locator("#save")).to_be_focused()
    page.wait_for_function("() => window.savedQueue !== undefined")
    saved = page.evaluate("window.savedQueue")
    assert saved["name"] == "Returns" and saved["tiers"] == [{"user_id": staff(admin)["Carla"]["id"], "level": 1, "position": 1}]
    watch.assert_clean()
    admin.context.close()


def test_dutch_on_a_narrow_screen(server, browser):
    shot = Screenshots("queues-narrow-nl")
    admin = session(browser, server, "wachtrij@demo.example.com", language="nl", locale="nl-NL", viewport={"width": 390, "height": 844})
    page, watch = open_page(admin, server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Wachtrijen")
    expect(page.locator("tbody tr").filter(has_text="Support")).to_contain_text("Langst vrije agent")
    no_text_keys(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    shot(page, "screen")
    page.locator("tbody tr").filter(has_text="Support").get_by_role("button", name="Support bewerken").click()
    sheet = page.get_by_role("dialog", name="Support bewerken")
    expect(sheet.locator(".strategy-explain")).to_have_text("Biedt het gesprek aan bij de vrije agent die het langst geen gesprek heeft gehad.")
    expect(sheet.locator(".ol-row")).to_have_count(2)
    expect(sheet.locator(".ol-row").first.locator(".agent-state")).to_contain_text("Toestel niet aangemeld")
    second = sheet.locator(".ol-row").nth(1).locator(".ol-label").inner_text()
    sheet.get_by_role("button", name=f"{second} verplaatsen").focus()
    page.keyboard.press("Alt+ArrowUp")
    expect(sheet.locator(".ordered-list [role=status]")).to_have_text(f"{second} verplaatst naar plaats 1 van 2.")
    assert page.evaluate("document.querySelector('dialog.sheet').scrollWidth") <= 390
    after = sheet.get_by_label("Na de langste wachttijd het gesprek sturen naar")
    after.select_option(label="Intern nummer")
    expect(sheet.locator("input[id$=after_wait-number]")).to_be_visible()
    after.scroll_into_view_if_needed()
    shot(page, "after-wait", full_page=False)
    no_text_keys(page)
    sheet.locator(".ol-row").first.scroll_into_view_if_needed()
    shot(page, "sheet", full_page=False)
    watch.assert_clean()
    admin.context.close()
