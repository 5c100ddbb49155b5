"""faxes (#18 item 5)

A fax received by a plan's "receive fax" step or sent from the portal: direction, status, pages, the
other side's station id, its call and the TIFF and PDF files in the shared fax folder.

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-04 21:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0040'
down_revision: Union[str, None] = '0039'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'fax',
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('direction', sa.String(length=8), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('remote_number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('local_number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('remote_station_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('pages', sa.Integer(), nullable=False),
        sa.Column('result_code', sa.Integer(), nullable=True),
        sa.Column('result_text', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('call_uuid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('tiff_file', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('pdf_file', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('mailed_to', sa.JSON(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=True),
        sa.Column('step', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('sent_by_account_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sent_by_account_id'], ['account.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('call_uuid', name='uq_fax_call_uuid'),
    )
    op.create_index(op.f('ix_fax_tenant_id'), 'fax', ['tenant_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_fax_tenant_id'), table_name='fax')
    op.drop_table('fax')
