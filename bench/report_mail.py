"""The bridge's report-mail check (#17 item 5), which runs every minute: companies with a usage limit and
a subscriber, each with this month's call records. Three figures per check of every company: before the
limit is passed (one SUM of the month per company), the check that queues the alerts, and the checks
after (the month's alert is out: no SUM). The floor is the same number of transactions doing one
`SELECT 1` each, measured in the same run (every company is checked in a transaction of its own).

    .venv/bin/python bench/report_mail.py [--companies 200] [--records 500] [--postgres] [--runs 5]"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from web.db import make_engine, session_scope  # noqa: E402
from web.domain import report_mail  # noqa: E402
from web.migrate import upgrade  # noqa: E402
from web.models import Account, Tenant  # noqa: E402
from web.models.call_record import CallRecord  # noqa: E402
from web.models.report_mail import ReportMailSetting, ReportSubscription  # noqa: E402

NOW = datetime(2026, 11, 25, 12, tzinfo=timezone.utc)


def database(postgres: bool, folder: str) -> str:
    if not postgres:
        return f"sqlite:///{folder}/bench.sqlite3"
    import psycopg

    name = f"bench_report_mail_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def drop(url: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{url.rsplit("/", 1)[1]}"')


def arrange(engine, companies: int, records: int) -> None:
    for n in range(companies):
        with session_scope(engine) as db:
            tenant = Tenant(name=f"Company {n}", sip_domain=f"c{n}.bench.test")
            db.add(tenant)
            db.flush()
            account = Account(tenant_id=tenant.id, email=f"books@c{n}.bench.test", role="reports")
            db.add(account)
            db.flush()
            db.add(ReportSubscription(tenant_id=tenant.id, account_id=account.id, kind="usage_alert"))
            # 0.10 a call: the limit is passed by the last record of the month
            db.add(ReportMailSetting(tenant_id=tenant.id, usage_limit=Decimal(records) / 10, currency="EUR"))
            start = datetime(2026, 11, 2, tzinfo=timezone.utc)
            db.add_all([CallRecord(tenant_id=tenant.id, call_uuid=str(uuid.uuid4()), started_at=start + timedelta(minutes=7 * k),
                                   billed_seconds=60, call_type="mobile", cost=Decimal("0.10"), currency="EUR")
                        for k in range(records)])


def floor(engine, companies: int) -> float:
    started = time.perf_counter()
    for _ in range(companies):
        with session_scope(engine) as db:
            db.execute(text("SELECT 1")).all()
    return (time.perf_counter() - started) * 1000


def check(engine) -> tuple[float, int]:
    started = time.perf_counter()
    queued = report_mail.run_due(engine, NOW)
    return (time.perf_counter() - started) * 1000, queued


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = database(options.postgres, folder)
        upgrade(url)
        engine = make_engine(url)
        arrange(engine, options.companies, options.records)
        floors, below = [], []
        for _ in range(options.runs):
            floors.append(floor(engine, options.companies))
            below.append(check(engine)[0])
        with session_scope(engine) as db:  # one more call a company: every limit is passed
            for tenant_id in db.exec(text("SELECT id FROM tenant")).scalars().all():
                db.add(CallRecord(tenant_id=tenant_id, call_uuid=str(uuid.uuid4()), started_at=NOW - timedelta(hours=1),
                                  call_type="mobile", cost=Decimal("0.10"), currency="EUR"))
        sending, queued = check(engine)
        after = [check(engine)[0] for _ in range(options.runs)]
        engine.dispose()
        if options.postgres:
            drop(url)
    per = lambda ms: ms / options.companies  # noqa: E731
    kind = "PostgreSQL" if options.postgres else "SQLite"
    print(f"{options.companies} companies x {options.records} records this month, {kind}")
    print(f"floor: a SELECT 1 transaction per company   median {statistics.median(floors):8.1f} ms   {per(statistics.median(floors)):6.2f} ms/company")
    print(f"check, limits not passed (a SUM each)       median {statistics.median(below):8.1f} ms   {per(statistics.median(below)):6.2f} ms/company")
    print(f"check that queues the alerts ({queued} mails)     once   {sending:8.1f} ms   {per(sending):6.2f} ms/company")
    print(f"check after, the month's alert is out       median {statistics.median(after):8.1f} ms   {per(statistics.median(after)):6.2f} ms/company")


if __name__ == "__main__":
    main()
