"""Circular and uniform ring groups follow real call outcomes kept in the database."""

from __future__ import annotations

from tests.web.pbx import admin  # noqa: F401
from callplan.nodes.ring_group import ordered_members
from web.domain.callplan_snapshot import snapshot
from web.models.ring_group import RingGroup
from web.models.ring_group_state import record_answer


def test_circular_starts_after_the_last_answerer_and_uniform_with_the_longest_idle(admin, db, settings):
    users = [admin.user(str(201 + i), first_name=name) for i, name in enumerate(("Anna", "Bob", "Carla"))]
    members = [{"type": "user", "id": u["id"]} for u in users]
    circular = admin.create("/api/ring-groups", name="Circular", strategy="circular", members=members)
    uniform = admin.create("/api/ring-groups", name="Uniform", strategy="uniform", members=members)
    with db() as session:
        for group_id in (circular["id"], uniform["id"]):
            group = session.get(RingGroup, group_id)
            record_answer(session, admin.tenant.id, group, f"user:{users[0]['id']}", 1000.0)
            record_answer(session, admin.tenant.id, group, f"user:{users[1]['id']}", 3000.0)
            record_answer(session, admin.tenant.id, group, f"user:{users[2]['id']}", 2000.0)
    with db() as session:
        objects = snapshot(session, admin.tenant.id, settings)
    order = [m["id"] for m in ordered_members(objects.ring_groups[circular["id"]], objects)]
    assert order == [users[0]["id"], users[1]["id"], users[2]["id"]]  # Carla answered last: Anna is next
    order = [m["id"] for m in ordered_members(objects.ring_groups[uniform["id"]], objects)]
    assert order == [users[0]["id"], users[2]["id"], users[1]["id"]]  # idle longest first
    assert admin.client.delete(f"/api/ring-groups/{circular['id']}").status_code == 204  # state goes with it
