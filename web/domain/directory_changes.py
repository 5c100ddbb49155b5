"""Which directory entries (phones, extensions, boxes) a transaction changed, so FreeSWITCH's cached
copies of exactly those can be flushed after the commit (web/domain/switch.py flush_directory).
Both edges commit such changes: API requests and the bridge's feature codes."""

from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from web.models.device import Device
from web.models.pbx_user import PbxUser
from web.models.tenant import Tenant
from web.models.voicemail_box import VoicemailBox
from web.scoping import scoped

_CHANGED = "xml_curl.directory_changes"
# tables whose rows change every entry of their tenant (caller IDs, pickup groups, blocking, domain)
_TENANT_WIDE = frozenset({"tenant", "company_settings", "department", "phone_number", "verified_caller_id",
                          "pickup_group"})


def _values(obj, key: str) -> set:
    """The attribute's current value and, for an update, its value before."""
    history = inspect(obj).attrs[key].history
    values = set(history.added) | set(history.deleted) | set(history.unchanged)
    return {value for value in values if value is not None} or ({getattr(obj, key)} - {None})


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _flush_context) -> None:
    notes = None
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(getattr(obj, "__table__", None), "name", None)
        tenant_id = obj.id if table == "tenant" else getattr(obj, "tenant_id", None)
        if table is None or tenant_id is None:
            continue
        found = []
        if table == "device":
            found += [("name", tenant_id, name) for name in _values(obj, "sip_username")]
            found += [("user", tenant_id, user_id) for user_id in _values(obj, "user_id")]
        elif table == "pbx_user":
            found += [("name", tenant_id, number) for number in _values(obj, "extension")]
            found.append(("user", tenant_id, obj.id))
        elif table == "hot_desk_login":  # the phone's entry and the users whose phones it changes
            found += [("device", tenant_id, device_id) for device_id in _values(obj, "device_id")]
            found += [("user", tenant_id, user_id) for user_id in _values(obj, "user_id")]
        elif table == "voicemail_box":
            found += [("name", tenant_id, number) for number in _values(obj, "extension")]
            found += [("user", tenant_id, user_id) for user_id in _values(obj, "user_id")]
        elif table in _TENANT_WIDE:
            found.append(("tenant", tenant_id, None))
        if found:
            notes = session.info.setdefault(_CHANGED, set()) if notes is None else notes
            notes.update(found)


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def changed_sip_users(session: Session) -> list[str]:
    """The "name@domain" directory entries the session's flushed changes affect, for flush_directory()
    after the commit (call it before the session is closed; it reads the names it needs)."""
    notes = session.info.get(_CHANGED) or set()
    names: set[tuple[int, str]] = set()
    with session.no_autoflush:
        for kind, tenant_id, value in notes:
            if kind == "name":
                names.add((tenant_id, value))
            elif kind == "device":  # a hot-desking phone: its entry, and its own user's dial string
                device = session.get(Device, value)
                if device is not None:
                    names.add((tenant_id, device.sip_username))
                    owner = session.get(PbxUser, device.user_id) if device.user_id is not None else None
                    if owner is not None:
                        names.add((tenant_id, owner.extension))
            elif kind == "user":
                user = session.get(PbxUser, value)
                if user is not None:
                    names.add((tenant_id, user.extension))
                names.update((tenant_id, d.sip_username) for d in
                             session.exec(scoped(Device, tenant_id).where(Device.user_id == value)).all())
            else:
                names.update((tenant_id, d.sip_username) for d in session.exec(scoped(Device, tenant_id)).all())
                names.update((tenant_id, u.extension) for u in session.exec(scoped(PbxUser, tenant_id)).all())
                names.update((tenant_id, b.extension) for b in session.exec(scoped(VoicemailBox, tenant_id)).all()
                             if b.extension)
        domains = {}
        for tenant_id in {tenant_id for tenant_id, _ in names}:
            tenant = session.get(Tenant, tenant_id)
            if tenant is not None:
                domains[tenant_id] = tenant.sip_domain
    return sorted(f"{name}@{domains[tenant_id]}" for tenant_id, name in names if tenant_id in domains)
