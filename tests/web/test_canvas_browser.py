"""The call-plan canvas in Chromium, driven with the mouse and the keyboard as an admin would: the spec's
example plan built by drag and drop and stored exactly; reorder and moving a subtree into an IVR key with
undo and redo; a deleted queue's error on its step with publish disabled; publish, change, diff and roll
back; simulate lighting up the path; keyboard-only editing; the plan list; the Dutch canvas."""

from __future__ import annotations

import json
import re

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from callplan.model import CallPlan  # noqa: E402
from tests.web.browser_support import browser, live_server  # noqa: E402,F401  (fixtures)
from tests.web.canvas_support import (  # noqa: E402
    all_step_ids,
    assign_number,
    card,
    demo_objects,
    drag,
    drag_new,
    drop_zone,
    ensure_admin,
    ensure_audio,
    log_in,
    new_plan,
    open_plan,
    strip_ids,
)
from web.domain.callplan_snapshot import normalised  # noqa: E402
from web.settings import REPO_ROOT  # noqa: E402

pytestmark = pytest.mark.browser


def order(page, container: str) -> list[str]:
    return drop_zone(page, container).locator(":scope > [data-step-id]").evaluate_all(
        "items => items.map(item => item.dataset.stepId)")


def form(page):
    return page.locator("#panel-step")


def stored(session, plan_id: int) -> dict:
    return session.get(f"/api/plans/{plan_id}")["document"]


def wait_validated(page) -> None:
    """Wait until the server has validated the document as it is now (edits schedule a validation)."""
    page.wait_for_function("() => document.getElementById('publish').getAttribute('aria-busy') !== 'true'")


def test_build_the_spec_example_by_drag_and_drop_save_and_reload(live_server, browser):
    shot = Screenshots("canvas-build")
    session = log_in(browser, live_server)
    objects = demo_objects(session)
    closed = ensure_audio(session, "Closed")
    assign_number(live_server.database_url, "+31201234570", "Reception 2")
    page = session.context.new_page()
    watch = ConsoleWatch(page)

    # A new, empty plan from the list page.
    page.goto(live_server.url("/plans"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Call plans")
    expect(page.get_by_role("link", name="Call plans", exact=True).first).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Reception (built)")
    page.get_by_role("button", name="Create and open").click()
    page.wait_for_url(re.compile(r"/plans/\d+$"))
    plan_id = int(page.url.rsplit("/", 1)[1])
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#plan-name")).to_have_value("Reception (built)")
    expect(page.locator("#plan-state")).to_have_text("Draft")

    # Numbers.
    for number in ("+31201234570", "210"):
        page.get_by_label("Number to add").fill(number)
        page.get_by_role("button", name="Add number").click()
    expect(page.locator("#numbers-list .chip")).to_have_count(2)
    expect(page.locator('#company-numbers option[value="+31201234570"]')).to_have_count(1)  # suggestions

    # Office hours: queue, prefix, ring group.
    drag_new(page, "time_condition", "root")
    expect(card(page, "s1")).to_be_visible()
    form(page).get_by_label("Schedule", exact=True).select_option(label="Office hours")
    form(page).get_by_label("Holidays", exact=True).select_option(label="Dutch national holidays")
    drag_new(page, "queue", "s1|then")
    form(page).get_by_label("Queue", exact=True).select_option(label="Support")
    form(page).get_by_label("Longest wait (seconds)", exact=True).fill("120")
    drag_new(page, "prefix", "s1|then")
    form(page).get_by_label("Text before the caller's name", exact=True).fill("MISSED-Q ")
    drag_new(page, "ring_group", "s1|then")
    form(page).get_by_label("Ring group", exact=True).select_option(label="Sales")
    # Lunch: the IVR.
    drag_new(page, "time_condition", "root")
    form(page).get_by_label("Schedule", exact=True).select_option(label="Lunch")
    drag_new(page, "ivr", "s5|then")
    form(page).get_by_label("Menu", exact=True).select_option(label="Lunch menu")
    # Closed: announcement, e-mail, hang up.
    drag_new(page, "announcement", "root")
    form(page).get_by_label("Audio file", exact=True).select_option(label="Closed")
    expect(form(page).locator("audio")).to_have_attribute("src", f"/api/audio/{closed}/file")
    drag_new(page, "email", "root")
    form(page).locator("input[name=to]").fill("info@example.com")
    drag_new(page, "hang_up", "root")
    # The diversion to the duty mobile.
    page.get_by_role("button", name="Add a diversion").click()
    page.get_by_label("Diversion name").fill("Everything to the duty mobile")
    drag_new(page, "transfer", "div:d1")
    shot(page, "diversion-dropped")
    form(page).get_by_label("Transfer to", exact=True).select_option("external")
    form(page).get_by_label("External number", exact=True).fill("+32467890123")

    assert order(page, "root") == ["s1", "s5", "s7", "s8", "s9"]
    assert order(page, "s1|then") == ["s2", "s3", "s4"]
    assert order(page, "s5|then") == ["s6"]
    assert order(page, "div:d1") == ["s10"]
    expect(page.locator("#dirty-note")).to_be_visible()
    wait_validated(page)
    shot(page, "built")

    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#page-status")).to_have_text("Draft saved.")
    expect(page.locator("#dirty-note")).to_be_hidden()
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert order(page, "s1|then") == ["s2", "s3", "s4"]
    shot(page, "reloaded")

    expected = normalised(CallPlan.model_validate({
        "name": "Reception (built)",
        "numbers": ["+31201234570", "210"],
        "diversions": [{"id": "d1", "name": "Everything to the duty mobile", "category": "A", "active": False,
                        "steps": [{"id": "x", "type": "transfer", "to": {"external": "+32467890123"}}]}],
        "steps": [
            {"id": "x", "type": "time_condition", "schedule": objects["schedules"]["Office hours"],
             "holidays": objects["holidays"]["Dutch national holidays"], "then": [
                 {"id": "x", "type": "queue", "queue": objects["queues"]["Support"], "max_wait_s": 120},
                 {"id": "x", "type": "prefix", "text": "MISSED-Q "},
                 {"id": "x", "type": "ring_group", "group": objects["ring_groups"]["Sales"]},
             ]},
            {"id": "x", "type": "time_condition", "schedule": objects["schedules"]["Lunch"],
             "then": [{"id": "x", "type": "ivr", "menu": objects["ivr_menus"]["Lunch menu"]}]},
            {"id": "x", "type": "announcement", "audio": closed},
            {"id": "x", "type": "email", "to": ["info@example.com"]},
            {"id": "x", "type": "hang_up"},
        ],
    }))
    document = stored(session, plan_id)
    assert strip_ids(document) == strip_ids(expected)
    ids = all_step_ids(document)
    assert len(ids) == len(set(ids)) == 10
    assert session.post(f"/api/plans/{plan_id}/validate")["errors"] == []
    watch.assert_clean()
    session.context.close()


def test_reorder_and_move_a_subtree_into_an_ivr_key_with_undo_and_redo(live_server, browser):
    shot = Screenshots("canvas-move")
    # a tall window: the IVR step draws each key of its menu, and the steps dragged stay away from the
    # window's edges (where the canvas scrolls by itself during a drag)
    session = log_in(browser, live_server, viewport={"width": 1400, "height": 1300})
    objects = demo_objects(session)
    plan_id = new_plan(session, "Moves", steps=[
        {"id": "s1", "type": "prefix", "text": "A "},
        {"id": "s2", "type": "time_condition", "schedule": objects["schedules"]["Office hours"], "then": [
            {"id": "s3", "type": "queue", "queue": objects["queues"]["Support"]}]},
        {"id": "s4", "type": "ivr", "menu": objects["ivr_menus"]["Lunch menu"], "keys": {"1": []}},
    ])
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    open_plan(page, session, plan_id)
    undo, redo = page.get_by_role("button", name="Undo"), page.get_by_role("button", name="Redo")
    expect(undo).to_be_disabled()

    # Reorder: the IVR to the top.
    drag(page, card(page, "s4"), card(page, "s1"), where="top")
    assert order(page, "root") == ["s4", "s1", "s2"]
    undo.click()
    assert order(page, "root") == ["s1", "s2", "s4"]
    redo.click()
    assert order(page, "root") == ["s4", "s1", "s2"]
    shot(page, "reordered")

    # The time condition, with its queue, into key 1 of the IVR.
    drag(page, card(page, "s2"), drop_zone(page, "s4|keys/1").locator(".drop-hint"), where="middle")
    assert order(page, "root") == ["s4", "s1"]
    assert order(page, "s4|keys/1") == ["s2"]
    assert order(page, "s2|then") == ["s3"]
    shot(page, "subtree-in-key")
    page.keyboard.press("Control+z")
    assert order(page, "root") == ["s4", "s1", "s2"]
    assert order(page, "s4|keys/1") == []
    assert order(page, "s2|then") == ["s3"]
    page.keyboard.press("Control+Shift+z")
    assert order(page, "s4|keys/1") == ["s2"]

    # Dropped on a branch's heading, a step goes to the top of that branch.
    drag(page, card(page, "s1"), page.locator('[data-branch="s4|keys/1"] > .branch-head'), where="middle")
    assert order(page, "s4|keys/1") == ["s1", "s2"]
    page.get_by_role("button", name="Undo").click()
    assert order(page, "root") == ["s4", "s1"]

    # And out again, by dragging it below the IVR.
    drag(page, card(page, "s2"), card(page, "s1"), where="bottom")
    assert order(page, "root") == ["s4", "s1", "s2"]
    page.keyboard.press("Control+z")
    assert order(page, "s4|keys/1") == ["s2"]

    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#page-status")).to_have_text("Draft saved.")
    document = stored(session, plan_id)
    assert [step["id"] for step in document["steps"]] == ["s4", "s1"]
    moved = document["steps"][0]["keys"]["1"]
    assert [step["id"] for step in moved] == ["s2"] and [step["id"] for step in moved[0]["then"]] == ["s3"]
    watch.assert_clean()
    session.context.close()


def test_a_deleted_queue_shows_its_error_on_the_step_and_publish_stays_disabled(live_server, browser):
    shot = Screenshots("canvas-deleted-queue")
    session = log_in(browser, live_server)
    objects = demo_objects(session)
    temporary = session.post("/api/queues", {"name": "Temporary", "extension": "410"}, expect=201)["id"]
    session.call("DELETE", f"/api/queues/{temporary}", expect=204)
    plan_id = new_plan(session, "Gone queue", steps=[
        {"id": "s1", "type": "queue", "queue": temporary},
        {"id": "s2", "type": "hang_up"},
    ])
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    open_plan(page, session, plan_id)

    step = page.locator('[data-step-id="s1"]')
    expect(step).to_have_class(re.compile(r"\bhas-error\b"))
    expect(step.locator(".step-problems")).to_contain_text("does not exist")
    expect(card(page, "s1")).to_have_attribute("aria-describedby", "problems-s1")
    expect(page.locator('[data-step-id="s2"]')).not_to_have_class(re.compile(r"\bhas-error\b"))
    publish = page.get_by_role("button", name="Publish")
    expect(publish).to_be_disabled()
    expect(page.locator("#problem-count")).to_have_text("1")

    # The list jumps to the step.
    page.get_by_role("tab", name=re.compile("Problems")).click()
    page.locator("#problem-list .problem-jump").first.click()
    expect(card(page, "s1")).to_be_focused()
    expect(form(page).get_by_label("Queue", exact=True)).to_have_attribute("aria-invalid", "true")
    shot(page, "error-on-step")

    # Choosing a queue that exists clears it; publishing is possible again.
    form(page).get_by_label("Queue", exact=True).select_option(label="Support")
    expect(step).not_to_have_class(re.compile(r"\bhas-error\b"))
    expect(publish).to_be_enabled()
    assert objects["queues"]["Support"]
    watch.assert_clean()
    session.context.close()


def test_publish_change_diff_and_roll_back(live_server, browser):
    shot = Screenshots("canvas-versions")
    session = log_in(browser, live_server)
    objects = demo_objects(session)
    plan_id = new_plan(session, "Versions", steps=[
        {"id": "s1", "type": "queue", "queue": objects["queues"]["Support"], "max_wait_s": 120},
        {"id": "s2", "type": "hang_up"},
    ])
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    open_plan(page, session, plan_id)

    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#page-status")).to_contain_text("Published as version 1")
    expect(page.locator("#plan-state")).to_have_text("Published")

    # Change: a shorter wait and a prefix at the top; publish again.
    card(page, "s1").click()
    form(page).get_by_label("Longest wait (seconds)", exact=True).fill("90")
    drag_new(page, "prefix", "root", position="start")
    form(page).get_by_label("Text before the caller's name", exact=True).fill("VIP ")
    assert order(page, "root") == ["s3", "s1", "s2"]
    expect(page.locator("#plan-state")).to_have_text("Published")
    expect(page.locator("#dirty-note")).to_be_visible()
    wait_validated(page)
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#page-status")).to_contain_text("Published as version 2")

    # History and the side-by-side diff of version 1 and 2.
    page.get_by_role("tab", name="Versions", exact=True).click()
    expect(page.locator("#version-list > li")).to_have_count(2)
    page.get_by_label("Compare").select_option("1")
    page.get_by_label("with").select_option("2")
    page.get_by_role("button", name="Show differences").click()
    expect(page.locator("#diff-heading")).to_have_text("Version 1 compared with Version 2")
    expect(page.locator('#diff-right [data-diff-step="s3"]')).to_have_attribute("data-mark", "added")
    expect(page.locator('#diff-right [data-diff-step="s1"]')).to_have_attribute("data-mark", "changed")
    expect(page.locator('#diff-left [data-diff-step="s3"]')).to_have_count(0)
    expect(page.locator('#diff-left [data-diff-step="s2"]')).to_have_attribute("data-mark", "")
    expect(page.locator("#diff-changes")).to_contain_text("Queue s1 · /steps/1/max_wait_s 120 → 90")
    expect(page.locator("#diff-changes")).to_contain_text("Prefix s3 · /steps/0")
    shot(page, "diff")

    # Roll back to version 1: the canvas shows it again, published as version 3.
    page.get_by_role("button", name="Roll back to version 1").click()
    expect(page.locator("#page-status")).to_contain_text("published as version 3")
    assert order(page, "root") == ["s1", "s2"]
    expect(card(page, "s1")).to_contain_text("120 s")
    expect(page.locator("#version-list > li")).to_have_count(3)
    summary = session.get(f"/api/plans/{plan_id}")
    assert summary["published_version"] == 3 and summary["state"] == "published"
    assert summary["document"] == session.get(f"/api/plans/{plan_id}/versions/1")["document"]
    shot(page, "rolled-back")
    watch.assert_clean()
    session.context.close()


def test_simulate_highlights_the_path_step_by_step(live_server, browser):
    shot = Screenshots("canvas-simulate")
    session = log_in(browser, live_server)
    objects = demo_objects(session)
    plan_id = new_plan(session, "Simulated", numbers=["211"], steps=[
        {"id": "s1", "type": "time_condition", "schedule": objects["schedules"]["Office hours"], "then": [
            {"id": "s2", "type": "queue", "queue": objects["queues"]["Support"], "max_wait_s": 60},
            {"id": "s3", "type": "prefix", "text": "MISSED "},
        ]},
        {"id": "s4", "type": "time_condition", "schedule": objects["schedules"]["Lunch"], "then": [
            {"id": "s5", "type": "ivr", "menu": objects["ivr_menus"]["Lunch menu"], "keys": {
                "1": [{"id": "s6", "type": "queue", "queue": objects["queues"]["Support"]}]}},
        ]},
        {"id": "s7", "type": "hang_up"},
    ])
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    open_plan(page, session, plan_id)
    page.get_by_role("tab", name="Simulate").click()

    # Tuesday 10 March 2026, 10:00 in Amsterdam (the context's time zone), nobody answers.
    page.get_by_label("Date and time").fill("2026-03-10T10:00")
    page.get_by_label("Caller's name").fill("Jan")
    page.get_by_role("button", name="Simulate the call").click()
    expect(page.locator("#sim-result")).to_be_visible()
    lit = page.locator(".step.sim-on")
    expect(lit).to_have_count(5)  # the lunch condition is passed on the way (not lunch: its branch is skipped)
    assert lit.evaluate_all("items => items.map(i => i.dataset.stepId)") == ["s1", "s2", "s3", "s4", "s7"]
    assert page.locator(".step.sim-on > .step-card .sim-order").all_inner_texts() == ["1", "2", "3", "4", "5"]
    expect(page.locator(".step.sim-current")).to_have_attribute("data-step-id", "s1")
    expect(page.locator("#sim-outcome")).to_contain_text("Hung up")
    expect(page.locator("#sim-outcome")).to_contain_text("MISSED Jan")
    page.get_by_role("button", name="Next step").click()
    expect(page.locator(".step.sim-current")).to_have_attribute("data-step-id", "s2")
    expect(page.locator("#sim-position")).to_have_text("Step 2 of 5: s2")
    shot(page, "office-hours")

    # The queue answers: the path stops there.
    page.locator('#sim-answer-list input[value="s2"]').check()
    page.get_by_role("button", name="Simulate the call").click()
    expect(page.locator("#sim-outcome")).to_contain_text("Answered at s2")
    expect(page.locator(".step.sim-on")).to_have_count(2)

    # Saturday 12:30: neither office hours nor lunch -> past both time conditions to the hang-up.
    page.locator('#sim-answer-list input[value="s2"]').uncheck()
    page.get_by_label("Date and time").fill("2026-03-14T12:30")
    page.get_by_role("button", name="Simulate the call").click()
    expect(page.locator(".step.sim-on")).to_have_count(3)
    assert page.locator(".step.sim-on").evaluate_all("items => items.map(i => i.dataset.stepId)") == ["s1", "s4", "s7"]
    shot(page, "weekend")
    watch.assert_clean()
    session.context.close()


def test_keyboard_only_add_move_into_a_branch_and_out(live_server, browser):
    shot = Screenshots("canvas-keyboard")
    session = log_in(browser, live_server)
    objects = demo_objects(session)
    plan_id = new_plan(session, "Keyboard", steps=[
        {"id": "s1", "type": "time_condition", "schedule": objects["schedules"]["Office hours"], "then": []},
        {"id": "s2", "type": "hang_up"},
    ])
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    open_plan(page, session, plan_id)

    # Tab from the top of the page to the first step, choose it with Enter.
    page.locator("#plan-name").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('step-card')"):
            break
    expect(card(page, "s1")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator('[data-step-id="s1"]')).to_have_class(re.compile(r"\bselected\b"))

    # Add a prefix from the palette (Shift+Tab back to it): it lands after the chosen step, focused.
    page.locator('.palette-item[data-type="prefix"]').focus()
    page.keyboard.press("Enter")
    expect(card(page, "s3")).to_be_focused()
    assert order(page, "root") == ["s1", "s3", "s2"]

    # Into the time condition's branch, and out again; up and down.
    page.keyboard.press("Alt+ArrowRight")
    assert order(page, "s1|then") == ["s3"]
    assert order(page, "root") == ["s1", "s2"]
    expect(card(page, "s3")).to_be_focused()
    expect(page.locator("#announcer")).to_have_text("Prefix s3 moved into the branch above.")
    shot(page, "moved-in")
    page.keyboard.press("Alt+ArrowLeft")
    assert order(page, "root") == ["s1", "s3", "s2"]
    expect(card(page, "s3")).to_be_focused()
    page.keyboard.press("Alt+ArrowUp")
    assert order(page, "root") == ["s3", "s1", "s2"]
    page.keyboard.press("Alt+ArrowDown")
    assert order(page, "root") == ["s1", "s3", "s2"]

    # Its form from the keyboard (F2), the text typed, saved with Ctrl+S.
    page.keyboard.press("F2")
    expect(form(page).get_by_label("Text before the caller's name", exact=True)).to_be_focused()
    page.keyboard.type("KB ")
    text = form(page).get_by_label("Text before the caller's name", exact=True)
    page.keyboard.press("Control+z")  # the typing was one edit; the field keeps the focus
    expect(text).to_have_value("")
    expect(text).to_be_focused()
    expect(card(page, "s3").locator(".step-summary")).to_have_text("—")
    page.keyboard.press("Control+Shift+z")
    expect(text).to_have_value("KB ")
    expect(card(page, "s3").locator(".step-summary")).to_have_text("“KB ”")
    page.keyboard.press("Control+s")
    expect(page.locator("#page-status")).to_have_text("Draft saved.")
    document = stored(session, plan_id)
    assert [step["id"] for step in document["steps"]] == ["s1", "s3", "s2"]
    assert document["steps"][1]["text"] == "KB "

    # Any branch is reachable from the form: "Move to" the time condition's "Otherwise".
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "move_to":
            break
    move_to = form(page).get_by_label("Move to the end of")
    expect(move_to).to_be_focused()
    move_to.select_option(label="Time condition s1 → Otherwise")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert order(page, "s1|else") == ["s3"]
    assert order(page, "root") == ["s1", "s2"]
    expect(form(page).get_by_label("Move to the end of")).to_be_focused()
    page.keyboard.press("Control+z")
    assert order(page, "root") == ["s1", "s3", "s2"]
    watch.assert_clean()
    session.context.close()


def test_plan_list_clone_delete_refused_with_numbers_and_dutch_canvas(live_server, browser):
    shot = Screenshots("canvas-list")
    ensure_admin(live_server.database_url, "canvas-nl@demo.example.com", "een lang wachtwoord hier", language="nl")
    session = log_in(browser, live_server, locale="nl-NL", email="canvas-nl@demo.example.com", password="een lang wachtwoord hier")
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(live_server.url("/plans"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Belplannen")
    reception = page.locator("tr", has=page.get_by_role("link", name="Reception", exact=True))
    expect(reception).to_contain_text("+31201234567")
    expect(reception).to_contain_text("Gepubliceerd")

    # Deleting the published plan with numbers is refused with the API's reason.
    reception.get_by_role("button", name="Reception verwijderen").click()
    question = page.get_by_role("alertdialog", name="“Reception” verwijderen?")
    question.get_by_role("button", name="Verwijderen").click()
    expect(question.get_by_role("alert")).to_contain_text("nummers")
    shot(page, "delete-refused")
    question.get_by_role("button", name="Annuleren").click()
    expect(reception).to_be_visible()

    # Clone it (the name asked in a side sheet), and the clone opens in the canvas, in Dutch.
    reception.get_by_role("button", name="Reception kopiëren").click()
    sheet = page.get_by_role("dialog", name="Reception kopiëren")
    expect(sheet.get_by_label("Naam van de kopie")).to_have_value("Kopie van Reception")
    sheet.get_by_label("Naam van de kopie").fill("Receptie kopie")
    sheet.get_by_role("button", name="Kopie maken").click()
    page.wait_for_url(re.compile(r"/plans/\d+$"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#plan-name")).to_have_value("Receptie kopie")
    expect(page.locator('.palette-item[data-type="time_condition"]')).to_have_text("Tijdsconditie")
    expect(page.get_by_role("tab", name="Simuleren")).to_be_visible()
    body = page.locator("body").inner_text()
    assert "ui." not in body, "a text without translation"
    page.get_by_role("tab", name="XML").click()
    expect(page.locator("#xml-text")).to_contain_text("<extension")
    assert "\n  <section" in page.locator("#xml-text").inner_text()  # one element a line, indented
    shot(page, "dutch-canvas")

    # Back on the list: the clone is there, without numbers, as a draft; it can be deleted.
    page.goto(live_server.url("/plans"))
    clone = page.locator("tr", has=page.get_by_role("link", name="Receptie kopie", exact=True))
    expect(clone).to_contain_text("Concept")
    clone.get_by_role("button", name="Receptie kopie verwijderen").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Verwijderen").click()
    expect(page.locator(".toast")).to_contain_text("“Receptie kopie” verwijderd.")
    expect(page.get_by_role("link", name="Receptie kopie", exact=True)).to_have_count(0)
    watch.assert_clean()
    session.context.close()


def test_diversion_switches_are_exclusive_per_category(live_server, browser):
    session = log_in(browser, live_server)
    plan_id = new_plan(session, "Diversions", diversions=[
        {"id": "d1", "name": "Duty mobile", "category": "A", "steps": [{"id": "s8", "type": "transfer", "to": {"external": "+31612345678"}}]},
        {"id": "d2", "name": "Closed message", "category": "A", "steps": [{"id": "s9", "type": "hang_up"}]},
    ], steps=[{"id": "s1", "type": "hang_up"}])
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    open_plan(page, session, plan_id)
    page.get_by_role("tab", name="Diversions", exact=True).click()
    duty = page.get_by_role("switch", name=re.compile("Duty mobile"))
    closed = page.get_by_role("switch", name=re.compile("Closed message"))
    expect(duty).to_have_attribute("aria-checked", "false")
    duty.click()
    expect(duty).to_have_attribute("aria-checked", "true")
    closed.click()
    expect(closed).to_have_attribute("aria-checked", "true")
    expect(duty).to_have_attribute("aria-checked", "false")
    assert session.get(f"/api/plans/{plan_id}")["active_diversions"] == ["d2"]
    walk = session.post(f"/api/plans/{plan_id}/simulate", {})
    assert walk["steps"] == ["s9"]

    # A new diversion, its name typed slowly (validation answers redraw the canvas meanwhile, the
    # caret stays); once saved it gets its switch, in category B on its own.
    page.get_by_role("button", name="Add a diversion").click()
    name = page.get_by_label("Diversion name").nth(2)
    expect(name).to_be_focused()
    name.press_sequentially("Night", delay=320)
    expect(name).to_have_value("Night")
    expect(name).to_be_focused()
    page.get_by_label("Category").nth(2).fill("B")
    page.get_by_label("Category").nth(2).press("Control+s")
    expect(page.locator("#page-status")).to_have_text("Draft saved.")
    night = page.get_by_role("switch", name=re.compile("Night"))
    night.click()
    expect(night).to_have_attribute("aria-checked", "true")
    expect(closed).to_have_attribute("aria-checked", "true")
    assert session.get(f"/api/plans/{plan_id}")["active_diversions"] == ["d2", "d3"]
    watch.assert_clean()
    session.context.close()


def test_leaving_with_unsaved_changes_is_guarded_and_strangers_are_sent_to_log_in(live_server, browser):
    session = log_in(browser, live_server)
    plan_id = new_plan(session, "Guarded", steps=[{"id": "s1", "type": "hang_up"}])
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    open_plan(page, session, plan_id)
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    with page.expect_event("close"):
        page.close(run_before_unload=True)  # nothing changed: no question, the page goes
    assert asked == []

    page = session.context.new_page()
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    open_plan(page, session, plan_id)
    page.locator("#plan-name").fill("Guarded, renamed")
    expect(page.locator("#dirty-note")).to_be_visible()
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
    assert not page.is_closed()  # the question was answered "stay"
    page.locator("#plan-name").press("Control+z")  # typed in the name, undone in the name
    expect(page.locator("#plan-name")).to_have_value("Guarded")
    expect(page.locator("#plan-name")).to_be_focused()
    expect(page.locator("#dirty-note")).to_be_hidden()
    page.locator("#plan-name").press("Control+Shift+z")
    expect(page.locator("#plan-name")).to_have_value("Guarded, renamed")
    page.get_by_role("button", name="Undo").click()
    expect(page.locator("#plan-name")).to_have_value("Guarded")
    watch.assert_clean()
    session.context.close()

    # Not logged in: the editor sends to the login page; a malformed address goes back to the list.
    stranger = browser.new_context()
    page = stranger.new_page()
    page.goto(live_server.url(f"/plans/{plan_id}"))
    page.wait_for_url(live_server.url("/login"))
    page.goto(live_server.url("/plans"))
    page.wait_for_url(live_server.url("/login"))
    stranger.close()
    session = log_in(browser, live_server)
    page = session.context.new_page()
    page.goto(live_server.url("/plans/not-a-number"))
    page.wait_for_url(live_server.url("/plans"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Call plans")
    session.context.close()


HOSTILE_NAME = '<img src=x onerror=alert(1)> & "Ω" </script>'
HOSTILE_LABEL = "\"'><svg onload=alert(2)>"


def test_typed_texts_stay_text_and_a_plan_imports_from_a_json_file(live_server, browser):
    session = log_in(browser, live_server)
    plan_id = new_plan(session, HOSTILE_NAME, steps=[
        {"id": "s1", "type": "prefix", "text": "<b>VIP</b>&amp;", "label": HOSTILE_LABEL},
        {"id": "s2", "type": "hang_up"},
    ])
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_plan(page, session, plan_id)
    expect(page.locator("#plan-name")).to_have_value(HOSTILE_NAME)
    expect(card(page, "s1").locator(".step-title")).to_have_text(HOSTILE_LABEL)
    expect(card(page, "s1").locator(".step-summary")).to_have_text("Prefix · “<b>VIP</b>&amp;”")
    card(page, "s1").click()
    expect(form(page).get_by_label("Label", exact=True)).to_have_value(HOSTILE_LABEL)
    assert page.locator("#tree img, #tree svg, #tree b, #panel-step b").count() == 0
    page.goto(live_server.url("/plans"))
    expect(page.get_by_role("link", name=HOSTILE_NAME, exact=True)).to_be_visible()
    assert page.locator("#plans-list tbody img").count() == 0
    assert dialogs == []

    # Import: the exported file of this plan comes back as a new plan, opened in the canvas.
    exported = session.call("GET", f"/api/plans/{plan_id}/export", expect=200)
    document = exported if isinstance(exported, dict) else json.loads(exported)
    document["name"] = "Imported"
    page.locator("#import-file").set_input_files(files=[{
        "name": "plan.json", "mimeType": "application/json", "buffer": json.dumps(document).encode()}])
    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_url(re.compile(r"/plans/\d+$"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#plan-name")).to_have_value("Imported")
    assert order(page, "root") == ["s1", "s2"]
    # A file that is no JSON is refused on the list page, next to the file input.
    page.goto(live_server.url("/plans"))
    page.locator("#import-file").set_input_files(files=[{"name": "x.json", "mimeType": "application/json", "buffer": b"not json"}])
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#import-file-error")).to_have_text("This file is not a JSON call plan.")
    watch.assert_clean()
    session.context.close()


def test_palette_and_forms_come_from_the_schema_for_every_step_type(live_server, browser):
    schema = json.loads((REPO_ROOT / "schemas" / "callplan.schema.json").read_text())
    mapping = schema["properties"]["steps"]["items"]["discriminator"]["mapping"]
    session = log_in(browser, live_server)
    plan_id = new_plan(session, "Every type")
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    open_plan(page, session, plan_id)
    assert page.locator(".palette-item").evaluate_all("items => items.map(i => i.dataset.type)") == list(mapping)
    for number, step_type in enumerate(mapping, start=1):
        page.locator(f'.palette-item[data-type="{step_type}"]').focus()
        page.keyboard.press("Enter")
        step_id = f"s{number}"
        expect(card(page, step_id)).to_be_focused()
        expect(page.locator(f'[data-step-id="{step_id}"]')).to_have_class(re.compile(f"type-{step_type}"))
        page.keyboard.press("F2")
        definition = schema["$defs"][mapping[step_type].split("/")[-1]]
        for field in definition["properties"]:
            if field in {"id", "type", "then", "else", "keys", "no_input", "invalid"}:
                continue
            name = "to_kind" if (step_type, field) == ("transfer", "to") else field
            control = form(page).locator(f'[name="{name}"]')
            expect(control).to_have_count(1)
        if step_type == "ivr":  # key 5: one the demo's menus give no action (their keys are always drawn)
            form(page).get_by_label("Key", exact=True).select_option("5")
            form(page).get_by_role("button", name="Add key").click()
            expect(drop_zone(page, f"{step_id}|keys/5")).to_be_visible()
            form(page).get_by_role("button", name="Remove key 5").click()
            expect(drop_zone(page, f"{step_id}|keys/5")).to_have_count(0)
    assert order(page, "root") == [f"s{n}" for n in range(1, len(mapping) + 1)]
    wait_validated(page)
    # every type drawn; the unsaved document is checked by the server all the same
    expect(page.locator("#problem-count")).not_to_have_text("0")
    watch.assert_clean()
    session.context.close()
