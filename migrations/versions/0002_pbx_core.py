"""pbx core: users, numbers, company, groups, queues, menus, boxes, feature codes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel

revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('call_queue',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('extension', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('strategy', sa.String(length=32), nullable=False),
    sa.Column('music_on_hold_audio_id', sa.Integer(), nullable=True),
    sa.Column('announce_position', sa.Boolean(), nullable=False),
    sa.Column('announce_every_s', sa.Integer(), nullable=False),
    sa.Column('max_wait_s', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tiers', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('call_queue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_queue_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('company_settings',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('show_company_name', sa.Boolean(), nullable=False),
    sa.Column('number_display', sa.String(length=16), nullable=False),
    sa.Column('night_mode', sa.String(length=8), nullable=False),
    sa.Column('night_schedule_id', sa.Integer(), nullable=True),
    sa.Column('night_holiday_schedule_id', sa.Integer(), nullable=True),
    sa.Column('block_international', sa.Boolean(), nullable=False),
    sa.Column('block_mobile', sa.Boolean(), nullable=False),
    sa.Column('block_premium', sa.Boolean(), nullable=False),
    sa.Column('release_pin', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('music_on_hold_audio_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('night_destination', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id')
    )
    with op.batch_alter_table('company_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_settings_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('department',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('caller_id_number', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('feature_code',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('function', sa.String(length=32), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'function')
    )
    with op.batch_alter_table('feature_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feature_code_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('internal_number',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('owner_kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'number')
    )
    with op.batch_alter_table('internal_number', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_internal_number_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('ivr_menu',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('extension', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('greeting_audio_id', sa.Integer(), nullable=True),
    sa.Column('timeout_s', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('dial_by_name_order', sa.String(length=16), nullable=False),
    sa.Column('night_mode', sa.String(length=8), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('keys', sa.JSON(), nullable=False),
    sa.Column('reception', sa.JSON(), nullable=True),
    sa.Column('after_hours', sa.JSON(), nullable=True),
    sa.Column('night_destination', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ivr_menu', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ivr_menu_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('pbx_user',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('first_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('last_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('extension', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('caller_id_mode', sa.String(length=16), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('withhold_caller_id', sa.Boolean(), nullable=False),
    sa.Column('call_waiting', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('dnd', sa.Boolean(), nullable=False),
    sa.Column('hot_desking', sa.Boolean(), nullable=False),
    sa.Column('night_mode', sa.String(length=8), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('forwarding', sa.JSON(), nullable=False),
    sa.Column('anywhere', sa.JSON(), nullable=False),
    sa.Column('voicemail', sa.JSON(), nullable=False),
    sa.Column('agent', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pbx_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pbx_user_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('phone_number',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('number_type', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('destination', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('phone_number', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phone_number_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('ring_group',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('extension', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('strategy', sa.String(length=16), nullable=False),
    sa.Column('member_ring_time_s', sa.Integer(), nullable=False),
    sa.Column('total_timeout_s', sa.Integer(), nullable=False),
    sa.Column('busy_members', sa.String(length=16), nullable=False),
    sa.Column('night_mode', sa.String(length=8), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('members', sa.JSON(), nullable=False),
    sa.Column('forward_after', sa.JSON(), nullable=True),
    sa.Column('night_destination', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ring_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ring_group_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('voicemail_box',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('copy_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('attach_audio', sa.Boolean(), nullable=False),
    sa.Column('delete_after_email', sa.Boolean(), nullable=False),
    sa.Column('greeting_audio_id', sa.Integer(), nullable=True),
    sa.Column('max_message_s', sa.Integer(), nullable=False),
    sa.Column('max_messages', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('extension', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('pin', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['pbx_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('voicemail_box', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_voicemail_box_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_voicemail_box_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('voicemail_box', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_voicemail_box_user_id'))
        batch_op.drop_index(batch_op.f('ix_voicemail_box_tenant_id'))

    op.drop_table('voicemail_box')
    with op.batch_alter_table('ring_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ring_group_tenant_id'))

    op.drop_table('ring_group')
    with op.batch_alter_table('phone_number', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phone_number_tenant_id'))

    op.drop_table('phone_number')
    with op.batch_alter_table('pbx_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pbx_user_tenant_id'))

    op.drop_table('pbx_user')
    with op.batch_alter_table('ivr_menu', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ivr_menu_tenant_id'))

    op.drop_table('ivr_menu')
    with op.batch_alter_table('internal_number', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_internal_number_tenant_id'))

    op.drop_table('internal_number')
    with op.batch_alter_table('feature_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feature_code_tenant_id'))

    op.drop_table('feature_code')
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_tenant_id'))

    op.drop_table('department')
    with op.batch_alter_table('company_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_settings_tenant_id'))

    op.drop_table('company_settings')
    with op.batch_alter_table('call_queue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_queue_tenant_id'))

    op.drop_table('call_queue')
