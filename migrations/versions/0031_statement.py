"""monthly statements: one PDF per company and month

The statement table (#17 item 6): the PDF itself, its size, the month of the company's time zone it
covers and who asked for it (none: the periodic job on the 1st); unique per company and month, which is
what lets only one process make it.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-04 17:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0031'
down_revision: Union[str, None] = '0030'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'statement',
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['created_by'], ['account.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'month', name='uq_statement_tenant_month'),
    )
    op.create_index(op.f('ix_statement_tenant_id'), 'statement', ['tenant_id'])


def downgrade() -> None:
    op.drop_table('statement')
