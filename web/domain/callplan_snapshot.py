"""What the call-plan engine (callplan/, which is pure) needs from the database: a tenant's objects as a
TenantObjects snapshot, the documents of its plans, and who among the plans uses what.

`snapshot()` reads each table once (through web.scoping), so validating, compiling or simulating a plan
costs a dozen queries whatever the size of the company."""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional

import phonenumbers
from pydantic import ValidationError
from sqlalchemy import JSON, Text, bindparam, cast, delete, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from sqlmodel.sql.sqltypes import UTCDateTime

from callplan.model import CallPlan
from callplan.nodes import module_for
from callplan.objects import (
    AudioInfo,
    CompanyInfo,
    DepartmentInfo,
    DeviceInfo,
    FeatureCodeInfo,
    HolidayInfo,
    IvrMenuInfo,
    PlanInfo,
    QueueInfo,
    RingGroupInfo,
    ScheduleInfo,
    Skipped,
    TenantObjects,
    UserInfo,
    VoicemailBoxInfo,
    ConferenceRoomInfo,
    ParkingInfo,
    PageGroupInfo,
)
from web.models import Tenant
from web.models.audio import AudioFile
from web.models.call_plan import CallPlanRecord, CallPlanVersion
from web.models.company import CompanySettings, Department
from web.models.device import Device
from web.models.feature_code import FeatureCode
from web.models.internal_number import InternalNumber
from web.models.ivr_menu import IvrMenu
from web.models.conference_room import ConferenceRoom
from web.models.parking import ParkingLot
from web.models.page_group import PageGroup
from web.models.pbx_user import PbxUser
from web.models.phone_number import PhoneNumber, VerifiedCallerId
from web.models.phonebook import Contact
from web.models.pickup_group import PickupGroup
from web.models.queue import CallQueue
from web.models.ring_group import RingGroup
from web.models.ring_group_state import RingGroupState
from web.models.row_check import RowCheck
from web.models.schedule import HolidaySchedule, TimeSchedule
from web.models.voicemail_box import VoicemailBox
from web.domain import numbers
from web.domain.problems import from_validation_error
from web.domain.references import Use
from web.domain.stored_rows import problems, row_problems, rules_for
from web.scoping import scoped

log = logging.getLogger("web.callplans")

PLAN_OWNER = "call_plan"  # owner_kind of a plan's internal numbers in web.domain.numbering


# --- documents ---------------------------------------------------------------------------------


def normalised(plan: CallPlan) -> dict:
    """The stored form of a document: every field, defaults included, "else" by its JSON name."""
    return plan.model_dump(mode="json", by_alias=True)


def with_diversions(document: dict, active: list[str]) -> CallPlan:
    """The document as calls see it: its diversions switched on exactly when their id is in `active`."""
    active_ids = set(active or ())
    data = dict(document)
    data["diversions"] = [{**diversion, "active": diversion.get("id") in active_ids}
                          for diversion in document.get("diversions") or []]
    return CallPlan.model_validate(data)


def published_documents(db: Session, tenant_id: int) -> dict[int, CallPlanVersion]:
    """plan id -> its latest published version, for every plan of the tenant that has one (one query)."""
    rows = db.exec(
        scoped(CallPlanVersion, tenant_id)
        .join(CallPlanRecord, CallPlanRecord.id == CallPlanVersion.plan_id)
        .where(CallPlanRecord.published_version == CallPlanVersion.version)
    ).all()
    return {row.plan_id: row for row in rows}


@dataclass(frozen=True)
class Published:
    """A plan's latest published version as the dialplan and the snapshot read it (shared between
    snapshots: read only)."""

    plan_id: int
    version: int
    document: dict
    numbers: tuple[str, ...]
    transfers_to: tuple[int, ...]


_published_kept: dict = {}

# The C scanner json.loads itself ends in, with json.loads's own settings (no hooks)
_scan_json = json.JSONDecoder().scan_once


def _json(text: str):
    """json.loads(text), for the texts the database gives back (JSON columns, documents): the C scanner
    called straight away, without json.loads's Python layers around it (its whitespace regular
    expressions, two calls), which cost a cold build more than the scanning: some 6,000 small values
    ({}, [], null) for a company of a thousand users, ~4 ms (#20). A text the scanner does not end at
    its last character (whitespace around the value, extra data) or cannot start goes through
    json.loads: the same value, or the same error."""
    try:
        value, end = _scan_json(text, 0)
    except (StopIteration, TypeError):
        return json.loads(text)
    return value if end == len(text) else json.loads(text)

_PUBLISHED = (select(CallPlanVersion.__table__.c.id, CallPlanVersion.__table__.c.plan_id, CallPlanVersion.__table__.c.version,
                     cast(CallPlanVersion.__table__.c.document, Text))
              .join(CallPlanRecord.__table__, CallPlanRecord.__table__.c.id == CallPlanVersion.__table__.c.plan_id)
              .where(CallPlanVersion.__table__.c.tenant_id == bindparam("tenant_id"),
                     CallPlanRecord.__table__.c.tenant_id == bindparam("tenant_id"),
                     CallPlanRecord.__table__.c.published_version == CallPlanVersion.__table__.c.version))


def published_versions(db: Session, tenant_id: int) -> dict[int, Published]:
    """published_documents() for the dialplan: each version's document decoded once per process (by its
    stored text), with the numbers it answers and the plans it transfers to."""
    found = {}
    for row_id, plan_id, version, text in db.connection().execute(_PUBLISHED, {"tenant_id": tenant_id}).all():
        key = (row_id, plan_id, version, text)
        published = _published_kept.get(key)
        if published is None:
            document = _json(text) if isinstance(text, str) else dict(text or {})
            # a document that names no plan transfers to none (most do not: the walk is skipped)
            names_plans = not isinstance(text, str) or '"plan"' in text or "\\u" in text
            published = Published(plan_id, version, document, tuple(document.get("numbers") or ()),
                                  tuple(transfers_to(document)) if names_plans else ())
            if len(_published_kept) >= VERSIONS_KEPT:
                _published_kept.clear()
            _published_kept[key] = published
        found[plan_id] = published
    return found


def plan_rows(db: Session, tenant_id: int) -> list[tuple[int, str, list]]:
    """(id, name, active diversions) of every plan of the tenant, by id (without the drafts)."""
    table = CallPlanRecord.__table__
    query = select(table.c.id, table.c.name, table.c.active_diversions).where(table.c.tenant_id == tenant_id).order_by(table.c.id)
    return [(row[0], row[1], row[2] or []) for row in db.connection().execute(query).all()]


def answered_by_plan(db: Session, tenant_id: int, number: str) -> bool:
    """Does a published call plan answer this number (it then cannot route elsewhere)?"""
    return number in numbers_answered_by_plans(db, tenant_id)


def numbers_answered_by_plans(db: Session, tenant_id: int) -> set[str]:
    """Every number a published call plan of the tenant answers (one query)."""
    return {number for version in published_documents(db, tenant_id).values() for number in version.document.get("numbers") or []}


def transfers_to(document: dict) -> list[int]:
    """Plans a document's steps transfer to, wherever they sit (branches, keys, diversions)."""
    found: list[int] = []

    def visit(value) -> None:
        if isinstance(value, dict):
            target = value.get("to")
            if value.get("type") == "transfer" and isinstance(target, dict) and isinstance(target.get("plan"), int):
                if target["plan"] not in found:
                    found.append(target["plan"])
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit(document)
    return found


# --- the snapshot --------------------------------------------------------------------------------


def _rows(db: Session, table, tenant_id: int) -> list:
    return db.exec(scoped(table, tenant_id).order_by(table.id)).all()


def _country(company_number: Optional[str]) -> str:
    """The ISO country of the company's number: what "international" means for outbound blocking."""
    if company_number:
        try:
            return phonenumbers.region_code_for_number(phonenumbers.parse(company_number, None)) or "NL"
        except phonenumbers.NumberParseException:
            pass
    return CompanyInfo().country


def _label(row) -> str:
    for names in (("first_name", "last_name"), ("name",), ("sip_username",), ("number",), ("function",)):
        values = [str(getattr(row, name, "") or "") for name in names]
        if any(values):
            return " ".join(v for v in values if v)[:100]
    return ""


# --- each stored row checked once per process ------------------------------------------------------
#
# Checking a row against the API's rules and building what the engine knows of it (UserInfo, ...) costs
# tens of microseconds a row: for a company of a thousand users, phones and boxes, most of a dialplan
# build, and it was paid again at every change of the company. So what the snapshot makes of a row is
# kept, keyed by the row's stored values (one query per table); a row is checked again only when one of
# its values changed. The rows are read with Core (one query per table, no ORM objects: loading 3,000
# SQLModel instances cost a cold build some 25 ms, #20) into plain read-only objects (`StoredRow`), so
# they are nobody's session objects (a caller's session never sees them, nor they its pending changes).

# Rows kept per process, every tenant together; then the memo starts again. Bounded because every web
# process serves every company (README "Scaling out"): some 20-40 MB at most, and a company of a thousand
# users, phones and boxes needs 3,000.
ROWS_KEPT = 20_000
VERSIONS_KEPT = 5_000  # published versions decoded
# table -> its rows' stored values -> _Stored (a dict per table: one key tuple less per row for the
# collector to go through, #20); _kept_count: the rows kept, every table together
_kept: dict = {}
_kept_count = 0
# No problem found: shared by every row that passed (one empty list less per row; read only)
_PASSED: tuple = ()
_row_reads: dict = {}
_UNKNOWN = object()  # no check kept for a digest


class StoredRow:
    """One stored row as the snapshot read it: its columns as attributes (as the table's ORM object has
    them, without the ORM). Shared between snapshots: read only."""

    def model_dump(self) -> dict:
        return dict(self.__dict__)

    def __repr__(self) -> str:
        return f"StoredRow({self.__dict__!r})"


class _Stored:
    """What the snapshot made of one stored row: the row, what it breaks of the API's rules, and what
    was built of it (by context: a user's build also depends on its box and direct number); `digest`
    names its check in row_check. What was built is kept for one context in `made_for` and `made`
    (nearly every row has one: no dict per row for the collector to go through, #20), for more in
    `built` (context -> what was built)."""

    __slots__ = ("row", "problems", "made_for", "made", "built", "digest")

    def __init__(self, row, problems: list[dict] | tuple, digest: str):
        self.row, self.problems, self.digest = row, problems, digest
        self.made_for = self.made = self.built = None

    def built_for(self, key):
        """What was built of the row for this context, or None."""
        if self.made is not None and self.made_for == key:
            return self.made
        return self.built.get(key) if self.built is not None else None

    def keep(self, key, made) -> None:
        if self.made is None or self.made_for == key:
            self.made_for, self.made = key, made
            return
        if self.built is None or len(self.built) > 8:  # contexts of one row: a handful at most
            self.built = {}
        self.built[key] = made


def forget_rows(versions: bool = True) -> None:
    """Forget every checked row and decoded version (a cold start, for benches and tests); the versions
    kept when `versions` is false."""
    global _kept_count
    _kept.clear()
    _kept_count = 0
    if versions:
        _published_kept.clear()


def checked_rows(db: Session, table, tenant_id: int, checks: Optional[KeptChecks] = None) -> list:
    """The tenant's rows of `table` that pass the API's rules, by id, as the snapshot keeps them
    (`StoredRow`s): shared between snapshots, read only."""
    return [item.row for item in _stored(db, table, tenant_id, checks or KeptChecks(tenant_id)) if not item.problems]


# --- what the checks found, kept across processes (web.models.row_check) -----------------------------
#
# A new process (a restart, another worker, another server) would check every row of a company again at
# its first build: some 40 ms of a 1,000-user company's cold dialplan (#20). What a check finds depends
# only on the row's stored values and on the code that checks them, so it is kept in the database under a
# digest of both; a process reads a company's kept checks once, at the first row it has not checked
# itself, and checks only the rows they do not name. The digest is keyed by the code: the project's own
# sources (the rules models, their validators and whatever they call) and the versions of the libraries
# that validate and normalise, so a new release checks every row again. Written by the builds of
# FreeSWITCH's documents only (`write`, after their reads), never in a caller's transaction.

_LIBRARIES = ("pydantic", "pydantic_core", "phonenumbers", "email_validator", "sqlalchemy", "sqlmodel", "zoneinfo")


@lru_cache(maxsize=1)
def _code_digest() -> bytes:
    """This process's checking code, as a key (read once per process: some 25 ms)."""
    digest = hashlib.blake2b(digest_size=32)
    digest.update(sys.version.encode())
    for name in _LIBRARIES:
        module = sys.modules.get(name)
        if module is None:
            try:
                module = __import__(name)
            except ImportError:
                continue
        digest.update(f"{name}={getattr(module, '__version__', getattr(module, 'VERSION', ''))};".encode())
    root = Path(__file__).resolve().parent.parent.parent
    sources = [source for package in ("callplan", "web") for source in sorted((root / package).rglob("*.py"))]
    for source in sources:
        digest.update(str(source.relative_to(root)).encode() + b"\0" + source.read_bytes() + b"\0")
    if not sources:  # the code cannot be read (not installed as files): no check is shared with another process
        digest.update(os.urandom(16))
    return digest.digest()


def _digest(table, values: tuple, keyed=None) -> str:
    """The key of a row's check: the code, the table and every stored value (id and tenant included).
    `keyed`: _keyed(table), made once for a table's rows."""
    digest = (keyed or _keyed(table)).copy()
    digest.update(_written(values))
    return digest.hexdigest()


def _written(values: tuple) -> bytes:
    """A row's stored values as the bytes its digest is made of: marshal's version 0 (one C call, no
    escaping: ~1 us a row less than their repr for a cold build's thousands, #20; the same bytes for the
    same values in every process of a Python version, which the code's digest holds: no references,
    no interned strings told apart), "m" before it; a value marshal does not write (a datetime from
    PostgreSQL's driver, ...) makes it their repr, which starts with "(" and so is never the same."""
    try:
        return b"m" + marshal.dumps(values, 0)
    except ValueError:
        return repr(values).encode()


def _keyed(table):
    """blake2b keyed with the code and personalised with the table, nothing hashed yet: each row's digest
    starts from a copy (the same digest as keying one per row, without the key's own block each time)."""
    return hashlib.blake2b(digest_size=16, key=_code_digest(), person=_person(table))


@lru_cache(maxsize=None)
def _person(table) -> bytes:
    """The table's name as blake2b's 16-byte personalisation (a longer one by its own digest)."""
    name = table.__tablename__.encode()
    return name if len(name) <= 16 else hashlib.blake2b(name, digest_size=16).digest()


# every internal number of a tenant, for the snapshot's extensions (read as the driver gives them: a
# company of a thousand users has a few thousand, #20)
_INTERNAL_NUMBERS = select(InternalNumber.__table__.c.number, InternalNumber.__table__.c.owner_kind,
                           InternalNumber.__table__.c.owner_id).where(
    InternalNumber.__table__.c.tenant_id == bindparam("tenant_id")).order_by(InternalNumber.__table__.c.id)
_KEPT_CHECKS = select(RowCheck.__table__.c.digest, RowCheck.__table__.c.problems).where(
    RowCheck.__table__.c.tenant_id == bindparam("tenant_id"))


class KeptChecks:
    """A tenant's checks as earlier processes kept them (row_check: read once, at the first row this
    process has not checked), the ones this snapshot made itself, and every check its rows have (what is
    not among them belongs to rows that changed or are gone, or to other code: `write` lets it go)."""

    def __init__(self, tenant_id: int):
        self.tenant_id = tenant_id
        self.stored: Optional[dict[str, Optional[str]]] = None
        self.made: dict[str, Optional[str]] = {}
        self.seen: set[str] = set()

    def problems(self, db: Session, table, values: tuple, row: StoredRow, keyed=None) -> tuple[str, list[dict]]:
        digest = (keyed or _keyed(table)).copy()  # _digest(), in line: once per row of a cold build
        digest.update(_written(values))
        digest = digest.hexdigest()
        stored = self.stored
        if stored is None:
            stored = self.stored = dict(_fetch(db.connection(), _KEPT_CHECKS, {"tenant_id": self.tenant_id}))
        text = stored.get(digest, _UNKNOWN)
        if text is not _UNKNOWN:
            return digest, _json(text) if text else _PASSED
        found = problems(row.__dict__, *rules_for(table))
        self.made[digest] = json.dumps(found) if found else None
        return digest, found or _PASSED

    def write(self, engine) -> None:
        """Keep the checks this process made for the next ones, and let go of those no row has now. Best
        effort, and never waited for: a database busy writing (SQLite) or any failure costs the next
        process these checks, never this build its time (it runs on FreeSWITCH's fetch)."""
        if not self.made:
            return
        table = RowCheck.__table__
        gone = [digest for digest in self.stored or () if digest not in self.seen]
        try:
            with engine.connect() as connection:
                sqlite = connection.dialect.name == "sqlite"
                if sqlite:  # another writer holds the lock: give up at once, not after the busy timeout
                    waited = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
                    connection.exec_driver_sql("PRAGMA busy_timeout = 0")
                    connection.commit()  # (a pragma opens no transaction of SQLite's; this ends SQLAlchemy's)
                try:
                    with connection.begin():
                        for start in range(0, len(gone), 500):
                            connection.execute(delete(table).where(table.c.tenant_id == self.tenant_id,
                                                                   table.c.digest.in_(gone[start:start + 500])))
                        if sqlite:
                            from sqlalchemy.dialects.sqlite import insert
                        else:
                            from sqlalchemy.dialects.postgresql import insert
                        connection.execute(insert(table).on_conflict_do_nothing(), [
                            {"tenant_id": self.tenant_id, "digest": digest, "problems": found}
                            for digest, found in self.made.items()])
                finally:
                    if sqlite:
                        connection.rollback()
                        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(waited)}")
                        connection.commit()
        except SQLAlchemyError as exc:
            log.info("tenant %s: row checks not kept for other processes (%s)", self.tenant_id, exc)
            return
        self.stored = {**{digest: text for digest, text in (self.stored or {}).items() if digest in self.seen},
                       **self.made}
        self.made = {}


def _row_read(table) -> tuple:
    """(query, column names, which columns are JSON, the other columns) for reading a tenant's rows of
    `table` by id. JSON columns are read as their stored text: it is part of the row's key (hashable,
    unlike what it decodes to) and decoded only for a row not kept (json.loads, as the drivers decode
    them). The rows are read as the driver gives them (`_fetch`), the other columns made what the ORM
    makes of them (the column types' own result processors, `_processors`) only for a row not kept: the
    key and the check's digest hold what the database stored (on SQLite a date-time's text, whose repr
    costs a fraction of a datetime's, #20)."""
    read = _row_reads.get(table)
    if read is None:
        columns = list(table.__table__.c)
        json_columns = tuple(isinstance(column.type, JSON) for column in columns)
        query = select(*[cast(column, Text) if is_json else column for column, is_json in zip(columns, json_columns)]).where(
            table.__table__.c.tenant_id == bindparam("tenant_id")).order_by(table.__table__.c.id)
        read = _row_reads[table] = (query, tuple(column.name for column in columns),
                                    tuple(column.name for column, is_json in zip(columns, json_columns) if is_json),
                                    tuple(column for column, is_json in zip(columns, json_columns) if not is_json))
    return read


_statements: dict = {}


def _fetch(connection, query, parameters: dict) -> list[tuple]:
    """The rows of `query` (a tenant's rows, _row_read(); the kept checks) as the driver gives them, on
    the connection's own DB-API connection (in its transaction): SQLAlchemy's execution and its rows cost
    a cold build of a thousand users, phones and boxes some 3 ms more (#20). A statement the driver fails
    is made again through SQLAlchemy, which raises as it always does (its errors, a lost connection let
    go)."""
    dialect = connection.dialect
    key = (query, dialect.name, dialect.driver, dialect.paramstyle)
    made = _statements.get(key)
    if made is None:
        compiled = query.compile(dialect=dialect)
        made = _statements[key] = (str(compiled), tuple(compiled.positiontup) if dialect.positional else None)
    statement, positions = made
    if positions is not None:
        parameters = tuple(parameters[name] for name in positions)
    cursor = connection.connection.cursor()
    try:
        cursor.execute(statement, parameters)
        return cursor.fetchall()
    except dialect.loaded_dbapi.Error:
        pass
    finally:
        cursor.close()
    return [tuple(row) for row in connection.exec_driver_sql(statement, parameters).all()]


_processors_made: dict = {}


def _processors(table, dialect) -> tuple:
    """(column name, result processor) of the columns _fetch() gives as the driver gives them, but JSON:
    what SQLAlchemy would have applied to them for this dialect (those without one are left out)."""
    key = (table, dialect.name, dialect.driver)
    made = _processors_made.get(key)
    if made is None:
        found = []
        for column in _row_read(table)[3]:
            processor = column.type._cached_result_processor(dialect, None)
            if processor is not None:
                if dialect.name == "sqlite" and isinstance(column.type, UTCDateTime):
                    processor = _utc_from_text(processor)
                found.append((column.name, processor))
        made = _processors_made[key] = tuple(found)
    return made


def _utc_from_text(processor):
    """UTCDateTime's result processor on SQLite for the texts SQLAlchemy stores ("2026-12-06
    04:48:21.065272" or without the fraction, UTC without an offset): the same aware datetime in UTC in
    one C call, where the processor parses and then replaces the zone in Python (~1 us a row of a cold
    build, #20); anything else (None, another form, an offset of its own) through `processor`."""
    def process(value):
        if value.__class__ is str and (len(value) == 26 or len(value) == 19) and value[10] == " ":
            try:
                made = _from_iso(value + "+00:00")
            except ValueError:
                pass
            else:
                if made.tzinfo is _UTC:
                    return made
        return processor(value)

    return process


_new = object.__new__
_from_iso, _UTC = datetime.fromisoformat, timezone.utc


def _decoded(names: tuple, json_columns: tuple, processors: tuple, values: tuple) -> StoredRow:
    row = _new(StoredRow)
    columns = row.__dict__
    columns.update(zip(names, values))
    for name, processor in processors:
        columns[name] = processor(columns[name])
    for name in json_columns:
        text = columns[name]
        if text is not None:
            # {} is most of a company's JSON values (a user's unset forwarding, Anywhere, ...)
            columns[name] = {} if text == "{}" else _json(text)
    return row


def _stored(db: Session, table, tenant_id: int, checks: KeptChecks) -> list[_Stored]:
    """Every row of the tenant's `table`, in id order, each checked (row_problems) once per process, or
    not at all when another process kept its check (`checks`)."""
    global _kept_count
    query, names, json_columns, _ = _row_read(table)
    kept = _kept.get(table)
    if kept is None:
        kept = _kept[table] = {}
    connection = db.connection()
    keyed = processors = None
    found = []
    seen = checks.seen
    for values in _fetch(connection, query, {"tenant_id": tenant_id}):
        stored = kept.get(values)
        if stored is None:
            if keyed is None:
                keyed, processors = _keyed(table), _processors(table, connection.dialect)
            row = _decoded(names, json_columns, processors, values)
            digest, found_problems = checks.problems(db, table, values, row, keyed)
            stored = _Stored(row, found_problems, digest)
            if _kept_count >= ROWS_KEPT:
                forget_rows(versions=False)
                kept = _kept[table] = {}
            kept[values] = stored
            _kept_count += 1
        seen.add(stored.digest)
        found.append(stored)
    return found


class _Checker:
    """Builds the snapshot's pieces row by row: a row that no longer validates (its stored values against
    the API's rules, web.domain.stored_rows, or against what the engine needs, callplan.objects) is left
    out, logged and listed, so one bad row never takes the company's directory or dialplan down."""

    def __init__(self, tenant_id: int):
        self.tenant_id = tenant_id
        self.skipped: list[Skipped] = []

    def skip(self, kind: str, row_id, name: str, found: list[dict], object_kept: bool = False) -> None:
        first = found[0]
        self.skipped.append(Skipped(kind=kind, id=row_id, name=name, pointer=first["pointer"],
                                    message=first["message"], object_kept=object_kept))
        log.warning("tenant %s: %s %s %s: stored %s no longer valid (%s)", self.tenant_id, kind, row_id,
                    "kept without that value" if object_kept else "left out of calls", first["pointer"], first["message"])

    def usable(self, kind: str, stored: list[_Stored]) -> list[_Stored]:
        """The rows that still pass the API's rules."""
        kept = []
        for item in stored:
            if item.problems:
                self.skip(kind, item.row.id, _label(item.row), item.problems)
            else:
                kept.append(item)
        return kept

    def rows(self, kind: str, stored: list[_Stored]) -> list:
        return [item.row for item in self.usable(kind, stored)]

    def each(self, kind: str, stored: list[_Stored], build, context=None) -> dict:
        """id -> build(row) for every usable row the engine's own shape takes; built once per process for
        the row's stored values and its `context(row)` (whatever else `build` reads; none: None)."""
        built = {}
        for item in self.usable(kind, stored):
            row = item.row
            key = context(row) if context is not None else None
            made = item.made  # item.built_for(key), in line: once per row of a company's thousands
            if made is None or item.made_for != key:
                made = item.built.get(key) if item.built is not None else None
            if made is None:
                try:
                    made = build(row)
                except ValidationError as exc:
                    made = from_validation_error(exc).errors
                item.keep(key, made)
            if isinstance(made, list):
                self.skip(kind, row.id, _label(row), made)
            else:
                built[row.id] = made
        return built

    def lenient(self, kind: str, model, data: dict, found: list[dict] = (), name: str = ""):
        """`model` from `data` with each value at fault (in `found`, or refused by the model) left at the
        field's default: a company setting cannot be left out the way an object can. A value still refused
        that has no default fails the whole snapshot."""
        data, errors = dict(data), list(found)

        def droppable(error) -> Optional[str]:
            field = error["pointer"].split("/")[1] if error["pointer"].startswith("/") else ""
            known = model.model_fields.get(field)
            return field if field in data and known is not None and not known.is_required() else None

        while True:
            for error in errors:
                self.skip(kind, None, name, [error], object_kept=True)
                data.pop(droppable(error) or "", None)
            try:
                return model.model_validate(data)
            except ValidationError as exc:
                errors = from_validation_error(exc).errors
                if not any(droppable(error) for error in errors):
                    raise


def _users(db: Session, tenant_id: int, boxes: list, held: list[PhoneNumber], check: _Checker,
           checks: KeptChecks) -> dict[int, UserInfo]:
    personal_box = {box.user_id: box.id for box in boxes if box.user_id is not None}
    direct = {}  # user id -> the public number routed to the user
    for did in held:
        if (did.destination or {}).get("type") == "user":
            direct.setdefault(did.destination.get("id"), did.number)
    # the row's columns as they are (id, extension, forwarding, ... have UserInfo's names; the others are
    # ignored), with what UserInfo has of the user's elsewhere: validated from one dict, not from keyword
    # arguments read one by one (a company of a thousand users, #20)
    return check.each("user", _stored(db, PbxUser, tenant_id, checks), lambda u: UserInfo.model_validate({
        **u.__dict__, "name": f"{u.first_name} {u.last_name}".strip(), "voicemail_box_id": personal_box.get(u.id),
        "direct_number": direct.get(u.id)}),
        context=lambda u: (personal_box.get(u.id), direct.get(u.id)))


def _plans(db: Session, tenant_id: int, read: Optional[tuple] = None) -> dict[int, PlanInfo]:
    """`read`: (published_versions(), plan_rows()) as the caller read them in this transaction."""
    published, rows = read if read is not None else (published_versions(db, tenant_id), plan_rows(db, tenant_id))
    plans = {}
    for plan_id, name, _ in rows:
        version = published.get(plan_id)
        plans[plan_id] = PlanInfo(id=plan_id, name=name, numbers=list(version.numbers if version else ()),
                                  transfers_to=list(version.transfers_to if version else ()))
    return plans


def caller_ids(tenant: Tenant, held: list[PhoneNumber], verified: list[VerifiedCallerId],
               departments: list[Department]) -> frozenset[str]:
    """The numbers the company may show on calls out. A stored caller ID that is not one of them (a row
    from before numbers were assigned, a number taken back) is logged here; callplan.outbound shows the
    company number instead, or withholds it, and GET /api/caller-ids shows the admin the row."""
    allowed = frozenset([row.number for row in held] + [row.number for row in verified])
    for kind, row_id, _, where, number in numbers.unshowable(tenant, departments, allowed):
        log.warning("tenant %s: %s %s%s is %s, not a number the company holds or had verified; calls out "
                    "do not show it", tenant.id, kind, row_id, where, number)
    return allowed


def snapshot(db: Session, tenant_id: int, settings, checks: Optional[KeptChecks] = None,
             plans_read: Optional[tuple] = None) -> TenantObjects:
    """The tenant's objects as the engine knows them. `checks`: where the rows' checks are looked up
    and collected (the builds of FreeSWITCH's documents pass theirs, and keep what it made: write()).
    `plans_read`: (published_versions(), plan_rows()) read by the caller in the same transaction (the
    dialplan needs them too: read once, #20)."""
    checks = checks or KeptChecks(tenant_id)
    if db.autoflush:
        db.flush()  # the session's own pending changes count, as its ORM queries would flush them
    check = _Checker(tenant_id)
    tenant = db.get(Tenant, tenant_id)
    box_rows = _stored(db, VoicemailBox, tenant_id, checks)
    boxes = check.rows("voicemail_box", box_rows)
    settings_row = db.exec(scoped(CompanySettings, tenant_id)).first()
    company = check.lenient("company", CompanyInfo, settings_row.model_dump() if settings_row is not None else {},
                            row_problems(settings_row) if settings_row is not None else [])
    states = _rows(db, RingGroupState, tenant_id)
    held = check.rows("phone_number", _stored(db, PhoneNumber, tenant_id, checks))
    department_rows = _stored(db, Department, tenant_id, checks)
    departments = check.rows("department", department_rows)
    extensions = {}
    for number, kind, owner_id in _fetch(db.connection(), _INTERNAL_NUMBERS, {"tenant_id": tenant_id}):
        extensions[number] = f"{PLAN_OWNER}:{owner_id}" if kind == PLAN_OWNER else kind
    codes = check.each("feature_code", [f for f in _stored(db, FeatureCode, tenant_id, checks) if f.row.enabled and f.row.code],
                       lambda f: FeatureCodeInfo(function=f.function, code=f.code))
    objects = check.lenient("company", TenantObjects, dict(
        tenant_id=tenant_id,
        domain=tenant.sip_domain,
        timezone=tenant.timezone,
        language=tenant.language,
        audio_dir=str(settings.audio_dir),
        home=_home(settings),
        company_number=tenant.company_number,
        caller_ids=caller_ids(tenant, held, _rows(db, VerifiedCallerId, tenant_id), departments),
        company=company,
        departments=check.each("department", [item for item in department_rows if not item.problems],
                               lambda d: DepartmentInfo(id=d.id, name=d.name, caller_id_number=d.caller_id_number)),
        feature_codes={code.function: code.code for code in codes.values()},
        pickup_groups={g.id: list(g.members) for g in check.rows("pickup_group", _stored(db, PickupGroup, tenant_id, checks))},
        users=_users(db, tenant_id, boxes, held, check, checks),
        devices=check.each("device", _stored(db, Device, tenant_id, checks),
                           lambda d: DeviceInfo.model_validate(d.__dict__)),  # (its fields are the row's columns)
        ring_groups=check.each("ring_group", _stored(db, RingGroup, tenant_id, checks), lambda g: RingGroupInfo.model_validate(g.model_dump())),
        queues=check.each("queue", _stored(db, CallQueue, tenant_id, checks), lambda q: QueueInfo.model_validate(q.model_dump())),
        ivr_menus=check.each("ivr_menu", _stored(db, IvrMenu, tenant_id, checks), lambda m: IvrMenuInfo.model_validate(m.model_dump())),
        voicemail_boxes=check.each("voicemail_box", [item for item in box_rows if not item.problems],
                                   lambda b: VoicemailBoxInfo.model_validate(b.__dict__)),
        conference_rooms=check.each("conference_room", _stored(db, ConferenceRoom, tenant_id, checks),
                                    lambda r: ConferenceRoomInfo.model_validate(r.model_dump())),
        parking=_parking(db, tenant_id),
        page_groups=check.each("page_group", _stored(db, PageGroup, tenant_id, checks),
                               lambda g: PageGroupInfo.model_validate(g.model_dump())),
        schedules=check.each("schedule", _stored(db, TimeSchedule, tenant_id, checks),
                             lambda s: ScheduleInfo(id=s.id, name=s.name, periods=s.periods)),
        holidays=check.each("holiday_schedule", _stored(db, HolidaySchedule, tenant_id, checks),
                            lambda h: HolidayInfo(id=h.id, name=h.name, entries=h.entries)),
        audio=check.each("audio", _stored(db, AudioFile, tenant_id, checks), lambda a: AudioInfo(id=a.id, name=a.name)),
        plans=_plans(db, tenant_id, plans_read),
        extensions=extensions,
        blocked_numbers=[contact.number for contact in db.exec(
            scoped(Contact, tenant_id).where(Contact.blocked == True).order_by(Contact.id)).all()],  # noqa: E712
        last_answered={row.ring_group_id: row.last_answered_index for row in states if row.last_answered_index is not None},
        idle_since=_idle_since(states),
    ), row_problems(tenant), tenant.name)
    objects.company.country = _country(objects.company_number)
    objects.company.name = tenant.name
    objects.skipped = check.skipped
    if any(room.pin for room in objects.conference_rooms.values()):
        # the PIN prompts in the company's language, rendered once per installation (web.domain.prompts)
        from web.domain import prompts

        objects.prompts = prompts.ensure(settings, objects.language)
    return objects


def _parking(db: Session, tenant_id: int) -> ParkingInfo:
    row = db.exec(scoped(ParkingLot, tenant_id)).first()
    if row is None:
        return ParkingInfo()
    return ParkingInfo(enabled=row.enabled, first_slot=row.first_slot, last_slot=row.last_slot,
                       return_after_s=row.return_after_s)


def _idle_since(states) -> dict[str, float]:
    """A member's last answered call in any group (web.xml_curl.dialplan.rotation_state reads it the same way)."""
    found: dict[str, float] = {}
    for row in states:
        for key, at in row.last_call_at.items():
            if at > found.get(key, float("-inf")):
                found[key] = at
    return found


# --- who uses what (web.domain.references EXTRA_FINDERS) ----------------------------------------------

# kinds a plan's steps can point at (see each callplan/nodes module's references()), plus public numbers
# a plan answers on
_KINDS = frozenset({"user", "ring_group", "queue", "ivr_menu", "voicemail_box", "conference_room", "page_group", "schedule", "holiday_schedule",
                    "audio", "plan", "extension", "phone_number"})


def _parsed(document: dict, plan_id: int) -> Optional[CallPlan]:
    try:
        return CallPlan.model_validate(document)
    except ValidationError:
        # Stored documents were valid when saved; one that no longer parses uses nothing we can name.
        log.warning("call plan %s has a stored document that no longer parses", plan_id)
        return None


def _references(plan: CallPlan) -> Iterator[tuple[str, str, object]]:
    for pointer, step in plan.walk():
        for suffix, kind, target in module_for(step).references(step):
            yield pointer + suffix, kind, target


def plan_uses(db: Session, tenant_id: int, kind: str, target) -> Iterator[Use]:
    """Plans whose draft or published version points at (kind, target); once per plan and place."""
    if kind not in _KINDS:
        return
    number = None
    if kind == "phone_number":
        did = db.exec(scoped(PhoneNumber, tenant_id).where(PhoneNumber.id == target)).first()
        if did is None:
            return
        number = did.number
    published = published_documents(db, tenant_id)
    for row in db.exec(scoped(CallPlanRecord, tenant_id).order_by(CallPlanRecord.id)).all():
        seen = set()
        documents = [published[row.id].document] if row.id in published else []
        for document in documents + [row.draft]:
            if number is not None:
                places = [f"/numbers/{i}" for i, n in enumerate(document.get("numbers") or []) if n == number]
            else:
                plan = _parsed(document, row.id)
                places = [where for where, ref_kind, ref in (_references(plan) if plan else ())
                          if ref_kind == kind and ref == target]
            for where in places:
                if where not in seen:
                    seen.add(where)
                    yield Use("plan", row.id, row.name, where)


def _home(settings):
    from web.domain.switches import home_info

    try:
        return home_info(settings)
    except ValueError:  # a CALLPLAN_HOME_SWITCH(_SIP) that is no name or address: no hand-over, said once per build
        log.warning("CALLPLAN_HOME_SWITCH %r / _SIP %r not usable; calls are not handed to a home switch",
                    settings.home_switch, settings.home_switch_sip)
        return None
