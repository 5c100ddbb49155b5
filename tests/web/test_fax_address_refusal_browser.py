"""A user whose address faxes are mailed to, on the users screen in Chromium, English and Dutch (360 px):
clearing the e-mail address is refused (PATCH: 409 `email_used_for_faxes` at /email) and the user's page
says why beside the field, with what sends the faxes there (`used_by`, linked), the focus on the field;
deleting the user is refused (DELETE: 409 `in_use`) in the dialog with the same number listed. Once the
number routes elsewhere both are done. Driven by the keyboard. Screenshots test-artifacts/fax-address-*.png."""

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
from tests.web.canvas_support import assign_number  # noqa: E402

pytestmark = pytest.mark.browser

PASSWORD = "faxes go to this address"
WAIT = 20_000  # ms: a loaded machine is slow, never wrong
ENGLISH, DUTCH = "+31201234581", "+31201234582"
NARROW = {"width": 360, "height": 780}

TEXTS = {
    "en": {"field": "Faxes to e-mail go to this address: keep one, or route those faxes elsewhere first.",
           "title": "Faxes are mailed to this address (1 place(s)); choose another destination for them first.",
           "used_by": "Used by:", "kind": "Number", "email": "E-mail address", "save": "Save", "delete": "Delete",
           "delete_named": "Delete {name}",
           "cancel": "Cancel", "close": "Close", "still_used": "still used", "saved": "saved"},
    "nl": {"field": "Fax naar e-mail gaat naar dit adres: houd een adres, of stuur die faxen eerst ergens anders heen.",
           "title": "Faxen worden naar dit adres gemaild (1 plaats(en)); kies daar eerst een andere bestemming.",
           "used_by": "Gebruikt door:", "kind": "Nummer", "email": "E-mailadres", "save": "Opslaan", "delete": "Verwijderen",
           "delete_named": "{name} verwijderen",
           "cancel": "Annuleren", "close": "Sluiten", "still_used": "nog gebruikt", "saved": "opgeslagen"},
}


@pytest.fixture(scope="module")
def server():
    with in_process_server() as running:
        for number in (ENGLISH, DUTCH):
            assign_number(running.database_url, number)
        yield running


def number_row(admin, number: str) -> dict:
    rows = admin.get("/api/numbers")
    rows = rows["items"] if isinstance(rows, dict) else rows
    return next(row for row in rows if row["number"] == number)


def faxed_user(admin, first_name: str, extension: str, number: str) -> tuple[dict, dict]:
    """A user with an address and no login, and a number whose faxes are mailed to that address."""
    user = admin.post("/api/users", {"first_name": first_name, "last_name": "Fax", "extension": extension,
                                     "email": f"{first_name.lower()}@demo.example.com"}, expect=201)
    row = number_row(admin, number)
    admin.call("PATCH", f"/api/numbers/{row['id']}", {"destination": {"type": "fax", "id": user["id"]}}, expect=200)
    return user, row


def no_text_keys(page):
    assert not re.search(r"\bui\.[a-z_]+\.", page.locator("body").inner_text()), "a text key shown instead of its text"


def fits(page, width: int):
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, "something sticks out sideways"


def refused_clearing(page, admin, user: dict, number: str, words: dict, shot, width: int | None = None):
    """On the user's page: the address emptied with the keyboard and Enter; refused beside the field."""
    page.goto(page.url.split("/users")[0] + f"/users/{user['id']}")
    page.wait_for_selector("body[data-ready=true]")
    general = page.locator("#panel-general")
    email = general.get_by_label(words["email"], exact=True)
    expect(email).to_have_value(user["email"])
    email.focus()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Backspace")
    with page.expect_response(lambda answer: answer.request.method == "PATCH" and f"/api/users/{user['id']}" in answer.url) as sent:
        page.keyboard.press("Enter")  # Enter in a field sends its form
    assert sent.value.status == 409 and sent.value.json()["code"] == "email_used_for_faxes", sent.value.text()
    assert sent.value.request.post_data_json == {"email": None}

    # beside the field: why, and what sends the faxes there (a link to the number); the focus on the field
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    field = general.locator('[data-field="email"]')
    expect(field.locator(".field-error")).to_have_text(words["field"])
    used = field.locator(".form-used-by")
    expect(used.locator(".used-by-intro")).to_have_text(words["used_by"])
    expect(used.locator("li")).to_have_text([f"{words['kind']}: {number}"])
    expect(used.locator('li[data-kind="phone_number"] a')).to_have_attribute("href", re.compile(r"/numbers"))
    described = email.get_attribute("aria-describedby").split()
    assert field.locator(".field-error").get_attribute("id") in described and used.get_attribute("id") in described
    expect(general.get_by_role("alert").first).to_have_text(words["title"])
    no_text_keys(page)
    if width:
        fits(page, width)
    shot(page, "clearing-refused", full_page=False)
    # the next stop after the field is the link to what uses it
    page.keyboard.press("Tab")
    expect(used.get_by_role("link", name=number)).to_be_focused()
    assert admin.get(f"/api/users/{user['id']}")["email"] == user["email"]  # kept
    return email, used


def refused_delete(page, admin, user: dict, number: str, words: dict, shot, width: int | None = None):
    """From the users list, the keyboard alone: Delete asks (Cancel first), Delete is refused with the number."""
    page.goto(page.url.split("/users")[0] + "/users")
    page.wait_for_selector("body[data-ready=true]")
    search = page.get_by_role("searchbox")
    search.focus()
    page.keyboard.type(user["extension"])
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    name = f"{user['first_name']} {user['last_name']}"
    button = rows.first.get_by_role("button", name=words["delete_named"].format(name=name))
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("alertdialog")
    expect(dialog.get_by_role("button", name=words["cancel"])).to_be_focused()  # the safe choice first
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name=words["delete"], exact=True)).to_be_focused()
    with page.expect_response(lambda answer: answer.request.method == "DELETE") as sent:
        page.keyboard.press("Enter")
    assert sent.value.status == 409 and sent.value.json()["code"] == "in_use", sent.value.text()
    expect(dialog.get_by_role("alert")).to_contain_text(words["still_used"])
    expect(dialog.locator(".used-by li")).to_have_text([f"{words['kind']}: {number}"])
    expect(dialog.locator(".used-by").get_by_role("link", name=number)).to_be_focused()
    no_text_keys(page)
    if width:
        fits(page, width)
    shot(page, "delete-refused", full_page=False)
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name=words["close"])).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    assert any(row["id"] == user["id"] for row in admin.get("/api/users"))


def test_the_address_faxes_go_to_is_kept_and_the_screen_says_why(server, browser):
    shot = Screenshots("fax-address-en")
    words = TEXTS["en"]
    admin = admin_session(browser, server, "fax-address@demo.example.com", PASSWORD, "en")
    user, number = faxed_user(admin, "Piet", "281", ENGLISH)
    page, watch = open_screen(admin, server, "/users", wait_ms=WAIT)
    refused_delete(page, admin, user, ENGLISH, words, shot)
    email, used = refused_clearing(page, admin, user, ENGLISH, words, shot)

    # typed again, the refusal goes with its list; a new address is taken (faxes go there now)
    email.fill("piet.new@demo.example.com")
    with page.expect_response(lambda answer: answer.request.method == "PATCH") as sent:
        page.locator("#panel-general").get_by_role("button", name=words["save"]).click()
    assert sent.value.status == 200, sent.value.text()
    expect(used).to_have_count(0)
    expect(email).not_to_have_attribute("aria-invalid", "true")
    assert "-used-by" not in (email.get_attribute("aria-describedby") or "")

    # the number routed elsewhere: the address may go, and the user too
    admin.call("PATCH", f"/api/numbers/{number['id']}", {"destination": None}, expect=200)
    email.fill("")
    with page.expect_response(lambda answer: answer.request.method == "PATCH") as sent:
        email.press("Enter")
    assert sent.value.status == 200, sent.value.text()
    expect(page.locator("#panel-general .form-used-by")).to_have_count(0)
    assert admin.get(f"/api/users/{user['id']}")["email"] is None
    shot(page, "cleared", full_page=False)
    page.get_by_role("button", name=words["delete"], exact=True).click()
    page.get_by_role("alertdialog").get_by_role("button", name=words["delete"], exact=True).click()
    page.wait_for_url(re.compile(r"/users$"))
    assert not any(row["id"] == user["id"] for row in admin.get("/api/users"))
    watch.assert_clean()
    admin.context.close()


def test_dutch_on_a_narrow_screen(server, browser):
    shot = Screenshots("fax-address-narrow-nl")
    words = TEXTS["nl"]
    admin = admin_session(browser, server, "fax-adres@demo.example.com", PASSWORD, "nl", locale="nl-NL", viewport=NARROW)
    user, _ = faxed_user(admin, "Anna", "282", DUTCH)
    page, watch = open_screen(admin, server, "/users", wait_ms=WAIT)
    refused_delete(page, admin, user, DUTCH, words, shot, width=NARROW["width"])
    refused_clearing(page, admin, user, DUTCH, words, shot, width=NARROW["width"])
    watch.assert_clean()
    admin.context.close()
