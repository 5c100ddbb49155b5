"""Objects made and changed from inside the canvas (#13 item 7): every picker of a step form offers
"New…" and "Edit…", which open the object's own form in a side sheet over the plan. Saved, the step names
the object, the validator's findings are fresh, and the plan's unsaved edits and undo history are kept."""

from __future__ import annotations

import re

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, live_server  # noqa: E402,F401  (fixtures)
from tests.web.canvas_support import (  # noqa: E402
    CANVAS_PASSWORD,
    card,
    demo_objects,
    ensure_admin,
    ensure_audio,
    log_in,
    new_plan,
    open_plan,
    settle,
    wav_bytes,
)

pytestmark = pytest.mark.browser


def form(page):
    return page.locator("#panel-step")


def test_new_ring_group_from_the_step_form_keeps_the_plans_edits_and_history(live_server, browser):
    shot = Screenshots("canvas-sheets")
    session = log_in(browser, live_server, email="canvas-sheets@demo.example.com")
    gone = 99999  # a group that is no more (not made and deleted: SQLite would give its id to the next one)
    plan_id = new_plan(session, "Sheets", steps=[{"id": "s1", "type": "ring_group", "group": gone}, {"id": "s2", "type": "hang_up"}])
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    open_plan(page, session, plan_id)
    step = page.locator('[data-step-id="s1"]')
    expect(step).to_have_class(re.compile(r"\bhas-error\b"))

    # an unsaved edit of the plan first: its name
    page.locator("#plan-name").fill("Sheets, renamed")
    settle(page)
    expect(page.locator("#undo")).to_be_enabled()
    expect(page.locator("#dirty-note")).to_be_visible()

    card(page, "s1").click()
    picker = form(page).get_by_label("Ring group", exact=True)
    expect(form(page).get_by_role("button", name="Edit…")).to_be_disabled()  # the group it names is gone
    form(page).get_by_role("button", name="New Ring group").click()
    sheet = page.get_by_role("dialog", name="New ring group")
    expect(sheet).to_be_visible()
    shot(page, "new-ring-group-sheet")
    sheet.get_by_label("Name", exact=True).fill("Evening desk")
    sheet.get_by_label("Extension", exact=True).fill("47x")
    sheet.get_by_role("button", name="Add", exact=True).click()
    expect(sheet.locator(".field-error").first).to_be_visible()  # the API's refusal, beside its field
    sheet.get_by_label("Extension", exact=True).fill("472")
    sheet.get_by_role("button", name="Add", exact=True).click()
    expect(sheet).to_be_hidden()

    made = {row["name"]: row["id"] for row in session.get("/api/ring-groups")}
    assert "Evening desk" in made
    expect(picker).to_have_value(str(made["Evening desk"]))
    expect(picker).to_be_focused()
    expect(step).not_to_have_class(re.compile(r"\bhas-error\b"))  # validated again: the error went
    expect(page.get_by_role("button", name="Publish")).to_be_enabled()
    expect(page.locator("#plan-name")).to_have_value("Sheets, renamed")  # the unsaved edit is still there
    assert session.get(f"/api/plans/{plan_id}")["name"] == "Sheets"  # and still unsaved

    # choosing the group was one step of the history: undo takes it back, the rename before it stays
    page.keyboard.press("Control+z")
    expect(form(page).get_by_label("Ring group", exact=True)).to_have_value(str(gone))
    expect(page.locator("#plan-name")).to_have_value("Sheets, renamed")
    page.keyboard.press("Control+Shift+z")
    expect(form(page).get_by_label("Ring group", exact=True)).to_have_value(str(made["Evening desk"]))

    # Edit… changes the group the step names; its card shows the new name
    card(page, "s1").click()
    form(page).get_by_role("button", name="Edit Evening desk (472)").or_(
        form(page).get_by_role("button", name="Edit Evening desk")).click()
    sheet = page.get_by_role("dialog", name=re.compile("Evening desk"))
    sheet.get_by_label("Name", exact=True).fill("Late desk")
    sheet.get_by_role("button", name="Save", exact=True).click()
    expect(sheet).to_be_hidden()
    expect(card(page, "s1")).to_contain_text("Late desk")
    expect(form(page).get_by_label("Ring group", exact=True).locator("option:checked")).to_have_text("Late desk")
    shot(page, "after-edit")
    watch.assert_clean()
    session.context.close()


def test_new_and_edit_beside_every_picker_in_dutch(live_server, browser):
    shot = Screenshots("canvas-sheets")
    ensure_admin(live_server.database_url, "canvas-sheets-nl@demo.example.com", CANVAS_PASSWORD, language="nl")
    session = log_in(browser, live_server, locale="nl-NL", email="canvas-sheets-nl@demo.example.com")
    objects = demo_objects(session)
    plan_id = new_plan(session, "Bladen", steps=[{"id": "s1", "type": "queue", "queue": objects["queues"]["Support"]}])
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    open_plan(page, session, plan_id)
    card(page, "s1").click()
    buttons = form(page).locator(".object-buttons")
    expect(buttons.locator("[data-new-object]")).to_have_text("Nieuw…")
    expect(buttons.get_by_role("button", name="Nieuw: Wachtrij")).to_be_visible()
    expect(buttons.locator("[data-edit-object]")).to_have_text("Bewerken…")
    buttons.get_by_role("button", name="Support bewerken").click()
    sheet = page.get_by_role("dialog", name=re.compile("Support"))
    expect(sheet).to_be_visible()
    shot(page, "queue-sheet-nl")
    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()
    watch.assert_clean()
    session.context.close()


def test_a_new_audio_file_is_uploaded_from_the_step_form(live_server, browser):
    session = log_in(browser, live_server, email="canvas-sheets-audio@demo.example.com")
    first = ensure_audio(session, "Closed")
    plan_id = new_plan(session, "Upload", steps=[{"id": "s1", "type": "announcement", "audio": first}])
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    open_plan(page, session, plan_id)
    card(page, "s1").click()
    with page.expect_file_chooser() as chooser:
        form(page).locator('[data-new-object="audio"]').click()
    chooser.value.set_files(files=[{"name": "Lunch break.wav", "mimeType": "audio/wav", "buffer": wav_bytes()}])
    expect(page.locator(".toast").filter(has_text="Lunch break")).to_be_visible(timeout=20_000)
    made = {row["name"]: row["id"] for row in session.get("/api/audio")}
    assert "Lunch break" in made
    expect(form(page).locator("select[name=audio]")).to_have_value(str(made["Lunch break"]))
    expect(card(page, "s1")).to_contain_text("Lunch break")
    watch.assert_clean()
    session.context.close()
