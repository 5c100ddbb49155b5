"""The agent panel (#15 items 3 and 4) in Chromium, on the demo company: an agent logs in to the queues
by keyboard; a queue call offered to them appears without a reload through the live websocket (the
bridge's feed is a stand-in here, the rows are what the bridge writes), then bridged, with caller,
number dialled, queue, waiting time and the plan steps; a transfer to a number with a bad value is
refused beside the field, a transfer to a colleague sends FreeSWITCH the exact command (a test ESL
server answers); when the call ends its outcome form opens with the company's default status, and the
outcome, note and call-back time are stored on the call record; the call back shows as a task when due.
An admin keeps the call statuses (refusals beside the field) and opens an agent's panel and the view per
queue. Dutch on a narrow screen. Screenshots in test-artifacts/agent-panel-*.png."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.conftest import free_port  # noqa: E402
from tests.fs_bridge.agents_rig import Answers  # noqa: E402
from tests.fs_bridge.esl_server import EslServer  # noqa: E402
from tests.web.bridge_pages_support import Db, feed  # noqa: E402,F401  (fixtures)
from tests.web.browser_support import browser, running_server  # noqa: E402,F401  (fixture)
from tests.web.canvas_support import log_in  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "the agent panel is live"
ESL_PASSWORD = "panel-esl"
DOMAIN = "demo.pbx.localhost"


class SwitchAnswers(Answers):
    def get(self, key, default=None):
        if key.startswith(("uuid_transfer", "uuid_kill", "uuid_hold", "uuid_broadcast")):
            return "+OK\n"
        return super().get(key, default)


@pytest.fixture(scope="module")
def switch():
    server = EslServer(password=ESL_PASSWORD, api_answers=SwitchAnswers())
    yield server
    server.close()


@pytest.fixture(scope="module")
def server(feed, switch):
    with running_server("callplan-agent-panel-", CALLPLAN_BRIDGE_FEED_HOST="127.0.0.1",
                        CALLPLAN_BRIDGE_FEED_PORT=str(feed.port), CALLPLAN_ESL_HOST="127.0.0.1",
                        CALLPLAN_ESL_PORT=str(switch.port), CALLPLAN_ESL_PASSWORD=ESL_PASSWORD) as running:
        yield running


@pytest.fixture(scope="module")
def db(server):
    database = Db(server.database_url)
    try:
        yield database
    finally:
        database.close()


def now() -> datetime:
    return datetime.now(timezone.utc)


def session_as(browser, server, db, email, role, language="en", pbx_user=None, locale="en-GB", viewport=None):
    db.account(email, PASSWORD, role, language, pbx_user)
    return log_in(browser, server, email=email, password=PASSWORD, locale=locale, viewport=viewport)


def call_commands(switch) -> list[str]:
    return [c[4:] for c in switch.commands if c.startswith("api uuid_")]


def set_agent(db, user_id, **values) -> None:
    from sqlmodel import select

    from web.models.live import QueueAgent

    with db.session() as session:
        row = session.exec(select(QueueAgent).where(QueueAgent.user_id == user_id)).one()
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)


def update_call(db, call_uuid, **values) -> None:
    from sqlmodel import select

    from web.models.live import ActiveCall

    with db.session() as session:
        row = session.exec(select(ActiveCall).where(ActiveCall.call_uuid == call_uuid)).one()
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)


def test_an_agent_takes_a_live_call_transfers_it_and_describes_it(server, browser, db, feed, switch):
    from sqlmodel import select

    from web.models.agent_panel import AgentTask, CallStatus
    from web.models.call_record import CallRecord
    from web.models.live import ActiveCall
    from web.models.queue import CallQueue

    shot = Screenshots("agent-panel")
    tenant = db.tenant_id()
    daan, eva = db.user("Daan"), db.user("Eva")
    with db.session() as session:
        support = session.exec(select(CallQueue).where(CallQueue.name == "Support")).one().id
    db.add(CallStatus(tenant_id=tenant, name="Helped", default_for="inbound"),
           CallStatus(tenant_id=tenant, name="Call back later", asks_callback=True))
    session = session_as(browser, server, db, "daan.agent@demo.example.com", "agent", pbx_user="Daan")
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(server.url("/agent"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Agent panel")
    expect(page.get_by_role("link", name="Agent panel")).to_have_attribute("aria-current", "page")
    expect(page.locator("#agent-status")).to_have_text("Logged out")
    expect(page.locator("#queue-list")).to_contain_text("Support")
    expect(page.locator("#no-call")).to_be_visible()
    expect(page.locator(f'[data-tile="{eva.id}"]')).to_contain_text("Eva Smit")
    expect(page.locator('[data-stat="answered"] dd')).to_have_text("0")

    # log in to the queues by keyboard: FreeSWITCH (the test switch) takes it
    log_in_button = page.get_by_role("button", name="Log in")
    log_in_button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#agent-status")).to_have_text("Available")
    expect(log_in_button).to_have_attribute("aria-pressed", "true")
    assert f"api callcenter_config agent set status u{daan.id}@{DOMAIN} 'Logged Out'" in switch.commands  # no phone yet: held

    # a queue call is offered to Daan: it appears without a reload
    feed.wait_for_client()
    page.wait_for_timeout(300)
    call = str(uuid.uuid4())
    started = now() - timedelta(seconds=42)
    db.add(ActiveCall(tenant_id=tenant, call_uuid=call, direction="inbound", caller_number="+31612345678",
                      caller_name="Ms. Customer", dialled_number="+31201234569", state="queued", started_at=started,
                      answered_at=started + timedelta(seconds=1), step="queue-support", steps=["opening-hours", "menu", "queue-support"],
                      queue_id=support))
    set_agent(db, daan.id, call_uuid=call, agent_uuid="")
    feed.publish(tenant, "agent", {"user_id": daan.id, "status": "Available", "state": "Receiving", "phone_registered": True,
                                   "offered": True, "call": {"action": "agent-offering", "call_uuid": call, "queue": f"q{support}@{DOMAIN}",
                                                             "caller_number": "+31612345678", "caller_name": "Ms. Customer"}})
    card = page.locator("#call-card")
    expect(card).to_be_visible()
    expect(page.locator("#call-state")).to_have_text("Ringing for you")
    for text in ("+31612345678", "Ms. Customer", "+31201234569", "Support", "opening-hours", "menu", "queue-support"):
        expect(card).to_contain_text(text)
    expect(card.locator("time.ticking").first).to_have_text(re.compile(r"^0:4\d$"))
    shot(page, "offered")

    # Daan picks up: the bridge says so
    agent_leg = str(uuid.uuid4())
    update_call(db, call, state="answered", bridged_at=now(), user_id=daan.id)
    set_agent(db, daan.id, agent_uuid=agent_leg, state="In a queue call")
    feed.publish(tenant, "call", {"call_uuid": call, "state": "answered", "user_id": daan.id, "bridged_at": now().isoformat()})
    expect(page.locator("#call-state")).to_have_text("On the call")
    expect(card).to_contain_text("Talking for")

    # hold by keyboard, then a transfer to a bad number refused beside the field, then to Eva
    hold = page.locator("#hold-button")
    hold.focus()
    page.keyboard.press("Enter")
    expect(hold).to_have_attribute("aria-pressed", "true")
    expect(hold).to_have_text("Resume")
    form = page.locator("#transfer-form")
    form.get_by_label("A number").check()
    form.get_by_label("Number", exact=True).fill("12; ls")
    form.get_by_role("button", name="Transfer").click()
    expect(form.locator("#transfer-number-error")).to_be_visible()
    expect(form.get_by_label("Number", exact=True)).to_have_attribute("aria-invalid", "true")
    shot(page, "transfer-refused")
    form.get_by_label("A user").check()
    form.get_by_label("User", exact=True).select_option(label=f"Eva Smit ({eva.extension})")
    form.get_by_role("button", name="Transfer").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#page-status")).to_have_text("The call is transferred.")
    assert call_commands(switch) == [f"uuid_hold {agent_leg}", f"uuid_transfer {call} {eva.extension} XML {DOMAIN}"]

    # the call ends: its outcome form opens with the company's default status for received calls
    with db.session() as sql:
        record = CallRecord(tenant_id=tenant, call_uuid=call, direction="inbound", caller_number="+31612345678",
                            caller_name="Ms. Customer", dialled_number="+31201234569", callee_number=eva.extension,
                            started_at=started, answered_at=started + timedelta(seconds=40), ended_at=now(),
                            duration_seconds=70, billed_seconds=30, answered_by_user_id=daan.id, answered_by="Daan Visser")
        sql.add(record)
        sql.flush()
        record_id = record.id
        sql.delete(sql.exec(select(ActiveCall).where(ActiveCall.call_uuid == call)).one())
    set_agent(db, daan.id, call_uuid="", agent_uuid="", state="Waiting")
    feed.publish(tenant, "call_ended", {"call_uuid": call, "record_id": record_id, "answered_by_user_id": daan.id})
    outcome = page.locator("#outcome-form")
    expect(outcome).to_be_visible()
    expect(page.locator("#no-call")).to_be_visible()
    expect(outcome.get_by_label("Status")).to_have_value(str(db_status(db, "Helped")))
    outcome.get_by_label("Status").select_option(label="Call back later")
    expect(outcome.get_by_label("Call back at")).not_to_have_value("")  # suggested: in an hour
    outcome.get_by_label("Note").fill("Wants a quote for 10 phones")
    expect(page.locator('[data-stat="answered"] dd')).to_have_text("1")
    shot(page, "outcome")
    outcome.get_by_role("button", name="Save").click()
    expect(outcome).to_be_hidden()
    row = page.locator(f'#recent-body [data-record="{record_id}"]')
    expect(row).to_contain_text("Call back later")
    expect(row).to_contain_text("Wants a quote for 10 phones")
    expect(page.locator("#later-tasks")).to_have_text("1 more planned for later.")
    with db.session() as sql:
        stored = sql.get(CallRecord, record_id)
        assert (stored.outcome_label, stored.outcome_note, stored.outcome_by_user_id) == \
            ("Call back later", "Wants a quote for 10 phones", daan.id)
        task = sql.exec(select(AgentTask).where(AgentTask.call_record_id == record_id)).one()
        assert task.number == "+31612345678" and task.user_id == daan.id
        task.due_at = now() - timedelta(minutes=1)  # the hour has passed
        sql.add(task)
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    tasks = page.locator("#task-list")
    expect(tasks).to_contain_text("+31612345678")
    expect(tasks.get_by_role("button", name="Call +31612345678 from my phone")).to_be_visible()  # click-to-dial
    shot(page, "task-due")
    tasks.get_by_role("button", name="Mark the call back to +31612345678 as done").click()
    expect(page.locator("#no-tasks")).to_be_visible()
    watch.assert_clean()
    session.context.close()


def db_status(db, name) -> int:
    from sqlmodel import select

    from web.models.agent_panel import CallStatus

    with db.session() as session:
        return session.exec(select(CallStatus).where(CallStatus.name == name)).one().id


def test_an_admin_keeps_the_statuses_and_watches_agents_and_queues(server, browser, db):
    shot = Screenshots("agent-panel-admin")
    session = session_as(browser, server, db, "panel-admin@demo.example.com", "admin")
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(server.url("/call-statuses"))
    page.wait_for_selector("body[data-ready=true]")
    page.get_by_role("button", name="New status").first.click()
    sheet = page.get_by_role("dialog")
    sheet.get_by_role("button", name="Add").click()
    expect(sheet.locator(".field-error").first).to_be_visible()  # the name, beside its field
    sheet.get_by_label("Name").fill("Sold")
    sheet.get_by_label("Chosen in advance for").select_option(label="Calls made")
    shot(page, "status-sheet", full_page=False)
    sheet.get_by_role("button", name="Add").click()
    expect(sheet).to_be_hidden()
    expect(page.get_by_role("row", name=re.compile("Sold"))).to_contain_text("Calls made")
    shot(page, "statuses")

    daan = db.user("Daan")
    page.goto(server.url("/agent"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.get_by_label("Agent")).to_be_visible()
    page.get_by_label("Agent").select_option(label=f"Daan Visser ({daan.extension})")
    page.wait_for_url(re.compile(rf"user_id={daan.id}"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#queue-list")).to_contain_text("Support")
    shot(page, "daans-panel")
    page.get_by_role("link", name="Per queue").click()
    page.wait_for_selector("body[data-ready=true]")
    view = page.locator("#queues-view")
    expect(view).to_contain_text("Support")
    expect(view.get_by_role("link", name="Daan Visser")).to_be_visible()
    shot(page, "per-queue")
    watch.assert_clean()
    session.context.close()


def test_dutch_on_a_narrow_screen(server, browser, db):
    shot = Screenshots("agent-panel-nl")
    session = session_as(browser, server, db, "eva.agent@demo.example.com", "agent", language="nl", pbx_user="Eva",
                         locale="nl-NL", viewport={"width": 390, "height": 844})
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(server.url("/agent"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Agentpaneel")
    for text in ("Huidig gesprek", "Vandaag", "Terugbellen", "Collega's", "Mijn gesprekken van vandaag"):
        expect(page.get_by_role("heading", name=text, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Aanmelden")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width}px"
    shot(page, "narrow")
    watch.assert_clean()
    session.context.close()
