"""login attempts through an API token

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 08:01:46.841435
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0014'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('api_token_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_login_attempt_api_token_id'), ['api_token_id'], unique=False)
        batch_op.create_foreign_key('fk_login_attempt_api_token_id_api_token', 'api_token', ['api_token_id'], ['id'], ondelete='CASCADE')



def downgrade() -> None:
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_constraint('fk_login_attempt_api_token_id_api_token', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_login_attempt_api_token_id'))
        batch_op.drop_column('api_token_id')

