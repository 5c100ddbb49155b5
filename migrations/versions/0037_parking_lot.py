"""call parking (#18 item 3)

One parking lot per company (on or off, its slot range, how long a parked call waits before it goes back
to whoever parked it), and the park feature code (*70) for every company whose codes exist, where free
(as web.api.feature_codes gives a new company its codes).

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-04 21:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0037'
down_revision: Union[str, None] = '0036'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CODES = {"park": "*70"}  # web.models.feature_code.DEFAULT_CODES


def upgrade() -> None:
    op.create_table(
        'parking_lot',
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('enabled', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('first_slot', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False, server_default='701'),
        sa.Column('last_slot', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False, server_default='709'),
        sa.Column('return_after_s', sa.Integer(), nullable=False, server_default='120'),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', name='uq_parking_lot_tenant'),
    )
    op.create_index(op.f('ix_parking_lot_tenant_id'), 'parking_lot', ['tenant_id'])

    connection = op.get_bind()
    tenants = [row[0] for row in connection.execute(sa.text("SELECT id FROM tenant ORDER BY id"))]
    for tenant_id in tenants:
        have = {row[0] for row in connection.execute(
            sa.text("SELECT function FROM feature_code WHERE tenant_id = :t"), {"t": tenant_id})}
        if not have:
            continue  # a company whose codes were never made gets them all at once (web.api.feature_codes)
        for function, code in CODES.items():
            if function in have:
                continue
            taken = connection.execute(sa.text("SELECT 1 FROM internal_number WHERE tenant_id = :t AND number = :n"),
                                       {"t": tenant_id, "n": code}).first() is not None
            connection.execute(sa.text("INSERT INTO feature_code (tenant_id, function, code, enabled) "
                                       "VALUES (:t, :f, :c, :e)"),
                               {"t": tenant_id, "f": function, "c": "" if taken else code, "e": not taken})
            if not taken:
                row_id = connection.execute(sa.text("SELECT id FROM feature_code WHERE tenant_id = :t AND function = :f"),
                                            {"t": tenant_id, "f": function}).scalar_one()
                connection.execute(sa.text("INSERT INTO internal_number (tenant_id, number, owner_kind, owner_id) "
                                           "VALUES (:t, :n, 'feature_code', :o)"),
                                   {"t": tenant_id, "n": code, "o": row_id})


def downgrade() -> None:
    connection = op.get_bind()
    connection.execute(sa.text("DELETE FROM internal_number WHERE owner_kind = 'parking_slot'"))
    connection.execute(sa.text("DELETE FROM internal_number WHERE owner_kind = 'feature_code' AND owner_id IN "
                               "(SELECT id FROM feature_code WHERE function = 'park')"))
    connection.execute(sa.text("DELETE FROM feature_code WHERE function = 'park'"))
    op.drop_index(op.f('ix_parking_lot_tenant_id'), table_name='parking_lot')
    op.drop_table('parking_lot')
