"""Factories for the phonebook and pickup groups (merged by tests/web/factories.py)."""

from __future__ import annotations

import itertools

from web.models.pbx_user import PbxUser
from web.models.phonebook import Contact
from web.models.pickup_group import PickupGroup

_serial = itertools.count(1)


def make_pbx_user(db, tenant_id, first_name="Piet", extension=None) -> int:
    """A PBX user row written directly (the users API's own side effects are not needed here)."""
    with db() as session:
        user = PbxUser(tenant_id=tenant_id, first_name=first_name, extension=extension or f"{200 + next(_serial) % 700}")
        session.add(user)
        session.flush()
        return user.id


def make_contact(db, settings, tenant_id, owner=None, name="Jan Jansen", number=None) -> int:
    with db() as session:
        contact = Contact(tenant_id=tenant_id, name=name, number=number or f"020{next(_serial):07d}")
        session.add(contact)
        session.flush()
        return contact.id


def make_pickup_group(db, settings, tenant_id, owner=None, name="Sales", members=None) -> int:
    if members is None:
        members = [make_pbx_user(db, tenant_id)]
    with db() as session:
        group = PickupGroup(tenant_id=tenant_id, name=name, members=members)
        session.add(group)
        session.flush()
        return group.id


FACTORIES = {Contact: make_contact, PickupGroup: make_pickup_group}
