"""Mailing a monthly statement to the company's "statement" subscribers (#17 item 6), when the periodic
job has made it on the 1st (web.domain.statements.make_due's on_made, in the transaction that stored
it): one mail per subscriber, into the outbox, which the bridge delivers with retries.

The PDF does not travel in the outbox row: the row names the statement (payload "statement": the month)
and the delivery reads its bytes from the statement table (fs_bridge/outbox.py), the one copy there is.
Who is subscribed is report mail's (web.domain.report_mail.subscribers, kind "statement"). The mail's
text is in the company's language, as the PDF is."""

from __future__ import annotations

from typing import Optional

from sqlmodel import Session

from web import clock, i18n
from web.db import dialect_insert
from web.domain import report_mail, statements
from web.models.notification import OutboxMessage

EVENT = "statement"


def queue(db: Session, tenant_id: int, found: statements.StatementInfo, settings=None) -> list[int]:
    """Queue the statement's mail to every subscriber (once per subscriber and month, however often this
    runs); the outbox rows' ids made now."""
    people = report_mail.subscribers(db, tenant_id, EVENT)
    if not people:
        return []
    first = statements.parse_month(found.month)
    figures = statements.totals_text(db, tenant_id, first)
    lang = figures.pop("language")
    url = (settings.public_base_url.rstrip("/") if settings is not None else "") + "/statements"
    subject = i18n.t(lang, "statement.mail.subject", company=figures["company"], month=figures["month"])
    text = i18n.t(lang, "statement.mail.text", url=url, **figures)
    company = figures["company"]
    now = clock.now()
    table = OutboxMessage.__table__
    made = []
    for address in sorted(set(people)):
        key = f"statement:{found.month}:{address}"[:100]
        row = db.execute(dialect_insert(db)(table).values(
            tenant_id=tenant_id, channel="email", event=EVENT, subscription_id=None, recipients=[address],
            idempotency_key=key, dedupe_key=f"mail:{tenant_id}:{key}"[:200],
            payload={"subject": subject, "text": text, "statement": found.month,
                     "statement_file": statements.file_name(company, found.month)},
            attachment_path=None, status="pending", attempts=0, next_attempt_at=now, created_at=now)
            .on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id)).first()
        if row is not None:
            made.append(row[0])
    return made


def attachment(db: Session, tenant_id: Optional[int], payload: dict) -> Optional[tuple[str, bytes, str]]:
    """The PDF an outbox mail names (file name, bytes, MIME type); None when it names none. Raises
    web.domain.problems.Problem (404) when the statement is gone."""
    month = payload.get("statement")
    if not month:
        return None
    return (payload.get("statement_file") or f"statement-{month}.pdf", statements.pdf_of(db, tenant_id, month),
            "application/pdf")
