"""schedules: weekly and holiday

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

revision: str = "0003"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('time_schedule',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('periods', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('time_schedule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_time_schedule_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('holiday_schedule',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entries', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('holiday_schedule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holiday_schedule_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('holiday_schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_holiday_schedule_tenant_id'))

    op.drop_table('holiday_schedule')
    with op.batch_alter_table('time_schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_time_schedule_tenant_id'))

    op.drop_table('time_schedule')
