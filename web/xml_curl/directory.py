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
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Optional


from callplan import outbound, recording
from callplan.base_dialplan import busy_counter
from callplan.objects import TenantObjects
from callplan.xml import Document, literal
from web.domain.callplan_snapshot import KeptChecks, snapshot
from web.db import session_scope
from web.models.device import Device
from web.models.voicemail_box import VoicemailBox
from web.scoping import scoped
from web.secretbox import open_sealed
from web.xml_curl import acl, cache

log = logging.getLogger("web.xml_curl")

FIELDS = ("domain", "user", "key", "action", "sip_auth_realm", "sip_auth_username", "tag_name", "key_value")
LISTING = ""  # the entries' key of the whole domain's listing (no name is empty)
LISTING_GROUP = "company"
CACHEABLE_MS = "60000"  # FreeSWITCH keeps an entry this long; flush_directory() drops it at once
NO_PHONE = {"sip-forbid-register": "true", "allow-empty-password": "false"}
# FreeSWITCH runs every variable whose name starts with execute_on_answer when the channel is answered
ON_A_CALL = "execute_on_answer_cp_busy"


@dataclass(frozen=True, slots=True)  # slots: a company's hundreds of entries stay in every process's cache
class Entry:
    document: bytes
    registers: bool  # a phone's SIP account: only these answer sip_auth


def answer(engine, settings, fields: dict) -> Optional[bytes]:
    """The document for a directory fetch, or None for "not found"."""
    domain, name = fields.get("domain", ""), fields.get("user", "")
    if not name and fields.get("tag_name") == "domain":
        # The whole domain, as mod_directory (dial by name) asks for it: only the key_value names it.
        return _entry(engine, settings, fields.get("key_value") or domain, LISTING)
    # Only lookups by id: entries carry no number-alias (mod_voicemail asks by id first, and by alias
    # only when that failed); publish-vm for "_all_" finds no entry and falls back to static XML.
    if not domain or not name or fields.get("key", "id") != "id":
        return None
    if fields.get("action", "") == "sip_auth":
        if fields.get("sip_auth_realm", domain) != domain or fields.get("sip_auth_username", name) != name:
            return None
        return _entry(engine, settings, domain, name, phones_only=True)
    return _entry(engine, settings, domain, name)


def _entry(engine, settings, domain: str, name: str, phones_only: bool = False) -> Optional[bytes]:
    tenant = cache.tenant_by_domain(engine, domain) if domain else None
    if tenant is None:
        return None
    tenant_id, generation = tenant
    directory = cache.of(engine).directories.get(tenant_id, generation, lambda: (build(engine, settings, tenant_id), None))
    entry = directory.entry(name, lambda: cache.hot_desk_logins(engine, tenant_id))
    if entry is None or (phones_only and not entry.registers):
        return None
    return entry.document


# --- the entries ------------------------------------------------------------------------------------


@dataclass
class _Parts:
    params: dict = field(default_factory=dict)
    variables: dict = field(default_factory=dict)
    registers: bool = False


def contact(name: str, domain: str, edge: str = "") -> str:
    """How a switch calls a phone. Alone: every registration of that account on this switch, on any
    profile ("error/user_not_registered" when none). Behind the SIP edge (kamailio/, CALLPLAN_SIP_EDGE):
    the account's address sent through the edge, which knows where the phone registered whichever
    switch took the registration (480 when it is nowhere), so a call on one switch reaches a phone
    registered through another."""
    if edge:
        return f"[sip_route_uri=sip:{edge};lr]sofia/internal/{name}@{domain}"
    return f"${{sofia_contact(*/{name}@{domain})}}"


def toll_allow(company) -> str:
    """FreeSWITCH's conventional call classes, from the company's outbound blocking (informative: the
    base dialplan enforces the blocking itself)."""
    blocked = {"mobile": company.block_mobile, "premium": bool(outbound.premium_blocked(company)),
               "international": company.block_international}
    return ",".join(["local", "domestic"] + [name for name, on in blocked.items() if not on])


def voicemail_params(box: VoicemailBox) -> dict:
    # No vm-mailto & co: the bridge mails messages (fs_bridge/notices.py, through the outbox, with
    # retries and both addresses) and deletes them after delivery when the box says so. Letting
    # mod_voicemail mail too would send every message twice, and its vm-keep-local-after-email=false
    # would delete the file before the bridge's leave-message event could be mailed.
    return {"vm-password": box.pin, "vm-enabled": "true"}


def hold_music(objects: TenantObjects) -> Optional[str]:
    """The company's music on hold as FreeSWITCH plays it, or None (FreeSWITCH's own, local_stream://moh).
    FreeSWITCH plays the `hold_music` of the channel that puts a call on hold to the other party
    (switch_core_media.c), so every leg of the company's calls carries it: a phone's own calls (its entry's
    variables), a phone or user rung through `user/` (their entries' variables, set on the new leg), and a
    carrier's call (the public context). A queue's own music goes to its agents' legs as temp_hold_music,
    which FreeSWITCH prefers (callplan/nodes/queue.py)."""
    audio_id = objects.company.music_on_hold_audio_id
    return objects.audio_path(audio_id) if audio_id is not None and audio_id in objects.audio else None


def phone_variables(device, objects: TenantObjects, user=None) -> dict:
    """Channel variables of a phone's calls: its tenant's context, and what the base dialplan reads.
    `user`: whose calls they are (the phone's own user, or who is logged in on a hot-desking phone)."""
    # cp_tenant_id: whose calls these are, for the call records (web.domain.call_records), from the app
    variables = {"user_context": objects.domain, "cp_tenant_id": str(device.tenant_id)}
    if device.hot_desking:  # the hot-desk feature codes work on this phone only (callplan/base_dialplan.py)
        variables["cp_hot_desk"] = str(device.id)
    music = hold_music(objects)
    if music:
        variables["hold_music"] = music
    if user is None:  # a phone of nobody (a lobby phone) still registers and calls inside the company
        return {**variables, "effective_caller_id_name": literal(device.name), "default_language": objects.language}
    groups = sorted(group for group, members in objects.pickup_groups.items() if user.id in members)
    shown = outbound.caller_id(user, objects)
    # call waiting off: a call the phone makes counts, once answered, as the user being on a call
    busy = {ON_A_CALL: busy_counter(user.id)} if not user.call_waiting else {}
    return {
        **busy,
        # the user's calls recorded, or the in-call feature code bound, once the phone's call is answered
        **recording.user_leg_variables(user, objects),
        **variables,
        "effective_caller_id_name": literal(user.name or user.extension),
        "effective_caller_id_number": user.extension,
        "cp_user_id": str(user.id),
        "cp_extension": user.extension,
        "cp_outbound_cid": shown.number or "",
        "cp_withhold": "true" if shown.withheld else "false",
        "cp_pickup_group": str(groups[0]) if groups else "",
        "callgroup": f"pg{groups[0]}" if groups else "",
        "toll_allow": toll_allow(objects.company),
        # the prompts of the user's own calls (voicemail, its feature code) in the user's language
        "default_language": user.language,
    }


@dataclass(frozen=True)
class Phone:
    """What a phone's entry needs of its device row, kept with the cached directory."""

    id: int
    tenant_id: int
    sip_username: str
    name: str
    user_id: Optional[int]
    hot_desking: bool
    a1_hash: str


class Directory:
    """A tenant's directory: every name's entry as it is with nobody logged in on a hot-desking phone,
    and what is needed to make the entries that hot-desk logins change.

    Logins are call traffic (web.models.hot_desk): they never bump the configuration generation, so
    they are not in the cached entries. A fetch of a name a login can change (a hot-desking phone, a
    user allowed to hot-desk, the owner of a hot-desking phone) reads the tenant's logins (one indexed
    query) and makes that one entry; any other name is answered from the cache as before, and a company
    without hot-desking phones never asks.

    Such a company's directory is its entries alone: the snapshot and the rows they were made from are
    let go once the entries are made (every process caches every company's directory; the snapshot is
    most of what a company would otherwise cost, bench/tenants.py)."""

    def __init__(self, objects: TenantObjects, phones: list[Phone], boxes: dict[str, dict], edge: str = ""):
        self.objects, self.phones, self.boxes, self.edge = objects, phones, boxes, edge
        self.phone_by_name = {phone.sip_username: phone for phone in phones}
        self.user_by_extension = {user.extension: user for user in objects.users.values()}
        hot = [phone for phone in phones if phone.hot_desking]
        owners = {objects.users[p.user_id].extension for p in hot if p.user_id in objects.users}
        self.dynamic = ({p.sip_username for p in hot} | owners |
                        {u.extension for u in objects.users.values() if u.hot_desking}) if hot else set()
        self.entries = self._entries({})
        self.entries[LISTING] = Entry(_listing(objects), False)  # dial by name (mod_directory)
        if not self.dynamic:  # no entry is ever made again: only `entries` is read from now on
            self.objects, self.phones, self.boxes, self.phone_by_name, self.user_by_extension = None, [], {}, {}, {}
        # about what this holds, for the caches' budget (web.xml_curl.cache.Budget): the entries' text and
        # ~120 bytes around each, and what a company with hot-desking phones keeps (~2 kB per object)
        self.cached_size = sum(len(entry.document) + 120 for entry in self.entries.values()) + (
            2000 * (len(self.phones) + len(self.user_by_extension) + len(self.boxes)) if self.dynamic else 0)

    def entry(self, name: str, logins: Callable[[], dict[int, int]]) -> Optional[Entry]:
        """The entry of `name` now; `logins()` (device id -> user id) is asked only for a name a login changes."""
        if name not in self.dynamic:
            return self.entries.get(name)
        now = logins()
        if not now:
            return self.entries.get(name)
        return self._entry(name, self._phones_of(now), now)

    def user_of(self, phone: Phone, logins: dict[int, int]):
        """Whose calls the phone's are: who is logged in on it (a hot-desking phone, a user allowed to
        hot-desk), else its own user."""
        if phone.hot_desking and phone.id in logins:
            guest = self.objects.users.get(logins[phone.id])
            if guest is not None and guest.hot_desking:
                return guest
        return self.objects.users.get(phone.user_id) if phone.user_id is not None else None

    def _phones_of(self, logins: dict[int, int]) -> dict[int, list[str]]:
        """user id -> the phones that ring for the user now."""
        found = defaultdict(list)
        for phone in self.phones:
            user = self.user_of(phone, logins)
            if user is not None:
                found[user.id].append(phone.sip_username)
        return found

    def _entries(self, logins: dict[int, int]) -> dict[str, Entry]:
        phones_of = self._phones_of(logins)
        names = set(self.user_by_extension) | set(self.boxes) | set(self.phone_by_name)
        return {name: entry for name in names if (entry := self._entry(name, phones_of, logins)) is not None}

    def _entry(self, name: str, phones_of: dict[int, list[str]], logins: dict[int, int]) -> Optional[Entry]:
        objects, domain = self.objects, self.objects.domain
        part = _Parts()
        user = self.user_by_extension.get(name)
        if user is not None:
            phones = phones_of.get(user.id)
            part.params["dial-string"] = (
                ",".join(contact(phone, domain, self.edge) for phone in phones) if phones else "error/user_not_registered")
            if not user.call_waiting:
                # a call to the user, once answered on a phone, counts as the user being on a call (a dial-var
                # is a variable of the leg to the phone from the start; <variables> are set only after answer)
                part.params[f"dial-var-{ON_A_CALL}"] = busy_counter(user.id)
            # a call that rings the user is recorded on the user's leg once answered (callplan.recording)
            for variable, value in recording.user_leg_variables(user, objects).items():
                part.params[f"dial-var-{variable}"] = value
            music = hold_music(objects)
            if music:  # set on the leg that rings the user (mod_dptools' user endpoint)
                part.variables["hold_music"] = music
        if name in self.boxes:
            part.params.update(self.boxes[name])
        phone = self.phone_by_name.get(name)
        if phone is not None:
            part.registers = True
            part.params["a1-hash"] = phone.a1_hash
            # addresses blocked for guessing passwords are refused before the password is even checked
            part.params.update(acl.DIRECTORY_PARAMS)
            part.params.setdefault("dial-string", contact(phone.sip_username, domain, self.edge))
            owner = self.user_of(phone, logins)
            if owner is not None and owner.voicemail_box_id is not None:
                part.params["mwi-account"] = f"{owner.extension}@{domain}"  # the phone's message lamp
            part.variables = phone_variables(phone, objects, owner)
        if user is None and phone is None and name not in self.boxes:
            return None
        return Entry(_document(domain, name, part), part.registers)


def build(engine, settings, tenant_id: int) -> Directory:
    """Every name of the tenant's directory, as its finished document (and what hot-desk logins change)."""
    checks = KeptChecks(tenant_id)
    with session_scope(engine) as db:
        objects = snapshot(db, tenant_id, settings, checks)
        # rows the snapshot left out (a stored value no longer valid) get no entry: the others still do
        devices = [d for d in db.exec(scoped(Device, tenant_id).order_by(Device.id)).all() if d.id in objects.devices]
        boxes = [b for b in db.exec(scoped(VoicemailBox, tenant_id).order_by(VoicemailBox.id)).all()
                 if b.id in objects.voicemail_boxes]
    checks.write(engine)  # for the next process's first build (web.models.row_check)
    domain = objects.domain
    numbers: dict[str, dict] = {}
    for box in boxes:
        owner = objects.users.get(box.user_id) if box.user_id is not None else None
        number = box.extension or (owner.extension if owner else None)
        if number:
            numbers.setdefault(number, {}).update(voicemail_params(box))
    phones = []
    for device in devices:
        try:
            password = open_sealed(settings.secret_key, device.sip_password_sealed)
        except ValueError:
            log.error("device %s: SIP password sealed with another secret key; it cannot register", device.id)
            continue
        phones.append(Phone(id=device.id, tenant_id=device.tenant_id, sip_username=device.sip_username,
                            name=device.name, user_id=device.user_id if device.user_id in objects.users else None,
                            hot_desking=device.hot_desking,
                            a1_hash=hashlib.md5(f"{device.sip_username}:{domain}:{password}".encode()).hexdigest()))
    return Directory(objects, phones, numbers, settings.sip_edge)


def _listing(objects: TenantObjects) -> bytes:
    """The company's users by extension and name, in one group: what mod_directory searches when a caller
    dials by name (it reads `effective_caller_id_name` and the two directory-visible params, and calls the
    chosen user by id, the extension). Nothing else: no dial string, no credentials, and no phone may
    register or call as one of these entries."""
    document = Document("directory")
    domain = document.child(document.section, "domain", name=objects.domain)
    users = document.child(document.child(document.child(domain, "groups"), "group", name=LISTING_GROUP), "users")
    for user in sorted(objects.users.values(), key=lambda u: u.extension):
        if not user.name:
            continue
        entry = document.child(users, "user", id=user.extension)
        params = document.child(entry, "params")
        for key, value in {"directory-visible": "true", "directory-exten-visible": "true", **NO_PHONE}.items():
            document.child(params, "param", name=key, value=value)
        variables = document.child(entry, "variables")
        document.child(variables, "variable", name="effective_caller_id_name", value=literal(user.name))
    return document.to_string().encode()


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

