"""The plan builder's transfer step to the company's parking lot, in Chromium: "Transfer to" offers the
parking lot beside an internal number, a user, an outside number and another plan; chosen, there is nothing
more to pick (a sentence says what happens), the card names it, and the saved draft holds {"park": true},
which compiles to the lot (callplan/test_parking.py). English on a wide screen, English and Dutch on a phone
(390 px), where the plan's cards stay inside the plan's area at every scroll position, never over the
palette or the side panels. Screenshots test-artifacts/canvas-park-*.png."""

from __future__ import annotations

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.web.browser_support import browser, live_server  # noqa: E402,F401  (fixtures)
from tests.web.canvas_support import CANVAS_PASSWORD, card, ensure_admin, log_in, new_plan, open_plan  # noqa: E402

pytestmark = pytest.mark.browser
expect.set_options(timeout=20_000)

TEXTS = {
    "en": {"kind": "Transfer to", "park": "The parking lot", "save": "Save draft",
           "help": "The caller waits in the first free slot of the company's parking lot"},
    "nl": {"kind": "Doorverbinden naar", "park": "De parkeerplaats", "save": "Concept opslaan",
           "help": "De beller wacht op de eerste vrije plek van de parkeerplaats van het bedrijf"},
}


# Scrolled from the top of the page to its end, each step card's box against the plan area's (.canvas) and
# the palette's and side panels' boxes as drawn: what is out of place, at which scroll position.
CARDS_OUT_OF_PLACE = """() => {
  const found = [];
  const meets = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const inside = (a, b) => a.left >= b.left - 0.5 && a.right <= b.right + 0.5 && a.top >= b.top - 0.5 && a.bottom <= b.bottom + 0.5;
  const end = document.documentElement.scrollHeight;
  for (let y = 0; y <= end; y += 150) {
    window.scrollTo(0, y);
    const area = document.querySelector(".canvas").getBoundingClientRect();
    const others = [...document.querySelectorAll(".palette, .side")].map((node) => [node.className, node.getBoundingClientRect()]);
    for (const card of document.querySelectorAll(".canvas .step-card")) {
      const box = card.getBoundingClientRect();
      if (!inside(box, area)) found.push(`at ${window.scrollY}: ${card.textContent.trim()} outside the plan area`);
      for (const [name, other] of others) {
        if (meets(box, other)) found.push(`at ${window.scrollY}: ${card.textContent.trim()} over .${name}`);
      }
    }
  }
  return found;
}"""


@pytest.mark.parametrize(("language", "phone"), [("en", False), ("en", True), ("nl", True)])
def test_a_transfer_step_to_the_parking_lot(live_server, browser, language, phone):
    texts = TEXTS[language]
    shot = Screenshots(f"canvas-park-{language}{'-390' if phone else ''}")
    narrow = {"width": 390, "height": 844} if phone else None
    email = f"canvas-park-{language}{'-390' if phone else ''}@demo.example.com"
    ensure_admin(live_server.database_url, email, CANVAS_PASSWORD, language=language)
    session = log_in(browser, live_server, email=email, locale="nl-NL" if language == "nl" else "en-GB", viewport=narrow)
    plan_id = new_plan(session, f"Park ({language})", steps=[{"id": "s1", "type": "transfer", "to": {"extension": "201"}}])
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    open_plan(page, session, plan_id)
    card(page, "s1").click()
    panel = page.locator("#panel-step")
    kind = panel.get_by_label(texts["kind"], exact=True)
    expect(kind.locator("option")).to_have_count(5)
    kind.select_option(label=texts["park"])
    expect(panel.locator("#f-s1-to-value")).to_have_count(0)  # the company's one lot: nothing more to pick
    expect(panel.locator("#f-s1-to-hint")).to_contain_text(texts["help"])
    expect(card(page, "s1")).to_contain_text(texts["park"])
    expect(panel.get_by_label(texts["kind"], exact=True)).to_be_focused()
    assert "ui.canvas" not in page.locator("body").inner_text()
    if narrow:
        assert page.evaluate("document.documentElement.scrollWidth") <= narrow["width"]
        shot(page, "chosen", full_page=False)
        assert page.evaluate(CARDS_OUT_OF_PLACE) == []
        shot(page, "page")
    else:
        shot(page, "chosen", full_page=False)
    page.get_by_role("button", name=texts["save"]).click()
    expect(page.locator("#dirty-note")).to_be_hidden()
    step = session.get(f"/api/plans/{plan_id}")["document"]["steps"][0]
    assert step["to"]["park"] is True and not any(step["to"].get(k) for k in ("extension", "user", "external", "plan"))
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(card(page, "s1")).to_contain_text(texts["park"])
    watch.assert_clean()
    session.context.close()
