"""Factories for the devices feature (merged by tests/web/factories.py)."""

from __future__ import annotations

import secrets

from web.models.device import Device
from web.secretbox import seal


def make_device(db, settings, tenant_id, owner=None, **fields) -> int:
    """A device row of `tenant_id`, written directly (the API's own checks are tested elsewhere)."""
    values = dict(name="Desk phone", brand="yealink", model="T46U", sip_username=f"dev{secrets.token_hex(4)}")
    values.update(fields)
    with db() as session:
        device = Device(
            tenant_id=tenant_id,
            sip_password_sealed=seal(settings.secret_key, "Factory-Passw0rd!"),
            provisioning_password_sealed=seal(settings.secret_key, "provisioning0secret"),
            **values,
        )
        session.add(device)
        session.flush()
        return device.id


FACTORIES = {Device: make_device}
