"""Arranging notices for the bridge's tests: a tenant with a published plan holding an e-mail step,
voicemail boxes, webhook subscriptions, real WAV files, and event texts built on real FreeSWITCH ones.

The `event` dialplan application (mod_dptools event_function) renames its event to CUSTOM before
adding the channel's data, and switch_channel_event_set_extended_data adds every channel variable to
CUSTOM events, so a callplan::email event carries the channel's headers and `variable_*`s (cp_path
included) besides the cp_plan/cp_version/cp_step the step names. mod_voicemail's leave-message event
(vm::maintenance) adds the VM-* headers and then the channel's data the same way. Both are therefore
built here from a real channel event of ../shared/fixtures with those headers on top."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

from tests.fs_bridge.conftest import fixture_text, rewrite
from tests.web.factories_webhooks import make_webhook
from web.models.call_plan import CallPlanRecord, CallPlanVersion

PLAN_DOCUMENT = {
    "name": "Reception",
    "numbers": ["+31201234567", "200"],
    "diversions": [],
    "steps": [
        {"id": "s1", "type": "user", "user": 1},
        {"id": "s2", "type": "email", "to": ["Sales@Acme.test", "boss@acme.test"], "webhooks": True},
        {"id": "s3", "type": "hang_up", "cause": "NO_ANSWER"},
        {"id": "s4", "type": "email", "to": ["quiet@acme.test"], "webhooks": False},
    ],
}


def make_plan(db, tenant_id: int, document: dict | None = None, version: int = 1) -> int:
    document = document or PLAN_DOCUMENT
    with db() as session:
        plan = CallPlanRecord(tenant_id=tenant_id, name=document["name"], draft=document, published_version=version)
        session.add(plan)
        session.flush()
        session.add(CallPlanVersion(tenant_id=tenant_id, plan_id=plan.id, version=version, document=document))
        return plan.id


def hooks(db, settings, tenant_id: int, url: str) -> dict[str, int]:
    """Three subscriptions: all events, only call_ended, and a disabled one."""
    return {
        "all": make_webhook(db, settings, tenant_id, url=url, events=["missed_call", "voicemail", "call_ended", "agent_status"]),
        "ended": make_webhook(db, settings, tenant_id, url=url, events=["call_ended"]),
        "off": make_webhook(db, settings, tenant_id, url=url, events=["missed_call", "voicemail", "call_ended"], enabled=False),
    }


def email_event(plan_id: int, step: str = "s2", domain: str = "acme.pbx.test", uuid: str | None = None,
                path: str | None = None, **extra) -> str:
    headers = {"Event-Name": "CUSTOM", "Event-Subclass": "callplan::email", "cp_plan": str(plan_id),
               "cp_version": "1", "cp_step": step, "variable_domain_name": domain,
               "variable_cp_path": path if path is not None else f"ARRAY::{plan_id}:1:s1|:{plan_id}:1:{step}",
               "Caller-Caller-ID-Number": "+31612345678", "Caller-Caller-ID-Name": "Jan de Vries",
               "variable_sip_req_user": "+31201234567", "Caller-Destination-Number": f"cp{plan_id}_entry",
               # 2026-03-10 08:59:30 UTC: 09:59 in Amsterdam
               "Caller-Channel-Created-Time": "1773133170000000"}
    if uuid:
        headers["Unique-ID"] = uuid
    headers.update(extra)
    return rewrite(fixture_text("CHANNEL_ANSWER"), **headers)


def voicemail_event(number: str, file_path: str, domain: str = "acme.pbx.test", action: str = "leave-message",
                    vm_uuid: str = "5b0e3c9a-1f0e-4c57-9a57-1d2cbe1e0001", **extra) -> str:
    headers = {"Event-Name": "CUSTOM", "Event-Subclass": "vm::maintenance", "VM-Action": action,
               "VM-User": number, "VM-Domain": domain, "VM-Caller-ID-Name": "Jan de Vries",
               "VM-Caller-ID-Number": "+31612345678", "VM-File-Path": file_path, "VM-Flags": "",
               "VM-Folder": "inbox", "VM-UUID": vm_uuid, "VM-Message-Len": "7", "VM-Timestamp": "1773133200",
               "variable_domain_name": domain}
    headers.update(extra)
    return rewrite(fixture_text("CHANNEL_ANSWER"), **headers)


def hangup_event(domain: str = "acme.pbx.test", **extra) -> str:
    return rewrite(fixture_text("CHANNEL_HANGUP_COMPLETE"), variable_domain_name=domain, **extra)


def write_wav(path: Path, seconds: float = 0.5, rate: int = 8000) -> bytes:
    """A real (short) 16-bit mono WAV as mod_voicemail records them; returns its bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = b"".join(struct.pack("<h", (i * 997) % 20000 - 10000) for i in range(int(seconds * rate)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return path.read_bytes()
