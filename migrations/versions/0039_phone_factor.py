"""the code by phone as a second factor (#18 item 7, seed 002)

An account's proven phone number and the language its code is spoken in; the codes spoken (an HMAC of
each), for a pending login or for proving a number.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-04 21:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0039'
down_revision: Union[str, None] = '0038'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('account') as batch:
        batch.add_column(sa.Column('phone_factor_number', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch.add_column(sa.Column('phone_factor_language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))
    op.create_table(
        'phone_code',
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('login_session_id', sa.Integer(), nullable=True),
        sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('call_state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default='calling'),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['login_session_id'], ['login_session.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_phone_code_tenant_id'), 'phone_code', ['tenant_id'])
    op.create_index(op.f('ix_phone_code_account_id'), 'phone_code', ['account_id'])
    op.create_index(op.f('ix_phone_code_login_session_id'), 'phone_code', ['login_session_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_phone_code_login_session_id'), table_name='phone_code')
    op.drop_index(op.f('ix_phone_code_account_id'), table_name='phone_code')
    op.drop_index(op.f('ix_phone_code_tenant_id'), table_name='phone_code')
    op.drop_table('phone_code')
    with op.batch_alter_table('account') as batch:
        batch.drop_column('phone_factor_language')
        batch.drop_column('phone_factor_number')
