"""Row checks kept across processes (#20 item 3, web.models.row_check): what the API's rules found of
each stored row is kept in the database under a digest of the checking code and the row's values, so a
new process's first build reads it instead of checking the company's rows again. A bad row stays left
out, logged and listed; a row changed in any way, and any new code, are checked again; a database busy
writing is never waited for. On SQLite and PostgreSQL."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select, text

from tests.web.pbx import admin, other_admin  # noqa: F401  (fixtures)
from tests.web.test_bad_rows import company, write_directly  # noqa: F401  (fixture)
from tests.web.test_xml_curl import _fresh_cache, extensions, fs, settings  # noqa: F401  (fixtures)
from web.domain import callplan_snapshot
from web.models.row_check import RowCheck
from web.xml_curl import cache


@pytest.fixture
def checked(monkeypatch):
    """How many rows were checked against the rules since the last clear()."""
    found = []
    problems = callplan_snapshot.problems

    def counting(row, *rules):
        found.append(row.get("id"))
        return problems(row, *rules)

    monkeypatch.setattr(callplan_snapshot, "problems", counting)
    return found


def kept(db, tenant_id: int) -> list[tuple[str, str | None]]:
    with db() as session:
        return session.execute(select(RowCheck.digest, RowCheck.problems).where(RowCheck.tenant_id == tenant_id)).all()


def rows_checked(db, tenant_id: int) -> int:
    """The tenant's rows the snapshot checks one by one (every table of web.domain.stored_rows but the
    tenant and its settings)."""
    from web.domain.stored_rows import _table_rules

    with db() as session:
        return sum(session.execute(select(func.count()).select_from(table).where(table.tenant_id == tenant_id)).scalar()
                   for table in _table_rules() if table.__tablename__ not in ("tenant", "company_settings"))


def test_a_new_process_reads_the_checks_instead_of_checking(fs, admin, db, company, checked):
    domain, tenant_id = admin.tenant.sip_domain, admin.tenant.id
    cache.invalidate()  # a new process, whose first build checks every row and keeps what it found
    assert "user_201" in extensions(fs.dialplan(domain, "201"))
    assert len(checked) == rows_checked(db, tenant_id) > 0
    assert len(kept(db, tenant_id)) == len(checked) and all(problems is None for _, problems in kept(db, tenant_id))

    checked.clear()
    cache.invalidate()  # the next new process reads them: no row is checked again
    assert "user_201" in extensions(fs.dialplan(domain, "201"))
    assert "user_202" in extensions(fs.dialplan(domain, "202"))
    assert checked == []
    # the directory's build reads them too
    cache.invalidate()
    assert fs.directory(domain, company["phones"]["anna"]["sip_username"]) is not None
    assert checked == []


def test_a_bad_rows_kept_check_still_leaves_it_out(fs, admin, db, company, checked, caplog, settings):
    domain, tenant_id, bram = admin.tenant.sip_domain, admin.tenant.id, company["bram"]
    write_directly(db, "UPDATE pbx_user SET extension = :bad WHERE id = :id", bad="2 3", id=bram["id"])
    cache.invalidate()
    assert "user_202" not in extensions(fs.dialplan(domain, "202"))
    assert [problems for _, problems in kept(db, tenant_id) if problems and '"/extension"' in problems]

    checked.clear()
    cache.invalidate()
    caplog.set_level(logging.WARNING)
    # read from what was kept, not checked again: Bram is still left out of calls, logged, and listed
    assert "user_202" not in extensions(fs.dialplan(domain, "202"))
    assert "user_201" in extensions(fs.dialplan(domain, "201"))
    assert checked == []
    assert any("left out of calls" in record.getMessage() and "/extension" in record.getMessage()
               for record in caplog.records)
    with db() as session:
        objects = callplan_snapshot.snapshot(session, tenant_id, settings)
    assert [(item.kind, item.id, item.pointer) for item in objects.skipped] == [("user", bram["id"], "/extension")]
    # the admin still sees what is wrong with the row
    user = admin.client.get(f"/api/users/{bram['id']}").json()
    assert [problem["pointer"] for problem in user["problems"]] == ["/extension"]


def test_a_changed_row_and_new_code_are_checked_again(fs, admin, db, company, checked, monkeypatch):
    domain, tenant_id, anna = admin.tenant.sip_domain, admin.tenant.id, company["anna"]
    cache.invalidate()
    fs.dialplan(domain, "201")
    before = {digest for digest, _ in kept(db, tenant_id)}

    # a row changed behind the API (no ORM, no hook) has other values, so another digest: checked again
    write_directly(db, "UPDATE pbx_user SET first_name = :name WHERE id = :id", name="An\x07na", id=anna["id"])
    checked.clear()
    cache.invalidate()
    assert "user_201" not in extensions(fs.dialplan(domain, "201"))  # now left out, as the rules say
    assert checked == [anna["id"]]
    after = {digest for digest, _ in kept(db, tenant_id)}
    assert len(after - before) == 1 and len(before - after) == 1  # the row's old check let go

    # other code (a new release) checks every row again, and lets go of the old checks
    real = callplan_snapshot._code_digest()
    monkeypatch.setattr(callplan_snapshot, "_code_digest", lambda: bytes(reversed(real)))
    checked.clear()
    cache.invalidate()
    assert "user_201" not in extensions(fs.dialplan(domain, "201"))
    assert len(checked) == rows_checked(db, tenant_id)
    assert not {digest for digest, _ in kept(db, tenant_id)} & after and len(kept(db, tenant_id)) == len(after)


def test_another_companys_checks_are_never_read(fs, admin, other_admin, db, company, checked):
    """The checks are read per company (and a row's digest holds its tenant id): a second company's
    first build checks its own rows, whatever the first one kept, and keeps them as its own."""
    cache.invalidate()
    fs.dialplan(admin.tenant.sip_domain, "201")
    mine = kept(db, admin.tenant.id)
    other_admin.user("201", "Anna")
    checked.clear()
    cache.invalidate()
    assert "user_201" in extensions(fs.dialplan(other_admin.tenant.sip_domain, "201"))
    assert len(checked) == rows_checked(db, other_admin.tenant.id) > 0
    assert len(kept(db, other_admin.tenant.id)) == len(checked)
    assert kept(db, admin.tenant.id) == mine


def test_a_busy_database_is_not_waited_for(fs, app, admin, db, company, checked, database_url, caplog):
    """SQLite: another connection holds the write lock; the build answers, keeps nothing and says so,
    and the pooled connection's busy timeout is what it was."""
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL writers do not lock the database")
    import sqlite3

    domain, tenant_id = admin.tenant.sip_domain, admin.tenant.id
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    caplog.set_level(logging.INFO, logger="web.callplans")
    try:
        holder.execute("BEGIN IMMEDIATE")
        cache.invalidate()
        assert "user_201" in extensions(fs.dialplan(domain, "201"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert kept(db, tenant_id) == []
    assert any("row checks not kept" in record.getMessage() for record in caplog.records)
    with app.state.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_the_snapshot_reads_each_row_as_the_orm_loads_it(fs, admin, db, company):
    """The snapshot reads its rows as the driver gives them (callplan_snapshot._fetch) and makes each
    column what the ORM makes of it (#20 item 3): every column of every row the same value of the same
    type as the ORM's object has (a boolean a bool, not SQLite's 0 or 1; a date-time aware, in UTC)."""
    from sqlmodel import select as orm_select

    from web.domain.stored_rows import _table_rules

    admin.number("+31201234568")
    callplan_snapshot.forget_rows()
    compared = 0
    with db() as session:
        for table in _table_rules():
            if table.__tablename__ in ("tenant", "company_settings"):
                continue
            checks = callplan_snapshot.KeptChecks(admin.tenant.id)
            read = {item.row.id: item.row.__dict__ for item in callplan_snapshot._stored(session, table, admin.tenant.id, checks)}
            loaded = {row.id: row.model_dump() for row in session.exec(
                orm_select(table).where(table.tenant_id == admin.tenant.id)).all()}
            assert read.keys() == loaded.keys(), table.__tablename__
            for row_id, values in loaded.items():
                assert read[row_id] == values, table.__tablename__
                assert {name: type(value) for name, value in read[row_id].items()} == \
                    {name: type(value) for name, value in values.items()}, table.__tablename__
                compared += 1
    assert compared >= 5


@pytest.mark.parametrize("text", [None, "2026-12-06 04:48:21.065272", "2026-12-06 04:48:21", "2026-12-06 04:48",
                                  "2026-12-06", "2026-12-06T04:48:21", "2026-12-06 04:48:21.065272+02:00",
                                  "2026-12-06 04:48:21+00:00", "2026-12-06 04:48:21.06527Z", "2026-12-06 04:48:2x.065272"])
def test_a_stored_utc_text_is_made_the_datetime_the_orm_makes(text):
    """SQLite: UTCDateTime's texts made datetimes in one call (callplan_snapshot._utc_from_text) give what
    the column type's own result processor gives (or fail as it does)."""
    from sqlalchemy.dialects import sqlite
    from sqlmodel.sql.sqltypes import UTCDateTime

    processor = UTCDateTime()._cached_result_processor(sqlite.dialect(), None)
    fast = callplan_snapshot._utc_from_text(processor)
    try:
        expected = processor(text)
    except ValueError:
        with pytest.raises(ValueError):
            fast(text)
        return
    made = fast(text)
    assert made == expected and repr(made) == repr(expected)


def test_a_read_the_driver_fails_raises_as_sqlalchemy_raises(db, admin):
    """A statement the driver fails is made again through SQLAlchemy: its own error, as before."""
    from sqlalchemy import bindparam, column, select, table
    from sqlalchemy.exc import DBAPIError

    missing = select(column("x")).select_from(table("no_such_table")).where(column("x") == bindparam("tenant_id"))
    with db() as session:
        with pytest.raises(DBAPIError):
            callplan_snapshot._fetch(session.connection(), missing, {"tenant_id": admin.tenant.id})


def test_a_rows_digest_is_the_same_in_another_process():
    """A row's values are digested as marshal writes them (#20 item 3): the same bytes in a new process,
    whatever strings it has interned meanwhile (one-character strings and the empty one are shared
    objects: marshal's version 0 never tells interned ones apart), so its kept checks are found."""
    import subprocess
    import sys
    from pathlib import Path

    values = (7, 3, "a", "", "x", "Anna", None, 1, 0, "{}", "é\u2028", 2**70, 1.5, "2026-12-06 04:48:21.065272")
    code = ("import sys; from web.domain.callplan_snapshot import _written; "
            f"sys.stdout.write(_written({values!r}).hex())")
    root = Path(__file__).resolve().parents[2]
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root).stdout
    assert other == callplan_snapshot._written(values).hex()
    assert callplan_snapshot._written(values).startswith(b"m")
    from datetime import datetime, timezone

    with_datetime = (1, datetime(2026, 12, 6, tzinfo=timezone.utc))  # as PostgreSQL's driver gives them
    assert callplan_snapshot._written(with_datetime) == repr(with_datetime).encode()
