"""The /reports screen in Chromium (#17 items 1-2): an admin picks a period by keyboard and sees the numbers
the API gives (overall, each table, both charts), a bad period shows its error beside the field, each
table downloads as CSV, the busiest-hours heat map's cells and the cost per month chart are the API's; in Dutch on a phone-sized screen too. Screenshots in test-artifacts/reports-*.png."""

from __future__ import annotations

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
PASSWORD = "reports in the browser"
PERIOD = {"period": "custom", "from": "2026-11-01", "to": "2026-11-30"}
GROUPS = ("call_type", "sender", "receiver", "user", "department")


@pytest.fixture(scope="module")
def calls(live_server):
    """Forty calls in November 2026 spread over hours and days, some answered, some missed, some priced."""
    from sqlmodel import select

    from web.models.call_record import CallRecord
    from web.models.pbx_user import PbxUser

    db = Db(live_server.database_url)
    tenant_id = db.tenant_id()
    with db.session() as session:
        users = session.exec(select(PbxUser.id, PbxUser.extension).where(PbxUser.tenant_id == tenant_id)
                             .order_by(PbxUser.extension)).all()
    types = ("mobile", "national", "internal", "international")
    rows = []
    for n in range(40):
        start = datetime(2026, 11, 2 + n % 20, 7 + (n * 5) % 11, n % 60, tzinfo=timezone.utc)
        answered = n % 4 != 0
        caller = users[n % len(users)][1] if n % 3 else "+31201234567"
        rows.append(CallRecord(
            tenant_id=tenant_id, call_uuid=f"report-browser-{n}", direction="inbound" if n % 3 == 0 else "outbound",
            caller_number=caller, dialled_number="0612345678" if n % 2 else "+31851234567",
            callee_number="0612345678", started_at=start,
            answered_at=start + timedelta(seconds=4) if answered else None, ended_at=start + timedelta(seconds=90),
            duration_seconds=90, billed_seconds=86 if answered else 0, call_type=types[n % 4],
            missed=not answered and n % 3 == 0, cost=Decimal("0.1234") * (n % 5) if answered else None,
            currency="EUR", answered_by_user_id=users[(n + 1) % len(users)][0] if answered and n % 3 == 0 else None))
    db.add(*rows)
    db.engine.dispose()
    return rows


def _query(params: dict) -> str:
    return "&".join(f"{key}={value}" for key, value in params.items())


def _shown_tables(page) -> dict[str, list[list[str]]]:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('[data-group]')].map((section) =>
        [section.dataset.group, [...section.querySelectorAll('tbody tr')].map((row) =>
            [row.dataset.key, ...[...row.querySelectorAll('td')].map((cell) => cell.textContent)])]))""")


def _chart_data(page, id: str) -> list[list[int]]:
    return page.evaluate(f"() => Chart.getChart(document.getElementById('{id}')).data.datasets.map((set) => set.data)")


def test_the_screen_shows_the_apis_numbers(browser, live_server, calls):
    session = admin_session(browser, live_server, "reports-admin@demo.example.com", PASSWORD)
    page, watch = open_screen(session, live_server, "/reports", wait_ms=WAIT_MS)
    shots = Screenshots("reports")
    # the period by keyboard: the period select (arrow keys), the two dates, Enter to show
    page.locator("#r-period").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.locator("#r-period").input_value() == "custom"
    page.locator("#r-from").fill("2026-11-01")
    page.locator("#r-to").fill("2026-11-30")
    page.locator("#r-to").press("Enter")
    expect(page.locator("#period-shown")).to_contain_text("2026-11-01 to 2026-11-30")
    assert page.locator("#r-period").input_value() == "custom"
    totals = session.get(f"/api/reports/totals?{_query(PERIOD)}")
    activity = session.get(f"/api/reports/activity?{_query(PERIOD)}")
    assert totals["overall"]["calls"] == len(calls)
    expect(page.locator('[data-figure="calls"]')).to_have_text(str(len(calls)))
    expect(page.locator('[data-figure="answered"]')).to_have_text(str(totals["overall"]["answered"]))
    expect(page.locator('[data-figure="missed"]')).to_have_text(str(totals["overall"]["missed"]))
    expect(page.locator('[data-figure="cost"]')).to_contain_text(f"{Decimal(totals['overall']['cost']):.2f}")
    shown = _shown_tables(page)
    for group in GROUPS:
        expected = [[row["key"] or "", str(row["calls"]), str(row["answered"]), str(row["missed"])] for row in totals[group]]
        assert [row[:4] for row in shown[group]] == expected, group
        assert [row[4] for row in shown[group]] == [f"{Decimal(row['minutes']):.1f}" for row in totals[group]], group
    # the charts are drawn from the activity's numbers: answered, missed, the rest
    for id, rows in (("chart-hours", activity["hours"]), ("chart-days", activity["days"])):
        assert _chart_data(page, id) == [[row["answered"] for row in rows], [row["missed"] for row in rows],
                                         [row["calls"] - row["answered"] - row["missed"] for row in rows]]
    assert sum(row["calls"] for row in activity["days"]) == len(calls)
    # the busiest hours: every cell's number is the API's, Monday first, and busier cells are darker
    cells = page.evaluate("""() => [...document.querySelectorAll('#heat tbody tr')].map((row) =>
        [Number(row.dataset.weekday), [...row.querySelectorAll('td')].map((cell) => [Number(cell.textContent), cell.className])])""")
    assert [[weekday, [count for count, _ in row]] for weekday, row in cells] == \
        [[row["weekday"], row["hours"]] for row in activity["heat"]]
    assert sum(sum(row["hours"]) for row in activity["heat"]) == len(calls)
    levels = {count: int(name.split("heat-")[1]) for _, row in cells for count, name in row}
    assert levels[0] == 0 and all(levels[a] <= levels[b] for a in levels for b in levels if a < b)
    expect(page.locator("#heat-legend .heat-key").first).to_have_text("0")
    # the cost per month: twelve months up to November 2026, the chart's bars the API's sums
    assert [row["month"] for row in activity["months"]][-1] == "2026-11" and len(activity["months"]) == 12
    assert _chart_data(page, "chart-months") == [[float(Decimal(row["cost"])) for row in activity["months"]]]
    assert Decimal(activity["months"][-1]["cost"]) == Decimal(totals["overall"]["cost"])
    # each table's CSV link is the same period
    with page.expect_download() as download:
        page.locator('[data-group="user"] a[download]').click()
    assert download.value.suggested_filename == "totals-user-2026-11-01-2026-11-30.csv"
    shots(page, "november")
    # a bad period: the error beside the field
    page.get_by_label("To (inclusive)").fill("2026-10-01")
    page.get_by_label("To (inclusive)").press("Enter")
    expect(page.locator("#r-to").locator("xpath=..")).to_contain_text("The last day is before the first.")
    shots(page, "bad-period", full_page=False)
    watch.assert_clean()
    session.context.close()


def test_dutch_on_a_phone(browser, live_server, calls):
    session = admin_session(browser, live_server, "rapporten@demo.example.com", PASSWORD, language="nl",
                            locale="nl-NL", viewport={"width": 380, "height": 800})
    page, watch = open_screen(session, live_server, f"/reports?{_query(PERIOD)}", wait_ms=WAIT_MS)
    expect(page.get_by_role("heading", name="Rapporten", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Per gesprekstype")).to_be_visible()
    expect(page.locator('[data-figure="calls"]')).to_have_text(str(len(calls)))
    # nothing wider than the screen but the tables' own scrolling boxes
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 380
    Screenshots("reports-nl")(page, "phone")
    expect(page.get_by_role("heading", name="Drukste uren")).to_be_visible()
    expect(page.get_by_role("heading", name="Kosten per maand")).to_be_visible()
    watch.assert_clean()
    session.context.close()


def test_call_records_filter_by_sender_receiver_amount_and_month(browser, live_server, calls):
    """/calls (#17 item 1): last month by its button, then the sender's number in part and an amount."""
    session = admin_session(browser, live_server, "reports-admin@demo.example.com", PASSWORD, timezone="Pacific/Kiritimati")
    page, watch = open_screen(session, live_server, "/calls", wait_ms=WAIT_MS)
    # the browser's own clock and zone say nothing: a browser in Kiritimati (UTC+14) whose clock is a month
    # ahead still gets the company's last month (Europe/Amsterdam, the server's today)
    page.clock.set_fixed_time(datetime(2027, 1, 15, 12, 0, tzinfo=timezone.utc))
    assert page.evaluate("() => new Date().getMonth()") == 0
    expected_month = session.get("/api/reports/period?period=last_month")
    # the replies may come back in any order: the month's own reply (no amount yet) is held back until after
    # the filtered one, and the list still shows what the newest request asked for
    held = []

    def hold_unfiltered(route):
        if "cost=" not in route.request.url:
            held.append(route)
            return
        route.fulfill(response=route.fetch())
        while held:
            earlier = held.pop(0)
            earlier.fulfill(response=earlier.fetch())

    page.route("**/api/call-records?*", hold_unfiltered)
    page.get_by_role("button", name="Last month").click()
    expect(page.locator("#f-from")).to_have_value(expected_month["first"])
    expect(page.locator("#f-to")).to_have_value(expected_month["last"])
    assert (expected_month["first"], expected_month["last"]) == ("2026-11-01", "2026-11-30")
    page.get_by_label("Sender (part)").fill("3120")
    page.get_by_label("Cost (<, >, =)").fill(">0.2")
    page.get_by_label("Cost (<, >, =)").press("Enter")
    expected = session.get("/api/call-records?from=2026-11-01&to=2026-11-30&sender=3120&cost=%3E0.2&limit=500")
    assert 0 < expected["total"] < len(calls)
    expect(page.locator("#records tbody tr")).to_have_count(expected["total"])
    Screenshots("reports-calls")(page, "filtered")
    page.get_by_label("Duration in s (<, >, =)").fill("1.5")
    page.get_by_label("Duration in s (<, >, =)").press("Enter")
    expect(page.locator("#f-duration-error")).to_be_visible()
    watch.assert_clean()
    session.context.close()
