"""call plans

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

revision: str = "0007"
down_revision: Union[str, None] = "0006"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('call_plan',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('draft', sa.JSON(), nullable=False),
    sa.Column('draft_updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('draft_updated_by', sa.Integer(), nullable=True),
    sa.Column('published_version', sa.Integer(), nullable=True),
    sa.Column('active_diversions', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('call_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_plan_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('call_plan_version',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('published_by', sa.Integer(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['call_plan.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('plan_id', 'version', name='uq_call_plan_version_plan_version')
    )
    with op.batch_alter_table('call_plan_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_plan_version_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_plan_version_tenant_id'), ['tenant_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('call_plan_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_plan_version_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_call_plan_version_plan_id'))

    op.drop_table('call_plan_version')
    with op.batch_alter_table('call_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_plan_tenant_id'))

    op.drop_table('call_plan')
