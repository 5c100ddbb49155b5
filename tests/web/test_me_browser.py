"""My phone (/me, #15 item 1) in Chromium, on the demo company, logged in as a user (role user) who is the
demo's Bram (202): the menu entry; forwarding set on the page and taking effect in the dialplan FreeSWITCH
fetches for a call to Bram (mod_xml_curl, as the dialplan tests fetch it); a field error beside its
field; the calls made, received and missed; the phones; own contacts added, imported from CSV and
deleted; a greeting uploaded and played; the tabs by keyboard; Dutch on a narrow screen. Screenshots in
test-artifacts/me-*.png."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import pytest

from tests.web.browser_support import Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.conftest import fast_settings  # noqa: E402
from tests.web.browser_support import browser, in_process_server  # noqa: E402,F401  (fixtures)
from tests.web.browser_support import open_screen  # noqa: E402
from tests.web.canvas_support import log_in, wav_bytes  # noqa: E402
from tests.web.helpers import switch_client  # noqa: E402
from tests.web.test_xml_curl import FORM, PASSWORD as XML_CURL_PASSWORD, basic, dialplan_request, encode  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "my own phone settings"
WAIT = 20_000  # ms: a loaded machine is slow, never wrong
BRAM = "bram.user@demo.example.com"
DOMAIN = "demo.pbx.localhost"


def ensure_user_login(database_url: str, email: str, extension: str, language: str = "en") -> int:
    """A portal login of role user for the demo's PBX user with `extension` (an admin would give it on the
    user's Portal tab; the welcome mail is not what this test is about). Returns the user's id."""
    from sqlmodel import select

    from web.auth.passwords import hash_password
    from web.db import make_engine, session_scope
    from web.domain import audit
    from web.models import Account
    from web.models.pbx_user import PbxUser

    engine = make_engine(database_url)
    try:
        with session_scope(engine, audit.SYSTEM) as db:
            user = db.exec(select(PbxUser).where(PbxUser.extension == extension)).one()
            account = db.exec(select(Account).where(Account.email == email)).first()
            if account is None:
                account = Account(email=email, role="user", tenant_id=user.tenant_id, first_name=user.first_name,
                                  last_name=user.last_name, language=language,
                                  password_hash=hash_password(fast_settings(database_url), PASSWORD))
                db.add(account)
                db.flush()
            account.language = language
            user.account_id = account.id
            # the admin keeps Bram out of the company's night switch, so the dialplan this test reads
            # is the same whatever the time of day the test runs at
            user.night_mode = "off"
            db.add(user)
            return user.id
    finally:
        engine.dispose()


def add_calls(database_url: str, user_id: int) -> None:
    from web.db import make_engine, session_scope
    from web.domain import audit
    from web.models.call_record import CallRecord
    from web.models.pbx_user import PbxUser

    engine = make_engine(database_url)
    start = datetime.now(timezone.utc) - timedelta(hours=2)
    try:
        with session_scope(engine, audit.SYSTEM) as db:
            tenant_id = db.get(PbxUser, user_id).tenant_id
            rows = [
                dict(direction="outbound", caller_number="202", dialled_number="0612345678", callee_number="0612345678", duration_seconds=75,
                     answered_at=start),
                dict(direction="inbound", caller_number="+31301112233", caller_name="Client BV", dialled_number="+31201234500",
                     callee_number="202", answered_by_user_id=user_id, duration_seconds=130, answered_at=start + timedelta(minutes=5)),
                dict(direction="internal", caller_number="203", caller_name="Carla Bakker", dialled_number="202", callee_number="202",
                     missed=True),
                dict(direction="outbound", caller_number="201", dialled_number="0698765432", callee_number="0698765432",
                     duration_seconds=20, answered_at=start),  # Anna's: never on Bram's page
            ]
            for index, values in enumerate(rows):
                db.add(CallRecord(tenant_id=tenant_id, call_uuid=f"me-browser-{user_id}-{index}",
                                  started_at=start + timedelta(minutes=5 * index), **values))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        running.bram_id = ensure_user_login(running.database_url, BRAM, "202")
        add_calls(running.database_url, running.bram_id)
        yield running


def user_session(browser, server, language="en", **options):
    ensure_user_login(server.database_url, BRAM, "202", language)
    return log_in(browser, server, email=BRAM, password=PASSWORD, locale="nl-NL" if language == "nl" else "en-GB", **options)


def no_text_keys(page):
    assert not re.search(r"\bui\.[a-z_]+\.", page.locator("body").inner_text()), "a text key shown instead of its text"


def save(page, button, path_part="/api/me"):
    with page.expect_response(lambda response: response.request.method in ("PATCH", "POST", "PUT", "DELETE") and path_part in response.url) as answer:
        button.click()
    return answer.value


def dialplan_for(server, number: str) -> ET.Element:
    """What FreeSWITCH's mod_xml_curl gets for a call to `number` in the demo company: the app's own
    endpoint (another app object on the same database, with the switch's credentials set)."""
    from web.app import create_app
    from web.xml_curl import cache
    from web.xml_curl.endpoint import PATH

    cache.invalidate()
    app = create_app(fast_settings(server.database_url, xml_curl_password=XML_CURL_PASSWORD))
    try:
        pairs = [(k, {"Caller-Context": DOMAIN, "Hunt-Context": DOMAIN, "Caller-Destination-Number": number,
                      "Hunt-Destination-Number": number}.get(k, v)) for k, v in dialplan_request()]
        answer = switch_client(app).post(PATH, content=encode(pairs), headers={**FORM, **basic()})
        assert answer.status_code == 200, answer.text
        return ET.fromstring(answer.text)
    finally:
        app.state.engine.dispose()


def actions_of(root: ET.Element, extension_name: str) -> list[tuple[str, str]]:
    extension = root.find(f".//extension[@name='{extension_name}']")
    assert extension is not None, ET.tostring(root)[:2000]
    return [(action.get("application"), action.get("data") or "") for action in extension.iter("action")]


def test_a_user_sets_forwarding_on_my_phone_and_the_dialplan_follows(server, browser):
    shot = Screenshots("me")
    session = user_session(browser, server)
    page, watch = open_screen(session, server, "/me", wait_ms=WAIT)
    expect(page.get_by_role("heading", level=1)).to_have_text("My phone")
    expect(page.locator("#me-facts")).to_contain_text("Bram Jansen · extension 202")
    menu = page.get_by_role("navigation", name="Main menu")
    expect(menu.locator("[aria-current=page]")).to_have_text("My phone")
    expect(menu.get_by_role("link", name="Users")).to_be_hidden()  # a user sees no admin screens
    no_text_keys(page)
    before = actions_of(dialplan_for(server, "202"), "user_202")
    assert any(app == "bridge" and "user/202@" in data for app, data in before), before

    # forwarding: always to an outside number
    panel = page.locator("#panel-forwarding")
    expect(page.get_by_role("tab", name="Forwarding")).to_have_attribute("aria-selected", "true")
    always = panel.get_by_role("group", name="Always")
    always.get_by_label("Forward every call").check()
    always.get_by_label("Forward to").select_option("external")
    always.locator("input[inputmode=tel]").fill("+31612345678")
    shot(page, "forwarding")
    answer = save(page, panel.get_by_role("button", name="Save"))
    assert answer.status == 200, answer.text()
    expect(page.get_by_role("status").filter(has_text="Your settings are saved.")).to_be_visible()

    # the dialplan FreeSWITCH fetches for a call to 202 now forwards it out, and no longer rings Bram's phones
    after = actions_of(dialplan_for(server, "202"), "user_202")
    assert any(app == "bridge" and "+31612345678" in data and "sofia/gateway/" in data for app, data in after), after
    assert not any(app == "bridge" and "user/202@" in data for app, data in after), after

    # a field error lands beside its field (the mobile tab: not a number)
    page.get_by_role("tab", name="Mobile").click()
    mobile = page.locator("#panel-mobile")
    mobile.get_by_label("Ring my mobile too").check()
    mobile.get_by_label("Mobile number").fill("call me")
    answer = save(page, mobile.get_by_role("button", name="Save"))
    assert answer.status == 422
    error = mobile.locator(".field-error").first
    expect(error).to_be_visible()
    expect(error).to_contain_text("not valid")
    shot(page, "mobile-error")
    mobile.get_by_label("Mobile number").fill("+31687654321")
    assert save(page, mobile.get_by_role("button", name="Save")).status == 200

    # caller ID: the company's number or the department's (Sales), each shown with its number
    page.get_by_role("tab", name="Caller ID").click()
    caller = page.locator("#panel-caller_id")
    options = caller.locator("select option")
    expect(options).to_have_count(2)
    expect(options.nth(1)).to_contain_text("+31201234568")
    shot(page, "caller-id")

    # calls: made, received and missed, Bram's only; the missed one stands out; the filter
    page.get_by_role("tab", name="My calls").click()
    calls = page.locator("#panel-calls")
    rows = calls.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(calls).not_to_contain_text("0698765432")
    expect(calls.locator("tr.missed")).to_contain_text("Carla Bakker")
    expect(calls.get_by_role("button", name="Call 0612345678 from my phone")).to_be_visible()
    shot(page, "calls")
    calls.get_by_label("Show").select_option("missed")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Missed")
    # click-to-dial without a FreeSWITCH says so beside the list
    calls.get_by_role("button", name="Call 203 from my phone").click()
    expect(calls.get_by_role("alert")).not_to_be_empty()

    # phones with their registration state
    page.get_by_role("tab", name="Phones").click()
    phones = page.locator("#panel-phones")
    expect(phones.locator(".phone-row")).to_have_count(1)
    expect(phones.locator(".phone-row")).to_contain_text("Bram's desk phone")
    expect(phones.locator(".phone-row")).to_contain_text(re.compile("not registered", re.I))

    # the tabs by keyboard: Home goes to the first, arrows move on
    page.get_by_role("tab", name="Phones").focus()
    page.keyboard.press("Home")
    expect(page.get_by_role("tab", name="Forwarding")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Voicemail")).to_be_focused()
    assert page.evaluate("window.location.hash") == "#voicemail"
    watch.assert_clean()


def test_own_contacts_added_imported_and_deleted(server, browser, tmp_path):
    shot = Screenshots("me-contacts")
    session = user_session(browser, server)
    page, watch = open_screen(session, server, "/me#contacts", wait_ms=WAIT)
    panel = page.locator("#panel-contacts")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("No contacts of your own yet.")
    panel.get_by_role("button", name="New contact").first.click()
    sheet = page.get_by_role("dialog", name="New contact")
    sheet.get_by_label("Name").fill("Garage Smit")
    sheet.get_by_label("Number").fill("+31 20 555 1234")
    answer = save(page, sheet.get_by_role("button", name="Add"), "/api/me/contacts")
    assert answer.status == 201, answer.text()
    rows = panel.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("+31205551234")

    csv = tmp_path / "contacts.csv"
    csv.write_text("naam;nummer;bedrijf\nHuisarts;0201112233;Praktijk Oost\nGarage Smit;+31205551234;\nTante Jo;+31612121212;\nKapot;letters\n")
    panel.get_by_role("button", name="Import CSV").click()
    sheet = page.get_by_role("dialog", name="Import CSV")
    expect(sheet.get_by_label("Replace all my contacts (the current ones are removed)")).not_to_be_checked()
    sheet.get_by_label("CSV file").set_input_files(str(csv))
    expect(sheet.locator(".import-rows tbody tr")).to_have_count(2)
    expect(sheet.locator(".import-errors tbody tr")).to_have_count(1)
    expect(sheet.locator(".import-errors tbody tr")).to_have_attribute("data-line", "5")
    shot(page, "import-preview", full_page=False)
    answer = save(page, sheet.get_by_role("button", name=re.compile("Import")), "/api/me/contacts/import")
    assert answer.status == 200, answer.text()
    expect(rows).to_have_count(3)
    expect(panel).to_contain_text("Praktijk Oost")
    shot(page, "imported")

    rows.filter(has_text="Tante Jo").get_by_role("button", name="Delete Tante Jo").click()
    dialog = page.get_by_role("alertdialog")
    if dialog.count() == 0:
        dialog = page.get_by_role("dialog")
    with page.expect_response(lambda response: response.request.method == "DELETE") as answer:
        dialog.get_by_role("button", name="Delete").click()
    assert answer.value.status == 204
    expect(rows).to_have_count(2)
    expect(panel).not_to_contain_text("Tante Jo")
    # the company phonebook is not where they went
    assert session.get("/api/phonebook") == [] or all(row["name"] != "Huisarts" for row in session.get("/api/phonebook"))
    watch.assert_clean()


def parking_on(browser, server) -> None:
    """The demo company's admin switches parking on (701-703): the admin's part, through the API."""
    from tests.web.browser_support import admin_session

    admin = admin_session(browser, server, "parking-admin@demo.example.com", PASSWORD, "en")
    admin.call("PATCH", "/api/parking", {"enabled": True, "first_slot": "701", "last_slot": "703"}, expect=200)
    admin.context.close()


def forward_busy_to_park_and_unreachable_to_my_faxes(page, panel, texts: dict) -> None:
    busy = panel.get_by_role("group", name=texts["busy"])
    busy.get_by_label(texts["busy_on"]).check()
    busy.get_by_label(texts["to"]).select_option(label=texts["park"])
    expect(busy.get_by_label(texts["which"])).to_be_hidden()  # the company's one lot: nothing to pick
    away = panel.get_by_role("group", name=texts["unregistered"])
    away.get_by_label(texts["unregistered_on"]).check()
    away.get_by_label(texts["to"]).select_option(label=texts["fax"])
    which = away.get_by_label(texts["which"])
    expect(which.locator("option")).to_have_text([texts["choose"], texts["own_fax"]])  # only one's own faxes
    which.select_option(label=texts["own_fax"])


def test_my_phone_forwards_to_the_parking_lot_and_to_my_own_faxes(server, browser):
    shot = Screenshots("me-park-fax")
    parking_on(browser, server)
    session = user_session(browser, server)
    page, watch = open_screen(session, server, "/me", wait_ms=WAIT)
    panel = page.locator("#panel-forwarding")
    always = panel.get_by_role("group", name="Always")
    always.get_by_label("Forward every call").uncheck()  # the first test may have left it on
    forward_busy_to_park_and_unreachable_to_my_faxes(page, panel, {
        "busy": "When busy", "busy_on": "Forward when busy", "to": "Forward to", "park": "Park the call (parking lot)",
        "which": "Which one", "unregistered": "When no phone is connected", "unregistered_on": "Forward when no phone is registered",
        "fax": "Fax to e-mail", "choose": "Choose…", "own_fax": "My e-mail address (bram@demo.example.com)"})
    no_text_keys(page)
    shot(page, "chosen")
    answer = save(page, panel.get_by_role("button", name="Save"))
    assert answer.status == 200, answer.text()
    expect(page.get_by_role("status").filter(has_text="Your settings are saved.")).to_be_visible()
    forwarding = session.get("/api/me")["forwarding"]
    assert forwarding["busy"]["to"] == {"type": "park", "id": None, "number": None}
    assert forwarding["unregistered"]["to"] == {"type": "fax", "id": server.bram_id, "number": None}
    # what FreeSWITCH is served for a call to Bram: parked when he is busy, a fax for him when no phone is there
    served = []
    for disposition in ("USER_BUSY", "USER_NOT_REGISTERED"):  # where the call goes after ringing Bram's phones
        root = dialplan_for(server, f"user_202_after_{disposition}")
        served += [action for e in root.iter("extension") if (e.get("name") or "").startswith("user_202")
                   for action in actions_of(root, e.get("name"))]
    assert any(app == "valet_park" and data.endswith("auto in 701 703") for app, data in served), served
    assert ("set", f"cp_fax=rxu:{server.bram_id}") in served, served
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    busy = page.locator("#panel-forwarding").get_by_role("group", name="When busy")
    expect(busy.get_by_label("Forward to")).to_have_value("park")
    shot(page, "saved")
    watch.assert_clean()


def test_dutch_on_a_narrow_screen_with_a_greeting_uploaded_and_played(server, browser, tmp_path):
    shot = Screenshots("me-nl-narrow")
    session = user_session(browser, server, language="nl", viewport={"width": 390, "height": 844})
    page, watch = open_screen(session, server, "/me#voicemail", wait_ms=WAIT)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn toestel")
    expect(page.get_by_role("button", name="Menu")).to_be_visible()  # the menu folds away
    no_text_keys(page)
    panel = page.locator("#panel-voicemail")
    expect(panel.locator("#record-by-phone")).to_contain_text("*97")
    # the voicemail messages have a page of their own (#15 item 2): linked from here
    expect(panel.get_by_role("link", name="Mijn voicemailberichten")).to_have_attribute("href", "/messages")
    wav = tmp_path / "afwezig.wav"
    wav.write_bytes(wav_bytes(1.0))
    greeting = panel.locator("[data-greeting=unavailable]")
    with page.expect_response(lambda response: response.request.method == "PUT") as answer:
        greeting.get_by_label("Een begroeting uploaden (WAV, MP3, FLAC of Ogg)").set_input_files(str(wav))
    assert answer.value.status == 200, answer.value.text()
    greeting = page.locator("#panel-voicemail [data-greeting=unavailable]")
    expect(greeting.locator("audio")).to_be_visible()
    expect(greeting).to_contain_text("Geüploade begroeting")
    playable = page.evaluate("""async () => {
        const audio = document.querySelector('[data-greeting=unavailable] audio');
        const answer = await fetch(audio.src);
        return [answer.status, answer.headers.get('content-type')];
    }""")
    assert playable == [200, "audio/wav"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page scrolls sideways"
    shot(page, "voicemail")
    page.get_by_role("tab", name="Doorschakelen").click()
    shot(page, "forwarding")
    # the parking lot and fax to one's own e-mail, in Dutch
    panel = page.locator("#panel-forwarding")
    forward_busy_to_park_and_unreachable_to_my_faxes(page, panel, {
        "busy": "Bij bezet", "busy_on": "Doorschakelen bij bezet", "to": "Doorschakelen naar",
        "park": "Gesprek parkeren (parkeerplaats)", "which": "Welke", "unregistered": "Als er geen telefoon verbonden is",
        "unregistered_on": "Doorschakelen als geen telefoon aangemeld is", "fax": "Fax naar e-mail", "choose": "Kies…",
        "own_fax": "Mijn e-mailadres (bram@demo.example.com)"})
    no_text_keys(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page scrolls sideways"
    shot(page, "forwarding-park-fax")
    watch.assert_clean()


def test_a_login_without_a_phone_of_its_own_is_told_so(server, browser):
    from tests.web.browser_support import admin_session

    session = admin_session(browser, server, "no.phone@demo.example.com", PASSWORD)
    page, watch = open_screen(session, server, "/me", wait_ms=WAIT)
    expect(page.get_by_role("heading", level=1)).to_have_text("My phone")
    expect(page.locator("#no-pbx-user")).to_contain_text("not linked to a PBX user")
    expect(page.get_by_role("tab")).to_have_count(0)
    watch.assert_clean()
