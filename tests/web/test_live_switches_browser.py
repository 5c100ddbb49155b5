"""/live in Chromium on a platform of two switches (#19 item 2): two bridges, each following its own
"FreeSWITCH" (an ESL server speaking the real protocol, fed event texts captured from FreeSWITCH 1.10),
publish through PostgreSQL NOTIFY; the portal (uvicorn, its own process) shows the calls of both
switches as they start, not another company's, and marks the calls of a switch whose bridge was killed
"Not followed now". Also at 380 px and in Dutch."""

from __future__ import annotations

import signal

import pytest

from tests.web.browser_support import ConsoleWatch, Screenshots, missing_browser_reason, running_server

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.fs_bridge.esl_server import EslServer  # noqa: E402
from tests.web.browser_support import browser  # noqa: E402,F401  (fixture)
from tests.web.call_record_samples import IVR_CALL  # noqa: E402
from tests.web.canvas_support import ensure_admin, log_in  # noqa: E402
from web.demo import DEMO_DOMAIN  # noqa: E402
from tests.web.live_notify_rig import (ESL_PASSWORD, call_event, channel_texts, migrated_postgres,  # noqa: E402
                                       running_bridge, subscribed, wait_for)

pytestmark = pytest.mark.browser

PASSWORD = "two switches one page"


def _tenants(url: str) -> tuple[int, int]:
    """(the demo company's id, another company's)."""
    from sqlmodel import select

    from tests.web.helpers import make_tenant
    from web.db import make_engine, session_scope
    from web.models import Tenant

    engine = make_engine(url)
    try:
        with session_scope(engine) as db:
            demo = db.exec(select(Tenant.id).order_by(Tenant.id)).first()
        other = make_tenant(lambda: session_scope(engine), name="Other", sip_domain="other.pbx.test")
        return demo, other.id
    finally:
        engine.dispose()


def test_the_live_page_shows_the_calls_of_both_switches(pg_databases, browser, tmp_path):  # noqa: F811
    url = migrated_postgres(pg_databases)
    texts = channel_texts(IVR_CALL)
    switches = [EslServer(password=ESL_PASSWORD, api_answers={"show channels as json": '{"row_count": 0}'}) for _ in range(2)]
    shot = Screenshots("live-switches")
    with running_server("callplan-live-switches-", database_url=url) as server, \
            running_bridge(url, switches[0].port, "fs-a", tmp_path / "a"), \
            running_bridge(url, switches[1].port, "fs-b", tmp_path / "b") as bridge_b:
        demo, other = _tenants(url)
        wait_for(lambda: all(subscribed(esl) for esl in switches), what="both bridges subscribed")
        session = log_in(browser, server, email="live-switches@demo.example.com", password=PASSWORD)
        page = session.context.new_page()
        watch = ConsoleWatch(page)
        page.goto(server.url("/live"))
        page.wait_for_selector("body[data-ready=true]")
        calls = page.locator("#calls-body")
        expect(page.locator("#calls-empty")).to_be_visible()
        page.wait_for_timeout(500)  # the websocket opens after the page is drawn; the calls come after it

        switches[0].push_event(call_event(texts["CHANNEL_CREATE"], "fs-a-call", demo, DEMO_DOMAIN, "+31201110001"))
        switches[1].push_event(call_event(texts["CHANNEL_CREATE"], "fs-b-call", demo, DEMO_DOMAIN, "+31201110002"))
        switches[1].push_event(call_event(texts["CHANNEL_CREATE"], "other-call", other, "other.pbx.test", "+31209990009"))
        switches[1].push_event(call_event(texts["CHANNEL_ANSWER"], "fs-b-call", demo, DEMO_DOMAIN, "+31201110002"))
        expect(calls.locator('[data-call="fs-a-call"]')).to_contain_text("+31201110001", timeout=60_000)
        expect(calls.locator('[data-call="fs-b-call"]')).to_contain_text("Answered", timeout=60_000)
        expect(calls.locator('[data-call="fs-a-call"]')).to_contain_text("Ringing")
        expect(calls.locator("tr")).to_have_count(2)
        expect(calls).not_to_contain_text("+31209990009")
        expect(page.locator("#bridge-health")).to_have_text("Connected")
        shot(page, "two-switches")

        # the second switch's bridge dies: its call is marked, the first switch's is not
        bridge_b.send_signal(signal.SIGKILL)
        bridge_b.wait(10)
        expect(calls.locator('[data-call="fs-b-call"]')).to_have_attribute("data-stale", "true", timeout=90_000)
        expect(calls.locator('[data-call="fs-b-call"]')).to_contain_text("Not followed now")
        expect(calls.locator('[data-call="fs-a-call"]')).not_to_have_attribute("data-stale", "true")
        expect(page.locator("#bridge-health")).to_have_text("Down")
        shot(page, "switch-b-gone")

        page.set_viewport_size({"width": 380, "height": 800})
        expect(calls.locator('[data-call="fs-b-call"]')).to_contain_text("Not followed now")
        shot(page, "narrow")
        watch.assert_clean()

        ensure_admin(url, "live-switches-nl@demo.example.com", PASSWORD, language="nl")
        dutch = log_in(browser, server, email="live-switches-nl@demo.example.com", password=PASSWORD, locale="nl-NL")
        page_nl = dutch.context.new_page()
        page_nl.goto(server.url("/live"))
        page_nl.wait_for_selector("body[data-ready=true]")
        expect(page_nl.locator('[data-call="fs-b-call"]')).to_contain_text("Nu niet gevolgd")
        expect(page_nl.locator('[data-call="fs-a-call"]')).to_contain_text("Gaat over")
        shot(page_nl, "dutch")
