"""Report mail (#17 item 5, seed 001 §3.2.1 and §8.1): who gets which report mail, the company's usage
limit, and the periodic mails themselves.

Subscriptions: an account of the company gets a kind of mail (REPORT_KINDS) when it is subscribed, not
blocked, and its role may read call records (a report is call data: admin, reports). `subscribers()` is
what a sender asks; a role changed later simply stops the mails.

Periodic mails, run by the bridge's tick (fs_bridge/report_mail.py), the company's time zone deciding:
- usage_alert: this month's calls cost more than the limit (in the limit's currency; the rate table's
  currency, which the records carry): the subscribers get one mail that month;
- monthly_report: on the 1st (or the next MONTHLY_CATCH_UP_DAYS - 1 days, for a bridge that was down on
  the 1st), last month's totals with a CSV attached.
Each is claimed by inserting a ReportMailRun row (company, kind, period) with ON CONFLICT DO NOTHING, in
the same transaction as its outbox rows: two processes checking at once cannot both win the insert (on
PostgreSQL the second waits on the unique index and then does nothing; SQLite has one writer), and a
transaction that fails takes its claim with it, so the next check tries again.

The mails go through the outbox (web.models.notification, delivered with retries by fs_bridge.outbox);
attachments travel in the outbox row's payload (`attachments`: filename, mime, text), since the web app
and the bridge may not share a folder."""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Callable, Iterable, Optional

from sqlalchemy import func
from sqlmodel import Session, select

from web import clock
from web.domain import reports
from web.domain.notices import local_time, zone as notices_zone
from web.i18n import t
from web.models.account import Account
from web.models.call_record import CallRecord
from web.models.notification import OutboxMessage
from web.models.report_mail import REPORT_KINDS, ReportMailRun, ReportMailSetting, ReportSubscription
from web.models.tenant import Tenant
from web.permissions import PERMISSIONS

log = logging.getLogger("web.report_mail")

RECEIVING_ROLES = PERMISSIONS["calls.read"]  # who may get call data by mail
MONTHLY_CATCH_UP_DAYS = 3  # the monthly report goes out on the 1st, or by the 3rd after an outage
LIMIT_MAX = Decimal("9999999999.99")  # the column's Numeric(12, 2)
# "Send this period by e-mail" per account and clock hour: enough for real use, too few to bomb an inbox
# or to load the outbox with a year's CSV a second
PERIOD_MAILS_PER_HOUR = 20
_FORMULA = re.compile(r"[=+\-@\t\r]")


@dataclass(frozen=True)
class Subscriber:
    account_id: int
    email: str
    language: str
    name: str


# --- subscriptions -----------------------------------------------------------------------------------


def _receivers(tenant_id: int):
    return select(Account).where(Account.tenant_id == tenant_id, Account.blocked.is_(False),
                                 Account.role.in_(sorted(RECEIVING_ROLES)))


def subscriber_accounts(db: Session, tenant_id: int, kind: str) -> list[Subscriber]:
    """The accounts that get `kind`, by address."""
    if kind not in REPORT_KINDS:
        raise ValueError(kind)
    rows = db.exec(_receivers(tenant_id).join(ReportSubscription, ReportSubscription.account_id == Account.id)
                   .where(ReportSubscription.tenant_id == tenant_id, ReportSubscription.kind == kind)
                   .order_by(Account.email, Account.id)).all()
    return [Subscriber(row.id, row.email, row.language, " ".join(p for p in (row.first_name, row.last_name) if p))
            for row in rows]


def subscribers(db: Session, tenant_id: int, kind: str) -> list[str]:
    """The addresses that get `kind` (REPORT_KINDS) of the company's report mail."""
    return [subscriber.email for subscriber in subscriber_accounts(db, tenant_id, kind)]


def receiver(db: Session, tenant_id: int, email: str) -> Optional[Account]:
    """The company's account of this address that may get call data by mail (None: there is none)."""
    return db.exec(_receivers(tenant_id).where(func.lower(Account.email) == email.strip().lower())).first()


def receiving_accounts(db: Session, tenant_id: int) -> list[Account]:
    return list(db.exec(_receivers(tenant_id).order_by(Account.email, Account.id)).all())


def subscriptions(db: Session, tenant_id: int) -> dict[int, set[str]]:
    """account id -> the kinds it is subscribed to (rows of accounts that can no longer receive included)."""
    found: dict[int, set[str]] = {}
    for account_id, kind in db.exec(select(ReportSubscription.account_id, ReportSubscription.kind)
                                    .where(ReportSubscription.tenant_id == tenant_id)).all():
        found.setdefault(account_id, set()).add(kind)
    return found


class BadSubscription(ValueError):
    def __init__(self, index: int, field: str, code: str, message: str):
        super().__init__(message)
        self.index, self.field, self.code = index, field, code


def set_subscriptions(db: Session, tenant_id: int, wanted: Iterable[tuple[int, str]]) -> None:
    """Make the company's subscriptions exactly `wanted` ((account id, kind) pairs). An account that is
    not the company's or may not get call data is refused (BadSubscription names the entry)."""
    allowed = {account.id for account in receiving_accounts(db, tenant_id)}
    wanted = list(wanted)
    for index, (account_id, kind) in enumerate(wanted):
        if kind not in REPORT_KINDS:
            raise BadSubscription(index, "kind", "enum", "must be one of " + ", ".join(REPORT_KINDS))
        if account_id not in allowed:
            # another company's account reads the same as none at all
            raise BadSubscription(index, "account_id", "not_a_report_reader",
                                  "must be an account of the company that may read call records")
    target = set(wanted)
    rows = db.exec(select(ReportSubscription).where(ReportSubscription.tenant_id == tenant_id)).all()
    have = set()
    for row in rows:
        if (row.account_id, row.kind) in target:
            have.add((row.account_id, row.kind))
        else:
            db.delete(row)
    for account_id, kind in sorted(target - have):
        db.add(ReportSubscription(tenant_id=tenant_id, account_id=account_id, kind=kind))
    db.flush()


# --- the usage limit ---------------------------------------------------------------------------------


def setting(db: Session, tenant_id: int) -> ReportMailSetting:
    """The company's row (a new, unsaved one with no limit when it has none yet)."""
    row = db.exec(select(ReportMailSetting).where(ReportMailSetting.tenant_id == tenant_id)).first()
    return row if row is not None else ReportMailSetting(tenant_id=tenant_id, usage_limit=None, currency="EUR")


def set_limit(db: Session, tenant_id: int, usage_limit: Optional[Decimal], currency: Optional[str]) -> ReportMailSetting:
    row = setting(db, tenant_id)
    row.usage_limit = usage_limit if usage_limit else None  # 0 is no limit (seed 001 §8.1)
    if currency:
        row.currency = currency
    db.add(row)
    db.flush()
    return row


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def usage(db: Session, tenant_id: int, span: reports.Period, currency: str) -> Decimal:
    """The period's call costs in `currency` (records priced in another currency are not added to it)."""
    total = db.exec(select(func.coalesce(func.sum(CallRecord.cost), 0))
                    .where(CallRecord.tenant_id == tenant_id, CallRecord.started_at >= span.start,
                           CallRecord.started_at < span.end, CallRecord.currency == currency)).one()
    return Decimal(str(total or 0)).quantize(Decimal("0.01"))


def this_month(db: Session, tenant_id: int, now: datetime) -> reports.Period:
    zone = reports.company_zone(db, tenant_id)
    return reports.period("this_month", zone, now.astimezone(zone).date())


# --- claiming and queueing ---------------------------------------------------------------------------


def _insert(db: Session):
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def claim(db: Session, tenant_id: int, kind: str, period: str, recipients: int = 0) -> bool:
    """Take the one sending of `kind` for the company's `period`: True for exactly one caller, ever (in
    the caller's transaction: roll it back and the claim is gone too)."""
    table = ReportMailRun.__table__
    statement = _insert(db)(table).values(tenant_id=tenant_id, kind=kind, period=period, recipients=recipients,
                                          created_at=clock.now()) \
        .on_conflict_do_nothing(index_elements=["tenant_id", "kind", "period"])
    return len(db.execute(statement.returning(table.c.id)).all()) == 1


def sent(db: Session, tenant_id: int, kind: str, period: str) -> bool:
    """Whether the mail of `kind` for `period` has been claimed (a hint: only claim() decides)."""
    return db.exec(select(ReportMailRun.id).where(ReportMailRun.tenant_id == tenant_id, ReportMailRun.kind == kind,
                                                  ReportMailRun.period == period)).first() is not None


def runs(db: Session, tenant_id: int, limit: int = 24) -> list[ReportMailRun]:
    return list(db.exec(select(ReportMailRun).where(ReportMailRun.tenant_id == tenant_id)
                        .order_by(ReportMailRun.created_at.desc(), ReportMailRun.id.desc()).limit(limit)).all())


def queue_mail(db: Session, tenant_id: int, event: str, recipients: list[str], subject: str, text: str, key: str,
               attachments: Iterable[tuple[str, str, str]] = ()) -> Optional[int]:
    """One mail into the outbox (once per company, event and key); `attachments` are (file name, MIME
    type, text). Returns the outbox row's id (None: that key was queued before)."""
    recipients = sorted({address.strip().lower() for address in recipients if address and address.strip()})
    if not recipients:
        return None
    now = clock.now()
    payload = {"subject": subject, "text": text,
               "attachments": [{"filename": name, "mime": mime, "text": content} for name, mime, content in attachments]}
    dedupe = f"mail:{tenant_id}:{event}:{key}"
    if len(dedupe) > 200:
        dedupe = dedupe[:167] + "~" + hashlib.sha256(dedupe.encode()).hexdigest()[:32]
    table = OutboxMessage.__table__
    statement = _insert(db)(table).values(
        tenant_id=tenant_id, channel="email", event=event, subscription_id=None, recipients=recipients,
        idempotency_key=key[:100], dedupe_key=dedupe, payload=payload, attachment_path=None, status="pending",
        attempts=0, next_attempt_at=now, created_at=now).on_conflict_do_nothing(index_elements=["dedupe_key"])
    made = db.execute(statement.returning(table.c.id)).all()
    return made[0][0] if made else None


class TooManyMails(Exception):
    """The account sent PERIOD_MAILS_PER_HOUR period mails this hour; `seconds` until the next hour."""

    def __init__(self, seconds: int):
        super().__init__(f"{PERIOD_MAILS_PER_HOUR} period mails an hour")
        self.seconds = seconds


def queue_period_mail(db: Session, tenant_id: int, account_id: Optional[int], recipients: list[str], subject: str,
                      text: str, attachments: Iterable[tuple[str, str, str]] = ()) -> Optional[int]:
    """A mail asked for with "send this period by e-mail", at most PERIOD_MAILS_PER_HOUR per account (the
    one asking) and clock hour. Each takes one of the hour's numbered keys; the outbox's unique dedupe key
    makes taking one atomic, so parallel requests never get past the limit (a key another transaction
    took is skipped, the next tried). Raises TooManyMails when every key of the hour is taken."""
    now = clock.now()
    prefix = f"period:{account_id or 0}:{now.strftime('%Y%m%d%H')}:"
    taken = db.exec(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.tenant_id == tenant_id, OutboxMessage.event == "period_mail",
        OutboxMessage.idempotency_key.startswith(prefix))).one()
    for slot in range(taken, PERIOD_MAILS_PER_HOUR):
        made = queue_mail(db, tenant_id, "period_mail", recipients, subject, text, f"{prefix}{slot}", attachments)
        if made is not None:
            return made
    next_hour = now.replace(minute=0, second=0, microsecond=0).timestamp() + 3600
    raise TooManyMails(max(1, int(next_hour - now.timestamp())))


# --- what the mails say ------------------------------------------------------------------------------


def money(lang: str, amount: Decimal, currency: str) -> str:
    text = f"{Decimal(amount).quantize(Decimal('0.01')):,.2f}"
    if lang == "nl":  # 1.234,56
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{currency} {text}"


def _day(lang: str, day: date) -> str:
    return day.strftime("%d-%m-%Y" if lang == "nl" else "%Y-%m-%d")


def _cell(value) -> str:
    """A CSV cell a spreadsheet shows as text, never runs (OWASP CSV injection): see web.api.call_records."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if _FORMULA.match(text) else text


TOTALS_COLUMNS = ("group", "key", "label", "calls", "answered", "missed", "seconds", "minutes", "cost")


def totals_csv(db: Session, tenant_id: int, span: reports.Period) -> str:
    """Every table of the period's totals in one CSV: the overall row, then each group's rows."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TOTALS_COLUMNS)
    tables = [("overall", [reports.overall(db, tenant_id, span)])]
    tables += [(group, reports.totals(db, tenant_id, span, group)) for group in reports.GROUPS]
    for group, rows in tables:
        for row in rows:
            writer.writerow([group, _cell(row.key), _cell(row.label), row.calls, row.answered, row.missed, row.seconds,
                             row.minutes, row.cost])
    return out.getvalue()


def totals_text(db: Session, lang: str, tenant_id: int, span: reports.Period) -> str:
    """The period's totals as lines of a mail: overall, then per call type."""
    currency = reports.currency(db, tenant_id, span) or ""
    overall = reports.overall(db, tenant_id, span)
    lines = [t(lang, "mail.report.totals", calls=overall.calls, answered=overall.answered, missed=overall.missed,
               minutes=overall.minutes, cost=money(lang, overall.cost, currency).strip())]
    for row in reports.totals(db, tenant_id, span, "call_type"):
        lines.append("  " + t(lang, "mail.report.per_type", type=t(lang, f"ui.calls.type.{row.key}") if row.key else "-",
                              calls=row.calls, minutes=row.minutes, cost=money(lang, row.cost, currency).strip()))
    return "\n".join(lines)


def _portal(settings, path: str) -> str:
    return settings.public_base_url.rstrip("/") + path if settings is not None else path


# --- the periodic mails ------------------------------------------------------------------------------


def check_usage(db: Session, tenant_id: int, now: datetime, settings=None) -> bool:
    """The usage alert: mailed once in a month whose cost passed the company's limit. True when this call
    queued it."""
    limit_row = setting(db, tenant_id)
    if not limit_row.usage_limit or limit_row.usage_limit <= 0:
        return False
    span = this_month(db, tenant_id, now)
    period = month_key(span.first)
    if sent(db, tenant_id, "usage_alert", period):
        return False  # this month's alert is out: no need to add up its costs again every minute
    cost = usage(db, tenant_id, span, limit_row.currency)
    if cost <= limit_row.usage_limit:
        return False
    people = subscriber_accounts(db, tenant_id, "usage_alert")
    if not people or not claim(db, tenant_id, "usage_alert", period, len(people)):
        return False
    tenant = db.get(Tenant, tenant_id)
    for person in people:
        lang = person.language
        params = dict(company=tenant.name, month=_month_name(lang, span.first),
                      cost=money(lang, cost, limit_row.currency), limit=money(lang, limit_row.usage_limit, limit_row.currency),
                      time=local_time(lang, tenant.timezone, now), url=_portal(settings, "/reports"))
        queue_mail(db, tenant_id, "usage_alert", [person.email], t(lang, "mail.usage_alert.subject", **params),
                   t(lang, "mail.usage_alert.text", **params), f"usage_alert:{period}:{person.account_id}")
    return True


def send_monthly_report(db: Session, tenant_id: int, now: datetime, settings=None) -> bool:
    """Last month's report, on the 1st (company time): True when this call queued it."""
    zone = reports.company_zone(db, tenant_id)
    today = now.astimezone(zone).date()
    if today.day > MONTHLY_CATCH_UP_DAYS:
        return False
    span = reports.period("last_month", zone, today)
    people = subscriber_accounts(db, tenant_id, "monthly_report")
    period = month_key(span.first)
    if not people or not claim(db, tenant_id, "monthly_report", period, len(people)):
        return False
    tenant = db.get(Tenant, tenant_id)
    attachment = (f"report-{period}.csv", "text/csv", totals_csv(db, tenant_id, span))
    for person in people:
        lang = person.language
        params = dict(company=tenant.name, month=_month_name(lang, span.first), first=_day(lang, span.first),
                      last=_day(lang, span.last), zone=tenant.timezone, totals=totals_text(db, lang, tenant_id, span),
                      url=_portal(settings, "/reports"))
        queue_mail(db, tenant_id, "monthly_report", [person.email], t(lang, "mail.monthly_report.subject", **params),
                   t(lang, "mail.monthly_report.text", **params), f"monthly_report:{period}:{person.account_id}",
                   [attachment])
    return True


def _month_name(lang: str, day: date) -> str:
    return f"{t(lang, f'mail.month.{day.month}')} {day.year}"


def due(db: Session, now: datetime) -> list[tuple[int, str]]:
    """(company, kind) of the periodic mails that may be due now, read in two queries whatever the number
    of companies: a company with subscribers to the kind, for the usage alert a limit and no alert yet
    this month, for the monthly report the first days of its month and no report yet. What is listed is
    checked (and claimed) by check_usage and send_monthly_report."""
    rows = db.exec(select(ReportSubscription.tenant_id, ReportSubscription.kind, Tenant.timezone,
                          ReportMailSetting.usage_limit)
                   .join(Tenant, Tenant.id == ReportSubscription.tenant_id)
                   .outerjoin(ReportMailSetting, ReportMailSetting.tenant_id == ReportSubscription.tenant_id)
                   .where(ReportSubscription.kind.in_(("monthly_report", "usage_alert"))).distinct()).all()
    wanted: dict[tuple[int, str], str] = {}
    for tenant_id, kind, zone_name, limit in rows:
        today = now.astimezone(notices_zone(zone_name)).date()
        if kind == "usage_alert" and limit and limit > 0:
            wanted[(tenant_id, kind)] = month_key(today)
        elif kind == "monthly_report" and today.day <= MONTHLY_CATCH_UP_DAYS:
            wanted[(tenant_id, kind)] = month_key(reports.period("last_month", notices_zone(zone_name), today).first)
    if not wanted:
        return []
    done = set(db.exec(select(ReportMailRun.tenant_id, ReportMailRun.kind, ReportMailRun.period)
                       .where(ReportMailRun.period.in_(sorted(set(wanted.values()))))).all())
    return sorted(key for key, period in wanted.items() if (*key, period) not in done)


def run_due(engine, now: Optional[datetime] = None, settings=None, pause: Callable[[], None] = lambda: None) -> int:
    """Every company's due periodic mails, each in a transaction of its own (one failing costs only
    itself; the next check tries it again); `pause()` between two (the bridge lets its other greenlets
    run). Returns how many mails were claimed."""
    from web.db import session_scope

    now = now or clock.now()
    with Session(engine) as db:
        todo = due(db, now)
    queued = 0
    for n, (tenant_id, kind) in enumerate(todo):
        if n:
            pause()
        try:
            with session_scope(engine) as db:
                check = check_usage if kind == "usage_alert" else send_monthly_report
                queued += check(db, tenant_id, now, settings)
        except Exception:
            log.exception("%s mail of tenant %s failed; trying again at the next check", kind, tenant_id)
    return queued


__all__ = ["REPORT_KINDS", "RECEIVING_ROLES", "Subscriber", "BadSubscription", "subscribers", "subscriber_accounts",
           "receiver", "receiving_accounts", "subscriptions", "set_subscriptions", "setting", "set_limit", "usage",
           "claim", "sent", "runs", "queue_mail", "totals_csv", "totals_text", "check_usage", "send_monthly_report",
           "due", "run_due", "month_key", "money"]
