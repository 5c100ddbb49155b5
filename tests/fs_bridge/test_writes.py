"""fs_bridge.writes: what handlers hand to the batch is written at its commit, one statement per table,
with the same outcome as writing each row at once (last upsert of a key wins, a delete after an upsert
removes, an upsert after a delete keeps, an insert ignoring conflicts adds a key once)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import Session, select

from web.models.live import ActiveCall
from web.models.tenant import Tenant

TABLE = ActiveCall.__table__
AT = datetime(2026, 11, 21, 22, 0, tzinfo=timezone.utc)


def _row(tenant_id: int, uuid: str, state: str) -> dict:
    return {"tenant_id": tenant_id, "call_uuid": uuid, "direction": "inbound", "caller_number": "1", "caller_name": "",
            "dialled_number": "2", "state": state, "started_at": AT, "answered_at": None, "plan_id": None,
            "step": None, "user_id": None, "queue_id": None, "steps": [], "bridged_at": None}


def test_rows_are_written_at_commit_with_the_one_by_one_outcome(bridge):
    with Session(bridge.engine) as db:
        tenant = Tenant(name="Acme", sip_domain="acme.pbx.test")
        db.add(tenant)
        db.commit()
        tenant_id = tenant.id

    def handlers(ctx):
        writes = ctx.writes
        writes.upsert(TABLE, "call_uuid", _row(tenant_id, "a", "ringing"))
        writes.upsert(TABLE, "call_uuid", _row(tenant_id, "a", "answered"))  # the latest wins
        writes.upsert(TABLE, "call_uuid", _row(tenant_id, "b", "ringing"))
        writes.delete(TABLE, "call_uuid", "b")  # ended in the same batch: never written
        writes.delete(TABLE, "call_uuid", "c")
        writes.upsert(TABLE, "call_uuid", _row(tenant_id, "c", "ringing"))  # back after its delete
        assert not writes.pending_delete(TABLE, "call_uuid", "c") and writes.pending_delete(TABLE, "call_uuid", "b")
        writes.insert(TABLE, _row(tenant_id, "d", "queued"), unique=("call_uuid",))
        writes.insert(TABLE, _row(tenant_id, "d", "other"), unique=("call_uuid",))  # the same key: one row
        writes.before_commit("hook", lambda db: seen.append(len(db.exec(select(ActiveCall)).all())))
        assert ctx.db.exec(select(ActiveCall)).all() == []  # nothing is written before the commit

    seen: list[int] = []
    bridge.with_context(handlers)
    with Session(bridge.engine) as db:
        rows = {row.call_uuid: row.state for row in db.exec(select(ActiveCall)).all()}
    assert rows == {"a": "answered", "c": "ringing", "d": "queued"}
    assert seen == [3]  # hooks run after the tables' rows are written, in the same transaction

    bridge.with_context(lambda ctx: ctx.writes.delete(TABLE, "call_uuid", "a"))
    bridge.with_context(lambda ctx: ctx.writes.insert(TABLE, _row(tenant_id, "d", "again"), unique=("call_uuid",)))
    with Session(bridge.engine) as db:
        assert {row.call_uuid: row.state for row in db.exec(select(ActiveCall)).all()} == {"c": "ringing", "d": "queued"}
