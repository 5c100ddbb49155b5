"""Factories for the live-state tables an API route addresses by id (see tests/web/factories.py)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from web import clock
from web.models.live import BlockedAddress


def make_block(db, settings, tenant_id, owner=None, **fields) -> int:
    """An active block of a random documentation address (RFC 5737), as fs_bridge.brute_force writes it."""
    values = dict(address=f"198.51.100.{secrets.randbelow(250) + 1}" if "address" not in fields else fields.pop("address"),
                  failures=10, last_user="1001@a.pbx.test", expires_at=clock.now() + timedelta(hours=1))
    values.update(fields)
    with db() as session:
        row = BlockedAddress(tenant_id=tenant_id, **values)
        session.add(row)
        session.flush()
        return row.id


FACTORIES = {BlockedAddress: make_block}
