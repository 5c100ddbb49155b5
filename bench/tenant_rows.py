"""Companies for the benches, written with core inserts (no ORM objects, no audit): seconds, not minutes.

Shared by bench/xml_curl.py (one company of 1,000 users) and bench/tenants.py (a thousand companies of
50 users). Each company: users (each with a phone and a voicemail box), ring groups, queues, one office
schedule and published call plans, each plan on an internal number and a public one. Every row goes
through its model once (the model fills its defaults and checks the values), every plan through
CallPlan's validation, so the app reads what its own API would have stored."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Shape:
    users: int
    plans: int
    groups: int
    queues: int


def domain_of(index: int, tenants: int) -> str:
    """The SIP domain of company `index` (0-based): bench.pbx.test alone, c0001.bench.pbx.test of many."""
    return "bench.pbx.test" if tenants == 1 else f"c{index + 1:04d}.bench.pbx.test"


def extension(user: int) -> str:
    return str(2000 + user)


def phone_name(user: int) -> str:
    return f"p{2000 + user}"


def plan_number(plan: int) -> str:
    return str(5000 + plan)


def did(index: int, tenants: int, plan: int) -> str:
    # unique on the platform: one company's numbers as before, many companies' by company and plan (valid
    # Dutch numbers, 085 and seven digits: up to 10,000 companies of up to 1,000 plans)
    return f"+3120555{plan:04d}" if tenants == 1 else f"+3185{index:04d}{plan:03d}"


PASSWORD = "Bench-Passw0rd!"
BATCH = 25  # companies per transaction: bounded memory, few round trips


def populate(url: str, secret_key: str, shape: Shape, tenants: int = 1, seed: int = 5) -> list[int]:
    """Write `tenants` companies of `shape`; their tenant ids, in order (company i is domain_of(i))."""
    from sqlalchemy import insert

    import callplan.nodes  # noqa: F401  (resolves the step union before plans are validated)
    from callplan.model import CallPlan
    from web import clock
    from web.db import make_engine
    from web.domain.callplan_snapshot import normalised
    from web.models import Tenant
    from web.models.call_plan import CallPlanRecord, CallPlanVersion
    from web.models.device import Device
    from web.models.internal_number import InternalNumber
    from web.models.pbx_user import PbxUser
    from web.models.phone_number import PhoneNumber
    from web.models.queue import CallQueue
    from web.models.ring_group import RingGroup
    from web.models.schedule import TimeSchedule
    from web.models.voicemail_box import VoicemailBox
    from web.secretbox import seal

    rng = random.Random(seed)
    now = clock.now()
    engine = make_engine(url)
    sealed = seal(secret_key, PASSWORD)
    defaults: dict = {}

    def rows(model, items):
        # the first row goes through the model (its defaults, its checks); the rest of the batch, alike in
        # shape, take the defaults it filled in: 400,000 model instances would cost more than the inserts
        if model not in defaults:
            dumped = model(**items[0]).model_dump()
            defaults[model] = {k: v for k, v in dumped.items() if k not in items[0] and k != "id"}
        return [{**defaults[model], **item} for item in items]

    def plan_document(p: int, user_id, group_id, queue_id, schedule_id, did_number):
        return normalised(CallPlan.model_validate({"name": f"Plan {p}", "numbers": [did_number, plan_number(p)], "steps": [
            {"id": "s1", "type": "time_condition", "schedule": schedule_id, "then": [
                {"id": "s2", "type": "user", "user": user_id()},
                {"id": "s3", "type": "ring_group", "group": group_id()}],
             "else": [{"id": "s4", "type": "voicemail", "box": user_id()}]},
            {"id": "s5", "type": "queue", "queue": queue_id(), "max_wait_s": rng.choice([None, 60])},
            {"id": "s6", "type": "hang_up"}]}))

    tenant_ids: list[int] = []
    u, g, q, s, p_id = 0, 0, 0, 0, 0  # ids so far (given, so a batch needs no RETURNING)
    for start in range(0, tenants, BATCH):
        batch = range(start, min(tenants, start + BATCH))
        with engine.begin() as conn:
            made = conn.execute(insert(Tenant.__table__).returning(Tenant.__table__.c.id, sort_by_parameter_order=True), [
                {"name": f"Bench {i + 1}", "sip_domain": domain_of(i, tenants), "timezone": "Europe/Amsterdam",
                 "language": "en", "company_number": did(i, tenants, 0), "require_2fa": False, "created_at": now,
                 "config_generation": 0} for i in batch]).scalars().all()
            table: dict = {}

            def add(model, items):
                table.setdefault(model, []).extend(items)

            for i, tenant_id in zip(batch, made):
                t = {"tenant_id": tenant_id}
                users = range(u + 1, u + shape.users + 1)
                add(PbxUser, [{**t, "id": uid, "first_name": f"User{n}", "last_name": "Bench", "extension": extension(n),
                               "forwarding": {}, "anywhere": {}, "voicemail": {"enabled": True}, "agent": {},
                               "created_at": now} for n, uid in enumerate(users)])
                add(Device, [{**t, "id": uid, "name": f"Phone {n}", "sip_username": phone_name(n), "user_id": uid,
                              "sip_password_sealed": sealed, "provisioning_password_sealed": sealed, "created_at": now}
                             for n, uid in enumerate(users)])
                add(VoicemailBox, [{**t, "id": uid, "name": f"User{n}", "kind": "personal", "user_id": uid, "pin": "1234",
                                    "email": f"user{n}@bench.test"} for n, uid in enumerate(users)])
                s += 1
                add(TimeSchedule, [{**t, "id": s, "name": "Office", "periods": [
                    {"from_day": d, "from_time": "08:30", "to_day": d, "to_time": "17:30"}
                    for d in ("mon", "tue", "wed", "thu", "fri")]}])
                groups, queues = range(g + 1, g + shape.groups + 1), range(q + 1, q + shape.queues + 1)
                add(RingGroup, [{**t, "id": gid, "name": f"Group {n}", "extension": str(300 + n), "strategy": "simultaneous",
                                 "members": [{"type": "user", "id": rng.choice(users)} for _ in range(5)]}
                                for n, gid in enumerate(groups)])
                add(CallQueue, [{**t, "id": qid, "name": f"Queue {n}", "extension": str(400 + n), "max_wait_s": 300,
                                 "tiers": [{"user_id": rng.choice(users), "level": 1, "position": k + 1} for k in range(10)]}
                                for n, qid in enumerate(queues)])
                add(InternalNumber, [{**t, "number": str(300 + n), "owner_kind": "ring_group", "owner_id": gid}
                                     for n, gid in enumerate(groups)])
                add(InternalNumber, [{**t, "number": str(400 + n), "owner_kind": "queue", "owner_id": qid}
                                     for n, qid in enumerate(queues)])
                add(InternalNumber, [{**t, "number": extension(n), "owner_kind": "user", "owner_id": uid}
                                     for n, uid in enumerate(users)])
                for p in range(shape.plans):
                    p_id += 1
                    number = did(i, tenants, p)
                    document = plan_document(p, lambda: rng.choice(users), lambda: rng.choice(groups),
                                             lambda: rng.choice(queues), s, number)
                    add(CallPlanRecord, [{**t, "id": p_id, "name": f"Plan {p}", "draft": document, "published_version": 1,
                                          "active_diversions": [], "draft_updated_at": now, "created_at": now}])
                    add(CallPlanVersion, [{**t, "plan_id": p_id, "version": 1, "document": document, "published_at": now}])
                    add(PhoneNumber, [{**t, "number": number, "label": f"Plan {p}", "destination": None, "assigned_at": now}])
                    add(InternalNumber, [{**t, "number": plan_number(p), "owner_kind": "call_plan", "owner_id": p_id}])
                u, g, q = u + shape.users, g + shape.groups, q + shape.queues
            for model, items in table.items():  # in dependency order: dicts keep the order of first use
                conn.execute(insert(model.__table__), rows(model, items))
            tenant_ids += made
    if engine.dialect.name == "postgresql":
        # ids were given, not drawn: move each sequence past them, as the app's own inserts will draw next
        with engine.begin() as conn:
            for model in (PbxUser, Device, VoicemailBox, TimeSchedule, RingGroup, CallQueue, CallPlanRecord):
                name = model.__table__.name
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                     f"(SELECT coalesce(max(id), 1) FROM {name}))")
    engine.dispose()
    return tenant_ids
