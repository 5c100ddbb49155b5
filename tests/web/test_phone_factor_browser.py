"""The code by phone in Chromium (#18 item 7, seed 002), by keyboard: on Login security a person adds a
phone number (the call's code typed back turns it on), then logs in: "We are calling +316…", the code
of the call, the portal; the backup and primary factor with the authenticator; the Dutch pages on a
380 px screen, with a call nobody answers and "Call me again".

The app runs in its own process with the test's event socket (it answers every originate as FreeSWITCH
does once the phone picks up, or "not answered"); the code a call speaks is found from its HMAC in the
server's database (a million tries of a 6-digit code take a second), so the app needs no test hook."""

from __future__ import annotations

import hashlib
import re
import hmac
import shutil
import sqlite3
import time

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, fast_settings, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
if shutil.which("espeak-ng") is None:
    pytest.skip("espeak-ng is not installed (Debian package espeak-ng; .ci/run installs it)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.fs_bridge.esl_server import EslServer  # noqa: E402
from tests.web.browser_support import browser, running_server  # noqa: E402,F401  (fixtures)

pytestmark = pytest.mark.browser

ESL_PASSWORD = "esl-browser"
PASSWORD = "a quiet harbour at dawn"
SECRET = "test"  # running_server's CALLPLAN_SECRET_KEY


class Switch(dict):
    reply = "+OK 5b2c0d6e-0000-4000-8000-000000000001\n"

    def __bool__(self):
        return True

    def get(self, key, default=None):
        return self.reply if key.startswith("originate ") else super().get(key, default)


@pytest.fixture(scope="module")
def switch():
    server = EslServer(password=ESL_PASSWORD, api_answers=Switch())
    yield server
    server.close()


@pytest.fixture(scope="module")
def live_server(switch):
    with running_server(CALLPLAN_ESL_PORT=str(switch.port), CALLPLAN_ESL_PASSWORD=ESL_PASSWORD) as server:
        yield server


def add_account(server, email: str, language: str, **fields) -> None:
    from sqlmodel import select

    from web.auth.passwords import hash_password
    from web.db import make_engine, session_scope
    from web.models import Account, Tenant

    engine = make_engine(server.database_url)
    try:
        with session_scope(engine) as db:
            tenant = db.exec(select(Tenant)).first()
            db.add(Account(tenant_id=tenant.id, email=email, role="user", language=language,
                           password_hash=hash_password(fast_settings(server.database_url), PASSWORD), **fields))
    finally:
        engine.dispose()


def spoken_code(server, email: str, calls: int = 1, timeout: float = 15) -> str:
    """The code the latest call spoke to `email`'s phone, once `calls` calls were made and the last one's
    answer is recorded: found from its HMAC."""
    path = server.database_url.removeprefix("sqlite:///")
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(path) as db:
            rows = db.execute("SELECT p.account_id, p.code_hash, p.call_state FROM phone_code p JOIN account a "
                              "ON a.id = p.account_id WHERE a.email = ? ORDER BY p.id", (email,)).fetchall()
        if len(rows) >= calls and rows[-1][2] != "calling":
            break
        assert time.monotonic() < deadline, rows
        time.sleep(0.1)
    account_id, wanted, _ = rows[-1]
    key = SECRET.encode()
    for number in range(1_000_000):
        code = f"{number:06d}"
        if hmac.new(key, f"{account_id}:{code}".encode(), hashlib.sha256).hexdigest() == wanted:
            return code
    raise AssertionError("no 6-digit code has this HMAC")


def log_in(page, server, email: str) -> None:
    page.goto(server.url("/login"))
    page.locator("#login-email").fill(email)
    page.locator("#login-password").fill(PASSWORD)
    page.keyboard.press("Enter")


def test_add_the_phone_then_log_in_with_the_call_by_keyboard(live_server, browser, switch):
    shot = Screenshots("phone-factor")
    add_account(live_server, "anna@demo.example.com", "en")
    context = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 800})
    page = context.new_page()
    watch = ConsoleWatch(page)
    log_in(page, live_server, "anna@demo.example.com")
    page.wait_for_url(live_server.url("/"))

    # Login security: add a phone number, by keyboard
    page.goto(live_server.url("/account/security"))
    expect(page.get_by_role("heading", name="Code by phone")).to_be_visible()
    expect(page.locator("#phone-text")).to_have_text("No phone number is set up.")
    shot(page, "security-off")
    page.get_by_role("button", name="Add a phone number").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Phone number", exact=True)).to_be_focused()
    page.keyboard.type("06 1234 56")  # too short
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#phone-number-error")).to_be_visible()
    expect(page.get_by_label("Phone number", exact=True)).to_have_attribute("aria-invalid", "true")
    shot(page, "security-bad-number")
    page.get_by_label("Phone number", exact=True).fill("06 1234 5678")
    page.get_by_label("Language of the call").select_option("de")
    page.get_by_label("Your password", exact=True).fill(PASSWORD)
    page.get_by_label("Your password", exact=True).press("Enter")
    expect(page.locator("#phone-calling")).to_have_text(
        "We are calling +31612345678. Answer, listen, and type the code to turn on the code by phone.")
    expect(page.get_by_label("Code from the call")).to_be_focused()
    shot(page, "security-calling")
    assert "loopback/+31612345678/demo.pbx.localhost/XML" in [c for c in switch.commands if "originate" in c][-1]
    code = spoken_code(live_server, "anna@demo.example.com")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    expect(page.locator("#phone-text")).to_have_text("On: +31612345678, spoken in Deutsch.")
    expect(page.locator("#page-status")).to_have_text("The code by phone is on: +31612345678.")
    shot(page, "security-on")

    # log out and in again: the phone is the primary factor, so it is called at once
    page.context.clear_cookies()
    log_in(page, live_server, "anna@demo.example.com")
    expect(page.locator("#phone-status")).to_contain_text("+316")
    expect(page.locator("#phone-status")).to_contain_text("Type the code you heard", timeout=15_000)
    expect(page.get_by_label("Verification code")).to_be_focused()
    expect(page.get_by_role("button", name="Use a recovery code instead")).to_be_hidden()  # none: no authenticator
    shot(page, "login-called")
    code = spoken_code(live_server, "anna@demo.example.com", calls=2)
    page.keyboard.type("000000")
    page.keyboard.press("Enter")
    expect(page.locator("#code-form [role=alert]")).to_have_text("Wrong code. 4 attempts left.")
    page.get_by_label("Verification code").fill(code)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url("/"))
    assert watch.problems == []
    context.close()


def test_dutch_on_a_narrow_screen_a_call_nobody_answers_and_call_again(live_server, browser, switch):
    shot = Screenshots("phone-factor-nl")
    add_account(live_server, "bert@demo.example.com", "nl", phone_factor_number="+31612345679",
                phone_factor_language="nl", primary_factor="phone")
    context = browser.new_context(locale="nl-NL", viewport={"width": 380, "height": 760})
    page = context.new_page()
    watch = ConsoleWatch(page)
    switch.api_answers.reply = "-ERR NO_ANSWER\n"
    try:
        log_in(page, live_server, "bert@demo.example.com")
        expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen in twee stappen")
        expect(page.locator("#phone-status")).to_have_text(
            "+316••••••79 heeft niet opgenomen. Laat u opnieuw bellen, of log op een andere manier in als u die heeft.",
            timeout=15_000)
        assert page.evaluate("document.documentElement.scrollWidth") <= 380
        shot(page, "login-not-answered")
    finally:
        switch.api_answers.reply = Switch.reply
    page.get_by_role("button", name="Bel mij opnieuw").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#phone-status")).to_contain_text("is opgenomen", timeout=15_000)
    shot(page, "login-called")
    code = spoken_code(live_server, "bert@demo.example.com", calls=2)
    page.get_by_label("Verificatiecode").fill(code)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url("/"))

    page.goto(live_server.url("/account/security"))
    expect(page.locator("#phone-text")).to_have_text("Aan: +31612345679, uitgesproken in het Nederlands.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 380
    shot(page, "security")
    # taking the phone off asks for the password
    page.get_by_role("button", name="Telefoonnummer verwijderen").click()
    page.locator("#reauth").get_by_label("Vul uw wachtwoord in om verder te gaan").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#page-status")).to_have_text("Het telefoonnummer is verwijderd.")
    expect(page.locator("#phone-text")).to_have_text("Er is geen telefoonnummer ingesteld.")
    assert watch.problems == []
    context.close()


def test_the_call_as_backup_of_the_authenticator_and_choosing_the_first_way(live_server, browser, switch):
    import pyotp

    shot = Screenshots("phone-factor-backup")
    add_account(live_server, "carla@demo.example.com", "en", totp_secret=pyotp.random_base32(32), totp_enabled=True,
                phone_factor_number="+31612345677", phone_factor_language="en", primary_factor="totp")
    context = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 800})
    page = context.new_page()
    watch = ConsoleWatch(page)
    log_in(page, live_server, "carla@demo.example.com")
    # the authenticator first: nobody is called until asked
    expect(page.locator("#code-help")).to_have_text(re.compile("authenticator app"))
    expect(page.locator("#phone-call")).to_be_hidden()
    calls_before = len([c for c in switch.commands if "originate" in c])
    page.get_by_role("button", name="Call me with a code instead").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#phone-status")).to_contain_text("Type the code you heard", timeout=15_000)
    expect(page.get_by_role("button", name="Use the code from the app instead")).to_be_visible()
    assert len([c for c in switch.commands if "originate" in c]) == calls_before + 1
    shot(page, "login-backup-called")
    page.get_by_label("Verification code").fill(spoken_code(live_server, "carla@demo.example.com"))
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url("/"))

    page.goto(live_server.url("/account/security"))
    expect(page.locator("#primary-text")).to_have_text("At login the authenticator app is asked first; the call is the backup.")
    page.get_by_role("button", name="Call me first").click()
    page.locator("#reauth").get_by_label("Enter your password to continue").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#page-status")).to_have_text("At login you are called first; the authenticator app is the backup.")
    expect(page.get_by_role("button", name="Ask the app first")).to_be_visible()
    shot(page, "security-phone-first")
    assert watch.problems == []
    context.close()
