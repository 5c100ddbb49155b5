"""The opening hours and holidays screen (/schedules) in Chromium, on the demo company: a schedule drawn with
the mouse and one typed with the keyboard alone, an edge dragged, warnings and open-now while drawing, field
errors beside their inputs (the API's 422 pointers), a refused delete linking the plan that uses it, the
import of the Dutch public holidays, open-now and next-change texts at a fixed clock across both DST
changes, the night switch on the screen and on the home page, the week grid in a sheet over the canvas,
Dutch, and a narrow screen.

The server runs in this process (browser_support.in_process_server), so web.clock moves its "now"."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, in_process_server  # noqa: E402,F401  (fixtures)
from tests.web.browser_support import admin_session  # noqa: E402
from web import clock  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "opening hours for everyone"
OFFICE_NOW = "Office hours"


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        yield running


def at_clock(moment: str) -> None:
    """The server's now (web.clock) set to `moment`, an ISO instant with its offset."""
    clock.reset()
    clock.advance((datetime.fromisoformat(moment) - clock.now()).total_seconds())


def session(browser, server, email, language="en", **options):
    return admin_session(browser, server, email, PASSWORD, language, **options)


def demo_night(admin) -> None:
    """The demo company's night switch as it was made: automatic on its office hours, to the company box."""
    box = next(box for box in admin.get("/api/voicemail-boxes") if box["extension"] == "999")
    office = next(row for row in admin.get("/api/schedules") if row["name"] == OFFICE_NOW)
    admin.call("PATCH", "/api/company", {"night_mode": "auto", "night_schedule_id": office["id"],
                                         "night_destination": {"type": "voicemail_box", "id": box["id"]}}, expect=200)


def open_page(admin, server, path="/schedules"):
    page = admin.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(server.url(path))
    page.wait_for_selector("body[data-ready=true]")
    return page, watch


def no_text_keys(page):
    assert "ui." not in page.locator("body").inner_text(), "a text key shown instead of its text"


def grid_point(sheet, day: str, hour: float):
    """Where `hour` of `day` is on the week grid, in page coordinates."""
    box = sheet.locator(f'.wg-day[data-day="{day}"]').bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] * hour / 24


def drag(page, start, end):
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0], start[1] + (end[1] - start[1]) / 2, steps=4)
    page.mouse.move(*end, steps=4)
    page.mouse.up()


def tab_to(page, name: str, back: bool = False, limit: int = 80) -> None:
    """Press Tab (Shift+Tab) until the focused control is called `name` (its aria-label or text)."""
    for _ in range(limit):
        focused = page.evaluate("() => { const e = document.activeElement; return e.getAttribute('aria-label') || e.textContent.trim(); }")
        if focused == name:
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"no control called {name!r} reached with the keyboard")


def test_draw_a_schedule_with_the_mouse_then_drag_its_edge(server, browser):
    shot = Screenshots("schedules-draw")
    admin = session(browser, server, "draw@demo.example.com")
    page, watch = open_page(admin, server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Opening hours and holidays")
    expect(page.get_by_role("navigation", name="Main menu").locator("[aria-current=page]")).to_have_text("Schedules")
    no_text_keys(page)
    shot(page, "screen")

    page.locator("#hours").get_by_role("button", name="New schedule").click()
    sheet = page.get_by_role("dialog", name="New schedule")
    sheet.get_by_label("Name").fill("Support desk")
    expect(sheet.locator(".wg-day")).to_have_count(7)
    # Monday 09:00 to 12:00, then Tuesday 13:00 to 17:00, drawn
    drag(page, grid_point(sheet, "mon", 9), grid_point(sheet, "mon", 12))
    drag(page, grid_point(sheet, "tue", 13), grid_point(sheet, "tue", 17))
    expect(sheet.locator(".wg-block")).to_have_count(2)
    # the typed rows follow the drawing
    monday = sheet.locator('.wg-typed-day[data-day="mon"]')
    expect(monday.get_by_label("Monday: open from")).to_have_value("09:00")
    expect(monday.get_by_label("Monday: open until")).to_have_value("12:00")
    # beside it: the API's warnings for the unsaved periods (Wednesday to Friday closed) and open now
    expect(sheet.locator(".wg-warning")).to_have_count(3)
    expect(sheet.locator(".wg-warning").first).to_contain_text("Never open on Wednesday")
    expect(sheet.locator(".wg-now")).to_contain_text(re.compile(r"(Open|Closed) now · (opens|closes) "))
    shot(page, "drawn", full_page=False)
    with page.expect_request(lambda request: request.method == "POST" and request.url.endswith("/api/schedules")) as sent:
        sheet.get_by_role("button", name="Add", exact=True).click()
    assert sent.value.post_data_json["periods"] == [
        {"from_day": "mon", "from_time": "09:00", "to_day": "mon", "to_time": "12:00"},
        {"from_day": "tue", "from_time": "13:00", "to_day": "tue", "to_time": "17:00"}]
    expect(sheet).to_be_hidden()
    row = page.locator("#hours tbody tr").filter(has_text="Support desk")
    expect(row).to_contain_text("Mon 09:00–12:00 · Tue 13:00–17:00")
    expect(row).to_contain_text("3 to check")

    # change: drag Monday's bottom edge from 12:00 to 13:30, and move Tuesday's period an hour earlier
    row.get_by_role("button", name="Edit Support desk").click()
    sheet = page.get_by_role("dialog", name="Edit Support desk")
    edge = sheet.locator('.wg-day[data-day="mon"] .wg-edge-end')
    box = edge.bounding_box()
    drag(page, (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2), grid_point(sheet, "mon", 13.5))
    block = sheet.locator('.wg-day[data-day="tue"] .wg-block')
    box = block.bounding_box()
    middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    drag(page, middle, (middle[0], middle[1] - (grid_point(sheet, "tue", 1)[1] - grid_point(sheet, "tue", 0)[1])))
    expect(sheet.locator('.wg-typed-day[data-day="mon"]').get_by_label("Monday: open until")).to_have_value("13:30")
    expect(sheet.locator('.wg-typed-day[data-day="tue"]').get_by_label("Tuesday: open from")).to_have_value("12:00")
    shot(page, "dragged", full_page=False)
    with page.expect_request(lambda request: request.method == "PATCH") as sent:
        sheet.get_by_role("button", name="Save").click()
    assert sent.value.post_data_json == {"periods": [
        {"from_day": "mon", "from_time": "09:00", "to_day": "mon", "to_time": "13:30"},
        {"from_day": "tue", "from_time": "12:00", "to_day": "tue", "to_time": "16:00"}]}
    expect(row).to_contain_text("Mon 09:00–13:30 · Tue 12:00–16:00")
    watch.assert_clean()
    admin.context.close()


def test_type_a_schedule_with_the_keyboard_alone(server, browser):
    shot = Screenshots("schedules-keyboard")
    admin = session(browser, server, "keys@demo.example.com")
    page, watch = open_page(admin, server)
    page.locator("#hours").get_by_role("button", name="New schedule").focus()
    page.keyboard.press("Enter")
    sheet = page.get_by_role("dialog", name="New schedule")
    expect(sheet.get_by_label("Name")).to_be_focused()
    page.keyboard.type("Front office")
    tab_to(page, "Add a period on Monday")
    page.keyboard.press("Enter")
    expect(sheet.get_by_label("Monday: open from")).to_be_focused()
    page.keyboard.type("8:30")  # made 08:30
    page.keyboard.press("Tab")
    page.keyboard.type("12")  # made 12:00
    tab_to(page, "Add a period on Monday")
    page.keyboard.press("Enter")
    page.keyboard.type("13:00")
    page.keyboard.press("Tab")
    page.keyboard.type("17:30")
    page.keyboard.press("Tab")
    monday = sheet.locator('.wg-typed-day[data-day="mon"]')
    expect(monday.locator(".wg-line")).to_have_count(2)
    expect(sheet.locator('.wg-day[data-day="mon"] .wg-block')).to_have_count(2)  # drawn on the grid too
    expect(sheet.locator(".wg-warning")).to_have_count(4)  # Tuesday to Friday never open
    tab_to(page, "Copy Monday to Tuesday–Friday", back=True)
    page.keyboard.press("Enter")
    expect(sheet.locator(".wg-block")).to_have_count(10)
    expect(sheet.locator(".wg-warning")).to_have_count(0)
    tab_to(page, "Open all day on Saturday")
    page.keyboard.press("Enter")
    expect(sheet.get_by_label("Saturday: open until")).to_have_value("24:00")
    shot(page, "typed", full_page=False)
    tab_to(page, "Add")
    with page.expect_response(lambda response: response.request.method == "POST" and response.url.endswith("/api/schedules")) as answer:
        page.keyboard.press("Enter")
    saved = answer.value.json()
    office = [{"from_day": d, "from_time": t, "to_day": d, "to_time": u} for d in ("mon", "tue", "wed", "thu", "fri")
              for t, u in (("08:30", "12:00"), ("13:00", "17:30"))]
    assert saved["periods"] == office + [{"from_day": "sat", "from_time": "00:00", "to_day": "sat", "to_time": "24:00"}]
    assert saved["warnings"] == []
    expect(sheet).to_be_hidden()
    expect(page.locator("#hours").get_by_role("button", name="New schedule")).to_be_focused()
    watch.assert_clean()
    admin.context.close()



def holiday_post(response) -> bool:
    """The holiday schedule's save, not a schedule preview (also a POST) answered late from a sheet before."""
    return response.request.method == "POST" and "/api/holiday-schedules" in response.url

def test_field_errors_beside_their_inputs_refused_and_done_deletes(server, browser):
    shot = Screenshots("schedules-errors")
    admin = session(browser, server, "errors@demo.example.com")
    page, watch = open_page(admin, server)

    # a time the API refuses (/periods/0/to_time), beside that input
    page.locator("#hours").get_by_role("button", name="New schedule").click()
    sheet = page.get_by_role("dialog", name="New schedule")
    sheet.get_by_label("Name").fill("Late shift")
    sheet.get_by_role("button", name="Add a period on Friday").click()
    sheet.get_by_label("Friday: open until").fill("25:00")
    with page.expect_response(lambda response: response.request.method == "POST" and response.url.endswith("/api/schedules")) as answer:
        sheet.get_by_role("button", name="Add", exact=True).click()
    assert answer.value.status == 422 and answer.value.json()["errors"][0]["pointer"] == "/periods/0/to_time"
    until = sheet.get_by_label("Friday: open until")
    expect(until).to_have_attribute("aria-invalid", "true")
    expect(until).to_be_focused()
    expect(page.locator(f"#{until.get_attribute('id')}-error")).to_have_text("Type a time as HH:MM, from 00:00 to 24:00.")
    expect(sheet.get_by_label("Friday: open from")).not_to_have_attribute("aria-invalid", "true")
    shot(page, "time", full_page=False)
    until.fill("24:00")
    sheet.get_by_role("button", name="Add", exact=True).click()
    expect(sheet).to_be_hidden()

    # a holiday that ends before it starts (/entries/0/end_date), then a part day ending before it starts
    page.locator("#holidays").get_by_role("button", name="New holiday schedule").click()
    sheet = page.get_by_role("dialog", name="New holiday schedule")
    sheet.get_by_label("Name").fill("Office closed")
    sheet.get_by_role("button", name="Add a date").click()
    sheet.get_by_label("Date 1: what").fill("Year end")
    sheet.get_by_label("Date 1: from").fill("2026-12-31")
    sheet.get_by_label("Date 1: until").fill("2026-12-30")
    with page.expect_response(holiday_post) as answer:
        sheet.get_by_role("button", name="Add", exact=True).click()
    assert [e["pointer"] for e in answer.value.json()["errors"]] == ["/entries/0/end_date"]
    end = sheet.get_by_label("Date 1: until")
    expect(end).to_be_focused()
    expect(page.locator(f"#{end.get_attribute('id')}-error")).to_have_text("The last day is before the first.")
    end.fill("")
    sheet.get_by_label("All day").uncheck()
    sheet.get_by_label("Date 1: closed from").fill("17:00")
    sheet.get_by_label("Date 1: closed until").fill("12:00")
    with page.expect_response(holiday_post) as answer:
        sheet.get_by_role("button", name="Add", exact=True).click()
    assert [e["pointer"] for e in answer.value.json()["errors"]] == ["/entries/0/to_time"]
    to = sheet.get_by_label("Date 1: closed until")
    expect(page.locator(f"#{to.get_attribute('id')}-error")).to_have_text("On a single day the end must be after the start.")
    expect(end).not_to_have_attribute("aria-invalid", "true")
    shot(page, "holiday", full_page=False)
    sheet.get_by_label("Date 1: closed from").fill("12:00")
    sheet.get_by_label("Date 1: closed until").fill("17:00")
    sheet.get_by_label("Every year").check()
    with page.expect_response(holiday_post) as answer:
        sheet.get_by_role("button", name="Add", exact=True).click()
    assert answer.value.json()["entries"] == [{"start_date": "2026-12-31", "end_date": None, "from_time": "12:00", "to_time": "17:00",
                                               "yearly": True, "description": "Year end"}]
    expect(sheet).to_be_hidden()

    # deleting the demo's office hours is refused: the published reception plan (and the night switch) use it
    page.locator("#hours tbody tr").filter(has_text=OFFICE_NOW).get_by_role("button", name=f"Delete {OFFICE_NOW}").click()
    question = page.get_by_role("alertdialog")
    question.get_by_role("button", name="Delete").click()
    expect(question.locator(".used-by")).to_be_visible()
    plan = question.locator(".used-by").get_by_role("link", name="Reception")
    expect(plan).to_have_attribute("href", re.compile(r"^/plans/\d+$"))
    expect(question.locator(".used-by li")).to_contain_text(["Call plan: Reception"])
    shot(page, "refused", full_page=False)
    question.get_by_role("button", name="Close").click()
    # a holiday schedule in use is refused too; a link to one (?holidays=<id>) opens its sheet here
    dutch = next(row for row in admin.get("/api/holiday-schedules") if row["name"] == "Dutch national holidays")
    page.locator("#holidays tbody tr").filter(has_text=dutch["name"]).get_by_role("button", name=f"Delete {dutch['name']}").click()
    question = page.get_by_role("alertdialog")
    question.get_by_role("button", name="Delete").click()
    expect(question.locator(".used-by")).to_contain_text("Call plan: Reception")
    question.get_by_role("button", name="Close").click()
    page.goto(server.url(f"/schedules?holidays={dutch['id']}"))
    expect(page.get_by_role("dialog", name=f"Edit {dutch['name']}").locator(".he-row")).to_have_count(len(dutch["entries"]))
    page.keyboard.press("Escape")
    # ... and one nothing uses goes
    page.locator("#hours tbody tr").filter(has_text="Late shift").get_by_role("button", name="Delete Late shift").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page.locator(".toast").last).to_have_text(re.compile("“Late shift” deleted."))
    expect(page.locator("#hours tbody tr").filter(has_text="Late shift")).to_have_count(0)
    watch.assert_clean()
    admin.context.close()


def test_import_the_dutch_public_holidays(server, browser):
    shot = Screenshots("schedules-import")
    at_clock("2026-06-01T10:00:00+02:00")
    admin = session(browser, server, "import@demo.example.com")
    page, watch = open_page(admin, server)
    page.locator("#holidays").get_by_role("button", name="Import public holidays").click()
    sheet = page.get_by_role("dialog", name="New holiday schedule")
    expect(sheet.get_by_label("Name")).to_have_value("Public holidays")
    expect(sheet.get_by_label("Country")).to_have_value("NL")  # the company's number is Dutch
    found = sheet.locator(".he-found-list li")
    expect(found.first).to_contain_text("Christmas Day")
    expect(found.first).to_contain_text("2026")
    count = found.count()
    assert 20 <= count <= 24  # Christmas of 2026 and the ten of 2027 and 2028
    expect(sheet.locator(".he-found-list")).to_contain_text("King's Day")
    shot(page, "preview", full_page=False)
    # one left out
    found.filter(has_text="Easter Sunday").first.get_by_role("checkbox").uncheck()
    sheet.get_by_role("button", name=f"Add {count - 1} dates").click()
    expect(sheet.locator(".he-row")).to_have_count(count - 1)
    expect(sheet.get_by_text(f"{count - 1} dates added. Save to keep them.")).to_be_visible()
    expect(sheet.get_by_label("Date 1: from")).to_have_value("2026-12-25")
    expect(sheet.get_by_label("Date 1: what")).to_have_value("Christmas Day")
    shot(page, "added", full_page=False)
    with page.expect_response(holiday_post) as answer:
        sheet.get_by_role("button", name="Add", exact=True).click()
    entries = answer.value.json()["entries"]
    assert len(entries) == count - 1
    assert {"start_date": "2027-04-27", "end_date": None, "from_time": None, "to_time": None, "yearly": False,
            "description": "King's Day"} in entries
    assert "2027-03-28" not in [entry["start_date"] for entry in entries]  # Easter Sunday 2027, left out
    row = page.locator("#holidays tbody tr").filter(has_text="Public holidays")
    expect(row).to_contain_text(str(count - 1))
    expect(row).to_contain_text("Christmas Day")
    watch.assert_clean()
    admin.context.close()


def test_open_now_and_the_next_change_at_a_fixed_clock_across_dst(server, browser):
    shot = Screenshots("schedules-clock")
    admin = session(browser, server, "clock@demo.example.com")
    # Saturday 28 March 2026, noon in Amsterdam: summer time begins in the night, so Monday 08:30 is 06:30 UTC
    at_clock("2026-03-28T12:00:00+01:00")
    demo_night(admin)
    page, watch = open_page(admin, server)
    now = page.locator("#hours tbody tr").filter(has_text=OFFICE_NOW).locator(".schedule-now")
    expect(now).to_have_text("Closed now · opens Monday 30 March at 08:30")
    # the night switch (automatic on the office hours): night until then
    expect(page.locator("#night .night-state")).to_have_text("Night: calls go to Company voicemail until Monday 30 March at 08:30.")
    shot(page, "spring")
    # Friday 23 October 2026, 18:00 summer time: winter time from Sunday, Monday 08:30 is 07:30 UTC
    at_clock("2026-10-23T18:00:00+02:00")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(now).to_have_text("Closed now · opens Monday 26 October at 08:30")
    at_clock("2026-10-26T10:00:00+01:00")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(now).to_have_text("Open now · closes today at 17:30")
    expect(page.locator("#night .night-state")).to_have_text("Day: calls ring as usual. Night from today at 17:30.")
    # the sheet says it of the periods being drawn too
    page.locator("#hours tbody tr").filter(has_text=OFFICE_NOW).get_by_role("button", name=f"Edit {OFFICE_NOW}").click()
    sheet = page.get_by_role("dialog", name=f"Edit {OFFICE_NOW}")
    expect(sheet.locator(".wg-now")).to_have_text("Open now · closes today at 17:30")
    sheet.get_by_label("Monday: open until").fill("12:00")
    expect(sheet.locator(".wg-now")).to_have_text("Open now · closes today at 12:00")
    sheet.get_by_label("With holidays:").select_option(label="Dutch national holidays")
    expect(sheet.locator(".wg-now")).to_have_text("Open now · closes today at 12:00")
    shot(page, "sheet", full_page=False)
    watch.assert_clean()
    admin.context.close()


def test_night_switch_on_the_home_page_and_on_the_screen(server, browser):
    shot = Screenshots("schedules-night")
    at_clock("2026-10-26T10:00:00+01:00")  # Monday morning: day by the office hours
    admin = session(browser, server, "night@demo.example.com")
    demo_night(admin)
    page, watch = open_page(admin, server, "/")
    card = page.locator(".night-card")
    expect(card.get_by_role("heading", name="Night switch")).to_be_visible()
    expect(card.get_by_role("button", name="Automatic")).to_have_attribute("aria-pressed", "true")
    expect(card.locator(".night-state")).to_have_text("Day: calls ring as usual. Night from today at 17:30.")
    expect(card).to_contain_text("At night calls go to: Voicemail box: Company voicemail (999)")
    shot(page, "home-auto")
    card.get_by_role("button", name="On").click()
    expect(card.locator(".night-state")).to_have_text("Night: calls go to Company voicemail.")
    expect(card.get_by_role("button", name="On")).to_have_attribute("aria-pressed", "true")
    assert admin.get("/api/company")["night_mode"] == "on"
    assert admin.get("/api/company/night")["night"] is True
    shot(page, "home-on")
    card.get_by_role("button", name="Off").click()
    expect(card.locator(".night-state")).to_have_text("Day: calls ring as usual.")
    assert admin.get("/api/company")["night_mode"] == "off"

    # the whole setting on the screen: automatic again, to an outside number (a bad one first)
    page.goto(server.url("/schedules#night"))
    page.wait_for_selector("body[data-ready=true]")
    panel = page.locator("#night")
    expect(panel.get_by_role("radio", name=re.compile("^Off"))).to_be_checked()
    expect(panel.get_by_label("Opening hours", exact=True)).to_be_hidden()  # only for automatic
    panel.get_by_role("radio", name=re.compile("^Automatic")).check()
    expect(panel.get_by_label("Opening hours", exact=True)).to_have_value(re.compile(r"\d+"))
    panel.get_by_label("At night, calls go to").select_option(label="Outside number")
    panel.get_by_label("Number").fill("12")
    with page.expect_response(lambda response: response.request.method == "PATCH") as answer:
        panel.get_by_role("button", name="Save").click()
    assert answer.value.status == 422
    number = panel.get_by_label("Number")
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(number).to_be_focused()
    shot(page, "screen-error")
    number.fill("+31612345678")
    with page.expect_request(lambda request: request.method == "PATCH") as sent:
        panel.get_by_role("button", name="Save").click()
    assert sent.value.post_data_json == {"night_mode": "auto", "night_destination": {"type": "external", "number": "+31612345678"}}
    expect(panel.locator(".night-state")).to_have_text("Day: calls ring as usual. Night from today at 17:30.")
    at_clock("2026-10-26T18:00:00+01:00")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#night .night-state")).to_have_text("Night: calls go to +31612345678 until Tuesday 27 October at 08:30.")
    shot(page, "screen-auto")
    watch.assert_clean()
    admin.context.close()


def test_the_week_grid_in_a_sheet_over_the_canvas(server, browser):
    """What the canvas's "New schedule" will do: editInSheet with the schedule type, on the plan editor."""
    admin = session(browser, server, "canvas-sheet@demo.example.com")
    plan = next(plan for plan in admin.get("/api/plans") if plan["name"] == "Reception")
    page, watch = open_page(admin, server, f"/plans/{plan['id']}")
    page.locator("#save").focus()
    page.evaluate("""async () => {
      const { editInSheet } = await import("/static/js/sheet.js");
      const schedule = (await import("/static/js/objects/schedule.js")).default;
      editInSheet(schedule).then((saved) => { window.savedSchedule = saved; });
    }""")
    sheet = page.get_by_role("dialog", name="New schedule")
    expect(sheet.locator(".wg-day")).to_have_count(7)
    expect(sheet.locator(".wg-body")).to_have_css("border-top-style", "solid")  # its stylesheet came along
    sheet.get_by_label("Name").fill("Evenings")
    drag(page, grid_point(sheet, "wed", 18), grid_point(sheet, "wed", 22))
    sheet.get_by_role("button", name="Add", exact=True).click()
    expect(sheet).to_be_hidden()
    expect(page.locator("#save")).to_be_focused()
    page.wait_for_function("() => window.savedSchedule !== undefined")
    saved = page.evaluate("window.savedSchedule")
    assert saved["name"] == "Evenings" and saved["periods"] == [{"from_day": "wed", "from_time": "18:00", "to_day": "wed", "to_time": "22:00"}]
    Screenshots("schedules-canvas")(page, "saved")
    watch.assert_clean()
    admin.context.close()


def test_dutch_on_a_narrow_screen(server, browser):
    shot = Screenshots("schedules-narrow-nl")
    at_clock("2026-10-26T10:00:00+01:00")
    admin = session(browser, server, "smal@demo.example.com", language="nl", locale="nl-NL", viewport={"width": 390, "height": 844})
    demo_night(admin)
    page, watch = open_page(admin, server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Openingstijden en feestdagen")
    no_text_keys(page)
    expect(page.locator("#hours tbody tr").filter(has_text=OFFICE_NOW).locator(".schedule-now")).to_have_text("Nu open · sluit vandaag om 17:30")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    shot(page, "screen")
    page.locator("#hours").get_by_role("button", name="Nieuw tijdschema").click()
    sheet = page.get_by_role("dialog", name="Nieuw tijdschema")
    sheet.get_by_role("button", name="Periode toevoegen op maandag").click()
    expect(sheet.get_by_label("maandag: open vanaf")).to_have_value("09:00")
    expect(sheet.locator(".wg-warning").first).to_contain_text("Op dinsdag nooit open")
    no_text_keys(page)
    shot(page, "sheet", full_page=False)
    page.keyboard.press("Escape")
    page.get_by_role("dialog").get_by_role("button", name="Wijzigingen weggooien").click()
    page.locator("#holidays").get_by_role("button", name="Feestdagen importeren").click()
    sheet = page.get_by_role("dialog", name="Nieuw vakantieschema")
    expect(sheet.locator(".he-found-list")).to_contain_text("Tweede kerstdag")
    shot(page, "import", full_page=False)
    page.goto(server.url("/"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator(".night-card .night-state")).to_have_text("Dag: gesprekken gaan gewoon over. Nacht vanaf vandaag om 17:30.")
    no_text_keys(page)
    shot(page, "home")
    watch.assert_clean()
    admin.context.close()
