"""Real FreeSWITCH 1.10.12 call data (../shared/fixtures) for call-record tests, moved onto a test tenant.

Two real calls are captured both ways: as mod_xml_cdr's POST (xml_cdr_post.txt) and as the
CHANNEL_HANGUP_COMPLETE event (esl_events.txt). Call 4f1759c4 dialled 9000 (an IVR that answered), call
ba46e23f dialled 5000 (a queue that timed out). The helpers change only what a test needs, and in the
encoding FreeSWITCH itself uses: variables in the XML are URL-encoded one per element (a pushed variable
once per entry, switch_ivr_set_xml_chan_vars), in an event one header holding "ARRAY::a|:b"
(switch_event_base_add_header), URL-encoded by switch_event_serialize."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import parse_qs, quote

from fs_bridge.events import Event, fixture_events, parse_plain

FIXTURES = Path("/work/shared/fixtures/freeswitch-1.10.12")
CAPTURED_DOMAIN = "127.0.0.1"
IVR_CALL = "4f1759c4-4414-4bbc-a1c9-25b633efcd07"
QUEUE_CALL = "ba46e23f-afbc-4a51-8c83-678791f49299"


def cdr_posts() -> dict[str, str]:
    """call uuid -> the POST body exactly as FreeSWITCH sent it ("cdr=<URL-encoded XML>")."""
    text = (FIXTURES / "xml_cdr_post.txt").read_text()
    posts = {}
    for part in text.split("==== ")[1:]:
        head, _, body = part.partition("\n")
        uuid = re.search(r"uuid=a_([0-9a-f-]+)", head).group(1)
        posts[uuid] = body.strip()
    return posts


def cdr_xml(uuid: str) -> str:
    return parse_qs(cdr_posts()[uuid])["cdr"][0]


def event_texts(name: str) -> list[str]:
    return [text for title, text in fixture_events(FIXTURES / "esl_events.txt") if title == name]


def hangup_text(uuid: str) -> str:
    return next(t for t in event_texts("CHANNEL_HANGUP_COMPLETE") if f"Unique-ID: {uuid}" in t)


def serialise_value(value: str) -> str:
    """A header value as switch_event_serialize writes it (switch_url_encode)."""
    return quote(value, safe="")


def array_header(values: list[str]) -> str:
    """A pushed variable's value in an event: one entry plain, more as ARRAY::a|:b (switch_event.c)."""
    return values[0] if len(values) == 1 else "ARRAY::" + "|:".join(values)


def event_text(text: str, domain: str | None = None, set_vars: dict | None = None, push: dict | None = None,
               headers: dict | None = None, drop: tuple = ()) -> str:
    """A real event text with its domain moved, variables set or pushed, headers replaced or dropped."""
    lines = []
    replaced = {f"variable_{k}": v for k, v in (set_vars or {}).items()}
    replaced.update({f"variable_{k}": array_header(v) for k, v in (push or {}).items()})
    replaced.update(headers or {})
    for line in text.split("\n"):
        name, sep, value = line.partition(": ")
        if sep and name in drop:
            continue
        if sep and name in replaced:
            continue
        if sep and domain and value == CAPTURED_DOMAIN and name in ("variable_domain_name", "variable_sip_req_host",
                                                                    "variable_sip_to_host", "variable_sip_auth_realm"):
            line = f"{name}: {domain}"
        lines.append(line)
    head = "\n".join(lines).rstrip("\n")
    extra = "\n".join(f"{name}: {serialise_value(str(value))}" for name, value in replaced.items())
    return head + ("\n" + extra if extra else "")


def hangup_event(uuid: str, **changes) -> Event:
    return parse_plain(event_text(hangup_text(uuid), **changes))


def cdr_document(uuid: str, domain: str | None = None, set_vars: dict | None = None, push: dict | None = None,
                 drop: tuple = (), originatee: dict | None = None, originator: dict | None = None) -> str:
    """The real CDR XML with its domain moved and variables set or pushed, as mod_xml_cdr writes them."""
    root = ET.fromstring(cdr_xml(uuid))
    variables = root.find("variables")
    for element in list(variables):
        if element.tag in drop or element.tag in (set_vars or {}) or element.tag in (push or {}):
            variables.remove(element)
        elif domain and element.tag in ("domain_name", "sip_req_host", "sip_to_host") and element.text == CAPTURED_DOMAIN:
            element.text = domain
    for name, value in (set_vars or {}).items():
        ET.SubElement(variables, name).text = quote(str(value), safe="")
    for name, values in (push or {}).items():
        for value in values:  # one element per entry (switch_ivr_set_xml_chan_vars)
            ET.SubElement(variables, name).text = quote(value, safe="")
    profile = root.find("callflow/caller_profile")
    for kind, fields in (("originatee", originatee), ("originator", originator)):
        if fields:
            holder = ET.SubElement(ET.SubElement(profile, kind), f"{kind}_caller_profile")
            for name, value in fields.items():
                ET.SubElement(holder, name).text = value
    return '<?xml version="1.0"?>\n' + ET.tostring(root, encoding="unicode")


def cdr_body(document: str) -> str:
    """The form body mod_xml_cdr posts (encode=true: switch_url_encode of the whole document)."""
    return "cdr=" + quote(document, safe="")
