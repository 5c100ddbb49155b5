"""A phone's new provisioning password on the phones screen (/devices) in Chromium: found in the phone's SIP
account sheet, refused beside the field with a wrong own password, then made and shown once; the phone's
old password no longer fetches its file and the new one does; with the keyboard alone; Dutch on a narrow
screen."""

from __future__ import annotations

import base64
import re

import pytest

from tests.web.browser_support import Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, in_process_server  # noqa: E402,F401  (fixtures)
from tests.web.browser_support import admin_session, open_screen  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "provisioning passwords leak"
WAIT = 20_000  # ms: a loaded machine is slow, never wrong
expect.set_options(timeout=WAIT)


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        yield running


def session(browser, server, email, language="en", **options):
    return admin_session(browser, server, email, PASSWORD, language, **options)


def no_text_keys(page):
    assert not re.search(r"\bui\.[a-z_]+\.", page.locator("body").inner_text()), "a text key shown instead of its text"


def phone(admin, name, mac):
    return admin.post("/api/devices", {"name": name, "brand": "yealink", "model": "T31P", "mac": mac}, expect=201)


def fetch_file(admin, address, password) -> int:
    """What the phone is answered when it fetches its file with this password."""
    token = base64.b64encode(f"{address['username']}:{password}".encode()).decode()
    return admin.context.request.get(address["file_url"], headers={"Authorization": f"Basic {token}"}).status


def test_find_refused_then_a_new_provisioning_password(server, browser):
    shot = Screenshots("provisioning-password-en")
    admin = session(browser, server, "provisioning@demo.example.com")
    device = phone(admin, "Lobby phone", "00:15:65:00:01:01")
    old = admin.post(f"/api/devices/{device['id']}/provisioning", {"password": PASSWORD})
    assert fetch_file(admin, old, old["password"]) == 200
    page, watch = open_screen(admin, server, "/devices", wait_ms=WAIT)
    row = page.locator("tbody tr").filter(has_text="Lobby phone")
    row.get_by_role("button", name="SIP account of Lobby phone").click()
    sheet = page.get_by_role("dialog", name="SIP account of “Lobby phone”")
    expect(sheet.get_by_role("heading", name="New provisioning password")).to_be_visible()
    confirm = sheet.get_by_label("Confirm with your password")
    button = sheet.get_by_role("button", name="New provisioning password")

    # a wrong own password: refused beside the field, nothing changed
    confirm.fill("not my password at all")
    button.click()
    expect(confirm).to_have_attribute("aria-invalid", "true")
    expect(sheet.locator('[data-field="password"] .field-error').last).to_be_visible()
    expect(confirm).to_be_focused()
    expect(sheet.locator('[data-secret="provisioning"]')).to_have_text("••••••••")
    shot(page, "refused", full_page=False)
    assert fetch_file(admin, old, old["password"]) == 200

    # the right one: a new password, shown once; the phone needs it from now on
    confirm.fill(PASSWORD)
    button.click()
    secret = sheet.locator('[data-secret="provisioning"]')
    expect(secret).to_have_text(re.compile(r"^[A-Za-z0-9]{24}$"))
    expect(secret).to_be_focused()
    expect(sheet).to_contain_text("Shown this once")
    expect(confirm).to_be_hidden()  # done: the sheet again for another
    new = secret.inner_text().strip()
    assert new != old["password"]
    no_text_keys(page)
    shot(page, "made", full_page=False)
    assert fetch_file(admin, old, old["password"]) == 404  # a wrong password: the same 404 as no such phone
    assert fetch_file(admin, old, new) == 200
    assert admin.post(f"/api/devices/{device['id']}/provisioning", {"password": PASSWORD})["password"] == new
    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()
    watch.assert_clean()
    admin.context.close()


def test_with_the_keyboard_alone(server, browser):
    admin = session(browser, server, "provisioning-keys@demo.example.com")
    device = phone(admin, "Desk phone", "00:15:65:00:01:02")
    old = admin.post(f"/api/devices/{device['id']}/provisioning", {"password": PASSWORD})["password"]
    page, watch = open_screen(admin, server, "/devices", wait_ms=WAIT)
    row = page.locator("tbody tr").filter(has_text="Desk phone")
    row.get_by_role("button", name="SIP account of Desk phone").focus()
    page.keyboard.press("Enter")
    sheet = page.get_by_role("dialog", name="SIP account of “Desk phone”")
    expect(sheet.get_by_label("Your own password")).to_be_focused()
    # past the reveal form (its field, its button) to the new password's field
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(sheet.get_by_label("Confirm with your password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")  # submits that form
    secret = sheet.locator('[data-secret="provisioning"]')
    expect(secret).to_be_focused()
    assert secret.inner_text().strip() not in ("", old, "••••••••")
    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()
    expect(row.get_by_role("button", name="SIP account of Desk phone")).to_be_focused()
    watch.assert_clean()
    admin.context.close()


def test_dutch_on_a_narrow_screen(server, browser):
    shot = Screenshots("provisioning-password-narrow-nl")
    admin = session(browser, server, "smal-provisioning@demo.example.com", language="nl", locale="nl-NL",
                    viewport={"width": 380, "height": 800})
    phone(admin, "Balie", "00:15:65:00:01:03")
    page, watch = open_screen(admin, server, "/devices", wait_ms=WAIT)
    page.locator("tbody tr").filter(has_text="Balie").get_by_role("button", name=re.compile("SIP-account")).click()
    sheet = page.get_by_role("dialog", name="SIP-account van “Balie”")
    confirm = sheet.get_by_label("Bevestig met uw wachtwoord")
    confirm.fill("fout wachtwoord")
    sheet.get_by_role("button", name="Nieuw provisioningwachtwoord").click()
    expect(confirm).to_have_attribute("aria-invalid", "true")
    confirm.scroll_into_view_if_needed()
    no_text_keys(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 380 + 1
    shot(page, "refused", full_page=False)
    confirm.fill(PASSWORD)
    sheet.get_by_role("button", name="Nieuw provisioningwachtwoord").click()
    expect(sheet).to_contain_text("Alleen nu getoond")
    shot(page, "made", full_page=False)
    watch.assert_clean()
    admin.context.close()
