"""call records name the phones as a detail

A phone's call is recorded with the user's extension and name as the caller and the extension it rang
as the callee; the phones themselves (their SIP usernames, which people do not know) move to
caller_device and callee_device.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 14:40:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0020'
down_revision: Union[str, None] = '0019'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('call_record') as batch:
        batch.add_column(sa.Column('caller_device', sa.String(length=64), nullable=False, server_default=''))
        batch.add_column(sa.Column('callee_device', sa.String(length=64), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('call_record') as batch:
        batch.drop_column('callee_device')
        batch.drop_column('caller_device')
