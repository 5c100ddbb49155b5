"""Call records: what FreeSWITCH tells us about a finished call, from either of its two sources, turned
into the same facts and stored once per call uuid.

The sources (both real FreeSWITCH 1.10 formats, see ../shared/fixtures/freeswitch-1.10.12):

- mod_xml_cdr's XML (`from_xml`): every channel variable as its own element with a URL-encoded value
  (switch_ivr_set_xml_chan_var), a variable holding an array (the dialplan's `push`) as one element per
  entry; one <callflow> per caller profile, newest first (a transfer adds one), each with the other leg's
  profile under <originator> (we are a B leg) or <originatee> (we bridged to someone).
- the CHANNEL_HANGUP_COMPLETE event (`from_event`): `variable_<name>` headers, an array as one value
  "ARRAY::a|:b|:c" (switch_event_base_add_header; a single push is just "a"), the current caller profile
  as Caller-* headers, the other leg's as Other-Leg-* with Other-Type originator/originatee.

`store(db, facts, source)` inserts or merges by call uuid, so the same call posted twice, or arriving as a
CDR and as an event in either order, is one record. The CDR is the durable, complete source: where both
know a field, its value wins; the event only fills what is still empty. B legs (mod_xml_cdr's
log-b-leg, mod_callcenter's agent legs) never become records: they only tell their A leg who answered.
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
import os
import re
import time
import weakref
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Callable, Iterable, Mapping, Optional
from urllib.parse import unquote, unquote_plus

import phonenumbers
from sqlalchemy import JSON, bindparam, insert as core_insert
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, select

from callplan import home, outbound
from web import clock
from web.models.call_record import CallRate, CallRecord

log = logging.getLogger("web.domain.call_records")

ARRAY_PREFIX = "ARRAY::"
ARRAY_SEPARATOR = "|:"
PUBLIC_CONTEXT = "public"  # where carriers' calls arrive (freeswitch/sip_profiles/external.xml)
EXTERNAL_PROFILE = "external"
MAX_INTERNAL_LENGTH = 6  # extensions are at most 4 digits; feature codes like *98 and *21201 stay internal
DEFAULT_COUNTRY = "NL"
BLOCKED_BY = ("company", "user")  # cp_blocked's values (callplan.blocking.screen)
_AGENT = re.compile(r"^u([0-9]{1,18})@")  # mod_callcenter agent names: u<user id>@<domain> (web.xml_curl.configuration)
_HOME_ORIGIN = re.compile(r"[0-9A-Za-z-]{8,64}")  # a switch's call uuid, as a hand-over carries it
_DIGITS = re.compile(r"[\s\-./()]")


class NotACdr(ValueError):
    """The text is not a call record FreeSWITCH could have written."""


@dataclass
class Facts:
    """One channel's call as both sources describe it."""

    call_uuid: str
    b_leg_of: Optional[str] = None  # a B leg: the A leg's uuid (originator / cc_member_session_uuid)
    # the home switch's leg of a call another switch handed to it (callplan.home; b_leg_of is that switch's
    # uuid): the same call going on there, its steps and who answered added to that call's record
    continues: bool = False
    tenant_id: Optional[int] = None  # cp_tenant_id, when the dialplan set it
    domains: list[str] = field(default_factory=list)  # candidates for the tenant's SIP domain, best first
    inbound: bool = False  # arrived from a carrier (public context / external profile)
    via_gateway: bool = False  # bridged or sent out through a gateway
    caller_number: str = ""  # a phone's call: the user's extension (the phone is caller_device)
    caller_name: str = ""
    caller_device: str = ""  # the SIP username a phone called from, when it is not the number shown
    dialled_number: str = ""
    callee_number: str = ""
    started_at: Optional[datetime] = None
    answered_at: Optional[datetime] = None
    ended_at: Optional[datetime] = None
    duration_seconds: int = 0
    billed_seconds: int = 0
    hangup_cause: str = ""
    bridged: bool = False  # a person's phone (another leg) answered
    answered_candidates: list[str] = field(default_factory=list)  # numbers/extensions of who answered
    answered_user_id: Optional[int] = None  # known outright: cc_agent u<id>@..., a B leg's cp_user_id
    plan_id: Optional[int] = None
    plan_version: Optional[int] = None
    steps: list[dict] = field(default_factory=list)  # {"plan_id", "version", "step"} in the order taken
    blocked: str = ""  # cp_blocked: the dialplan turned the caller away (callplan.blocking): "company", "user"

    def stored_steps(self) -> list[str]:
        return stored_steps(self.steps, self.plan_id, self.plan_version)

    @property
    def is_b_leg(self) -> bool:
        return self.b_leg_of is not None


# --- the two sources ---------------------------------------------------------------------------------


def array_values(value: Optional[str]) -> list[str]:
    """A channel variable as a list: "ARRAY::a|:b" (two or more pushes) or a plain value (one)."""
    if value is None or value == "":
        return []
    if value.startswith(ARRAY_PREFIX):
        return value[len(ARRAY_PREFIX):].split(ARRAY_SEPARATOR)
    return [value]


def _profile_dict(element) -> dict[str, str]:
    return {child.tag: (child.text or "") for child in element if len(child) == 0} if element is not None else {}


def cdr_text(raw: bytes | str, content_type: str = "") -> str:
    """The XML of a CDR as mod_xml_cdr posts or spools it: the form field `cdr=` (URL-encoded, the
    default), the URL-encoded value alone (a spool file), base64 (encode=base64) or plain XML."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = text.strip()
    if text.startswith("cdr="):
        text = text[4:].split("&", 1)[0]
        if "base64" in content_type:
            try:
                return base64.b64decode(unquote_plus(text), validate=False).decode("utf-8", "replace")
            except (binascii.Error, ValueError):
                raise NotACdr("the cdr field is not base64")
        return unquote_plus(text)
    if text.startswith("<"):
        return text
    if text.startswith("%3C") or text.startswith("%3c"):
        return unquote_plus(text)
    raise NotACdr("neither XML nor a URL-encoded cdr field")


def from_xml(text: str) -> Facts:
    """Facts from mod_xml_cdr's document (the decoded value of the `cdr` field)."""
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise NotACdr("FreeSWITCH never sends a document type")  # and entities are how XML bombs work
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise NotACdr(f"not well-formed XML: {exc}")
    if root.tag != "cdr":
        raise NotACdr("the root element is not <cdr>")
    # the values as written (URL-encoded), decoded when read: a record has ~200 variables, the facts read ~40
    variables: dict[str, list[str]] = {}
    for element in root.find("variables") if root.find("variables") is not None else ():
        variables.setdefault(element.tag, []).append(element.text or "")

    def var(name: str) -> Optional[str]:
        values = variables.get(name)
        return unquote(values[-1]) if values else None

    def array(name: str) -> list[str]:
        return [unquote(value) for value in variables.get(name, ())]

    callflows = root.findall("callflow")
    current = _profile_dict(callflows[0].find("caller_profile")) if callflows else {}
    original = _profile_dict(callflows[-1].find("caller_profile")) if callflows else {}
    other_kind, other = "", {}
    if callflows:
        profile = callflows[0].find("caller_profile")
        for kind in ("originator", "originatee"):
            found = profile.find(f"{kind}/{kind}_caller_profile") if profile is not None else None
            if found is not None:
                other_kind, other = kind, _profile_dict(found)
                break
    facts = _facts(var, array, current, original, other_kind, other)
    if not facts.call_uuid:
        raise NotACdr("no call uuid")
    return facts


_PROFILE_HEADERS = {
    "caller_id_name": "Caller-ID-Name", "caller_id_number": "Caller-ID-Number", "destination_number": "Destination-Number",
    "context": "Context", "rdnis": "RDNIS", "callee_id_number": "Callee-ID-Number", "callee_id_name": "Callee-ID-Name",
    "chan_name": "Channel-Name", "uuid": "Unique-ID", "source": "Source",
}


def from_event(headers: Mapping[str, str]) -> Facts:
    """Facts from a CHANNEL_HANGUP_COMPLETE event's (URL-decoded) headers, or the fs_bridge Event itself
    (anything with the mapping's `get`: the event decodes only the headers read here)."""
    if hasattr(headers, "index_headers"):
        headers.index_headers()  # some forty headers are read below
    current = {key: headers.get(f"Caller-{name}", "") for key, name in _PROFILE_HEADERS.items()}
    other_kind = headers.get("Other-Type", "")
    other = {key: headers.get(f"Other-Leg-{name}", "") for key, name in _PROFILE_HEADERS.items()} if other_kind else {}
    facts = _facts(lambda name: headers.get(f"variable_{name}"), lambda name: array_values(headers.get(f"variable_{name}")),
                   current, current, other_kind, other)
    if not facts.call_uuid:
        facts.call_uuid = headers.get("Unique-ID", "")
    if not facts.hangup_cause:
        facts.hangup_cause = headers.get("Hangup-Cause", "")
    return facts


def _epoch(value: Optional[str]) -> Optional[datetime]:
    """A *_uepoch variable (microseconds; "0" means never) as a UTC instant."""
    if not value or not value.isdigit() or int(value) == 0:
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1_000_000, tz=timezone.utc)
    except (OverflowError, ValueError, OSError):
        return None  # not a time any clock could have told; the record keeps the rest


def _int(value: Optional[str]) -> int:
    # an INTEGER column: a number no call lasts is no number at all
    return int(value) if value and value.isdigit() and len(value) <= 9 else 0


def _facts(var: Callable[[str], Optional[str]], array: Callable[[str], list[str]], current: dict, original: dict,
           other_kind: str, other: dict) -> Facts:
    facts = Facts(call_uuid=var("uuid") or current.get("uuid") or "")
    # B legs: FreeSWITCH's originator (bridge, originate with a session), and mod_callcenter's agent legs,
    # which it originates on their own and bridges to the member afterwards (mod_callcenter.c)
    if other_kind == "originator" or var("originator"):
        facts.b_leg_of = var("originator") or other.get("uuid") or ""
    elif var("cc_side") == "agent" and var("cc_member_session_uuid"):
        facts.b_leg_of = var("cc_member_session_uuid")
    elif _HOME_ORIGIN.fullmatch(var(home.ORIGIN_VARIABLE) or ""):
        # the home switch's leg of a call another switch handed to it (callplan.home): the same call, so
        # it only completes that switch's record (who answered), like a B leg; the home switch's public
        # context set this only for a hand-over with the installation's token
        facts.b_leg_of = var(home.ORIGIN_VARIABLE)
        facts.continues = True
    # The company is what the app itself routed, never what the caller wrote: cp_tenant_id (the directory
    # gives it to every phone, the public context and the fallback dialplan set it), the domain a phone
    # authenticated in (domain_name; the public context sets it too), the contexts the app's dialplan and
    # directory put the call in, the domain the app's dial string rang. Not sip_req_host or sip_to_host:
    # any caller writes those, and a call to nobody's number would be filed under whoever they name.
    tenant = var("cp_tenant_id")
    facts.tenant_id = int(tenant) if tenant and tenant.isdigit() and len(tenant) <= 18 else None
    for candidate in (var("domain_name"), current.get("context"), original.get("context"), var("dialed_domain")):
        if candidate and candidate not in facts.domains and candidate not in (PUBLIC_CONTEXT, "default"):
            facts.domains.append(candidate)
    facts.inbound = original.get("context") == PUBLIC_CONTEXT or current.get("context") == PUBLIC_CONTEXT \
        or var("sofia_profile_name") == EXTERNAL_PROFILE
    facts.caller_number = original.get("caller_id_number") or var("caller_id_number") or ""
    facts.caller_name = original.get("caller_id_name") or ""
    # A phone writes its SIP username (random, web.api.devices) as the caller; the directory gave its
    # channel the user's extension and name (web.xml_curl.directory.phone_variables): people read those,
    # and the phone is kept as a detail.
    extension = var("cp_extension")
    if extension and not facts.inbound:
        if facts.caller_number and facts.caller_number != extension:
            facts.caller_device = facts.caller_number
        facts.caller_number = extension
        facts.caller_name = var("effective_caller_id_name") or facts.caller_name
    # What the caller dialled: our outbound extension keeps it in cp_dialled; for SIP calls the request
    # URI's user is what the dialplan first matched; else the first caller profile's destination
    facts.dialled_number = var("cp_dialled") or var("sip_req_user") or original.get("destination_number") or ""
    facts.started_at = _epoch(var("start_uepoch"))
    facts.answered_at = _epoch(var("answer_uepoch"))
    facts.ended_at = _epoch(var("end_uepoch"))
    facts.duration_seconds = _int(var("duration"))
    facts.billed_seconds = _int(var("billsec"))
    facts.hangup_cause = var("hangup_cause") or ""
    # Who answered. A leg: mod_callcenter names the agent (cc_agent, set on the member channel when
    # bridged); a bridge leaves last_bridge_to (the other leg's uuid) and bridge_uepoch, and the other leg's
    # profile (originatee) says whom it dialled
    agent = var("cc_agent") or ""
    match = _AGENT.match(agent)
    if match and (var("cc_agent_uuid") or var("cc_side") == "member"):
        facts.answered_user_id = int(match.group(1))
        facts.bridged = True
    if var("last_bridge_to") and _epoch(var("bridge_uepoch")) is not None:
        facts.bridged = True
    # the other leg's channel ("sofia/internal/202@..." or "sofia/gateway/default/0612..."): its profile's,
    # and bridge_channel, which a real FreeSWITCH sets on the A leg when it bridges
    chan_names = [other.get("chan_name", "") if other_kind == "originatee" else "", var("bridge_channel") or ""]
    if facts.bridged:
        for candidate in (other.get("destination_number"), other.get("callee_id_number"), var("callee_id_number"),
                          var("last_sent_callee_id_number"), *(_user_of_channel(name) for name in chan_names)):
            if candidate and candidate not in facts.answered_candidates:
                facts.answered_candidates.append(candidate)
    if facts.bridged and any(home.PREFIX in (text or "") for text in (other.get("destination_number"), *chan_names)):
        # bridged to the home switch (a hand-over, callplan.home): the call went on there, nobody took it
        # here; the home switch's leg tells who did (_continue_call)
        facts.bridged, facts.answered_candidates = False, []
    facts.via_gateway = any("/gateway/" in name for name in chan_names) or "sofia/gateway/" in (var("last_arg") or "")
    if facts.is_b_leg and not facts.continues:
        # a B leg's own user: the directory's variables (web.xml_curl.directory) or the dialled user
        user_id = var("cp_user_id")
        facts.answered_user_id = int(user_id) if user_id and user_id.isdigit() else facts.answered_user_id
        facts.answered_candidates = [c for c in (var("dialed_user"), var("cp_extension"), current.get("destination_number"))
                                     if c]
        facts.bridged = facts.answered_at is not None
    # the hand-over's own number (cp-home-...) is where the call went, never who took it
    facts.answered_candidates = [c for c in facts.answered_candidates if not c.startswith(home.PREFIX)]
    facts.callee_number = (facts.answered_candidates[0] if facts.answered_candidates else "") or facts.dialled_number
    plan, version = var("cp_plan"), var("cp_version")
    facts.plan_id = int(plan) if plan and plan.isdigit() else None
    facts.plan_version = int(version) if version and version.isdigit() else None
    facts.steps = parse_path(array("cp_path"))
    blocked = var("cp_blocked") or ""
    facts.blocked = blocked if blocked in BLOCKED_BY else ""
    if facts.steps:
        # the plan the call entered (its first mark); cp_plan is overwritten when a plan transfers to another
        facts.plan_id, facts.plan_version = facts.steps[0]["plan_id"], facts.steps[0]["version"]
    return facts


def _user_of_channel(name: str) -> str:
    """"sofia/internal/201@10.0.0.5:5060" -> "201"; "user/201@acme" -> "201"."""
    if not name:
        return ""
    tail = name.rsplit("/", 1)[-1]
    return tail.split("@", 1)[0] if "@" in tail else ""


def parse_path(values: Iterable[str]) -> list[dict]:
    """The steps from cp_path's entries, "<plan>:<version>:<step>" each (callplan.engine), in order."""
    steps = []
    for value in values:
        plan, _, rest = value.partition(":")
        version, _, step = rest.partition(":")
        if plan.isdigit() and version.isdigit() and step:
            steps.append({"plan_id": int(plan), "version": int(version), "step": step})
    return steps


def stored_steps(steps: list[dict], plan_id: Optional[int], version: Optional[int]) -> list[str]:
    """The record's `steps` column: the ids of the steps taken, in order. A step of another plan than the
    record's own (the call was transferred into it) keeps its whole mark, "<plan>:<version>:<step>"."""
    return [s["step"] if (s["plan_id"], s["version"]) == (plan_id, version) else f"{s['plan_id']}:{s['version']}:{s['step']}"
            for s in steps]


def read_steps(stored: list, plan_id: Optional[int], version: Optional[int]) -> list[dict]:
    """The `steps` column back as {"plan_id", "version", "step"} (the inverse of stored_steps)."""
    steps = []
    for entry in stored or []:
        if isinstance(entry, str) and entry.count(":") >= 2:
            parsed = parse_path([entry])
            if parsed:
                steps.extend(parsed)
                continue
        steps.append({"plan_id": plan_id, "version": version, "step": str(entry)})
    return steps


# --- what kind of number, what it costs --------------------------------------------------------------


def tenant_country(db: Session, tenant_id: Optional[int]) -> str:
    """The tenant's country: of its company number (as the dialplan snapshot decides it), else of its
    public numbers, else of its time zone; NL when none tells."""
    if tenant_id is None:
        return DEFAULT_COUNTRY
    from web.models.phone_number import PhoneNumber
    from web.models.tenant import Tenant

    tenant = db.get(Tenant, tenant_id)
    if tenant is None:
        return DEFAULT_COUNTRY
    if tenant.company_number:
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(tenant.company_number, None))
            if region:
                return region
        except phonenumbers.NumberParseException:
            pass
    country = db.exec(select(PhoneNumber.country).where(PhoneNumber.tenant_id == tenant_id, PhoneNumber.country != "")
                      .order_by(PhoneNumber.id)).first()
    if country:
        return country
    return _zone_countries().get(tenant.timezone, DEFAULT_COUNTRY)


_ZONES: dict[str, str] = {}


def _zone_countries() -> dict[str, str]:
    """Time zone -> ISO country from the system's tz database (zone.tab), read once."""
    if not _ZONES:
        for path in ("/usr/share/zoneinfo/zone.tab", "/usr/share/zoneinfo/zone1970.tab"):
            try:
                for line in Path(path).read_text(encoding="utf-8").splitlines():
                    if line and not line.startswith("#"):
                        parts = line.split("\t")
                        if len(parts) >= 3:
                            _ZONES.setdefault(parts[2], parts[0].split(",")[0])
            except OSError:
                continue
        _ZONES.setdefault("", DEFAULT_COUNTRY)
    return _ZONES


def _clean(number: str) -> str:
    return _DIGITS.sub("", number or "")


def is_internal_number(number: str) -> bool:
    number = _clean(number)
    return bool(number) and len(number) <= MAX_INTERNAL_LENGTH and not number.startswith(("0", "+")) \
        and all(c.isdigit() or c in "*#" for c in number)


def classify(number: str, country: str = DEFAULT_COUNTRY) -> tuple[str, Optional[str]]:
    """(call type, E.164 form) of a number as dialled in `country`: emergency (the country's own numbers,
    by phonenumbers' short-number data), internal (an extension), else phonenumbers' number type
    (international when the number is another country's)."""
    number = _clean(number)
    if not number:
        return "unknown", None
    if number in outbound.emergency_numbers(country) or phonenumbers.is_emergency_number(number, country):
        return "emergency", None
    if is_internal_number(number):
        return "internal", None
    try:
        parsed = phonenumbers.parse(number, country)
    except phonenumbers.NumberParseException:
        return "unknown", None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if phonenumbers.region_code_for_number(parsed) != country and \
            parsed.country_code != phonenumbers.country_code_for_region(country):
        return "international", e164
    kind = phonenumbers.number_type(parsed)
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return "mobile", e164
    if kind == phonenumbers.PhoneNumberType.PREMIUM_RATE:
        return "premium_rate", e164
    if kind == phonenumbers.PhoneNumberType.UNKNOWN and not phonenumbers.is_valid_number(parsed):
        return "unknown", e164
    return "national", e164


def price(rates: list, call_type: str, e164: Optional[str], billed_seconds: int) -> tuple[Optional[Decimal], Optional[str]]:
    """(cost, currency) by the rate with the longest prefix of the number, else the call type's rate;
    billed in whole increments (ceil), priced per minute, plus the setup price for a connected call.
    No matching rate: (None, None)."""
    rate = None
    if e164:
        by_prefix = [r for r in rates if r.prefix and e164.startswith(r.prefix)]
        if by_prefix:
            rate = max(by_prefix, key=lambda r: len(r.prefix))
    if rate is None:
        rate = next((r for r in rates if not r.prefix and r.call_type == call_type), None)
    if rate is None:
        return None, None
    if billed_seconds <= 0:
        return Decimal("0.0000"), rate.currency  # never connected: nothing to pay
    increment = max(1, int(rate.increment_seconds))
    seconds = math.ceil(billed_seconds / increment) * increment
    cost = Decimal(rate.setup_price) + Decimal(rate.price_per_minute) * Decimal(seconds) / Decimal(60)
    return cost.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP), rate.currency


# --- storing -------------------------------------------------------------------------------------------


def _default_lookup(db: Session) -> Callable[[str], Optional[int]]:
    from web.models.tenant import Tenant

    def lookup(domain: str) -> Optional[int]:
        return db.exec(select(Tenant.id).where(Tenant.sip_domain == domain)).first()

    return lookup


def resolve_tenant(db: Session, facts: Facts, lookup: Optional[Callable[[str], Optional[int]]] = None,
                   cache: Optional[dict] = None) -> Optional[int]:
    if facts.tenant_id is not None and _generation(db, facts.tenant_id, cache) is not None:
        return facts.tenant_id
    lookup = lookup or _default_lookup(db)
    for domain in facts.domains:
        tenant_id = lookup(domain)
        if tenant_id is not None:
            return tenant_id
    return None


def _direction(facts: Facts) -> str:
    if facts.inbound:
        return "inbound"
    if facts.via_gateway or not is_internal_number(facts.dialled_number):
        return "outbound"
    return "internal"


# Fields the normaliser fills; the merge takes them from the CDR when it knows them, from the event only
# while empty.
_SCALARS = ("caller_number", "caller_name", "caller_device", "callee_number", "dialled_number", "started_at", "answered_at", "ended_at",
            "duration_seconds", "billed_seconds", "hangup_cause", "plan_id", "plan_version", "blocked")


def _values(facts: Facts, tenant_id: Optional[int]) -> dict:
    values = {name: getattr(facts, name) for name in _SCALARS}
    for name, value in values.items():
        if isinstance(value, str) and "\x00" in value:
            values[name] = value.replace("\x00", "")  # PostgreSQL's text cannot hold NUL; a %00 is noise
    values["started_at"] = values["started_at"] or facts.ended_at or clock.now()
    for name in ("caller_number", "caller_device", "callee_number", "dialled_number"):
        values[name] = (values[name] or "")[:64]
    values["caller_name"] = (values["caller_name"] or "")[:100]
    values["hangup_cause"] = (values["hangup_cause"] or "")[:64]
    values["blocked"] = values["blocked"] or None
    values.update(tenant_id=tenant_id, call_uuid=facts.call_uuid[:64], direction=_direction(facts),
                  steps=facts.stored_steps())
    return values


def _empty(value) -> bool:
    return value is None or value == "" or value == 0 or value == []


_INSERTS: dict[tuple, object] = {}


def insert_ignoring_duplicates(db: Session, table, values: dict, unique: str) -> Optional[int]:
    """INSERT ... ON CONFLICT (unique) DO NOTHING RETURNING id: the new row's id, or None when a row with
    that key was there (no error: the caller's transaction stays usable, no savepoint needed). The
    statement is built once per table, dialect and columns (building one costs more than running it)."""
    dialect = db.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):  # pragma: no cover - look first (not safe against a race)
        if db.execute(select(table.c.id).where(table.c[unique] == values[unique])).first() is not None:
            return None
        return db.execute(core_insert(table).values(**values).returning(table.c.id)).scalar()
    key = (table.name, dialect, unique, tuple(sorted(values)))
    statement = _INSERTS.get(key)
    if statement is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        statement = _INSERTS[key] = (dialect_insert(table).values({name: bindparam(name) for name in key[3]})
                                     .on_conflict_do_nothing(index_elements=[unique]).returning(table.c.id))
    found = db.execute(statement, values).first()
    return found[0] if found is not None else None


_DERIVED = ("answered_by", "answered_by_user_id", "callee_number", "callee_device", "missed", "call_type", "cost", "currency")


def store(db: Session, facts: Facts, source: str, lookup: Optional[Callable[[str], Optional[int]]] = None,
          cache: Optional[dict] = None) -> tuple[Optional[CallRecord], bool]:
    """Insert or merge the call's record; (record, created). A B leg only completes its A leg's record
    (who answered) and returns (None, False). Safe when the same call arrives twice, from both sources in
    either order, and from two processes at once: the row is inserted with ON CONFLICT DO NOTHING (no
    error that would spoil the caller's transaction), and when it was there it is re-read under a row
    lock and merged. `cache` (a dict the caller keeps for one transaction) saves looking up a tenant's
    generation, people (People) and rates more than once per transaction."""
    cache = {} if cache is None else cache
    if facts.continues:
        _continue_call(db, facts, source, lookup, cache)
        return None, False
    if facts.is_b_leg:
        _complete_a_leg(db, facts, cache)
        return None, False
    if not facts.call_uuid:
        raise NotACdr("no call uuid")
    values, draft = _new_record(db, facts, source, lookup, cache, CallRecord)
    new_id = insert_ignoring_duplicates(db, CallRecord.__table__, values, "call_uuid")
    if new_id is not None:
        draft.id = new_id
        make_transient_to_detached(draft)  # the stored row, attached without reading it back
        db.add(draft)
        if draft.answered_by_user_id is not None or draft.answered_by:
            _ring_group_answered(db, draft, cache)
        return draft, True
    return _merge_into(db, values, facts, source, cache), False


def _merge_into(db: Session, values: dict, facts: Facts, source: str, cache: dict) -> CallRecord:
    """The call's stored record, read under a row lock, with these values merged in (store)."""
    row = db.exec(select(CallRecord).where(CallRecord.call_uuid == values["call_uuid"])
                  .with_for_update().execution_options(populate_existing=True)).one()
    was_answered = row.answered_by_user_id is not None or bool(row.answered_by)
    if _only_continued(row):
        # the home switch's leg of this call was stored first (_continue_call): this leg's own facts are the
        # call's, the home leg's steps follow its own and who answered there stays
        later = read_steps(row.steps, row.plan_id, row.plan_version)
        _merge(row, values, source, authoritative=True)
        row.steps = _followed_by(facts.stored_steps(), stored_steps(later, row.plan_id, row.plan_version))
    else:
        _merge(row, values, source)
    _finish(db, row, facts, source == "cdr", cache)
    db.add(row)
    db.flush()
    if not was_answered and (row.answered_by_user_id is not None or row.answered_by):
        _ring_group_answered(db, row, cache)
    return row


def _new_record(db: Session, facts: Facts, source: str, lookup, cache, kind) -> tuple[dict, object]:
    """The columns of the call's record as a new row, everything derived worked out first (so a new
    call costs one INSERT), and `kind(**values)` holding them (a CallRecord, or a Draft)."""
    tenant_id = resolve_tenant(db, facts, lookup, cache)
    values = _values(facts, tenant_id)
    values.update(sources=[source], created_at=clock.now(), updated_at=None)
    draft = kind(**values)
    _finish(db, draft, facts, True, cache)
    values.update({name: getattr(draft, name) for name in _DERIVED})
    return values, draft


class Draft:
    """A new record's fields while its row waits for the batch's INSERT (RecordBatch): what _finish,
    _ring_group_answered and the bridge's live message read, without building an ORM object (which
    cost as much as everything else about storing a record). `id` is set once the row is written."""

    _DEFAULTS = {"id": None, "answered_by": None, "answered_by_user_id": None, "callee_device": "", "missed": False,
                 "call_type": "unknown", "cost": None, "currency": None}

    def __init__(self, **values):
        self.__dict__.update(self._DEFAULTS)
        self.__dict__.update(values)


class RecordBatch:
    """Call records stored together: `add` works out a new call's record as `store` does and keeps its
    row; `flush` inserts the kept rows in one statement (INSERT ... ON CONFLICT (call_uuid) DO NOTHING
    RETURNING, executemany) and merges the few that were there already (a CDR came first, a replay)
    through `store`, as one by one. What depends on rows being there first (a B leg completing its A
    leg's record, a second hangup of a call kept here) flushes before it runs, so the outcome is the
    one-by-one outcome. `add` returns an object whose `record` is the stored record after flush."""

    def __init__(self, db: Session, lookup=None, cache: Optional[dict] = None):
        self.db, self.lookup, self.cache = db, lookup, cache
        self._rows: dict[str, tuple[dict, Facts, str, "Stored"]] = {}

    def add(self, facts: Facts, source: str) -> Optional["Stored"]:
        if facts.is_b_leg and not facts.continues and self._answered_here(facts):
            return None  # its A leg, in this batch, names who answered: the B leg has nothing to add
        if facts.is_b_leg or facts.call_uuid[:64] in self._rows:
            self.flush()
            record, _ = store(self.db, facts, source, self.lookup, self.cache)
            return Stored(record) if record is not None else None
        if not facts.call_uuid:
            raise NotACdr("no call uuid")
        values, draft = _new_record(self.db, facts, source, self.lookup, self.cache, Draft)
        stored = Stored(draft)
        self._rows[values["call_uuid"]] = (values, facts, source, stored)
        return stored

    def _answered_here(self, facts: Facts) -> bool:
        """The B leg's A leg waits in this batch with its answering user known: once inserted or merged its
        record keeps one (the merge works it out from the same facts when the stored row had none), so
        _complete_a_leg would change nothing."""
        kept = self._rows.get((facts.b_leg_of or "")[:64])
        return kept is not None and kept[3].record.answered_by_user_id is not None

    def flush(self) -> None:
        rows, self._rows = self._rows, {}
        if not rows:
            return
        db = self.db
        params = [values for values, _, _, _ in rows.values()]
        if db.get_bind().dialect.name == "postgresql":
            made = _insert_pipelined(db, params)
        else:
            statement = _batch_insert(db, tuple(params[0]))
            made = {uuid: id_ for id_, uuid in db.execute(statement, params)}
        cache = {} if self.cache is None else self.cache
        for uuid, (values, facts, source, stored) in rows.items():
            if uuid in made:
                stored.record.id = made[uuid]
                if stored.record.answered_by_user_id is not None or stored.record.answered_by:
                    _ring_group_answered(db, stored.record, cache)
            else:  # the row was there (a CDR came first): merged as one by one, its values worked out already
                stored.record = _merge_into(db, values, facts, source, cache)


class Stored:
    def __init__(self, record):
        self.record = record


_BATCH_INSERTS: dict[tuple, object] = {}
_PG_INSERTS: dict[tuple, str] = {}


def _insert_pipelined(db: Session, params: list[dict]) -> dict[str, int]:
    """PostgreSQL: the batch's rows as one psycopg executemany of a one-row INSERT ... ON CONFLICT
    (call_uuid) DO NOTHING RETURNING (pipelined, one statement text that psycopg prepares once).
    SQLAlchemy's own way, one INSERT with a VALUES list of the whole batch, made psycopg convert a new
    statement text of tens of thousands of parameters every batch: most of what storing a record cost.
    Columns the rows leave out get their model defaults, as SQLAlchemy would give them; JSON columns are
    sent as JSON, as its JSON type does. Returns call uuid -> id of the rows made."""
    from psycopg.types.json import Json

    table = CallRecord.__table__
    columns = tuple(params[0])
    defaults = {column.name: column.default.arg for column in table.columns
                if column.name not in columns and column.default is not None and column.default.is_scalar}
    names = columns + tuple(defaults)
    sql = _PG_INSERTS.get(names)
    if sql is None:
        sql = _PG_INSERTS[names] = (
            f'INSERT INTO {table.name} ({", ".join(names)}) VALUES ({", ".join(f"%({n})s" for n in names)}) '
            "ON CONFLICT (call_uuid) DO NOTHING RETURNING id, call_uuid")
    json_columns = [column.name for column in table.columns if column.name in names and isinstance(column.type, JSON)]
    rows = []
    for values in params:
        row = {**values, **defaults}
        for name in json_columns:
            row[name] = Json(row[name]) if row[name] is not None else None
        rows.append(row)
    made: dict[str, int] = {}
    with db.connection().connection.driver_connection.cursor() as cursor:
        cursor.executemany(sql, rows, returning=True)
        while True:
            for id_, uuid in cursor.fetchall():
                made[uuid] = id_
            if not cursor.nextset():
                break
    return made


def _batch_insert(db: Session, columns: tuple):
    dialect = db.get_bind().dialect.name
    key = (dialect, columns)
    statement = _BATCH_INSERTS.get(key)
    if statement is None:
        table = CallRecord.__table__
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        statement = _BATCH_INSERTS[key] = (dialect_insert(table).on_conflict_do_nothing(index_elements=["call_uuid"])
                                           .returning(table.c.id, table.c.call_uuid))
    return statement


def _merge(row: CallRecord, values: dict, source: str, authoritative: Optional[bool] = None) -> None:
    authoritative = source == "cdr" if authoritative is None else authoritative
    for name in _SCALARS + ("direction",):
        new = values[name]
        if _empty(new):
            continue
        if authoritative or _empty(getattr(row, name)):
            setattr(row, name, new)
    if row.tenant_id is None and values["tenant_id"] is not None:
        row.tenant_id = values["tenant_id"]
    steps, kept = values["steps"], row.steps or []
    # steps the home switch's leg added after these (_continue_call) stay: the row then starts with them
    if steps and kept[:len(steps)] != steps and (len(steps) > len(kept) or authoritative):
        row.steps = list(steps)
    if source not in (row.sources or []):
        row.sources = [*(row.sources or []), source]
    row.updated_at = clock.now()


def _cached(cache: Optional[dict], key: tuple, compute: Callable):
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _finish(db: Session, row: CallRecord, facts: Facts, answered_from_these_facts: bool, cache: Optional[dict] = None) -> None:
    """Who answered, missed, call type and cost: derived from the merged row."""
    people = people_of(db, row.tenant_id, cache)
    country = people.country if people is not None else DEFAULT_COUNTRY
    if row.direction == "internal" and classify(row.dialled_number, country)[0] == "emergency":
        row.direction = "outbound"  # 112 is short like an extension, but goes out through the gateway
    if row.answered_by_user_id is None or answered_from_these_facts:
        user = _answering_user(people, facts)
        if user is not None:
            row.answered_by_user_id = user.id
            row.answered_by = _name(user)[:100]
        elif facts.bridged and facts.answered_candidates and not row.answered_by:
            row.answered_by = facts.answered_candidates[0][:100]
    if facts.bridged and facts.answered_candidates and (not row.callee_number or row.callee_number == row.dialled_number):
        row.callee_number = facts.answered_candidates[0][:64]
    if row.answered_by_user_id is not None and row.callee_number:
        _callee_by_extension(people, row)
    answered_by_person = row.answered_by_user_id is not None or bool(row.answered_by)
    # a caller the company or the user blocked was turned away on purpose: not a call anyone missed
    row.missed = row.direction != "outbound" and not answered_by_person and not row.blocked
    if row.direction == "internal":
        row.call_type, e164 = "internal", None
    else:
        # outbound: what was dialled; inbound: who called (the far end of the call, either way)
        row.call_type, e164 = classify(row.dialled_number if row.direction == "outbound" else row.caller_number, country)
        if row.direction == "inbound" and row.call_type in ("internal", "emergency"):
            row.call_type = "unknown"  # an anonymous or odd caller ID is no extension of ours
    row.cost, row.currency = None, None
    if row.direction == "outbound" and row.tenant_id is not None:
        tenant_id = row.tenant_id
        rates = _cached(cache, ("rates", tenant_id),
                        lambda: db.exec(select(CallRate).where(CallRate.tenant_id == tenant_id)).all())
        if rates:
            row.cost, row.currency = price(rates, row.call_type, e164, row.billed_seconds)


def _callee_by_extension(people: Optional["People"], row: CallRecord) -> None:
    """A call a phone answered names the extension it rang, with the phone (its SIP username) as a detail;
    any other callee (a mobile that answered through Anywhere) stays as it is."""
    if people is None or people.phone_user.get(row.callee_number, 0) != row.answered_by_user_id:
        return
    user = people.users.get(row.answered_by_user_id)
    if user is not None and user.extension and user.extension != row.callee_number:
        row.callee_device, row.callee_number = row.callee_number, user.extension


def _name(user) -> str:
    return " ".join(part for part in (user.first_name, user.last_name) if part) or user.extension


def _answering_user(people: Optional["People"], facts: Facts) -> Optional["Person"]:
    if people is None or not facts.bridged:
        return None
    if facts.answered_user_id is not None:
        user = people.users.get(facts.answered_user_id)
        if user is not None:
            return user
    for candidate in facts.answered_candidates:
        if not is_internal_number(candidate) and not candidate.isalnum():
            continue
        user = people.by_extension.get(candidate)
        if user is not None:
            return user
        owner = people.phone_user.get(candidate)
        if owner is not None:
            return people.users.get(owner)
    return None


HOME_SOURCE = "home"  # a record's source: the home switch's leg of a handed-over call told of it (_continue_call)


def _only_continued(row) -> bool:
    """Is this record only what a handed-over call's home leg told, its own switch's record not yet stored?"""
    return bool(row.sources) and not set(row.sources) - {HOME_SOURCE}


def _followed_by(steps: list, later: list) -> list:
    """`steps` and then `later` (the home leg's), once: `later` is not added again when `steps` ends with it."""
    if later and steps[len(steps) - len(later):] == later:
        return list(steps)
    return [*steps, *later]


def _continue_call(db: Session, facts: Facts, source: str, lookup, cache: dict) -> None:
    """The home switch's leg of a call another switch handed to it (callplan.home) adds to that call's
    record: the plan steps it took there (a queue and what followed) after the call's own, and who
    answered there. Either leg's record may be stored first (each switch's bridge commits on its own):
    when the call's record is not there yet, this leg's facts make it under the call's uuid, marked as
    only continued (source "home"), and the call's own record, when it comes, takes it over
    (`store`)."""
    origin = facts.b_leg_of[:64]
    for _ in range(2):
        row = db.exec(select(CallRecord).where(CallRecord.call_uuid == origin).with_for_update()
                      .execution_options(populate_existing=True)).first()
        if row is not None:
            break
        own = replace(facts, call_uuid=origin, b_leg_of=None, continues=False,
                      dialled_number="" if facts.dialled_number.startswith(home.PREFIX) else facts.dialled_number)
        values, draft = _new_record(db, own, HOME_SOURCE, lookup, cache, CallRecord)
        new_id = insert_ignoring_duplicates(db, CallRecord.__table__, values, "call_uuid")
        if new_id is not None:  # stored first; otherwise the call's own record came meanwhile: merged below
            draft.id = new_id
            make_transient_to_detached(draft)
            db.add(draft)
            if draft.answered_by_user_id is not None or draft.answered_by:
                _ring_group_answered(db, draft, cache)
            return
    if row is None:
        return
    was_answered = row.answered_by_user_id is not None or bool(row.answered_by)
    later = facts.steps
    steps = _followed_by(list(row.steps or []), stored_steps(later, row.plan_id, row.plan_version))
    changed = steps != list(row.steps or [])
    if changed:
        row.steps = steps
    if HOME_SOURCE not in (row.sources or []):
        row.sources, changed = [*(row.sources or []), HOME_SOURCE], True
    if row.answered_by_user_id is None and facts.bridged:
        user = _answering_user(people_of(db, row.tenant_id, cache), facts)
        if user is not None:
            row.answered_by_user_id, row.answered_by = user.id, _name(user)[:100]
        elif facts.answered_candidates and not row.answered_by:
            row.answered_by = facts.answered_candidates[0][:100]
        if row.answered_by_user_id is not None or row.answered_by:
            row.missed, changed = False, True
    if not changed:
        return
    row.updated_at = clock.now()
    db.add(row)
    db.flush()
    if not was_answered and (row.answered_by_user_id is not None or row.answered_by):
        _ring_group_answered(db, row, cache)


def _complete_a_leg(db: Session, facts: Facts, cache: dict) -> None:
    """A B leg that was answered tells its A leg's record who took the call (when it is not known yet)."""
    if not facts.b_leg_of or facts.answered_at is None:
        return
    # Most often the A leg's record names its user already (a ring group's or a user's call): one plain
    # lookup says so, no row read and locked for nothing (what is still to be written is written first)
    db.flush()
    records = CallRecord.__table__.c
    known = db.connection().execute(select(records.answered_by_user_id).where(records.call_uuid == facts.b_leg_of)).first()
    if known is None or known.answered_by_user_id is not None:
        return  # the A leg's own data names who answered when it arrives
    row = db.exec(select(CallRecord).where(CallRecord.call_uuid == facts.b_leg_of).with_for_update()
                  .execution_options(populate_existing=True)).first()
    if row is None or row.answered_by_user_id is not None:
        return
    was_answered = bool(row.answered_by)
    user = _answering_user(people_of(db, row.tenant_id, cache), facts)
    if user is not None:
        row.answered_by_user_id, row.answered_by = user.id, _name(user)[:100]
    elif facts.answered_candidates and not row.answered_by:
        row.answered_by = facts.answered_candidates[0][:100]
    else:
        return
    row.missed = False
    row.updated_at = clock.now()
    db.add(row)
    db.flush()
    if not was_answered:
        _ring_group_answered(db, row, cache)


# --- ring groups: who took the group's call ------------------------------------------------------------


def steps_by_id(document) -> dict[str, dict]:
    """Every step of a plan document (nested branches included), by id."""
    found: dict[str, dict] = {}

    def visit(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("id"), str) and isinstance(node.get("type"), str):
                found.setdefault(node["id"], node)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    visit(document)
    return found


def _ring_group_answered(db: Session, row: CallRecord, cache: Optional[dict] = None) -> None:
    """A ring group's member answered: remember it for the circular and uniform strategies. The group is
    the one of the last step the call took (a ring group step bridges, and hangup_after_bridge ends the
    call once that bridge is over), or, for a call to a group's own number (the base dialplan marks no
    steps), the group with that extension."""
    from web.models.ring_group_state import record_answer

    if row.tenant_id is None:
        return
    people = people_of(db, row.tenant_id, {} if cache is None else cache)
    if people is None:
        return
    group = None
    if row.steps:
        last = read_steps(row.steps, row.plan_id, row.plan_version)[-1]
        step = people.step(db, last["plan_id"], last["version"], last["step"]) \
            if last["plan_id"] is not None and last["version"] is not None else None
        if step and step.get("type") == "ring_group" and isinstance(step.get("group"), int):
            group = people.groups.get(step["group"])
    elif row.dialled_number and is_internal_number(row.dialled_number):
        group = people.groups.get(people.group_by_extension.get(row.dialled_number))
    if group is None:
        return
    key = _member_key(people, group, row)
    if key is not None:
        at = (row.answered_at or row.started_at).timestamp()
        record_answer(db, row.tenant_id, group, key, at, uniform_keys=people.uniform_keys)


def _member_key(people: "People", group: "Group", row: CallRecord) -> Optional[str]:
    for member in group.members:
        kind = member.get("type")
        if kind == "user" and row.answered_by_user_id is not None and member.get("id") == row.answered_by_user_id:
            return f"user:{member['id']}"
        if kind == "device" and row.answered_by_user_id is not None:
            if people.device_user.get(member.get("id"), 0) == row.answered_by_user_id:
                return f"device:{member['id']}"
        if kind == "external" and member.get("number") and member.get("number") in (row.answered_by, row.callee_number):
            return f"external:{member['number']}"
    return None


# --- who's who: a tenant's people, phones and groups as records look them up ----------------------------


@dataclass(frozen=True, slots=True)
class Person:
    """A user as a record names them."""

    id: int
    first_name: str
    last_name: str
    extension: str


@dataclass(frozen=True, slots=True)
class Group:
    """A ring group as its answers are counted (web.models.ring_group_state.record_answer)."""

    id: int
    tenant_id: int
    strategy: str
    members: tuple


class People:
    """What storing a record looks up of its tenant (who answered: a user by id or extension, a phone's
    user; the ring group a member answered for; the tenant's country), read once per configuration
    generation: every change to users, phones, groups or numbers bumps it (web.domain.audit), so a record
    is named as the app's directory and dialplan named the call's parties. Two indexed lookups per record
    (the generation, once per transaction) instead of a dozen ORM queries (#20: most of what storing a
    record cost the bridge and the app). A plan version's steps are read when a record first needs them."""

    def __init__(self, db: Session, tenant_id: int, generation: int):
        from web.models.device import Device
        from web.models.pbx_user import PbxUser
        from web.models.ring_group import RingGroup
        from callplan.nodes.ring_group import member_key

        self.tenant_id, self.generation = tenant_id, generation
        connection = db.connection()
        users = PbxUser.__table__.c
        self.users = {row.id: Person(row.id, row.first_name or "", row.last_name or "", row.extension or "")
                      for row in connection.execute(select(users.id, users.first_name, users.last_name, users.extension)
                                                    .where(users.tenant_id == tenant_id))}
        self.by_extension: dict[str, Person] = {}
        for person in sorted(self.users.values(), key=lambda person: person.id):  # the first, as a query's .first()
            if person.extension:
                self.by_extension.setdefault(person.extension, person)
        devices = Device.__table__.c
        rows = connection.execute(select(devices.id, devices.sip_username, devices.user_id)
                                  .where(devices.tenant_id == tenant_id)).all()
        self.phone_user = {row.sip_username: row.user_id for row in rows}  # SIP username -> its user (or None)
        self.device_user = {row.id: row.user_id for row in rows}
        groups = RingGroup.__table__.c
        self.groups: dict[int, Group] = {}
        self.group_by_extension: dict[str, int] = {}
        for row in connection.execute(select(groups.id, groups.strategy, groups.members, groups.extension)
                                      .where(groups.tenant_id == tenant_id).order_by(groups.id)):
            self.groups[row.id] = Group(row.id, tenant_id, row.strategy, tuple(row.members or ()))
            if row.extension:
                self.group_by_extension.setdefault(row.extension, row.id)
        self.uniform_keys = frozenset(member_key(member) for group in self.groups.values()
                                      if group.strategy == "uniform" for member in group.members)
        self.country = tenant_country(db, tenant_id)
        self._steps: dict[tuple[int, int], dict[str, dict]] = {}

    def step(self, db: Session, plan_id: int, version: int, step_id: str) -> Optional[dict]:
        key = (plan_id, version)
        if key not in self._steps:
            from web.models.call_plan import CallPlanVersion

            versions = CallPlanVersion.__table__.c
            document = db.connection().execute(
                select(versions.document).where(versions.tenant_id == self.tenant_id, versions.plan_id == plan_id,
                                                versions.version == version)).scalar()
            self._steps[key] = steps_by_id(document) if document is not None else {}
        return self._steps[key].get(step_id)


_PEOPLE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # engine -> {tenant id: People}
_GENERATION = None


def _generation(db: Session, tenant_id: int, cache: Optional[dict]) -> Optional[int]:
    """The tenant's configuration generation (None: no such tenant), asked once per transaction."""
    global _GENERATION
    if cache is not None and ("generation", tenant_id) in cache:
        return cache[("generation", tenant_id)]
    if _GENERATION is None:
        from web.models.tenant import Tenant

        tenants = Tenant.__table__.c
        _GENERATION = select(tenants.config_generation).where(tenants.id == bindparam("tenant_id"))
    generation = db.connection().execute(_GENERATION, {"tenant_id": tenant_id}).scalar()
    if cache is not None:
        cache[("generation", tenant_id)] = generation
    return generation


def people_of(db: Session, tenant_id: Optional[int], cache: Optional[dict]) -> Optional[People]:
    """The tenant's People as of its generation now, read again only when that moved; None for no tenant."""
    if tenant_id is None:
        return None
    generation = _generation(db, tenant_id, cache)
    if generation is None:
        return None
    engine = db.get_bind()
    kept = _PEOPLE.get(engine)
    if kept is None:
        kept = _PEOPLE.setdefault(engine, {})
    people = kept.get(tenant_id)
    if people is None or people.generation != generation:
        people = kept[tenant_id] = People(db, tenant_id, generation)
    return people


# --- mod_xml_cdr's spool folder -----------------------------------------------------------------------


def store_cdr(db: Session, raw: bytes | str, content_type: str = "", lookup=None) -> tuple[Optional[CallRecord], bool]:
    """A CDR as posted or spooled: parsed and stored (raises NotACdr for anything unparseable)."""
    return store(db, from_xml(cdr_text(raw, content_type)), "cdr", lookup)


def collect_spool(engine, settings, min_age_s: float = 2.0) -> int:
    """Store every record mod_xml_cdr left in its spool folder (it could not post them: `a_<uuid>.cdr.xml`
    for A legs, `<uuid>.cdr.xml` for B legs, holding the URL-encoded value of `cdr`). Each file in its own
    transaction, deleted only after that commits; a file younger than `min_age_s` may still be being
    written and waits for the next round. A file that is no CDR is renamed *.bad (kept for a person,
    never retried). Returns how many were stored."""
    from web.db import session_scope

    folder = Path(settings.cdr_spool_dir)
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return 0
    stored = 0
    now = time.time()
    for name in names:
        if not name.endswith(".cdr.xml"):
            continue
        path = folder / name
        try:
            if now - path.stat().st_mtime < min_age_s:
                continue
            raw = path.read_bytes()
        except FileNotFoundError:
            continue  # another collector took it
        try:
            with session_scope(engine) as db:
                store_cdr(db, raw)
        except NotACdr as exc:
            log.error("spooled CDR %s is not a call record (%s); kept as %s.bad", name, exc, name)
            os.replace(path, folder / f"{name}.bad")
            continue
        except Exception:
            log.exception("spooled CDR %s not stored now; the file stays for the next round", name)
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        stored += 1
    return stored
