"""blocked addresses: one row per address and tenant whose domain it tried

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 09:30:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0017'
down_revision: Union[str, None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# 0011 made UNIQUE (address) without a name: PostgreSQL called it blocked_address_address_key, SQLite
# none (batch mode names it through this convention to drop it).
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table('blocked_address', naming_convention=_SQLITE_NAMES) as batch_op:
            batch_op.drop_constraint('uq_blocked_address_address', type_='unique')
            batch_op.create_unique_constraint('uq_blocked_address_address_tenant', ['address', 'tenant_id'])
    else:
        op.drop_constraint('blocked_address_address_key', 'blocked_address', type_='unique')
        op.create_unique_constraint('uq_blocked_address_address_tenant', 'blocked_address', ['address', 'tenant_id'])


def downgrade() -> None:
    # one row per address again: the newest of each
    op.execute(sa.text("DELETE FROM blocked_address WHERE id NOT IN (SELECT MAX(id) FROM blocked_address GROUP BY address)"))
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table('blocked_address', naming_convention=_SQLITE_NAMES) as batch_op:
            batch_op.drop_constraint('uq_blocked_address_address_tenant', type_='unique')
            batch_op.create_unique_constraint('uq_blocked_address_address', ['address'])
    else:
        op.drop_constraint('uq_blocked_address_address_tenant', 'blocked_address', type_='unique')
        op.create_unique_constraint('blocked_address_address_key', 'blocked_address', ['address'])
