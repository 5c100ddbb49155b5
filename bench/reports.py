"""Reports on a company with a million call records (#17): the /reports totals page's queries and the
canvas's per-step counts, for a month and for a year, on SQLite and PostgreSQL.

    .venv/bin/python bench/reports.py                          # both engines, 1,000,000 records
    .venv/bin/python bench/reports.py --engines postgresql --records 200000 --keep

A migrated throw-away database (alembic head, so call_record's triggers count every path into
call_path_hour and every record into the reports' running totals, web.models.call_report, as the records
are loaded) gets one company in Europe/Amsterdam with 50 users in 5
departments, three call plans and `--records` call records over the twelve months up to 1 December 2026
(weekdays and office hours busier), and a second company with a tenth as many. The records are loaded in
bulk, in the order the calls started (as a switch adds them): PostgreSQL's COPY, SQLite's executemany,
the triggers firing for every row as they would for the bridge's inserts. Then VACUUM ANALYZE on
PostgreSQL, ANALYZE on SQLite (what autovacuum does on its own), and each query is run once to warm the
cache and `--runs` times: the median is printed beside the target (300 ms on PostgreSQL) and a floor
measured in the same run (a `SELECT 1` round trip, and counting the period's records of the company on
the (tenant_id) / (started_at) indexes: the least any report over the period reads). Every query's plan
follows (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite), captured from the statements the
domain functions really send.

Measured: web.domain.reports as /api/reports/totals calls it (overall, the five groups, the currency) and
as /api/reports/activity does (hours, days, heat map, twelve monthly cost sums), and
web.domain.step_counts.step_counts for the busiest plan's version (all its calls in one version)."""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid as uuidlib
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 300.0
ZONE = ZoneInfo("Europe/Amsterdam")
END = datetime(2026, 12, 1, tzinfo=ZONE)  # the records are the year before this
MONTH = (date(2026, 11, 1), date(2026, 11, 30))
YEAR = (date(2025, 12, 1), date(2026, 11, 30))
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
KEEP_NAME = "callplan_bench_reports"

COLUMNS = ("tenant_id", "call_uuid", "direction", "caller_number", "caller_name", "caller_device", "callee_number",
           "callee_device", "dialled_number", "started_at", "answered_at", "ended_at", "duration_seconds",
           "billed_seconds", "hangup_cause", "call_type", "cost", "currency", "answered_by", "answered_by_user_id",
           "missed", "plan_id", "plan_version", "steps", "sources", "outcome_label", "outcome_note", "created_at")

# The main plan (shared/spec/callplan.md's example, with IVR keys): paths with their weight, and the
# chance a person answered at their last step.
MAIN_DOCUMENT = {"name": "Reception", "numbers": ["+31201234500"], "steps": [
    {"id": "s1", "type": "time_condition", "schedule": 1, "then": [
        {"id": "s2", "type": "queue", "queue": 1}, {"id": "s3", "type": "prefix", "text": "Q "},
        {"id": "s4", "type": "ring_group", "group": 1}]},
    {"id": "s5", "type": "time_condition", "schedule": 2, "then": [
        {"id": "s6", "type": "ivr", "menu": 1, "keys": {str(k): [{"id": f"k{k}", "type": "user", "user": k}] for k in range(1, 10)}}]},
    {"id": "s7", "type": "announcement", "audio": 1},
    {"id": "s8", "type": "email", "to": ["info@example.com"]},
    {"id": "s10", "type": "voicemail", "box": 1},
]}
MAIN_PATHS = [
    (["s1", "s2"], 30, 1.0),
    (["s1", "s2", "s3", "s4"], 15, 0.8),
    (["s1", "s2", "s3", "s4", "s5", "s7", "s8", "s10"], 8, 0.0),
    (["s1", "s5", "s7", "s8", "s10"], 25, 0.0),
    (["s1", "s2", "s3"], 3, 0.0),  # the caller gave up while the group was being rung
    (["s1", "s5", "s6", "s7", "s8", "s10"], 3, 0.0),  # no key pressed
] + [(["s1", "s5", "s6", f"k{k}"], 1.5, 0.7) for k in range(1, 10)] + [
    (["s1", "s5", "s6", "s6", f"k{k}"], 0.2, 0.7) for k in range(1, 10)  # the menu repeated first
] + [(["s1", "s2", "s3", "s4", "s5", "s6", "99:3:x", "99:3:y"], 1, 0.5)]  # on into another plan
SMALL_DOCUMENT = {"name": "Support", "numbers": ["+31201234501"], "steps": [
    {"id": "a", "type": "queue", "queue": 1}, {"id": "b", "type": "voicemail", "box": 1}]}
SMALL_PATHS = [(["a"], 70, 1.0), (["a", "b"], 30, 0.0)]


def log(text: str) -> None:
    print(text, flush=True)


# --- the database -------------------------------------------------------------------------------------


def database(engine_name: str, keep: bool) -> tuple[str, bool, callable]:
    """(url, already loaded, drop)."""
    from web.migrate import upgrade

    if engine_name == "postgresql":
        import psycopg

        name = KEEP_NAME if keep else f"callplan_bench_{uuidlib.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')

        def drop():
            if not keep:
                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    else:
        folder = Path(tempfile.gettempdir()) / KEEP_NAME if keep else Path(tempfile.mkdtemp(prefix="callplan-bench-reports-"))
        folder.mkdir(exist_ok=True)
        exists = (folder / "bench.sqlite3").exists()
        url = f"sqlite:///{folder}/bench.sqlite3"

        def drop():
            if not keep:
                import shutil
                shutil.rmtree(folder, ignore_errors=True)
    upgrade(url)
    return url, exists, drop


def make_company(engine, name: str, domain: str) -> dict:
    from sqlmodel import Session

    from web.models.call_plan import CallPlanRecord, CallPlanVersion
    from web.models.company import Department
    from web.models.pbx_user import PbxUser
    from web.models.tenant import Tenant

    with Session(engine) as db:
        tenant = Tenant(name=name, sip_domain=domain, timezone=ZONE.key)
        db.add(tenant)
        db.flush()
        departments = [Department(tenant_id=tenant.id, name=f"Department {n}") for n in range(5)]
        db.add_all(departments)
        db.flush()
        users = [PbxUser(tenant_id=tenant.id, first_name=f"User{n}", last_name="Bench", extension=str(201 + n),
                         department_id=departments[n % 5].id) for n in range(50)]
        db.add_all(users)
        plans = []
        for document in (MAIN_DOCUMENT, SMALL_DOCUMENT, {**SMALL_DOCUMENT, "name": "Sales"}):
            plan = CallPlanRecord(tenant_id=tenant.id, name=document["name"], draft=document, published_version=1)
            db.add(plan)
            db.flush()
            db.add(CallPlanVersion(tenant_id=tenant.id, plan_id=plan.id, version=1, document=document))
            plans.append(plan.id)
        db.commit()
        return {"tenant": tenant.id, "users": [(u.id, u.extension, f"{u.first_name} {u.last_name}") for u in users],
                "plans": plans}


def records(company: dict, count: int, seed: int):
    """`count` call records of the company as tuples in COLUMNS' order (datetimes aware, steps as JSON)."""
    rng = random.Random(seed)
    tenant, users, plans = company["tenant"], company["users"], company["plans"]
    days = [END.date() - timedelta(days=n) for n in range(1, 366)]
    day_weights = [5 if day.weekday() < 5 else 1 for day in days]
    hour_weights = [1 if h < 7 or h > 19 else 12 if 9 <= h <= 17 else 4 for h in range(24)]
    outside = [f"06{n:08d}" for n in rng.sample(range(10**8), 1500)] + [f"020{n:07d}" for n in rng.sample(range(10**7), 500)] \
        + [f"+44{n:10d}" for n in rng.sample(range(10**10), 200)]
    kinds = {"06": "mobile", "02": "national", "+4": "international"}
    main_paths, main_weights = [p[:1] + p[2:] for p in MAIN_PATHS], [p[1] for p in MAIN_PATHS]
    small_paths, small_weights = [p[:1] + p[2:] for p in SMALL_PATHS], [p[1] for p in SMALL_PATHS]
    # in the order they started, as records arrive from a switch: a table filled over a year keeps each
    # month's rows together on disk (loaded in random order, every month would be spread over all of it)
    moments = sorted(zip(rng.choices(days, day_weights, k=count), rng.choices(range(24), hour_weights, k=count),
                         (rng.randrange(3600) for _ in range(count))))
    for n, (day, hour, second) in enumerate(moments):
        start = datetime(day.year, day.month, day.day, hour, second // 60, second % 60, tzinfo=ZONE).astimezone(timezone.utc)
        user_id, extension, name = users[rng.randrange(len(users))]
        roll = rng.random()
        plan_id = version = None
        steps: list = []
        answered_by = answered_by_user_id = None
        cost = currency = None
        if roll < 0.62:  # in from outside, through a plan
            direction, caller, dialled = "inbound", rng.choice(outside), "+31201234500"
            call_type = kinds[caller[:2]]
            which = rng.random()
            if which < 0.8:
                plan_id, (path, chance) = plans[0], rng.choices(main_paths, main_weights)[0]
            else:
                plan_id, (path, chance) = plans[1 + (which > 0.9)], rng.choices(small_paths, small_weights)[0]
            version, steps = 1, path
            if rng.random() < chance:
                answered_by_user_id, answered_by = user_id, name
        elif roll < 0.92:
            direction, caller, dialled = "outbound", extension, rng.choice(outside)
            call_type = kinds[dialled[:2]]
            if rng.random() < 0.75:
                answered_by = dialled
        else:
            direction, caller = "internal", extension
            other = users[rng.randrange(len(users))]
            dialled, call_type = other[1], "internal"
            if rng.random() < 0.8:
                answered_by_user_id, answered_by = other[0], other[2]
        talked = answered_by is not None
        billed = rng.randrange(10, 900) if talked else 0
        if direction == "outbound":
            cost, currency = (Decimal(billed) * Decimal("0.0012")).quantize(Decimal("0.0001")), "EUR"
        answered_at = start + timedelta(seconds=rng.randrange(2, 30)) if talked else None
        ended_at = start + timedelta(seconds=billed + rng.randrange(5, 40))
        yield (tenant, f"bench-{tenant}-{n}", direction, caller, "", "", dialled, "", dialled, start, answered_at,
               ended_at, int((ended_at - start).total_seconds()), billed,
               "NORMAL_CLEARING" if talked else "NO_ANSWER", call_type, cost, currency, answered_by, answered_by_user_id,
               direction == "inbound" and not talked, plan_id, version, json.dumps(steps), '["cdr"]', "", "", start)


def _sqlite_value(value):
    # the text SQLAlchemy's DateTime stores on SQLite (UTC, no offset), Numeric as a float
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, Decimal):
        return float(value)
    return value


def load(engine, rows, batch: int = 50_000) -> int:
    """Bulk insert: COPY on PostgreSQL, executemany in batches on SQLite. Returns the rows loaded."""
    raw = engine.raw_connection()
    loaded = 0
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY call_record ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    loaded += 1
        else:
            statement = f"INSERT INTO call_record ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
            chunk = []
            for row in rows:
                chunk.append(tuple(_sqlite_value(value) for value in row))
                if len(chunk) >= batch:
                    cursor.executemany(statement, chunk)
                    loaded += len(chunk)
                    chunk = []
            if chunk:
                cursor.executemany(statement, chunk)
                loaded += len(chunk)
        raw.commit()
    finally:
        raw.close()
    return loaded


# --- measuring ------------------------------------------------------------------------------------------


class Capture:
    """The statements a piece of domain code sends, with their parameters (for EXPLAIN)."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.engine, self.statements, self.on = engine, [], False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        if self.on and not statement.lstrip().upper().startswith("EXPLAIN"):
            self.statements.append((statement, parameters))


def timed(function, runs: int) -> tuple[float, object]:
    result = function()  # warm the cache (and the statement caches)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), result


def explain(engine, statements, postgres: bool) -> list[str]:
    out = []
    with engine.connect() as conn:
        for statement, parameters in statements:
            prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " if postgres else "EXPLAIN QUERY PLAN "
            rows = conn.exec_driver_sql(prefix + statement, parameters).all()
            text = " ".join(statement.split())
            out.append(f"    -- {text[:300]}{' ...' if len(text) > 300 else ''}")
            for row in rows:
                out.append("       " + (row[0] if postgres else f"{'  ' * (row[1] > 0)}{row[-1]}"))
    return out


def run(engine_name: str, count: int, runs: int, keep: bool, seed: int) -> list[tuple]:
    from sqlalchemy import text
    from sqlmodel import Session

    from web.db import make_engine
    from web.domain import reports
    from web.domain.step_counts import step_counts
    from web.models.call_plan import CallPlanVersion
    from web.models.tenant import Tenant

    postgres = engine_name == "postgresql"
    label = "PostgreSQL" if postgres else "SQLite"
    url, loaded, drop = database(engine_name, keep)
    engine = make_engine(url)
    summary = []
    try:
        with Session(engine) as db:
            existing = db.exec(text("SELECT count(*) FROM call_record")).one()[0] if loaded else 0
        if existing < count:
            if existing:
                raise SystemExit(f"{url} holds {existing} records, fewer than {count}: drop it or leave out --keep")
            began = time.perf_counter()
            company = make_company(engine, "Bench", "bench.pbx.test")
            other = make_company(engine, "Other", "other.pbx.test")
            n = load(engine, records(company, count, seed))
            n_other = load(engine, records(other, count // 10, seed + 1))
            seconds = time.perf_counter() - began
            log(f"{label}: loaded {n:,} + {n_other:,} records (the triggers counting each) in {seconds:.0f} s "
                f"({seconds / (n + n_other) * 1e6:.0f} µs a record)")
        # VACUUM too on PostgreSQL: autovacuum vacuums an insert-only table as it grows (PostgreSQL 13+),
        # which marks its pages all-visible, so the totals per number are index-only scans
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE" if postgres else "ANALYZE")
        with Session(engine) as db:
            tenant = db.exec(text("SELECT id FROM tenant WHERE sip_domain = 'bench.pbx.test'")).one()[0]
            plan = db.exec(text("SELECT id FROM call_plan WHERE tenant_id = :t AND name = 'Reception'"), params={"t": tenant}).one()[0]
            document = db.get(CallPlanVersion, db.exec(text(
                "SELECT id FROM call_plan_version WHERE plan_id = :p AND version = 1"), params={"p": plan}).one()[0]).document
            total = db.exec(text("SELECT count(*) FROM call_record WHERE tenant_id = :t"), params={"t": tenant}).one()[0]
            aggregate = db.exec(text("SELECT count(*), coalesce(sum(calls), 0) FROM call_path_hour")).one()
            assert db.get(Tenant, tenant).timezone == ZONE.key
        log(f"{label}: the company has {total:,} records; call_path_hour {aggregate[0]:,} rows counting {aggregate[1]:,} calls")
        capture = Capture(engine)
        for name, (first, last) in (("month", MONTH), ("year", YEAR)):
            span = reports.Period(first, last, ZONE)
            with Session(engine) as db:
                floor_ms, _ = timed(lambda: db.exec(text("SELECT 1")).one(), runs)
                scan_ms, in_period = timed(lambda: db.exec(text(
                    "SELECT count(*) FROM call_record WHERE tenant_id = :t AND started_at >= :a AND started_at < :b"),
                    params={"t": tenant, "a": span.start, "b": span.end}).one()[0], runs)
                queries = [("overall", lambda: reports.overall(db, tenant, span)),
                           *[(f"totals by {group}", (lambda g: lambda: reports.totals(db, tenant, span, g))(group))
                             for group in reports.GROUPS],
                           ("currency", lambda: reports.currency(db, tenant, span)),
                           ("activity (/api/reports/activity)", lambda: reports.activity(db, tenant, span)),
                           ("step counts (canvas)", lambda: step_counts(db, tenant, plan, 1, document, span))]
                log(f"\n{label}, {name} {first}..{last}: {in_period:,} of the company's records in the period")
                log(f"  floor: SELECT 1 {floor_ms:.2f} ms; counting the period's records {scan_ms:.1f} ms")
                plans = []
                page_ms = 0.0
                for query, function in queries:
                    ms, result = timed(function, runs)
                    if query.startswith(("overall", "totals", "currency")):
                        page_ms += ms
                    verdict = "" if not postgres else ("  ok" if ms <= TARGET_MS else "  OVER the target")
                    extra = ""
                    if query.startswith("step counts"):
                        extra = f" ({result.calls:,} calls; busiest path {' > '.join(result.busiest[0])}: {result.busiest[1]:,})"
                    log(f"  {query:<36} {ms:9.1f} ms  (target {TARGET_MS:.0f}){verdict}{extra}")
                    summary.append((label, name, query, ms))
                    capture.statements, capture.on = [], True
                    function()
                    capture.on = False
                    plans.append((query, list(capture.statements)))
                log(f"  {'the totals page (/api/reports/totals)':<36} {page_ms:9.1f} ms  (the sum of the seven above)")
                summary.append((label, name, "totals page (sum)", page_ms))
            log(f"\n  query plans, {label}, {name}:")
            for query, statements in plans:
                if query.startswith("activity") or statements == []:
                    continue
                log(f"  {query}:")
                for line in explain(engine, statements, postgres):
                    log(line)
    finally:
        engine.dispose()
        drop()
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the loaded database between runs")
    args = parser.parse_args()
    summary = []
    for engine_name in args.engines.split(","):
        summary += run(engine_name.strip(), args.records, args.runs, args.keep, args.seed)
    log("\nsummary (median ms; target 300 ms on PostgreSQL):")
    for label, period, query, ms in summary:
        log(f"  {label:<10} {period:<5} {query:<36} {ms:9.1f}")


if __name__ == "__main__":
    main()
