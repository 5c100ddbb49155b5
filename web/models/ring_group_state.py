"""Who took a ring group's calls: what the circular and uniform strategies need to know (seed 001 6.7.3).

Kept in the database so the order survives restarts of the app and of FreeSWITCH, and written from real
call outcomes: the bridge calls `record_answer` when a member answers a group's call. Call traffic, not
configuration: no document is built from it (web.domain.audit.NOT_CONFIG); the dialplan endpoint reads it
when FreeSWITCH fetches a number that reaches a rotating group (web.xml_curl.dialplan.rotation_state),
the snapshot reads it into TenantObjects.last_answered / idle_since for the simulator."""

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


def record_answer(db: Session, tenant_id: int, group, member_key: str, at_epoch: float,
                  uniform_keys: Optional[frozenset] = None) -> None:
    """A member of `group` answered one of its calls at `at_epoch`. Written only when some group reads
    it: this group's own rotation (circular), or how long the member has been idle for a uniform group
    it belongs to (counted over the calls of all groups); a simultaneous group's call usually writes
    nothing. `uniform_keys`: the member keys of the tenant's uniform groups, when the caller knows them."""
    from callplan.nodes.ring_group import member_key as key_of
    from web.models.ring_group import RingGroup
    from web.scoping import scoped

    if group.strategy != "circular":
        if uniform_keys is None:
            uniform = db.exec(scoped(RingGroup, tenant_id).where(RingGroup.strategy == "uniform")).all()
            uniform_keys = frozenset(key_of(member) for other in uniform for member in other.members)
        if member_key not in uniform_keys:
            return
    state = db.exec(scoped(RingGroupState, tenant_id).where(RingGroupState.ring_group_id == group.id)).first()
    if state is None:
        state = RingGroupState(tenant_id=tenant_id, ring_group_id=group.id)
    keys = [key_of(m) for m in group.members]
    if member_key in keys:
        state.last_answered_index = keys.index(member_key)
    state.last_call_at = {**state.last_call_at, member_key: at_epoch}
    db.add(state)
