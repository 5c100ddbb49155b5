"""Monthly statements (#17 item 6): a company's month as a PDF (web.domain.statement_pdf), kept in the
`statement` table, made on demand by the admin for a month that has ended, and by the bridge's periodic
job (fs_bridge/statements.py) for last month from the 1st on.

Made once, however many processes try: the PDF is drawn first, then stored with INSERT ... ON CONFLICT
DO NOTHING on the unique (tenant, month). The one insert that wins stores a complete statement (there is
never a row without its PDF to clean up after a crash); the others insert nothing, learn that from the
missing RETURNING row and answer with the stored one. A loser's drawing is wasted work, which only happens when two
processes race for the same month.

The figures are those of web.domain.reports for the month in the company's time zone (totals per call
type), so a statement and /reports of the same month agree. Numbers and phones are those the company has
at the end of the month as far as the rows say (assigned or added before it ended)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Optional
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from web import clock, i18n
from web.db import dialect_insert
from web.domain import audit, reports, statement_pdf
from web.domain.problems import Problem
from web.models.account import Account
from web.models.device import Device
from web.models.pbx_user import PbxUser
from web.models.phone_number import PhoneNumber
from web.models.statement import Statement
from web.models.tenant import Tenant
from web.validation import YEARS

MONTH_PATTERN = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])\Z")  # [0-9]: \d matches other scripts' digits


class BadMonth(ValueError):
    """A month that cannot have a statement; `code` names what is wrong (the portal's ui.field.<code>)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class StatementInfo:
    """A stored statement without its bytes (the list, the answer to "make")."""

    id: int
    month: str
    language: str
    created_at: datetime
    created_by: Optional[str]  # the admin's address; None: the periodic job
    size: int


def parse_month(text: str) -> date:
    """"2026-11" -> the month's first day; BadMonth otherwise."""
    found = MONTH_PATTERN.fullmatch(text or "")
    if found is None or int(found.group(1)) not in YEARS:
        raise BadMonth("month_format", f"must be a month such as 2026-11, from {YEARS[0]} to {YEARS[-1]}")
    return date(int(found.group(1)), int(found.group(2)), 1)


def month_period(first: date, zone: ZoneInfo) -> reports.Period:
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return reports.Period(first, following - timedelta(days=1), zone)


def current_month(zone: ZoneInfo, now: Optional[datetime] = None) -> date:
    """The first day of the company's month now."""
    return (now or clock.now()).astimezone(zone).date().replace(day=1)


def previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


# --- what a statement says ----------------------------------------------------------------------------


def gather(db: Session, tenant_id: int, first: date, now: Optional[datetime] = None) -> statement_pdf.StatementData:
    tenant = db.get(Tenant, tenant_id)
    zone = reports.company_zone(db, tenant_id)
    span = month_period(first, zone)
    language = tenant.language or "en"
    lines = [statement_pdf.TypeLine(row.key or "unknown", row.calls, row.minutes, row.cost)
             for row in reports.totals(db, tenant_id, span, "call_type")]
    overall = reports.overall(db, tenant_id, span)
    numbers = db.exec(select(PhoneNumber.number, PhoneNumber.label, PhoneNumber.number_type)
                      .where(PhoneNumber.tenant_id == tenant_id, PhoneNumber.assigned_at < span.end)
                      .order_by(PhoneNumber.number)).all()
    phones = db.exec(select(Device.name, Device.brand, Device.model, Device.mac, PbxUser.first_name, PbxUser.last_name,
                            PbxUser.extension)
                     .select_from(Device).outerjoin(PbxUser, (PbxUser.id == Device.user_id) & (PbxUser.tenant_id == tenant_id))
                     .where(Device.tenant_id == tenant_id, Device.created_at < span.end)
                     .order_by(Device.name, Device.id)).all()
    return statement_pdf.StatementData(
        company=tenant.name, language=language, first=span.first, last=span.last, zone=zone.key,
        made_at=(now or clock.now()).astimezone(zone), currency=reports.currency(db, tenant_id, span),
        lines=lines, total=statement_pdf.TypeLine("all", overall.calls, overall.minutes, overall.cost),
        numbers=[(number, label, _kind(language, kind)) for number, label, kind in numbers],
        phones=[(name, model if brand == "generic" else f"{brand.capitalize()} {model}", _mac(mac),
                 _user(first_name, last_name, extension)) for name, brand, model, mac, first_name, last_name, extension in phones])


def _kind(language: str, kind: str) -> str:
    key = f"statement.kind.{kind}"
    text = i18n.t(language, key)
    return kind.replace("_", " ") if text == key else text


def _mac(mac: Optional[str]) -> str:
    return ":".join(mac[n:n + 2] for n in range(0, len(mac), 2)).upper() if mac else ""


def _user(first_name, last_name, extension) -> str:
    if extension is None:
        return ""
    name = " ".join(part for part in (first_name, last_name) if part)
    return f"{name} ({extension})" if name else extension


# --- making and reading -------------------------------------------------------------------------------


def check_past(db: Session, tenant_id: int, first: date) -> None:
    """Only a month that has ended in the company's time zone has a statement."""
    if first >= current_month(reports.company_zone(db, tenant_id)):
        raise BadMonth("month_not_past", "must be a month that has ended")


def make(db: Session, tenant_id: int, first: date, created_by: Optional[int] = None,
         now: Optional[datetime] = None,
         draw: Callable[[statement_pdf.StatementData], bytes] = statement_pdf.render) -> tuple[StatementInfo, bool]:
    """The month's statement, made now unless stored already; True when this call stored it. `draw` turns
    the gathered figures (plain data) into the PDF's bytes: here by default, in a child process for the
    bridge (fs_bridge.statement_drawing) and the web (make_apart), whose event loops must not wait for it."""
    data = gather(db, tenant_id, first, now)
    pdf = draw(data)
    insert = dialect_insert(db)
    table = Statement.__table__
    # a Core INSERT: no ORM flush, so no bump of the tenant's configuration generation (a statement changes
    # nothing FreeSWITCH is served); its audit entry is written by hand below
    done = db.execute(insert(table).values(tenant_id=tenant_id, month=first.strftime("%Y-%m"), language=data.language,
                                           created_at=now or clock.now(), created_by=created_by, size=len(pdf), pdf=pdf)
                      .on_conflict_do_nothing(index_elements=["tenant_id", "month"]).returning(table.c.id)).first()
    # RETURNING, not the row count: psycopg does not report one for an INSERT ... ON CONFLICT
    found = info(db, tenant_id, first.strftime("%Y-%m"))
    if done is not None:
        _audit(db, tenant_id, found)
    return found, done is not None


def make_apart(db: Session, tenant_id: int, first: date, created_by: Optional[int] = None) -> tuple[StatementInfo, bool]:
    """make(), with the PDF drawn in a child process (web.domain.statement_drawing): the admin's "Make
    statement" in a web process, whose request thread then waits on a pipe without the GIL, so the asyncio
    loop and the worker's other requests go on. A month stored already is answered without a child."""
    from web.domain.statement_drawing import Drawer

    try:
        return info(db, tenant_id, first.strftime("%Y-%m")), False
    except Problem:
        pass
    with Drawer() as drawer:
        return make(db, tenant_id, first, created_by, draw=drawer.draw)


def _audit(db: Session, tenant_id: int, found: StatementInfo) -> None:
    """The audit log's entry for a statement made (the Core INSERT passes by its flush listener): who
    (the admin, or "system" for the periodic job), which month, how big; never the bytes."""
    from web.models.audit import AuditEntry

    actor = db.info.get("actor") or audit.SYSTEM
    db.execute(AuditEntry.__table__.insert().values(
        tenant_id=tenant_id, at=clock.now(), actor_account_id=actor.account_id, actor_email=actor.email,
        source_ip=actor.source_ip, action="statement.create", object_type="statement", object_id=str(found.id),
        summary={"after": {"month": found.month, "language": found.language, "size": found.size}}))


def _columns():
    return (Statement.id, Statement.month, Statement.language, Statement.created_at, Account.email, Statement.size)


def _info(row) -> StatementInfo:
    id, month, language, created_at, email, size = row
    return StatementInfo(id=id, month=month, language=language, created_at=created_at, created_by=email, size=size)


def info(db: Session, tenant_id: int, month: str) -> StatementInfo:
    row = db.exec(select(*_columns()).select_from(Statement).outerjoin(Account, Account.id == Statement.created_by)
                  .where(Statement.tenant_id == tenant_id, Statement.month == month)).first()
    if row is None:
        raise Problem(404, "not_found")
    return _info(row)


def listing(db: Session, tenant_id: int) -> list[StatementInfo]:
    """The company's statements, newest month first (without their bytes)."""
    rows = db.exec(select(*_columns()).select_from(Statement).outerjoin(Account, Account.id == Statement.created_by)
                   .where(Statement.tenant_id == tenant_id).order_by(Statement.month.desc())).all()
    return [_info(row) for row in rows]


def pdf_of(db: Session, tenant_id: int, month: str) -> bytes:
    """The stored PDF; 404 for a month without one and for another company's (the same answer)."""
    pdf = db.exec(select(Statement.pdf).where(Statement.tenant_id == tenant_id, Statement.month == month)).first()
    if pdf is None:
        raise Problem(404, "not_found")
    return bytes(pdf)


def file_name(company: str, month: str) -> str:
    """statement-2026-11-acme-bv.pdf: ASCII only, so every mail program and browser keeps it."""
    slug = re.sub(r"[^a-z0-9]+", "-", company.lower().encode("ascii", "ignore").decode()).strip("-")[:40]
    return f"statement-{month}{'-' + slug if slug else ''}.pdf"


# --- the periodic job: last month's, from the 1st on -------------------------------------------------


def due(db: Session, now: Optional[datetime] = None) -> list[tuple[int, date]]:
    """(tenant, month) of every company whose last month has no statement yet. A company made this
    month gets none for a month it did not exist in."""
    now = now or clock.now()
    wanted = {}
    for tenant_id, timezone_name, created_at in db.exec(select(Tenant.id, Tenant.timezone, Tenant.created_at)).all():
        zone = ZoneInfo(timezone_name or "UTC")
        this = current_month(zone, now)
        if created_at is not None and _aware(created_at) >= month_period(this, zone).start:
            continue
        wanted[tenant_id] = previous_month(this)
    if not wanted:
        return []
    months = {first.strftime("%Y-%m") for first in wanted.values()}
    have = set(db.exec(select(Statement.tenant_id, Statement.month).where(Statement.month.in_(months))).all())
    return sorted((tenant_id, first) for tenant_id, first in wanted.items()
                  if (tenant_id, first.strftime("%Y-%m")) not in have)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def make_due(engine, now: Optional[datetime] = None, limit: int = 20,
             on_made: Optional[Callable[[Session, int, StatementInfo], None]] = None,
             pause: Callable[[], None] = lambda: None,
             draw: Callable[[statement_pdf.StatementData], bytes] = statement_pdf.render) -> list[tuple[int, str]]:
    """Make up to `limit` due statements, each in a transaction of its own; `on_made(db, tenant, info)`
    runs in the transaction that stored one (the mail to its subscribers goes into the outbox there, so
    it is queued exactly when the statement is); `pause()` between two (the bridge lets other greenlets
    run); `draw` as for make(). Returns the (tenant, month) this process stored."""
    from web.db import session_scope

    with session_scope(engine, audit.SYSTEM) as db:
        todo = due(db, now)[:limit]
    stored = []
    for n, (tenant_id, first) in enumerate(todo):
        if n:
            pause()
        with session_scope(engine, audit.SYSTEM) as db:
            found, made = make(db, tenant_id, first, None, now, draw)
            if made:
                stored.append((tenant_id, found.month))
                if on_made is not None:
                    on_made(db, tenant_id, found)
    return stored


def totals_text(db: Session, tenant_id: int, first: date) -> dict:
    """The month's totals in the company's language, for the mail's text."""
    tenant = db.get(Tenant, tenant_id)
    language = tenant.language or "en"
    span = month_period(first, reports.company_zone(db, tenant_id))
    overall = reports.overall(db, tenant_id, span)
    return {"company": tenant.name, "month": statement_pdf.month_name(first, language), "calls": overall.calls,
            "minutes": statement_pdf.figure(overall.minutes, 1, language),
            "cost": statement_pdf.money(overall.cost, reports.currency(db, tenant_id, span), language),
            "language": language}


__all__ = ["BadMonth", "StatementInfo", "check_past", "due", "file_name", "gather", "info", "listing", "make",
           "make_apart", "make_due", "month_period", "parse_month", "pdf_of", "previous_month", "totals_text"]
