"""Every change recorded, without every route remembering to do it.

A flush listener on every ORM session turns each inserted, updated and deleted row into an audit entry
(who, tenant, what, before/after, when, from where). The actor is whoever the request authenticated as,
put in `session.info["actor"]` by `web.db.session_scope`. Tables opt out with `__audit__ = False` (the
audit log itself, sessions, the login history) and name secret columns in `__audit_redact__`.

A second listener bumps `tenant.config_generation` of every tenant whose rows the flush changes, with
one UPDATE: the documents served to FreeSWITCH (web.xml_curl) are cached per (tenant, generation), so
any change made by any process reaches every process's cache without messaging.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import event, inspect, insert, update
from sqlalchemy.orm import Session

from web import clock


@dataclass(frozen=True)
class Actor:
    account_id: int | None
    email: str
    tenant_id: int | None
    source_ip: str = ""


SYSTEM = Actor(account_id=None, email="system", tenant_id=None)
REDACTED = "(secret changed)"


def _plain(value):
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _columns(obj) -> list[str]:
    return [attr.key for attr in inspect(obj).mapper.column_attrs]


def _snapshot(obj, redact: set[str]) -> dict:
    return {key: (REDACTED if key in redact else _plain(getattr(obj, key))) for key in _columns(obj)}


def _changes(obj, redact: set[str]) -> tuple[dict, dict]:
    state = inspect(obj)
    before, after = {}, {}
    for key in _columns(obj):
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        before[key] = REDACTED if key in redact else _plain(old)
        after[key] = REDACTED if key in redact else _plain(new)
    return before, after


def _entry(obj, operation: str, summary: dict, actor: Actor) -> dict:
    table = obj.__table__.name
    tenant_id = getattr(obj, "tenant_id", None)
    if table == "tenant":
        # A deleted tenant takes its rows with it; its own deletion is kept as a platform entry.
        tenant_id = None if operation == "delete" else obj.id
    return {
        "tenant_id": tenant_id if tenant_id is not None else actor.tenant_id,
        "at": clock.now(),
        "actor_account_id": actor.account_id,
        "actor_email": actor.email,
        "source_ip": actor.source_ip,
        "action": f"{table}.{operation}",
        "object_type": table,
        "object_id": _plain(getattr(obj, "id", None)),
        "summary": summary,
    }


@event.listens_for(Session, "after_flush")
def _record_changes(session: Session, _flush_context) -> None:
    from web.models.audit import AuditEntry

    actor = session.info.get("actor") or SYSTEM
    rows = []
    for obj in session.new:
        if getattr(obj, "__audit__", True) and hasattr(obj, "__table__"):
            rows.append(_entry(obj, "create", {"after": _snapshot(obj, getattr(obj, "__audit_redact__", set()))}, actor))
    for obj in session.dirty:
        if getattr(obj, "__audit__", True) and hasattr(obj, "__table__") and session.is_modified(obj):
            before, after = _changes(obj, getattr(obj, "__audit_redact__", set()))
            if after:
                rows.append(_entry(obj, "update", {"before": before, "after": after}, actor))
    for obj in session.deleted:
        if getattr(obj, "__audit__", True) and hasattr(obj, "__table__"):
            rows.append(_entry(obj, "delete", {"before": _snapshot(obj, getattr(obj, "__audit_redact__", set()))}, actor))
    if rows:
        # A core insert: adding ORM objects inside a flush is not allowed.
        session.connection().execute(insert(AuditEntry.__table__), rows)


# Tables no cached document is built from: changing them (a login, a token used, a call) must not throw
# away every process's compiled dialplans. Everything else with a tenant counts, audited or not. Runtime
# state changes with every call and is read when FreeSWITCH fetches, never built into a document: a
# change per call that bumped the generation would rebuild the whole company at every fetch (#20).
NOT_CONFIG = frozenset({"account", "api_token", "login_session", "login_attempt", "one_time_link",
                        "recovery_code", "audit_entry",
                        # the bridge's traffic and what it owes: calls, registrations, agents' status,
                        # blocked addresses, the outbox (documents that show these, such as
                        # callcenter.conf or acl.conf, are built uncached or keyed on their own), and who
                        # took each ring group's last call (web.xml_curl.dialplan.rotation_state), who is
                        # logged in on which hot-desking phone (web.xml_curl.directory.Directory)
                        "call_record", "call_rate", "active_call", "sip_registration", "queue_agent",
                        "blocked_address", "webhook_subscription", "outbox_message", "delivery_attempt",
                        "ring_group_state", "hot_desk_login", "recording",
                        # who gets which report mail, the usage limit, the periodic mails sent (mail only)
                        "report_subscription", "report_mail_setting", "report_mail_run",
                        # what the rules found of stored rows, kept across processes (web.models.row_check)
                        "row_check"})
# Columns written by call traffic that no document reads: the bridge's registration state of devices.
VOLATILE = {"device": frozenset({"registered", "registration_contact", "registration_user_agent",
                                 "registration_expires_at", "registration_source_ip"})}


def _config_tenant(obj, changed_only: bool) -> int | None:
    table = getattr(obj, "__table__", None)
    if table is None or table.name in NOT_CONFIG:
        return None
    if changed_only and table.name in VOLATILE:
        state = inspect(obj)
        changed = {key for key in _columns(obj) if state.attrs[key].history.has_changes()}
        if changed <= VOLATILE[table.name]:
            return None
    if table.name == "tenant":
        return obj.id
    return getattr(obj, "tenant_id", None)


@event.listens_for(Session, "before_flush")
def _bump_config_generation(session: Session, _flush_context, _instances) -> None:
    # Before the flush's own writes, not after: on PostgreSQL the UPDATE locks the tenant's row until
    # commit, and taking that lock first makes every transaction of a tenant take its locks in the same
    # order (tenant row, then the others), so two of them wait for each other instead of deadlocking.
    # A tenant being inserted has no id yet and nothing cached under it.
    touched = {_config_tenant(obj, False) for obj in session.new}
    touched |= {_config_tenant(obj, True) for obj in session.dirty if session.is_modified(obj)}
    touched |= {_config_tenant(obj, False) for obj in session.deleted}
    touched.discard(None)
    if touched:
        from web.models.tenant import Tenant

        table = Tenant.__table__
        # Sorted ids: two transactions touching the same tenants lock their rows in the same order.
        session.connection().execute(update(table).where(table.c.id.in_(sorted(touched)))
                                     .values(config_generation=table.c.config_generation + 1))
