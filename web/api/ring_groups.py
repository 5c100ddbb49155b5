"""Ring groups: members rung by a strategy (seed 001 6.7)."""

from __future__ import annotations

from web.domain import forwarding_loops, references
from web.api.problems import field_problem
from web.api.resources import Resource
from web.models.ring_group import RingGroup, RingGroupCreate, RingGroupPublic, RingGroupUpdate


def _validate(ctx, group: RingGroup) -> None:
    seen = set()
    for index, member in enumerate(group.members):
        identity = (member["type"], member.get("id"), member.get("number"))
        if identity in seen:
            raise field_problem(422, "duplicate_member", f"/members/{index}", "this member is in the list twice")
        seen.add(identity)
    forwarding_loops.refuse_loops(ctx.db, ctx.tenant_id, "ring_group", group)


resource = Resource(
    kind="ring_group", path="/api/ring-groups", table=RingGroup, create_model=RingGroupCreate,
    update_model=RingGroupUpdate, public_model=RingGroupPublic, number_field="extension", order_by="name",
    validate=_validate,
)
references.register_referrer(RingGroup)

routes = resource.routes()
