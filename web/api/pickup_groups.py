"""Pickup groups: the users whose ringing calls *98 picks up (seed 000)."""

from __future__ import annotations

from web.domain import references
from web.api.problems import field_problem
from web.api.resources import Resource
from web.models.pbx_user import PbxUser
from web.models.pickup_group import PickupGroup, PickupGroupCreate, PickupGroupPublic, PickupGroupUpdate
from web.scoping import scoped


def _validate(ctx, group: PickupGroup) -> None:
    seen: set[int] = set()
    for index, user_id in enumerate(group.members):
        if user_id in seen:
            raise field_problem(422, "duplicate_member", f"/members/{index}", "this user is in the group twice")
        seen.add(user_id)
    # Checked here as well as by Resource (references.require_all): that one only knows kind "user"
    # once the users module has registered it, and a pickup group must never hold a stranger's id.
    if seen:
        found = set(ctx.db.exec(scoped(PbxUser, ctx.tenant_id).where(PbxUser.id.in_(seen)).with_only_columns(PbxUser.id)).all())
        for index, user_id in enumerate(group.members):
            if user_id not in found:
                raise field_problem(422, "unknown_reference", f"/members/{index}", f"no user with id {user_id} in this company")


resource = Resource(
    kind="pickup_group", path="/api/pickup-groups", table=PickupGroup, create_model=PickupGroupCreate,
    update_model=PickupGroupUpdate, public_model=PickupGroupPublic, label="pickup group", order_by="name",
    validate=_validate,
)
# Deleting a user who is a member is refused with the list of groups (409 "in_use").
references.register_referrer(PickupGroup)

routes = resource.routes()
