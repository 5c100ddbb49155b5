"""The bridge draws a statement's PDF in a child process (#17 item 6, fs_bridge.statement_drawing): while a
large statement is being drawn by the job, FreeSWITCH events still go through the bridge's handlers."""

from __future__ import annotations

import io
import types
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import gevent
import gevent.event
import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from fs_bridge import statement_drawing, statements as job
from fs_bridge.events import parse_plain
from fs_bridge.live_feed import LiveFeed
from fs_bridge.service import Bridge
from tests.fs_bridge.conftest import fixture_text, rewrite
from tests.web.factories_devices import make_device
from web.domain import statement_pdf, statements
from web.models.device import Device
from web.models.phone_number import PhoneNumber
from web.models.statement import Statement
from web.models.tenant import Tenant

BEFORE = datetime(2020, 1, 1, tzinfo=timezone.utc)


def _large_company_due(db, settings, tenant_id: int, numbers: int = 60, phones: int = 250) -> None:
    """The company founded long ago (its last month is due), with many numbers and phones: several pages."""
    make_device(db, settings, tenant_id, name="Phone 000", created_at=BEFORE)  # the factory's sealed passwords
    with db() as session:
        session.get(Tenant, tenant_id).created_at = BEFORE
        model = session.exec(select(Device).where(Device.tenant_id == tenant_id)).first()
        for n in range(1, phones):
            session.add(Device(tenant_id=tenant_id, name=f"Phone {n:03d}", brand="yealink", model="T54W",
                               mac=f"805ec0{n:06x}", sip_username=f"drawing{tenant_id}x{n}",
                               sip_password_sealed=model.sip_password_sealed,
                               provisioning_password_sealed=model.provisioning_password_sealed, created_at=BEFORE))
        for n in range(numbers):
            session.add(PhoneNumber(tenant_id=tenant_id, number=f"+3120{tenant_id:03d}{n:05d}", label=f"Line {n}",
                                    number_type="fixed_line", country="NL", assigned_at=BEFORE))


def _event_module(order: list):
    """A handler the way the bridge's modules have them, which also writes (while the job's statement is
    open in its own session)."""
    def handle(ctx, event):
        ctx.db.add(Tenant(name=f"t-{event.uuid[:8]}", sip_domain=f"{event.uuid[:8]}.example.test"))
        order.append("event handled")
    return types.SimpleNamespace(__name__="recording", HANDLES={"CHANNEL_CREATE": handle})


def test_events_are_handled_while_a_large_statement_is_drawn(admin, app, db, settings, monkeypatch):
    _large_company_due(db, settings, admin.tenant.id)
    order: list = []
    bridge = Bridge(settings, app.state.engine, feed=LiveFeed(port=0), modules=[_event_module(order), job])
    drawing = gevent.event.Event()
    draw = statement_drawing.Drawer.draw

    def watched(self, data):
        order.append("drawing")
        drawing.set()
        pdf = draw(self, data)
        order.append("drawn")
        return pdf

    monkeypatch.setattr(statement_drawing.Drawer, "draw", watched)

    def feed():  # FreeSWITCH sends an event once the drawing has begun
        drawing.wait()
        bridge.receive(parse_plain(rewrite(fixture_text("CHANNEL_CREATE"), **{"Unique-ID": "0000beef-aaaa-bbbb-cccc-dddddddddddd"})))
        bridge.drain()

    events = gevent.spawn(feed)
    made = job.check(app.state.engine, settings, pause=lambda: gevent.sleep(0))
    events.join(timeout=30)

    # drawn in the bridge's greenlet (as before) the event could only be handled once the PDF was done
    assert order == ["drawing", "event handled", "drawn"]
    month = statements.previous_month(statements.current_month(_zone(app, admin.tenant.id))).strftime("%Y-%m")
    assert made == [(admin.tenant.id, month)]
    with Session(app.state.engine) as session:
        pdf = bytes(session.exec(select(Statement.pdf).where(Statement.tenant_id == admin.tenant.id)).one())
        assert session.exec(select(Tenant).where(Tenant.sip_domain == "0000beef.example.test")).first() is not None
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) > 5 and "Phone 249" in "".join(page.extract_text() for page in pages)


def _zone(app, tenant_id):
    with Session(app.state.engine) as session:
        return statements.reports.company_zone(session, tenant_id)


def _company(numbers: int, phones: int) -> statement_pdf.StatementData:
    line = statement_pdf.TypeLine("mobile", 3, Decimal("12.5"), Decimal("1.2345"))
    return statement_pdf.StatementData(
        company="Bakkerij Zoë", language="nl", first=date(2026, 11, 1), last=date(2026, 11, 30), zone="Europe/Amsterdam",
        made_at=datetime(2026, 12, 1, 0, 1, tzinfo=ZoneInfo("Europe/Amsterdam")), currency="EUR", lines=[line], total=line,
        numbers=[(f"+3120123{n:04d}", f"Afdeling {n}", "Vast") for n in range(numbers)],
        phones=[(f"Toestel {n}", "Yealink T54W", "80:5E:C0:00:00:01", f"Medewerker ({200 + n})") for n in range(phones)])


def test_the_child_draws_the_same_pdf_as_this_process_and_reports_its_failure():
    data = _company(3, 5)
    with statement_drawing.Drawer() as drawer:
        drawn = drawer.draw(data)
        child = drawer._child
        with pytest.raises(statement_drawing.DrawingFailed, match="Traceback"):
            drawer.draw("not a statement")
        assert drawer.draw(data)[:5] == b"%PDF-" and drawer._child is child  # a failed drawing keeps the child
    assert child.poll() == 0  # closed: its input ended, it left
    here = statement_pdf.render(data)
    text = lambda pdf: "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)  # noqa: E731
    assert text(drawn) == text(here)


def test_a_child_that_dies_fails_that_statement_and_the_next_drawing_starts_a_new_one():
    company = _company
    with statement_drawing.Drawer() as drawer:
        drawer.draw(company(1, 1))
        first = drawer._child
        first.kill()
        first.wait()
        drawn = drawer.draw(company(1, 1))  # a dead child is noticed before sending: a new one
        assert drawn[:5] == b"%PDF-" and drawer._child is not first
