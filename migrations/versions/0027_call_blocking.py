"""incoming call blocking (#16 item 2)

The company's and each user's blocking rules (JSON, empty: nothing blocked), a phonebook contact marked
blocked, and the call record saying a call was blocked and by whom ("company", "user").

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 17:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0027'
down_revision: Union[str, None] = '0026'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    for table in ('company_settings', 'pbx_user'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('call_blocking', sa.JSON(), nullable=False, server_default='{}'))
    with op.batch_alter_table('contact') as batch:
        batch.add_column(sa.Column('blocked', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('call_record') as batch:
        batch.add_column(sa.Column('blocked', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('call_record') as batch:
        batch.drop_column('blocked')
    with op.batch_alter_table('contact') as batch:
        batch.drop_column('blocked')
    for table in ('pbx_user', 'company_settings'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('call_blocking')
