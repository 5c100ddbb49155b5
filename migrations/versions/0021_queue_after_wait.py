"""where a queue call goes after the longest wait

A call to the queue's own extension, or a number routed straight to the queue, goes to `after_wait`
once mod_callcenter gives up (max wait); none: hung up, as before. Inside a call plan the plan's next
step still follows the queue step.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 15:10:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0021'
down_revision: Union[str, None] = '0020'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('call_queue') as batch:
        batch.add_column(sa.Column('after_wait', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('call_queue') as batch:
        batch.drop_column('after_wait')
