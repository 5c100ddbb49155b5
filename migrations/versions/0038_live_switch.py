"""which switch a live row came from (#19 item 2)

Several FreeSWITCH, one bridge each, write the same live tables: each row says whose it is, so a bridge's
reconnect clears only its own switch's leftovers, and a switch whose bridge died has its rows marked stale
and then removed. bridge_status says which switch each bridge follows.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-04 20:40:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0038'
down_revision: Union[str, None] = '0037'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    for table in ('active_call', 'sip_registration'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('switch', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False,
                                       server_default=''))
            batch.create_index(f'ix_{table}_switch', ['switch'])
    with op.batch_alter_table('bridge_status') as batch:
        batch.add_column(sa.Column('switch_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False,
                                   server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('bridge_status') as batch:
        batch.drop_column('switch_name')
    for table in ('active_call', 'sip_registration'):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f'ix_{table}_switch')
            batch.drop_column('switch')
