"""audio files

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

revision: str = "0004"
down_revision: Union[str, None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('audio_file',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('original_filename', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('sample_rate_original', sa.Integer(), nullable=False),
    sa.Column('channels_original', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('audio_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audio_file_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audio_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audio_file_tenant_id'))

    op.drop_table('audio_file')
