"""The operator's "Release" question for numbers a company holds (confirm.js with operator-numbers.js's
texts), in Chromium, English and Dutch (360 px wide): it opens named after the block or number, says how
many of them route calls now and that it cannot be undone; Cancel (and Escape) closes it with nothing
sent and the numbers kept; refused while a department shows one of them, allowed once it no longer does;
Release gives them back (the block or the one number gone from the company, its routing with it). Screenshots test-artifacts/release-dialog-*.png."""

from __future__ import annotations

import pytest

from tests.web.browser_support import Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, in_process_server  # noqa: E402,F401  (fixtures)
from tests.web.browser_support import admin_session  # noqa: E402
from tests.web.canvas_support import assign_number  # noqa: E402
from tests.web.test_operator_numbers_browser import department_shows, open_home, operator_session, row_in  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "give the numbers back"
EN_BLOCK = ("+31201234591", "+31201234592")  # one of them routed to a user
NL_BLOCK = ("+31201234594", "+31201234595", "+31201234596")  # two of them routed
NL_SINGLE = "+31201234598"  # routed: its own question
NARROW = {"width": 360, "height": 780}
expect.set_options(timeout=20_000)

TEXTS = {
    "en": {"release": "Release", "named": "Release {number}", "title": "Release “{name}”?", "done": "“{name}” released.",
           "cancel": "Cancel", "undone": "This cannot be undone.",
           "single": "One of these numbers routes calls now: those calls stop reaching the company.",
           "routed": "{count} of these numbers route calls now: those calls stop reaching the company.",
           "one": "This number routes calls now: those calls stop reaching the company."},
    "nl": {"release": "Vrijgeven", "named": "{number} vrijgeven", "title": "“{name}” vrijgeven?", "done": "“{name}” vrijgegeven.",
           "cancel": "Annuleren", "undone": "Dit kan niet ongedaan worden gemaakt.",
           "single": "Een van deze nummers stuurt nu gesprekken door: die gesprekken komen dan niet meer bij het bedrijf aan.",
           "routed": "{count} van deze nummers sturen nu gesprekken door: die gesprekken komen dan niet meer bij het bedrijf aan.",
           "one": "Dit nummer stuurt nu gesprekken door: die gesprekken komen dan niet meer bij het bedrijf aan."},
}


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        for number in (*EN_BLOCK, *NL_BLOCK, NL_SINGLE):
            assign_number(running.database_url, number)
        yield running


def route_to_a_user(browser, server, numbers) -> None:
    """The company's admin routes these numbers to one of its users (their part, through their API)."""
    admin = admin_session(browser, server, "release-admin@demo.example.com", PASSWORD)
    try:
        user = admin.get("/api/users")[0]
        rows = admin.get("/api/numbers")
        rows = rows["items"] if isinstance(rows, dict) else rows
        for row in rows:
            if row["number"] in numbers:
                admin.call("PATCH", f"/api/numbers/{row['id']}", {"destination": {"type": "user", "id": user["id"]}}, expect=200)
    finally:
        admin.context.close()


def held(operator, digits: str) -> list[str]:
    return [row["number"] for row in operator.get(f"/api/platform/numbers?q={digits}")["items"]]


def releases_sent(page) -> list[str]:
    """Every release the page sends from now on (POST .../release, DELETE /api/platform/numbers/<id>)."""
    sent: list[str] = []
    page.on("request", lambda request: sent.append(f"{request.method} {request.url}") if (
        request.method in ("POST", "DELETE") and "/api/platform/numbers" in request.url) else None)
    return sent


def no_text_keys(page):
    assert "ui." not in page.locator("body").inner_text(), "a text key shown instead of its text"


def fits(page, width: int):
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, "something sticks out sideways"


def asked(page, words, name: str, explain: str):
    """The question is open: its title, what the release takes with it, that it cannot be undone, Cancel first."""
    dialog = page.get_by_role("alertdialog", name=words["title"].format(name=name))
    expect(dialog).to_be_visible()
    expect(dialog.locator(".confirm-explain")).to_have_text(explain)
    expect(dialog).to_contain_text(words["undone"])
    expect(dialog.get_by_role("button", name=words["release"], exact=True)).to_be_visible()
    expect(dialog.get_by_role("button", name=words["cancel"])).to_be_focused()  # the safe choice first
    return dialog


def test_release_asked_cancelled_and_done(server, browser):
    words = TEXTS["en"]
    shot = Screenshots("release-dialog-en")
    route_to_a_user(browser, server, EN_BLOCK[:1])
    operator = operator_session(browser, server, "otto-release@platform.test")
    page, watch = open_home(operator, server)
    sent = releases_sent(page)
    name = f"{EN_BLOCK[0]} – {EN_BLOCK[1]}"
    block = row_in(page, "number-blocks", name)
    expect(block).to_contain_text("Demo Company")
    button = block.get_by_role("button", name=words["named"].format(number=name))

    # Cancel: closed, nothing sent, the numbers still the company's; the focus back on the button
    button.click()
    dialog = asked(page, words, name, words["single"])
    no_text_keys(page)
    shot(page, "asked", full_page=False)
    dialog.get_by_role("button", name=words["cancel"]).click()
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()
    # Escape: the same
    page.keyboard.press("Enter")
    dialog = asked(page, words, name, words["single"])
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert sent == []
    expect(block).to_have_count(1)
    assert set(EN_BLOCK) <= set(held(operator, "12345"))

    # while a department shows one of them on its calls: refused, saying by what; Close keeps them
    department_shows(server, "Sales", EN_BLOCK[1])
    button.click()
    dialog = asked(page, words, name, words["single"])
    with page.expect_response(lambda answer: answer.request.method == "POST") as answer:
        dialog.get_by_role("button", name=words["release"], exact=True).click()
    assert answer.value.status == 409 and answer.value.json()["code"] == "in_use", answer.value.text()
    expect(dialog.get_by_role("alert")).to_contain_text("still used")
    expect(dialog.locator(".used-by li")).to_have_text(["Department: Sales"])
    no_text_keys(page)
    shot(page, "refused", full_page=False)
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    assert set(EN_BLOCK) <= set(held(operator, "12345"))

    # the department shows its own number again: the release is allowed now, the routed one goes with its routing
    department_shows(server, "Sales", "+31201234568")
    button.click()
    dialog = asked(page, words, name, words["single"])
    with page.expect_response(lambda answer: answer.request.method == "POST" and answer.url.endswith("/api/platform/numbers/release")) as answer:
        dialog.get_by_role("button", name=words["release"], exact=True).click()
    assert answer.value.status < 300, answer.value.text()
    expect(dialog).to_be_hidden()
    expect(page.locator(".toast").last).to_contain_text(words["done"].format(name=name))
    expect(block).to_have_count(0)
    assert not set(EN_BLOCK) & set(held(operator, "12345"))
    shot(page, "released", full_page=False)
    watch.assert_clean()
    operator.context.close()


def test_dutch_on_a_narrow_screen_by_the_keyboard(server, browser):
    words = TEXTS["nl"]
    shot = Screenshots("release-dialog-narrow-nl")
    route_to_a_user(browser, server, (*NL_BLOCK[:2], NL_SINGLE))
    operator = operator_session(browser, server, "otto-vrijgeven@platform.test", language="nl", locale="nl-NL", viewport=NARROW)
    page, watch = open_home(operator, server)
    sent = releases_sent(page)
    fits(page, NARROW["width"])

    # a block, two of its three numbers routed: asked, cancelled with the keyboard, nothing sent
    name = f"{NL_BLOCK[0]} – {NL_BLOCK[2]}"
    block = row_in(page, "number-blocks", name)
    button = block.get_by_role("button", name=words["named"].format(number=name))
    button.focus()
    page.keyboard.press("Enter")
    dialog = asked(page, words, name, words["routed"].format(count=2))
    no_text_keys(page)
    fits(page, NARROW["width"])
    shot(page, "block-asked", full_page=False)
    page.keyboard.press("Enter")  # on Cancel
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()
    assert sent == []
    assert set(NL_BLOCK) <= set(held(operator, "12345"))

    # then released: Shift+Tab to Vrijgeven, Enter
    page.keyboard.press("Enter")
    dialog = asked(page, words, name, words["routed"].format(count=2))
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name=words["release"], exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator(".toast").last).to_contain_text(words["done"].format(name=name))
    expect(block).to_have_count(0)
    assert not set(NL_BLOCK) & set(held(operator, "12345"))

    # one number, found by its digits: its own question; Cancel, then Vrijgeven
    numbers = page.locator("#platform-numbers")
    numbers.get_by_role("searchbox").fill(NL_SINGLE[-7:])
    expect(numbers.locator("tbody tr")).to_have_count(1)
    one = row_in(page, "platform-numbers", NL_SINGLE).get_by_role("button", name=words["named"].format(number=NL_SINGLE))
    one.focus()
    page.keyboard.press("Enter")
    dialog = asked(page, words, NL_SINGLE, words["one"])
    fits(page, NARROW["width"])
    shot(page, "number-asked", full_page=False)
    dialog.get_by_role("button", name=words["cancel"]).click()
    expect(dialog).to_be_hidden()
    assert NL_SINGLE in held(operator, NL_SINGLE[-7:])
    assert len(sent) == 1  # the block's release only
    one.click()
    dialog = asked(page, words, NL_SINGLE, words["one"])
    with page.expect_response(lambda answer: answer.request.method == "DELETE") as answer:
        dialog.get_by_role("button", name=words["release"], exact=True).click()
    assert answer.value.status < 300, answer.value.text()
    expect(dialog).to_be_hidden()
    expect(page.locator(".toast").last).to_contain_text(words["done"].format(name=NL_SINGLE))
    expect(numbers.locator("tbody tr").filter(has_text=NL_SINGLE)).to_have_count(0)
    assert held(operator, NL_SINGLE[-7:]) == []
    no_text_keys(page)
    fits(page, NARROW["width"])
    shot(page, "number-released", full_page=False)
    watch.assert_clean()
    operator.context.close()
