"""Call recordings in Chromium (#18 item 1), on the demo company: /recordings lists what the login may hear,
plays one in the shared player and deletes one, all with the keyboard; a call's recording in its detail on
/calls (opened from the recording's link); the settings on the company, user and queue forms sent as the
API takes them; Dutch on a 380 px screen. The recordings are WAV files in the server's recordings folder
with the rows the bridge makes for them (tests/web/recording_support.py)."""

from __future__ import annotations

import re
import tempfile
import uuid as uuids
from datetime import timedelta

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, running_server  # noqa: E402,F401  (fixtures)
from tests.web.canvas_support import demo_objects, ensure_admin, log_in  # noqa: E402

pytestmark = pytest.mark.browser

WAIT = 20_000


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory(prefix="callplan-recordings-") as path:
        yield path


@pytest.fixture(scope="module")
def live_server(folder):
    with running_server(CALLPLAN_RECORDINGS_DIR=folder) as server:
        yield server


def recorded_call(server, folder, *, caller: str, dialled: str, seconds: float, reason: str = "user",
                  minutes_ago: int = 5) -> tuple[int, int]:
    """A call record of the demo company and its recording (file and row, as the bridge stores them)."""
    from sqlmodel import select

    from tests.conftest import fast_settings
    from tests.web.recording_support import recorded
    from web import clock
    from web.db import make_engine, session_scope
    from web.domain import audit
    from web.models import Tenant
    from web.models.call_record import CallRecord

    engine = make_engine(server.database_url)
    try:
        started = clock.now() - timedelta(minutes=minutes_ago)
        with session_scope(engine, audit.SYSTEM) as db:
            tenant = db.exec(select(Tenant)).first().id
            record = CallRecord(tenant_id=tenant, call_uuid=str(uuids.uuid4()), direction="inbound", caller_number=caller,
                                dialled_number=dialled, started_at=started, answered_at=started + timedelta(seconds=3),
                                ended_at=started + timedelta(seconds=3 + seconds), duration_seconds=int(3 + seconds),
                                billed_seconds=int(seconds), sources=["cdr"])
            db.add(record)
            db.flush()
            record_id, call_uuid = record.id, record.call_uuid
        settings = fast_settings(server.database_url, recordings_dir=folder)

        def opened():
            return session_scope(engine, audit.SYSTEM)

        recording = recorded(opened, settings, tenant, seconds=seconds, reason=reason, call_uuid=call_uuid,
                             at=started + timedelta(seconds=3))
        return record_id, recording
    finally:
        engine.dispose()


def open_page(session, server, path):
    page = session.context.new_page()
    page.set_default_timeout(WAIT)
    watch = ConsoleWatch(page)
    page.goto(server.url(path))
    page.wait_for_selector("body[data-ready=true]")
    assert "ui." not in page.locator("main").inner_text(), "a text key shown instead of its text"
    return page, watch


def test_listen_delete_and_the_call_detail_with_the_keyboard(live_server, browser, folder):
    shot = Screenshots("recordings")
    kept_record, kept = recorded_call(live_server, folder, caller="+31612345678", dialled="+31201234500", seconds=6,
                                      reason="queue", minutes_ago=20)
    _, gone = recorded_call(live_server, folder, caller="201", dialled="0612345678", seconds=4, reason="step", minutes_ago=10)
    session = log_in(browser, live_server, email="recordings-admin@demo.example.com")
    page, watch = open_page(session, live_server, "/recordings")
    expect(page.get_by_role("heading", level=1)).to_have_text("Call recordings")
    expect(page.get_by_role("navigation", name="Main menu").locator("[aria-current=page]")).to_have_text("Call recordings")
    rows = page.locator("#recordings-list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#recordings-summary")).to_have_text("2 recordings, 0:10 in all.")
    expect(rows.first).to_contain_text("201 → 0612345678")  # newest first
    expect(rows.first).to_contain_text("the call plan")
    expect(rows.nth(1)).to_contain_text("the queue")

    # play with the keyboard: the shared player shows above the list and loads the WAV
    play = page.get_by_role("button", name=re.compile(r"^Play recording of \+31612345678 → \+31201234500"))
    play.focus()
    with page.expect_response(lambda r: f"/api/recordings/{kept}/audio" in r.url) as audio:
        page.keyboard.press("Enter")
    assert audio.value.status in (200, 206) and audio.value.headers["content-type"] == "audio/wav"
    player = page.locator(".now-playing")
    expect(player).to_be_visible()
    expect(player.locator(".now-playing-title")).to_contain_text("+31612345678 → +31201234500")
    download = page.get_by_role("link", name=re.compile(r"^Download recording of \+31612345678"))
    expect(download).to_have_attribute("href", f"/api/recordings/{kept}/audio?download=1")
    shot(page, "list-playing")

    # delete the other one with the keyboard: the question, then the row is gone
    page.get_by_role("button", name=re.compile(r"^Delete recording of 201 → 0612345678")).focus()
    page.keyboard.press("Enter")
    question = page.get_by_role("alertdialog")
    expect(question).to_be_visible()
    shot(page, "delete-question", full_page=False)
    question.get_by_role("button", name="Delete").focus()
    with page.expect_response(lambda r: r.request.method == "DELETE" and r.url.endswith(f"/api/recordings/{gone}")) as sent:
        page.keyboard.press("Enter")
    assert sent.value.status == 204
    expect(rows).to_have_count(1)

    # the recording's call: its record's detail on /calls, with the recording to play there
    link = page.get_by_role("link", name="Call record of +31612345678 → +31201234500")
    expect(link).to_have_attribute("href", f"/calls?record={kept_record}")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/calls"))
    page.wait_for_selector("body[data-ready=true]")
    detail = page.locator("#detail")
    expect(detail).to_be_visible()
    item = detail.locator(f"[data-recording='{kept}']")
    expect(item).to_contain_text("the queue")
    item.get_by_role("button", name=re.compile("^Play Recording of")).click()
    expect(detail.locator(".now-playing")).to_be_visible()
    shot(page, "call-detail")
    watch.assert_clean()


def test_the_settings_on_the_company_user_and_queue_forms(live_server, browser):
    shot = Screenshots("recordings-settings")
    session = log_in(browser, live_server, email="recordings-admin@demo.example.com")
    page, watch = open_page(session, live_server, "/company")
    section = page.locator("#company-recording")
    expect(section.get_by_role("heading", level=2)).to_have_text("Call recording")
    section.get_by_label("Keep recordings for (days)").fill("0")
    with page.expect_response(lambda r: r.request.method == "PATCH" and r.url.endswith("/api/company")) as answer:
        page.get_by_role("button", name="Save").click()
    assert answer.value.status == 422
    expect(section.get_by_label("Keep recordings for (days)")).to_have_attribute("aria-invalid", "true")
    section.get_by_label("Keep recordings for (days)").fill("90")
    section.get_by_label("The reports role may listen to recordings").check()
    with page.expect_request(lambda r: r.method == "PATCH" and r.url.endswith("/api/company")) as sent:
        page.get_by_role("button", name="Save").click()
    assert sent.value.post_data_json == {"recording_retention_days": 90, "recordings_for_reports": True}
    expect(page.locator(".toast").last).to_be_visible()
    section.scroll_into_view_if_needed()
    shot(page, "company", full_page=False)

    # a user: every call recorded
    users = session.get("/api/users")
    user = users[0]
    page.goto(live_server.url(f"/users/{user['id']}"))
    page.wait_for_selector("body[data-ready=true]")
    choice = page.get_by_label("Record calls")
    choice.select_option(label="Every call")
    with page.expect_request(lambda r: r.method == "PATCH" and r.url.endswith(f"/api/users/{user['id']}")) as sent:
        page.get_by_role("button", name="Save").first.click()
    assert sent.value.post_data_json == {"recording": "always"}
    shot(page, "user", full_page=False)

    # a queue: its calls recorded
    queue = next(iter(demo_objects(session)["queues"].values()))
    page.goto(live_server.url("/queues"))
    page.wait_for_selector("body[data-ready=true]")
    page.locator(".list-table tbody tr").first.get_by_role("button", name=re.compile("^Edit")).click()
    sheet = page.get_by_role("dialog")
    sheet.get_by_label("Record the queue's calls").check()
    with page.expect_request(lambda r: r.method == "PATCH" and r.url.endswith(f"/api/queues/{queue}")) as sent:
        sheet.get_by_role("button", name="Save").click()
    assert sent.value.post_data_json.get("record_calls") is True
    shot(page, "queue", full_page=False)
    assert session.get(f"/api/queues/{queue}")["record_calls"] is True
    watch.assert_clean()


def test_dutch_on_a_narrow_screen(live_server, browser, folder):
    shot = Screenshots("recordings")
    recorded_call(live_server, folder, caller="+32470123456", dialled="+31201234501", seconds=5, reason="demand")
    ensure_admin(live_server.database_url, "recordings-nl@demo.example.com", language="nl")
    session = log_in(browser, live_server, email="recordings-nl@demo.example.com", locale="nl-NL",
                     viewport={"width": 380, "height": 800})
    page, watch = open_page(session, live_server, "/recordings")
    expect(page.get_by_role("heading", level=1)).to_have_text("Gespreksopnamen")
    row = page.locator("#recordings-list tbody tr", has_text="+32470123456")
    expect(row).to_contain_text("de opnamecode")
    row.get_by_role("button", name=re.compile("afspelen$")).focus()
    page.keyboard.press("Enter")
    expect(page.locator(".now-playing")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 380 + 1
    shot(page, "dutch-narrow")
    watch.assert_clean()
