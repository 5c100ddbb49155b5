"""Notices as the receivers see them: the texts of the mails (the tenant's language and time zone) and
the webhook requests (JSON body, signature). The bridge builds them (fs_bridge.notices) and delivers
them (fs_bridge.outbox); the API's test delivery uses the same shapes.

Webhook requests, as documented in the API description and the README:

    POST <url>
    Content-Type: application/json
    X-Event: missed_call | voicemail | call_ended | agent_status | test
    X-Idempotency-Key: <the cause, the same on every retry of this event>
    X-Timestamp: <unix seconds when this attempt was signed>
    X-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Timestamp>.<body>")>

    {"id": <delivery id>, "event": ..., "tenant_id": ..., "occurred_at": <ISO 8601>, "data": {...}}

A receiver recomputes the HMAC over the timestamp, a dot and the raw body with the secret it was given
when the subscription was made, compares in constant time, and refuses timestamps far from its clock
(a replayed request carries an old one)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone
from functools import lru_cache
from typing import Optional
from zoneinfo import ZoneInfo

from web.i18n import t

SIGNATURE_HEADER = "X-Signature"


@lru_cache(maxsize=64)
def zone(name: Optional[str]) -> ZoneInfo:
    try:
        return ZoneInfo(name or "Europe/Amsterdam")
    except Exception:
        return ZoneInfo("UTC")


def local_time(lang: str, zone_name: str, at: datetime) -> str:
    """A time as the company reads it: its own zone, day-month-year in Dutch, ISO-like in English."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    local = at.astimezone(zone(zone_name))
    return local.strftime("%d-%m-%Y %H:%M" if lang == "nl" else "%Y-%m-%d %H:%M") + f" ({zone_name})"


def _caller(lang: str, number: str, name: str) -> str:
    if not number and not name:
        return t(lang, "notice.caller_unknown")
    if name and name != number:
        return f"{name} <{number}>" if number else name
    return number


def _one_line(value: str) -> str:
    """Caller names come from the far end: no line breaks in a subject or a line of the mail."""
    return " ".join(str(value).split())[:120]


# -- mails -------------------------------------------------------------------------------------------------


def missed_call_mail(lang: str, zone_name: str, call: dict) -> tuple[str, str]:
    caller = _one_line(_caller(lang, call.get("caller_number", ""), call.get("caller_name", "")))
    params = dict(caller=caller, dialled=_one_line(call.get("dialled") or "-"),
                  time=local_time(lang, zone_name, call["at"]), plan=_one_line(call.get("plan_name") or ""),
                  uuid=call.get("uuid", ""))
    return t(lang, "notice.missed_call.subject", **params), t(lang, "notice.missed_call.text", **params)


def voicemail_mail(lang: str, zone_name: str, message: dict, attached: bool = True) -> tuple[str, str]:
    caller = _one_line(_caller(lang, message.get("caller_number", ""), message.get("caller_name", "")))
    params = dict(caller=caller, box=_one_line(message.get("box_name") or message.get("box_number", "")),
                  number=message.get("box_number", ""), time=local_time(lang, zone_name, message["at"]),
                  seconds=message.get("seconds", 0))
    text = t(lang, "notice.voicemail.text", **params)
    text += "\n" + t(lang, "notice.voicemail.attached" if attached else "notice.voicemail.listen") + "\n"
    return t(lang, "notice.voicemail.subject", **params), text


def mailbox_full_mail(lang: str, zone_name: str, message: dict) -> tuple[str, str]:
    params = dict(box=_one_line(message.get("box_name") or message.get("box_number", "")),
                  number=message.get("box_number", ""), held=message.get("held", 0), limit=message.get("limit", 0),
                  time=local_time(lang, zone_name, message["at"]))
    return t(lang, "notice.mailbox_full.subject", **params), t(lang, "notice.mailbox_full.text", **params)


# -- webhook payloads (the "data" member) ------------------------------------------------------------------


def _iso(at: Optional[datetime]) -> Optional[str]:
    return at.astimezone(timezone.utc).isoformat() if at is not None else None


def missed_call_payload(call: dict) -> dict:
    return {
        "occurred_at": call["at"],
        "call_uuid": call["uuid"],
        "caller": {"number": call.get("caller_number", ""), "name": call.get("caller_name", "")},
        "dialled": call.get("dialled", ""),
        "started_at": _iso(call["at"]),
        "plan": {"id": call["plan_id"], "version": call["plan_version"], "name": call.get("plan_name", ""),
                 "step": call["step"]},
        "path": call.get("path", []),
    }


def voicemail_payload(message: dict) -> dict:
    return {
        "occurred_at": message["at"],
        "message_uuid": message["uuid"],
        "call_uuid": message.get("call_uuid", ""),
        "box": {"id": message["box_id"], "name": message.get("box_name", ""), "number": message["box_number"]},
        "caller": {"number": message.get("caller_number", ""), "name": message.get("caller_name", "")},
        "seconds": message.get("seconds", 0),
        "left_at": _iso(message["at"]),
    }


def _micro(value: Optional[str]) -> Optional[datetime]:
    if value and value.isdigit() and int(value) > 0:
        return datetime.fromtimestamp(int(value) / 1_000_000, tz=timezone.utc)
    return None


def call_ended_payload(event, dialled: str) -> dict:
    started = _micro(event.get("Caller-Channel-Created-Time"))
    answered = _micro(event.get("Caller-Channel-Answered-Time"))
    ended = _micro(event.get("Caller-Channel-Hangup-Time")) or event.at
    billsec = event.var("billsec") or ""
    # FreeSWITCH's own figures (whole seconds between the epochs), so they agree with the CDR
    duration = event.var("duration") or ""
    return {
        "occurred_at": ended,
        "call_uuid": event.uuid,
        "direction": event.get("Call-Direction", ""),
        "caller": {"number": event.get("Caller-Caller-ID-Number", ""), "name": event.get("Caller-Caller-ID-Name", "")},
        "callee": dialled,
        "started_at": _iso(started),
        "answered_at": _iso(answered),
        "ended_at": _iso(ended),
        "duration_s": int(duration) if duration.isdigit() else (
            round((ended - started).total_seconds()) if started else None),
        "billed_s": int(billsec) if billsec.isdigit() else 0,
        "cause": event.get("Hangup-Cause") or event.var("hangup_cause") or "",
        "answered": answered is not None,
    }


# -- the request ---------------------------------------------------------------------------------------------


def webhook_body(message_id: int, event: str, tenant_id: int, payload: dict) -> bytes:
    """The same bytes on every retry (so are id and occurred_at): compact, keys in a fixed order."""
    document = {"id": message_id, "event": event, "tenant_id": tenant_id,
                "occurred_at": payload.get("occurred_at"), "data": payload.get("data", {})}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, sent: str) -> bool:
    """What a receiver does (and the tests)."""
    return hmac.compare_digest(signature(secret, timestamp, body), sent or "")


def webhook_headers(event: str, idempotency_key: str, timestamp: int, secret: str, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": "callplan-pbx-webhooks/1",
        "X-Event": event,
        "X-Idempotency-Key": idempotency_key,
        "X-Timestamp": str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }
