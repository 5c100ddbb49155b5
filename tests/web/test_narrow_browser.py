"""Every page of the portal on a phone (360 x 740, Chromium), for an admin in English and in Dutch (the longer
words) and for a user, a queue agent and the operator, and the pages before a login: nothing scrolls sideways, neither the page nor any part of it (a
list's table reflows into one card per row instead), every list row's actions are on the screen and take a
click, and the menu, a side sheet and the call-plan editor fit. Screenshots of each page in
test-artifacts/narrow/<who>-<language>-<page>.png."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.web.browser_support import ARTIFACTS, ConsoleWatch, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.bridge_pages_support import Db  # noqa: E402
from tests.web.browser_support import browser, live_server  # noqa: E402,F401  (fixtures)
from tests.web.canvas_support import log_in  # noqa: E402
from web.pages import OWN_PAGES, PAGES  # noqa: E402

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
PASSWORD = "narrow screens all round"
SHOTS = ARTIFACTS / "narrow"
WAIT_MS = 20_000

# What overflows sideways on a page, as found in the page: the page itself, and any element that scrolls
# sideways (overflow auto/scroll with more content than room). Media and the call-plan canvas (a drawing
# one pans in two directions, by design) are not text to read.
OVERFLOWS = """() => {
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth) found.push(`the page: ${root.scrollWidth} px wide`);
  for (const node of document.querySelectorAll("body *")) {
    if (node.closest("audio, video, canvas, svg, .canvas-scroll, [data-pans]")) continue;
    const style = getComputedStyle(node);
    if (!["auto", "scroll"].includes(style.overflowX)) continue;
    if (node.getClientRects().length === 0) continue;  // not shown
    if (node.scrollWidth > node.clientWidth + 1) {
      found.push(`${node.tagName.toLowerCase()}${node.id ? "#" + node.id : ""}.${[...node.classList].join(".")}: `
        + `${node.scrollWidth} px in ${node.clientWidth}`);
    }
  }
  return found;
}"""

# Every list row's action buttons and links (list.js: .row-actions): shown, inside the window's width.
ACTIONS_OFF_SCREEN = """() => [...document.querySelectorAll(".row-actions > button, .row-actions > a")]
  .filter((node) => node.getClientRects().length)
  .map((node) => [node.getAttribute("aria-label") || node.textContent, node.getBoundingClientRect()])
  .filter(([, box]) => box.left < 0 || box.right > window.innerWidth + 0.5 || box.width < 24 || box.height < 24)
  .map(([name, box]) => `${name}: ${Math.round(box.left)}..${Math.round(box.right)} x ${Math.round(box.height)}`)"""


STRAY_TEXT = """() => [...document.querySelectorAll("main, main > *")].some((parent) => [...parent.childNodes]
  .some((node) => node.nodeType === Node.TEXT_NODE && /^\\s*(null|undefined)\\s*$/.test(node.textContent)))"""

def slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


@pytest.fixture(scope="module")
def db(live_server):
    database = Db(live_server.database_url)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture(scope="module")
def seeded(live_server, db):
    """Logins for an admin (English and Dutch), a user and a queue agent, and a few calls, so the call
    lists and reports have rows."""
    from web.models.call_record import CallRecord

    db.account("narrow-admin@demo.example.com", PASSWORD, "admin", "en")
    db.account("smal-beheer@demo.example.com", PASSWORD, "admin", "nl")
    db.account("narrow-user@demo.example.com", PASSWORD, "user", "en", pbx_user="Carla")
    db.account("narrow-agent@demo.example.com", PASSWORD, "agent", "nl", pbx_user="Daan")
    db.account("narrow-operator@pbx.localhost", PASSWORD, "operator", "nl")
    tenant = db.tenant_id()
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=3)
    db.add(*[CallRecord(tenant_id=tenant, call_uuid=str(uuid.uuid4()), direction=direction, caller_number=caller,
                        caller_name="Onderzoeksafdeling Noord-Holland", dialled_number=dialled, callee_number=dialled,
                        started_at=start + timedelta(minutes=7 * index), answered_at=start + timedelta(minutes=7 * index, seconds=4),
                        ended_at=start + timedelta(minutes=7 * index, seconds=95), duration_seconds=95, billed_seconds=91,
                        hangup_cause="NORMAL_CLEARING", call_type="mobile", sources=["cdr"])
             for index, (direction, caller, dialled) in enumerate([
                 ("outbound", "201", "+31612345678"), ("inbound", "+31201112233", "203"), ("internal", "202", "203"),
                 ("inbound", "+442071234567", "400")])])
    return True


def session_for(browser, live_server, email: str, locale: str):
    return log_in(browser, live_server, email=email, password=PASSWORD, locale=locale, viewport=PHONE)


def admin_paths(session) -> list[str]:
    """Every page in web/pages.py, an object's own page with a real id."""
    plan = session.get("/api/plans")[0]["id"]
    user = session.get("/api/users")[0]["id"]
    return [path.replace("{id}", str(plan if path.startswith("/plans/") else user)) for path in PAGES]


def menu_paths(page) -> list[str]:
    """The pages this login's menu offers (what a user or an agent can open)."""
    return page.eval_on_selector_all("#menu li:not([hidden]) a", "(links) => links.map((a) => a.getAttribute('href'))")


def open_drawn(session, server, path: str):
    page = session.context.new_page()
    page.set_default_timeout(WAIT_MS)
    watch = ConsoleWatch(page)
    page.goto(server.url(path))
    page.wait_for_selector("html:not(.pending)", state="attached")  # its texts are in
    for wait in (lambda: page.wait_for_selector("body[data-ready=true]", state="attached", timeout=8_000),  # drawn
                 lambda: page.wait_for_load_state("networkidle", timeout=5_000)):  # the lists' rows are in
        try:
            wait()
        except Exception:  # noqa: BLE001 - a page without data-ready (login security), or one that keeps
            pass  # asking (a live view), is looked at as it is
    page.wait_for_timeout(150)
    return page, watch


def check_page(page, name: str) -> list[str]:
    """What is wrong with the page as shown; its screenshot taken either way."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    problems = [f"{name}: scrolls sideways: {what}" for what in page.evaluate(OVERFLOWS)]
    problems += [f"{name}: action off the screen or too small: {what}" for what in page.evaluate(ACTIONS_OFF_SCREEN)]
    # a stray "null" a screen appended among its parts (seen on /recordings)
    if page.evaluate(STRAY_TEXT):
        problems.append(f"{name}: a stray null or undefined in the page")
    # each list row's actions take a click where they are (trial: nothing done; fails when covered)
    for index, action in enumerate(page.locator("tbody tr:first-child .row-actions > :is(button, a)").all()):
        if not action.is_visible():
            continue
        try:
            action.click(trial=True, timeout=2_000)
        except Exception as error:  # noqa: BLE001 - told as a problem of the page, with the rest
            problems.append(f"{name}: row action {index} cannot be clicked: {str(error).splitlines()[0]}")
    return problems


EDIT = re.compile(r"^(Edit|Bewerken|Details)$")


def check_sheet(page, name: str) -> list[str]:
    """The first list row's Edit (or Details) opens its side sheet: it takes the width, nothing in it
    scrolls sideways; screenshot of the window (the sheet covers just that)."""
    edit = page.locator("tbody tr:first-child .row-actions > button").filter(has_text=EDIT).first
    if not edit.count() or not edit.is_visible():
        return []
    edit.click()
    sheet = page.locator("dialog.sheet[open]")
    try:
        sheet.wait_for(timeout=5_000)
    except Exception:  # noqa: BLE001 - an Edit that goes to a page of its own (a user) has no sheet
        return []
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / f"{name}-sheet.png"))
    box = sheet.bounding_box()
    problems = [f"{name}-sheet: scrolls sideways: {what}" for what in page.evaluate(OVERFLOWS)]
    if box["x"] < 0 or box["x"] + box["width"] > PHONE["width"] + 0.5:
        problems.append(f"{name}-sheet: the sheet is {box['x']}..{box['x'] + box['width']} px")
    page.keyboard.press("Escape")
    return problems


def walk(session, server, who: str, paths: list[str]) -> list[str]:
    problems = []
    for path in paths:
        page, watch = open_drawn(session, server, path)
        problems += check_page(page, f"{who}-{slug(path)}")
        problems += check_sheet(page, f"{who}-{slug(path)}")
        problems += [f"{who}-{slug(path)}: {problem}" for problem in watch.problems]
        page.close()
    return problems


@pytest.mark.parametrize("language", ["en", "nl"])
def test_every_admin_page_fits_a_phone(live_server, browser, seeded, language):
    email = "narrow-admin@demo.example.com" if language == "en" else "smal-beheer@demo.example.com"
    session = session_for(browser, live_server, email, "en-GB" if language == "en" else "nl-NL")
    try:
        paths = admin_paths(session)
        assert len(paths) >= 35, paths  # every page of the portal
        problems = walk(session, live_server, f"admin-{language}", paths)
    finally:
        session.context.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(("who", "email", "locale"), [("user", "narrow-user@demo.example.com", "en-GB"),
                                                      ("agent", "narrow-agent@demo.example.com", "nl-NL"),
                                                      ("operator", "narrow-operator@pbx.localhost", "nl-NL")])
def test_a_users_an_agents_and_the_operators_pages_fit_a_phone(live_server, browser, seeded, who, email, locale):
    session = session_for(browser, live_server, email, locale)
    try:
        page, _ = open_drawn(session, live_server, "/")
        paths = menu_paths(page)
        page.close()
        assert "/account/profile" in paths, paths
        if who != "operator":
            assert "/me" in paths and "/messages" in paths, paths
        if who == "agent":
            assert "/agent" in paths, paths
        problems = walk(session, live_server, who, paths)
    finally:
        session.context.close()
    assert problems == [], "\n".join(problems)


def test_the_pages_before_a_login_fit_a_phone(live_server, browser):
    context = browser.new_context(locale="nl-NL", viewport=PHONE)
    try:
        problems = []
        for path in OWN_PAGES:
            page = context.new_page()
            page.goto(live_server.url(path))
            page.wait_for_load_state("networkidle")
            problems += check_page(page, f"anonymous-nl-{slug(path)}")
            page.close()
    finally:
        context.close()
    assert problems == [], "\n".join(problems)


def test_list_rows_read_as_labelled_cards_and_the_menu_and_a_sheet_fit(live_server, browser, seeded):
    """On a phone a list's row is a card: each value under its column's name, the actions below, reached
    with Tab; the table is still a table to a screen reader. The menu opens from its button, a side sheet
    takes the width and its fields fit."""
    session = session_for(browser, live_server, "smal-beheer@demo.example.com", "nl-NL")
    try:
        page, watch = open_drawn(session, live_server, "/users")
        table = page.get_by_role("table", name="Gebruikers")
        expect(table).to_be_visible()
        first = table.get_by_role("row").nth(1)
        # the table's semantics stay: rows, a header per row, cells, column headers
        expect(table.get_by_role("columnheader").first).to_be_attached()
        expect(first.get_by_role("rowheader")).to_have_count(1)
        assert first.get_by_role("cell").count() >= 2
        # each cell says which column it is in, as a card shows it
        cells = first.locator("td[data-label]")
        assert cells.count() >= 2
        label = page.evaluate("(cell) => getComputedStyle(cell, '::before').content", cells.first.element_handle())
        assert label.strip('"') == cells.first.get_attribute("data-label") != ""
        row_box = first.bounding_box()
        assert row_box["width"] <= PHONE["width"]
        # the actions of the card, with the keyboard
        edit = first.locator(".row-actions > :is(button, a)").first
        edit.focus()
        expect(edit).to_be_focused()
        expect(edit).to_be_in_viewport()
        # a side sheet (a new user) takes the width, its fields inside it
        page.get_by_role("button", name="Nieuwe gebruiker").click()
        sheet = page.locator("dialog.sheet[open]")
        expect(sheet).to_be_visible()
        box = sheet.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5
        assert page.evaluate("(sheet) => sheet.scrollWidth <= sheet.clientWidth + 1", sheet.element_handle())
        assert page.evaluate(OVERFLOWS) == []
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "card-nl-users-sheet.png"))
        page.keyboard.press("Escape")
        expect(sheet).to_be_hidden()

        # the menu, behind its button
        toggle = page.get_by_role("button", name="Menu")
        expect(toggle).to_be_visible()
        toggle.click()
        menu = page.locator("#menu")
        expect(menu).to_be_visible()
        assert page.evaluate(OVERFLOWS) == []
        page.screenshot(path=str(SHOTS / "card-nl-menu.png"), full_page=True)
        watch.assert_clean()
        page.close()

        # a call's details on /calls (a panel below the list, not a sheet) fit as well
        page, watch = open_drawn(session, live_server, "/calls")
        page.locator("#records tbody tr:first-child .row-actions > button").first.click()
        expect(page.locator("#detail")).to_be_visible()
        expect(page.locator("#detail")).to_be_in_viewport()
        assert page.evaluate(OVERFLOWS) == []
        page.screenshot(path=str(SHOTS / "card-nl-call-detail.png"))
        watch.assert_clean()
        page.close()
    finally:
        session.context.close()
