"""Factories for the agent panel's tables (merged by tests/web/factories.py)."""

from __future__ import annotations

import itertools

from web import clock
from web.models.agent_panel import AgentTask, CallStatus
from web.models.pbx_user import PbxUser

_serial = itertools.count(1)


def make_call_status(db, settings, tenant_id, owner=None, **fields) -> int:
    values = dict(name=f"Status {next(_serial)}")
    values.update(fields)
    with db() as session:
        row = CallStatus(tenant_id=tenant_id, **values)
        session.add(row)
        session.flush()
        return row.id


def make_agent_task(db, settings, tenant_id, owner=None, **fields) -> int:
    """A due call-back task of a user made for it (extension 7xx)."""
    with db() as session:
        user_id = fields.pop("user_id", None)
        if user_id is None:
            user = PbxUser(tenant_id=tenant_id, first_name="Task", extension=f"7{next(_serial) % 100:02d}")
            session.add(user)
            session.flush()
            user_id = user.id
        values = dict(number="+31201234567", due_at=clock.now())
        values.update(fields)
        row = AgentTask(tenant_id=tenant_id, user_id=user_id, **values)
        session.add(row)
        session.flush()
        return row.id


FACTORIES = {CallStatus: make_call_status, AgentTask: make_agent_task}
