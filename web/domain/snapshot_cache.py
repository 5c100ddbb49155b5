"""A tenant's snapshot (web.domain.callplan_snapshot) kept per configuration generation, for the call-plan
editor's reads: opening a plan (GET /api/plans/{id}/editor) and validating it after every edit (POST
.../validate). Building it reads ~20 tables and checks every row (~half of opening a 500-step plan,
bench/canvas.py); the generation is one indexed row.

Every change to what a snapshot is built from bumps `tenant.config_generation` in the change's own
transaction (web.domain.audit; what it leaves out, call traffic, no validator reads), so a snapshot kept
under the generation read just before building it is never older than that generation. Only for a
session with nothing of its own written: a handler that changed rows sees a generation its transaction
has not committed yet, and uses `snapshot()` itself. Kept per engine (one per process in production), so
two apps in one process (tests on fresh databases, whose ids and generations repeat) never share one.
The snapshot is shared between requests: the validator only reads it."""

from __future__ import annotations

import threading
import weakref
from typing import Any, Callable

from sqlmodel import Session, select

from callplan.objects import TenantObjects
from web.domain.callplan_snapshot import snapshot
from web.models import Tenant

_kept: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # engine -> {tenant id: (generation, snapshot)}
_values: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # engine -> {(tenant id, key): (generation, value)}
_lock = threading.Lock()
builds = 0  # how many snapshots were built here (tests tell a hit from a rebuild)


def reading_snapshot(db: Session, tenant_id: int, settings) -> TenantObjects:
    """snapshot(db, tenant_id, settings), from the cache when the tenant's configuration has not changed."""
    global builds
    if db.new or db.dirty or db.deleted:
        return snapshot(db, tenant_id, settings)
    generation = db.exec(select(Tenant.config_generation).where(Tenant.id == tenant_id)).one()
    engine = db.get_bind()
    with _lock:
        kept = _kept.setdefault(engine, {})
        entry = kept.get(tenant_id)
    if entry is not None and entry[0] == generation:
        return entry[1]
    objects = snapshot(db, tenant_id, settings)  # read after the generation: never older than it
    with _lock:
        kept[tenant_id] = (generation, objects)
        builds += 1
    return objects


def kept_per_generation(db: Session, tenant_id: int, key: tuple, build: Callable[[], Any]) -> Any:
    """build(), kept like the snapshot: per engine and tenant, until the tenant's configuration generation
    changes. `key` names the value and whatever else it depends on (e.g. the language of its texts); it
    must depend on nothing else but the tenant's configuration. Shared between requests: never changed
    by its users. Built afresh, and not kept, in a session that wrote rows of its own."""
    if db.new or db.dirty or db.deleted:
        return build()
    generation = db.exec(select(Tenant.config_generation).where(Tenant.id == tenant_id)).one()
    engine = db.get_bind()
    with _lock:
        entry = _values.setdefault(engine, {}).get((tenant_id, key))
    if entry is not None and entry[0] == generation:
        return entry[1]
    value = build()  # read after the generation: never older than it
    with _lock:
        _values[engine][(tenant_id, key)] = (generation, value)
    return value
