"""Fallback routing (seed 003 "Notfall-Routing"): where a tenant's public numbers go when the app does
not answer FreeSWITCH's dialplan fetch (down, slow past the mod_xml_curl timeout, erroring).

FreeSWITCH then reads its static dialplan, which includes the file written here (path in
CALLPLAN_FALLBACK_DIALPLAN): for every tenant with a fallback setting, one extension that matches the
tenant's numbers and sends the call to an external number through the gateway, or plays an announcement
and/or takes a message in a voicemail box. It is included twice in the dialplan:

- in the `public` context (freeswitch/dialplan/public.xml), for the first fetch of a carrier's call;
- in the `global` context (freeswitch/dialplan/global.xml), for every later one. The app answers the
  public fetch by sending the call into its company's context (the company's SIP domain); when the fetch
  of that context fails or times out, mod_dialplan_xml finds no such context in the static dialplan and
  hunts `global` instead (mod_dialplan_xml.c, dialplan_hunt). The number is then E.164 (as the app
  transfers it), or, after a transfer inside the company's plan, still the carrier's request URI
  (`${sip_req_user}`): the extension matches either, so a call whose company context cannot be fetched,
  at any point, ends in that company's fallback routing, and one of a company without it in a 480
  (never "context not found", which the carrier gets as 404: "this number does not exist").

mod_voicemail only records into a box it finds in the directory, which is just as unreachable, so the
file also carries a directory `<domain>` per tenant with those boxes (they can neither register nor
call). The same file is included in the dialplan and in the directory section; each section reads only
its own elements.

The file is read by FreeSWITCH's pre-processor, which works line by line before any XML parsing: it
drops lines holding `<include>`, `</include>`, `<?` or "X-pre-process", runs `<!--#` commands and
expands `$${...}`. So the `<include>` wrapper stands on lines of its own, every element is on its own
line, and a line that would be touched is refused (`render` raises) instead of written mangled.
FreeSWITCH reads the file at start and on `reloadxml`: whoever calls `write()` must reload after it.
"""

from __future__ import annotations

import logging
import os
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Optional

from pydantic import ValidationError
from sqlmodel import Session, select

from callplan.objects import TenantObjects
from callplan.outbound import company_caller_id
from callplan.xml import Document, regex_literal, serialize
from web import side_effects
from web.domain.numbers import allowed_caller_ids
from web.models import Tenant
from web.models.audio import AudioFile
from web.models.company import AnnouncementFallback, CompanySettings, ExternalFallback, FallbackSettings  # noqa: F401
from web.models.pbx_user import PbxUser
from web.models.phone_number import PhoneNumber
from web.models.voicemail_box import VoicemailBox
from web.scoping import scoped

log = logging.getLogger(__name__)

# The gateway the call plans send calls out through (callplan/objects.py); the fallback uses the same.
GATEWAY = TenantObjects.model_fields["gateway"].default
RING_SECONDS = 60  # how long the external fallback number may ring
FIELDS = ("destination_number", "${sip_req_user}")  # what a fallback extension matches the numbers on
VOICEMAIL_PROFILE = "default"  # freeswitch/autoload_configs/voicemail.conf.xml


# -- the setting ------------------------------------------------------------------------------------


def configured(settings_row) -> Optional[FallbackSettings]:
    """The fallback setting of a company_settings row, None when there is none. Read with getattr so
    this works on the schema before the column exists."""
    raw = getattr(settings_row, "fallback", None) if settings_row is not None else None
    if not raw:
        return None
    return FallbackSettings.model_validate(raw)


# -- what each tenant gets --------------------------------------------------------------------------


@dataclass(frozen=True)
class TenantFallback:
    """One tenant's fallback, resolved against its objects: only what exists is used."""

    tenant_id: int
    domain: str
    numbers: tuple[str, ...]  # E.164
    company_number: Optional[str]
    external: Optional[str] = None  # E.164 number to bridge to
    announcement: Optional[str] = None  # audio file path as FreeSWITCH reads it
    box: Optional[str] = None  # the voicemail box's number in the directory


def _box_number(db: Session, tenant_id: int, box_id: int) -> Optional[str]:
    # As callplan.nodes.voicemail.box_number: a company box by its extension, a personal one by its user's.
    box = db.exec(scoped(VoicemailBox, tenant_id).where(VoicemailBox.id == box_id)).first()
    if box is None:
        return None
    if box.extension:
        return box.extension
    user = db.exec(scoped(PbxUser, tenant_id).where(PbxUser.id == box.user_id)).first() if box.user_id else None
    return user.extension if user else None


def resolve(db: Session, tenant: Tenant, setting: FallbackSettings, audio_dir: str) -> Optional[TenantFallback]:
    """The tenant's fallback as it can be routed now; None when nothing of it can (no numbers, or only
    objects that were deleted)."""
    numbers = tuple(sorted(row.number for row in db.exec(scoped(PhoneNumber, tenant.id)).all()))
    if not numbers:
        return None
    # what the company's calls out show (callplan.outbound): never a number it may not show
    allowed = allowed_caller_ids(db, tenant.id)
    shown = company_caller_id(SimpleNamespace(company_number=tenant.company_number, caller_ids=allowed))
    base = dict(tenant_id=tenant.id, domain=tenant.sip_domain, numbers=numbers, company_number=shown)
    destination = setting.destination
    if isinstance(destination, ExternalFallback):
        if destination.number in numbers:
            # the carrier would hand the call straight back, to the fallback again, and again
            log.error("tenant %s: fallback number is one of its own numbers; left out", tenant.id)
            return None
        return TenantFallback(**base, external=destination.number)
    announcement = box = None
    if destination.audio_id is not None:
        audio = db.exec(scoped(AudioFile, tenant.id).where(AudioFile.id == destination.audio_id)).first()
        if audio is not None:
            # the same file the dialplan plays (callplan.objects.TenantObjects.audio_path)
            announcement = TenantObjects(tenant_id=tenant.id, domain=tenant.sip_domain,
                                         audio_dir=audio_dir).audio_path(audio.id)
    if destination.voicemail_box_id is not None:
        box = _box_number(db, tenant.id, destination.voicemail_box_id)
    if announcement is None and box is None:
        return None
    return TenantFallback(**base, announcement=announcement, box=box)


def collect(db: Session, audio_dir: str, chosen: Optional[dict[int, FallbackSettings]] = None) -> list[TenantFallback]:
    """Every tenant's routable fallback, in tenant id order. `chosen` (tenant id -> setting) replaces
    the stored settings, to preview a change before it is saved."""
    result = []
    for tenant in db.exec(select(Tenant).order_by(Tenant.id)).all():
        if chosen is not None:
            setting = chosen.get(tenant.id)
        else:
            row = db.exec(scoped(CompanySettings, tenant.id)).first()
            try:
                setting = configured(row)
            except ValidationError:
                # Saved through the API it is valid; if not, the other tenants still get theirs.
                log.error("tenant %s: unreadable fallback setting, left out of the fallback dialplan", tenant.id)
                continue
        if setting is not None:
            resolved = resolve(db, tenant, setting, audio_dir)
            if resolved is not None:
                result.append(resolved)
    return result


# -- the file ---------------------------------------------------------------------------------------


def number_expression(numbers) -> str:
    """The numbers as carriers send them: +31..., 0031... or 31... (national forms vary by carrier and
    are not guessed)."""
    return r"^(?:\+|00)?(" + "|".join(regex_literal(number.lstrip("+")) for number in numbers) + ")$"


def _extension(document: Document, parent: ET.Element, fallback: TenantFallback) -> ET.Element:
    extension = document.child(parent, "extension", name=f"fallback_t{int(fallback.tenant_id)}")
    # either field matching is enough (regex="any"): the number dialled, or the carrier's request URI
    # after a transfer inside the company's plan (see the module's docstring)
    condition = document.child(extension, "condition", regex="any")
    for field in FIELDS:
        document.child(condition, "regex", field=field, expression=number_expression(fallback.numbers))

    def action(application: str, data: Optional[str] = None) -> None:
        document.child(condition, "action", application=application, data=data)

    # The call record tells the bridge this call was routed without the app, and for whom.
    action("set", f"cp_tenant_id={int(fallback.tenant_id)}")
    action("set", "cp_fallback=true")
    action("log", f"WARNING fallback routing for tenant {int(fallback.tenant_id)}: the app did not route it")
    if fallback.external:
        variables = [f"leg_timeout={RING_SECONDS}"]
        if fallback.company_number:  # as callplan.destinations.leg: out through the gateway as the company
            variables.append(f"origination_caller_id_number={fallback.company_number}")
        action("set", "hangup_after_bridge=true")
        action("bridge", f"[{','.join(variables)}]sofia/gateway/{GATEWAY}/{fallback.external}")
        action("hangup", "${originate_disposition}")
        return extension
    action("answer")
    if fallback.box:
        if fallback.announcement:
            # played by mod_voicemail instead of the box's greeting, then its "after the tone" prompt,
            # as the call plans' voicemail step does with its own greeting
            action("set", f"voicemail_greeting_path={fallback.announcement}")
        action("voicemail", f"{VOICEMAIL_PROFILE} {fallback.domain} {fallback.box}")
    else:
        action("playback", fallback.announcement)
    action("hangup", "NORMAL_CLEARING")
    return extension


def _domain(document: Document, parent: ET.Element, domain: str, boxes: list[str]) -> ET.Element:
    element = document.child(parent, "domain", name=domain)
    users = document.child(document.child(document.child(element, "groups"), "group", name="default"), "users")
    for box in boxes:
        params = document.child(document.child(users, "user", id=box), "params")
        # No password here: without these two, FreeSWITCH lets an entry with no password authenticate
        # with any password at all.
        document.child(params, "param", name="sip-forbid-register", value="true")
        document.child(params, "param", name="allow-empty-password", value="false")
    return element


# What FreeSWITCH's pre-processor acts on in any line (see the module docstring).
_PREPROCESSOR_MARKS = ("<include>", "</include>", "<?", "x-pre-process", "$${", "<!--#")


def _line(element: ET.Element) -> str:
    text = serialize(element)
    lowered = text.lower()
    for mark in _PREPROCESSOR_MARKS:
        if mark in lowered:
            raise ValueError(f"fallback dialplan line would be changed by FreeSWITCH's pre-processor ({mark!r})")
    return text


def render_fallbacks(fallbacks: list[TenantFallback]) -> str:
    """The fallback file for these tenants' fallbacks: an include fragment, one element per line."""
    document = Document("dialplan", description="fallback routing")
    holder = document.section
    lines = ["<include>", "<!-- written by the app (web/domain/fallback.py); changes here are overwritten -->"]
    for fallback in fallbacks:
        lines.append(_line(_extension(document, holder, fallback)))
    boxes: dict[str, list[str]] = {}
    for fallback in fallbacks:
        if fallback.box:
            boxes.setdefault(fallback.domain, []).append(fallback.box)
    for domain, numbers in boxes.items():
        lines.append(_line(_domain(document, holder, domain, sorted(set(numbers)))))
    lines.append("</include>")
    return "\n".join(lines) + "\n"


def render(db: Session, audio_dir: str, chosen: Optional[dict[int, FallbackSettings]] = None) -> str:
    """The fallback file for every tenant's current fallback setting (see collect for `chosen`)."""
    return render_fallbacks(collect(db, audio_dir, chosen))


def write(path: str | os.PathLike, db: Session, audio_dir: str,
          chosen: Optional[dict[int, FallbackSettings]] = None) -> bool:
    """Render and write the file atomically (a temporary file in the same folder, renamed over it), so
    FreeSWITCH never reads half a file. True when the content changed: then run `reloadxml`."""
    target = Path(path)
    text = render(db, audio_dir, chosen)
    try:
        if target.read_text() == text:
            return False
    except OSError:
        pass
    side_effects.happened("wrote the fallback dialplan")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)  # FreeSWITCH may run as another user; nothing in it is secret
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    return True
