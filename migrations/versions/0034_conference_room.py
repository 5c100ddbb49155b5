"""conference rooms (#18 item 2)

A room with an internal number, an optional participant PIN and moderator PIN, and a limit of callers.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-04 18:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0034'
down_revision: Union[str, None] = '0033'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'conference_room',
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('max_members', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('extension', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
        sa.Column('pin', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column('moderator_pin', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_conference_room_tenant_id'), 'conference_room', ['tenant_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_conference_room_tenant_id'), table_name='conference_room')
    op.drop_table('conference_room')
