"""Monthly statements mailed (#17 item 6), through a real SMTP server (aiosmtpd) and the outbox, on SQLite
and PostgreSQL: the statement the job makes on the 1st goes to each of the company's "statement"
subscribers once, with the PDF attached (its text holds the month's totals), in the company's language;
nobody else gets it, and running the job again mails nothing more."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from pypdf import PdfReader

from fs_bridge import outbox
from tests.web.helpers import make_account
from tests.web.pbx import admin, other_admin  # noqa: F401
from tests.web.test_statements import november  # noqa: F401  (the fixture: November 2026's calls)
from web.domain import statement_mail, statements
from web.models.report_mail import ReportSubscription
from web.models.tenant import Tenant

FIRST = datetime(2026, 11, 30, 23, 5, tzinfo=timezone.utc)  # December 1st 00:05 in Amsterdam


def _subscribe(db, tenant_id, account_id, kind="statement"):
    with db() as session:
        session.add(ReportSubscription(tenant_id=tenant_id, account_id=account_id, kind=kind))


def _founded_before(db, *tenant_ids):
    with db() as session:
        for tenant_id in tenant_ids:
            session.get(Tenant, tenant_id).created_at = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _make_due(app, settings, now):
    return statements.make_due(app.state.engine, now, on_made=lambda db, tenant_id, found:
                               statement_mail.queue(db, tenant_id, found, settings))


def test_the_1st_mails_the_statement_to_its_subscribers_once(admin, other_admin, app, db, settings, mailbox, november):
    engine = app.state.engine
    _founded_before(db, admin.tenant.id, other_admin.tenant.id)
    bookkeeper = make_account(db, settings, admin.tenant.id, "books@acme.test", role="reports")
    make_account(db, settings, admin.tenant.id, "nobody@acme.test")  # an admin who did not subscribe
    _subscribe(db, admin.tenant.id, admin.account.id)
    _subscribe(db, admin.tenant.id, bookkeeper.id)
    _subscribe(db, admin.tenant.id, bookkeeper.id, "monthly_report")  # another kind: no statement for that
    _subscribe(db, other_admin.tenant.id, other_admin.account.id)

    assert sorted(_make_due(app, settings, FIRST)) == sorted([(admin.tenant.id, "2026-11"), (other_admin.tenant.id, "2026-11")])
    assert outbox.deliver_due(engine, settings) == 3
    acme = sorted(mailbox.to("@acme.test"), key=lambda message: message["To"])
    assert [message["To"] for message in acme] == ["books@acme.test", "boss@acme.test"]
    assert [message["To"] for message in mailbox.to("@other.test")] == ["boss@other.test"]
    for message in acme:
        assert message["Subject"] == "Acme: maandoverzicht november 2026"
        body = message.get_body(("plain",)).get_content()
        assert "5 gesprekken, 74,6 minuten, kosten € 1.235,76" in body
        assert "http://testserver/statements" in body
        (pdf,) = [part for part in message.iter_attachments()]
        assert pdf.get_content_type() == "application/pdf"
        assert pdf.get_filename() == "statement-2026-11-acme.pdf"
        content = pdf.get_content()
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
        assert "Acme" in text and "Totaal 5 74,6 € 1.235,76" in text
        # the very PDF of the archive
        assert content == admin.client.get("/api/statements/2026-11.pdf").content
    other = mailbox.to("@other.test")[0]
    other_pdf = next(other.iter_attachments()).get_content()
    assert "Acme" not in "".join(page.extract_text() for page in PdfReader(io.BytesIO(other_pdf)).pages)

    # again, later that day, and the outbox: nothing more
    mailbox.clear()
    assert _make_due(app, settings, FIRST + timedelta(hours=3)) == []
    assert outbox.deliver_due(engine, settings) == 0
    assert mailbox.messages == []


def test_an_admins_statement_is_not_mailed(admin, app, db, settings, mailbox):
    """Only the statement made on the 1st is mailed; one an admin asks for is theirs to open."""
    _subscribe(db, admin.tenant.id, admin.account.id)
    assert admin.client.post("/api/statements", json={"month": "2026-10"}).status_code == 201
    assert outbox.deliver_due(app.state.engine, settings) == 0
    assert mailbox.messages == []


def test_the_bridges_job_queues_the_mail(admin, app, db, settings, mailbox):
    """fs_bridge.statements.check with the real clock: last month's statement, mailed with its PDF."""
    from fs_bridge import statements as job

    _founded_before(db, admin.tenant.id)
    _subscribe(db, admin.tenant.id, admin.account.id)
    made = job.check(app.state.engine, settings)
    assert [tenant_id for tenant_id, _ in made] == [admin.tenant.id]
    assert outbox.deliver_due(app.state.engine, settings) == 1
    (message,) = mailbox.to("boss@acme.test")
    (pdf,) = list(message.iter_attachments())
    assert pdf.get_content_type() == "application/pdf" and pdf.get_content().startswith(b"%PDF-")
