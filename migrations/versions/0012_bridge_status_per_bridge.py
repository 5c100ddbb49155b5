"""one bridge status row per bridge

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 04:02:31.793469
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('bridge_status', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_bridge_status_esl_address', ['esl_address'])



def downgrade() -> None:
    with op.batch_alter_table('bridge_status', schema=None) as batch_op:
        batch_op.drop_constraint('uq_bridge_status_esl_address', type_='unique')

