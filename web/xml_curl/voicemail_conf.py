"""voicemail.conf: mod_voicemail's profiles, one per longest message a box has (#16 item 1).

mod_voicemail takes the longest message it records from its profile's max-record-len only; neither a
channel variable nor the directory can change it. So each length a box uses has a profile of its own,
"max<seconds>" (callplan.objects.VoicemailBoxInfo.profile names it in the dialplan), a copy of the
"default" profile of freeswitch/autoload_configs/voicemail.conf.xml with that max-record-len and the
default profile's database: the messages, the PIN checks, the message lamps and the bridge's deletes
are the same whichever profile recorded a message. "default" itself has the default length (180 s).

mod_voicemail reads this file at load (from disk: mod_xml_curl loads after it) and again for each
profile it has not loaded yet, when the dialplan first names it; then the app answers, with the
static file's settings and default profile as they are, and a copy for every length in use."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from sqlmodel import select

from callplan.objects import DEFAULT_MESSAGE_S, MAX_MESSAGE_S, VoicemailBoxInfo
from callplan.xml import Document
from web.db import session_scope
from web.models.voicemail_box import VoicemailBox

FILE = "voicemail.conf"
STATIC = Path(__file__).resolve().parents[2] / "freeswitch" / "autoload_configs" / "voicemail.conf.xml"
SHARED_DB = "voicemail_default"  # the default profile's database (mod_voicemail: voicemail_<profile>)


def lengths(engine) -> list[int]:
    """Every longest message a box of any tenant has, as mod_voicemail can take it."""
    with session_scope(engine) as db:
        found = db.exec(select(VoicemailBox.max_message_s).distinct()).all()
    return sorted({min(int(seconds), MAX_MESSAGE_S) for seconds in found} - {DEFAULT_MESSAGE_S})


def default_profile() -> tuple[dict[str, str], dict[str, str]]:
    """(settings, default profile's params) of the static file."""
    root = ET.parse(STATIC).getroot()
    settings = {p.get("name"): p.get("value") for p in root.iterfind("settings/param")}
    profile = root.find("profiles/profile[@name='default']")
    return settings, {p.get("name"): p.get("value") for p in profile.iterfind("param")}


def build(seconds: list[int]) -> bytes:
    settings, params = default_profile()
    document = Document("configuration")
    conf = document.child(document.section, "configuration", name=FILE, description="voicemail")
    element = document.child(conf, "settings")
    for name, value in settings.items():
        document.child(element, "param", name=name, value=value)
    profiles = document.child(conf, "profiles")
    variants = [("default", params)]
    variants += [(VoicemailBoxInfo(id=0, max_message_s=length).profile,
                  {**params, "max-record-len": str(length), "dbname": SHARED_DB}) for length in seconds]
    for name, values in variants:
        profile = document.child(profiles, "profile", name=name)
        for key, value in values.items():
            document.child(profile, "param", name=key, value=value)
    return document.to_string().encode()


def answer(engine) -> bytes:
    return build(lengths(engine))
