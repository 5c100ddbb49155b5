"""report mail: subscriptions, the usage limit, the periodic mails sent (#17 item 5)

Which portal accounts get which report mail (monthly report, usage alert, statement), the company's
usage limit and its currency, and one row per company, kind and period for every periodic mail sent
(its unique constraint is what lets one process only send it).

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-04 17:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0032'
down_revision: Union[str, None] = '0031'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'report_subscription',
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'account_id', 'kind', name='uq_report_subscription'),
    )
    op.create_index(op.f('ix_report_subscription_tenant_id'), 'report_subscription', ['tenant_id'])
    op.create_index(op.f('ix_report_subscription_account_id'), 'report_subscription', ['account_id'])
    op.create_table(
        'report_mail_setting',
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('usage_limit', sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', name='uq_report_mail_setting_tenant'),
    )
    op.create_index(op.f('ix_report_mail_setting_tenant_id'), 'report_mail_setting', ['tenant_id'])
    op.create_table(
        'report_mail_run',
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('recipients', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('tenant_id', 'kind', 'period', name='uq_report_mail_run'),
    )
    op.create_index(op.f('ix_report_mail_run_tenant_id'), 'report_mail_run', ['tenant_id'])


def downgrade() -> None:
    op.drop_table('report_mail_run')
    op.drop_table('report_mail_setting')
    op.drop_table('report_subscription')
