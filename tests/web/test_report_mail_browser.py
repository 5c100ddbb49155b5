"""Report mail in Chromium (#17 item 5): "send this period by e-mail" on /calls mails every record the
filters select (more than the page shows) and on /reports the period's totals, each with its CSV, to the
admin or to a colleague's typed address (a real SMTP server receives them through the outbox); the admin
sets the usage limit and who gets which mail by keyboard, a bad limit shows its error beside the field;
in Dutch on a phone-sized screen. Screenshots in test-artifacts/report-mail-*.png."""

from __future__ import annotations

import csv
import io
import re
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
PASSWORD = "report mail in the browser"
ADMIN = "mail-admin@demo.example.com"
KEEPER = "bookkeeper@demo.example.com"
CALLS = 63  # more than a page of /calls (50)


@pytest.fixture(scope="module")
def seeded(live_server):
    from web.models.call_record import CallRecord

    db = Db(live_server.database_url)
    tenant_id = db.tenant_id()
    rows = []
    for n in range(CALLS):
        start = datetime(2026, 11, 2, 8, tzinfo=timezone.utc) + timedelta(hours=7 * n)
        rows.append(CallRecord(
            tenant_id=tenant_id, call_uuid=f"report-mail-{n}", direction="outbound", caller_number="201",
            dialled_number="0612345678", callee_number="0612345678", started_at=start,
            answered_at=start + timedelta(seconds=3), ended_at=start + timedelta(seconds=63), duration_seconds=63,
            billed_seconds=60, call_type="mobile", cost=Decimal("0.25"), currency="EUR"))
    db.add(*rows)
    db.account(KEEPER, PASSWORD, "reports", language="nl")
    db.engine.dispose()
    return tenant_id


def _deliver(live_server, mailbox) -> int:
    """What the bridge's outbox job does: send what the web app queued, to the test's SMTP server."""
    from fs_bridge import outbox
    from tests.conftest import fast_settings
    from web.db import make_engine

    engine = make_engine(live_server.database_url)
    try:
        return outbox.deliver_due(engine, fast_settings(live_server.database_url, smtp_port=mailbox.port))
    finally:
        engine.dispose()


def _attachment(message) -> tuple[str, list[list[str]]]:
    [part] = list(message.iter_attachments())
    content = part.get_content()
    return part.get_filename(), list(csv.reader(io.StringIO(content if isinstance(content, str) else content.decode())))


def test_calls_are_mailed_whole_past_the_page(browser, live_server, seeded, mailbox):
    session = admin_session(browser, live_server, ADMIN, PASSWORD)
    page, watch = open_screen(session, live_server, "/calls?from=2026-11-01&to=2026-11-30&call_type=mobile", wait_ms=WAIT_MS)
    shots = Screenshots("report-mail")
    expect(page.locator("#records tbody tr")).to_have_count(50)  # one page of them
    send = page.get_by_role("button", name="Send this period by e-mail")
    expect(send).to_be_visible()
    # by keyboard: the address field (left empty: to oneself), then the button
    page.get_by_label("E-mail address").focus()
    expect(page.get_by_label("E-mail address")).to_have_attribute("placeholder", ADMIN)
    page.keyboard.press("Tab")
    expect(send).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("[data-mail-form] ~ [role=status]")).to_contain_text(f"Sent to {ADMIN}: {CALLS} rows")
    shots(page, "calls-sent")
    assert _deliver(live_server, mailbox) == 1
    [message] = mailbox.to(ADMIN)
    name, rows = _attachment(message)
    assert name.endswith(".csv") and len(rows) == CALLS + 1
    assert {row[rows[0].index("call_type")] for row in rows[1:]} == {"mobile"}

    # a colleague's address; an address that is nobody's here is refused beside the field
    page.get_by_label("E-mail address").fill("stranger@example.org")
    send.click()
    expect(page.locator("[data-mail-form]")).to_contain_text("Not an account of the company that may read call records.")
    shots(page, "calls-refused", full_page=False)
    page.get_by_label("E-mail address").fill(KEEPER)
    send.click()
    expect(page.locator("[data-mail-form] ~ [role=status]")).to_contain_text(f"Sent to {KEEPER}")
    assert _deliver(live_server, mailbox) == 1
    [message] = mailbox.to(KEEPER)
    assert message["Subject"].startswith("Demo") and "gespreksdetails" in message["Subject"]  # in the keeper's Dutch
    watch.assert_clean()
    session.context.close()


def test_the_admin_sets_the_limit_and_who_gets_which_mail(browser, live_server, seeded, mailbox):
    session = admin_session(browser, live_server, ADMIN, PASSWORD)
    page, watch = open_screen(session, live_server, "/reports?period=custom&from=2026-11-01&to=2026-11-30", wait_ms=WAIT_MS)
    shots = Screenshots("report-mail")
    section = page.locator("#report-mail")
    expect(section.get_by_role("heading", name="Report mail")).to_be_visible()
    # a bad limit: the error beside the field
    limit = section.get_by_label("Limit per month (excl. VAT)")
    limit.fill("-3")
    section.get_by_role("button", name="Save report mail").click()
    expect(section.locator("#" + limit.get_attribute("id") + "-error")).to_be_visible()
    shots(page, "limit-refused", full_page=False)
    # by keyboard: the limit, then a checkbox with Space
    limit.fill("12.50")
    keeper_alert = section.get_by_role("checkbox", name=re.compile(f"^Usage alert for .*<{KEEPER}>$"))
    keeper_alert.focus()
    page.keyboard.press("Space")
    section.get_by_role("checkbox", name=re.compile(f"^Monthly report for .*<{KEEPER}>$")).check()
    section.get_by_role("checkbox", name=re.compile(f"^Usage alert for .*<{ADMIN}>$")).check()
    section.get_by_role("button", name="Save report mail").focus()
    page.keyboard.press("Enter")
    expect(section.locator("[role=status]").first).to_have_text("Report mail saved.")
    state = session.get("/api/report-mail")
    assert Decimal(state["usage_limit"]) == Decimal("12.50")
    kinds = {row["email"]: row["kinds"] for row in state["accounts"]}
    assert kinds[KEEPER] == ["monthly_report", "usage_alert"] and kinds[ADMIN] == ["usage_alert"]
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(section.get_by_role("checkbox", name=re.compile(f"^Usage alert for .*<{KEEPER}>$"))).to_be_checked()
    expect(section.get_by_label("Limit per month (excl. VAT)")).to_have_value("12.50")
    section.scroll_into_view_if_needed()
    shots(page, "settings")

    # the period's totals by e-mail, to the keeper
    page.locator("[data-mail-form] input[name=email]").fill(KEEPER)
    page.get_by_role("button", name="Send this period by e-mail").click()
    expect(page.locator("[data-mail-form] ~ [role=status]")).to_contain_text(f"Sent to {KEEPER}")
    assert _deliver(live_server, mailbox) == 1
    [message] = mailbox.to(KEEPER)
    name, rows = _attachment(message)
    assert name == "totals-2026-11-01-2026-11-30.csv" and rows[1][:4] == ["overall", "all", "", str(CALLS)]
    watch.assert_clean()
    session.context.close()


def test_dutch_on_a_phone(browser, live_server, seeded):
    session = admin_session(browser, live_server, "rapportmail@demo.example.com", PASSWORD, language="nl",
                            locale="nl-NL", viewport={"width": 380, "height": 800})
    page, watch = open_screen(session, live_server, "/reports?period=custom&from=2026-11-01&to=2026-11-30", wait_ms=WAIT_MS)
    expect(page.get_by_role("heading", name="Rapportage per e-mail")).to_be_visible()
    expect(page.get_by_role("button", name="Verzend geselecteerde periode per e-mail")).to_be_visible()
    expect(page.get_by_label("Limiet per maand (ex. btw)")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 380
    shots = Screenshots("report-mail-nl")
    page.locator("#report-mail h2").scroll_into_view_if_needed()
    shots(page, "phone-settings", full_page=False)
    page.locator("#report-mail table").scroll_into_view_if_needed()
    shots(page, "phone-people", full_page=False)
    calls, calls_watch = open_screen(session, live_server, "/calls", wait_ms=WAIT_MS)
    expect(calls.get_by_role("heading", name="Per e-mail versturen")).to_be_visible()
    assert calls.evaluate("() => document.documentElement.scrollWidth") <= 380
    calls.locator("[data-mail-form]").scroll_into_view_if_needed()
    shots(calls, "calls-phone", full_page=False)
    watch.assert_clean()
    calls_watch.assert_clean()
    session.context.close()
