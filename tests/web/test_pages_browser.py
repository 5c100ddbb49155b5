"""The portal's pages in a real browser, driven as a person would: log in with the one-time password,
choose a password, add an authenticator app, log out and in again with a code; and the Dutch pages."""

from __future__ import annotations

import re
import time

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, fast_settings, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")
pyotp = pytest.importorskip("pyotp")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, live_server  # noqa: E402,F401  (fixtures)

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a quiet harbour at dawn"


def log_in(page, email: str, password: str, button: str = "Log in") -> None:
    page.locator("#login-email").fill(email)
    page.locator("#login-password").fill(password)
    page.get_by_role("button", name=button, exact=True).click()


def test_first_login_password_change_authenticator_and_second_login(live_server, browser):
    shot = Screenshots("flow")
    email, one_time_password = live_server.accounts["admin"]
    context = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 800})
    page = context.new_page()
    watch = ConsoleWatch(page)

    # The login page, in English.
    page.goto(live_server.url("/login"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_title("Log in · Callplan PBX")
    expect(page.get_by_role("link", name="Forgot your password?")).to_have_attribute("href", "/forgot-password")
    shot(page, "login")

    # The one-time password works once, to choose a password of one's own.
    log_in(page, email, one_time_password)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    expect(page.get_by_label("Current password")).to_be_hidden()  # the page remembers what was just typed
    expect(page.get_by_label("New password", exact=True)).to_be_focused()
    # a common password is refused, and the page says why next to the field
    page.get_by_label("New password", exact=True).fill("qwerty123456")
    page.get_by_label("Repeat the new password").fill("qwerty123456")
    page.get_by_role("button", name="Save password").click()
    expect(page.locator("#np-new-error")).to_contain_text("one of the most common passwords")
    expect(page.get_by_label("New password", exact=True)).to_have_attribute("aria-invalid", "true")
    shot(page, "password-common")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD + " typo")
    page.get_by_role("button", name="Save password").click()
    repeat = page.get_by_label("Repeat the new password")
    expect(repeat).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#np-repeat-error")).to_have_text("The two passwords differ.")
    shot(page, "password-mismatch")
    repeat.fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save password").click()

    # Home: the user's name, the tenant, the menu.
    page.wait_for_url(live_server.url("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Anna de Vries")
    expect(page.locator("#tenant-name")).to_have_text("Demo Company")
    expect(page.get_by_role("heading", name="Setting up your phone system")).to_be_visible()  # an admin's home
    expect(page.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
    shot(page, "home")

    # Login security: add the authenticator app.
    page.get_by_role("link", name="Login security").click()
    page.wait_for_url(live_server.url("/account/security"))
    expect(page.get_by_text("Two-factor login is off.")).to_be_visible()
    expect(page.locator("#required-note")).to_be_hidden()
    shot(page, "security-off")
    page.get_by_role("button", name="Add an authenticator app").click()
    page.get_by_label("Enter your password to continue").fill("not my password")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#reauth-form [role=alert]")).to_have_text("The password is not right.")
    expect(page.get_by_label("Enter your password to continue")).to_have_attribute("aria-invalid", "true")
    shot(page, "security-wrong-password")
    page.get_by_label("Enter your password to continue").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Continue").click()

    key = page.get_by_test_id("totp-secret")
    expect(key).to_have_attribute("data-secret", re.compile(r"^[A-Z2-7]{32}$"))
    secret = key.get_attribute("data-secret")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert key.inner_text().replace(" ", "") == secret and " " in key.inner_text()  # shown in blocks of four
    expect(page.locator("#qr svg")).to_be_visible()
    shot(page, "enrol")
    page.get_by_label("Code shown by the app").fill("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator("#confirm-form [role=alert]")).to_contain_text("The code does not match")
    page.get_by_label("Code shown by the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()

    codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(10)
    assert all(re.fullmatch(r"[a-z0-9]{5}-[a-z0-9]{5}", text) for text in codes.all_inner_texts())
    shot(page, "recovery-codes")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(live_server.url("/"))

    page.get_by_role("link", name="Login security").click()
    expect(page.get_by_text("Two-factor login is on.")).to_be_visible()
    expect(page.get_by_text("Recovery codes left: 10")).to_be_visible()
    shot(page, "security-on")

    # Log out, and in again: now the code is asked.
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(live_server.url("/login"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    log_in(page, email, NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Two-factor login")).to_be_visible()
    expect(page.get_by_label("Verification code")).to_be_focused()
    page.get_by_label("Verification code").fill("000000" if pyotp.TOTP(secret).at(time.time() + 30) != "000000" else "111111")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#code-form [role=alert]")).to_have_text("Wrong code. 4 attempts left.")
    expect(page.get_by_label("Verification code")).to_be_focused()
    shot(page, "code-wrong")
    # The code used at enrolment is spent; the next step's code is accepted (one step of clock skew).
    page.get_by_label("Verification code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    shot(page, "code")
    page.get_by_role("button", name="Verify").click()

    page.wait_for_url(live_server.url("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Anna de Vries")
    expect(page.locator("#user-name")).to_have_text("Anna de Vries")
    shot(page, "home-again")

    # Narrow screens get the same pages, reflowed.
    page.set_viewport_size({"width": 380, "height": 740})
    shot(page, "home-mobile")

    watch.assert_clean()
    context.close()


def test_dutch_pages_and_refusals(live_server, browser):
    shot = Screenshots("nl")
    context = browser.new_context(locale="nl-NL", viewport={"width": 1100, "height": 800})
    page = context.new_page()
    watch = ConsoleWatch(page)

    page.goto(live_server.url("/login"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_label("E-mailadres")).to_have_attribute("autocomplete", "username")
    expect(page.get_by_label("Wachtwoord", exact=True)).to_have_attribute("autocomplete", "current-password")

    # Empty fields are caught in the page.
    page.get_by_role("button", name="Inloggen", exact=True).click()
    expect(page.locator("#login-email-error")).to_have_text("Vul dit in.")
    expect(page.get_by_label("E-mailadres")).to_be_focused()

    log_in(page, "nobody@example.com", "wrong password", button="Inloggen")
    alert = page.locator("#login-form [role=alert]")
    expect(alert).to_have_text("Verkeerd e-mailadres of wachtwoord.")
    expect(page.locator("#login-email-error")).to_have_count(0)
    expect(page.get_by_label("Wachtwoord", exact=True)).to_be_focused()
    shot(page, "login-wrong-password")
    page.emulate_media(color_scheme="dark")
    page.wait_for_timeout(300)  # let the colour transitions finish
    shot(page, "login-dark")
    page.emulate_media(color_scheme="light")

    # Forgot password: always the same answer.
    page.get_by_role("link", name="Wachtwoord vergeten?").click()
    page.wait_for_url(live_server.url("/forgot-password"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Wachtwoord vergeten")
    page.get_by_label("E-mailadres").fill("nobody@example.com")
    page.get_by_role("button", name="Link versturen").click()
    expect(page.get_by_role("status")).to_contain_text("Als een account dit adres gebruikt")
    expect(page.locator("#forgot-form")).to_be_hidden()
    shot(page, "forgot-sent")

    # A spent or made-up link says so; the token leaves the address bar.
    page.goto(live_server.url("/set-password#token=not-a-real-token"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Kies een nieuw wachtwoord")
    assert "token" not in page.url
    page.get_by_label("Nieuw wachtwoord", exact=True).fill("kort")
    page.get_by_label("Herhaal het nieuwe wachtwoord").fill("kort")
    page.get_by_role("button", name="Wachtwoord opslaan").click()
    expect(page.locator("#sp-new-error")).to_have_text("Gebruik minstens 10 tekens.")
    page.get_by_label("Nieuw wachtwoord", exact=True).fill("lang genoeg wachtwoord")
    page.get_by_label("Herhaal het nieuwe wachtwoord").fill("lang genoeg wachtwoord")
    page.get_by_role("button", name="Wachtwoord opslaan").click()
    expect(page.locator("#set-password-form [role=alert]")).to_have_text(
        "Deze link is verlopen of al gebruikt. Vraag een nieuwe aan."
    )
    expect(page.get_by_label("Nieuw wachtwoord", exact=True)).to_be_hidden()
    expect(page.get_by_role("link", name="Een nieuwe link aanvragen")).to_be_focused()
    shot(page, "set-password-invalid")

    # The portal itself sends a stranger to the login page.
    page.goto(live_server.url("/"))
    page.wait_for_url(live_server.url("/login"))
    page.goto(live_server.url("/account/security"))
    page.wait_for_url(live_server.url("/login"))

    watch.assert_clean()
    context.close()


def test_company_that_requires_two_factor_login_shows_only_the_enrolment(live_server, browser):
    from sqlmodel import select

    from web.domain import audit
    from web.auth.passwords import hash_password
    from web.db import make_engine, session_scope
    from web.models import Account, Tenant

    email, password = "piet@demo.example.com", "another long password"
    engine = make_engine(live_server.database_url)
    with session_scope(engine, audit.SYSTEM) as db:
        tenant = db.exec(select(Tenant)).first()
        tenant.require_2fa = True
        db.add(tenant)
        db.add(Account(email=email, role="user", tenant_id=tenant.id, first_name="Piet", last_name="Jansen",
                       language="nl", password_hash=hash_password(fast_settings(live_server.database_url), password)))
    engine.dispose()

    shot = Screenshots("enrol")
    context = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 800})
    page = context.new_page()
    watch = ConsoleWatch(page)

    page.goto(live_server.url("/login"))
    log_in(page, email, password)
    page.wait_for_url(live_server.url("/account/security"))
    # The account's own language (Dutch) wins over the browser's.
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("#required-note")).to_have_text(
        "Uw bedrijf vereist inloggen in twee stappen. Stel een authenticator-app of een telefoonnummer in om verder te gaan."
    )
    expect(page.get_by_role("link", name="Start")).to_be_hidden()
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()
    shot(page, "required")

    # "/" is not reachable before enrolling.
    page.goto(live_server.url("/"))
    page.wait_for_url(live_server.url("/account/security"))

    page.get_by_role("button", name="Authenticator-app toevoegen").click()
    page.get_by_label("Vul uw wachtwoord in om verder te gaan").fill(password)
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_test_id("totp-secret")).to_have_attribute("data-secret", re.compile(r"^[A-Z2-7]{32}$"))
    secret = page.get_by_test_id("totp-secret").get_attribute("data-secret")
    page.get_by_label("Code uit de app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Inschakelen").click()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    recovery_code = page.get_by_test_id("recovery-codes").locator("li").first.inner_text()
    shot(page, "codes")
    page.get_by_role("button", name="Verder").click()

    page.wait_for_url(live_server.url("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welkom, Piet Jansen")

    # Removing the authenticator is refused while the company requires it.
    page.get_by_role("link", name="Inlogbeveiliging").click()
    page.get_by_role("button", name="Authenticator-app verwijderen").click()
    page.get_by_label("Vul uw wachtwoord in om verder te gaan").fill(password)
    page.get_by_role("button", name="Verder").click()
    expect(page.locator("#reauth-form [role=alert]")).to_have_text(
        "Uw bedrijf vereist inloggen in twee stappen; uw laatste tweede factor kan niet worden verwijderd."
    )
    shot(page, "remove-refused")

    # Without the phone: a recovery code instead of the app's code, once.
    page.get_by_role("button", name="Uitloggen").click()
    page.wait_for_url(live_server.url("/login"))
    log_in(page, email, password)  # the login page speaks the browser's language, the code form the account's
    page.get_by_role("button", name="Gebruik een herstelcode").click()
    expect(page.get_by_label("Herstelcode")).to_be_focused()
    page.get_by_label("Herstelcode").fill(recovery_code.upper())
    shot(page, "recovery-code")
    page.locator("#recovery-form").get_by_role("button", name="Controleren").click()
    page.wait_for_url(live_server.url("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welkom, Piet Jansen")

    watch.assert_clean()
    context.close()
