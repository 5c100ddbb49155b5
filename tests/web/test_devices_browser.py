"""The phones screen (/devices) in Chromium, on the demo company: a phone added with the keyboard alone by
brand and model from the catalogue, with its MAC and user; its SIP credentials shown once, and later only
after the admin's own password (a wrong one refused beside the field); the provisioning address and its
password behind the same check; a new SIP password; the registration hints; the live "registered" tick
with address and user agent; field errors beside their fields; a refused delete listing the ring group
that rings the phone and a done one; "Add a phone" from a user's page; Dutch on a narrow screen."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.web.browser_support import Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, in_process_server  # noqa: E402,F401  (fixtures)
from tests.web.browser_support import admin_session, open_screen  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "phones on every desk"
WAIT = 20_000  # ms: a loaded machine is slow, never wrong


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        yield running


def session(browser, server, email, language="en", **options):
    return admin_session(browser, server, email, PASSWORD, language, **options)


def open_page(admin, server, path="/devices"):
    return open_screen(admin, server, path, wait_ms=WAIT)


def no_text_keys(page):
    assert not re.search(r"\bui\.[a-z_]+\.", page.locator("body").inner_text()), "a text key shown instead of its text"


def device_named(admin, name):
    return next(row for row in admin.get("/api/devices") if row["name"] == name)


def secret_in(dialog) -> str:
    return dialog.locator("[data-secret]").inner_text().strip()


def test_add_a_phone_with_the_keyboard_and_its_secrets(server, browser):
    shot = Screenshots("devices-add")
    admin = session(browser, server, "phones@demo.example.com")
    page, watch = open_page(admin, server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Phones")
    expect(page.get_by_role("navigation", name="Main menu").locator("[aria-current=page]")).to_have_text("Phones")
    expect(page.locator("tbody tr").first).to_be_visible()
    hints = page.locator("#registration-hints")
    expect(hints).to_contain_text("SIP ALG")
    settings = admin.get("/api/devices/sip-settings")
    expect(hints).to_contain_text(str(settings["port"]))
    expect(hints).to_contain_text(settings["domain"])
    no_text_keys(page)
    shot(page, "list")

    # the keyboard alone: New phone, name, brand, model, MAC, user, Add
    page.get_by_role("button", name="New phone").focus()
    page.keyboard.press("Enter")
    sheet = page.get_by_role("dialog", name="New phone")
    expect(sheet.get_by_label("Name")).to_be_focused()
    page.keyboard.type("Reception desk")
    page.keyboard.press("Tab")
    expect(sheet.get_by_label("Brand")).to_be_focused()
    sheet.get_by_label("Brand").select_option(label="Snom")  # a select: the arrow keys pick, as a person does
    expect(sheet.get_by_label("Model").locator("option")).to_have_text(["D715", "D735", "D785"])
    page.keyboard.press("Tab")
    expect(sheet.get_by_label("Model")).to_be_focused()
    sheet.get_by_label("Model").select_option("D785")
    page.keyboard.press("Tab")
    page.keyboard.type("00:04:13:aa:bb:01")
    page.keyboard.press("Tab")
    sheet.get_by_label("User").select_option(label="Finn de Boer (206)")
    shot(page, "new", full_page=False)
    with page.expect_response(lambda response: response.request.method == "POST" and response.url.endswith("/api/devices")) as made:
        sheet.get_by_role("button", name="Add", exact=True).focus()
        page.keyboard.press("Enter")
    created = made.value.json()
    assert made.value.status == 201 and created["brand"] == "snom" and created["model"] == "D785" and created["mac"] == "000413aabb01"

    # the credentials, shown once
    shown = page.get_by_role("dialog", name="SIP account of “Reception desk”")
    expect(shown).to_contain_text("Shown this once")
    expect(shown).to_contain_text(created["sip_username"])
    password = secret_in(shown)
    assert password == created["sip_password"] and len(password) >= 16
    expect(shown).to_contain_text(settings["server"])
    expect(shown.get_by_role("button", name="Done")).to_be_focused()
    shot(page, "shown-once", full_page=False)
    page.keyboard.press("Enter")
    expect(shown).to_be_hidden()
    row = page.locator("tbody tr").filter(has_text="Reception desk")
    expect(row).to_contain_text("Snom D785")
    expect(row).to_contain_text("00:04:13:AA:BB:01")
    expect(row.get_by_role("link", name="Finn de Boer (206)")).to_have_attribute("href", re.compile(r"^/users/\d+$"))
    expect(row).to_contain_text("Not registered")

    # later: the SIP account sheet shows the username and the provisioning address at once, the passwords
    # only after the admin's own password (a wrong one beside the field)
    row.get_by_role("button", name="SIP account of Reception desk").click()
    sheet = page.get_by_role("dialog", name="SIP account of “Reception desk”")
    expect(sheet.get_by_label("Your own password")).to_be_focused()
    address = admin.get(f"/api/devices/{created['id']}/provisioning")
    expect(sheet).to_contain_text(created["sip_username"])
    expect(sheet).to_contain_text(address["url"])
    expect(sheet).to_contain_text(address["file_url"])
    expect(sheet.locator('[data-secret="sip"]')).not_to_contain_text(password)
    page.keyboard.type("not my password at all")
    page.keyboard.press("Enter")
    expect(sheet.get_by_label("Your own password")).to_have_attribute("aria-invalid", "true")
    expect(sheet.locator(".field-error")).to_be_visible()
    expect(sheet.locator('[data-secret="sip"]')).not_to_contain_text(password)
    shot(page, "wrong-password", full_page=False)
    sheet.get_by_label("Your own password").fill(PASSWORD)
    sheet.get_by_role("button", name="Show").click()
    expect(sheet.locator('[data-secret="sip"]')).to_have_text(password)
    expect(sheet.locator('[data-secret="provisioning"]')).to_have_text(re.compile(r"^[A-Za-z0-9]{24}$"))
    expect(sheet.get_by_label("Your own password")).to_be_hidden()
    shot(page, "revealed", full_page=False)

    # a new SIP password, after a second click, shown once
    renew = sheet.get_by_role("button", name="New SIP password")
    renew.click()
    sheet.get_by_role("button", name="Sure? The phone needs it too").click()
    expect(sheet.locator('[data-secret="sip"]')).not_to_have_text(password)
    expect(sheet).to_contain_text("Shown this once")
    new_password = sheet.locator('[data-secret="sip"]').inner_text().strip()
    assert new_password and new_password != password
    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()
    expect(row.get_by_role("button", name="SIP account of Reception desk")).to_be_focused()
    revealed = admin.post(f"/api/devices/{created['id']}/reveal-sip-password", {"password": PASSWORD})
    assert revealed["sip_password"] == new_password
    watch.assert_clean()


def test_field_errors_change_and_deletes(server, browser):
    shot = Screenshots("devices-edit")
    admin = session(browser, server, "phone-edit@demo.example.com")
    admin.post("/api/devices", {"name": "Spare phone", "brand": "yealink", "model": "T31P", "mac": "00:15:65:00:00:07"}, expect=201)
    page, watch = open_page(admin, server)

    # a MAC that is no MAC, then one another phone has: each beside the MAC field
    page.get_by_role("button", name="New phone").click()
    sheet = page.get_by_role("dialog", name="New phone")
    sheet.get_by_label("Name").fill("Meeting room")
    sheet.get_by_label("MAC address").fill("not-a-mac")
    sheet.get_by_role("button", name="Add", exact=True).click()
    mac = sheet.get_by_label("MAC address")
    expect(mac).to_have_attribute("aria-invalid", "true")
    expect(sheet.locator('[data-field="mac"] .field-error')).to_be_visible()
    expect(mac).to_be_focused()
    shot(page, "bad-mac", full_page=False)
    mac.fill("0015.6500.0007")
    sheet.get_by_role("button", name="Add", exact=True).click()
    expect(sheet.locator('[data-field="mac"] .field-error')).to_contain_text("MAC")
    mac.fill("00:15:65:00:00:08")
    sheet.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("dialog", name="SIP account of “Meeting room”").get_by_role("button", name="Done").click()

    # change: another name and brand; the model follows the brand
    row = page.locator("tbody tr").filter(has_text="Meeting room")
    row.get_by_role("button", name="Edit Meeting room").click()
    sheet = page.get_by_role("dialog", name="Edit Meeting room")
    sheet.get_by_label("Name").fill("Board room")
    sheet.get_by_label("Brand").select_option(label="Polycom")
    expect(sheet.get_by_label("Model")).to_have_value("VVX 250")
    with page.expect_request(lambda request: request.method == "PATCH") as sent:
        sheet.get_by_role("button", name="Save").click()
    assert sent.value.post_data_json == {"name": "Board room", "brand": "polycom", "model": "VVX 250"}
    expect(page.locator("tbody tr").filter(has_text="Board room")).to_contain_text("Polycom VVX 250")

    # refused: a ring group rings the phone; the dialog says which
    board = device_named(admin, "Board room")
    sales = next(group for group in admin.get("/api/ring-groups") if group["name"] == "Sales")
    admin.call("PATCH", f"/api/ring-groups/{sales['id']}", {"members": sales["members"] + [{"type": "device", "id": board["id"]}]}, expect=200)
    row = page.locator("tbody tr").filter(has_text="Board room")
    row.get_by_role("button", name="Delete Board room").click()
    question = page.get_by_role("alertdialog")
    question.get_by_role("button", name="Delete", exact=True).click()
    expect(question.locator(".used-by")).to_contain_text("Ring group")
    expect(question.locator(".used-by")).to_contain_text("Sales")
    shot(page, "refused", full_page=False)
    question.get_by_role("button", name="Close").click()
    assert device_named(admin, "Board room")

    # done: the spare one goes
    page.locator("tbody tr").filter(has_text="Spare phone").get_by_role("button", name="Delete Spare phone").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete", exact=True).click()
    expect(page.locator(".toast").last).to_contain_text("“Spare phone” deleted.")
    expect(page.locator("tbody tr").filter(has_text="Spare phone")).to_have_count(0)
    assert not any(row["name"] == "Spare phone" for row in admin.get("/api/devices"))
    watch.assert_clean()


def registered(database_url: str, device_id: int, address: str, agent: str) -> None:
    """What the bridge writes when FreeSWITCH says the phone registered."""
    from web import clock
    from web.db import make_engine, session_scope
    from web.domain import audit
    from web.models.device import Device

    engine = make_engine(database_url)
    try:
        with session_scope(engine, audit.SYSTEM) as db:
            device = db.get(Device, device_id)
            device.registered = True
            device.registration_source_ip = address
            device.registration_user_agent = agent
            device.registration_contact = f"sip:{device.sip_username}@{address}:5060"
            device.registration_expires_at = clock.now() + timedelta(minutes=10)
            db.add(device)
    finally:
        engine.dispose()


def test_the_registered_tick_comes_by_itself_and_a_phone_from_a_users_page(server, browser):
    shot = Screenshots("devices-live")
    admin = session(browser, server, "phone-live@demo.example.com")
    eva = next(user for user in admin.get("/api/users") if user["first_name"] == "Eva")
    page, watch = open_page(admin, server, f"/users/{eva['id']}#phones")
    panel = page.locator("#panel-phones")
    expect(panel).to_contain_text("Eva's desk phone")
    panel.get_by_role("link", name="Add a phone").click()
    page.wait_for_url(re.compile(r"/devices"))
    sheet = page.get_by_role("dialog", name="New phone")
    expect(sheet.get_by_label("Name")).to_have_value("Eva Smit's phone")
    expect(sheet.get_by_label("User")).to_have_value(re.compile(r".+"))
    sheet.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("dialog", name="SIP account of “Eva Smit's phone”").get_by_role("button", name="Done").click()
    softphone = device_named(admin, "Eva Smit's phone")
    assert softphone["user_id"] == eva["id"]

    row = page.locator("tbody tr").filter(has_text="Eva Smit's phone")
    expect(row).to_contain_text("Not registered")
    registered(server.database_url, softphone["id"], "198.51.100.23", "Zoiper rv2.10.20")
    # the page looks again on its own
    expect(row).to_contain_text("Registered", timeout=30_000)
    expect(row).to_contain_text("198.51.100.23")
    expect(row).to_contain_text("Zoiper rv2.10.20")
    shot(page, "registered")

    page.goto(server.url(f"/users/{eva['id']}#phones"))
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#panel-phones")).to_contain_text("Eva Smit's phone")
    expect(page.locator("#panel-phones .phone-row").filter(has_text="Eva Smit's phone")).to_contain_text("registered")
    watch.assert_clean()


def test_dutch_on_a_narrow_screen(server, browser):
    shot = Screenshots("devices-narrow-nl")
    admin = session(browser, server, "smal-telefoons@demo.example.com", language="nl", locale="nl-NL",
                    viewport={"width": 380, "height": 800})
    page, watch = open_page(admin, server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Telefoons")
    expect(page.locator("#registration-hints")).to_contain_text("SIP ALG")
    no_text_keys(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 380 + 1
    shot(page, "list")
    page.get_by_role("button", name="Nieuwe telefoon").click()
    sheet = page.get_by_role("dialog", name="Nieuwe telefoon")
    sheet.get_by_label("Naam").fill("Balie")
    sheet.get_by_label("MAC-adres").fill("01:00:5e:00:00:01")  # a group address: never a phone's
    sheet.get_by_role("button", name="Toevoegen").click()
    expect(sheet.get_by_label("MAC-adres")).to_have_attribute("aria-invalid", "true")
    shot(page, "mac-error", full_page=False)
    sheet.get_by_label("MAC-adres").fill("")
    sheet.get_by_role("button", name="Toevoegen").click()
    shown = page.get_by_role("dialog", name="SIP-account van “Balie”")
    expect(shown).to_contain_text("Alleen nu getoond")
    no_text_keys(page)
    shot(page, "shown-once", full_page=False)
    shown.get_by_role("button", name="Klaar").click()
    expect(page.locator("tbody tr").filter(has_text="Balie")).to_contain_text("Niet aangemeld")
    watch.assert_clean()
