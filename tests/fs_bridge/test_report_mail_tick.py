"""The bridge's heartbeat runs the report mail check (#17 item 5): a month past the company's limit is
queued once and the outbox is woken; a second tick within the minute does not look again."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import gevent
from sqlmodel import select

from fs_bridge import report_mail as tick_module
from tests.web.factories_call_records import make_call_record
from web import clock
from web.models.notification import OutboxMessage


def test_the_tick_queues_the_usage_alert_once_and_wakes_the_outbox(bridge, admin, db, settings, monkeypatch):
    admin.client.patch("/api/report-mail", json={"usage_limit": "1", "subscriptions": [
        {"account_id": admin.account.id, "kind": "usage_alert"}]})
    now = clock.now()
    make_call_record(db, settings, admin.tenant.id, started_at=now, cost=Decimal("2.50"), currency="EUR")
    monkeypatch.setattr(tick_module, "_last_check", [float("-inf")])
    bridge.outbox_wakeup.clear()
    bridge.with_context(tick_module.tick)
    gevent.sleep(0.05)  # the wake-up runs after the commit, in a greenlet of its own
    assert bridge.outbox_wakeup.is_set()
    with db() as session:
        [message] = session.exec(select(OutboxMessage).where(OutboxMessage.event == "usage_alert")).all()
        assert message.recipients == ["boss@acme.test"] and message.tenant_id == admin.tenant.id

    # within the minute: not even a look; after it: a look, and nothing new for this month
    calls = []
    monkeypatch.setattr(tick_module.report_mail, "run_due", lambda *args, **kwargs: calls.append(1) or 0)
    bridge.with_context(tick_module.tick)
    assert calls == []
    monkeypatch.setattr(tick_module, "_last_check", [float("-inf")])
    bridge.with_context(tick_module.tick)
    assert calls == [1]
