"""The conference rooms screen (/conference-rooms, static/js/conference-rooms.js) in Chromium, on the demo
company (#18 item 2): a room made with a real 422 beside its PIN, its PINs shown in the list; who is in
the room now, from an event socket that answers as mod_conference does (tests/fs_bridge/esl_server.py,
the same commands tests/freeswitch/test_conference_on_freeswitch.py sends to a real FreeSWITCH): a caller
muted and another removed from the panel; the room refused for deletion while a call plan sends callers
there, with the link; Dutch on a narrow screen."""

from __future__ import annotations

import json
import re

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.fs_bridge.esl_server import EslServer  # noqa: E402
from tests.web.browser_support import browser, running_server  # noqa: E402,F401  (fixtures)
from tests.web.canvas_support import log_in, new_plan  # noqa: E402

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms: a loaded machine is slow, never wrong
ESL_PASSWORD = "esl-browser"
COMMAND = re.compile(r"conference (t\d+-\d+) (json_list|mute|unmute|kick)(?: (\d+))?\Z")


class Rooms(dict):
    """The event socket's answers: conference name -> its callers, changed by mute, unmute and kick the
    way mod_conference changes them (conference_api.c: "OK mute 7", "OK kicked 7")."""

    def __bool__(self):  # EslServer takes `api_answers or {}`
        return True

    def get(self, command, default=None):
        match = COMMAND.match(command)
        if not match:
            return default
        name, action, member = match.group(1), match.group(2), match.group(3)
        callers = super().get(name)
        if not callers:
            return f"-ERR Conference {name} not found\n"
        if action == "json_list":
            return json.dumps([{"conference_name": name, "member_count": len(callers), "members": [
                {"type": "caller", "id": c["id"], "caller_id_name": c["name"], "caller_id_number": c["number"],
                 "join_time": c["joined"], "flags": {"can_speak": not c["muted"], "is_moderator": c["moderator"],
                                                     "talking": False}} for c in callers]}])
        caller = next((c for c in callers if str(c["id"]) == member), None)
        if caller is None:
            return f"-ERR Member: {member} not found.\n"
        if action == "kick":
            callers.remove(caller)
            return f"OK kicked {member}\n"
        caller["muted"] = action == "mute"
        return f"OK {action} {member}\n"


@pytest.fixture(scope="module")
def switch():
    server = EslServer(password=ESL_PASSWORD, api_answers=Rooms())
    yield server
    server.close()


@pytest.fixture(scope="module")
def live_server(switch):
    with running_server(CALLPLAN_ESL_PORT=str(switch.port), CALLPLAN_ESL_PASSWORD=ESL_PASSWORD) as server:
        yield server


def open_screen(session, server):
    page = session.context.new_page()
    page.set_default_timeout(WAIT)
    watch = ConsoleWatch(page)
    page.goto(server.url("/conference-rooms"))
    page.wait_for_selector("body[data-ready=true]")
    assert "ui." not in page.locator("body").inner_text(), "a text key shown instead of its text"
    return page, watch


def row(page, name):
    return page.locator(".list-table tbody tr").filter(has=page.locator("th", has_text=re.compile(f"^{re.escape(name)}$")))


def callers() -> list[dict]:
    return [{"id": 7, "name": "Anna de Vries", "number": "201", "joined": 125, "muted": False, "moderator": True},
            {"id": 9, "name": "Bram", "number": "+31612345678", "joined": 40, "muted": False, "moderator": False}]


def test_a_room_is_made_its_callers_muted_and_removed_and_its_delete_refused_while_used(live_server, browser, switch):
    shot = Screenshots("conference-rooms")
    session = log_in(browser, live_server, email="conference-admin@demo.example.com")
    page, watch = open_screen(session, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Conference rooms")
    expect(page.get_by_role("navigation", name="Main menu").locator("[aria-current=page]")).to_have_text("Conference rooms")

    # a new room: the API's 422 beside the PIN, then saved
    page.locator(".page-head").get_by_role("button", name="New conference room").click()
    sheet = page.get_by_role("dialog", name="New conference room")
    expect(sheet.get_by_label("Name")).to_be_focused()
    sheet.get_by_label("Name").fill("Board room")
    sheet.get_by_label("Number").fill("850")
    sheet.get_by_label("PIN", exact=True).fill("12")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/api/conference-rooms")) as answer:
        sheet.get_by_role("button", name="Add").click()
    assert answer.value.status == 422
    assert [error["pointer"] for error in answer.value.json()["errors"]] == ["/pin"]
    pin = sheet.get_by_label("PIN", exact=True)
    expect(pin).to_have_attribute("aria-invalid", "true")
    shot(page, "field-error", full_page=False)
    pin.fill("1234")
    sheet.get_by_label("Moderator PIN").fill("9876")
    with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/api/conference-rooms")) as sent:
        sheet.get_by_role("button", name="Add").click()
    assert sent.value.post_data_json["moderator_pin"] == "9876" and sent.value.post_data_json["pin"] == "1234"
    expect(sheet).to_be_hidden()
    board = row(page, "Board room")
    expect(board.locator("td.mono")).to_have_text("850")
    expect(board).to_contain_text("PIN and moderator PIN")
    expect(board).to_contain_text("Not used")
    (room,) = [r for r in session.get("/api/conference-rooms") if r["name"] == "Board room"]

    # nobody in the room yet, then two callers: the panel lists them
    board.get_by_role("button", name="Who is in Board room now").click()
    panel = page.get_by_role("region", name="In Board room now")
    expect(panel.get_by_role("status")).to_have_text("Nobody is in the room.")
    name = next(iter(re.findall(r"t\d+-" + str(room["id"]) + r"\b", " ".join(switch.commands))), None)
    assert name, switch.commands[-5:]  # the page asked FreeSWITCH about the company's room
    switch.api_answers[name] = callers()
    expect(panel.get_by_role("status")).to_have_text("Callers in the room: 2", timeout=WAIT)
    anna = panel.locator("tr", has_text="Anna de Vries (201)")
    expect(anna).to_contain_text("2 min")
    expect(anna).to_contain_text("Moderator")
    shot(page, "in-the-room")

    # mute Anna, remove Bram
    anna.get_by_role("button", name="Mute Anna de Vries (201)").click()
    expect(page.locator(".toast").last).to_have_text(re.compile("Anna de Vries \\(201\\) is muted."))
    expect(panel.locator("tr", has_text="Anna de Vries (201)")).to_contain_text("Muted")
    assert f"api conference {name} mute 7" in switch.commands
    expect(panel.get_by_role("button", name="Unmute Anna de Vries (201)")).to_be_visible()
    panel.get_by_role("button", name="Remove Bram (+31612345678) from the room").click()
    expect(panel.get_by_role("status")).to_have_text("Callers in the room: 1")
    expect(panel.locator("tbody tr")).to_have_count(1)
    assert f"api conference {name} kick 9" in switch.commands
    shot(page, "muted-and-removed")
    panel.get_by_role("button", name="Close").click()
    expect(panel).to_be_hidden()

    # a call plan sends callers into it: the row says so with a link, and a delete is refused
    plan = new_plan(session, "Meeting line", steps=[{"id": "s1", "type": "conference", "room": room["id"]}])
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    board = row(page, "Board room")
    expect(board.locator(".used-by-cell a")).to_have_text("Meeting line")
    board.get_by_role("button", name="Delete Board room").click()
    question = page.get_by_role("alertdialog")
    question.get_by_role("button", name="Delete").click()
    expect(question.get_by_role("alert")).to_contain_text("still used by")
    expect(question.locator(".used-by a")).to_have_attribute("href", f"/plans/{plan}")
    shot(page, "refused")
    question.get_by_role("button", name="Close").click()
    watch.assert_clean()


def test_dutch_on_a_narrow_screen(live_server, browser, switch):
    shot = Screenshots("conference-rooms")
    from tests.web.canvas_support import ensure_admin

    ensure_admin(live_server.database_url, "conference-nl@demo.example.com", language="nl")
    session = log_in(browser, live_server, email="conference-nl@demo.example.com", locale="nl-NL",
                     viewport={"width": 390, "height": 844})
    rooms = [r for r in session.get("/api/conference-rooms") if r["name"] == "Kleine zaal"]
    room = rooms[0] if rooms else session.post("/api/conference-rooms", {"name": "Kleine zaal", "extension": "851"}, expect=201)
    page, watch = open_screen(session, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Vergaderruimtes")
    small = row(page, "Kleine zaal")
    expect(small).to_contain_text("Geen: open")
    small.get_by_role("button", name="Wie er nu in Kleine zaal is").click()
    panel = page.get_by_role("region", name="Nu in Kleine zaal")
    expect(panel.get_by_role("status")).to_have_text("Er is niemand in de ruimte.")
    name = next(iter(re.findall(r"t\d+-" + str(room["id"]) + r"\b", " ".join(switch.commands))))
    switch.api_answers[name] = callers()
    expect(panel.get_by_role("status")).to_have_text("Bellers in de ruimte: 2", timeout=WAIT)
    expect(panel.get_by_role("button", name="Anna de Vries (201) dempen")).to_be_visible()
    # the page fits the narrow screen: nothing wider than the window
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    shot(page, "dutch-narrow")
    watch.assert_clean()
