"""a voicemail box's longest message is at most 1000 s

mod_voicemail takes the longest message from its profile's max-record-len, which it accepts up to 1000
seconds; the API used to accept up to 1800. Boxes stored above 1000 are set to 1000, what they record.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 17:00:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0023'
down_revision: Union[str, None] = '0022'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute("UPDATE voicemail_box SET max_message_s = 1000 WHERE max_message_s > 1000")


def downgrade() -> None:
    pass  # the old limit was wider: every value stored now was valid then
