"""Factories for call recordings (merged by tests/web/factories.py)."""

from __future__ import annotations

from tests.web.recording_support import recorded
from web.models.recording import Recording


def make_recording(db, settings, tenant_id, owner=None, **fields) -> int:
    return recorded(db, settings, tenant_id, **fields)


FACTORIES = {Recording: make_recording}
