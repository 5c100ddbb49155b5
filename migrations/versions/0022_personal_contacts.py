"""personal contacts: a user's own list beside the company phonebook (#15 item 1)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 16:50:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0022'
down_revision: Union[str, None] = '0021'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('personal_contact',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('company', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['pbx_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'number', name='uq_personal_contact_user_number')
    )
    with op.batch_alter_table('personal_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_personal_contact_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_personal_contact_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('personal_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_personal_contact_user_id'))
        batch_op.drop_index(batch_op.f('ix_personal_contact_tenant_id'))
    op.drop_table('personal_contact')
