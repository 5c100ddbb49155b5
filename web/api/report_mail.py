"""Report mail (#17 item 5): the company's report subscriptions and usage limit (/api/report-mail), and
"send this period by e-mail" (seed 001 §3.2.1) from /calls and /reports.

- GET /api/report-mail: the usage limit and its currency, this month's cost in it, the accounts that may
  get report mail with the kinds each is subscribed to, and the periodic mails sent lately.
- PATCH /api/report-mail: `usage_limit` (a decimal >= 0 with at most 2 places; null or 0: no limit),
  `currency` (ISO 4217), `subscriptions` (the whole list of {account_id, kind}); only what is sent changes.
- POST /api/call-records/mail?<the /calls filters>: every record the filters select (not a page of
  them) as a CSV attachment; POST /api/reports/mail?period=...: the period's totals, as text and CSV.
  Body {"email": ...}: to the caller's own address when left out, else to an account of the company
  that may read call records. 202: the mail is in the outbox (the bridge delivers it, with retries)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from web import clock
from web.api import call_records, reports as reports_api
from web.api.problems import Problem, field_problem
from web.api.routing import api
from web.domain import report_mail, reports
from web.i18n import t
from web.models.report_mail import REPORT_KINDS
from web.models.tenant import Tenant
from web.validation import Email

Kind = Literal["monthly_report", "usage_alert", "statement"]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Limit = Annotated[Decimal, Field(ge=0, le=report_mail.LIMIT_MAX, decimal_places=2)]


class Subscription(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account_id: int = Field(ge=1, le=2**31 - 1)
    kind: Kind


class ReportMailUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    usage_limit: Optional[Limit] = None
    currency: Optional[Currency] = None
    subscriptions: Optional[list[Subscription]] = Field(default=None, max_length=3000)


class ReceiverPublic(BaseModel):
    account_id: int
    email: str
    name: str
    role: str
    kinds: list[str]


class RunPublic(BaseModel):
    kind: str
    period: str
    recipients: int
    at: datetime


class MonthUsage(BaseModel):
    first: date
    last: date
    cost: Decimal
    passed: bool  # the limit is set and this month's cost is over it


class ReportMailPublic(BaseModel):
    usage_limit: Optional[Decimal]
    currency: str
    month: MonthUsage
    kinds: list[str]
    accounts: list[ReceiverPublic]
    sent: list[RunPublic]


class MailRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Optional[Email] = None  # an address of the company's accounts; none: the caller's own


class MailQueued(BaseModel):
    to: str
    rows: int  # call records (or totals rows) in the attached CSV
    delivery_id: Optional[int]  # the outbox message: GET /api/deliveries/{id} follows it (admins)


def _public(ctx) -> ReportMailPublic:
    row = report_mail.setting(ctx.db, ctx.tenant_id)
    span = report_mail.this_month(ctx.db, ctx.tenant_id, clock.now())
    cost = report_mail.usage(ctx.db, ctx.tenant_id, span, row.currency)
    kinds = report_mail.subscriptions(ctx.db, ctx.tenant_id)
    accounts = [ReceiverPublic(account_id=account.id, email=account.email, role=account.role,
                               name=" ".join(p for p in (account.first_name, account.last_name) if p),
                               kinds=sorted(kinds.get(account.id, ()), key=REPORT_KINDS.index))
                for account in report_mail.receiving_accounts(ctx.db, ctx.tenant_id)]
    sent = [RunPublic(kind=run.kind, period=run.period, recipients=run.recipients, at=run.created_at)
            for run in report_mail.runs(ctx.db, ctx.tenant_id)]
    return ReportMailPublic(usage_limit=row.usage_limit, currency=row.currency,
                            month=MonthUsage(first=span.first, last=span.last, cost=cost,
                                             passed=bool(row.usage_limit) and cost > row.usage_limit),
                            kinds=list(REPORT_KINDS), accounts=accounts, sent=sent)


def get_report_mail(ctx):
    """The usage limit, this month's cost, who gets which report mail, and the periodic mails sent."""
    return _public(ctx)


def update_report_mail(ctx, body: ReportMailUpdate):
    """Change the usage limit, its currency or the subscriptions (the whole list); only what is sent."""
    sent = body.model_fields_set
    if "usage_limit" in sent or body.currency is not None:
        row = report_mail.setting(ctx.db, ctx.tenant_id)
        report_mail.set_limit(ctx.db, ctx.tenant_id, body.usage_limit if "usage_limit" in sent else row.usage_limit,
                              body.currency)
    if body.subscriptions is not None:
        try:
            report_mail.set_subscriptions(ctx.db, ctx.tenant_id,
                                          [(item.account_id, item.kind) for item in body.subscriptions])
        except report_mail.BadSubscription as exc:
            raise field_problem(422, exc.code, f"/subscriptions/{exc.index}/{exc.field}", str(exc))
    return _public(ctx)


# --- send this period by e-mail ----------------------------------------------------------------------


def _recipient(ctx, body: MailRequest):
    """The account the mail goes to: the caller, or the company's account of the address given."""
    if body.email is None:
        if ctx.account is None or ctx.account.role not in report_mail.RECEIVING_ROLES:
            raise field_problem(422, "not_a_report_reader", "/email", "name an address to send to")
        return ctx.account
    account = report_mail.receiver(ctx.db, ctx.tenant_id, body.email)
    if account is None:
        # another company's account, or none: the same answer
        raise field_problem(422, "not_a_report_reader", "/email",
                            "must be the address of an account of the company that may read call records")
    return account


def _queue(ctx, recipients: list[str], subject: str, text: str, attachments) -> int:
    """Into the outbox, within the asking account's hourly number of period mails (429 past it)."""
    try:
        return report_mail.queue_period_mail(ctx.db, ctx.tenant_id, ctx.account.id if ctx.account else None,
                                             recipients, subject, text, attachments)
    except report_mail.TooManyMails as exc:
        raise Problem(429, "period_mails_limited", headers={"Retry-After": str(exc.seconds)},
                      params={"limit": report_mail.PERIOD_MAILS_PER_HOUR, "minutes": -(-exc.seconds // 60)})


def _sender(ctx) -> str:
    return ctx.account.email if ctx.account is not None else "-"


# the /calls filters a mail names besides its dates (web/api/call_records.py reads them)
FILTERS = ("direction", "call_type", "missed", "blocked", "number", "sender", "receiver", "cost", "duration", "user_id")


def _filters_text(query) -> str:
    shown = [f"{name}={query[name]}" for name in FILTERS if query.get(name) and name not in ("from", "to")]
    return ", ".join(shown)


def _period_text(lang: str, query) -> str:
    first, last = (query.get("from") or "").strip(), (query.get("to") or "").strip()
    if not first and not last:
        return t(lang, "mail.period.any")
    return f"{first or '…'} – {last or '…'}"


def mail_call_records(ctx, body: MailRequest):
    """The call records the /calls filters select, all of them, as a CSV attachment."""
    account = _recipient(ctx, body)
    export = call_records.export_call_records(ctx)  # the same filters and columns as the download
    content = export.body.decode("utf-8")
    rows = max(0, sum(1 for _ in csv.reader(io.StringIO(content))) - 1)
    tenant = ctx.db.get(Tenant, ctx.tenant_id)
    lang, query = account.language, ctx.request.query_params
    filters = _filters_text(query)
    params = dict(company=tenant.name, period=_period_text(lang, query), sender=_sender(ctx), rows=rows,
                  filters=t(lang, "mail.period.calls.filters", filters=filters) if filters else "")
    text = t(lang, "mail.period.calls.text", **params)
    if rows >= call_records.CSV_MAX_ROWS:
        text += t(lang, "mail.period.calls.capped", rows=rows)
    name = f"call-records-{clock.now().astimezone(reports.company_zone(ctx.db, ctx.tenant_id)).date().isoformat()}.csv"
    delivery = _queue(ctx, [account.email], t(lang, "mail.period.calls.subject", **params), text,
                      [(name, "text/csv", content)])
    return MailQueued(to=account.email, rows=rows, delivery_id=delivery)


def mail_totals(ctx, body: MailRequest):
    """The period's totals (overall and per call type in the text, every table in the CSV)."""
    account = _recipient(ctx, body)
    kind, span = reports_api._period(ctx)
    tenant = ctx.db.get(Tenant, ctx.tenant_id)
    lang = account.language
    content = report_mail.totals_csv(ctx.db, ctx.tenant_id, span)
    rows = max(0, content.count("\r\n") - 1)
    params = dict(company=tenant.name, period=f"{span.first.isoformat()} – {span.last.isoformat()}",
                  zone=span.zone.key, sender=_sender(ctx),
                  totals=report_mail.totals_text(ctx.db, lang, ctx.tenant_id, span))
    name = f"totals-{span.first.isoformat()}-{span.last.isoformat()}.csv"
    delivery = _queue(ctx, [account.email], t(lang, "mail.period.totals.subject", **params),
                      t(lang, "mail.period.totals.text", **params), [(name, "text/csv", content)])
    return MailQueued(to=account.email, rows=rows, delivery_id=delivery)


routes = [
    api("GET", "/api/report-mail", get_report_mail, permission="pbx.manage", response=ReportMailPublic),
    api("PATCH", "/api/report-mail", update_report_mail, permission="pbx.manage", body=ReportMailUpdate,
        response=ReportMailPublic),
    api("POST", "/api/call-records/mail", mail_call_records, permission="calls.read", body=MailRequest,
        response=MailQueued, status=202),
    api("POST", "/api/reports/mail", mail_totals, permission="calls.read", body=MailRequest, response=MailQueued,
        status=202),
]
