"""Who took a ring group's calls: what the circular and uniform strategies need to know (seed 001 6.7.3).

Kept in the database so the order survives restarts of the app and of FreeSWITCH, and written from real
call outcomes: the bridge calls `record_answer` when a member answers a group's call. The dialplan
snapshot reads it into TenantObjects.last_answered / idle_since."""

from __future__ import annotations

from typing import Optional

from sqlmodel import Field, Session, UniqueConstraint

from web.models.base import TenantOwned
from web.models.fields import json_field


class RingGroupState(TenantOwned, table=True):
    __tablename__ = "ring_group_state"
    __table_args__ = (UniqueConstraint("ring_group_id"),)
    __audit__ = False  # call traffic, not a change anyone made

    id: Optional[int] = Field(default=None, primary_key=True)
    ring_group_id: int = Field(foreign_key="ring_group.id", ondelete="CASCADE")
    last_answered_index: Optional[int] = None  # position in the member list of the last one to answer
    last_call_at: dict = json_field()  # member key ("user:5") -> epoch seconds of its last answered call


def record_answer(db: Session, tenant_id: int, group, member_key: str, at_epoch: float) -> None:
    """A member of `group` answered one of its calls at `at_epoch`."""
    from web.scoping import scoped

    state = db.exec(scoped(RingGroupState, tenant_id).where(RingGroupState.ring_group_id == group.id)).first()
    if state is None:
        state = RingGroupState(tenant_id=tenant_id, ring_group_id=group.id)
    keys = [f"{m.get('type')}:{m.get('id') or m.get('number')}" for m in group.members]
    if member_key in keys:
        state.last_answered_index = keys.index(member_key)
    state.last_call_at = {**state.last_call_at, member_key: at_epoch}
    db.add(state)
