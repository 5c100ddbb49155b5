"""Factories for My phone (#15 item 1): a user's own contacts (merged by tests/web/factories.py)."""

from __future__ import annotations

import itertools

from web.models.pbx_user import PbxUser
from web.models.personal_contact import PersonalContact

_serial = itertools.count(1)


def make_personal_contact(db, settings, tenant_id, owner=None) -> int:
    """A contact of a PBX user of `tenant_id`; the user is `owner`'s (its login), so the owner reaches it
    through /api/me/contacts/{id} and nobody else does."""
    with db() as session:
        user = PbxUser(tenant_id=tenant_id, first_name="Owner", extension=f"{700 + next(_serial) % 200}",
                       account_id=owner.id if owner is not None else None)
        session.add(user)
        session.flush()
        contact = PersonalContact(tenant_id=tenant_id, user_id=user.id, name="Own contact", number=f"020{next(_serial):07d}")
        session.add(contact)
        session.flush()
        return contact.id


FACTORIES = {PersonalContact: make_personal_contact}
