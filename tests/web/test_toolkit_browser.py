"""The portal toolkit in Chromium, on the departments screen (static/js/departments.js: nothing but the
toolkit) and the demo company: the list's search, sort, pages and empty states; the form generated from
the API's schema with a real 422 shown beside its field; the unsaved-changes guard; the side sheet on the
keyboard; a refused delete with its used_by list; the grouped menu (current entry, roles, narrow screen);
and all of it in Dutch."""

from __future__ import annotations

import re

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, fast_settings, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, live_server  # noqa: E402,F401  (fixtures)
from tests.web.canvas_support import ensure_admin, log_in  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "a toolkit for twenty screens"


def account(server, email, role="admin", language="en", tenant_name=None):
    """An account that can log in at once; in a company of its own when `tenant_name` is given."""
    from sqlmodel import select

    from web.domain import audit
    from web.auth.passwords import hash_password
    from web.db import make_engine, session_scope
    from web.models import Account, Tenant

    engine = make_engine(server.database_url)
    try:
        with session_scope(engine, audit.SYSTEM) as db:
            if db.exec(select(Account).where(Account.email == email)).first() is not None:
                return
            if tenant_name:
                tenant = Tenant(name=tenant_name, sip_domain=f"{tenant_name.lower().replace(' ', '-')}.pbx.test")
                db.add(tenant)
                db.flush()
            else:
                tenant = db.exec(select(Tenant).order_by(Tenant.id)).first()
            db.add(Account(email=email, role=role, tenant_id=tenant.id, first_name="Toolkit", last_name=role.title(),
                           language=language, password_hash=hash_password(fast_settings(server.database_url), PASSWORD)))
    finally:
        engine.dispose()


def session_as(browser, server, email, role="admin", language="en", tenant_name=None, **options):
    account(server, email, role, language, tenant_name)
    return log_in(browser, server, email=email, password=PASSWORD, **options)


def open_screen(session, server, path="/departments"):
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(server.url(path))
    page.wait_for_selector("body[data-ready=true]")
    assert "ui." not in page.locator("body").inner_text(), "a text key shown instead of its text"
    return page, watch


def rows(page):
    return page.locator(".list-table tbody tr")


def first_cells(page):
    return rows(page).locator("th").all_inner_texts()


def test_list_search_sort_pages_and_empty_states(live_server, browser):
    shot = Screenshots("toolkit-list")
    session = session_as(browser, live_server, "toolkit-list@demo.example.com")
    for number in range(1, 31):
        session.post("/api/departments", {"name": f"Team {number:02d}"}, expect=201)
    page, watch = open_screen(session, live_server)

    expect(page.get_by_role("heading", level=1)).to_have_text("Departments")
    expect(page.get_by_role("status").filter(has_text="of 32")).to_have_text("1–25 of 32")
    expect(rows(page)).to_have_count(25)
    # sorted by name at first, the way people read numbers ("Team 2" before "Team 10")
    assert first_cells(page)[:3] == ["Sales", "Support", "Team 01"]
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Name")
    shot(page, "first-page")

    # pages
    pager = page.get_by_role("navigation", name="Pages")
    expect(pager.get_by_role("button", name="Previous")).to_be_disabled()
    pager.get_by_role("button", name="Next").click()
    expect(page.locator(".list-count")).to_have_text("26–32 of 32")
    expect(rows(page)).to_have_count(7)
    expect(pager.get_by_role("button", name="Next")).to_be_disabled()
    expect(pager.get_by_role("button", name="Previous")).to_be_focused()  # the focus stays in the pager
    assert "page=2" in page.url

    # sort: the name, the other way round (back to the first page)
    page.get_by_role("button", name="Name").click()
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Name")
    expect(page.locator(".list-count")).to_have_text("1–25 of 32")
    assert first_cells(page)[:2] == ["Team 30", "Team 29"]
    # by the outgoing number: the departments without one last
    page.get_by_role("button", name="Outgoing number").click()
    assert first_cells(page)[:2] == ["Sales", "Support"]
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Outgoing number")

    # search (any case, in every searched field), kept in the address
    page.get_by_label("Search").fill("TEAM 1")
    expect(page.locator(".list-count")).to_have_text("1–10 of 10")
    page.get_by_label("Search").fill("+3120123456")
    expect(rows(page)).to_have_count(2)
    page.get_by_label("Search").fill("no such team")
    expect(page.get_by_text("Nothing matches “no such team”.")).to_be_visible()
    expect(page.locator(".list-table")).to_be_hidden()
    assert "q=no+such+team" in page.url
    shot(page, "no-match")
    page.get_by_role("button", name="Clear the search").click()
    expect(page.get_by_label("Search")).to_be_focused()
    expect(page.locator(".list-count")).to_have_text("1–25 of 32")

    # the address brings the same view back
    page.goto(live_server.url("/departments?q=team&sort=-name&page=2"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.get_by_label("Search")).to_have_value("team")
    expect(page.locator(".list-count")).to_have_text("26–30 of 30")
    assert first_cells(page)[0] == "Team 05"

    # a company without departments: the empty state, with the button to add one
    other = session_as(browser, live_server, "toolkit-empty@empty.example.com", tenant_name="Empty Company")
    empty, empty_watch = open_screen(other, live_server)
    expect(empty.get_by_text("No departments yet.")).to_be_visible()
    expect(empty.locator(".list-empty").get_by_role("button", name="New department")).to_be_visible()
    expect(empty.locator(".list-table")).to_be_hidden()
    shot(empty, "empty")

    watch.assert_clean()
    empty_watch.assert_clean()
    session.context.close()
    other.context.close()


def test_form_errors_from_the_api_beside_their_field_and_the_unsaved_guard(live_server, browser):
    shot = Screenshots("toolkit-form")
    session = session_as(browser, live_server, "toolkit-form@demo.example.com")
    page, watch = open_screen(session, live_server)
    sheet = page.get_by_role("dialog")

    page.get_by_role("button", name="New department").first.click()
    expect(sheet).to_be_visible()
    expect(sheet.get_by_role("heading", name="New department")).to_be_visible()
    name = sheet.get_by_label("Name")
    number = sheet.get_by_label("Outgoing number")
    expect(name).to_be_focused()
    expect(name).to_have_attribute("aria-required", "true")
    expect(name).to_have_attribute("maxlength", "100")  # from the schema

    # required, in the browser
    sheet.get_by_role("button", name="Add").click()
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(sheet.locator(".field-error")).to_have_text(["Fill this in."])

    # a real 422 from the API, beside the field its pointer names (/caller_id_number)
    name.fill("Finance")
    number.fill("020 not a number")
    with page.expect_response(lambda response: response.request.method == "POST" and "/api/departments" in response.url) as answer:
        sheet.get_by_role("button", name="Add").click()
    assert answer.value.status == 422
    assert answer.value.json()["errors"][0]["pointer"] == "/caller_id_number"
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(number).to_be_focused()
    error_id = number.get_attribute("id") + "-error"
    expect(page.locator(f"#{error_id}")).to_have_text("This value is not valid.")
    described = number.get_attribute("aria-describedby").split()
    assert error_id in described and number.get_attribute("id") + "-help" in described
    expect(name).not_to_have_attribute("aria-invalid", "true")
    expect(sheet.get_by_role("alert").first).to_have_text("Some fields are not valid.")
    shot(page, "field-error")

    number.fill("+31201234567")
    sheet.get_by_role("button", name="Add").click()
    expect(sheet).to_be_hidden()
    expect(page.locator(".toast")).to_have_text(re.compile("“Finance” added."))
    expect(page.get_by_role("button", name="New department").first).to_be_focused()
    finance = rows(page).filter(has_text="Finance")
    expect(finance).to_contain_text("+31201234567")
    shot(page, "created")

    # unsaved changes: Esc asks first; "Keep editing" keeps them, "Discard changes" drops them
    finance.get_by_role("button", name="Edit Finance").click()
    expect(sheet.get_by_role("heading", name="Edit Finance")).to_be_visible()
    expect(sheet.get_by_label("Name")).to_have_value("Finance")
    sheet.get_by_label("Name").fill("Finance and Control")
    page.keyboard.press("Escape")
    expect(sheet.get_by_text("You have unsaved changes. Discard them?")).to_be_visible()
    expect(sheet.get_by_role("button", name="Keep editing")).to_be_focused()
    shot(page, "unsaved")
    sheet.get_by_role("button", name="Keep editing").click()
    expect(sheet.get_by_label("Name")).to_have_value("Finance and Control")
    sheet.get_by_role("button", name="Cancel").click()
    sheet.get_by_role("button", name="Discard changes").click()
    expect(sheet).to_be_hidden()
    expect(finance.get_by_role("button", name="Edit Finance")).to_be_focused()
    expect(rows(page).filter(has_text="Finance and Control")).to_have_count(0)

    # a change that is saved: only the changed field is sent
    finance.get_by_role("button", name="Edit Finance").click()
    sheet.get_by_label("Name").fill("Finance and Control")
    with page.expect_request(lambda request: request.method == "PATCH") as sent:
        sheet.get_by_role("button", name="Save").click()
    assert sent.value.post_data_json == {"name": "Finance and Control"}
    expect(page.locator(".toast").last).to_have_text(re.compile("“Finance and Control” saved."))
    expect(rows(page).filter(has_text="Finance and Control")).to_have_count(1)

    # leaving the page with unsaved changes: the browser asks
    rows(page).filter(has_text="Finance and Control").get_by_role("button", name="Edit").click()
    sheet.get_by_label("Name").fill("Finance again")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.close(run_before_unload=True)
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]

    watch.assert_clean()
    session.context.close()


def test_side_sheet_keyboard_focus_trap_escape_and_the_way_back(live_server, browser):
    session = session_as(browser, live_server, "toolkit-keys@demo.example.com")
    page, watch = open_screen(session, live_server)
    opener = page.locator(".page-head").get_by_role("button", name="New department")
    opener.focus()
    page.keyboard.press("Enter")
    sheet = page.get_by_role("dialog")
    expect(sheet).to_be_visible()
    expect(sheet.get_by_label("Name")).to_be_focused()

    # Tab and Shift+Tab go round inside the sheet, never to the page behind it
    seen = []
    for _ in range(5):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("document.activeElement.closest('dialog') !== null && (document.activeElement.getAttribute('aria-label') || document.activeElement.textContent || document.activeElement.name)"))
    assert seen == ["caller_id_number", "Add", "Cancel", "Close", "name"], seen
    expect(sheet.get_by_label("Name")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(sheet.get_by_role("button", name="Close")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(sheet.get_by_role("button", name="Cancel")).to_be_focused()

    # Esc closes an untouched form at once, and the focus goes back to the button that opened it
    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()
    expect(opener).to_be_focused()

    # the delete question: Cancel has the focus; Esc closes it too
    rows(page).filter(has_text="Support").get_by_role("button", name="Delete Support").focus()
    page.keyboard.press("Enter")
    question = page.get_by_role("alertdialog")
    expect(question.get_by_role("heading")).to_have_text("Delete “Support”?")
    expect(question.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(question).to_be_hidden()
    expect(rows(page).filter(has_text="Support").get_by_role("button", name="Delete Support")).to_be_focused()

    watch.assert_clean()
    session.context.close()


def seed(server, rows) -> None:
    from web.domain import audit
    from web.db import make_engine, session_scope

    engine = make_engine(server.database_url)
    try:
        with session_scope(engine, audit.SYSTEM) as db:
            db.add_all(rows)
    finally:
        engine.dispose()


def demo_tenant_id(server) -> int:
    from sqlmodel import select

    from web.db import make_engine
    from web.models import Tenant
    from sqlmodel import Session

    engine = make_engine(server.database_url)
    try:
        with Session(engine) as db:
            return db.exec(select(Tenant.id).where(Tenant.name == "Demo Company")).one()
    finally:
        engine.dispose()


def test_list_pages_by_offset_and_by_cursor_on_real_routes(live_server, browser):
    """/calls pages {items, total} answers by offset; the integrations delivery log pages by before_id."""
    import uuid
    from datetime import datetime, timedelta, timezone

    from web.models.call_record import CallRecord
    from web.models.notification import OutboxMessage

    tenant = demo_tenant_id(live_server)
    start = datetime(2026, 10, 1, 9, 0, tzinfo=timezone.utc)
    seed(live_server, [CallRecord(tenant_id=tenant, call_uuid=str(uuid.uuid4()), direction="inbound",
                                  caller_number=f"+316123{n:05d}", dialled_number="+31201234567",
                                  started_at=start + timedelta(minutes=n), ended_at=start + timedelta(minutes=n, seconds=30),
                                  duration_seconds=30, call_type="mobile", sources=["cdr"]) for n in range(60)])
    seed(live_server, [OutboxMessage(tenant_id=tenant, channel="email", event="missed_call", recipients=["desk@demo.example.com"],
                                     idempotency_key=f"paging-{n}", dedupe_key=f"paging-{n}", payload={"n": n},
                                     next_attempt_at=start) for n in range(130)])
    session = session_as(browser, live_server, "toolkit-pages@demo.example.com")

    page, watch = open_screen(session, live_server, "/calls?direction=inbound&from=2026-10-01&to=2026-10-01")
    records = page.locator("#records")
    expect(records.locator(".list-count")).to_have_text("1–50 of 60")
    expect(records.locator("tbody tr")).to_have_count(50)
    expect(records.locator("tbody tr").first).to_contain_text("+31612300059")  # newest first
    records.get_by_role("button", name="Older").click()
    expect(records.locator(".list-count")).to_have_text("51–60 of 60")
    expect(records.locator("tbody tr").last).to_contain_text("+31612300000")
    expect(records.get_by_role("button", name="Older")).to_be_disabled()
    assert "page=2" in page.url and "direction=inbound" in page.url
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(records.locator(".list-count")).to_have_text("51–60 of 60")
    # new filters start from the first page again
    page.get_by_label("Number").fill("+3161230000")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(records.locator(".list-count")).to_have_text("1–10 of 10")
    assert "page=" not in page.url

    page.goto(live_server.url("/integrations"))
    page.wait_for_selector("body[data-ready=true]")
    log = page.locator("#deliveries")
    expect(log.locator("tbody tr")).to_have_count(100)
    expect(log.get_by_role("button", name="Newer")).to_be_disabled()
    log.get_by_role("button", name="Older").click()
    expect(log.locator("tbody tr")).to_have_count(30)
    expect(log.get_by_role("button", name="Older")).to_be_disabled()
    expect(log.locator(".list-count")).to_have_text("30 shown")
    log.get_by_role("button", name="Newer").click()
    expect(log.locator("tbody tr")).to_have_count(100)

    # a whole array the server searches (?q=, as the phonebook does), sorted and paged here
    session.post("/api/phonebook", {"name": "Zoë Zeeman", "number": "+31612999001"}, expect=201)
    session.post("/api/phonebook", {"name": "Abe Aalders", "number": "+31612999002"}, expect=201)
    page.evaluate('''async () => {
      const { listView } = await import("/static/js/list.js");
      const book = listView({ source: "/api/phonebook", search: true, urlState: false, id: "book",
        columns: [{ key: "name", label: "ui.departments.name", sort: true }, { key: "number", label: "ui.departments.caller_id_number" }] });
      document.getElementById("main").append(book.element);
      await book.reload();
    }''')
    book = page.locator("#book")
    expect(book.locator("tbody tr")).to_have_count(len(session.get("/api/phonebook")))
    with page.expect_request(lambda request: "/api/phonebook?q=" in request.url) as asked:
        book.get_by_label("Search").fill("ZEEMAN")
    assert asked.value.url.endswith("/api/phonebook?q=ZEEMAN")
    expect(book.locator("tbody tr")).to_have_count(1)
    expect(book.locator("tbody tr")).to_contain_text("Zoë Zeeman")
    watch.assert_clean()
    session.context.close()


def test_a_sheet_over_the_canvas_edits_any_object_and_hands_the_saved_one_back(live_server, browser):
    """The call-plan canvas (or any page) opens a form for another kind of object in a side sheet and
    gets the object the API saved: here a voicemail box, its form generated from POST /api/voicemail-boxes
    (text, password, e-mail, checkbox, select and number widgets), with two real field errors."""
    shot = Screenshots("toolkit-sheet-over-canvas")
    session = session_as(browser, live_server, "toolkit-canvas@demo.example.com")
    plan = next(plan for plan in session.get("/api/plans") if plan["name"] == "Reception")
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(live_server.url(f"/plans/{plan['id']}"))
    page.wait_for_selector("body[data-ready=true]")
    page.locator("#save").focus()
    page.evaluate("""async () => {
      const { editInSheet } = await import("/static/js/sheet.js");
      const box = (await import("/static/js/objects/voicemail_box.js")).default;
      window.sheetDone = editInSheet(box).then((saved) => { window.savedBox = saved; });
    }""")
    sheet = page.get_by_role("dialog", name="New voicemail box")
    expect(sheet).to_be_visible()
    expect(sheet.locator(".field > label, .field-box label")).to_have_text([
        "Name", "Internal number", "PIN", "Mail new messages to", "And a copy to", "Attach the recording to the mail",
        "Delete a message once it is mailed", "Greeting", "Longest message (seconds)", "Messages kept at most",
        "Only play the greeting (take no message)"])
    expect(sheet.get_by_label("Name")).to_be_focused()
    expect(sheet.get_by_label("PIN")).to_have_attribute("type", "password")
    expect(sheet.get_by_label("Mail new messages to")).to_have_attribute("type", "email")
    expect(sheet.get_by_label("Attach the recording to the mail")).to_be_checked()  # the schema's default
    expect(sheet.get_by_label("Messages kept at most")).to_have_value("100")
    expect(sheet.get_by_label("Messages kept at most")).to_have_attribute("max", "1000")
    expect(sheet.get_by_label("Greeting", exact=True).locator("option").first).to_have_text("—")  # none: nullable

    sheet.get_by_label("Name").fill("Night box")
    sheet.get_by_label("Internal number").fill("997")
    sheet.get_by_label("PIN").fill("12")
    sheet.get_by_label("Messages kept at most").fill("5000")
    sheet.get_by_label("Attach the recording to the mail").uncheck()
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        sheet.get_by_role("button", name="Add").click()
    assert answer.value.status == 422
    assert {error["pointer"] for error in answer.value.json()["errors"]} == {"/pin", "/max_messages"}
    pin, most = sheet.get_by_label("PIN"), sheet.get_by_label("Messages kept at most")
    expect(pin).to_be_focused()  # the first bad field in the form's order
    expect(page.locator(f"#{pin.get_attribute('id')}-error")).to_have_text("Not in the form expected.")
    expect(page.locator(f"#{most.get_attribute('id')}-error")).to_have_text("Too large.")
    expect(most).to_have_attribute("aria-invalid", "true")
    expect(sheet.get_by_label("Name")).not_to_have_attribute("aria-invalid", "true")
    shot(page, "errors")

    pin.fill("2468")
    most.fill("50")
    sheet.get_by_role("button", name="Add").click()
    expect(sheet).to_be_hidden()
    expect(page.locator("#save")).to_be_focused()  # back where the canvas was
    page.wait_for_function("() => window.savedBox !== undefined")
    saved = page.evaluate("window.savedBox")
    assert saved["name"] == "Night box" and saved["extension"] == "997" and saved["id"] > 0
    assert saved["attach_audio"] is False and saved["max_messages"] == 50 and "pin" not in saved
    assert session.get(f"/api/voicemail-boxes/{saved['id']}")["max_messages"] == 50
    expect(page.locator(".toast")).to_have_text(re.compile("“Night box” added."))
    shot(page, "saved")

    # edited in a sheet too: the PIN it does not show may stay empty, and only what changed is sent
    page.evaluate("""async (id) => {
      const { editInSheet } = await import("/static/js/sheet.js");
      const box = (await import("/static/js/objects/voicemail_box.js")).default;
      window.savedBox = undefined;
      editInSheet(box, { id }).then((saved) => { window.savedBox = saved; });
    }""", saved["id"])
    sheet = page.get_by_role("dialog", name="Edit Night box")
    expect(sheet.get_by_label("PIN")).to_have_value("")
    expect(sheet.get_by_label("PIN")).not_to_have_attribute("aria-required", "true")
    sheet.get_by_label("Longest message (seconds)").fill("300")
    with page.expect_request(lambda request: request.method == "PATCH") as sent:
        sheet.get_by_role("button", name="Save").click()
    assert sent.value.post_data_json == {"max_message_s": 300}
    page.wait_for_function("() => window.savedBox !== undefined")
    assert page.evaluate("window.savedBox.max_message_s") == 300
    watch.assert_clean()
    session.context.close()


def test_pickup_groups_screen_chooses_members_with_checkboxes(live_server, browser):
    shot = Screenshots("toolkit-pickup")
    session = session_as(browser, live_server, "toolkit-pickup@demo.example.com")
    users = {f"{user['first_name']} {user['last_name']}".strip(): user for user in session.get("/api/users")}
    first, second = sorted(users)[:2]
    page, watch = open_screen(session, live_server, "/pickup-groups")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pickup groups")
    expect(page.get_by_role("navigation", name="Main menu").locator("[aria-current=page]")).to_have_text("Pickup groups")

    page.locator(".page-head").get_by_role("button", name="New pickup group").click()
    sheet = page.get_by_role("dialog", name="New pickup group")
    members = sheet.get_by_role("group", name="Members")
    expect(members.get_by_role("checkbox")).to_have_count(len(users))
    sheet.get_by_label("Name").fill("Front office")
    members.get_by_label(re.compile(f"^{first}")).check()
    members.get_by_label(re.compile(f"^{second}")).check()
    shot(page, "new")
    with page.expect_request(lambda request: request.method == "POST") as sent:
        sheet.get_by_role("button", name="Add").click()
    assert sorted(sent.value.post_data_json["members"]) == sorted([users[first]["id"], users[second]["id"]])
    row = rows(page).filter(has_text="Front office")
    expect(row.locator("td").first).to_have_text("2")

    row.get_by_role("button", name="Edit Front office").click()
    sheet = page.get_by_role("dialog", name="Edit Front office")
    expect(sheet.get_by_role("group", name="Members").get_by_label(re.compile(f"^{first}"))).to_be_checked()
    sheet.get_by_role("group", name="Members").get_by_label(re.compile(f"^{first}")).uncheck()
    with page.expect_request(lambda request: request.method == "PATCH") as sent:
        sheet.get_by_role("button", name="Save").click()
    assert sent.value.post_data_json == {"members": [users[second]["id"]]}
    expect(row.locator("td").first).to_have_text("1")
    watch.assert_clean()
    session.context.close()


def test_refused_delete_lists_what_uses_it_and_a_free_one_goes(live_server, browser):
    shot = Screenshots("toolkit-delete")
    session = session_as(browser, live_server, "toolkit-delete@demo.example.com")
    session.post("/api/departments", {"name": "Temporary"}, expect=201)
    page, watch = open_screen(session, live_server)

    # Sales has members: the API refuses (409 in_use) and says who
    rows(page).filter(has_text="Sales").get_by_role("button", name="Delete Sales").click()
    question = page.get_by_role("alertdialog")
    question.get_by_role("button", name="Delete").click()
    expect(question.get_by_role("alert")).to_contain_text("still used by")
    used = question.locator(".used-by li")
    members = [user["first_name"] + " " + user["last_name"] for user in session.get("/api/users")
               if user["department_id"] == next(d["id"] for d in session.get("/api/departments") if d["name"] == "Sales")]
    assert members
    expect(used).to_have_count(len(members))
    for member in members:
        expect(used.filter(has_text=f"User: {member}")).to_have_count(1)
    # each user links to the user's own page (/users/<id>), the first one has the focus
    links = question.locator(".used-by a")
    expect(links).to_have_count(len(members))
    assert all(re.fullmatch(r"/users/\d+", href) for href in links.evaluate_all("(all) => all.map((a) => a.getAttribute('href'))"))
    expect(links.first).to_be_focused()
    shot(page, "refused")
    question.get_by_role("button", name="Close").click()
    expect(rows(page).filter(has_text="Sales")).to_have_count(1)

    # one nobody uses goes
    page.get_by_label("Search").fill("Temporary")
    rows(page).filter(has_text="Temporary").get_by_role("button", name="Delete Temporary").click()
    question.get_by_role("button", name="Delete").click()
    expect(question).to_be_hidden()
    expect(page.locator(".toast")).to_have_text(re.compile("“Temporary” deleted."))
    expect(rows(page).filter(has_text="Temporary")).to_have_count(0)
    expect(page.get_by_text("Nothing matches “Temporary”.")).to_be_visible()
    expect(page.get_by_label("Search")).to_be_focused()  # its row went: the focus did not

    watch.assert_clean()
    session.context.close()


def test_refused_delete_links_to_the_plan_that_uses_it(live_server, browser):
    shot = Screenshots("toolkit-used-by")
    session = session_as(browser, live_server, "toolkit-plans@demo.example.com")
    target = session.post("/api/plans", {"name": "Overflow desk", "steps": [{"id": "o1", "type": "hang_up"}]}, expect=201)["id"]
    caller = session.post("/api/plans", {"name": "Front desk", "steps": [
        {"id": "f1", "type": "transfer", "to": {"plan": target}}]}, expect=201)["id"]
    page, watch = open_screen(session, live_server, "/plans")

    rows(page).filter(has_text="Overflow desk").get_by_role("button", name="Delete Overflow desk").click()
    question = page.get_by_role("alertdialog", name="Delete “Overflow desk”?")
    question.get_by_role("button", name="Delete").click()
    expect(question.get_by_role("alert")).to_have_text("This is still used by 1 other item(s); change those first.")
    link = question.locator(".used-by").get_by_role("link", name="Front desk")
    expect(link).to_have_attribute("href", f"/plans/{caller}")
    expect(question.locator(".used-by li")).to_have_text(["Call plan: Front desk"])
    expect(link).to_be_focused()
    shot(page, "refused")
    link.click()
    page.wait_for_url(live_server.url(f"/plans/{caller}"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#plan-name")).to_have_value("Front desk")
    watch.assert_clean()
    session.context.close()


def test_menu_groups_the_current_entry_roles_and_a_narrow_screen(live_server, browser):
    shot = Screenshots("toolkit-menu")
    session = session_as(browser, live_server, "toolkit-menu@demo.example.com")
    page, watch = open_screen(session, live_server)
    menu = page.get_by_role("navigation", name="Main menu")
    expect(menu.locator(".menu-group:visible .menu-group-title")).to_have_text(
        ["Call handling", "People and phones", "Company", "Reports", "Integrations", "Your account"])
    current = menu.locator("[aria-current=page]")
    expect(current).to_have_count(1)
    expect(current).to_have_text("Departments")
    expect(menu.locator(".menu-group-current .menu-group-title")).to_have_text("People and phones")
    # screens still to come are not in the menu at all: no dead links
    for path in ("/tenants",):
        expect(menu.locator(f'a[href="{path}"]')).to_have_count(0)
    expect(menu.get_by_role("button", name="Menu")).to_have_count(0)
    shot(page, "wide")

    # the keyboard: the skip link first, then the header, then the menu in reading order
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Log out")).to_be_focused()
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Home")).to_be_focused()
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Call plans")).to_be_focused()

    # a narrow screen: the menu folds behind its button; Esc folds it again
    page.set_viewport_size({"width": 380, "height": 740})
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_hidden()
    shot(page, "narrow")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    expect(current).to_be_focused()
    shot(page, "narrow-open")
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    menu.get_by_role("link", name="Call records").click()
    page.wait_for_url(live_server.url("/calls"))
    expect(page.locator("#menu [aria-current=page]")).to_have_text("Call records")  # folded again on the new page
    expect(page.locator("#menu")).to_be_hidden()

    # another role sees only what it may use
    reports = session_as(browser, live_server, "toolkit-reports@demo.example.com", role="reports")
    other, other_watch = open_screen(reports, live_server, "/calls")
    other_menu = other.get_by_role("navigation", name="Main menu")
    expect(other_menu.locator(".menu-group:visible .menu-group-title")).to_have_text(["People and phones", "Reports", "Your account"])
    expect(other_menu.get_by_role("link", name="Departments")).to_have_count(0)
    expect(other_menu.get_by_role("link", name="Phonebook")).to_be_visible()  # everyone of the company reads it
    expect(other_menu.get_by_role("link", name="Call records")).to_have_attribute("aria-current", "page")

    watch.assert_clean()
    other_watch.assert_clean()
    session.context.close()
    reports.context.close()


def test_the_toolkit_in_dutch(live_server, browser):
    shot = Screenshots("toolkit-nl")
    session = session_as(browser, live_server, "toolkit-nl@demo.example.com", language="nl", locale="nl-NL")
    page, watch = open_screen(session, live_server)
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page).to_have_title("Afdelingen · Callplan PBX")
    expect(page.get_by_role("heading", level=1)).to_have_text("Afdelingen")
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    expect(menu.locator(".menu-group:visible .menu-group-title")).to_have_text(
        ["Gesprekken afhandelen", "Mensen en toestellen", "Bedrijf", "Overzichten", "Koppelingen", "Uw account"])
    expect(page.locator(".list-count")).to_contain_text(" van ")
    expect(page.get_by_role("columnheader", name="Uitgaand nummer")).to_be_visible()

    page.get_by_role("button", name="Nieuwe afdeling").first.click()
    sheet = page.get_by_role("dialog")
    sheet.get_by_label("Naam").fill("Inkoop")
    sheet.get_by_label("Uitgaand nummer").fill("geen nummer")
    sheet.get_by_role("button", name="Toevoegen").click()
    expect(sheet.locator(".field-error")).to_have_text(["Deze waarde is niet geldig."])
    expect(sheet.get_by_role("alert").first).to_have_text("Sommige velden zijn niet geldig.")
    shot(page, "field-error")
    page.keyboard.press("Escape")
    expect(sheet.get_by_text("U heeft wijzigingen die niet zijn opgeslagen. Weggooien?")).to_be_visible()
    sheet.get_by_role("button", name="Verder bewerken").click()
    sheet.get_by_label("Uitgaand nummer").fill("")
    sheet.get_by_role("button", name="Toevoegen").click()
    expect(page.locator(".toast")).to_have_text(re.compile("“Inkoop” toegevoegd."))

    rows(page).filter(has_text="Sales").get_by_role("button", name="Sales verwijderen").click()
    question = page.get_by_role("alertdialog")
    expect(question.get_by_role("heading")).to_have_text("“Sales” verwijderen?")
    question.get_by_role("button", name="Verwijderen").click()
    expect(question.locator(".used-by li").first).to_contain_text("Gebruiker: ")
    shot(page, "refused")
    question.get_by_role("button", name="Sluiten").click()

    page.get_by_label("Zoeken").fill("xyz")
    expect(page.get_by_text("Niets gevonden voor “xyz”.")).to_be_visible()
    page.set_viewport_size({"width": 380, "height": 740})
    page.get_by_role("button", name="Menu").click()
    shot(page, "narrow-menu")

    watch.assert_clean()
    session.context.close()
