"""page groups and the intercom feature code (#18 item 4)

A page group: an internal number and its members (users and phones), paged one way with auto-answer.
Every company gets the intercom code (*80 followed by an extension) where it is free, as a new company does.

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-04 21:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0041'
down_revision: Union[str, None] = '0040'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CODES = {"intercom": "*80"}  # web.models.feature_code.DEFAULT_CODES


def upgrade() -> None:
    op.create_table(
        'page_group',
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('extension', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
        sa.Column('members', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_page_group_tenant_id'), 'page_group', ['tenant_id'])

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
    connection.execute(sa.text("DELETE FROM internal_number WHERE owner_kind = 'feature_code' AND owner_id IN "
                               "(SELECT id FROM feature_code WHERE function = 'intercom')"))
    connection.execute(sa.text("DELETE FROM feature_code WHERE function = 'intercom'"))
    connection.execute(sa.text("DELETE FROM internal_number WHERE owner_kind = 'page_group'"))
    op.drop_index(op.f('ix_page_group_tenant_id'), table_name='page_group')
    op.drop_table('page_group')
