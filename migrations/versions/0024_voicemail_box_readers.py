"""who may read a company voicemail box's messages in the portal

`readers`: user ids of the company who see the box on /messages (a personal box is its user's alone,
admins read every company box). Existing boxes start with nobody.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 16:45:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0024'
down_revision: Union[str, None] = '0023'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('voicemail_box') as batch:
        batch.add_column(sa.Column('readers', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('voicemail_box') as batch:
        batch.drop_column('readers')
