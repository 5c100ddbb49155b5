"""the reports' totals per number and UTC month (call_report_number_month), kept by triggers on call_record

Like 0035's tables (web.models.call_report): the triggers count every record written from now on (one
row for its caller's number, one for the number dialled), the upgrade counts the records already there.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-04 18:20:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0036'
down_revision: Union[str, None] = '0035'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MEASURES = ("calls", "answered", "missed", "seconds", "cost_units")
KEY = ("tenant_id", "month", "side", "number")
WATCHED = "tenant_id, started_at, caller_number, dialled_number, answered_at, missed, billed_seconds, cost"
SIDES = (("sender", "caller_number"), ("receiver", "dialled_number"))


def _measures(row: str, units: str) -> list[str]:
    return ["1", f"CASE WHEN {row}.answered_at IS NULL THEN 0 ELSE 1 END",
            f"CASE WHEN {row}.missed THEN 1 ELSE 0 END", f"{row}.billed_seconds", units]


class Dialect:
    def __init__(self, month, units):
        self.month, self.units = month, units

    def keys(self, row: str) -> list[list[str]]:
        return [[f"{row}.tenant_id", self.month(row), f"'{side}'", f"{row}.{column}"] for side, column in SIDES]

    def add(self, row: str) -> list[str]:
        sets = ", ".join(f"{m} = call_report_number_month.{m} + excluded.{m}" for m in MEASURES)
        return [f"INSERT INTO call_report_number_month ({', '.join(KEY + MEASURES)}) "
                f"SELECT {', '.join(values + _measures(row, self.units(row)))} WHERE {row}.tenant_id IS NOT NULL "
                f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {sets};" for values in self.keys(row)]

    def take(self, row: str) -> list[str]:
        sets = ", ".join(f"{m} = {m} - ({value})" for m, value in zip(MEASURES, _measures(row, self.units(row))))
        return [f"UPDATE call_report_number_month SET {sets} WHERE "
                + " AND ".join(f"{column} = {value}" for column, value in zip(KEY, values)) + ";"
                for values in self.keys(row)]

    def backfill(self) -> list[str]:
        sums = ", ".join(f"sum({value})" for value in _measures("r", self.units("r")))
        return [f"INSERT INTO call_report_number_month ({', '.join(KEY + MEASURES)}) SELECT {', '.join(values)}, {sums} "
                f"FROM call_record r WHERE r.tenant_id IS NOT NULL GROUP BY {', '.join(values[:2] + values[3:])}"
                for values in self.keys("r")]


PG = Dialect(month=lambda row: f"date_trunc('month', {row}.started_at, 'UTC')",
             units=lambda row: f"COALESCE(round({row}.cost * 10000)::bigint, 0)")
SQLITE = Dialect(month=lambda row: f"strftime('%Y-%m-01 00:00:00.000000', {row}.started_at)",
                 units=lambda row: f"COALESCE(CAST(round({row}.cost * 10000) AS INTEGER), 0)")

PG_FUNCTION = f"""
CREATE FUNCTION call_report_number_count() RETURNS trigger LANGUAGE plpgsql AS $$
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
    "CREATE TRIGGER call_report_number_insert_delete AFTER INSERT OR DELETE ON call_record "
    "FOR EACH ROW EXECUTE FUNCTION call_report_number_count()",
    f"CREATE TRIGGER call_report_number_update AFTER UPDATE OF {WATCHED} ON call_record FOR EACH ROW WHEN "
    f"({' OR '.join(f'OLD.{c} IS DISTINCT FROM NEW.{c}' for c in WATCHED.split(', '))}) "
    "EXECUTE FUNCTION call_report_number_count()",
]

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER call_report_number_insert AFTER INSERT ON call_record BEGIN {' '.join(SQLITE.add('NEW'))} END",
    f"CREATE TRIGGER call_report_number_delete AFTER DELETE ON call_record WHEN OLD.tenant_id IS NOT NULL "
    f"BEGIN {' '.join(SQLITE.take('OLD'))} END",
    f"CREATE TRIGGER call_report_number_update AFTER UPDATE OF {WATCHED} ON call_record WHEN "
    f"{' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in WATCHED.split(', '))} "
    f"BEGIN {' '.join(SQLITE.take('OLD'))} {' '.join(SQLITE.add('NEW'))} END",
]


def upgrade() -> None:
    op.create_table('call_report_number_month',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('side', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False), sa.Column('answered', sa.Integer(), nullable=False),
    sa.Column('missed', sa.Integer(), nullable=False), sa.Column('seconds', sa.BigInteger(), nullable=False),
    sa.Column('cost_units', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint(*KEY, name='uq_call_report_number_month_key')
    )
    with op.batch_alter_table('call_report_number_month', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_report_number_month_tenant_id'), ['tenant_id'], unique=False)
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
        op.execute("DROP TRIGGER IF EXISTS call_report_number_insert_delete ON call_record")
        op.execute("DROP TRIGGER IF EXISTS call_report_number_update ON call_record")
        op.execute("DROP FUNCTION IF EXISTS call_report_number_count()")
    else:
        for name in ("call_report_number_insert", "call_report_number_delete", "call_report_number_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table('call_report_number_month', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_report_number_month_tenant_id'))
    op.drop_table('call_report_number_month')
