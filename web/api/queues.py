"""Call-center queues (mod_callcenter): strategy, music, position announcements, max wait, agent tiers."""

from __future__ import annotations

from web.domain import references
from web.api.problems import field_problem
from web.api.resources import Resource
from web.models.queue import CallQueue, QueueCreate, QueuePublic, QueueUpdate


def _validate(ctx, queue: CallQueue) -> None:
    seen = set()
    for index, tier in enumerate(queue.tiers):
        if tier["user_id"] in seen:
            raise field_problem(422, "duplicate_member", f"/tiers/{index}/user_id", "this agent is in the queue twice")
        seen.add(tier["user_id"])


resource = Resource(
    kind="queue", path="/api/queues", table=CallQueue, create_model=QueueCreate, update_model=QueueUpdate,
    public_model=QueuePublic, number_field="extension", order_by="name", validate=_validate,
)
references.register_referrer(CallQueue)

routes = resource.routes()
