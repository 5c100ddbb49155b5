"""The canvas's per-step counts in Chromium (#17 item 4): calls walked through a published plan by the
simulator and stored as call records; the Calls tab's period picker asks for a custom period and the
counts appear on the steps (reached, ended and how), the busiest path outlined and numbered, the table
beside them; last month (no calls) clears them to zero; hiding them; the same in Dutch; screenshots."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, live_server  # noqa: E402,F401  (fixtures)
from tests.web.canvas_support import card, demo_objects, ensure_admin, log_in, new_plan, open_plan  # noqa: E402

pytestmark = pytest.mark.browser
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_serial = itertools.count(1)


def store_calls(database_url: str, plan_id: int, version: int, calls: list[tuple[datetime, list[str], bool]]) -> None:
    """Each call as FreeSWITCH reports it (cp_path's marks, who answered), through the app's own store."""
    from sqlmodel import select

    from web.db import make_engine, session_scope
    from web.domain import call_records
    from web.models import Tenant

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as db:
            tenant_id = db.exec(select(Tenant.id)).first()
            for at, steps, answered in calls:
                facts = call_records.Facts(
                    call_uuid=f"canvas-counts-{next(_serial)}", tenant_id=tenant_id, inbound=True,
                    caller_number="+31612345678", dialled_number="211", started_at=at, ended_at=at + timedelta(minutes=1),
                    plan_id=plan_id, plan_version=version, bridged=answered, answered_candidates=["201"] if answered else [],
                    steps=[{"plan_id": plan_id, "version": version, "step": step} for step in steps])
                call_records.store(db, facts, "cdr")
    finally:
        engine.dispose()


def simulated_calls(session, plan_id: int) -> list[tuple[datetime, list[str], bool]]:
    """Calls of the last days (times for the simulator: office hours, lunch, night), each simulated."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    scenarios = [  # (local clock, answering steps, keys, how many)
        ((10, 0), ["s2"], [], 6),  # the queue answers in office hours
        ((10, 0), [], [], 3),  # nobody in office hours: the group's own forwarding, or on to the voicemail
        ((12, 30), ["s4"], [], 2),  # the group answers at lunch (the queue did not)
        ((21, 0), [], [], 4),  # the evening: voicemail
    ]
    calls = []
    for (hour, minute), answers, keys, n in scenarios:
        for k in range(n):
            # the simulator's clock: a recent weekday at that hour; the record: just before now (this
            # month's counts and the custom period of the last two days both hold it)
            day = (now - timedelta(days=7 + k)).astimezone(AMSTERDAM)
            while day.weekday() >= 5:
                day -= timedelta(days=1)
            at = day.replace(hour=hour, minute=minute, second=0)
            result = session.post(f"/api/plans/{plan_id}/simulate", {"at": at.isoformat(), "answers": answers, "keys": keys,
                                                                     "version": "published"})
            calls.append((now - timedelta(minutes=len(calls) + 1), result["steps"], result["outcome"].startswith("answered")))
    return calls


def test_counts_on_the_canvas_with_the_busiest_path(live_server, browser):
    shot = Screenshots("canvas-counts")
    session = log_in(browser, live_server)
    objects = demo_objects(session)
    box = next(iter(objects["voicemail_boxes"].values()))
    plan_id = new_plan(session, "Counted", numbers=["211"], steps=[
        {"id": "s1", "type": "time_condition", "schedule": objects["schedules"]["Office hours"], "then": [
            {"id": "s2", "type": "queue", "queue": objects["queues"]["Support"], "max_wait_s": 60},
            {"id": "s3", "type": "prefix", "text": "MISSED "},
            {"id": "s4", "type": "ring_group", "group": next(iter(objects["ring_groups"].values()))},
        ]},
        {"id": "s5", "type": "voicemail", "box": box},
    ])
    version = session.post(f"/api/plans/{plan_id}/publish", {})["version"]["version"]
    calls = simulated_calls(session, plan_id)
    store_calls(live_server.database_url, plan_id, version, calls)
    reached = Counter(step for _, steps, _ in calls for step in set(steps))
    ended = Counter(steps[-1] for _, steps, _ in calls)  # a voicemail step ends the calls it reaches
    assert ended["s5"] == reached["s5"] > 0 and ended["s2"] == 6
    paths = Counter(tuple(steps) for _, steps, _ in calls)
    (busiest, busiest_calls), second = paths.most_common(2)
    assert busiest_calls > second[1]

    page = session.context.new_page()
    watch = ConsoleWatch(page)
    open_plan(page, session, plan_id)
    page.get_by_role("tab", name="Calls").click()
    # this month by default; the version in use preselected
    expect(page.locator("#counts-result")).to_be_visible()
    expect(page.locator("#counts-form").get_by_label("Version")).to_have_value(str(version))
    expect(page.locator("#counts-form").get_by_label("Version").locator("option:checked")).to_have_text(f"Version {version} (in use now)")

    # a custom period: the last two days (in the company's zone) hold every call
    today = datetime.now(AMSTERDAM).date()
    page.locator("#counts-form").get_by_label("Period").select_option("custom")
    page.locator("#counts-form").get_by_label("From").fill((today - timedelta(days=1)).isoformat())
    page.locator("#counts-form").get_by_label("To").fill(today.isoformat())
    page.get_by_role("button", name="Show counts").click()
    expect(page.locator("#counts-summary")).to_contain_text(f"{len(calls)} calls entered version {version}")
    for step in ("s1", "s2", "s3", "s4", "s5"):
        expect(page.get_by_test_id(f"count-{step}")).to_contain_text(f"{reached[step]} calls")
    expect(page.get_by_test_id("count-s2")).to_contain_text("6 ended here: 6 answered")
    expect(page.get_by_test_id("count-s5")).to_contain_text(f"{ended['s5']} ended here: {ended['s5']} voicemail")
    lit = page.locator(".step.busiest")
    assert lit.evaluate_all("items => items.map(i => i.dataset.stepId)") == list(busiest)
    assert page.locator(".step.busiest .busy-order").all_inner_texts() == [str(n + 1) for n in range(len(busiest))]
    expect(page.locator("#counts-busiest")).to_contain_text(f"Busiest path: {busiest_calls} calls")
    expect(card(page, "s2")).to_have_attribute("aria-label", re.compile(
        rf"^Queue s2, .*, reached by {reached['s2']} calls, 6 ended here: 6 answered, step 2 of the busiest path$"))
    rows = page.locator("#counts-table tbody tr")
    expect(rows).to_have_count(5)
    assert rows.nth(4).locator("td").all_inner_texts() == [str(ended["s5"]), str(ended["s5"]), "0", str(ended["s5"]), "0", "0"]
    shot(page, "custom-period")

    # the table's step takes the keyboard to its card
    page.locator("#counts-table").get_by_role("button", name="Voicemail s5").click()
    expect(card(page, "s5")).to_be_focused()

    # an edit redraws the plan: the counts stay on the steps
    page.get_by_label("Name of the call plan").fill("Counted calls")
    expect(page.get_by_test_id("count-s1")).to_contain_text(f"{reached['s1']} calls")

    # last month has none of them
    page.get_by_role("tab", name="Calls").click()
    page.locator("#counts-form").get_by_label("Period").select_option("last_month")
    expect(page.locator("#counts-form").get_by_label("From")).to_be_hidden()
    page.get_by_role("button", name="Show counts").click()
    expect(page.locator("#counts-summary")).to_contain_text(f"No calls entered version {version}")
    expect(page.get_by_test_id("count-s1")).to_have_text("0 calls")
    expect(page.locator(".step.busiest")).to_have_count(0)

    # a bad period is said at its field
    page.locator("#counts-form").get_by_label("Period").select_option("custom")
    page.locator("#counts-form").get_by_label("From").fill(today.isoformat())
    page.locator("#counts-form").get_by_label("To").fill((today - timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Show counts").click()
    expect(page.locator("#counts-to-error")).to_be_visible()
    page.get_by_role("button", name="Hide counts").click()
    expect(page.locator(".step-count")).to_have_count(0)
    watch.assert_clean()

    # in Dutch, on a narrow screen
    ensure_admin(live_server.database_url, "counts-nl@demo.example.com", "een lang wachtwoord hier", language="nl")
    dutch = log_in(browser, live_server, locale="nl-NL", email="counts-nl@demo.example.com",
                   password="een lang wachtwoord hier", viewport={"width": 420, "height": 900})
    page = dutch.context.new_page()
    watch = ConsoleWatch(page)
    open_plan(page, dutch, plan_id)
    page.get_by_role("tab", name="Gesprekken").click()
    page.locator("#counts-form").get_by_label("Periode").select_option("custom")
    page.locator("#counts-form").get_by_label("Vanaf").fill((today - timedelta(days=1)).isoformat())
    page.locator("#counts-form").get_by_label("Tot en met").fill(today.isoformat())
    page.get_by_role("button", name="Aantallen tonen").click()
    expect(page.locator("#counts-summary")).to_contain_text(f"{len(calls)} gesprekken kwamen in versie {version}")
    expect(page.get_by_test_id("count-s5")).to_contain_text(f"{ended['s5']} eindigden hier: {ended['s5']} voicemail")
    expect(page.locator("#counts-busiest")).to_contain_text("Drukste pad")
    shot(page, "dutch-narrow")
    watch.assert_clean()
    session.context.close()
    dutch.context.close()
