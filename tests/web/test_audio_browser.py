"""The audio library (/audio, static/js/audio.js) in Chromium, on the demo company: several WAVs (made
here with the wave module) uploaded at once through the file input, each with its own progress bar fed
by XMLHttpRequest's upload events, one dropped onto the page, a file that is no sound refused beside its
upload; played in the browser from the company's stored WAV; renamed, with the API's 422 beside the
name; refused while a voicemail box greets with it (the used_by list, with the link to the box, which
opens it) and deleted once free; Dutch on a narrow screen."""

from __future__ import annotations

import io
import re
import wave

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, live_server  # noqa: E402,F401  (fixtures)
from tests.web.canvas_support import ensure_admin, log_in  # noqa: E402

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms: a loaded machine is slow, never wrong


def tone(seconds: float, rate: int = 8000) -> bytes:
    """A small mono 16-bit WAV: a square wave, so it is not silence."""
    frames = int(rate * seconds)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join((b"\x00\x20" if (n // 20) % 2 else b"\x00\xe0") for n in range(frames)))
    return buffer.getvalue()


def wav_file(name: str, seconds: float) -> dict:
    return {"name": name, "mimeType": "audio/wav", "buffer": tone(seconds)}


def open_screen(session, server, path="/audio"):
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    page.goto(server.url(path))
    page.wait_for_selector("body[data-ready=true]", timeout=WAIT)
    assert "ui." not in page.locator("body").inner_text(), "a text key shown instead of its text"
    return page, watch


def rows(page):
    return page.locator("#library .list-table tbody tr")


def row(page, name):
    return rows(page).filter(has=page.locator("th", has_text=re.compile(f"^{re.escape(name)}$")))


def upload_item(page, filename):
    return page.locator(f".upload[data-file='{filename}']")


def test_upload_play_rename_refused_while_used_and_delete(live_server, browser):
    shot = Screenshots("audio")
    session = log_in(browser, live_server, email="audio-admin@demo.example.com")
    page, watch = open_screen(session, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Audio library")
    expect(page.get_by_role("navigation", name="Main menu").locator("[aria-current=page]")).to_have_text("Audio")

    # two sounds and a text file at once, with the keyboard's way in: the file input behind its label
    chooser = page.get_by_label("Choose files…")
    expect(chooser).to_have_attribute("multiple", "")
    chooser.set_input_files([wav_file("Welcome message.wav", 1.2), wav_file("closed.wav", 2.6),
                             {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a sound at all\n"}])
    welcome_item, closed_item, notes_item = (upload_item(page, name) for name in ("Welcome message.wav", "closed.wav", "notes.txt"))
    expect(welcome_item).to_have_attribute("data-state", "done", timeout=WAIT)
    expect(closed_item).to_have_attribute("data-state", "done", timeout=WAIT)
    expect(notes_item).to_have_attribute("data-state", "failed", timeout=WAIT)
    expect(welcome_item.get_by_role("status")).to_have_text("Uploaded as “Welcome message”.")
    # the bars were filled as the uploads went out (nothing else sets them)
    for item in (welcome_item, closed_item):
        assert item.locator("progress").evaluate("bar => bar.value") == 1
    expect(welcome_item.get_by_role("progressbar", name="Upload of Welcome message.wav")).to_be_visible()
    # the refusal, beside its own upload, in words
    expect(notes_item.get_by_role("status")).to_have_text(re.compile("not a sound we can read"))
    shot(page, "uploaded")

    expect(row(page, "Welcome message")).to_contain_text("0:01")
    expect(row(page, "closed")).to_contain_text("0:03")
    expect(row(page, "Welcome message")).to_contain_text("Welcome message.wav")
    expect(row(page, "Welcome message")).to_contain_text("Not used")
    files = {audio["name"]: audio["id"] for audio in session.get("/api/audio")}
    assert set(files) == {"Welcome message", "closed"}

    # dropped onto the page
    dropped = page.evaluate_handle("""(bytes) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], "dropped tune.wav", { type: "audio/wav" }));
      return transfer;
    }""", list(tone(0.5)))
    page.dispatch_event("main", "dragenter", {"dataTransfer": dropped})
    expect(page.locator("body")).to_have_class(re.compile("dragging"))
    page.dispatch_event("main", "drop", {"dataTransfer": dropped})
    expect(upload_item(page, "dropped tune.wav")).to_have_attribute("data-state", "done", timeout=WAIT)
    expect(page.locator("body")).not_to_have_class(re.compile("dragging"))
    expect(row(page, "dropped tune")).to_be_visible()

    # played here, from the company's stored WAV
    row(page, "Welcome message").get_by_role("button", name="Play Welcome message").click()
    player = page.locator("#library audio.audio-player")
    expect(player).to_be_visible()
    expect(page.locator(".now-playing p")).to_have_text("Playing: Welcome message")
    assert player.get_attribute("src") == f"/api/audio/{files['Welcome message']}/file?rate=16000"
    page.wait_for_function("() => { const a = document.querySelector('#library audio.audio-player');"
                           " return a && a.readyState >= 1 && Math.abs(a.duration - 1.2) < 0.1; }", timeout=WAIT)

    # renamed: an empty name is the API's 422, beside the name
    row(page, "closed").get_by_role("button", name="Edit closed").click()
    sheet = page.get_by_role("dialog", name="Edit closed")
    name = sheet.get_by_label("Name")
    expect(name).to_have_value("closed")
    name.fill("")
    with page.expect_response(lambda response: response.request.method == "PATCH") as answer:
        sheet.get_by_role("button", name="Save").click()
    assert answer.value.status == 422
    assert answer.value.json()["errors"][0]["pointer"] == "/name"
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{name.get_attribute('id')}-error")).to_have_text("Fill this in.")
    shot(page, "rename-error", full_page=False)
    name.fill("We are closed")
    with page.expect_request(lambda request: request.method == "PATCH") as sent:
        sheet.get_by_role("button", name="Save").click()
    assert sent.value.post_data_json == {"name": "We are closed"}
    expect(sheet).to_be_hidden()
    expect(row(page, "We are closed")).to_contain_text("closed.wav")
    assert session.get(f"/api/audio/{files['closed']}")["name"] == "We are closed"

    # a voicemail box greets with it: the row says so, a delete is refused with the link to the box
    box = session.post("/api/voicemail-boxes", {"name": "Sales box", "extension": "995", "pin": "1234",
                                                "greeting_audio_id": files["Welcome message"]}, expect=201)
    page.reload()
    page.wait_for_selector("body[data-ready=true]", timeout=WAIT)
    used = row(page, "Welcome message")
    expect(used.locator(".used-by-cell li")).to_have_text(["Voicemail box: Sales box"])
    expect(used.locator(".used-by-cell a")).to_have_attribute("href", f"/voicemail?edit={box['id']}")
    used.get_by_role("button", name="Delete Welcome message").click()
    question = page.get_by_role("alertdialog")
    question.get_by_role("button", name="Delete").click()
    expect(question.get_by_role("alert")).to_contain_text("still used by")
    link = question.locator(".used-by a")
    expect(link).to_have_text("Sales box")
    expect(link).to_be_focused()
    shot(page, "refused")
    assert session.get(f"/api/audio/{files['Welcome message']}")["name"] == "Welcome message"
    # the link opens the box, where the greeting is chosen
    link.click()
    page.wait_for_url(re.compile(r"/voicemail"), timeout=WAIT)
    box_sheet = page.get_by_role("dialog", name="Edit Sales box")
    expect(box_sheet).to_be_visible(timeout=WAIT)
    expect(box_sheet.get_by_label("Greeting", exact=True).locator("option:checked")).to_have_text("Welcome message")
    box_sheet.get_by_label("Greeting", exact=True).select_option(label="—")
    box_sheet.get_by_role("button", name="Save").click()
    expect(box_sheet).to_be_hidden()

    # free now: deleted, and its sound is gone from the server
    page.goto(live_server.url("/audio"))
    page.wait_for_selector("body[data-ready=true]", timeout=WAIT)
    expect(row(page, "Welcome message")).to_contain_text("Not used")
    row(page, "Welcome message").get_by_role("button", name="Delete Welcome message").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Delete").click()
    expect(page.locator(".toast").last).to_have_text(re.compile("“Welcome message” deleted."))
    expect(row(page, "Welcome message")).to_have_count(0)
    assert session.call("GET", f"/api/audio/{files['Welcome message']}/file").get("code") == "not_found"
    watch.assert_clean()
    session.context.close()


def test_dutch_on_a_narrow_screen(live_server, browser):
    shot = Screenshots("audio-narrow-nl")
    email, password = "audio-nl@demo.example.com", "geluiden op een smal scherm"
    ensure_admin(live_server.database_url, email, password, language="nl")
    session = log_in(browser, live_server, email=email, password=password, locale="nl-NL", viewport={"width": 380, "height": 740})
    page, watch = open_screen(session, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Audiobibliotheek")
    page.get_by_label("Bestanden kiezen…").set_input_files([wav_file("Wachtmuziek.wav", 0.8), wav_file("leeg.wav", 0)])
    expect(upload_item(page, "Wachtmuziek.wav")).to_have_attribute("data-state", "done", timeout=WAIT)
    expect(upload_item(page, "Wachtmuziek.wav").get_by_role("status")).to_have_text("Geüpload als “Wachtmuziek”.")
    expect(upload_item(page, "leeg.wav")).to_have_attribute("data-state", "failed", timeout=WAIT)
    expect(upload_item(page, "leeg.wav").get_by_role("status")).to_have_text("Dit geluidsbestand bevat geen geluid.")
    expect(row(page, "Wachtmuziek")).to_contain_text("Niet in gebruik")
    expect(page.locator("#library thead")).to_contain_text("Gebruikt door")
    row(page, "Wachtmuziek").get_by_role("button", name="Wachtmuziek afspelen").click()
    expect(page.locator(".now-playing p")).to_have_text("Speelt af: Wachtmuziek")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    assert "ui." not in page.locator("body").inner_text()
    shot(page, "library")
    watch.assert_clean()
    session.context.close()
