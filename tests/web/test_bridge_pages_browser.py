"""The pages on the bridge's data in Chromium: /live shows the snapshot and a change pushed through the
bridge's feed without a reload; an agent sets their own status while FreeSWITCH is away ("saved, not
applied yet") and sees the break-limit warning; /calls filters and shows one record's steps in order;
/integrations shows a new webhook's secret once and never again; the Dutch texts; and a user without
permission sees none of the admin links and gets the API's refusal."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.bridge_pages_support import Db, bridge_server, feed  # noqa: E402,F401  (fixtures)
from tests.web.browser_support import browser  # noqa: E402,F401  (fixture)
from tests.web.canvas_support import log_in  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "bridge pages are live"


@pytest.fixture(scope="module")
def db(bridge_server):
    database = Db(bridge_server.database_url)
    try:
        yield database
    finally:
        database.close()


def session_as(browser, server, db, email, role, language="en", pbx_user=None, locale="en-GB"):
    db.account(email, PASSWORD, role, language, pbx_user)
    return log_in(browser, server, email=email, password=PASSWORD, locale=locale)


def now() -> datetime:
    return datetime.now(timezone.utc)


def test_live_page_shows_the_snapshot_and_a_pushed_change(bridge_server, browser, db, feed):
    from web.models.live import ActiveCall, QueueAgent, SipRegistration

    shot = Screenshots("bridge-live")
    tenant = db.tenant_id()
    daan, eva = db.user("Daan"), db.user("Eva")
    db.add(
        ActiveCall(tenant_id=tenant, call_uuid=str(uuid.uuid4()), direction="inbound", caller_number="+31612340001",
                   caller_name="Mr. Snapshot", dialled_number="+31201234569", state="queued",
                   started_at=now() - timedelta(seconds=75), step="s2"),
        SipRegistration(tenant_id=tenant, call_id=f"{uuid.uuid4()}@phone", sip_user=daan.extension, realm="demo.pbx.test",
                        user_id=daan.id, contact=f"sip:{daan.extension}@192.0.2.10:5060", network_ip="192.0.2.10",
                        network_port=5060, user_agent="Yealink SIP-T54W 96.86", expires_at=now() + timedelta(minutes=30),
                        registered_at=now()),
        QueueAgent(tenant_id=tenant, user_id=daan.id, status="Available", state="Waiting", phone_registered=True,
                   status_changed_at=now()),
        QueueAgent(tenant_id=tenant, user_id=eva.id, status="On Break", state="Idle", phone_registered=False,
                   status_changed_at=now()),
    )
    session = session_as(browser, bridge_server, db, "live-admin@demo.example.com", "admin")
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(bridge_server.url("/live"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Live")
    expect(page.get_by_role("link", name="Live")).to_have_attribute("aria-current", "page")
    for name in ("Call records", "Integrations"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()

    # the snapshot: the call with its ticking duration and step, the phone, the agents, the bridge
    calls = page.locator("#calls-body")
    expect(calls.locator("tr")).to_have_count(1)
    expect(calls).to_contain_text("+31612340001")
    expect(calls).to_contain_text("Mr. Snapshot")
    expect(calls).to_contain_text("In queue")
    expect(calls).to_contain_text("s2")
    ticker = calls.locator("time.ticking")
    expect(ticker).to_have_text(re.compile(r"^1:\d\d$"))
    first = ticker.text_content()
    expect(ticker).not_to_have_text(first, timeout=15_000)  # it counts (a wait for the change, not a measure)
    regs = page.locator("#regs-body")
    expect(regs).to_contain_text("Yealink SIP-T54W 96.86")
    expect(regs).to_contain_text(f"sip:{daan.extension}@192.0.2.10:5060")
    agents = page.locator("#agents-body")
    expect(agents.locator(f'[data-agent-row="{daan.id}"]')).to_contain_text("Available")
    expect(agents.locator(f'[data-agent-row="{eva.id}"]')).to_contain_text("On break")
    expect(page.locator("#bridge-health")).to_have_text("Down")  # no bridge runs in this test
    expect(page.locator("#blocked-panel")).to_be_visible()  # the admin sees blocks
    shot(page, "snapshot")

    # a change from the bridge appears without a reload; an ended call goes
    feed.wait_for_client()
    page.wait_for_timeout(300)  # the websocket subscribes before it sends its snapshot; give the feed a moment
    pushed = str(uuid.uuid4())
    feed.publish(tenant, "call", {"call_uuid": pushed, "direction": "inbound", "caller_number": "+31612349999",
                                  "caller_name": "Ms. Pushed", "dialled_number": "+31201234567", "state": "ringing",
                                  "started_at": now().isoformat(), "answered_at": None, "plan_id": None, "step": "s1",
                                  "user_id": None})
    feed.publish(tenant, "agent", {"user_id": eva.id, "status": "Available", "state": "Waiting",
                                   "phone_registered": True, "offered": True, "status_changed_at": now().isoformat()})
    feed.publish(tenant + 1000, "call", {"call_uuid": str(uuid.uuid4()), "caller_number": "+31600000000",
                                         "state": "ringing", "started_at": now().isoformat()})  # another tenant's
    expect(calls.locator(f'[data-call="{pushed}"]')).to_contain_text("Ms. Pushed")
    expect(calls.locator(f'[data-call="{pushed}"]')).to_contain_text("Ringing")
    expect(agents.locator(f'[data-agent-row="{eva.id}"]')).to_contain_text("Available")
    expect(calls.locator("tr")).to_have_count(2)
    shot(page, "pushed")
    feed.publish(tenant, "call_ended", {"call_uuid": pushed, "record_id": None})
    expect(calls.locator(f'[data-call="{pushed}"]')).to_have_count(0)
    expect(calls).not_to_contain_text("+31600000000")
    watch.assert_clean()
    session.context.close()


def test_agent_sets_own_status_saved_not_applied_with_the_break_warning(bridge_server, browser, db):
    from sqlmodel import select

    from web.models.company import CompanySettings

    tenant = db.tenant_id()
    with db.session() as session_db:
        settings = session_db.exec(select(CompanySettings).where(CompanySettings.tenant_id == tenant)).first() \
            or CompanySettings(tenant_id=tenant)
        settings.max_agents_on_break = 0
        session_db.add(settings)
    shot = Screenshots("bridge-agent")
    session = session_as(browser, bridge_server, db, "agent-finn@demo.example.com", "agent", pbx_user="Daan")
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(bridge_server.url("/"))
    expect(page.get_by_role("link", name="Live")).to_be_visible()
    expect(page.get_by_role("link", name="Call records")).to_be_hidden()
    expect(page.get_by_role("link", name="Integrations")).to_be_hidden()
    page.get_by_role("link", name="Live").click()
    page.wait_for_selector("body[data-ready=true]")
    panel = page.locator("#me-panel")
    expect(panel).to_be_visible()
    expect(page.locator("#blocked-panel")).to_be_hidden()  # not for agents
    page.get_by_role("button", name="On break").click()
    # FreeSWITCH does not answer: the choice is kept and the page says so
    expect(page.locator("#me-result")).to_have_text(re.compile(r"^Saved, not applied yet"))
    expect(page.locator("#me-status")).to_have_text("On break")
    expect(page.get_by_role("button", name="On break")).to_have_attribute("aria-pressed", "true")
    # the API's break-limit warning (Eva is on break too; the company allows none)
    expect(page.locator("#me-warning")).to_have_text(re.compile(r"^2 agents are now on break, more than the 0"))
    shot(page, "on-break")
    page.get_by_role("button", name="Available").click()
    expect(page.locator("#me-status")).to_have_text("Available")
    expect(page.locator("#me-warning")).to_have_text("")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#me-status")).to_have_text("Available")  # stored
    watch.assert_clean()
    session.context.close()


def test_call_records_filter_detail_steps_and_csv_link(bridge_server, browser, db):
    from sqlmodel import select

    from web.models.call_plan import CallPlanRecord, CallPlanVersion
    from web.models.call_record import CallRecord

    tenant = db.tenant_id()
    with db.session() as session_db:
        plan = session_db.exec(select(CallPlanRecord).where(CallPlanRecord.name == "Reception")).one()
        version = session_db.exec(select(CallPlanVersion).where(CallPlanVersion.plan_id == plan.id)).first()
        plan_id, plan_version = plan.id, version.version
    start = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    db.add(
        CallRecord(tenant_id=tenant, call_uuid=str(uuid.uuid4()), direction="inbound", caller_number="+31612345001",
                   caller_name="Missed Caller", dialled_number="+31201234567", callee_number="", started_at=start,
                   ended_at=start + timedelta(seconds=40), duration_seconds=40, hangup_cause="NO_ANSWER",
                   call_type="national", missed=True, plan_id=plan_id, plan_version=plan_version,
                   steps=["s1", "s2", "s3", "s4"], sources=["cdr"]),
        CallRecord(tenant_id=tenant, call_uuid=str(uuid.uuid4()), direction="outbound", caller_number="201",
                   caller_name="Anna", caller_device="k3xq9zt7", dialled_number="0612345678", callee_number="0612345678",
                   started_at=start + timedelta(minutes=5), answered_at=start + timedelta(minutes=5, seconds=4),
                   ended_at=start + timedelta(minutes=6, seconds=9), duration_seconds=65, billed_seconds=61,
                   hangup_cause="NORMAL_CLEARING", call_type="mobile", sources=["cdr"]),
    )
    shot = Screenshots("bridge-calls")
    session = session_as(browser, bridge_server, db, "calls-admin@demo.example.com", "admin")
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(bridge_server.url("/calls"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Call records")
    rows = page.locator("#records tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#records .list-count")).to_have_text("1–2 of 2")
    shot(page, "all")

    page.get_by_label("Missed", exact=True).select_option("true")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("+31612345001")
    expect(page.locator("#records .list-count")).to_have_text("1–1 of 1")
    query = parse_qs(urlsplit(page.locator("#csv-link").get_attribute("href")).query)
    assert urlsplit(page.locator("#csv-link").get_attribute("href")).path == "/api/call-records.csv"
    assert query == {"missed": ["true"]}
    csv = session.call("GET", page.locator("#csv-link").get_attribute("href"), expect=200)
    assert "+31612345001" in csv and "0612345678" not in csv

    page.get_by_label("Number").fill("0612345")
    page.get_by_label("Missed", exact=True).select_option("")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Mobile")
    page.get_by_role("button", name="Clear filters").click()
    expect(rows).to_have_count(2)

    # one record: the steps its call took, in order, named from the plan version
    page.locator("#records tbody tr", has_text="+31612345001").get_by_role("button", name=re.compile("^Details")).click()
    detail = page.locator("#detail")
    expect(detail).to_be_visible()
    expect(detail).to_contain_text("Not answered")
    expect(detail).to_contain_text("NO_ANSWER")
    steps = page.locator("#detail-steps li")
    expect(steps).to_have_count(4)
    assert steps.evaluate_all("items => items.map(item => item.dataset.step)") == ["s1", "s2", "s3", "s4"]
    expect(steps.nth(1)).to_contain_text("queue")
    shot(page, "detail")

    # the filters are in the address: a reload (or a shared link) shows the same records
    page.goto(bridge_server.url("/calls?missed=true&from=2026-11-20&to=2026-11-20"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.get_by_label("Missed", exact=True)).to_have_value("true")
    expect(page.get_by_label("From")).to_have_value("2026-11-20")
    expect(rows).to_have_count(1)

    # a phone's call names the extension; the phone (its SIP username) is a detail (#16 item 4)
    page.goto(bridge_server.url("/calls"))
    page.wait_for_selector("body[data-ready=true]")
    page.locator("#records tbody tr", has_text="0612345678").get_by_role("button", name=re.compile("^Details")).click()
    expect(page.locator("#detail")).to_contain_text("201 · Anna", timeout=15000)
    expect(page.locator("#detail")).to_contain_text("Caller's phone (SIP username)k3xq9zt7")
    watch.assert_clean()
    session.context.close()


def test_webhook_secret_shown_once_test_delivery_and_rates(bridge_server, browser, db):
    shot = Screenshots("bridge-integrations")
    session = session_as(browser, bridge_server, db, "hooks-admin@demo.example.com", "admin")
    session.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=bridge_server.base_url)
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(bridge_server.url("/integrations"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Integrations")

    form = page.locator("#hook-form")
    form.get_by_label("URL").fill("https://crm.example.com/hooks/pbx")
    form.get_by_label("Description").fill("CRM")
    form.get_by_role("button", name="Create webhook").click()
    expect(form.locator("[role=alert]")).not_to_be_empty()  # no event chosen: the API says so
    form.get_by_label("Missed call").check()
    form.get_by_label("Call ended").check()
    form.get_by_role("button", name="Create webhook").click()
    box = page.locator("#secret-box")
    expect(box).to_be_visible()
    secret = page.locator("#secret-value").input_value()
    assert secret.startswith("whsec_") and len(secret) > 30
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#secret-copied")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    expect(page.locator("#hooks-body")).to_contain_text("https://crm.example.com/hooks/pbx")
    shot(page, "secret-once")

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#secret-box")).to_be_hidden()
    assert secret not in page.content()
    assert secret not in str(session.get("/api/webhooks"))

    # send a test: it is in the delivery log, with no tries yet (no bridge runs here)
    row = page.locator("#hooks-body tr", has_text="crm.example.com")
    row.get_by_role("button", name="Send a test to CRM").click()
    deliveries = page.locator("#deliveries tbody tr")
    expect(deliveries).to_have_count(1)
    expect(deliveries.first).to_contain_text("Test")
    expect(deliveries.first).to_contain_text("Pending")
    deliveries.first.get_by_role("button", name=re.compile("^Details")).click()
    expect(page.locator("#delivery-detail")).to_be_visible()
    expect(page.locator("#attempts-none")).to_be_visible()
    expect(page.locator("#delivery-payload")).to_contain_text("This is a test delivery.")
    deliveries.first.get_by_role("button", name=re.compile("^Send delivery")).click()
    expect(page.locator("#page-status")).to_contain_text("is sent again")

    # rotate: a new secret, shown once
    row.get_by_role("button", name="New secret for CRM").click()
    row.get_by_role("button", name=re.compile("sure")).click()
    expect(page.locator("#secret-box")).to_be_visible()
    rotated = page.locator("#secret-value").input_value()
    assert rotated.startswith("whsec_") and rotated != secret

    # call rates: a prefix rate; a rate with a prefix and a type is refused at the field
    rates = page.locator("#rate-form")
    rates.get_by_label("Prefix").fill("+316")
    rates.get_by_label("Per minute").fill("0,12")
    rates.get_by_role("button", name="Add rate").click()
    expect(page.locator("#rates-body tr")).to_have_count(1)
    expect(page.locator("#rates-body")).to_contain_text("+316")
    expect(page.locator("#rates-body")).to_contain_text("0.12 EUR")
    rates.get_by_label("Prefix").fill("+3120")
    rates.get_by_label("or call type").select_option("national")
    rates.get_by_label("Per minute").fill("0.05")
    rates.get_by_role("button", name="Add rate").click()
    expect(page.locator("#rate-type")).to_have_attribute("aria-invalid", "true")
    page.locator("#rates-body tr").first.get_by_role("button", name="Edit +316").click()
    rates.get_by_label("Per minute").fill("0.15")
    rates.get_by_role("button", name="Save changes").click()
    expect(page.locator("#rates-body")).to_contain_text("0.15 EUR")
    shot(page, "rates")
    watch.assert_clean()
    session.context.close()


def test_dutch_call_records_page(bridge_server, browser, db):
    shot = Screenshots("bridge-dutch")
    session = session_as(browser, bridge_server, db, "nl-admin@demo.example.com", "admin", language="nl", locale="nl-NL")
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(bridge_server.url("/calls"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Gesprekken")
    expect(page).to_have_title("Gesprekken · Callplan PBX")
    expect(page.get_by_role("link", name="Koppelingen")).to_be_visible()
    expect(page.get_by_role("button", name="Filters wissen")).to_be_visible()
    expect(page.get_by_role("link", name="CSV downloaden")).to_be_visible()
    expect(page.locator("#f-type")).to_contain_text("Mobiel")
    shot(page, "calls")
    page.goto(bridge_server.url("/live"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.get_by_role("heading", name="Lopende gesprekken")).to_be_visible()
    expect(page.locator("#bridge-health")).to_have_text("Buiten werking")
    watch.assert_clean()
    session.context.close()


def test_user_without_permission_sees_no_admin_links_and_the_refusal(bridge_server, browser, db):
    shot = Screenshots("bridge-refused")
    session = session_as(browser, bridge_server, db, "plain-user@demo.example.com", "user")
    page = session.context.new_page()
    page.goto(bridge_server.url("/"))
    expect(page.get_by_role("link", name="Home")).to_be_visible()
    for name in ("Live", "Call records", "Integrations"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_hidden()
    for path in ("/integrations", "/calls", "/live"):
        page.goto(bridge_server.url(path))
        page.wait_for_selector("body[data-ready=true]")
        expect(page.locator("#page-alert")).to_have_text("You are not allowed to do this.")
        shot(page, path.strip("/"))
    expect(page.locator("#me-panel")).to_be_hidden()
    session.context.close()


def test_click_to_dial_beside_numbers_for_a_user_with_a_phone(bridge_server, browser, db):
    from web.models.call_record import CallRecord

    start = datetime(2026, 11, 21, 8, 0, tzinfo=timezone.utc)
    db.add(CallRecord(tenant_id=db.tenant_id(), call_uuid=str(uuid.uuid4()), direction="inbound",
                      caller_number="+31612345777", dialled_number="+31201234567", started_at=start,
                      ended_at=start + timedelta(seconds=20), duration_seconds=20, call_type="national", missed=True,
                      sources=["cdr"]))
    # an admin without a phone of their own: no call buttons
    session = session_as(browser, bridge_server, db, "calls-admin@demo.example.com", "admin")
    page = session.context.new_page()
    page.goto(bridge_server.url("/calls?number=345777"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#records tbody tr")).to_have_count(1)
    expect(page.locator("[data-dial]")).to_have_count(0)
    session.context.close()

    # one linked to Bram's phone: a call button; FreeSWITCH is away, and the API's refusal is shown
    session = session_as(browser, bridge_server, db, "dial-admin@demo.example.com", "admin", pbx_user="Bram")
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(bridge_server.url("/calls?number=345777"))
    page.wait_for_selector("body[data-ready=true]")
    page.get_by_role("button", name="Call +31612345777 from my phone").click()
    expect(page.locator("#page-alert")).to_have_text("The telephone system cannot be reached right now. Try again in a moment.")
    Screenshots("bridge-dial")(page, "refused")
    watch.assert_clean()
    session.context.close()


def test_operator_sees_blocks_of_every_tenant_as_they_happen_and_lifts_one(bridge_server, browser, db, feed):
    from web.models.live import BlockedAddress

    tenant = db.tenant_id()
    [block_id] = db.add(BlockedAddress(tenant_id=tenant, address="198.51.100.7", failures=12, last_user="201@demo.pbx.test",
                                       blocked_at=now(), expires_at=now() + timedelta(hours=1)))
    session = session_as(browser, bridge_server, db, "operator-two@example.com", "operator")
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(bridge_server.url("/live"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.get_by_role("link", name="Call records")).to_be_hidden()
    expect(page.locator("#calls-panel")).to_be_hidden()  # calls are the tenants' own
    expect(page.locator("#bridge-health")).to_have_text("Down")
    blocks = page.locator("#blocked-body")
    expect(blocks.locator(f'[data-block="{block_id}"]')).to_contain_text("Demo Company")
    # a new block arrives over the blocks websocket
    feed.wait_for_client()
    page.wait_for_timeout(300)
    feed.publish(tenant, "blocked", {"id": block_id + 1000, "address": "203.0.113.9", "tenant_id": tenant, "failures": 10,
                                     "last_user": "202@demo.pbx.test", "blocked_at": now().isoformat(),
                                     "expires_at": None, "lifted_at": None})
    expect(blocks).to_contain_text("203.0.113.9")
    expect(blocks.locator(f'[data-block="{block_id + 1000}"]')).to_contain_text("Until lifted")
    # lifting asks once more, then the API lifts it
    blocks.get_by_role("button", name="Lift the block of 198.51.100.7").click()
    blocks.get_by_role("button", name="Really lift 198.51.100.7?").click()
    expect(blocks.locator(f'[data-block="{block_id}"]')).to_have_count(0)
    expect(page.locator("#page-status")).to_have_text("The block of 198.51.100.7 is lifted.")
    assert session.get("/api/blocked-addresses")[-1]["active"] is False
    Screenshots("bridge-operator")(page, "blocks")
    watch.assert_clean()
    session.context.close()


def test_an_admin_lifts_the_companys_block_and_is_told_the_platform_still_blocks_it(bridge_server, browser, db, feed):
    from web.models import Tenant
    from web.models.live import BlockedAddress

    tenant = db.tenant_id()
    # (a domain after the demo's: Db.tenant_id() answers the first)
    [other] = db.add(Tenant(name="Another company", sip_domain="zz-another.pbx.test"))
    [mine, _] = db.add(*(BlockedAddress(tenant_id=owner, address="198.51.100.66", failures=6, last_user="201@x",
                                        blocked_at=now(), expires_at=now() + timedelta(hours=1)) for owner in (tenant, other)))
    session = session_as(browser, bridge_server, db, "blocks-admin@demo.example.com", "admin")
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(bridge_server.url("/live"))
    page.wait_for_selector("body[data-ready=true]")
    blocks = page.locator("#blocked-body")
    expect(blocks.locator(f'[data-block="{mine}"]')).to_contain_text("198.51.100.66")
    expect(blocks).not_to_contain_text("Another company")  # the other company's block is not shown
    feed.wait_for_client()  # the blocks websocket's first message redraws the table: lift after it
    page.wait_for_timeout(300)
    blocks.get_by_role("button", name="Lift the block of 198.51.100.66").click()
    blocks.get_by_role("button", name="Really lift 198.51.100.66?").click()
    expect(blocks.locator(f'[data-block="{mine}"]')).to_have_count(0)
    expect(page.locator("#page-status")).to_contain_text("the platform still blocks the address")
    Screenshots("bridge-admin-lift")(page, "still-blocked")
    watch.assert_clean()
    session.context.close()
