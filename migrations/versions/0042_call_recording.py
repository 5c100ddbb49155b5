"""call recording (#18 item 1)

Recordings FreeSWITCH wrote (one row per file, linked to its call by uuid); who and what is recorded
(pbx_user.recording, call_queue.record_calls); the company's announcement, retention and whether the
reports role hears recordings.

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-04 20:40:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0042'
down_revision: Union[str, None] = '0041'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

RECORD_CODE = '*1'  # web.models.feature_code.DEFAULT_CODES["record"]


def upgrade() -> None:
    op.create_table(
        'recording',
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_uuid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column('reason', sa.String(length=16), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('queue_id', sa.Integer(), nullable=True),
        sa.Column('duration_seconds', sa.Integer(), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['pbx_user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'file_name'),
    )
    op.create_index(op.f('ix_recording_tenant_id'), 'recording', ['tenant_id'])
    op.create_index(op.f('ix_recording_started_at'), 'recording', ['started_at'])
    op.create_index('ix_recording_tenant_call', 'recording', ['tenant_id', 'call_uuid'])
    with op.batch_alter_table('pbx_user') as batch:
        batch.add_column(sa.Column('recording', sa.String(length=16), nullable=False, server_default='off'))
    with op.batch_alter_table('call_queue') as batch:
        batch.add_column(sa.Column('record_calls', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('company_settings') as batch:
        batch.add_column(sa.Column('recording_announcement_audio_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('recording_retention_days', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('recordings_for_reports', sa.Boolean(), nullable=False, server_default=sa.false()))

    # the in-call feature code for companies whose codes exist (the others get every code at once, web.api.feature_codes)
    connection = op.get_bind()
    for (tenant_id,) in connection.execute(sa.text("SELECT id FROM tenant ORDER BY id")).all():
        have = {row[0] for row in connection.execute(
            sa.text("SELECT function FROM feature_code WHERE tenant_id = :t"), {"t": tenant_id})}
        if not have or 'record' in have:
            continue
        taken = connection.execute(sa.text("SELECT 1 FROM internal_number WHERE tenant_id = :t AND number = :n"),
                                   {"t": tenant_id, "n": RECORD_CODE}).first() is not None
        connection.execute(sa.text("INSERT INTO feature_code (tenant_id, function, code, enabled) VALUES (:t, 'record', :c, :e)"),
                           {"t": tenant_id, "c": "" if taken else RECORD_CODE, "e": not taken})
        if not taken:
            row_id = connection.execute(sa.text("SELECT id FROM feature_code WHERE tenant_id = :t AND function = 'record'"),
                                        {"t": tenant_id}).scalar_one()
            connection.execute(sa.text("INSERT INTO internal_number (tenant_id, number, owner_kind, owner_id) "
                                       "VALUES (:t, :n, 'feature_code', :o)"), {"t": tenant_id, "n": RECORD_CODE, "o": row_id})


def downgrade() -> None:
    connection = op.get_bind()
    connection.execute(sa.text("DELETE FROM internal_number WHERE owner_kind = 'feature_code' AND owner_id IN "
                               "(SELECT id FROM feature_code WHERE function = 'record')"))
    connection.execute(sa.text("DELETE FROM feature_code WHERE function = 'record'"))
    with op.batch_alter_table('company_settings') as batch:
        batch.drop_column('recordings_for_reports')
        batch.drop_column('recording_retention_days')
        batch.drop_column('recording_announcement_audio_id')
    with op.batch_alter_table('call_queue') as batch:
        batch.drop_column('record_calls')
    with op.batch_alter_table('pbx_user') as batch:
        batch.drop_column('recording')
    op.drop_index('ix_recording_tenant_call', table_name='recording')
    op.drop_index(op.f('ix_recording_started_at'), table_name='recording')
    op.drop_index(op.f('ix_recording_tenant_id'), table_name='recording')
    op.drop_table('recording')
