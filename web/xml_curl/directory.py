"""The directory section: who may register and call, what their calls carry, and voicemail boxes.

FreeSWITCH looks a name up in a domain (= a tenant's SIP domain) for several reasons: digest auth of a
phone's REGISTER and INVITE (action=sip_auth, the name is the device's SIP username), ringing
`user/<name>@<domain>` (action=user_call: a user's extension, or a device in a ring group), and
mod_voicemail's box lookups (message-count, voicemail-lookup: the box's extension). FreeSWITCH caches
a `cacheable` answer under (key, name, domain) whatever the action was, so each name has ONE entry,
the same for every action: the device's credentials and channel variables, the user's dial string,
the box's voicemail parameters, as far as each exists for that name.

Credentials: the entry carries `a1-hash` = md5(name:realm:password), never the password itself. The
clear password then never reaches FreeSWITCH (its memory, its cache, mod_xml_curl's temporary files,
`xml_locate` output); the hash only works for this realm, and it is what sofia computes from a password
anyway. The realm is the tenant's domain: sofia's realm is the domain the phone names (challenge-realm
auto_from, no force-register-domain), so a request whose realm is anything else is refused.

An entry without a password would let anyone in: sofia treats a user with no password as
authenticated (allow-empty-password defaults to true). Entries that are not a phone's (a user's
extension, a company box) therefore carry `sip-forbid-register=true` and `allow-empty-password=false`,
and sip_auth answers "not found" for them even before FreeSWITCH would read those."""

from __future__ import annotations

import hashlib
import logging
import re
import socket
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Optional

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from callplan import outbound
from callplan.objects import TenantObjects
from callplan.xml import Document, literal
from web.callplan_snapshot import snapshot
from web.db import session_scope
from web.models.device import Device
from web.models.pbx_user import PbxUser
from web.models.tenant import Tenant
from web.models.voicemail_box import VoicemailBox
from web.scoping import scoped
from web.secretbox import open_sealed
from web.xml_curl import acl, cache

log = logging.getLogger("web.xml_curl")

FIELDS = ("domain", "user", "key", "action", "sip_auth_realm", "sip_auth_username")
CACHEABLE_MS = "60000"  # FreeSWITCH keeps an entry this long; flush_directory() drops it at once
FLUSH_ALL_ABOVE = 100  # more names than this: one command that empties FreeSWITCH's whole user cache
NO_PHONE = {"sip-forbid-register": "true", "allow-empty-password": "false"}


@dataclass(frozen=True)
class Entry:
    document: bytes
    registers: bool  # a phone's SIP account: only these answer sip_auth


def answer(engine, settings, fields: dict) -> Optional[bytes]:
    """The document for a directory fetch, or None for "not found"."""
    domain, name = fields.get("domain", ""), fields.get("user", "")
    # Only lookups by id: entries carry no number-alias (mod_voicemail asks by id first, and by alias
    # only when that failed), and whole-domain lookups (publish-vm for "_all_", groups) fall back to
    # static XML.
    if not domain or not name or fields.get("key", "id") != "id":
        return None
    action = fields.get("action", "")
    if action == "sip_auth":
        if fields.get("sip_auth_realm", domain) != domain or fields.get("sip_auth_username", name) != name:
            return None
    tenant = cache.tenant_by_domain(engine, domain)
    if tenant is None:
        return None
    tenant_id, generation = tenant
    entries = cache.of(engine).directories.get(tenant_id, generation, lambda: (build(engine, settings, tenant_id), None))
    entry = entries.get(name)
    if entry is None or (action == "sip_auth" and not entry.registers):
        return None
    return entry.document


# --- the entries ------------------------------------------------------------------------------------


@dataclass
class _Parts:
    params: dict = field(default_factory=dict)
    variables: dict = field(default_factory=dict)
    registers: bool = False


def contact(name: str, domain: str) -> str:
    # every registration of that account, on any profile; "error/user_not_registered" when none
    return f"${{sofia_contact(*/{name}@{domain})}}"


def toll_allow(company) -> str:
    """FreeSWITCH's conventional call classes, from the company's outbound blocking (informative: the
    base dialplan enforces the blocking itself)."""
    blocked = {"mobile": company.block_mobile, "premium": company.block_premium,
               "international": company.block_international}
    return ",".join(["local", "domestic"] + [name for name, on in blocked.items() if not on])


def voicemail_params(box: VoicemailBox) -> dict:
    # No vm-mailto & co: the bridge mails messages (fs_bridge/notices.py, through the outbox, with
    # retries and both addresses) and deletes them after delivery when the box says so. Letting
    # mod_voicemail mail too would send every message twice, and its vm-keep-local-after-email=false
    # would delete the file before the bridge's leave-message event could be mailed.
    return {"vm-password": box.pin, "vm-enabled": "true"}


def phone_variables(device: Device, objects: TenantObjects) -> dict:
    """Channel variables of a phone's calls: its tenant's context, and what the base dialplan reads."""
    user = objects.users.get(device.user_id) if device.user_id is not None else None
    if user is None:  # a phone of nobody (a lobby phone) still registers and calls inside the company
        return {"user_context": objects.domain, "effective_caller_id_name": literal(device.name)}
    groups = sorted(group for group, members in objects.pickup_groups.items() if user.id in members)
    shown = outbound.caller_id(user, objects)
    return {
        "user_context": objects.domain,
        "effective_caller_id_name": literal(user.name or user.extension),
        "effective_caller_id_number": user.extension,
        "cp_user_id": str(user.id),
        "cp_extension": user.extension,
        "cp_outbound_cid": shown.number or "",
        "cp_withhold": "true" if shown.withheld else "false",
        "cp_pickup_group": str(groups[0]) if groups else "",
        "callgroup": f"pg{groups[0]}" if groups else "",
        "toll_allow": toll_allow(objects.company),
    }


def build(engine, settings, tenant_id: int) -> dict[str, Entry]:
    """Every name of the tenant's directory, as its finished document."""
    with session_scope(engine) as db:
        objects = snapshot(db, tenant_id, settings)
        devices = db.exec(scoped(Device, tenant_id).order_by(Device.id)).all()
        boxes = db.exec(scoped(VoicemailBox, tenant_id).order_by(VoicemailBox.id)).all()
    domain = objects.domain
    parts: dict[str, _Parts] = defaultdict(_Parts)
    phones_of = defaultdict(list)
    for device in devices:
        if device.user_id is not None:
            phones_of[device.user_id].append(device.sip_username)
    for user in objects.users.values():
        phones = phones_of.get(user.id)
        parts[user.extension].params["dial-string"] = (
            ",".join(contact(name, domain) for name in phones) if phones else "error/user_not_registered")
    for box in boxes:
        owner = objects.users.get(box.user_id) if box.user_id is not None else None
        number = box.extension or (owner.extension if owner else None)
        if number:
            parts[number].params.update(voicemail_params(box))
    for device in devices:
        try:
            password = open_sealed(settings.secret_key, device.sip_password_sealed)
        except ValueError:
            log.error("device %s: SIP password sealed with another secret key; it cannot register", device.id)
            continue
        part = parts[device.sip_username]
        part.registers = True
        part.params["a1-hash"] = hashlib.md5(f"{device.sip_username}:{domain}:{password}".encode()).hexdigest()
        # addresses blocked for guessing passwords are refused before the password is even checked
        part.params.update(acl.DIRECTORY_PARAMS)
        part.params.setdefault("dial-string", contact(device.sip_username, domain))
        user = objects.users.get(device.user_id) if device.user_id is not None else None
        if user is not None and user.voicemail_box_id is not None:
            part.params["mwi-account"] = f"{user.extension}@{domain}"  # the phone's message lamp
        part.variables = phone_variables(device, objects)
    return {name: Entry(_document(domain, name, part), part.registers) for name, part in parts.items()}


def _document(domain: str, name: str, part: _Parts) -> bytes:
    document = Document("directory")
    user = document.child(document.child(document.section, "domain", name=domain), "user", id=name,
                          cacheable=CACHEABLE_MS)
    params = part.params if part.registers else {**part.params, **NO_PHONE}
    element = document.child(user, "params")
    for key, value in params.items():
        document.child(element, "param", name=key, value=value)
    if part.variables:
        element = document.child(user, "variables")
        for key, value in part.variables.items():
            document.child(element, "variable", name=key, value=value)
    return document.to_string().encode()


# --- telling FreeSWITCH to forget an entry ------------------------------------------------------------

_NAME = re.compile(r"^[A-Za-z0-9_.+-]{1,64}@[a-z0-9.-]{1,253}$")


class EslError(Exception):
    pass


class _Frames:
    """Reads event-socket frames: headers up to a blank line, then Content-Length bytes of body."""

    def __init__(self, sock: socket.socket, deadline: float):
        self.sock, self.deadline, self.buffer = sock, deadline, b""

    def _fill(self) -> None:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise EslError("timed out")
        self.sock.settimeout(remaining)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EslError("connection closed")
        self.buffer += chunk

    def next(self) -> tuple[dict, str]:
        while b"\n\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\n\n", 1)
        headers = dict(line.split(": ", 1) for line in head.decode(errors="replace").split("\n") if ": " in line)
        length = int(headers.get("Content-Length", "0") or 0)
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return headers, body.decode(errors="replace")


def esl_api(host: str, port: int, password: str, commands: Iterable[str], timeout: float = 2.0) -> list[str]:
    """Run `api <command>` for each command on one inbound event-socket connection; their replies.
    Blocking, and bounded: the whole exchange gives up after `timeout` seconds."""
    commands = list(commands)
    for command in commands:
        if "\n" in command or "\r" in command:
            raise EslError("a command cannot span lines")  # it would smuggle a second ESL command
    deadline = time.monotonic() + timeout
    with socket.create_connection((host, port), timeout=timeout) as sock:
        frames = _Frames(sock, deadline)
        if frames.next()[0].get("Content-Type") != "auth/request":
            raise EslError("no auth request")
        sock.sendall(f"auth {password}\n\n".encode())
        if not frames.next()[0].get("Reply-Text", "").startswith("+OK"):
            raise EslError("auth refused")
        replies = []
        for command in commands:
            sock.sendall(f"api {command}\n\n".encode())
            while True:
                headers, body = frames.next()
                if headers.get("Content-Type") == "api/response":
                    replies.append(body)
                    break
        try:
            sock.sendall(b"exit\n\n")
        except OSError:
            pass
        return replies


def flush_directory(users: Iterable[str], settings, timeout: float = 2.0) -> bool:
    """Make FreeSWITCH forget its cached directory entries for these "name@domain"s (the next lookup
    asks the app again). False, logged, when FreeSWITCH cannot be told: its copies then expire after
    CACHEABLE_MS."""
    commands = []
    for user in users:
        if not _NAME.match(user):
            log.warning("not flushing %r: not a directory name", user)
            continue
        name, domain = user.split("@", 1)
        commands.append(f"xml_flush_cache id {name} {domain}")
    if not commands:
        return True
    if len(commands) > FLUSH_ALL_ABOVE:
        # a company-wide change (caller IDs, pickup groups) touches every entry of the tenant: emptying
        # the cache is one command, and the entries are fetched again as they are needed
        commands = ["xml_flush_cache"]
    try:
        esl_api(settings.esl_host, settings.esl_port, settings.esl_password, commands, timeout)
        return True
    except (OSError, EslError) as exc:
        log.warning("could not flush %d directory entries in FreeSWITCH: %s", len(commands), exc)
        return False


# --- which entries a transaction changed ----------------------------------------------------------------

_CHANGED = "xml_curl.directory_changes"
# tables whose rows change every entry of their tenant (caller IDs, pickup groups, blocking, domain)
_TENANT_WIDE = frozenset({"tenant", "company_settings", "department", "phone_number", "pickup_group"})


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
