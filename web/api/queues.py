"""Call-center queues (mod_callcenter): strategy, music, position announcements, max wait, agent tiers,
and `after_wait`: where a call to the queue's extension (or a number routed straight to it) goes once
the longest wait is over (none: hung up). Inside a call plan the plan's next step follows instead.

Every change is told to FreeSWITCH after the commit (web.domain.callcenter): a queue made or changed is
loaded again with its agents and tiers, a removed tier deleted, a deleted queue unloaded. The answer to
a create or change says what FreeSWITCH made of it under `freeswitch` (applied, reachable, and each
refused command with FreeSWITCH's reply)."""

from __future__ import annotations

from sqlalchemy import inspect

from web.domain import callcenter, references
from web.api.problems import field_problem
from web.api.resources import Resource
from web.models.queue import CallQueue, QueueCreate, QueuePublic, QueueUpdate
from web.models.tenant import Tenant


def _users(tiers) -> set[int]:
    return {tier.get("user_id") for tier in tiers or [] if isinstance(tier, dict) and isinstance(tier.get("user_id"), int)}


def _validate(ctx, queue: CallQueue) -> None:
    seen = set()
    for index, tier in enumerate(queue.tiers):
        if tier["user_id"] in seen:
            raise field_problem(422, "duplicate_member", f"/tiers/{index}/user_id", "this agent is in the queue twice")
        seen.add(tier["user_id"])
    target = queue.after_wait or {}
    if (target.get("type") == "queue" and queue.id is not None and target.get("id") == queue.id) or \
            (target.get("type") == "extension" and queue.extension and target.get("number") == queue.extension):
        raise field_problem(422, "forwarding_loop", "/after_wait", "a queue cannot send its callers back to itself")
    if queue.id is not None:  # a change; a new queue is told once it has its id (after_create)
        _tell_freeswitch(ctx, queue)


def _tell_freeswitch(ctx, queue: CallQueue, deleted: bool = False) -> None:
    history = inspect(queue).attrs.tiers.history
    before = _users(history.deleted[0]) if history.deleted else set()
    removed = before - _users(queue.tiers)
    everyone = _users(queue.tiers) | before
    domain = ctx.db.get(Tenant, ctx.tenant_id).sip_domain
    settings = ctx.settings
    queue_id = queue.id  # read now: the row is gone from the session after the commit

    def tell():
        report = callcenter.sync_queue(settings, queue_id, domain, removed, deleted=deleted, all_users=everyone)
        if not deleted:
            ctx.answer_extra["freeswitch"] = report.as_dict()

    ctx.after_commit(tell)


def _after_create(ctx, queue: CallQueue) -> None:
    _tell_freeswitch(ctx, queue)


def _before_delete(ctx, queue: CallQueue) -> None:
    _tell_freeswitch(ctx, queue, deleted=True)


resource = Resource(
    kind="queue", path="/api/queues", table=CallQueue, create_model=QueueCreate, update_model=QueueUpdate,
    public_model=QueuePublic, number_field="extension", order_by="name", validate=_validate,
    after_create=_after_create, before_delete=_before_delete,
)
references.register_referrer(CallQueue)

routes = resource.routes()
