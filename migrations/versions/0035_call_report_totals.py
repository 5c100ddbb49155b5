"""the reports' running totals (call_report_slot, call_report_owner_day), kept by triggers on call_record

/reports (#17) reads these instead of the records (web.models.call_report). The triggers count every
record written from now on; the upgrade counts the records already there in one INSERT ... SELECT ...
GROUP BY per table. Also an index on call_record (tenant_id, started_at), on PostgreSQL carrying the
totals per number's columns (INCLUDE), so totals per sender and receiver are an index-only scan.

A record counts when it has a tenant. An insert adds its sums to its key's row, a delete takes them
off, an update that changes any watched column does both.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-04 18:20:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0035'
down_revision: Union[str, None] = '0034'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MEASURES = ("calls", "answered", "missed", "seconds", "cost_units")
SLOT_KEY = ("tenant_id", "slot", "call_type")
OWNER_KEY = ("tenant_id", "day", "caller_extension", "answered_by_user_id")
WATCHED = ("tenant_id, started_at, call_type, direction, caller_number, answered_by_user_id, answered_at, missed, "
           "billed_seconds, cost")
INCLUDED = ["caller_number", "dialled_number", "answered_at", "missed", "billed_seconds", "cost"]


def _measures(row: str, units: str) -> list[str]:
    return ["1", f"CASE WHEN {row}.answered_at IS NULL THEN 0 ELSE 1 END",
            f"CASE WHEN {row}.missed THEN 1 ELSE 0 END", f"{row}.billed_seconds", units]


def _owner(row: str) -> list[str]:
    return [f"CASE WHEN {row}.direction = 'inbound' THEN '' ELSE {row}.caller_number END",
            f"COALESCE({row}.answered_by_user_id, 0)"]


class Dialect:
    def __init__(self, slot, day, units):
        self.slot, self.day, self.units = slot, day, units

    def keys(self, row: str) -> dict[str, list[str]]:
        return {"call_report_slot": [f"{row}.tenant_id", self.slot(row), f"{row}.call_type"],
                "call_report_owner_day": [f"{row}.tenant_id", self.day(row), *_owner(row)]}

    def add(self, row: str) -> list[str]:
        """Statements adding the record's sums to its rows (the WHERE of the SELECT: it has a tenant)."""
        out = []
        for table, values in self.keys(row).items():
            key = SLOT_KEY if table == "call_report_slot" else OWNER_KEY
            sets = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in MEASURES)
            out.append(f"INSERT INTO {table} ({', '.join(key + MEASURES)}) "
                       f"SELECT {', '.join(values + _measures(row, self.units(row)))} WHERE {row}.tenant_id IS NOT NULL "
                       f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets};")
        return out

    def take(self, row: str) -> list[str]:
        out = []
        for table, values in self.keys(row).items():
            key = SLOT_KEY if table == "call_report_slot" else OWNER_KEY
            sets = ", ".join(f"{m} = {m} - ({value})" for m, value in zip(MEASURES, _measures(row, self.units(row))))
            match = " AND ".join(f"{column} = {value}" for column, value in zip(key, values))
            out.append(f"UPDATE {table} SET {sets} WHERE {match};")
        return out

    def backfill(self) -> list[str]:
        out = []
        for table, values in self.keys("r").items():
            key = SLOT_KEY if table == "call_report_slot" else OWNER_KEY
            sums = ", ".join(f"sum({value})" for value in _measures("r", self.units("r")))
            out.append(f"INSERT INTO {table} ({', '.join(key + MEASURES)}) SELECT {', '.join(values)}, {sums} "
                       f"FROM call_record r WHERE r.tenant_id IS NOT NULL GROUP BY {', '.join(values)}")
        return out


# PostgreSQL: timestamptz, truncated in UTC whatever the session's TimeZone is
PG = Dialect(slot=lambda row: f"date_bin('15 minutes', {row}.started_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')",
             day=lambda row: f"date_trunc('day', {row}.started_at, 'UTC')",
             units=lambda row: f"COALESCE(round({row}.cost * 10000)::bigint, 0)")
# SQLite: the text SQLAlchemy stores a DateTime as ("2026-11-20 09:07:00.000000", UTC)
SQLITE = Dialect(slot=lambda row: (f"printf('%s%02d:00.000000', strftime('%Y-%m-%d %H:', {row}.started_at), "
                                   f"CAST(strftime('%M', {row}.started_at) AS INTEGER) / 15 * 15)"),
                 day=lambda row: f"strftime('%Y-%m-%d 00:00:00.000000', {row}.started_at)",
                 units=lambda row: f"COALESCE(CAST(round({row}.cost * 10000) AS INTEGER), 0)")

PG_FUNCTION = f"""
CREATE FUNCTION call_report_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.tenant_id IS NOT NULL THEN
        {' '.join(PG.take('OLD'))}
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        {' '.join(PG.add('NEW'))}
    END IF;
    RETURN NULL;
END
$$
"""

PG_TRIGGERS = [
    "CREATE TRIGGER call_report_insert_delete AFTER INSERT OR DELETE ON call_record "
    "FOR EACH ROW EXECUTE FUNCTION call_report_count()",
    f"CREATE TRIGGER call_report_update AFTER UPDATE OF {WATCHED} ON call_record FOR EACH ROW WHEN "
    f"({' OR '.join(f'OLD.{c} IS DISTINCT FROM NEW.{c}' for c in WATCHED.split(', '))}) "
    "EXECUTE FUNCTION call_report_count()",
]

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER call_report_insert AFTER INSERT ON call_record BEGIN {' '.join(SQLITE.add('NEW'))} END",
    f"CREATE TRIGGER call_report_delete AFTER DELETE ON call_record WHEN OLD.tenant_id IS NOT NULL "
    f"BEGIN {' '.join(SQLITE.take('OLD'))} END",
    f"CREATE TRIGGER call_report_update AFTER UPDATE OF {WATCHED} ON call_record WHEN "
    f"{' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in WATCHED.split(', '))} "
    f"BEGIN {' '.join(SQLITE.take('OLD'))} {' '.join(SQLITE.add('NEW'))} END",
]


def _measure_columns() -> list:
    return [sa.Column('calls', sa.Integer(), nullable=False), sa.Column('answered', sa.Integer(), nullable=False),
            sa.Column('missed', sa.Integer(), nullable=False), sa.Column('seconds', sa.BigInteger(), nullable=False),
            sa.Column('cost_units', sa.BigInteger(), nullable=False)]


def upgrade() -> None:
    op.create_table('call_report_slot',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slot', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('call_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    *_measure_columns(),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint(*SLOT_KEY, name='uq_call_report_slot_key')
    )
    op.create_table('call_report_owner_day',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('caller_extension', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('answered_by_user_id', sa.Integer(), nullable=False),
    *_measure_columns(),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint(*OWNER_KEY, name='uq_call_report_owner_day_key')
    )
    for table in ('call_report_slot', 'call_report_owner_day'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_tenant_id'), ['tenant_id'], unique=False)
    with op.batch_alter_table('call_record', schema=None) as batch_op:
        batch_op.create_index('ix_call_record_tenant_started', ['tenant_id', 'started_at'], unique=False,
                              postgresql_include=INCLUDED)
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(PG_FUNCTION)
        for statement in PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    for statement in (PG if postgres else SQLITE).backfill():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS call_report_insert_delete ON call_record")
        op.execute("DROP TRIGGER IF EXISTS call_report_update ON call_record")
        op.execute("DROP FUNCTION IF EXISTS call_report_count()")
    else:
        for name in ("call_report_insert", "call_report_delete", "call_report_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table('call_record', schema=None) as batch_op:
        batch_op.drop_index('ix_call_record_tenant_started')
    for table in ('call_report_owner_day', 'call_report_slot'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_tenant_id'))
        op.drop_table(table)
