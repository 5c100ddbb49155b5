"""Factories for call records and rates (merged by tests/web/factories.py)."""

from __future__ import annotations

import itertools
import uuid as uuid_module
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from web.models.call_record import CallRate, CallRecord

_serial = itertools.count(1)


def make_call_record(db, settings, tenant_id, owner=None, **fields) -> int:
    start = fields.pop("started_at", datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc) + timedelta(minutes=next(_serial)))
    values = dict(call_uuid=str(uuid_module.uuid4()), direction="outbound", caller_number="201", caller_name="Anna",
                  dialled_number="0612345678", callee_number="0612345678", started_at=start,
                  answered_at=start + timedelta(seconds=5), ended_at=start + timedelta(seconds=65),
                  duration_seconds=65, billed_seconds=60, hangup_cause="NORMAL_CLEARING", call_type="mobile",
                  sources=["cdr"])
    values.update(fields)
    with db() as session:
        record = CallRecord(tenant_id=tenant_id, **values)
        session.add(record)
        session.flush()
        return record.id


def make_call_rate(db, settings, tenant_id, owner=None, **fields) -> int:
    values = dict(call_type="mobile", price_per_minute=Decimal("0.10"), setup_price=Decimal("0"))
    values.update(fields)
    with db() as session:
        rate = CallRate(tenant_id=tenant_id, **values)
        session.add(rate)
        session.flush()
        return rate.id


FACTORIES = {CallRecord: make_call_record, CallRate: make_call_rate}
