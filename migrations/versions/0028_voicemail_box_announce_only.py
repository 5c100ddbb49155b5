"""a company voicemail box may only announce

The company voicemail used out of hours plays its greeting and takes no message, then hangs up
(seed 001): voicemail_box.announce_only, off for every box there is.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03 17:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0028'
down_revision: Union[str, None] = '0027'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('voicemail_box') as batch:
        batch.add_column(sa.Column('announce_only', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('voicemail_box') as batch:
        batch.drop_column('announce_only')
