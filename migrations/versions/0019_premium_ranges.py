"""premium-rate ranges blocked each on its own; personal box names that fit

Company settings get a switch per premium range (0900, 0906, 0909, and Belgium's other 090x ranges),
each starting as the one combined switch was (block_premium stays: it is all four, the shortcut). A
personal box named after a user with long names (more than 100 characters together, which SQLite
stored) is cut to its 100 characters, as new ones are (callplan.text.fit).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 14:10:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0019'
down_revision: Union[str, None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

RANGES = ("0900", "0906", "0909", "090x")


def upgrade() -> None:
    with op.batch_alter_table('company_settings') as batch:
        for name in RANGES:
            batch.add_column(sa.Column(f'block_premium_{name}', sa.Boolean(), nullable=False, server_default=sa.true()))
    for name in RANGES:
        op.execute(f"UPDATE company_settings SET block_premium_{name} = block_premium")
    op.execute("UPDATE voicemail_box SET name = substr(name, 1, 99) || '…' WHERE length(name) > 100")


def downgrade() -> None:
    with op.batch_alter_table('company_settings') as batch:
        for name in RANGES:
            batch.drop_column(f'block_premium_{name}')
