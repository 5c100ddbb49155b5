"""A conference room of a tenant, for the isolation tests (tests/web/factories.py merges FACTORIES)."""

from __future__ import annotations

from web.models.conference_room import ConferenceRoom


def _room(db, settings, tenant_id, owner) -> int:
    with db() as session:
        room = ConferenceRoom(tenant_id=tenant_id, name="Board", extension="850", pin="1234")
        session.add(room)
        session.flush()
        return room.id


FACTORIES = {ConferenceRoom: _room}
