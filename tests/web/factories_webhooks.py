"""Factories for webhook subscriptions and the outbox (merged by tests/web/factories.py)."""

from __future__ import annotations

import uuid

from web import clock
from web.models.notification import OutboxMessage, WebhookSubscription
from web.secretbox import seal


def make_webhook(db, settings, tenant_id, owner=None, **fields) -> int:
    values = dict(url="http://127.0.0.1:9/hook", events=["missed_call", "call_ended"], description="CRM")
    values.update(fields)
    with db() as session:
        row = WebhookSubscription(tenant_id=tenant_id, secret_sealed=seal(settings.secret_key, "whsec_factory"),
                                  **values)
        session.add(row)
        session.flush()
        return row.id


def make_delivery(db, settings, tenant_id, owner=None, **fields) -> int:
    subscription_id = make_webhook(db, settings, tenant_id)
    key = f"factory:{uuid.uuid4()}"
    values = dict(channel="webhook", event="missed_call", subscription_id=subscription_id, recipients=[],
                  idempotency_key=key, dedupe_key=f"webhook:{subscription_id}:{key}",
                  payload={"occurred_at": clock.now().isoformat(), "data": {}}, next_attempt_at=clock.now())
    values.update(fields)
    with db() as session:
        row = OutboxMessage(tenant_id=tenant_id, **values)
        session.add(row)
        session.flush()
        return row.id


FACTORIES = {WebhookSubscription: make_webhook, OutboxMessage: make_delivery}
