"""The canvas's first requests in Chromium: asked for by the page's head (<link rel="preload" as="fetch">)
and each answer used by the page, not asked for a second time; in the browser's language."""

from __future__ import annotations

import pytest

from tests.web.browser_support import ConsoleWatch, missing_browser_reason

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from tests.web.browser_support import browser, live_server  # noqa: E402,F401  (fixtures)
from tests.web.canvas_support import CANVAS_PASSWORD, ensure_admin, log_in, new_plan, open_plan  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("locale, lang", [("en-GB", "en"), ("nl-NL", "nl")])
def test_the_four_first_requests_leave_from_the_head_once_each(live_server, browser, locale, lang):
    email = f"opening-{lang}@demo.example.com"  # speaks the browser's language
    ensure_admin(live_server.database_url, email, CANVAS_PASSWORD, language=lang)
    session = log_in(browser, live_server, locale=locale, email=email)
    plan_id = new_plan(session, "Opening", steps=[{"id": "s1", "type": "hang_up"}])
    page = session.context.new_page()
    watch = ConsoleWatch(page)
    open_plan(page, session, plan_id)
    asked = page.evaluate("""() => performance.getEntriesByType('resource')
        .filter(entry => /\\/api\\/|\\/schemas\\//.test(entry.name))
        .map(entry => [new URL(entry.name).pathname, entry.initiatorType])""")
    first = {f"/api/plans/{plan_id}/editor", "/api/auth/me", f"/api/i18n/{lang}", "/schemas/callplan.schema.json"}
    for path in first:
        assert [kind for name, kind in asked if name == path] == ["link"], (path, asked)
    assert not [name for name, _ in asked if name.startswith("/api/i18n/") and name != f"/api/i18n/{lang}"], asked
    assert page.locator(".step-card").count() == 1
    title = "Belplannen" if lang == "nl" else "Call plans"
    assert page.locator(".crumbs a").inner_text() == title
    watch.assert_clean()
    session.context.close()
