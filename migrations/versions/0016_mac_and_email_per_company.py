"""a device's MAC and an account's e-mail address are unique per company, no longer on the platform

A company must not learn that another company has a phone with some MAC or an account with some
address (it did: "already registered on the platform"). Provisioning tells devices of one MAC apart by
their credentials; logging in tells accounts of one address apart by their passwords. Operators'
addresses stay unique among operators.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 09:58:12.120446
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0016'
down_revision: Union[str, None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# 0001 made account.email unique without naming it: SQLite keeps no name, PostgreSQL made one up
SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _drop_platform_wide_email() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table('account', naming_convention=SQLITE_NAMES) as batch_op:
            batch_op.drop_constraint('uq_account_email', type_='unique')
        return
    (name,) = [unique["name"] for unique in sa.inspect(bind).get_unique_constraints('account')
               if unique["column_names"] == ['email']]
    op.drop_constraint(name, 'account', type_='unique')


def upgrade() -> None:
    _drop_platform_wide_email()
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_email'), ['email'], unique=False)
        batch_op.create_index('uq_account_operator_email', ['email'], unique=True, sqlite_where=sa.text('tenant_id IS NULL'), postgresql_where=sa.text('tenant_id IS NULL'))
        batch_op.create_unique_constraint('uq_account_tenant_email', ['tenant_id', 'email'])

    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_device_mac'), type_='unique')
        batch_op.create_unique_constraint('uq_device_tenant_mac', ['tenant_id', 'mac'])


def downgrade() -> None:
    # refused by the database if two companies meanwhile registered one MAC or one address
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.drop_constraint('uq_device_tenant_mac', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_device_mac'), ['mac'])

    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_constraint('uq_account_tenant_email', type_='unique')
        batch_op.drop_index('uq_account_operator_email', sqlite_where=sa.text('tenant_id IS NULL'), postgresql_where=sa.text('tenant_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_account_email'))
        batch_op.create_unique_constraint('uq_account_email', ['email'])
