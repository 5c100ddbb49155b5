"""Hot desking on the screens (#16 item 1), in Chromium on the demo company: a user logged in on a
hot-desking phone (as the bridge writes it when the phone's login code succeeds) shows on the phones
screen beside that phone and on the user's page, each with a button that logs the user out; the phones
screen notices a login by itself; English, and Dutch on a narrow screen with the keyboard."""

from __future__ import annotations

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

PASSWORD = "desks for everyone"
WAIT = 20_000  # ms: a loaded machine is slow, never wrong


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        yield running


def logged_in(database_url: str, device_id: int, user_id: int) -> None:
    """What the bridge writes when the phone's hot-desk login code succeeded (web.domain.hot_desk)."""
    from sqlmodel import select

    from web.db import make_engine, session_scope
    from web.domain import audit, hot_desk
    from web.models.device import Device
    from web.models.pbx_user import PbxUser

    engine = make_engine(database_url)
    try:
        with session_scope(engine, audit.SYSTEM) as db:
            device = db.get(Device, device_id)
            user = db.exec(select(PbxUser).where(PbxUser.id == user_id)).one()
            assert hot_desk.login(db, device.tenant_id, device.id, user.extension)
    finally:
        engine.dispose()


def flex_desk(admin, name: str, first_name: str) -> tuple[dict, dict]:
    """A hot-desking phone of nobody, and the demo user allowed to hot-desk."""
    user = next(row for row in admin.get("/api/users") if row["first_name"] == first_name)
    admin.call("PATCH", f"/api/users/{user['id']}", {"hot_desking": True}, expect=200)
    device = admin.post("/api/devices", {"name": name, "hot_desking": True}, expect=201)
    return device, user


def test_a_hot_desk_login_shows_on_the_phones_screen_and_the_users_page(server, browser):
    shot = Screenshots("hot-desk")
    admin = admin_session(browser, server, "flex@demo.example.com", PASSWORD)
    device, bram = flex_desk(admin, "Flex desk 1", "Bram")
    page, watch = open_screen(admin, server, "/devices", wait_ms=WAIT)
    row = page.locator("tbody tr").filter(has_text="Flex desk 1")
    expect(row).to_contain_text("Hot desk: nobody logged in")

    logged_in(server.database_url, device["id"], bram["id"])
    # the screen looks again by itself (every 10 s)
    expect(row).to_contain_text(re.compile(r"Hot desk: Bram Jansen \(202\) logged in since"), timeout=30_000)
    shot(page, "phones-logged-in")

    page.goto(server.url(f"/users/{bram['id']}#phones"))
    page.wait_for_selector("body[data-ready=true]")
    panel = page.locator("#panel-phones")
    expect(panel).to_contain_text("Logged in on the hot-desking phone Flex desk 1 since")
    shot(page, "user-page-logged-in")
    panel.get_by_role("button", name="Log out").click()
    expect(panel).to_contain_text("Not logged in on a hot-desking phone.")
    assert admin.get("/api/hot-desk-logins") == []

    # logged in again, and out from the phones screen, with the keyboard
    logged_in(server.database_url, device["id"], bram["id"])
    page.goto(server.url("/devices"))
    page.wait_for_selector("body[data-ready=true]")
    button = page.get_by_role("button", name="Log Bram Jansen (202) out of Flex desk 1")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator("tbody tr").filter(has_text="Flex desk 1")).to_contain_text("Hot desk: nobody logged in")
    assert admin.get("/api/hot-desk-logins") == []
    watch.assert_clean()


def test_dutch_on_a_narrow_screen(server, browser):
    shot = Screenshots("hot-desk-narrow-nl")
    admin = admin_session(browser, server, "smal-flex@demo.example.com", PASSWORD, language="nl", locale="nl-NL",
                          viewport={"width": 380, "height": 800})
    device, carla = flex_desk(admin, "Flexplek 2", "Carla")
    logged_in(server.database_url, device["id"], carla["id"])
    page, watch = open_screen(admin, server, "/devices", wait_ms=WAIT)
    row = page.locator("tbody tr").filter(has_text="Flexplek 2")
    expect(row).to_contain_text(re.compile(r"Flexplek: Carla Bakker \(203\) ingelogd sinds"))
    expect(row.get_by_role("button", name="Carla Bakker (203) uitloggen van Flexplek 2")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 380 + 1
    assert not re.search(r"\bui\.[a-z_]+\.", page.locator("body").inner_text())
    shot(page, "phones")
    page.goto(server.url(f"/users/{carla['id']}#phones"))
    page.wait_for_selector("body[data-ready=true]")
    panel = page.locator("#panel-phones")
    expect(panel).to_contain_text("Ingelogd op de flexplektelefoon Flexplek 2 sinds")
    assert page.evaluate("document.documentElement.scrollWidth") <= 380 + 1
    shot(page, "user-page")
    panel.get_by_role("button", name="Uitloggen").click()
    expect(panel).to_contain_text("Niet ingelogd op een flexplektelefoon.")
    watch.assert_clean()
