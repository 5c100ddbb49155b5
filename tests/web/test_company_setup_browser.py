"""A company set up from nothing in the browser alone (#14): a new admin of an empty company sets the
company number, adds a user with a direct number, gives the user a phone, forwards the user's
unanswered calls to voicemail, imports a phonebook CSV with one bad line (shown by its line number, the
good rows kept), invites a colleague (the welcome mail arrives at a real SMTP server), and watches the
home page's checklist tick. Only the operator's part (the company, its first admin, its number) and the
phone's registration (what the bridge writes when FreeSWITCH reports it) happen outside the browser."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.conftest import fast_settings  # noqa: E402
from tests.web.browser_support import browser, running_server  # noqa: E402,F401  (fixtures)
from tests.web.canvas_support import log_in  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "a company from nothing at all"
WAIT = 20_000  # ms: a loaded machine is slow, never wrong
NUMBER, DIRECT = "+31207770001", "+31207770002"
CSV = "name;number\nAlice Archer;+31201110001\nBob Baker;not a number\nCarol Cook;0201110003\n"


@pytest.fixture(scope="module")
def server(_smtp_server):
    with running_server(CALLPLAN_SMTP_PORT=str(_smtp_server.port)) as live:
        yield live


def _with_db(database_url: str, work):
    from web.db import make_engine, session_scope
    from web.domain import audit

    engine = make_engine(database_url)
    try:
        with session_scope(engine, audit.SYSTEM) as db:
            return work(db)
    finally:
        engine.dispose()


def empty_company(server) -> int:
    """The operator's part: a company with nothing in it, its first admin, and two public numbers."""
    from web.auth.passwords import hash_password
    from web.domain import numbers
    from web.models import Account, Tenant

    def work(db):
        tenant = Tenant(name="Bloom Florists", sip_domain="bloom.pbx.test", timezone="Europe/Amsterdam", language="en")
        db.add(tenant)
        db.flush()
        db.add(Account(email="iris@bloom.test", role="admin", tenant_id=tenant.id, first_name="Iris", last_name="Bloem",
                       language="en", password_hash=hash_password(fast_settings(server.database_url), PASSWORD)))
        numbers.assign(db, tenant.id, [NUMBER, DIRECT])
        return tenant.id

    return _with_db(server.database_url, work)


def registers(server, tenant_id: int, device: dict) -> None:
    """The phone registers: the bridge writes this row when FreeSWITCH tells it."""
    from web import clock
    from web.models.live import SipRegistration

    _with_db(server.database_url, lambda db: db.add(SipRegistration(
        tenant_id=tenant_id, call_id=f"reg-{device['id']}", sip_user=device["sip_username"], realm="bloom.pbx.test",
        device_id=device["id"], contact=f"sip:{device['sip_username']}@192.0.2.20", network_ip="192.0.2.20",
        user_agent="Yealink SIP-T46U", expires_at=clock.now() + timedelta(hours=1))))


def mails(box, address, count):
    deadline = time.monotonic() + 30
    while len(box.to(address)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return box.to(address)


def go(page, server, path):
    page.goto(server.url(path))
    page.wait_for_selector("body[data-ready=true]", timeout=WAIT)
    assert not re.search(r"\bui\.[a-z_]+\.", page.locator("body").inner_text()), "a text key shown instead of its text"


def pick(select, text):
    """Choose the option whose text holds `text`, as a person reading the list would."""
    value = select.locator("option").filter(has_text=text).first.get_attribute("value")
    select.select_option(value=value)


def done(page, item):
    return page.locator(f'#checklist .home-check[data-item="{item}"]')


def test_a_company_from_nothing_to_a_ringing_phone_in_the_browser(server, browser, _smtp_server):
    expect.set_options(timeout=WAIT)
    shot = Screenshots("company-setup")
    tenant_id = empty_company(server)
    admin = log_in(browser, server, email="iris@bloom.test", password=PASSWORD)
    page = admin.context.new_page()
    page.set_default_timeout(WAIT)
    watch = ConsoleWatch(page)

    go(page, server, "/")
    expect(page.locator("#checklist .home-progress")).to_have_text("0 of 6 done")
    shot(page, "home-empty")

    # the company number (needed to call out)
    page.locator('#checklist .home-check[data-item="company_number"]').get_by_role("link", name="Set up").click()
    page.wait_for_selector("body[data-ready=true]")
    page.get_by_label("Company number").fill(NUMBER)
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".toast").last).to_be_visible()
    assert admin.get("/api/company")["company_number"] == NUMBER

    # a user with a direct number, the free extension suggested
    go(page, server, "/users")
    page.get_by_role("button", name="New user").click()
    sheet = page.get_by_role("dialog", name="New user")
    sheet.get_by_label("First name").fill("Tom")
    sheet.get_by_label("Last name").fill("Tulp")
    suggested = sheet.get_by_label("Extension").input_value()
    assert re.fullmatch(r"[0-9]{2,4}", suggested)
    pick(sheet.get_by_label("Direct number"), DIRECT)
    sheet.get_by_role("button", name="Add", exact=True).click()
    expect(sheet).to_be_hidden()
    tom = next(row for row in admin.get("/api/users") if row["first_name"] == "Tom")
    assert tom["extension"] == suggested
    assert any(n["number"] == DIRECT and (n.get("destination") or {}).get("id") == tom["id"] for n in admin.get("/api/numbers"))

    # a phone for the user
    go(page, server, "/devices")
    page.get_by_role("button", name="New phone").first.click()
    sheet = page.get_by_role("dialog", name="New phone")
    sheet.get_by_label("Name").fill("Tom's desk")
    sheet.get_by_label("Brand").select_option(label="Yealink")
    sheet.get_by_label("MAC address").fill("80:5e:c0:11:22:33")
    pick(sheet.get_by_label("User"), "Tom Tulp")
    sheet.get_by_role("button", name="Add", exact=True).click()
    shown = page.get_by_role("dialog", name=re.compile("Tom's desk"))
    expect(shown).to_be_visible()
    shown.get_by_role("button", name="Done").click()
    device = next(row for row in admin.get("/api/devices") if row["name"] == "Tom's desk")
    assert device["user_id"] == tom["id"]

    # unanswered calls to the user's voicemail
    go(page, server, f"/users/{tom['id']}#forwarding")
    panel = page.locator("#panel-forwarding")
    expect(panel).to_be_visible()
    rule = panel.get_by_role("group", name="When not answered")
    rule.get_by_label("Forward when not answered").check()
    rule.get_by_label("After (seconds)").fill("20")
    rule.get_by_label("Forward to").select_option(label="Voicemail box")
    box = admin.get(f"/api/users/{tom['id']}")["voicemail_box_id"]
    rule.locator("select").nth(1).select_option(value=str(box))
    with page.expect_response(lambda r: r.request.method == "PATCH" and "/api/users/" in r.url) as answer:
        panel.get_by_role("button", name="Save").click()
    assert answer.value.status < 300, answer.value.text()
    no_answer = admin.get(f"/api/users/{tom['id']}")["forwarding"]["no_answer"]
    assert no_answer["enabled"] and no_answer["to"]["type"] == "voicemail_box" and no_answer["to"]["id"] == box

    # the phonebook from a CSV file with one bad line: shown by its line, the good rows kept
    go(page, server, "/phonebook")
    page.get_by_role("button", name="Import CSV").click()
    sheet = page.get_by_role("dialog", name="Import CSV")
    sheet.get_by_label("CSV file").set_input_files(files=[{"name": "florists.csv", "mimeType": "text/csv", "buffer": CSV.encode()}])
    expect(sheet.locator(".import-summary")).to_have_text("2 contact(s) to add, 1 row(s) with errors, 0 skipped.")
    expect(sheet.locator(".import-errors tbody tr th")).to_have_text("3")  # the header is line 1
    sheet.get_by_label("Import the good rows").check()
    sheet.get_by_role("button", name="Import 2 contact(s)").click()
    expect(sheet).to_be_hidden()
    assert sorted(row["name"] for row in admin.get("/api/phonebook")) == ["Alice Archer", "Carol Cook"]

    # a colleague invited: the welcome mail arrives
    go(page, server, "/accounts")
    page.get_by_role("button", name="Invite a colleague").click()
    sheet = page.get_by_role("dialog", name="Invite a colleague")
    sheet.get_by_label("E-mail address").fill("rose@bloom.test")
    sheet.get_by_label("First name").fill("Rose")
    sheet.get_by_role("button", name="Invite").click()
    expect(sheet).to_be_hidden()
    (welcome,) = mails(_smtp_server, "rose@bloom.test", 1)
    assert "/set-password" in welcome.get_content()

    # the phone registers (FreeSWITCH through the bridge); the checklist has ticked what was done
    registers(server, tenant_id, device)
    go(page, server, "/")
    for item in ("company_number", "user_with_phone", "phone_registered"):
        expect(done(page, item)).to_have_attribute("data-done", "true")
    for item in ("plan_on_number", "opening_hours", "voicemail_email"):
        expect(done(page, item)).to_have_attribute("data-done", "false")
    expect(page.locator("#checklist .home-progress")).to_have_text("3 of 6 done")
    shot(page, "home-three-done")
    watch.assert_clean()
    admin.context.close()
