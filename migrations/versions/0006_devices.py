"""devices

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

revision: str = "0006"
down_revision: Union[str, None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('device',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('brand', sa.String(length=16), nullable=False),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('mac', sa.String(length=12), nullable=True),
    sa.Column('hot_desking', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sip_username', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('sip_password_sealed', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('provisioning_password_sealed', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('registered', sa.Boolean(), nullable=False),
    sa.Column('registration_contact', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('registration_user_agent', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('registration_expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('registration_source_ip', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['pbx_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('mac', name='uq_device_mac'),
    sa.UniqueConstraint('tenant_id', 'sip_username', name='uq_device_tenant_sip_username')
    )
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_user_id'))
        batch_op.drop_index(batch_op.f('ix_device_tenant_id'))

    op.drop_table('device')
