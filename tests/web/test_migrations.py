"""The schema comes from alembic: empty -> head -> one step down, on SQLite and PostgreSQL, and the
migrations describe exactly the tables the models declare."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel

import web.models  # noqa: F401
from web.db import make_engine
from web.migrate import alembic_config, downgrade, upgrade
from web.settings import REPO_ROOT


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    return request.getfixturevalue("pg_databases").create()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _current(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def test_upgrade_to_head_then_downgrade_one_step(empty_database):
    script = ScriptDirectory.from_config(alembic_config(empty_database))
    head = script.get_current_head()
    upgrade(empty_database)
    assert _current(empty_database) == head
    assert _tables(empty_database) == set(SQLModel.metadata.tables)

    downgrade(empty_database, "-1")
    previous = script.get_revision(head).down_revision
    assert _current(empty_database) == previous
    if previous is None:
        assert _tables(empty_database) == set()
    upgrade(empty_database)
    assert _current(empty_database) == head


def test_migrations_match_the_models(empty_database):
    upgrade(empty_database)
    engine = make_engine(empty_database)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_alembic_command_works_from_the_repo_root(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    env = {**os.environ, "CALLPLAN_DATABASE_URL": url}
    alembic = os.path.join(os.path.dirname(sys.executable), "alembic")
    result = subprocess.run([alembic, "upgrade", "head"], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "tenant" in _tables(url)


def test_sqlite_runs_in_wal_mode(tmp_path):
    url = f"sqlite:///{tmp_path / 'wal.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_numbers_in_a_companys_table_become_assigned_to_it(empty_database):
    """0015: existing numbers stay their company's (assigned now); a stored caller ID the company does not
    hold and nobody else does becomes a verified caller ID of it; another company's number does not."""
    from sqlalchemy import text

    upgrade(empty_database, "0014")
    engine = make_engine(empty_database)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO tenant (id, name, sip_domain, timezone, language, company_number, require_2fa, "
                              "created_at, config_generation) VALUES "
                              "(1, 'A', 'a.pbx.test', 'Europe/Amsterdam', 'nl', '+31612345678', false, '2026-01-01 00:00:00', 0), "
                              "(2, 'B', 'b.pbx.test', 'Europe/Amsterdam', 'nl', '+31201234500', false, '2026-01-01 00:00:00', 0)"))
            conn.execute(text("INSERT INTO phone_number (tenant_id, number, label, number_type, country) VALUES "
                              "(1, '+31201234567', 'main', 'fixed_line', 'NL'), (2, '+31201234500', '', 'fixed_line', 'NL')"))
            conn.execute(text("INSERT INTO department (tenant_id, name, caller_id_number) VALUES "
                              "(1, 'Sales', '+31201234500'), (1, 'Support', '+31201234567'), (2, 'Old', '+31107654321')"))
        upgrade(empty_database)
        with engine.connect() as conn:
            numbers = conn.execute(text("SELECT tenant_id, number, assigned_at FROM phone_number ORDER BY number")).all()
            verified = conn.execute(text("SELECT tenant_id, number FROM verified_caller_id ORDER BY tenant_id")).all()
    finally:
        engine.dispose()
    assert [(row[0], row[1]) for row in numbers] == [(2, "+31201234500"), (1, "+31201234567")]
    assert all(row[2] is not None for row in numbers)
    # A's mobile and B's old line are kept; A's department showing B's number is not
    assert [tuple(row) for row in verified] == [(1, "+31612345678"), (2, "+31107654321")]


def test_names_lose_their_control_characters(empty_database):
    """0018: a name saved before names refused control characters keeps its text without them (else the
    user would now be left out of calls as a row that no longer validates); plan documents too."""
    import json

    from sqlalchemy import text

    upgrade(empty_database, "0017")
    engine = make_engine(empty_database)
    document = {"name": "Recep\u202etion", "steps": [{"id": "s1", "type": "prefix", "text": "Sales\u2028 ", "label": "a\tb"}]}
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO tenant (id, name, sip_domain, timezone, language, require_2fa, created_at, "
                              "config_generation) VALUES (1, 'Acme\u2066', 'a.pbx.test', 'Europe/Amsterdam', 'nl', false, "
                              "'2026-01-01 00:00:00', 0)"))
            conn.execute(text("INSERT INTO pbx_user (tenant_id, first_name, last_name, extension, caller_id_mode, "
                              "withhold_caller_id, call_waiting, language, dnd, hot_desking, night_mode, forwarding, "
                              "anywhere, voicemail, agent, created_at) VALUES (1, :first, :last, '201', 'company', false, "
                              "true, 'nl', false, false, 'follow', '{}', '{}', '{}', '{}', '2026-01-01 00:00:00')"),
                         {"first": "An\rna", "last": "\n"})
            conn.execute(text("INSERT INTO call_plan (tenant_id, name, draft, active_diversions, draft_updated_at, created_at) "
                              "VALUES (1, 'Plan\x1b', :draft, '[]', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
                         {"draft": json.dumps(document)})
        upgrade(empty_database)
        with engine.connect() as conn:
            user = conn.execute(text("SELECT first_name, last_name FROM pbx_user")).one()
            tenant = conn.execute(text("SELECT name FROM tenant")).scalar_one()
            name, draft = conn.execute(text("SELECT name, draft FROM call_plan")).one()
    finally:
        engine.dispose()
    assert tuple(user) == ("Anna", "") and tenant == "Acme" and name == "Plan"
    draft = json.loads(draft) if isinstance(draft, str) else draft
    assert draft["name"] == "Reception" and draft["steps"][0]["text"] == "Sales " and draft["steps"][0]["label"] == "ab"
