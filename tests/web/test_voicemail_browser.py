"""The voicemail screen (/voicemail, static/js/voicemail.js) in Chromium, on the demo company: company and
personal boxes with whose box each is and what uses it (GET /api/voicemail-boxes/used-by, links where the
page exists); a company box made with a real 422 beside its field, its greeting picked from the audio
library and played; changed; refused while a call plan uses it (with the link) and deleted once free;
a personal box changed without a number of its own and never offered for deletion; Dutch on a narrow
screen."""

from __future__ import annotations

import re

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, live_server  # noqa: E402,F401  (fixtures)
from tests.web.canvas_support import ensure_admin, ensure_audio, log_in, new_plan  # noqa: E402

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms: a loaded machine is slow, never wrong


def open_screen(session, server):
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(server.url("/voicemail"))
    page.wait_for_selector("body[data-ready=true]", timeout=WAIT)
    assert "ui." not in page.locator("body").inner_text(), "a text key shown instead of its text"
    return page, watch


def rows(page):
    return page.locator(".list-table tbody tr")


def row(page, name):
    return rows(page).filter(has=page.locator("th", has_text=re.compile(f"^{re.escape(name)}$")))


def test_boxes_made_changed_refused_while_used_and_deleted(live_server, browser):
    shot = Screenshots("voicemail")
    session = log_in(browser, live_server, email="voicemail-admin@demo.example.com")
    welcome = ensure_audio(session, "Welcome")
    users = session.get("/api/users")
    page, watch = open_screen(session, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Voicemail")
    expect(page.get_by_role("navigation", name="Main menu").locator("[aria-current=page]")).to_have_text("Voicemail")

    # the company box: its number, and what uses it (the night switch, the Sales group dialling 999)
    company = row(page, "Company voicemail")
    expect(company).to_contain_text("Company box")
    expect(company.locator("td.mono")).to_have_text("999")
    expect(company.locator(".used-by-cell li")).to_have_text(["Company settings", "Ring group: Sales"])
    # a personal box: whose it is (and its number), no Delete
    someone = users[0]
    person = f"{someone['first_name']} {someone['last_name']}".strip()
    personal = rows(page).filter(has_text=f"Personal: {person}")
    expect(personal).to_have_count(1)
    expect(personal.locator("td.mono")).to_have_text(someone["extension"])
    expect(personal.get_by_role("button", name=re.compile("^Delete"))).to_have_count(0)
    expect(personal.get_by_role("button", name=re.compile("^Edit"))).to_have_count(1)
    shot(page, "list")

    # a new company box: the API's 422 beside the PIN, then saved with its greeting
    page.locator(".page-head").get_by_role("button", name="New voicemail box").click()
    sheet = page.get_by_role("dialog", name="New voicemail box")
    expect(sheet.get_by_label("Name")).to_be_focused()
    sheet.get_by_label("Name").fill("Night box")
    sheet.get_by_label("Internal number").fill("997")
    sheet.get_by_label("PIN").fill("12")
    sheet.get_by_label("Mail new messages to").fill("night@demo.example.com")
    with page.expect_response(lambda response: response.request.method == "POST" and "/api/voicemail-boxes" in response.url) as answer:
        sheet.get_by_role("button", name="Add").click()
    assert answer.value.status == 422
    assert [error["pointer"] for error in answer.value.json()["errors"]] == ["/pin"]
    pin = sheet.get_by_label("PIN")
    expect(pin).to_have_attribute("aria-invalid", "true")
    expect(pin).to_be_focused()
    expect(page.locator(f"#{pin.get_attribute('id')}-error")).to_have_text("Not in the form expected.")
    expect(sheet.get_by_label("Name")).not_to_have_attribute("aria-invalid", "true")
    shot(page, "field-error", full_page=False)

    pin.fill("2468")
    greeting = sheet.get_by_label("Greeting", exact=True)
    play = sheet.get_by_role("button", name="Play")
    expect(play).to_be_disabled()  # nothing chosen yet
    greeting.select_option(label="Welcome")
    play.click()
    player = sheet.locator("audio.audio-player")
    expect(player).to_be_visible()
    assert player.get_attribute("src").startswith(f"/api/audio/{welcome}/file")
    # the browser really loaded the company's sound (its length is known)
    page.wait_for_function("() => { const a = document.querySelector('dialog audio.audio-player');"
                           " return a && a.readyState >= 1 && a.duration > 0; }", timeout=WAIT)
    with page.expect_request(lambda request: request.method == "POST" and request.url.endswith("/api/voicemail-boxes")) as sent:
        sheet.get_by_role("button", name="Add").click()
    assert sent.value.post_data_json["greeting_audio_id"] == welcome
    expect(sheet).to_be_hidden()
    expect(page.locator(".toast").last).to_have_text(re.compile("“Night box” added."))
    night = row(page, "Night box")
    expect(night).to_contain_text("Company box")
    expect(night).to_contain_text("Not used")
    box_id = next(box["id"] for box in session.get("/api/voicemail-boxes") if box["name"] == "Night box")

    # changed: the sheet starts from what is stored, and only the change is sent
    night.get_by_role("button", name="Edit Night box").click()
    sheet = page.get_by_role("dialog", name="Edit Night box")
    expect(sheet.get_by_label("Greeting", exact=True)).to_have_value(re.compile(".+"))
    expect(sheet.get_by_label("Greeting", exact=True).locator("option:checked")).to_have_text("Welcome")
    expect(sheet.get_by_label("Internal number")).to_have_value("997")
    sheet.get_by_label("And a copy to").fill("boss@demo.example.com")
    # out of hours it only announces: the greeting, no message (#16 item 1, seed 001)
    announce = sheet.get_by_label("Only play the greeting (take no message)")
    expect(announce).not_to_be_checked()
    announce.check()
    shot(page, "announce-only", full_page=False)
    with page.expect_request(lambda request: request.method == "PATCH") as sent:
        sheet.get_by_role("button", name="Save").click()
    assert sent.value.post_data_json == {"copy_email": "boss@demo.example.com", "announce_only": True}
    expect(sheet).to_be_hidden()
    stored = session.get(f"/api/voicemail-boxes/{box_id}")
    assert stored["copy_email"] == "boss@demo.example.com" and stored["announce_only"] is True

    # a call plan takes messages into it: the row says so with a link, and a delete is refused
    plan = new_plan(session, "Night line", steps=[{"id": "s1", "type": "voicemail", "box": box_id}])
    page.reload()
    page.wait_for_selector("body[data-ready=true]", timeout=WAIT)
    night = row(page, "Night box")
    expect(night.locator(".used-by-cell a")).to_have_text("Night line")
    expect(night.locator(".used-by-cell a")).to_have_attribute("href", f"/plans/{plan}")
    night.get_by_role("button", name="Delete Night box").click()
    question = page.get_by_role("alertdialog")
    expect(question.get_by_role("heading")).to_have_text("Delete “Night box”?")
    question.get_by_role("button", name="Delete").click()
    expect(question.get_by_role("alert")).to_contain_text("still used by")
    link = question.locator(".used-by a")
    expect(link).to_have_text("Night line")
    expect(link).to_have_attribute("href", f"/plans/{plan}")
    expect(link).to_be_focused()
    shot(page, "refused")
    question.get_by_role("button", name="Close").click()
    expect(question).to_be_hidden()
    assert session.get(f"/api/voicemail-boxes/{box_id}")["name"] == "Night box"

    # once the plan is gone, the box goes
    session.call("DELETE", f"/api/plans/{plan}", expect=204)
    page.reload()
    page.wait_for_selector("body[data-ready=true]", timeout=WAIT)
    row(page, "Night box").get_by_role("button", name="Delete Night box").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("alertdialog")).to_be_hidden()
    expect(page.locator(".toast").last).to_have_text(re.compile("“Night box” deleted."))
    expect(row(page, "Night box")).to_have_count(0)
    assert all(box["id"] != box_id for box in session.get("/api/voicemail-boxes"))

    # a personal box: changed without a number of its own (it is reached through its user's)
    personal.get_by_role("button", name=re.compile("^Edit")).click()
    sheet = page.get_by_role("dialog")
    expect(sheet.get_by_label("Name")).to_be_visible()
    expect(sheet.get_by_label("Internal number")).to_have_count(0)
    expect(sheet.get_by_label("Only play the greeting (take no message)")).to_have_count(0)  # its user's setting
    sheet.get_by_label("Mail new messages to").fill("personal@demo.example.com")
    with page.expect_request(lambda request: request.method == "PATCH") as sent:
        sheet.get_by_role("button", name="Save").click()
    assert sent.value.post_data_json == {"email": "personal@demo.example.com"}
    expect(sheet).to_be_hidden()
    expect(personal).to_contain_text("personal@demo.example.com")
    watch.assert_clean()
    session.context.close()


def test_dutch_on_a_narrow_screen(live_server, browser):
    shot = Screenshots("voicemail-narrow-nl")
    email = "voicemail-nl@demo.example.com"
    ensure_admin(live_server.database_url, email, "voicemail op een smal scherm", language="nl")
    session = log_in(browser, live_server, email=email, password="voicemail op een smal scherm", locale="nl-NL",
                     viewport={"width": 380, "height": 740})
    page, watch = open_screen(session, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Voicemail")
    expect(page.locator(".page-head").get_by_role("button", name="Nieuwe voicemailbox")).to_be_visible()
    expect(page.locator("thead")).to_contain_text("Gebruikt door")
    expect(row(page, "Company voicemail")).to_contain_text("Bedrijfsbox")
    expect(rows(page).filter(has_text="Persoonlijk: ").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    shot(page, "list")

    page.locator(".page-head").get_by_role("button", name="Nieuwe voicemailbox").click()
    sheet = page.get_by_role("dialog", name="Nieuwe voicemailbox")
    sheet.get_by_label("Naam").fill("Nachtbox")
    sheet.get_by_label("Intern nummer").fill("996")
    sheet.get_by_label("Pincode").fill("1234")
    sheet.get_by_label("Nieuwe berichten mailen naar").fill("geen adres")
    expect(sheet.get_by_label("Alleen de begroeting afspelen (geen bericht opnemen)")).to_be_visible()
    sheet.get_by_role("button", name="Toevoegen").click()
    address = sheet.get_by_label("Nieuwe berichten mailen naar")
    expect(address).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{address.get_attribute('id')}-error")).not_to_have_text("")
    assert "ui." not in sheet.inner_text()
    shot(page, "field-error", full_page=False)
    address.fill("nacht@demo.example.com")
    sheet.get_by_role("button", name="Toevoegen").click()
    expect(sheet).to_be_hidden()
    expect(row(page, "Nachtbox")).to_contain_text("Niet in gebruik")
    watch.assert_clean()
    session.context.close()
