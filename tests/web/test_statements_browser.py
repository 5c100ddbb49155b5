"""The /statements screen in Chromium (#17 item 6): an admin makes statements by keyboard (the month field
starts at last month, as the company's zone has it), sees them in the archive, downloads one whose PDF text
holds the month's totals as /reports has them, opens one (inline PDF), is told beside the field when a month
has not ended; in Dutch on a phone-sized screen too. Screenshots in test-artifacts/statements-*.png."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tests.web.browser_support import Screenshots, admin_session, missing_browser_reason, open_screen

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.bridge_pages_support import Db  # noqa: E402
from tests.web.browser_support import browser, live_server  # noqa: E402,F401  (fixtures)

pytestmark = pytest.mark.browser

WAIT_MS = 30_000
PASSWORD = "statements in the browser"


@pytest.fixture(scope="module")
def calls(live_server):
    """Twelve priced calls in November 2026 and three in October."""
    from web.models.call_record import CallRecord

    db = Db(live_server.database_url)
    tenant_id = db.tenant_id()
    rows = []
    for n in range(15):
        start = datetime(2026, 11 if n < 12 else 10, 3 + n, 9, 0, tzinfo=timezone.utc)
        rows.append(CallRecord(
            tenant_id=tenant_id, call_uuid=f"statement-browser-{n}", direction="outbound", caller_number="201",
            dialled_number="0612345678", callee_number="0612345678", started_at=start,
            answered_at=start + timedelta(seconds=3), ended_at=start + timedelta(seconds=100), duration_seconds=100,
            billed_seconds=97 + n, call_type=("mobile", "national", "international")[n % 3],
            cost=Decimal("0.2500") * (n + 1), currency="EUR"))
    db.add(*rows)
    db.engine.dispose()
    return rows


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _money_en(value) -> str:
    return f"€{Decimal(value).quantize(Decimal('0.01')):,.2f}"


def test_make_open_and_download_by_keyboard(browser, live_server, calls):
    session = admin_session(browser, live_server, "statements-admin@demo.example.com", PASSWORD)
    page, watch = open_screen(session, live_server, "/statements", wait_ms=WAIT_MS)
    shots = Screenshots("statements")
    # the menu has the screen; the archive is empty; the month field is last month of the company's zone
    expect(page.get_by_role("link", name="Statements", exact=True)).to_be_visible()
    expect(page.locator("#statements-empty")).to_have_text("No statements yet.")
    last_month = session.get("/api/reports/period?period=last_month")["first"][:7]
    assert page.locator("#s-month").input_value() == last_month
    shots(page, "empty")
    # October by keyboard: type the month, Enter in the field sends the form
    page.locator("#s-month").focus()
    page.locator("#s-month").fill("2026-10")
    page.keyboard.press("Enter")
    expect(page.locator("#page-status")).to_have_text("The statement of October 2026 is ready.")
    # the new row's Open link has the focus; Tab reaches its Download link
    expect(page.locator('tr[data-month="2026-10"] a[data-action="open"]')).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator('tr[data-month="2026-10"] a[data-action="download"]')).to_be_focused()
    # November: the field, then Tab to the button and Enter on it
    page.locator("#s-month").fill("2026-11")
    button = page.get_by_role("button", name="Make statement")
    for _ in range(3):  # Chromium's month field: Tab walks its month and year parts, then leaves it
        page.keyboard.press("Tab")
        if button.evaluate("(element) => element === document.activeElement"):
            break
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#page-status")).to_have_text("The statement of November 2026 is ready.")
    assert page.locator("#statements tbody tr").evaluate_all("(rows) => rows.map((row) => row.dataset.month)") == \
        ["2026-11", "2026-10"]
    row = page.locator('tr[data-month="2026-11"]')
    expect(row.locator("th")).to_have_text("November 2026")
    expect(row.locator('[data-col="made_by"]')).to_have_text("statements-admin@demo.example.com")
    # asked again: it was there already, still one row
    page.locator("#s-month").fill("2026-11")
    page.locator("#s-month").press("Enter")
    expect(page.locator("#page-status")).to_have_text("The statement of November 2026 was already there.")
    expect(page.locator("#statements tbody tr")).to_have_count(2)
    shots(page, "archive")
    # Download: a file whose text holds November's totals as /reports computes them
    with page.expect_download() as download:
        row.locator('a[data-action="download"]').press("Enter")
    assert download.value.suggested_filename.startswith("statement-2026-11")
    text = _pdf_text(open(download.value.path(), "rb").read())
    totals = session.get("/api/reports/totals?period=custom&from=2026-11-01&to=2026-11-30")
    assert totals["overall"]["calls"] == 12
    language_of_company = "Statement November 2026" if "Statement November 2026" in text else "Maandoverzicht november 2026"
    assert language_of_company in text
    if language_of_company.startswith("Statement"):
        for line in totals["call_type"]:
            assert f"{line['calls']} {Decimal(line['minutes']):,.1f} {_money_en(line['cost'])}" in text, (line, text)
    else:
        for line in totals["call_type"]:
            minutes = f"{Decimal(line['minutes']):,.1f}".translate(str.maketrans(",.", ".,"))
            cost = f"{Decimal(line['cost']).quantize(Decimal('0.01')):,.2f}".translate(str.maketrans(",.", ".,"))
            assert f"{line['calls']} {minutes} € {cost}" in text, (line, text)
    # Open: the PDF itself, shown inline by the browser's viewer in a new tab
    opened = row.locator('a[data-action="open"]')
    assert opened.get_attribute("target") == "_blank"
    inline = session.context.request.get(live_server.url(opened.get_attribute("href")))
    assert inline.status == 200 and inline.headers["content-type"] == "application/pdf"
    assert inline.headers["content-disposition"].startswith("inline;")
    assert inline.body() == open(download.value.path(), "rb").read()
    # a month that has not ended: said beside the field
    page.locator("#s-month").fill(datetime.now(timezone.utc).strftime("%Y-%m"))
    page.locator("#s-month").press("Enter")
    expect(page.locator("#s-month").locator("xpath=..")).to_contain_text("Choose a month that has ended.")
    expect(page.locator("#s-month")).to_be_focused()
    shots(page, "not-ended", full_page=False)
    watch.assert_clean()
    session.context.close()


def test_dutch_on_a_phone(browser, live_server, calls):
    session = admin_session(browser, live_server, "overzichten@demo.example.com", PASSWORD, language="nl",
                            locale="nl-NL", viewport={"width": 380, "height": 800})
    session.call("POST", "/api/statements", {"month": "2026-09"})
    page, watch = open_screen(session, live_server, "/statements", wait_ms=WAIT_MS)
    expect(page.get_by_role("heading", name="Maandoverzichten", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Overzicht maken")).to_be_visible()
    expect(page.locator('tr[data-month="2026-09"] th')).to_have_text("september 2026")
    expect(page.get_by_role("link", name="Het overzicht van september 2026 downloaden")).to_be_visible()
    # nothing wider than the screen but the table's own scrolling box
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 380
    Screenshots("statements-nl")(page, "phone")
    watch.assert_clean()
    session.context.close()
