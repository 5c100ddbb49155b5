"""/reports' "Queues and agents" in Chromium (#17 item 3): the queue table, its overall row and the chart are
the API's figures for the period and the service level typed in (by keyboard), the agent table too, both
download as CSV, a bad service level shows its error beside the field; in Dutch on a phone-sized screen.
Screenshots in test-artifacts/reports-queues-*.png."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

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
PASSWORD = "queues in the browser"
PERIOD = "period=custom&from=2026-11-01&to=2026-11-30"


@pytest.fixture(scope="module")
def queue_rows(live_server):
    """Two queues of the demo company and a month of what the bridge would have written for them."""
    from sqlmodel import select

    from web.models.pbx_user import PbxUser
    from web.models.queue import CallQueue
    from web.models.queue_stats import AgentMissedOffer, AgentStatusSpan, QueueCall

    db = Db(live_server.database_url)
    tenant_id = db.tenant_id()
    with db.session() as session:
        users = session.exec(select(PbxUser.id).where(PbxUser.tenant_id == tenant_id).order_by(PbxUser.extension)).all()[:3]
    helpdesk, billing = db.add(
        CallQueue(tenant_id=tenant_id, name="Helpdesk", tiers=[{"user_id": user, "level": 1, "position": 1} for user in users]),
        CallQueue(tenant_id=tenant_id, name="Billing", tiers=[{"user_id": users[0], "level": 1, "position": 1}]))
    rows = []
    outcomes = ("answered", "answered", "answered", "abandoned", "answered", "timeout")
    for n in range(36):
        joined = datetime(2026, 11, 2 + n % 20, 8 + n % 9, (n * 7) % 60, tzinfo=timezone.utc)
        outcome = outcomes[n % len(outcomes)]
        wait = 4 + (n * 11) % 50
        answered = outcome == "answered"
        talk = 60 + (n * 37) % 400 if answered else 0
        rows.append(QueueCall(
            tenant_id=tenant_id, queue_id=helpdesk if n % 3 else billing, member_uuid=f"browser-member-{n}",
            joined_at=joined, answered_at=joined + timedelta(seconds=wait) if answered else None,
            left_at=joined + timedelta(seconds=wait + talk), agent_user_id=users[n % len(users)] if answered else None,
            wait_seconds=wait, talk_seconds=talk, outcome=outcome))
    for n, user in enumerate(users):
        day = datetime(2026, 11, 3 + n, 8, 0, tzinfo=timezone.utc)
        rows += [AgentStatusSpan(tenant_id=tenant_id, user_id=user, status="Available", started_at=day,
                                 ended_at=day + timedelta(hours=4)),
                 AgentStatusSpan(tenant_id=tenant_id, user_id=user, status="On Break", started_at=day + timedelta(hours=4),
                                 ended_at=day + timedelta(hours=4, minutes=15 * (n + 1)))]
        rows += [AgentMissedOffer(tenant_id=tenant_id, user_id=user, queue_id=helpdesk, member_uuid=f"browser-missed-{n}-{k}",
                                  offered_at=day + timedelta(minutes=k), cause="NO_ANSWER") for k in range(n + 1)]
    db.add(*rows)
    db.engine.dispose()
    return {"helpdesk": helpdesk, "billing": billing, "users": users}


def _table(page, kind: str) -> list[list[str]]:
    return page.evaluate(f"""() => [...document.querySelectorAll('[data-report="{kind}"] tbody tr, [data-report="{kind}"] tfoot tr')]
        .map((row) => [row.dataset.key, ...[...row.querySelectorAll('td')].map((cell) => cell.textContent)])""")


def _duration(seconds) -> str:
    total = round(float(seconds))
    hours, rest = divmod(total, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def test_queues_and_agents_are_the_apis_figures(browser, live_server, queue_rows):
    session = admin_session(browser, live_server, "queue-reports@demo.example.com", PASSWORD)
    page, watch = open_screen(session, live_server, f"/reports?{PERIOD}", wait_ms=WAIT_MS)
    shots = Screenshots("reports-queues")
    expect(page.get_by_role("heading", name="Queues and agents")).to_be_visible()
    # the threshold by keyboard: type 30, Enter
    field = page.get_by_label("Service level: answered within (seconds)")
    field.fill("30")
    field.press("Enter")
    expect(page.locator("#queues-hint")).to_contain_text("within 30 seconds")
    queues = session.get(f"/api/reports/queues?{PERIOD}&service_level=30")
    agents = session.get(f"/api/reports/agents?{PERIOD}")
    assert queues["overall"]["offered"] == 36
    shown = _table(page, "queue")
    expected = [[row["key"], str(row["offered"]), str(row["answered"]), str(row["abandoned"]), str(row["timed_out"]),
                 f"{float(row['service_level']):.1f}%" if row["service_level"] is not None else "–",
                 _duration(row["average_wait_seconds"]) if row["average_wait_seconds"] is not None else "–",
                 _duration(row["longest_wait_seconds"]) if row["offered"] else "–"]
                for row in queues["queues"] + [queues["overall"]]]
    assert shown == expected
    by_key = {row["key"]: row for row in queues["queues"]}
    assert by_key[str(queue_rows["helpdesk"])]["offered"] == 24 and by_key[str(queue_rows["billing"])]["offered"] == 12
    # the chart: per queue, answered / abandoned / timed out, in the table's order
    data = page.evaluate("() => Chart.getChart(document.getElementById('chart-queues')).data.datasets.map((set) => set.data)")
    assert data == [[row[key] for row in queues["queues"]] for key in ("answered", "abandoned", "timed_out")]
    assert page.evaluate("() => Chart.getChart(document.getElementById('chart-queues')).data.labels") == \
        [row["label"] for row in queues["queues"]]
    # agents: calls, talk time, handling time, logged in, on break, missed offers
    expected_agents = [[row["key"], str(row["calls"]), _duration(row["talk_seconds"]),
                        _duration(row["average_handling_seconds"]) if row["average_handling_seconds"] is not None else "–",
                        _duration(row["logged_in_seconds"]), _duration(row["break_seconds"]), str(row["missed_offers"])]
                       for row in agents["agents"]]
    assert _table(page, "agent") == expected_agents
    first = {row["key"]: row for row in agents["agents"]}[str(queue_rows["users"][0])]
    assert (first["break_seconds"], first["missed_offers"]) == (15 * 60, 1)
    page.locator("#queues-agents").scroll_into_view_if_needed()
    shots(page, "november")
    with page.expect_download() as download:
        page.locator('[data-report="queue"] a[download]').click()
    assert download.value.suggested_filename == "queues-2026-11-01-2026-11-30.csv"
    with page.expect_download() as download:
        page.locator('[data-report="agent"] a[download]').click()
    assert download.value.suggested_filename == "agents-2026-11-01-2026-11-30.csv"
    # a bad threshold: the error beside the field
    field.fill("0")
    field.press("Enter")
    expect(page.locator("#r-service-level").locator("xpath=..")).to_contain_text("A whole number of seconds from 1 to 3600.")
    shots(page, "bad-service-level", full_page=False)
    watch.assert_clean()
    session.context.close()


def test_dutch_on_a_phone(browser, live_server, queue_rows):
    session = admin_session(browser, live_server, "wachtrijen@demo.example.com", PASSWORD, language="nl",
                            locale="nl-NL", viewport={"width": 380, "height": 800})
    page, watch = open_screen(session, live_server, f"/reports?{PERIOD}", wait_ms=WAIT_MS)
    heading = page.get_by_role("heading", name="Wachtrijen en agenten")
    expect(heading).to_be_visible()
    expect(page.get_by_role("heading", name="Per wachtrij")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Gemiddelde afhandeltijd")).to_be_visible()
    expect(page.locator('[data-report="queue"] tfoot th')).to_have_text("Alle wachtrijen")
    # nothing wider than the screen but the tables' own scrolling boxes
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 380
    shots = Screenshots("reports-queues-nl")
    shots(page, "phone")
    heading.scroll_into_view_if_needed()
    shots(page, "phone-queues", full_page=False)
    watch.assert_clean()
    session.context.close()
