"""Faxes at hang-up (fs_bridge/fax.py, #18 item 5): a received fax is recorded, made into a PDF and mailed
(through aiosmtpd) once however often its event comes; a sent fax gets its status and pages; another
company's plan or fax is never touched. The events are real CHANNEL_HANGUP_COMPLETE ones with the
variables mod_spandsp sets (mod_spandsp_fax.c: fax_success, fax_result_code, fax_result_text,
fax_document_transferred_pages, fax_remote_station_id)."""

from __future__ import annotations

import dataclasses
import sys as _sys
import io

import pypdf
import pytest
from sqlmodel import select

from fs_bridge import outbox
from fs_bridge.events import parse_plain
from fs_bridge.live_feed import LiveFeed
from fs_bridge.service import Bridge
from tests.fax_support import tiff_file
from tests.fs_bridge.notice_support import hangup_event, make_plan
from web.models.fax import Fax
from web.models.notification import OutboxMessage

CALL = "6f1d0c52-8a34-4c1e-9d7e-0a1b2c3d4e5f"
FAX_PLAN = {"name": "Fax line", "numbers": ["+31201234568"], "diversions": [],
            "steps": [{"id": "f1", "type": "receive_fax", "mail_to": ["Fax@Acme.test", "boss@acme.test"]}]}


@pytest.fixture
def fax_dir(tmp_path):
    folder = tmp_path / "fax"
    folder.mkdir()
    return folder


@pytest.fixture
def bridge(app, settings, fax_dir):
    return Bridge(dataclasses.replace(settings, fax_dir=str(fax_dir)), app.state.engine, feed=LiveFeed(port=0))


def feed(bridge, *texts):
    for text in texts:
        bridge.receive(parse_plain(text))
    bridge.settle()


def fax_hangup(mark: str, uuid: str = CALL, domain: str = "acme.pbx.test", pages: int = 2, success: bool = True,
               **extra) -> str:
    headers = {"Unique-ID": uuid, "variable_cp_fax": mark, "variable_cp_fax_file": f"/elsewhere/fax/rx-{uuid}.tif",
               "variable_fax_success": "1" if success else "0", "variable_fax_result_code": "0" if success else "49",
               "variable_fax_result_text": "OK" if success else "The call dropped prematurely",
               "variable_fax_document_transferred_pages": str(pages), "variable_fax_remote_station_id": "+31 10 555 0000",
               "Caller-Caller-ID-Number": "+31105550000", "variable_sip_req_user": "+31201234568"}
    headers.update(extra)
    return hangup_event(domain, **headers)


def faxes(db) -> list[Fax]:
    with db() as session:
        return list(session.exec(select(Fax).order_by(Fax.id)).all())


def mails(db) -> list[OutboxMessage]:
    with db() as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.channel == "email")).all())


def test_a_received_fax_is_recorded_and_mailed_as_a_pdf_with_its_pages(bridge, admin, db, fax_dir, mailbox):
    plan = make_plan(db, admin.tenant.id, FAX_PLAN)
    tiff_file(fax_dir / f"rx-{CALL}.tif", pages=3)
    # FreeSWITCH's hang-up comes twice (a replay after a reconnect): one fax, one mail
    feed(bridge, fax_hangup(f"rx:{plan}:1:f1", pages=3), fax_hangup(f"rx:{plan}:1:f1", pages=3))
    [fax] = faxes(db)
    assert (fax.tenant_id, fax.direction, fax.status, fax.pages, fax.remote_station_id, fax.remote_number,
            fax.local_number, fax.call_uuid, fax.plan_id, fax.step) == (
        admin.tenant.id, "in", "received", 3, "+31 10 555 0000", "+31105550000", "+31201234568", CALL, plan, "f1")
    assert (fax.tiff_file, fax.pdf_file) == (f"rx-{CALL}.tif", f"rx-{CALL}.pdf")
    assert fax.mailed_to == ["boss@acme.test", "fax@acme.test"]
    assert len(mails(db)) == 1
    assert outbox.deliver_due(bridge.engine, bridge.settings) == 1
    [mail] = mailbox.to("fax@acme.test")
    assert "boss@acme.test" in mail["To"]
    assert mail["Subject"] == "Fax van +31105550000, 3 pagina('s)"  # the company speaks Dutch
    assert "Faxnaam: +31 10 555 0000" in mail.get_body(("plain",)).get_content()
    [attachment] = list(mail.iter_attachments())
    assert (attachment.get_content_type(), attachment.get_filename()) == ("application/pdf", f"rx-{CALL}.pdf")
    assert len(pypdf.PdfReader(io.BytesIO(attachment.get_content())).pages) == 3


def test_a_fax_that_broke_off_is_recorded_failed_and_mailed_with_the_reason(bridge, admin, db, fax_dir, mailbox):
    plan = make_plan(db, admin.tenant.id, FAX_PLAN)
    feed(bridge, fax_hangup(f"rx:{plan}:1:f1", pages=0, success=False))
    [fax] = faxes(db)
    assert (fax.status, fax.pages, fax.result_code, fax.result_text, fax.pdf_file) == (
        "failed", 0, 49, "The call dropped prematurely", "")
    outbox.deliver_due(bridge.engine, bridge.settings)
    [mail] = mailbox.to("fax@acme.test")
    text = mail.get_body(("plain",)).get_content()
    assert "Reden: The call dropped prematurely" in text and "niets bijgevoegd" in text
    assert list(mail.iter_attachments()) == []


def test_another_companys_plan_named_on_a_channel_records_and_mails_nothing(bridge, admin, other_admin, db, fax_dir):
    plan = make_plan(db, other_admin.tenant.id, FAX_PLAN)
    tiff_file(fax_dir / f"rx-{CALL}.tif")
    feed(bridge, fax_hangup(f"rx:{plan}:1:f1"))  # the channel is acme's
    assert faxes(db) == [] and mails(db) == []


def test_calls_without_the_mark_and_bad_marks_are_no_fax(bridge, admin, db, fax_dir):
    plan = make_plan(db, admin.tenant.id, FAX_PLAN)
    feed(bridge, hangup_event("acme.pbx.test"), fax_hangup("rx:x:1:f1"), fax_hangup(f"rx:{plan}:9:f1"),
         fax_hangup("tx:abc"), fax_hangup(f"rx:{plan}:1:f1", variable_cp_fax_file="../../etc/passwd"))
    [fax] = faxes(db)  # only the last: a fax whose file name is none of ours is recorded without a file
    assert (fax.tiff_file, fax.pdf_file, fax.status) == ("", "", "received")


def _sending(db, tenant_id: int) -> int:
    with db() as session:
        row = Fax(tenant_id=tenant_id, direction="out", status="sending", remote_number="+31105550000",
                  local_number="+31201234567", call_uuid="c0ffee00-0000-4000-8000-000000000001")
        session.add(row)
        session.flush()
        return row.id


def test_a_sent_fax_gets_its_status_and_pages_from_the_sending_leg_only(bridge, admin, other_admin, db):
    fax_id = _sending(db, admin.tenant.id)
    # the loopback's B leg carries a copy of the mark and no fax variables: skipped
    feed(bridge, fax_hangup(f"tx:{fax_id}", uuid="b-leg", variable_loopback_leg="B", success=False, pages=0))
    assert faxes(db)[0].status == "sending"
    feed(bridge, fax_hangup(f"tx:{fax_id}", uuid="a-leg", variable_loopback_leg="A", pages=2,
                            variable_fax_remote_station_id="REMOTE FAX"))
    [fax] = faxes(db)
    assert (fax.status, fax.pages, fax.remote_station_id, fax.result_code) == ("sent", 2, "REMOTE FAX", 0)
    assert fax.finished_at is not None


def test_a_sent_fax_of_another_company_is_not_touched_and_a_call_that_never_faxed_fails(bridge, admin, other_admin, db):
    mine = _sending(db, admin.tenant.id)
    with db() as session:
        row = Fax(tenant_id=other_admin.tenant.id, direction="out", status="sending", remote_number="+3110",
                  call_uuid="c0ffee00-0000-4000-8000-000000000002")
        session.add(row)
        session.flush()
        theirs = row.id
    feed(bridge, fax_hangup(f"tx:{theirs}", uuid="x1"))  # an acme channel naming the other company's fax
    # a call that was never answered: no fax variables, the hang-up cause is the reason
    plain = hangup_event("acme.pbx.test", **{"Unique-ID": "x2", "variable_cp_fax": f"tx:{mine}",
                                             "variable_hangup_cause": "NO_ANSWER"})
    feed(bridge, plain)
    by_id = {fax.id: fax for fax in faxes(db)}
    assert by_id[theirs].status == "sending"
    assert (by_id[mine].status, by_id[mine].pages, by_id[mine].result_text) == ("failed", 0, "NO_ANSWER")


def test_a_fax_to_the_companys_own_number_is_received_on_the_loopback_b_leg(bridge, admin, db, fax_dir):
    # sent from the portal to one of the company's own numbers: the plan's step runs on the loopback's B
    # leg, which carries the sender's tx mark too until the step sets its own rx mark
    plan = make_plan(db, admin.tenant.id, FAX_PLAN)
    tiff_file(fax_dir / f"rx-{CALL}.tif", pages=1)
    feed(bridge, fax_hangup(f"rx:{plan}:1:f1", pages=1, variable_loopback_leg="B"))
    [fax] = faxes(db)
    assert (fax.direction, fax.status, fax.pages, fax.pdf_file) == ("in", "received", 1, f"rx-{CALL}.pdf")


def test_a_many_page_fax_converts_off_the_loop_while_other_calls_events_are_handled(app, settings, admin, db, fax_dir,
                                                                                   monkeypatch):
    """The TIFF -> PDF conversion runs in gevent's thread pool after the commit: while a 50-page fax is being
    converted, another call's event is applied (the worker is not waiting for it) and a heartbeat greenlet
    ticking every 5 ms is never held up for long (the loop keeps turning)."""
    import time

    import gevent
    import gevent.event

    from web.domain import faxes as fax_domain
    from tests.fs_bridge.conftest import fixture_text, rewrite

    plan = make_plan(db, admin.tenant.id, FAX_PLAN)
    tiff_file(fax_dir / f"rx-{CALL}.tif", pages=fax_domain.fax_files.MAX_PAGES)
    seen: list = []

    def on_create(ctx, event):
        seen.append(("event handled", converting.is_set() and not converted.is_set()))

    watcher = type(_sys)("watcher")
    watcher.HANDLES = {"CHANNEL_CREATE": on_create}
    bridge = Bridge(dataclasses.replace(settings, fax_dir=str(fax_dir)), app.state.engine, feed=LiveFeed(port=0),
                    modules=["fs_bridge.fax", watcher])
    converting, converted = gevent.event.Event(), gevent.event.Event()
    make_pdf = fax_domain.make_pdf

    def watched(*args):  # runs in the pool's thread: only thread-safe signals back to the loop
        hub.loop.run_callback_threadsafe(converting.set)
        started = time.perf_counter()
        try:
            return make_pdf(*args)
        finally:
            took.append(time.perf_counter() - started)
            hub.loop.run_callback_threadsafe(converted.set)

    hub, took, gaps = gevent.get_hub(), [], []
    monkeypatch.setattr(fax_domain, "make_pdf", watched)

    def heartbeat():
        last = time.perf_counter()
        while not converted.is_set():
            gevent.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    beating = gevent.spawn(heartbeat)
    bridge.receive(parse_plain(fax_hangup(f"rx:{plan}:1:f1", pages=0)))
    bridge.drain()  # the hang-up is applied; its conversion starts after the commit
    assert converting.wait(timeout=10)
    bridge.receive(parse_plain(rewrite(fixture_text("CHANNEL_CREATE"), **{"Unique-ID": "0000beef-aaaa-bbbb-cccc-dddddddddddd"})))
    bridge.drain()
    bridge.settle()
    beating.join(timeout=5)

    assert seen == [("event handled", True)]  # applied while the fax was still converting
    [fax] = faxes(db)
    assert (fax.status, fax.pages, fax.pdf_file) == ("received", fax_domain.fax_files.MAX_PAGES, f"rx-{CALL}.pdf")
    assert len(mails(db)) == 1
    # the loop's longest pause: a few of the heartbeat's own 5 ms, against the whole conversion's time
    longest = max(gaps)
    print(f"\n50-page fax: converted in {took[0]:.2f} s; the loop's longest pause meanwhile {longest * 1000:.0f} ms "
          f"over {len(gaps)} heartbeats")
    assert longest < max(0.25, took[0] / 4), (longest, took[0])


def test_a_fax_to_mail_destination_mails_the_user_it_names_and_only_the_channels_companys(bridge, admin, other_admin, db,
                                                                                        fax_dir, mailbox):
    """The mark a "fax to mail" destination sets (rxu:<user id>, callplan.destinations): recorded without a
    plan and mailed to that user's address; a user of another company named on this channel gets nothing."""
    anna = admin.user("201", "Anna", email="Anna@Acme.test")
    olga = other_admin.user("201", "Olga", email="olga@other.test")
    tiff_file(fax_dir / f"rx-{CALL}.tif", pages=2)
    feed(bridge, fax_hangup(f"rxu:{anna['id']}"), fax_hangup(f"rxu:{olga['id']}", uuid="0ther-call"),
         fax_hangup("rxu:99999999999999999999", uuid="big-id"))
    [fax] = faxes(db)
    assert (fax.tenant_id, fax.status, fax.pages, fax.plan_id, fax.step, fax.pdf_file, fax.mailed_to) == (
        admin.tenant.id, "received", 2, None, "", f"rx-{CALL}.pdf", ["anna@acme.test"])
    assert outbox.deliver_due(bridge.engine, bridge.settings) == 1
    [mail] = mailbox.to("anna@acme.test")
    [attachment] = list(mail.iter_attachments())
    assert len(pypdf.PdfReader(io.BytesIO(attachment.get_content())).pages) == 2
