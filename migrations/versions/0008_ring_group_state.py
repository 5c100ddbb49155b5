"""ring group state

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('ring_group_state',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ring_group_id', sa.Integer(), nullable=False),
    sa.Column('last_answered_index', sa.Integer(), nullable=True),
    sa.Column('last_call_at', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['ring_group_id'], ['ring_group.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ring_group_id')
    )
    with op.batch_alter_table('ring_group_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ring_group_state_tenant_id'), ['tenant_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ring_group_state', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ring_group_state_tenant_id'))

    op.drop_table('ring_group_state')
