"""queue and agent report rows

The queue and agent reports (#17 item 3) read what the bridge now records from mod_callcenter's events:
queue_call (each stay of a call in a queue, written when it leaves), agent_status_span (the statuses
an agent held and when) and agent_missed_offer (queue calls an agent let ring). Nothing to fill in for
the past: the events were not kept.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 16:47:23.143183
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0029'
down_revision: Union[str, None] = '0028'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('agent_missed_offer',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('queue_id', sa.Integer(), nullable=False),
    sa.Column('member_uuid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('call_uuid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('offered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('cause', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'member_uuid', 'offered_at')
    )
    with op.batch_alter_table('agent_missed_offer', schema=None) as batch_op:
        batch_op.create_index('ix_agent_missed_offer_tenant_at', ['tenant_id', 'offered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_agent_missed_offer_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('agent_status_span',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('agent_status_span', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agent_status_span_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_agent_status_span_tenant_started', ['tenant_id', 'started_at'], unique=False)
        batch_op.create_index('ix_agent_status_span_user_open', ['user_id', 'ended_at'], unique=False)

    op.create_table('queue_call',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('queue_id', sa.Integer(), nullable=False),
    sa.Column('member_uuid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('call_uuid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('caller_number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('joined_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('answered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('left_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('agent_user_id', sa.Integer(), nullable=True),
    sa.Column('wait_seconds', sa.Integer(), nullable=False),
    sa.Column('talk_seconds', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_uuid')
    )
    with op.batch_alter_table('queue_call', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_call_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_queue_call_tenant_joined', ['tenant_id', 'joined_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('queue_call', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_call_tenant_joined')
        batch_op.drop_index(batch_op.f('ix_queue_call_tenant_id'))

    op.drop_table('queue_call')
    with op.batch_alter_table('agent_status_span', schema=None) as batch_op:
        batch_op.drop_index('ix_agent_status_span_user_open')
        batch_op.drop_index('ix_agent_status_span_tenant_started')
        batch_op.drop_index(batch_op.f('ix_agent_status_span_tenant_id'))

    op.drop_table('agent_status_span')
    with op.batch_alter_table('agent_missed_offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agent_missed_offer_tenant_id'))
        batch_op.drop_index('ix_agent_missed_offer_tenant_at')

    op.drop_table('agent_missed_offer')
