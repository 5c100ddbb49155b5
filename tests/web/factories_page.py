"""A page group of a tenant, for the isolation tests (tests/web/factories.py merges FACTORIES)."""

from __future__ import annotations

from web.models.page_group import PageGroup
from web.models.pbx_user import PbxUser


def _group(db, settings, tenant_id, owner) -> int:
    with db() as session:
        user = PbxUser(tenant_id=tenant_id, first_name="Paged", last_name="", extension="651")
        session.add(user)
        session.flush()
        group = PageGroup(tenant_id=tenant_id, name="Warehouse", extension="650", members=[{"type": "user", "id": user.id}])
        session.add(group)
        session.flush()
        return group.id


FACTORIES = {PageGroup: _group}
