"""Phone configuration files: which file a phone asks for, and the file itself.

Templates are string.Template files in templates/ with $placeholders; every value is made safe for the
file's format BEFORE it is substituted (substitution never re-reads what it inserts):
- XML files: XML-escaped, quotes included, so one escaping serves element text and attributes alike;
- line files (Yealink .cfg, the generic profile): newlines and other control characters become spaces,
  so a value can never start a line of its own (a name "x\\naccount.1.password = y" stays one value).
In both, characters XML or a phone's line parser cannot carry (controls, U+2028/2029, lone surrogates)
and the bidi overrides are replaced, not dropped, so what was there stays visible to whoever reads the file.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from callplan.text import CONTROL_CLASS
from web.provisioning.timezones import Change, ZoneRule, hours_offset, posix

TEMPLATES = Path(__file__).with_name("templates")

# What a phone can say it speaks, per brand (the tenant's language: web.validation.LANGUAGES).
LANGUAGES = {
    "yealink": {"nl": "Dutch", "en": "English"},
    "polycom": {"nl": "Dutch_Netherlands", "en": "English_United_Kingdom"},
    "snom": {"nl": "Nederlands", "en": "English"},
    "grandstream": {"nl": "nl", "en": "en"},
    "generic": {"nl": "nl", "en": "en"},
}

_UNSAFE = re.compile(f"[{CONTROL_CLASS}\ufffe\uffff]")
_XML_QUOTES = {'"': "&quot;", "'": "&apos;"}


def one_line(value: object) -> str:
    return _UNSAFE.sub(" ", str(value))


def xml_value(value: object) -> str:
    return escape(one_line(value), _XML_QUOTES)


@dataclass(frozen=True)
class FileKind:
    name: str
    template: str
    media_type: str
    clean: object  # one_line or xml_value: makes one value safe for this format

    def render(self, values: dict[str, object]) -> bytes:
        safe = {key: self.clean(value) for key, value in values.items()}
        return _template(self.template).substitute(safe).encode("utf-8")


@lru_cache(maxsize=None)
def _template(name: str) -> string.Template:
    return string.Template((TEMPLATES / name).read_text(encoding="utf-8"))


XML = "application/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
YEALINK = FileKind("yealink", "yealink.cfg", TEXT, one_line)
POLYCOM_MASTER = FileKind("polycom-master", "polycom-master.xml", XML, xml_value)
POLYCOM = FileKind("polycom", "polycom.xml", XML, xml_value)
SNOM = FileKind("snom", "snom.xml", XML, xml_value)
GRANDSTREAM = FileKind("grandstream", "grandstream.xml", XML, xml_value)
GENERIC = FileKind("generic", "generic.txt", TEXT, one_line)

ALL_BRANDS = ("yealink", "polycom", "snom", "grandstream", "cisco_spa", "panasonic", "generic")
POLYCOM_SUFFIX = "-callplan.cfg"  # the per-phone file the Polycom master file names

# The file names phones ask for, as each brand's firmware builds them from its MAC (any letter case),
# and which file each brand gets for that name. Yealink and Polycom both ask for <mac>.cfg: the device's
# brand decides. Every device also has the generic profile, for phones set up by hand (seed 001 6.6.2).
_MAC = "([0-9a-f]{12})"
FILE_NAMES: tuple[tuple[re.Pattern, dict[str, FileKind]], ...] = (
    (re.compile(rf"{_MAC}\.cfg", re.I), {"yealink": YEALINK, "polycom": POLYCOM_MASTER}),
    (re.compile(rf"{_MAC}{re.escape(POLYCOM_SUFFIX)}", re.I), {"polycom": POLYCOM}),
    (re.compile(rf"{_MAC}\.xml", re.I), {"snom": SNOM}),
    (re.compile(rf"cfg{_MAC}\.xml", re.I), {"grandstream": GRANDSTREAM}),
    (re.compile(_MAC, re.I), {brand: GENERIC for brand in ALL_BRANDS}),
)


def parse_file_name(name: str) -> tuple[str, dict[str, FileKind]] | None:
    """(the MAC as stored: 12 lowercase hex digits, the file per brand) or None for a name we never serve."""
    for pattern, kinds in FILE_NAMES:
        match = pattern.fullmatch(name)
        if match:
            return match.group(1).lower(), kinds
    return None


def file_name(brand: str, mac: str) -> str:
    """The name of the file a phone of `brand` fetches first (what the admin's device view shows)."""
    return {
        "yealink": f"{mac}.cfg", "polycom": f"{mac}.cfg", "snom": f"{mac.upper()}.xml",
        "grandstream": f"cfg{mac}.xml",
    }.get(brand, mac)


@dataclass(frozen=True)
class PhoneProfile:
    """Everything a phone's file says, in clear; rendering makes it safe per format."""

    mac: str
    brand: str
    registrar: str  # the tenant's SIP domain: the phone registers as user@domain
    sip_server: str  # where its SIP packets go (outbound proxy)
    sip_port: int
    sip_username: str
    sip_password: str
    display_name: str
    label: str
    voicemail: str  # "" when the company switched its voicemail code off
    timezone: str
    zone: ZoneRule
    language: str  # "nl" | "en"
    ntp_server: str


def _yealink_change(change: Change | None) -> str:
    # month/week (5 = last)/weekday (1 = Monday .. 7 = Sunday)/hour
    return f"{change.month}/{change.week}/{change.weekday + 1}/{change.hour}" if change else "%NULL%"


def _polycom_change(prefix: str, change: Change | None) -> dict[str, object]:
    # Polycom: dayOfWeek 1 = Sunday .. 7 = Saturday; "date" 1/8/15/22 = first/second/third/fourth
    # such weekday on or after it; lastInMonth for "the last". Defaults when there is no DST: inert.
    if change is None:
        return {f"{prefix}_month": 1, f"{prefix}_date": 1, f"{prefix}_weekday": 1, f"{prefix}_last": 0,
                f"{prefix}_hour": 0}
    last = change.week == 5
    return {
        f"{prefix}_month": change.month,
        f"{prefix}_date": 1 if last else (change.week - 1) * 7 + 1,
        f"{prefix}_weekday": (change.weekday + 1) % 7 + 1,
        f"{prefix}_last": int(last),
        f"{prefix}_hour": change.hour,
    }


def _snom_dst(zone: ZoneRule) -> str:
    # "<save seconds> MM.WW.DD HH:MM:SS MM.WW.DD HH:MM:SS", weekday 1 = Monday .. 7 = Sunday
    if zone.start is None or zone.end is None:
        return ""

    def when(change: Change) -> str:
        return f"{change.month:02d}.{change.week:02d}.{change.weekday + 1:02d} {change.hour:02d}:{change.minute:02d}:00"

    return f"{zone.dst_save} {when(zone.start)} {when(zone.end)}"


def values(profile: PhoneProfile) -> dict[str, object]:
    zone = profile.zone
    has_dst = zone.start is not None
    brand_language = LANGUAGES.get(profile.brand, LANGUAGES["generic"])
    return {
        "mac": profile.mac,
        "registrar": profile.registrar,
        "sip_server": profile.sip_server,
        "sip_port": profile.sip_port,
        "sip_username": profile.sip_username,
        "sip_password": profile.sip_password,
        "display_name": profile.display_name,
        "label": profile.label,
        "voicemail": profile.voicemail,
        "voicemail_mode": "contact" if profile.voicemail else "disabled",
        "timezone": profile.timezone,
        "language": brand_language.get(profile.language, brand_language["en"]),
        "ntp_server": profile.ntp_server,
        "config_file": profile.mac + POLYCOM_SUFFIX,
        "tz_hours": hours_offset(zone.std_offset),
        "tz_seconds": zone.std_offset,
        "posix_tz": posix(zone),
        "dst_enabled": int(has_dst),
        "dst_minutes": zone.dst_save // 60,
        "dst_start": _yealink_change(zone.start),
        "dst_end": _yealink_change(zone.end),
        "dst": _snom_dst(zone),
        **_polycom_change("dst_start", zone.start),
        **_polycom_change("dst_end", zone.end),
    }


def render(kind: FileKind, profile: PhoneProfile) -> bytes:
    return kind.render(values(profile))
