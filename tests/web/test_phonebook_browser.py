"""The phonebook screen (/phonebook, static/js/phonebook.js) in Chromium on the demo company: search,
a contact added, edited with a field error from the API and deleted; a csv import previewed first with
its bad line named by its number, in both modes (the good rows kept, or all or nothing), the progress
of a large file, and the export downloaded; a user reads it without the admin's buttons; Dutch on a
narrow screen."""

from __future__ import annotations

import re

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, live_server  # noqa: E402,F401  (fixtures)
from tests.web.canvas_support import ensure_admin, log_in  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "a phonebook with many uncommon names"
WAIT = 20_000  # ms: a loaded machine is slow, never wrong
expect.set_options(timeout=WAIT)


def admin_session(browser, server, email, language="en", **options):
    ensure_admin(server.database_url, email, PASSWORD, language=language)
    return log_in(browser, server, email=email, password=PASSWORD, **options)


def user_session(browser, server, email):
    from sqlmodel import select

    from tests.web.browser_support import fast_settings
    from web.auth.passwords import hash_password
    from web.db import make_engine, session_scope
    from web.domain import audit
    from web.models import Account, Tenant

    engine = make_engine(server.database_url)
    try:
        with session_scope(engine, audit.SYSTEM) as db:
            if db.exec(select(Account).where(Account.email == email)).first() is None:
                db.add(Account(email=email, role="user", tenant_id=db.exec(select(Tenant)).first().id, first_name="Reader",
                               language="en", password_hash=hash_password(fast_settings(server.database_url), PASSWORD)))
    finally:
        engine.dispose()
    return log_in(browser, server, email=email, password=PASSWORD)


def open_phonebook(session, server, query=""):
    page = session.context.new_page()
    page.set_default_timeout(WAIT)
    watch = ConsoleWatch(page)
    page.goto(server.url("/phonebook" + query))
    page.wait_for_selector("body[data-ready=true]")
    assert "ui." not in page.locator("body").inner_text(), "a text key shown instead of its text"
    return page, watch


def clear_book(session):
    for row in session.get("/api/phonebook"):
        session.call("DELETE", f"/api/phonebook/{row['id']}", expect=204)


def choose_file(page, name, text):
    page.get_by_label(re.compile("^(CSV file|CSV-bestand)$")).set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}])


BAD_LINE_FILE = "name;number\nAlice Archer;+31201110001\nBob Baker;not a number\nCarol Cook;0201110003\n"


def test_import_previews_the_bad_line_by_number_in_both_modes_then_keeps_the_good_rows(live_server, browser):
    shot = Screenshots("phonebook-import")
    session = admin_session(browser, live_server, "phonebook-import@demo.example.com")
    clear_book(session)
    session.post("/api/phonebook", {"name": "Old Friend", "number": "+31209999999"}, expect=201)
    page, watch = open_phonebook(session, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Phonebook")

    page.get_by_role("button", name="Import CSV").click()
    sheet = page.get_by_role("dialog", name="Import CSV")
    expect(sheet).to_be_visible()
    choose_file(page, "contacts.csv", BAD_LINE_FILE)

    # the preview, nothing saved yet: the bad row by its line in the file (the header is line 1)
    expect(sheet.locator(".import-progress-text")).to_have_text("Checked. Nothing is saved yet.")
    expect(sheet.locator(".import-summary")).to_have_text("2 contact(s) to add, 1 row(s) with errors, 0 skipped.")
    bad = sheet.locator(".import-errors tbody tr")
    expect(bad).to_have_count(1)
    expect(bad.locator("th")).to_have_text("3")
    expect(bad.locator("td")).to_have_text("The number is not a phone number.")
    expect(sheet.locator(".import-rows tbody tr")).to_have_count(2)
    assert sheet.locator(".import-rows tbody tr td.mono").first.inner_text() == "2"
    assert [row["name"] for row in session.get("/api/phonebook")] == ["Old Friend"]
    shot(page, "preview-good-rows", full_page=False)

    # all or nothing: the same file is refused as a whole, and Import cannot be pressed
    sheet.get_by_label("All or nothing").check()
    expect(sheet.locator(".import-refused")).to_contain_text("nothing can be imported")
    expect(sheet.locator(".import-errors tbody tr th")).to_have_text("3")
    expect(sheet.get_by_role("button", name=re.compile("^Import"))).to_be_disabled()
    shot(page, "preview-all-or-nothing", full_page=False)

    # the good rows: imported, the bad one left out, the old contact kept
    sheet.get_by_label("Import the good rows").check()
    save = sheet.get_by_role("button", name="Import 2 contact(s)")
    expect(save).to_be_enabled()
    save.click()
    expect(sheet).to_be_hidden()
    expect(page.locator(".toast")).to_have_text(re.compile("2 contact\\(s\\) imported."))
    expect(page.locator(".list-table tbody tr")).to_have_count(3)
    names = sorted(row["name"] for row in session.get("/api/phonebook"))
    assert names == ["Alice Archer", "Carol Cook", "Old Friend"]
    shot(page, "imported")

    # the same file again: the good rows are duplicates now, skipped and said so by line
    page.get_by_role("button", name="Import CSV").click()
    choose_file(page, "contacts.csv", BAD_LINE_FILE)
    expect(sheet.locator(".import-summary")).to_have_text("0 contact(s) to add, 1 row(s) with errors, 2 skipped.")
    expect(sheet.locator(".import-warnings tbody tr th")).to_have_text(["2", "4"])
    expect(sheet.get_by_role("button", name=re.compile("^Import"))).to_be_disabled()
    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()
    watch.assert_clean()


def test_an_import_with_a_blocked_column_shows_the_mark_and_names_a_bad_value(live_server, browser):
    """The company's book reads a blocked column (#16 item 2): the preview shows which contacts come in
    blocked, and a value that is no yes or no is a bad row by its line."""
    shot = Screenshots("phonebook-import-blocked")
    session = admin_session(browser, live_server, "phonebook-blocked@demo.example.com")
    clear_book(session)
    page, watch = open_phonebook(session, live_server)
    page.get_by_role("button", name="Import CSV").click()
    sheet = page.get_by_role("dialog", name="Import CSV")
    expect(sheet).to_contain_text("A blocked column marks numbers the company blocks")
    choose_file(page, "contacts.csv", "name;number;blocked\nPest Caller;+31612000667;ja\n"
                                      "Maybe Man;+31612000668;maybe\nGood Friend;+31612000669;no\n")
    expect(sheet.locator(".import-summary")).to_have_text("2 contact(s) to add, 1 row(s) with errors, 0 skipped.")
    expect(sheet.locator(".import-errors tbody tr th")).to_have_text("3")
    expect(sheet.locator(".import-errors tbody tr td")).to_have_text("Blocked must be yes or no (or ja/nee, true/false, 1/0).")
    expect(sheet.locator(".import-rows thead th").last).to_have_text("Blocked")
    expect(sheet.locator(".import-rows td.import-blocked")).to_have_text(["blocked", "—"])
    shot(page, "preview", full_page=False)
    sheet.get_by_role("button", name="Import 2 contact(s)").click()
    expect(sheet).to_be_hidden()
    assert {row["name"]: row["blocked"] for row in session.get("/api/phonebook")} == {"Pest Caller": True, "Good Friend": False}
    expect(page.locator(".list-table tbody tr", has_text="Pest Caller")).to_contain_text("blocked")
    shot(page, "imported")
    watch.assert_clean()


def test_a_large_file_shows_its_progress_and_replaces_the_book(live_server, browser):
    session = admin_session(browser, live_server, "phonebook-large@demo.example.com")
    clear_book(session)
    session.post("/api/phonebook", {"name": "Goes Away", "number": "+31208888888"}, expect=201)
    page, watch = open_phonebook(session, live_server)
    lines = ["naam;nummer;bedrijf"] + [f"Contact {n:05d};+3130{n:07d};Firm {n % 7}" for n in range(1, 3001)]
    page.get_by_role("button", name="Import CSV").click()
    sheet = page.get_by_role("dialog", name="Import CSV")
    sheet.get_by_label(re.compile("^Replace the whole phonebook")).check()
    choose_file(page, "big.csv", "\n".join(lines))
    expect(sheet.locator(".import-summary")).to_have_text("3000 contact(s) to add, 0 row(s) with errors, 0 skipped.")
    expect(sheet.locator(".import-progress")).to_have_attribute("value", "100")
    expect(sheet.locator(".import-rows tbody tr")).to_have_count(100)
    expect(sheet.get_by_text("… and 2900 more.")).to_be_visible()
    sheet.get_by_role("button", name="Import 3000 contact(s)").click()
    expect(sheet).to_be_hidden()
    expect(page.locator(".list-count")).to_have_text("1–25 of 3000")
    book = session.get("/api/phonebook")
    assert len(book) == 3000 and "Goes Away" not in {row["name"] for row in book}
    assert book[0]["company"] == "Firm 1"
    watch.assert_clean()


def test_search_add_edit_with_a_field_error_delete_and_export(live_server, browser):
    shot = Screenshots("phonebook-crud")
    session = admin_session(browser, live_server, "phonebook-crud@demo.example.com")
    clear_book(session)
    for name, number in [("Dirk Dekker", "+31204440001"), ("Eva Evers", "0204440002"), ("=Formula Ltd", "+31204440003")]:
        session.post("/api/phonebook", {"name": name, "number": number, "company": "Evers BV" if name == "Eva Evers" else None}, expect=201)
    page, watch = open_phonebook(session, live_server)
    expect(page.locator(".list-table tbody tr")).to_have_count(3)

    # the server searches: a company, digits typed with a space
    page.get_by_label("Search").fill("evers bv")
    expect(page.locator(".list-table tbody tr th")).to_have_text(["Eva Evers"])
    page.get_by_label("Search").fill("020 444 0002")
    expect(page.locator(".list-table tbody tr th")).to_have_text(["Eva Evers"])
    page.get_by_label("Search").fill("")
    expect(page.locator(".list-table tbody tr")).to_have_count(3)

    # a new contact: a number that is none is refused beside the number field
    page.get_by_role("button", name="New contact").click()
    sheet = page.get_by_role("dialog", name="New contact")
    sheet.get_by_label("Name").fill("Frank Fisher")
    sheet.get_by_label("Number").fill("call me")
    sheet.get_by_role("button", name="Add").click()
    number = sheet.get_by_label("Number")
    expect(number).to_have_attribute("aria-invalid", "true")
    error_id = number.get_attribute("aria-describedby").split()[-1]
    expect(page.locator(f"#{error_id}")).to_be_visible()
    shot(page, "field-error", full_page=False)
    number.fill("+31204440004")
    sheet.get_by_role("button", name="Add").click()
    expect(sheet).to_be_hidden()
    expect(page.locator(".toast").last).to_have_text(re.compile("“Frank Fisher” added."))

    # edit, then delete
    page.get_by_role("button", name="Edit Frank Fisher").click()
    sheet = page.get_by_role("dialog", name="Edit Frank Fisher")
    sheet.get_by_label("Company").fill("Fisher & Sons")
    sheet.get_by_role("button", name="Save").click()
    expect(sheet).to_be_hidden()
    assert next(row for row in session.get("/api/phonebook") if row["name"] == "Frank Fisher")["company"] == "Fisher & Sons"
    page.get_by_role("button", name="Delete Dirk Dekker").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page.locator(".toast").last).to_have_text(re.compile("“Dirk Dekker” deleted."))
    expect(page.locator(".list-table tbody tr")).to_have_count(3)

    # the export: a csv download that imports again as it is (the formula guard on the name)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == "phonebook.csv"
    text = open(download.path(), encoding="utf-8").read()
    assert text.splitlines() == ["name;number;blocked", "'=Formula Ltd;+31204440003;no", "Eva Evers;0204440002;no",
                                 "Frank Fisher;+31204440004;no"]
    shot(page, "list")
    watch.assert_clean()


def test_a_user_reads_and_exports_without_the_admins_buttons(live_server, browser):
    session = user_session(browser, live_server, "phonebook-reader@demo.example.com")
    page, watch = open_phonebook(session, live_server)
    expect(page.get_by_role("link", name="Export (CSV)")).to_be_visible()
    expect(page.get_by_role("button", name="Import CSV")).to_have_count(0)
    expect(page.get_by_role("button", name="New contact")).to_have_count(0)
    expect(page.locator(".list-table thead")).not_to_contain_text("Actions")
    expect(page.locator("#menu a[href='/phonebook']")).to_have_attribute("aria-current", "page")
    watch.assert_clean()


def test_the_phonebook_in_dutch_on_a_narrow_screen(live_server, browser):
    shot = Screenshots("phonebook-nl")
    session = admin_session(browser, live_server, "phonebook-nl@demo.example.com", language="nl", locale="nl-NL",
                            viewport={"width": 380, "height": 800})
    clear_book(session)
    session.post("/api/phonebook", {"name": "Jan Janssen", "number": "+31205550001", "company": "Janssen BV"}, expect=201)
    page, watch = open_phonebook(session, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Telefoonboek")
    shot(page, "list-narrow")
    page.get_by_role("button", name="CSV importeren").click()
    sheet = page.get_by_role("dialog", name="CSV importeren")
    choose_file(page, "contacten.csv", "naam;nummer\nKees Klaassen;0205550002\n;0205550003\n")
    expect(sheet.locator(".import-summary")).to_have_text("1 contact(en) toe te voegen, 1 regel(s) met fouten, 0 overgeslagen.")
    expect(sheet.locator(".import-errors tbody tr th")).to_have_text("3")
    expect(sheet.locator(".import-errors tbody tr td")).to_have_text("Geen naam.")
    sheet.get_by_label("Alles of niets").check()
    expect(sheet.locator(".import-refused")).to_contain_text("Alles of niets")
    # what the server would refuse with, in Dutch too, if the button were pressed anyway: the preview agrees
    answer = session.post("/api/phonebook/import/preview", {"csv": "naam;nummer\n;1\n", "mode": "all_or_nothing"})
    assert answer["refused"] == "csv_invalid"
    shot(page, "import-narrow", full_page=False)
    sheet.get_by_label("De goede regels importeren").check()
    sheet.get_by_role("button", name="1 contact(en) importeren").click()
    expect(page.locator(".toast").last).to_have_text(re.compile("1 contact\\(en\\) geïmporteerd."))
    expect(page.locator(".list-table tbody tr")).to_have_count(2)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380, f"the page scrolls sideways on a narrow screen ({width} px)"
    watch.assert_clean()
