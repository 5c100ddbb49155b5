"""The /messages screen in Chromium (#15 item 2): a user plays a message (the WAV from the shared
voicemail folder; played to the end it counts as heard), marks one heard, downloads one and deletes one,
all by keyboard, and sees messages appear and go as their box changes (a caller leaves one, the phone
deletes one: the bridge's feed says which box); in Dutch on a phone-sized screen too; an admin grants a
company box. The portal talks to the test ESL server answering as mod_voicemail does
(tests/web/voicemail_switch.py), which keeps the lamp's state. Screenshots in test-artifacts/."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.fs_bridge.esl_server import EslServer  # noqa: E402
from tests.web.bridge_pages_support import Db, FeedServer  # noqa: E402
from tests.web.browser_support import browser, running_server  # noqa: E402,F401  (fixture)
from tests.web.canvas_support import log_in  # noqa: E402
from tests.web.voicemail_switch import ModVoicemail  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "messages in the browser"
ESL_PASSWORD = "esl-for-messages"
DOMAIN = "demo.pbx.localhost"
WAIT_MS = 30_000


class Rig:
    def __init__(self, server, voicemail: ModVoicemail, feed: FeedServer):
        self.server, self.voicemail, self.feed = server, voicemail, feed
        self.db = Db(server.database_url)

    def box_id(self, name: str) -> int:
        from sqlmodel import select

        from web.models.voicemail_box import VoicemailBox

        with self.db.session() as session:
            return session.exec(select(VoicemailBox.id).where(VoicemailBox.name == name)).one()

    def personal_box(self, first_name: str) -> int:
        from sqlmodel import select

        from web.models.voicemail_box import VoicemailBox

        user = self.db.user(first_name)
        with self.db.session() as session:
            return session.exec(select(VoicemailBox.id).where(VoicemailBox.user_id == user.id)).one()

    def changed(self, box_id: int) -> None:
        """What the bridge says after mod_voicemail's recount of a box (fs_bridge/voicemail.py)."""
        self.feed.publish(self.db.tenant_id(), "voicemail", {"box_id": box_id, "new": 0, "saved": 0})


@pytest.fixture(scope="module")
def rig():
    with tempfile.TemporaryDirectory(prefix="callplan-vm-") as folder:
        voicemail = ModVoicemail(storage_dir=Path(folder))
        switch = EslServer(password=ESL_PASSWORD, api_answers=voicemail)
        feed = FeedServer()
        try:
            with running_server("callplan-messages-", CALLPLAN_BRIDGE_FEED_HOST="127.0.0.1",
                                CALLPLAN_BRIDGE_FEED_PORT=str(feed.port), CALLPLAN_ESL_HOST="127.0.0.1",
                                CALLPLAN_ESL_PORT=str(switch.port), CALLPLAN_ESL_PASSWORD=ESL_PASSWORD,
                                CALLPLAN_VOICEMAIL_DIR=folder) as server:
                made = Rig(server, voicemail, feed)
                yield made
                made.db.close()
        finally:
            feed.close()
            switch.close()


def session_as(browser, rig, email, first_name, language="en", role="user", **options):
    rig.db.account(email, PASSWORD, role, language, first_name)
    return log_in(browser, rig.server, email=email, password=PASSWORD, **options)


def open_messages(session, rig):
    page = session.context.new_page()
    page.set_default_timeout(WAIT_MS)
    watch = ConsoleWatch(page)
    page.goto(rig.server.url("/messages"))
    page.wait_for_selector("body[data-ready=true]")
    return page, watch


def row(page, caller: str):
    return page.locator("#vmsg-list tbody tr", has_text=caller)


def tab_to(page, locator, limit: int = 80) -> None:
    """Tab through the page until `locator` has the focus (the keyboard's way there)."""
    handle = locator.element_handle()
    for _ in range(limit):
        if page.evaluate("(element) => document.activeElement === element", handle):
            return
        page.keyboard.press("Tab")
    raise AssertionError("never reached by Tab")


def test_play_mark_download_and_delete_by_keyboard_and_live_changes(browser, rig):
    vm, shots = rig.voicemail, Screenshots("voicemail-messages")
    bram = vm.leave("202", DOMAIN, caller_number="+31612345678", caller_name="Jan de Vries", seconds=2, created=1773133200)
    other = vm.leave("202", DOMAIN, caller_number="0201234567", caller_name="", seconds=2, created=1773136800)
    company = vm.leave("999", DOMAIN, caller_number="+3225550000", caller_name="Brussels office")
    session = session_as(browser, rig, "bram@demo.example.com", "Bram")
    page, watch = open_messages(session, rig)
    expect(page.locator("h1")).to_have_text("Voicemail messages")
    expect(page.locator("#vmsg-list tbody tr")).to_have_count(2)  # not the company box: not granted
    expect(row(page, "Jan de Vries").locator("[data-state]")).to_have_attribute("data-state", "new")
    expect(page.locator("#vmsg-summary")).to_have_text("2 new, 0 heard, in 1 box(es).")
    shots(page, "list")

    # Play by keyboard: the player shows it, the WAV comes from the shared folder, and once played to the
    # end the message is heard, as on the phone: mod_voicemail is told, the lamp goes out for it
    play = row(page, "Jan de Vries").get_by_role("button", name="Play the message from Jan de Vries (+31612345678)")
    tab_to(page, play)
    page.keyboard.press("Enter")
    player = page.locator(".now-playing")
    expect(player).to_be_visible()
    expect(player).to_contain_text("Message from Jan de Vries (+31612345678)")
    page.wait_for_function("() => document.querySelector('.now-playing audio').readyState >= 1")
    assert 1.5 < page.evaluate("() => document.querySelector('.now-playing audio').duration") < 2.5
    shots(page, "playing")
    expect(row(page, "Jan de Vries").locator("[data-state]")).to_have_attribute("data-state", "heard", timeout=WAIT_MS)
    assert any(command == f"vm_read 202@{DOMAIN} read {bram.uuid}" for command in vm.commands)
    assert vm.mwi[-1] == (f"202@{DOMAIN}", "yes", "1/1")

    # Mark heard by keyboard: the last new message, so the lamp goes out
    mark = row(page, "0201234567").get_by_role("button", name="Mark the message from 0201234567 heard")
    tab_to(page, mark)
    page.keyboard.press("Enter")
    expect(row(page, "0201234567").locator("[data-state]")).to_have_attribute("data-state", "heard")
    assert vm.mwi[-1] == (f"202@{DOMAIN}", "no", "0/2")
    expect(page.locator("#vmsg-summary")).to_have_text("0 new, 2 heard, in 1 box(es).")

    # Download: a link to the WAV as an attachment
    download = row(page, "0201234567").get_by_role("link", name="Download the message from 0201234567 (WAV)")
    href = download.get_attribute("href")
    assert download.get_attribute("download") == "" and href.endswith(f"/messages/{other.uuid}/audio?download=1")
    wav = session.context.request.get(rig.server.url(href))
    assert wav.status == 200 and wav.headers["content-type"] == "audio/wav" and wav.body()[:4] == b"RIFF"
    assert wav.headers["content-disposition"].startswith("attachment")

    # Delete by keyboard: the question, Cancel first (the safe choice), then Delete
    delete = row(page, "0201234567").get_by_role("button", name="Delete the message from 0201234567")
    tab_to(page, delete)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    shots(page, "delete-question", full_page=False)
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Delete")).to_be_focused()
    page.keyboard.press("Enter")
    expect(row(page, "0201234567")).to_have_count(0)
    assert [r.uuid for r in vm.of("202", DOMAIN)] == [bram.uuid] and not Path(other.file_path).exists()
    assert vm.commands[-3] == f"vm_delete 202@{DOMAIN} {other.uuid}" or f"vm_delete 202@{DOMAIN} {other.uuid}" in vm.commands

    # Live: a caller leaves a message; the phone deletes one. The page follows without a reload.
    rig.feed.wait_for_client()
    fresh = vm.leave("202", DOMAIN, caller_number="+31687654321", caller_name="Piet Caller", seconds=2)
    rig.changed(rig.personal_box("Bram"))
    expect(row(page, "Piet Caller")).to_have_count(1)
    expect(row(page, "Piet Caller").locator("[data-state]")).to_have_attribute("data-state", "new")
    vm.get(f"vm_delete 202@{DOMAIN} {bram.uuid}")  # as the phone's menu deletes it
    rig.changed(rig.personal_box("Bram"))
    expect(row(page, "Jan de Vries")).to_have_count(0)
    expect(page.locator("#vmsg-list tbody tr")).to_have_count(1)
    shots(page, "after-live-changes")

    # The admin grants Bram the company box on the voicemail boxes screen; it shows on his page
    admin = session_as(browser, rig, "boxes-admin@demo.example.com", "Finn", role="admin")
    boxes = admin.context.new_page()
    boxes.set_default_timeout(WAIT_MS)
    admin_watch = ConsoleWatch(boxes)
    boxes.goto(rig.server.url(f"/voicemail?edit={rig.box_id('Company voicemail')}"))
    boxes.wait_for_selector("body[data-ready=true]")
    sheet = boxes.get_by_role("dialog")
    grant = sheet.get_by_role("checkbox", name="Bram Jansen (202)")
    grant.scroll_into_view_if_needed()
    expect(grant).to_be_visible()
    shots(boxes, "grant-readers", full_page=False)
    grant.check()
    sheet.get_by_role("button", name="Save").click()
    expect(sheet).to_have_count(0)
    admin_watch.assert_clean()
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(row(page, "Brussels office")).to_have_count(1)
    expect(row(page, "Brussels office")).to_contain_text("Company voicemail (999)")
    assert company.uuid in page.locator("#vmsg-list").inner_html()
    shots(page, "company-box-granted")
    watch.assert_clean()
    assert fresh.uuid


def test_dutch_on_a_phone_sized_screen(browser, rig):
    vm, shots = rig.voicemail, Screenshots("voicemail-messages-nl")
    vm.leave("203", DOMAIN, caller_number="+31611112222", caller_name="Klant de Wit", seconds=2)
    gone = vm.leave("203", DOMAIN, caller_number="+31633334444", caller_name="Leverancier", seconds=2)
    session = session_as(browser, rig, "carla@demo.example.com", "Carla", language="nl", locale="nl-NL",
                         viewport={"width": 390, "height": 844})
    page, watch = open_messages(session, rig)
    expect(page.locator("h1")).to_have_text("Voicemailberichten")
    expect(page.locator("#vmsg-summary")).to_have_text("2 nieuw, 0 beluisterd, in 1 box(en).")
    first = row(page, "Klant de Wit")
    expect(first.get_by_role("button", name="Het bericht van Klant de Wit (+31611112222) afspelen")).to_be_visible()
    expect(first.locator("[data-state]")).to_have_text("Nieuw")
    # nothing wider than the screen
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    shots(page, "narrow-list")
    # "Alleen nieuwe" / "Alleen beluisterde"
    page.get_by_label("Tonen").select_option("heard")
    expect(page.locator("#vmsg-list tbody tr")).to_have_count(0)
    page.get_by_label("Tonen").select_option("all")
    delete = row(page, "Leverancier").get_by_role("button", name="Het bericht van Leverancier (+31633334444) verwijderen")
    tab_to(page, delete)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("alertdialog")
    expect(dialog.get_by_role("button", name="Annuleren")).to_be_focused()
    shots(page, "narrow-delete-question", full_page=False)
    dialog.get_by_role("button", name="Verwijderen").click()
    expect(row(page, "Leverancier")).to_have_count(0)
    assert gone.uuid not in [r.uuid for r in vm.of("203", DOMAIN)]
    shots(page, "narrow-after-delete")
    watch.assert_clean()
