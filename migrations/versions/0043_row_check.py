"""row checks kept across processes (#20 item 3)

What a stored row broke of the API's rules, under a digest of the checking code and the row's values
(web.models.row_check): a new process reads them instead of checking a company's rows again.

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-05 00:35:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0043'
down_revision: Union[str, None] = '0042'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'row_check',
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('problems', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'digest'),
    )
    op.create_index(op.f('ix_row_check_tenant_id'), 'row_check', ['tenant_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_row_check_tenant_id'), table_name='row_check')
    op.drop_table('row_check')
