"""hot-desk logins, and the feature codes that make them

A user allowed to hot-desk logs in on a hot-desking phone with *60 (extension and voicemail PIN) and out
with *61; who is logged in where is call traffic kept in hot_desk_login. Every company gets the two
codes where they are free (as a new company does), so the phones can use them without the admin opening
the feature codes first.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 16:50:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0026'
down_revision: Union[str, None] = '0025'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CODES = {"hot_desk_login": "*60", "hot_desk_logout": "*61"}  # web.models.feature_code.DEFAULT_CODES


def upgrade() -> None:
    op.create_table('hot_desk_login',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('logged_in_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['pbx_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('device_id'),
    sa.UniqueConstraint('user_id')
    )
    with op.batch_alter_table('hot_desk_login', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hot_desk_login_tenant_id'), ['tenant_id'], unique=False)

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
                               "(SELECT id FROM feature_code WHERE function IN ('hot_desk_login', 'hot_desk_logout'))"))
    connection.execute(sa.text("DELETE FROM feature_code WHERE function IN ('hot_desk_login', 'hot_desk_logout')"))
    with op.batch_alter_table('hot_desk_login', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hot_desk_login_tenant_id'))

    op.drop_table('hot_desk_login')
