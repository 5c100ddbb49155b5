"""names and texts that reach phones lose their control characters

From this version on every name a phone can show (a caller-ID name, a display text) refuses control
characters, U+2028/9 and the bidi overrides, as the phonebook did already. A row saved before, holding
one, would now count as no longer valid and be left out of calls: they are dropped from it here, the
way the XML builder drops them anyway. Call-plan documents (a step's label, a prefix, a plan's name) go
the same way, string by string.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 12:00:00
"""
import json
import re
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0018'
down_revision: Union[str, None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# callplan.text.CONTROL_CLASS as it is at this revision (a migration keeps its own copy)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
TEXT_COLUMNS = {
    "pbx_user": ("first_name", "last_name"), "ring_group": ("name", "display_name"), "call_queue": ("name",),
    "ivr_menu": ("name",), "voicemail_box": ("name",), "department": ("name",), "device": ("name",),
    "tenant": ("name",), "account": ("first_name", "last_name"), "pickup_group": ("name",),
    "audio_file": ("name",), "time_schedule": ("name",), "holiday_schedule": ("name",), "call_plan": ("name",),
}
OPTIONAL = {("pbx_user", "last_name"), ("ring_group", "display_name"), ("account", "first_name"), ("account", "last_name")}
DOCUMENT_COLUMNS = {"call_plan": "draft", "call_plan_version": "document"}


def _clean(value):
    if isinstance(value, str):
        return _CONTROL.sub("", value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    return value


def upgrade() -> None:
    bind = op.get_bind()
    for table, columns in TEXT_COLUMNS.items():
        for column in columns:
            rows = bind.execute(sa.text(f'SELECT id, "{column}" FROM "{table}"')).all()
            for row_id, value in rows:
                if isinstance(value, str) and _CONTROL.search(value):
                    cleaned = _clean(value).strip()
                    if not cleaned and (table, column) not in OPTIONAL:
                        cleaned = "?"  # a name must have something; the admin sees it and renames it
                    bind.execute(sa.text(f'UPDATE "{table}" SET "{column}" = :value WHERE id = :id'),
                                 {"value": cleaned, "id": row_id})
    for table, column in DOCUMENT_COLUMNS.items():
        update = sa.text(f'UPDATE "{table}" SET "{column}" = :value WHERE id = :id').bindparams(
            sa.bindparam("value", type_=sa.JSON))
        for row_id, value in bind.execute(sa.text(f'SELECT id, "{column}" FROM "{table}"')).all():
            document = json.loads(value) if isinstance(value, str) else value
            cleaned = _clean(document)
            if cleaned != document:
                bind.execute(update, {"value": cleaned, "id": row_id})


def downgrade() -> None:
    pass  # what was dropped is gone; the rows stay valid for the version before
