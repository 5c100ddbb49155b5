"""The /faxes screen in Chromium (#18 item 5): an admin sends a PDF by keyboard (the originate reaches a
test event socket), sees it "Sending…" and then "Sent" with its pages once the bridge's word is in the
database (the page asks again while a fax is on its way), downloads a received fax's PDF with Enter, and
is told beside the field when the number or the file is wrong; in Dutch on a 380 px screen too.
Screenshots in test-artifacts/faxes-*.png."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.web.browser_support import Screenshots, admin_session, missing_browser_reason, open_screen

if missing_browser_reason():
    pytest.skip(missing_browser_reason(), allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install playwright)")

from playwright.sync_api import expect  # noqa: E402

from tests.fax_support import pdf_bytes  # noqa: E402
from tests.fs_bridge.esl_server import EslServer  # noqa: E402
from tests.web.bridge_pages_support import Db  # noqa: E402
from tests.web.browser_support import browser, running_server  # noqa: E402,F401  (fixtures)

pytestmark = pytest.mark.browser

WAIT_MS = 30_000
PASSWORD = "faxes in the browser"
ESL_PASSWORD = "fax-esl"


class Switch(dict):
    def __bool__(self):
        return True

    def get(self, key, default=None):
        if key.startswith("bgapi originate"):
            return "+OK Job-UUID: 7f4de4bc-1d2c-4a7e-9a55-0b1f2e3d4c5b\n"
        return super().get(key, default)


@pytest.fixture(scope="module")
def switch():
    server = EslServer(password=ESL_PASSWORD, api_answers=Switch())
    yield server
    server.close()


@pytest.fixture(scope="module")
def live_server(switch):
    with running_server(CALLPLAN_ESL_PORT=str(switch.port), CALLPLAN_ESL_PASSWORD=ESL_PASSWORD) as server:
        yield server


def fax_dir(server) -> Path:
    return Path(server.database_url.removeprefix("sqlite:///")).parent / "fax"


@pytest.fixture(scope="module")
def received(live_server):
    """A fax received yesterday, with its PDF where the bridge leaves it."""
    from web.models.fax import Fax

    folder = fax_dir(live_server)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rx-browser-1.pdf").write_bytes(pdf_bytes(1, "Received"))
    db = Db(live_server.database_url)
    [fax_id] = db.add(Fax(tenant_id=db.tenant_id(), direction="in", status="received", remote_number="+31105550000",
                          local_number="+31201234568", remote_station_id="ACME LOGISTICS", pages=1,
                          call_uuid="browser-1", pdf_file="rx-browser-1.pdf",
                          created_at=datetime(2026, 12, 3, 9, 30, tzinfo=timezone.utc)))
    db.engine.dispose()
    return fax_id


def _finish(server, fax_id: int) -> None:
    """What the bridge writes when the sending leg hangs up."""
    from sqlalchemy import update

    from web.models.fax import Fax

    db = Db(server.database_url)
    with db.session() as session:
        session.execute(update(Fax).where(Fax.id == fax_id).values(status="sent", pages=2, remote_station_id="REMOTE"))
    db.engine.dispose()


def test_send_by_keyboard_follow_it_to_sent_and_download_a_received_one(browser, live_server, switch, received, tmp_path):
    session = admin_session(browser, live_server, "fax-admin@demo.example.com", PASSWORD)
    page, watch = open_screen(session, live_server, "/faxes", wait_ms=WAIT_MS)
    shots = Screenshots("faxes")
    expect(page.get_by_role("link", name="Faxes", exact=True)).to_be_visible()
    row = page.locator(f'tr[data-fax="{received}"]')
    expect(row.locator('[data-col="station"]')).to_have_text("ACME LOGISTICS")
    expect(row.locator('[data-col="status"]')).to_have_text("Received")
    shots(page, "list")

    # a wrong number and a file that is no PDF: each said beside its field, nothing sent
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(pdf_bytes(2, "Letter"))
    fake = tmp_path / "photo.pdf"
    fake.write_bytes(b"GIF89a this is no PDF")
    page.locator("#fax-file").set_input_files(str(fake))
    page.locator("#fax-number").fill("call me")
    page.locator("#fax-number").press("Enter")
    expect(page.locator("#fax-number").locator("xpath=..")).to_contain_text("Type a phone number")
    expect(page.locator("#fax-file").locator("xpath=..")).to_contain_text("This file is not a PDF we can send.")
    expect(page.locator("#fax-file")).to_be_focused()  # the first field at fault
    shots(page, "refused", full_page=False)
    assert not [c for c in switch.commands if "originate" in c]

    # the real thing, by keyboard: the file, Tab to the number, type it, Tab to the button, Enter
    page.locator("#fax-file").set_input_files(str(letter))
    page.locator("#fax-file").focus()
    page.keyboard.press("Tab")
    expect(page.locator("#fax-number")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("010 555 0000")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send fax")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#page-status")).to_have_text("Sending the fax to 0105550000. Its status below changes when it is done.")
    sent = page.locator('tr[data-status="sending"]')
    expect(sent.locator('[data-col="number"]')).to_have_text("0105550000")
    expect(sent.locator('[data-col="status"]')).to_have_text("Sending…")
    [command] = [c for c in switch.commands if "originate" in c]
    assert "loopback/0105550000/" in command and "&txfax(" in command
    shots(page, "sending")
    fax_id = int(sent.get_attribute("data-fax"))
    _finish(live_server, fax_id)
    done = page.locator(f'tr[data-fax="{fax_id}"]')
    expect(done.locator('[data-col="status"]')).to_have_text("Sent", timeout=15_000)
    expect(done.locator('[data-col="pages"]')).to_have_text("2")

    # only the received ones; the received fax's PDF downloaded with Enter on its link
    page.locator("#fax-direction").select_option("in")
    expect(page.locator("#faxes tbody tr")).to_have_count(1)
    with page.expect_download() as download:
        row.locator('a[data-action="pdf"]').press("Enter")
    assert download.value.suggested_filename == f"fax-{received}.pdf"
    assert open(download.value.path(), "rb").read().startswith(b"%PDF-")
    shots(page, "received")
    watch.assert_clean()
    session.context.close()


def test_dutch_on_a_phone(browser, live_server, received):
    session = admin_session(browser, live_server, "faxen@demo.example.com", PASSWORD, language="nl",
                            locale="nl-NL", viewport={"width": 380, "height": 800})
    page, watch = open_screen(session, live_server, "/faxes", wait_ms=WAIT_MS)
    expect(page.get_by_role("heading", name="Faxen", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Fax versturen")).to_be_visible()
    expect(page.locator(f'tr[data-fax="{received}"] [data-col="status"]')).to_have_text("Ontvangen")
    expect(page.get_by_label("Faxnummer")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 380
    Screenshots("faxes-nl")(page, "phone")
    watch.assert_clean()
    session.context.close()


def test_the_call_record_of_a_fax_says_so(browser, live_server, received):
    """/calls: the details of the received fax's call show its status, pages and the sender's ident."""
    from web.models.call_record import CallRecord

    db = Db(live_server.database_url)
    start = datetime(2026, 12, 3, 9, 29, tzinfo=timezone.utc)
    db.add(CallRecord(tenant_id=db.tenant_id(), call_uuid="browser-1", direction="inbound", caller_number="+31105550000",
                      dialled_number="+31201234568", callee_number="+31201234568", started_at=start,
                      answered_at=start, ended_at=start.replace(minute=30), duration_seconds=60, billed_seconds=60,
                      call_type="national"))
    db.engine.dispose()
    session = admin_session(browser, live_server, "fax-calls@demo.example.com", PASSWORD)
    page, watch = open_screen(session, live_server, "/calls?from=2026-12-03&to=2026-12-03", wait_ms=WAIT_MS)
    page.locator("#records tbody tr", has_text="+31105550000").get_by_role("button", name=re.compile("^Details")).click()
    detail = page.locator("#detail")
    expect(detail).to_contain_text("Received, 1 page(s), fax ident ACME LOGISTICS")
    expect(detail.get_by_role("link", name=re.compile("^Received, 1 page"))).to_have_attribute("href", "/faxes")
    Screenshots("faxes-call")(page, "detail", full_page=False)
    watch.assert_clean()
    session.context.close()
