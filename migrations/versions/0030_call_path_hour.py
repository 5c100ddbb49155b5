"""calls per path through a plan version and hour, kept by triggers on call_record

The canvas's per-step counts (#17 item 4) read call_path_hour instead of the records' JSON steps. The
triggers count every record written from now on; the upgrade counts the records already there in one
INSERT ... SELECT ... GROUP BY.

A record counts when it has a tenant, a plan and a version. Its key: the UTC hour it started in, its
steps as stored (the JSON text; PostgreSQL keys on the text's md5), and whether a person answered it.
An insert adds 1 to its key's row, a delete takes 1 off, an update that changes the key does both.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04 17:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0030'
down_revision: Union[str, None] = '0029'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = "tenant_id, plan_id, plan_version, hour, answered, path_key, path, calls"
KEY = "tenant_id, plan_id, plan_version, hour, answered, path_key"
WATCHED = "tenant_id, plan_id, plan_version, started_at, steps, answered_by, answered_by_user_id"


def _answered(row: str) -> str:
    return f"({row}.answered_by_user_id IS NOT NULL OR COALESCE({row}.answered_by, '') <> '')"


def _counted(row: str) -> str:
    return f"{row}.tenant_id IS NOT NULL AND {row}.plan_id IS NOT NULL AND {row}.plan_version IS NOT NULL"


# -- PostgreSQL: one plpgsql function for insert, update and delete --------------------------------------

def _pg_hour(row: str) -> str:
    # truncated in UTC whatever the session's TimeZone is
    return f"date_trunc('hour', {row}.started_at, 'UTC')"


PG_FUNCTION = f"""
CREATE FUNCTION call_path_hour_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND {_counted('OLD')} THEN
        UPDATE call_path_hour SET calls = calls - 1
         WHERE tenant_id = OLD.tenant_id AND plan_id = OLD.plan_id AND plan_version = OLD.plan_version
           AND hour = {_pg_hour('OLD')} AND answered = {_answered('OLD')} AND path_key = md5(OLD.steps::text);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND {_counted('NEW')} THEN
        INSERT INTO call_path_hour ({COLUMNS})
        VALUES (NEW.tenant_id, NEW.plan_id, NEW.plan_version, {_pg_hour('NEW')}, {_answered('NEW')},
                md5(NEW.steps::text), NEW.steps::text, 1)
        ON CONFLICT ({KEY}) DO UPDATE SET calls = call_path_hour.calls + 1;
    END IF;
    RETURN NULL;
END
$$
"""

PG_CHANGED = " OR ".join(f"OLD.{c}{'::text' if c == 'steps' else ''} IS DISTINCT FROM NEW.{c}{'::text' if c == 'steps' else ''}"
                         for c in WATCHED.split(", "))

PG_TRIGGERS = [
    "CREATE TRIGGER call_path_hour_insert_delete AFTER INSERT OR DELETE ON call_record "
    "FOR EACH ROW EXECUTE FUNCTION call_path_hour_count()",
    f"CREATE TRIGGER call_path_hour_update AFTER UPDATE OF {WATCHED} ON call_record "
    f"FOR EACH ROW WHEN ({PG_CHANGED}) EXECUTE FUNCTION call_path_hour_count()",
]

PG_BACKFILL = f"""
INSERT INTO call_path_hour ({COLUMNS})
SELECT tenant_id, plan_id, plan_version, {_pg_hour('r')}, {_answered('r')}, md5(r.steps::text), r.steps::text, count(*)
  FROM call_record r WHERE {_counted('r')}
 GROUP BY tenant_id, plan_id, plan_version, {_pg_hour('r')}, {_answered('r')}, r.steps::text
"""


# -- SQLite: three triggers of plain statements -------------------------------------------------------

def _sqlite_hour(row: str) -> str:
    # the text SQLAlchemy stores a DateTime as ("2026-11-20 09:00:00.000000", UTC)
    return f"strftime('%Y-%m-%d %H:00:00.000000', {row}.started_at)"


def _sqlite_add(row: str) -> str:
    return (f"INSERT INTO call_path_hour ({COLUMNS}) "
            f"SELECT {row}.tenant_id, {row}.plan_id, {row}.plan_version, {_sqlite_hour(row)}, {_answered(row)}, "
            f"{row}.steps, {row}.steps, 1 WHERE {_counted(row)} "
            f"ON CONFLICT ({KEY}) DO UPDATE SET calls = calls + 1;")


def _sqlite_take(row: str) -> str:
    return (f"UPDATE call_path_hour SET calls = calls - 1 WHERE {_counted(row)} AND tenant_id = {row}.tenant_id "
            f"AND plan_id = {row}.plan_id AND plan_version = {row}.plan_version AND hour = {_sqlite_hour(row)} "
            f"AND answered = {_answered(row)} AND path_key = {row}.steps;")


SQLITE_CHANGED = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED.split(", "))

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER call_path_hour_insert AFTER INSERT ON call_record BEGIN {_sqlite_add('NEW')} END",
    f"CREATE TRIGGER call_path_hour_delete AFTER DELETE ON call_record BEGIN {_sqlite_take('OLD')} END",
    f"CREATE TRIGGER call_path_hour_update AFTER UPDATE OF {WATCHED} ON call_record WHEN {SQLITE_CHANGED} "
    f"BEGIN {_sqlite_take('OLD')} {_sqlite_add('NEW')} END",
]

SQLITE_BACKFILL = f"""
INSERT INTO call_path_hour ({COLUMNS})
SELECT tenant_id, plan_id, plan_version, {_sqlite_hour('r')}, {_answered('r')}, r.steps, r.steps, count(*)
  FROM call_record r WHERE {_counted('r')}
 GROUP BY tenant_id, plan_id, plan_version, {_sqlite_hour('r')}, {_answered('r')}, r.steps
"""


def upgrade() -> None:
    op.create_table('call_path_hour',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('plan_version', sa.Integer(), nullable=False),
    sa.Column('hour', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('answered', sa.Boolean(), nullable=False),
    sa.Column('path_key', sa.Text(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'plan_id', 'plan_version', 'hour', 'answered', 'path_key',
                        name='uq_call_path_hour_key')
    )
    with op.batch_alter_table('call_path_hour', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_path_hour_tenant_id'), ['tenant_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for statement in PG_TRIGGERS:
            op.execute(statement)
        op.execute(PG_BACKFILL)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
        op.execute(SQLITE_BACKFILL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS call_path_hour_insert_delete ON call_record")
        op.execute("DROP TRIGGER IF EXISTS call_path_hour_update ON call_record")
        op.execute("DROP FUNCTION IF EXISTS call_path_hour_count()")
    else:
        for name in ("call_path_hour_insert", "call_path_hour_delete", "call_path_hour_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table('call_path_hour', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_path_hour_tenant_id'))
    op.drop_table('call_path_hour')
