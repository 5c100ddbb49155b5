"""Seed 002's example plan built in the browser alone, from an empty company (#13's end-to-end test).

The operator's part happens outside the browser (the company, its first admin, its numbers: as in
test_company_setup_browser.empty_company), and the three colleagues who answer calls are made through
the API to keep the test short. Everything the plan is built from is made on its screen: office hours,
lunch and a holiday on /schedules, the closed message uploaded on /audio, the Support queue on /queues,
the Backoffice ring group on /ring-groups, the lunch menu on /ivr-menus; then the plan itself on the
canvas: time condition with queue, prefix and ring group; lunch with the IVR; the closed message, an
e-mail and hang up; a diversion to the duty mobile. It is published in the browser, and the canvas's
Simulate tab walks a call inside office hours, at lunch and on a Saturday."""

from __future__ import annotations

import re

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, live_server  # noqa: E402,F401  (fixtures)
from tests.web.canvas_support import card, drag_new, drop_zone, log_in, settle, wav_bytes  # noqa: E402
from tests.web.test_company_setup_browser import NUMBER, PASSWORD, empty_company, go  # noqa: E402

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms: a loaded machine is slow, never wrong


def order(page, container: str) -> list[str]:
    return drop_zone(page, container).locator(":scope > [data-step-id]").evaluate_all(
        "items => items.map(item => item.dataset.stepId)")


def lit(page) -> list[str]:
    return page.locator(".step.sim-on").evaluate_all("items => items.map(i => i.dataset.stepId)")


def type_week(sheet, name: str, periods: list[tuple[str, str]]) -> None:
    """A schedule typed on Monday (one line per period) and copied to Tuesday–Friday."""
    sheet.get_by_label("Name").fill(name)
    for number, (start, end) in enumerate(periods):
        sheet.get_by_role("button", name="Add a period on Monday").click()
        sheet.get_by_label("Monday: open from").nth(number).fill(start)
        sheet.get_by_label("Monday: open until").nth(number).fill(end)
    sheet.get_by_role("button", name="Copy Monday to Tuesday–Friday").click()
    expect(sheet.locator(".wg-block")).to_have_count(5 * len(periods))


def test_seed_002_example_plan_from_an_empty_company_in_the_browser(live_server, browser):
    expect.set_options(timeout=WAIT)
    shot = Screenshots("seed-002")
    empty_company(live_server)
    admin = log_in(browser, live_server, email="iris@bloom.test", password=PASSWORD)
    assert admin.get("/api/queues") == [] and admin.get("/api/schedules") == [] and admin.get("/api/plans") == []
    people = {first: admin.post("/api/users", {"first_name": first, "last_name": last, "extension": extension}, expect=201)
              for first, last, extension in (("Anna", "Smit", "201"), ("Bert", "Bos", "202"), ("Carl", "Kok", "203"))}
    page = admin.context.new_page()
    watch = ConsoleWatch(page)

    # Office hours (mornings and afternoons), lunch, and a day the office is closed: /schedules.
    go(page, live_server, "/schedules")
    page.locator("#hours").get_by_role("button", name="New schedule").first.click()
    sheet = page.get_by_role("dialog", name="New schedule")
    type_week(sheet, "Office hours", [("09:00", "12:00"), ("13:00", "17:00")])
    sheet.get_by_role("button", name="Add", exact=True).click()
    expect(sheet).to_be_hidden()
    page.locator("#hours").get_by_role("button", name="New schedule").first.click()
    sheet = page.get_by_role("dialog", name="New schedule")
    type_week(sheet, "Lunch", [("12:00", "13:00")])
    sheet.get_by_role("button", name="Add", exact=True).click()
    expect(sheet).to_be_hidden()
    page.locator("#holidays").get_by_role("button", name="New holiday schedule").first.click()
    sheet = page.get_by_role("dialog", name="New holiday schedule")
    sheet.get_by_label("Name").fill("Office closed")
    sheet.get_by_role("button", name="Add a date").click()
    sheet.get_by_label("Date 1: what").fill("Team day")
    sheet.get_by_label("Date 1: from").fill("2026-03-13")
    sheet.get_by_role("button", name="Add", exact=True).click()
    expect(sheet).to_be_hidden()
    expect(page.locator("#hours tbody tr").filter(has_text="Office hours")).to_contain_text("Mon–Fri 09:00–12:00, 13:00–17:00")
    expect(page.locator("#holidays tbody tr").filter(has_text="Office closed")).to_be_visible()
    shot(page, "schedules")

    # The closed message, uploaded: /audio.
    go(page, live_server, "/audio")
    page.get_by_label("Choose files…").set_input_files([{"name": "Closed message.wav", "mimeType": "audio/wav", "buffer": wav_bytes(1.0)}])
    expect(page.locator(".upload[data-file='Closed message.wav']")).to_have_attribute("data-state", "done")
    shot(page, "audio")

    # The Support queue with Anna and Bert: /queues.
    go(page, live_server, "/queues")
    page.get_by_role("button", name="New queue").first.click()
    sheet = page.get_by_role("dialog", name="New queue")
    sheet.get_by_label("Name", exact=True).fill("Support")
    sheet.get_by_label("Extension").fill("410")
    search = sheet.get_by_label("Add an agent")
    for first in ("Anna", "Bert"):
        search.fill(first)
        search.press("Enter")
    expect(sheet.locator(".ol-row")).to_have_count(2)
    sheet.get_by_label("Longest wait (s)").fill("120")
    sheet.get_by_role("button", name="Add", exact=True).click()
    expect(sheet).to_be_hidden()
    expect(page.locator("tbody tr").filter(has_text="Support")).to_contain_text("410")
    shot(page, "queues")

    # The Backoffice ring group with Carl: /ring-groups.
    go(page, live_server, "/ring-groups")
    page.get_by_role("button", name="New ring group").first.click()
    sheet = page.get_by_role("dialog", name="New ring group")
    sheet.get_by_label("Name", exact=True).fill("Backoffice")
    sheet.get_by_label("Extension").fill("310")
    search = sheet.get_by_label("Add a member")
    search.fill("Carl")
    expect(sheet.get_by_role("button", name="Add Carl Kok (203)")).to_be_visible()
    search.press("Enter")
    sheet.get_by_role("button", name="Add", exact=True).click()
    expect(sheet).to_be_hidden()
    expect(page.locator("tbody tr").filter(has_text="Backoffice")).to_contain_text("310")
    shot(page, "ring-groups")

    # The lunch menu: key 1 the Support queue, key 2 the Backoffice group: /ivr-menus.
    go(page, live_server, "/ivr-menus")
    page.get_by_role("button", name="New IVR menu").first.click()
    sheet = page.get_by_role("dialog", name="New IVR menu")
    sheet.locator('[data-field="name"] input').fill("Lunch menu")
    sheet.get_by_label("Extension").fill("510")
    keys = sheet.locator('[data-field="keys"]')
    for digit, kind, which, description in (("1", "Queue", "Support (410)", "support"),
                                            ("2", "Ring group", "Backoffice (310)", "backoffice")):
        keys.locator(f'.ivr-key[data-key="{digit}"]').first.click()
        keys.get_by_label(f"What key {digit} does").select_option(label="Forward")
        keys.locator(".ivr-key-editor .destination > select").select_option(label=kind)
        keys.get_by_label("Which one").select_option(label=which)
        keys.get_by_label("Description").fill(description)
    shot(page, "ivr-menu", full_page=False)
    sheet.get_by_role("button", name="Add", exact=True).click()
    expect(sheet).to_be_hidden()
    expect(page.locator("tbody tr").filter(has_text="Lunch menu")).to_contain_text("1 support · 2 backoffice")

    # The plan on the canvas.
    go(page, live_server, "/plans")
    page.get_by_label("Name", exact=True).fill("Reception")
    page.get_by_role("button", name="Create and open").click()
    page.wait_for_url(re.compile(r"/plans/\d+$"))
    plan_id = int(page.url.rsplit("/", 1)[1])
    page.wait_for_selector("body[data-ready=true]")
    form = page.locator("#panel-step")
    page.get_by_label("Number to add").fill(NUMBER)
    page.get_by_role("button", name="Add number").click()
    expect(page.locator("#numbers-list .chip")).to_have_count(1)
    # office hours: the queue, a prefix on the phones rung after it, the ring group
    drag_new(page, "time_condition", "root")
    form.get_by_label("Schedule", exact=True).select_option(label="Office hours")
    form.get_by_label("Holidays", exact=True).select_option(label="Office closed")
    drag_new(page, "queue", "s1|then")
    form.get_by_label("Queue", exact=True).select_option(label="Support")
    form.get_by_label("Longest wait (seconds)", exact=True).fill("120")
    drag_new(page, "prefix", "s1|then")
    form.get_by_label("Text before the caller's name", exact=True).fill("MISSED-Q ")
    drag_new(page, "ring_group", "s1|then")
    form.get_by_label("Ring group", exact=True).select_option(label="Backoffice")
    # lunch: the menu
    drag_new(page, "time_condition", "root")
    form.get_by_label("Schedule", exact=True).select_option(label="Lunch")
    drag_new(page, "ivr", "s5|then")
    form.get_by_label("Menu", exact=True).select_option(label="Lunch menu")
    # all other hours: the closed message, an e-mail to info, hang up
    drag_new(page, "announcement", "root")
    form.get_by_label("Audio file", exact=True).select_option(label="Closed message")
    drag_new(page, "email", "root")
    form.locator("input[name=to]").fill("info@bloom.test")
    drag_new(page, "hang_up", "root")
    # the diversion that bypasses the plan: everything to the duty mobile
    page.get_by_role("button", name="Add a diversion").click()
    page.get_by_label("Diversion name").fill("Everything to the duty mobile")
    drag_new(page, "transfer", "div:d1")
    form.get_by_label("Transfer to", exact=True).select_option("external")
    form.get_by_label("External number", exact=True).fill("+32467890123")
    assert order(page, "root") == ["s1", "s5", "s7", "s8", "s9"]
    assert order(page, "s1|then") == ["s2", "s3", "s4"]
    assert order(page, "s5|then") == ["s6"]
    assert order(page, "div:d1") == ["s10"]
    settle(page)
    # no errors; one warning, as the seed's plan has it: nothing catches the diversion's unanswered calls
    expect(page.locator("#problem-count")).to_have_text("1")
    expect(page.locator("#problem-list")).to_contain_text("Transfer s10: Nobody catches an unanswered call")
    expect(page.get_by_role("button", name="Publish")).to_be_enabled()
    shot(page, "plan-built")

    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#page-status")).to_contain_text("Published as version 1")
    expect(page.locator("#plan-state")).to_have_text("Published")
    summary = admin.get(f"/api/plans/{plan_id}")
    assert summary["published_version"] == 1 and summary["state"] == "published"
    document = summary["document"]
    objects = {"queue": admin.get("/api/queues")[0]["id"], "group": admin.get("/api/ring-groups")[0]["id"],
               "menu": admin.get("/api/ivr-menus")[0]["id"], "audio": admin.get("/api/audio")[0]["id"]}
    office, lunch = document["steps"][0], document["steps"][1]
    assert [step["type"] for step in office["then"]] == ["queue", "prefix", "ring_group"]
    assert office["then"][0]["queue"] == objects["queue"] and office["then"][2]["group"] == objects["group"]
    assert lunch["then"][0]["menu"] == objects["menu"]
    assert [step["type"] for step in document["steps"][2:]] == ["announcement", "email", "hang_up"]
    assert document["steps"][2]["audio"] == objects["audio"] and document["steps"][3]["to"] == ["info@bloom.test"]
    assert document["diversions"][0]["steps"][0]["to"]["external"] == "+32467890123"
    assert {tier["user_id"] for tier in admin.get("/api/queues")[0]["tiers"]} == {people["Anna"]["id"], people["Bert"]["id"]}

    # Simulate: Tuesday 10 March 2026, 10:00 (office hours), nobody answers: queue, prefix, group, then closed.
    page.get_by_role("tab", name="Simulate").click()
    page.get_by_label("Date and time").fill("2026-03-10T10:00")
    page.get_by_label("Caller's name").fill("Jan")
    page.get_by_role("button", name="Simulate the call").click()
    expect(page.locator("#sim-result")).to_be_visible()
    expect(page.locator(".step.sim-on")).to_have_count(8)
    assert lit(page) == ["s1", "s2", "s3", "s4", "s5", "s7", "s8", "s9"]
    expect(page.locator("#sim-outcome")).to_contain_text("MISSED-Q Jan")
    # ... and when the queue answers, the call ends there
    page.locator('#sim-answer-list input[value="s2"]').check()
    page.get_by_role("button", name="Simulate the call").click()
    expect(page.locator("#sim-outcome")).to_contain_text("Answered at s2")
    expect(page.locator(".step.sim-on")).to_have_count(2)
    shot(page, "simulate-office-hours")
    page.locator('#sim-answer-list input[value="s2"]').uncheck()

    # 12:30 the same day: lunch, the menu.
    page.get_by_label("Date and time").fill("2026-03-10T12:30")
    page.get_by_role("button", name="Simulate the call").click()
    expect(page.locator(".step.sim-on").first).to_have_attribute("data-step-id", "s1")
    expect(page.locator('.step.sim-on[data-step-id="s6"]')).to_have_count(1)
    assert lit(page)[:3] == ["s1", "s5", "s6"] and "s2" not in lit(page) and "s7" not in lit(page)
    shot(page, "simulate-lunch")

    # Saturday 14 March, 10:00 (outside office hours): the closed message, the e-mail, hang up.
    page.get_by_label("Date and time").fill("2026-03-14T10:00")
    page.get_by_role("button", name="Simulate the call").click()
    expect(page.locator(".step.sim-on")).to_have_count(5)
    assert lit(page) == ["s1", "s5", "s7", "s8", "s9"]
    expect(page.locator("#sim-outcome")).to_contain_text("Hung up")
    shot(page, "simulate-closed")

    # Friday 13 March, 10:00: a working day, but the office is closed (the holiday): as outside hours.
    page.get_by_label("Date and time").fill("2026-03-13T10:00")
    page.get_by_role("button", name="Simulate the call").click()
    expect(page.locator(".step.sim-on")).to_have_count(5)
    assert lit(page) == ["s1", "s5", "s7", "s8", "s9"]
    assert card(page, "s7").is_visible()

    # The diversion switched on (Diversions tab): the next call bypasses the plan to the duty mobile.
    page.get_by_role("tab", name="Diversions", exact=True).click()
    duty = page.get_by_role("switch", name=re.compile("Everything to the duty mobile"))
    expect(duty).to_have_attribute("aria-checked", "false")
    duty.click()
    expect(duty).to_have_attribute("aria-checked", "true")
    assert admin.get(f"/api/plans/{plan_id}")["active_diversions"] == ["d1"]
    page.get_by_role("tab", name="Simulate").click()
    page.get_by_label("Date and time").fill("2026-03-10T10:00")
    page.get_by_role("button", name="Simulate the call").click()
    expect(page.locator(".step.sim-on")).to_have_count(1)
    assert lit(page) == ["s10"]
    shot(page, "simulate-diversion")
    watch.assert_clean()
    admin.context.close()
