"""agent panel: call statuses, call-back tasks, a call's outcome, agents' day counters

Seed 004's agent panel (#15 item 3): the company's call statuses (one default per direction, some
asking for a call-back time), an agent's call-back tasks, the outcome an agent gives a call record (status,
its name, note, who and when), the live call's queue, plan path and the moment a person took it, the
queue call an agent has now, and today's break seconds and missed offers; the company may hide agents of
other departments from an agent's tiles.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 16:40:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0025'
down_revision: Union[str, None] = '0024'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('call_status',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('default_for', sa.String(length=16), nullable=True),
    sa.Column('asks_callback', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('call_status', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_status_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('call_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome_status_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('outcome_label', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('outcome_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('outcome_by_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('outcome_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_foreign_key('fk_call_record_outcome_status_id_call_status', 'call_status', ['outcome_status_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key('fk_call_record_outcome_by_user_id_pbx_user', 'pbx_user', ['outcome_by_user_id'], ['id'], ondelete='SET NULL')

    op.create_table('agent_task',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('call_record_id', sa.Integer(), nullable=True),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('done_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['call_record_id'], ['call_record.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['pbx_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('agent_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agent_task_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_agent_task_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agent_task_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('active_call', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('steps', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('bridged_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    with op.batch_alter_table('queue_agent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('call_uuid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('agent_uuid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('day', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('break_seconds', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('missed', sa.Integer(), nullable=False, server_default='0'))

    with op.batch_alter_table('company_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agent_tiles_by_department', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('company_settings', schema=None) as batch_op:
        batch_op.drop_column('agent_tiles_by_department')
    with op.batch_alter_table('queue_agent', schema=None) as batch_op:
        for column in ('missed', 'break_seconds', 'day', 'agent_uuid', 'call_uuid'):
            batch_op.drop_column(column)
    with op.batch_alter_table('active_call', schema=None) as batch_op:
        for column in ('bridged_at', 'steps', 'queue_id'):
            batch_op.drop_column(column)
    with op.batch_alter_table('agent_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agent_task_user_id'))
        batch_op.drop_index(batch_op.f('ix_agent_task_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_agent_task_due_at'))
    op.drop_table('agent_task')
    with op.batch_alter_table('call_record', schema=None) as batch_op:
        batch_op.drop_constraint('fk_call_record_outcome_by_user_id_pbx_user', type_='foreignkey')
        batch_op.drop_constraint('fk_call_record_outcome_status_id_call_status', type_='foreignkey')
        for column in ('outcome_at', 'outcome_by_user_id', 'outcome_note', 'outcome_label', 'outcome_status_id'):
            batch_op.drop_column(column)
    with op.batch_alter_table('call_status', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_status_tenant_id'))
    op.drop_table('call_status')
