"""numbers are assigned by the operator; caller IDs the operator verified per company

The numbers already in a company's table stay that company's: they are its assigned numbers from now
on (assigned_at = the upgrade). A company number or department caller ID naming a number the company
does not hold and no other company holds either (a mobile, a ported-out line) becomes a verified
caller ID of that company, so no company's calls change at the upgrade; one naming another company's
number is not carried over (calls show the company number instead, and the admin sees why).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 08:25:59.846802
"""
from datetime import datetime, timezone
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '0015'
down_revision: Union[str, None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NOTE = "kept at the upgrade to assigned numbers: check that it is the company's"


def upgrade() -> None:
    op.create_table('verified_caller_id',
    sa.Column('tenant_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('verified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tenant_id', 'number', name='uq_verified_caller_id')
    )
    with op.batch_alter_table('verified_caller_id', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verified_caller_id_tenant_id'), ['tenant_id'], unique=False)

    now = datetime.now(timezone.utc)
    with op.batch_alter_table('phone_number', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    numbers = sa.table('phone_number', sa.column('tenant_id', sa.Integer()), sa.column('number', sa.String()),
                       sa.column('assigned_at', sqlmodel.sql.sqltypes.UTCDateTime()))
    op.execute(numbers.update().values(assigned_at=now))
    with op.batch_alter_table('phone_number', schema=None) as batch_op:
        batch_op.alter_column('assigned_at', existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False)

    connection = op.get_bind()
    holder = dict(connection.execute(sa.select(numbers.c.number, numbers.c.tenant_id)).all())
    tenants = sa.table('tenant', sa.column('id', sa.Integer()), sa.column('company_number', sa.String()))
    departments = sa.table('department', sa.column('tenant_id', sa.Integer()), sa.column('caller_id_number', sa.String()))
    stored = set(connection.execute(sa.select(tenants.c.id, tenants.c.company_number)
                                    .where(tenants.c.company_number.is_not(None))).all())
    stored |= set(connection.execute(sa.select(departments.c.tenant_id, departments.c.caller_id_number)
                                     .where(departments.c.caller_id_number.is_not(None))).all())
    verified = sa.table('verified_caller_id', sa.column('tenant_id', sa.Integer()), sa.column('number', sa.String()),
                        sa.column('note', sa.String()), sa.column('verified_at', sqlmodel.sql.sqltypes.UTCDateTime()))
    rows = [{"tenant_id": tenant_id, "number": number, "note": NOTE, "verified_at": now}
            for tenant_id, number in sorted(stored) if number and number not in holder]
    if rows:
        op.bulk_insert(verified, rows)


def downgrade() -> None:
    with op.batch_alter_table('phone_number', schema=None) as batch_op:
        batch_op.drop_column('assigned_at')

    with op.batch_alter_table('verified_caller_id', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verified_caller_id_tenant_id'))

    op.drop_table('verified_caller_id')
