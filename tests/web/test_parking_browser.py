"""The call parking screen (/parking, static/js/parking.js) in Chromium, on the demo company (#18 item 3):
a bad range refused beside its field (the API's 422), a range whose number a user has refused with that
user named and linked (409 number_taken, used_by), then saved; how to park and pick up, with the park code;
who is parked now, from an event socket that answers as mod_valet_parking does (tests/fs_bridge/esl_server.py;
the same commands tests/freeswitch/test_parking_on_freeswitch.py sees answered by a real FreeSWITCH); only
with the keyboard; Dutch on a narrow screen."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.fs_bridge.esl_server import EslServer  # noqa: E402
from tests.web.browser_support import browser, running_server  # noqa: E402,F401  (fixtures)
from tests.web.canvas_support import ensure_admin, log_in  # noqa: E402

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms: a loaded machine is slow, never wrong
ESL_PASSWORD = "esl-browser"
UUID = "5f1c2a9e-0000-4000-8000-000000000701"


class Lots(dict):
    """The event socket's answers: `valet_info <lot>` and `uuid_dump <uuid> json` of the parked calls
    (lot name -> [(slot, uuid, dump)]), as mod_valet_parking and mod_commands write them."""

    def __bool__(self):  # EslServer takes `api_answers or {}`
        return True

    def get(self, command, default=None):
        match = re.fullmatch(r"valet_info (t\d+-park)", command)
        if match:
            rows = "".join(f'    <extension uuid="{uuid}">{slot}</extension>\n' for slot, uuid, _ in super().get(match.group(1), []))
            return f'<lots>\n  <lot name="{match.group(1)}">\n{rows}  </lot>\n</lots>\n'
        match = re.fullmatch(r"uuid_dump (\S+) json", command)
        if match:
            for parked in self.values():
                for _, uuid, dump in parked:
                    if uuid == match.group(1):
                        return json.dumps(dump)
            return "-ERR No such channel!\n"
        return default


@pytest.fixture(scope="module")
def switch():
    server = EslServer(password=ESL_PASSWORD, api_answers=Lots())
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
    page.goto(server.url("/parking"))
    page.wait_for_selector("body[data-ready=true]")
    assert "ui." not in page.locator("body").inner_text(), "a text key shown instead of its text"
    return page, watch


def demo_tenant(server) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(server.database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT tenant_id FROM parking_lot ORDER BY id")).scalar_one()
    finally:
        engine.dispose()


def parked_caller(lot: str) -> list:
    return [("706", UUID, {"Caller-Caller-ID-Name": "Customer", "Caller-Caller-ID-Number": "+31612345678",
                           "variable_valet_parking_orbit_exten": "park_return_201", "variable_cp_parked_at": str(int(time.time()) - 75)})]


def test_parking_is_switched_on_with_its_slots_and_shows_who_is_parked(live_server, browser, switch):
    shot = Screenshots("parking")
    session = log_in(browser, live_server, email="parking-admin@demo.example.com")
    users = session.get("/api/users")
    holder = next((u for u in users if u.get("extension") == "705"), None) or \
        session.post("/api/users", {"first_name": "Pia", "last_name": "Slot", "extension": "705"}, expect=201)
    page, watch = open_screen(session, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Call parking")
    expect(page.get_by_role("navigation", name="Main menu").locator("[aria-current=page]")).to_have_text("Call parking")
    expect(page.locator("#parking-live").get_by_role("status")).to_have_text("Call parking is off.")
    expect(page.locator("#parking-how")).to_contain_text("*70")

    # only the keyboard: switch it on, a last slot with too many digits: the API's 422 beside it
    enabled = page.get_by_label("Call parking on")
    enabled.focus()
    page.keyboard.press("Space")
    expect(enabled).to_be_checked()
    last = page.get_by_label("Last slot")
    last.fill("7099")
    with page.expect_response(lambda r: r.request.method == "PATCH" and r.url.endswith("/api/parking")) as answer:
        last.press("Enter")
    assert answer.value.status == 422
    assert [error["pointer"] for error in answer.value.json()["errors"]] == ["/last_slot"]
    expect(last).to_have_attribute("aria-invalid", "true")
    expect(last).to_be_focused()
    shot(page, "field-error", full_page=False)

    # 701-709 holds Pia's 705: refused, with her named and linked
    last.fill("709")
    with page.expect_response(lambda r: r.request.method == "PATCH" and r.url.endswith("/api/parking")) as answer:
        page.get_by_role("button", name="Save").click()
    assert answer.value.status == 409 and answer.value.json()["code"] == "number_taken"
    used = page.locator("#parking-used-by")
    expect(used).to_contain_text("These numbers are used already:")
    expect(used.locator(".used-by a")).to_have_text("Pia Slot")
    expect(used.locator(".used-by a")).to_have_attribute("href", f"/users/{holder['id']}")
    shot(page, "number-taken")

    # 706-709 with a minute's return: saved, the numbers are the company's slots now
    page.get_by_label("First slot").fill("706")
    page.get_by_label("Back to who parked it after (seconds)").fill("60")
    with page.expect_response(lambda r: r.request.method == "PATCH" and r.url.endswith("/api/parking")) as answer:
        page.get_by_role("button", name="Save").click()
    assert answer.value.status == 200, answer.value.text()
    expect(page.locator(".toast").last).to_contain_text("Call parking saved.")
    expect(used).to_be_empty()
    expect(page.locator("#parking-how")).to_contain_text("706 to 709")
    expect(page.locator("#parking-how")).to_contain_text("60 s")
    saved = session.get("/api/parking")
    assert (saved["enabled"], saved["slots"], saved["return_after_s"]) == (True, ["706", "707", "708", "709"], 60)

    # a call parked now: the list shows it on its next look
    # the status is drawn from FreeSWITCH's answer, so the question is in the switch's log by then
    # (looked at before, a slow page had not asked yet: CI saw only the directory flush)
    expect(page.locator("#parking-live").get_by_role("status")).to_have_text("No call is parked.", timeout=WAIT)
    lot = next(iter(re.findall(r"valet_info (t\d+-park)", " ".join(switch.commands))), None)
    assert lot, switch.commands[-5:]  # the page asked FreeSWITCH about the company's own lot
    switch.api_answers[lot] = parked_caller(lot)
    live = page.locator("#parking-live")
    expect(live.get_by_role("status")).to_have_text("Calls parked: 1", timeout=WAIT)
    row = live.locator("tr[data-slot='706']")
    expect(row).to_contain_text("Customer (+31612345678)")
    expect(row).to_contain_text("201")
    expect(row).to_contain_text(re.compile(r"1 min 1[5-9] s|1 min [2-5][0-9] s"))
    shot(page, "parked-now")
    switch.api_answers.pop(lot)
    watch.assert_clean()


def test_dutch_on_a_narrow_screen(live_server, browser, switch):
    shot = Screenshots("parking")
    ensure_admin(live_server.database_url, "parking-nl@demo.example.com", language="nl")
    session = log_in(browser, live_server, email="parking-nl@demo.example.com", locale="nl-NL",
                     viewport={"width": 380, "height": 844})
    if not session.get("/api/parking")["enabled"]:  # run on its own: the lot the first test saved
        session.call("PATCH", "/api/parking", {"enabled": True, "first_slot": "706", "last_slot": "709"}, expect=200)
    page, watch = open_screen(session, live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Gesprekken parkeren")
    expect(page.get_by_label("Parkeren aan")).to_be_visible()
    lot = f"t{session.get('/api/parking/calls') is not None and demo_tenant(live_server)}-park"
    switch.api_answers[lot] = parked_caller(lot)
    expect(page.locator("#parking-live").get_by_role("status")).to_have_text("Geparkeerde gesprekken: 1", timeout=WAIT)
    expect(page.locator("#parking-live tr[data-slot='706']")).to_contain_text("Customer (+31612345678)")
    # the page fits the narrow screen: nothing wider than the window
    assert page.evaluate("document.documentElement.scrollWidth") <= 380 + 1
    shot(page, "dutch-narrow")
    switch.api_answers.pop(lot)
    watch.assert_clean()
