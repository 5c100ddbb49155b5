"""Pickup groups: the users whose ringing calls *98 picks up (seed 000)."""

from __future__ import annotations

from web.domain import references
from web.api.resources import Resource
from web.models.pbx_user import PbxUser
from web.models.pickup_group import PickupGroup, PickupGroupCreate, PickupGroupPublic, PickupGroupUpdate


def _validate(ctx, group: PickupGroup) -> None:
    # a pickup group must never hold a stranger's id
    references.require_distinct_ids(ctx.db, ctx.tenant_id, PbxUser, group.members, "/members", "user",
                                    "this user is in the group twice")


resource = Resource(
    kind="pickup_group", path="/api/pickup-groups", table=PickupGroup, create_model=PickupGroupCreate,
    update_model=PickupGroupUpdate, public_model=PickupGroupPublic, label="pickup group", order_by="name",
    validate=_validate,
)
# Deleting a user who is a member is refused with the list of groups (409 "in_use").
references.register_referrer(PickupGroup)

routes = resource.routes()
