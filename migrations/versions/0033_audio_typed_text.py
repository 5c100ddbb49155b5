"""audio: typed text spoken by espeak-ng (#18 item 6)

A typed sound keeps its text, language and the hash of what it was last rendered from (web.tts), so it
is rendered again only when one of them changes.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-04 18:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0033'
down_revision: Union[str, None] = '0032'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('audio_file') as batch:
        batch.add_column(sa.Column('text', sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('render_key', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('audio_file') as batch:
        batch.drop_column('render_key')
        batch.drop_column('language')
        batch.drop_column('text')
