"""Portal accounts (/accounts), my profile (/account/profile) and the audit log (/audit) in Chromium, with a
real SMTP server (aiosmtpd, tests/conftest.py) behind the app: a colleague invited gets the welcome mail
(and a new one on request), is blocked and unblocked, unlocked, has the second factor reset, shows a login
history and is deleted, while the company's last admin cannot be blocked or deleted and the screen says
the API's refusal; one's own name, a password change with the field errors beside their fields (wrong
current password; a new one zxcvbn finds easy to guess), an API token shown once, used and revoked; the
audit log with before and after, filtered; Dutch on a narrow screen."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, fast_settings, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, running_server  # noqa: E402,F401  (fixtures)
from tests.web.canvas_support import log_in  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "accounts with very uncommon words"
WAIT = 20_000  # ms: a loaded machine is slow, never wrong
expect.set_options(timeout=WAIT)


@pytest.fixture(scope="module")
def server(_smtp_server):
    """The app in its own process, mailing through the test's SMTP server."""
    with running_server(CALLPLAN_SMTP_PORT=str(_smtp_server.port)) as live:
        yield live


def company_admin(server, email, company, language="en"):
    """An admin who can log in at once, the only account of a company of its own."""
    from sqlmodel import select

    from web.auth.passwords import hash_password
    from web.db import make_engine, session_scope
    from web.domain import audit
    from web.models import Account, Tenant

    engine = make_engine(server.database_url)
    try:
        with session_scope(engine, audit.SYSTEM) as db:
            if db.exec(select(Account).where(Account.email == email)).first() is None:
                tenant = Tenant(name=company, sip_domain=f"{company.lower().replace(' ', '-')}.pbx.test")
                db.add(tenant)
                db.flush()
                db.add(Account(email=email, role="admin", tenant_id=tenant.id, first_name="Petra", last_name="Admin",
                               language=language, password_hash=hash_password(fast_settings(server.database_url), PASSWORD)))
    finally:
        engine.dispose()


def change_account(server, email, **values):
    from sqlmodel import select

    from web.db import make_engine, session_scope
    from web.domain import audit
    from web.models import Account

    engine = make_engine(server.database_url)
    try:
        with session_scope(engine, audit.SYSTEM) as db:
            row = db.exec(select(Account).where(Account.email == email)).one()
            for name, value in values.items():
                setattr(row, name, value)
            db.add(row)
    finally:
        engine.dispose()


def session_for(browser, server, email, company, language="en", **options):
    company_admin(server, email, company, language)
    return log_in(browser, server, email=email, password=PASSWORD, **options)


def open_page(session, server, path):
    page = session.context.new_page()
    page.set_default_timeout(WAIT)
    watch = ConsoleWatch(page)
    page.goto(server.url(path))
    page.wait_for_selector("body[data-ready=true]")
    assert "ui." not in page.locator("main").inner_text(), "a text key shown instead of its text"
    return page, watch


def mails(box, address, count):
    """The mails to `address` once there are `count` of them (mail goes out after the commit)."""
    deadline = time.monotonic() + 30
    while len(box.to(address)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return box.to(address)


def row(page, text):
    return page.locator(".list-table tbody tr").filter(has_text=text)


def test_invite_block_unblock_unlock_reset_history_and_the_last_admin(server, browser, _smtp_server):
    from datetime import datetime, timezone

    shot = Screenshots("accounts")
    session = session_for(browser, server, "petra@accounts-one.test", "Accounts One")
    page, watch = open_page(session, server, "/accounts")
    expect(page.get_by_role("heading", level=1)).to_have_text("Portal accounts")
    expect(page.locator(".list-table tbody tr")).to_have_count(1)

    # invite a colleague: the welcome mail arrives with the link to choose a password
    page.get_by_role("button", name="Invite a colleague").click()
    sheet = page.get_by_role("dialog", name="Invite a colleague")
    sheet.get_by_label("E-mail address").fill("anna@accounts-one.test")
    sheet.get_by_label("First name").fill("Anna")
    sheet.get_by_label("Last name").fill("Jansen")
    sheet.get_by_label("Role").select_option(label="User")
    expect(sheet.get_by_label("Send the welcome mail")).to_be_checked()
    shot(page, "invite", full_page=False)
    sheet.get_by_role("button", name="Invite").click()
    expect(sheet).to_be_hidden()
    expect(page.locator(".toast").last).to_have_text(re.compile("“Anna Jansen” invited: the welcome mail goes to anna@accounts-one.test."))
    anna = row(page, "anna@accounts-one.test")
    expect(anna).to_contain_text("Invited")
    expect(anna).to_contain_text("User")
    (welcome,) = mails(_smtp_server, "anna@accounts-one.test", 1)
    assert "/set-password" in welcome.get_content() and "Accounts One" in welcome.get_content()

    # the same address twice: refused beside the address field
    page.get_by_role("button", name="Invite a colleague").click()
    sheet.get_by_label("E-mail address").fill("anna@accounts-one.test")
    sheet.get_by_role("button", name="Invite").click()
    expect(sheet.get_by_label("E-mail address")).to_have_attribute("aria-invalid", "true")
    page.keyboard.press("Escape")
    sheet.get_by_role("button", name="Discard changes").click()
    expect(sheet).to_be_hidden()

    # a new welcome mail on request
    page.get_by_role("button", name="Send the welcome mail to Anna Jansen again").click()
    expect(page.locator(".toast").last).to_contain_text("A new welcome mail goes to anna@accounts-one.test")
    assert len(mails(_smtp_server, "anna@accounts-one.test", 2)) == 2

    # block and unblock
    page.get_by_role("button", name="Block Anna Jansen").click()
    expect(anna).to_contain_text("Blocked")
    expect(page.get_by_role("button", name="Unblock Anna Jansen")).to_be_visible()
    assert next(a for a in session.get("/api/accounts") if a["email"] == "anna@accounts-one.test")["blocked"] is True
    shot(page, "blocked")
    page.get_by_role("button", name="Unblock Anna Jansen").click()
    expect(page.get_by_role("button", name="Block Anna Jansen")).to_be_visible()
    assert next(a for a in session.get("/api/accounts") if a["email"] == "anna@accounts-one.test")["blocked"] is False

    # a lockout lifted, a lost authenticator reset
    change_account(server, "anna@accounts-one.test", locked_at=datetime.now(timezone.utc), failed_logins=10,
                   totp_enabled=True, totp_secret="JBSWY3DPEHPK3PXP")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(anna).to_contain_text("Locked")
    page.get_by_role("button", name="Unlock Anna Jansen").click()
    expect(page.get_by_role("button", name="Unlock Anna Jansen")).to_have_count(0)
    expect(anna).not_to_contain_text("Locked")
    page.get_by_role("button", name="Reset the two-factor login of Anna Jansen").click()
    question = page.get_by_role("alertdialog")
    expect(question).to_contain_text("Reset the two-factor login of Anna Jansen?")
    question.get_by_role("button", name="Reset 2FA").click()
    expect(page.get_by_role("button", name="Reset the two-factor login of Anna Jansen")).to_have_count(0)
    anna_now = next(a for a in session.get("/api/accounts") if a["email"] == "anna@accounts-one.test")
    assert anna_now["locked"] is False and anna_now["totp_enabled"] is False

    # the last admin: blocking and deleting are refused, and the screen says why
    page.get_by_role("button", name="Block Petra Admin").click()
    expect(page.locator(".toast-error").last).to_have_text(re.compile("The company must keep at least one active administrator."))
    page.get_by_role("button", name="Delete Petra Admin").click()
    question = page.get_by_role("alertdialog")
    question.get_by_role("button", name="Delete").click()
    expect(question.get_by_role("alert")).to_have_text("The company must keep at least one active administrator.")
    shot(page, "last-admin-refused", full_page=False)
    question.get_by_role("button", name="Cancel").click()
    assert len(session.get("/api/accounts")) == 2

    # login history: this login
    page.get_by_role("button", name="Login history of Petra Admin").click()
    history = page.get_by_role("dialog", name="Login history of Petra Admin")
    expect(history.locator("tbody tr").first).to_contain_text("OK")
    expect(history.locator("tbody tr").first).to_contain_text("password")
    page.keyboard.press("Escape")

    # a colleague made admin, then deleted
    page.get_by_role("button", name="Edit Anna Jansen").click()
    edit = page.get_by_role("dialog", name="Edit Anna Jansen")
    edit.get_by_label("Role").select_option(label="Administrator")
    edit.get_by_role("button", name="Save").click()
    expect(edit).to_be_hidden()
    expect(anna).to_contain_text("Administrator")
    page.get_by_role("button", name="Delete Anna Jansen").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page.locator(".toast").last).to_have_text(re.compile("“Anna Jansen” deleted."))
    expect(page.locator(".list-table tbody tr")).to_have_count(1)
    watch.assert_clean()


def test_profile_name_password_errors_beside_the_fields_and_api_tokens(server, browser):
    shot = Screenshots("profile")
    session = session_for(browser, server, "petra@accounts-two.test", "Accounts Two")
    page, watch = open_page(session, server, "/account/profile")
    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")
    expect(page.locator("#menu a[href='/account/profile']")).to_have_attribute("aria-current", "page")

    # the name
    details = page.locator("#details")
    details.get_by_label("First name").fill("Petronella")
    details.get_by_role("button", name="Save").click()
    expect(page.locator(".toast").last).to_have_text(re.compile("Your profile is saved."))
    assert session.get("/api/auth/me")["account"]["first_name"] == "Petronella"

    # an API token: the secret shown once, it works, then revoked it does not
    tokens = page.locator("#api-tokens")
    tokens.get_by_label("Name").fill("CRM link")
    tokens.get_by_role("button", name="Create token").click()
    dialog = page.get_by_role("dialog", name="Token “CRM link”")
    expect(dialog).to_contain_text("shown only this once")
    secret = dialog.locator("#new-token-secret").inner_text().strip()
    assert len(secret) > 20
    shot(page, "token-once", full_page=False)
    dialog.get_by_role("button", name="I have stored it").click()
    expect(dialog).to_be_hidden()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert httpx.get(server.url("/api/auth/me"), headers=bearer).status_code == 200  # no cookie: the token alone
    token_row = tokens.locator("tbody tr").filter(has_text="CRM link")
    expect(token_row).to_contain_text("Active")
    assert secret not in page.locator("main").inner_text()  # never again on the page
    tokens.get_by_role("button", name="Revoke CRM link").click()
    expect(token_row).to_contain_text("Revoked")
    assert httpx.get(server.url("/api/auth/me"), headers=bearer).status_code == 401

    # the password: each refusal beside its own field
    password = page.locator("#password")
    password.get_by_label("Current password").fill("not my password at all")
    password.get_by_label("New password").fill("a completely new and rare phrase")
    password.get_by_role("button", name="Change password").click()
    current = password.get_by_label("Current password")
    expect(current).to_have_attribute("aria-invalid", "true")
    expect(password.locator(f"#{current.get_attribute('aria-describedby').split()[-1]}")).to_have_text("This is not your password.")
    current.fill(PASSWORD)
    password.get_by_label("New password").fill("Summer2024!")
    password.get_by_role("button", name="Change password").click()
    new = password.get_by_label("New password")
    expect(new).to_have_attribute("aria-invalid", "true")
    expect(password.locator(f"#{new.get_attribute('aria-describedby').split()[-1]}")).to_contain_text("most common passwords")
    expect(current).not_to_have_attribute("aria-invalid", "true")
    shot(page, "weak-password")
    new.fill("lantern otter quietly balances")
    password.get_by_role("button", name="Change password").click()
    expect(page.locator(".toast").last).to_have_text(re.compile("Your password is changed."))
    expect(new).to_have_value("")
    login = session.context.request.post(server.url("/api/auth/login"), headers={"Origin": server.base_url},
                                         data={"email": "petra@accounts-two.test", "password": "lantern otter quietly balances"})
    assert login.status == 200
    # still logged in on this page: it keeps working
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")
    watch.assert_clean()


def test_audit_log_shows_before_and_after_and_filters(server, browser):
    shot = Screenshots("audit")
    session = session_for(browser, server, "petra@accounts-three.test", "Accounts Three")
    department = session.post("/api/departments", {"name": "Audit Desk"}, expect=201)
    session.call("PATCH", f"/api/departments/{department['id']}", {"name": "Audit Department"}, expect=200)
    session.post("/api/phonebook", {"name": "Logged Contact", "number": "+31207770001"}, expect=201)
    page, watch = open_page(session, server, "/audit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    entries = page.locator("#audit .list-table > tbody > tr")
    expect(entries.first).to_contain_text("Contact")

    page.get_by_label("Kind").select_option(label="Department")
    expect(entries).to_have_count(2)
    page.get_by_label("What", exact=True).select_option(label="Changed")
    expect(entries).to_have_count(1)
    change = entries.first.locator(".audit-changes tr[data-field=name]")
    expect(change.locator(".audit-before")).to_have_text("Audit Desk")
    expect(change.locator(".audit-after")).to_have_text("Audit Department")
    expect(entries.first).to_contain_text("petra@accounts-three.test")
    assert "object_type=department" in page.url and "action=update" in page.url
    shot(page, "filtered")

    page.get_by_label("Who").fill("somebody else")
    expect(page.get_by_text("Nothing found.")).to_be_visible()
    page.get_by_label("Who").fill("PETRA@")
    expect(entries).to_have_count(1)

    # the address brings the filters back; another company's changes never show
    page.goto(server.url("/audit?object_type=contact"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.get_by_label("Kind")).to_have_value("contact")
    expect(entries).to_have_count(1)
    expect(entries.first.locator(".audit-after").first).to_be_visible()
    assert "accounts-one" not in page.locator("main").inner_text()
    watch.assert_clean()


def test_accounts_profile_and_audit_in_dutch_on_a_narrow_screen(server, browser):
    shot = Screenshots("accounts-nl")
    session = session_for(browser, server, "petra@accounts-nl.test", "Accounts NL", language="nl", locale="nl-NL",
                          viewport={"width": 380, "height": 800})
    session.post("/api/accounts", {"email": "kees@accounts-nl.test", "first_name": "Kees", "role": "agent", "send_welcome": False}, expect=201)
    for path, title in [("/accounts", "Portaalaccounts"), ("/account/profile", "Mijn profiel"), ("/audit", "Logboek")]:
        page, watch = open_page(session, server, path)
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 380, f"{path} scrolls sideways on a narrow screen ({width} px)"
        shot(page, path.strip("/").replace("/", "-"))
        if path == "/accounts":
            expect(row(page, "kees@accounts-nl.test")).to_contain_text("Agent")
            expect(row(page, "kees@accounts-nl.test")).to_contain_text("Uitgenodigd")
            page.get_by_role("button", name="Petra Admin verwijderen").click()
            question = page.get_by_role("alertdialog")
            question.get_by_role("button", name="Verwijderen").click()
            expect(question.get_by_role("alert")).to_have_text("Het bedrijf moet minstens één actieve beheerder houden.")
            shot(page, "last-admin", full_page=False)
        if path == "/account/profile":
            page.locator("#password").get_by_label("Huidig wachtwoord").fill(PASSWORD)
            page.locator("#password").get_by_label("Nieuw wachtwoord").fill("qwertyuiop")
            page.locator("#password").get_by_role("button", name="Wachtwoord wijzigen").click()
            expect(page.locator("#password .field-error")).to_contain_text("meest gebruikte wachtwoorden")
            shot(page, "weak-password")
        if path == "/audit":
            page.get_by_label("Soort").select_option(label="Account")
            expect(page.locator("#audit .list-table > tbody > tr").first).to_contain_text("Toegevoegd")
        watch.assert_clean()
