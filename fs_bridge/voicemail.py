"""Voicemail boxes changing, for the browser's /messages page: mod_voicemail recounts a box after every
change, whoever made it (a message left, heard or deleted on the phone, marked heard or deleted from the
portal through its API), and fires vm::maintenance "mwi-update" with the counts (update_mwi in
mod_voicemail.c, the same moment it sends the lamp's MESSAGE_WAITING). The bridge passes on which box
changed; the page reads the box again through the API, which checks who may read it.

    {"kind": "voicemail", "tenant_id": 7, "data": {"box_id": 12, "new": 1, "saved": 2}}

web/live.py gives it only to the sockets of those who may read that box."""

from __future__ import annotations

import logging

from fs_bridge.notices import box_for

log = logging.getLogger("fs_bridge.voicemail")


def _count(value) -> int:
    text = str(value or "0")
    return int(text) if text.isdigit() else 0


def on_maintenance(ctx, event) -> None:
    if event.get("VM-Action") != "mwi-update":
        return
    domain, number = event.get("VM-Domain") or "", event.get("VM-User") or ""
    tenant_id = ctx.tenant_id(domain)
    if tenant_id is None:
        return
    box = box_for(ctx, tenant_id, number)
    if box is None:
        log.info("voicemail count for %s@%s: no such box", number, domain)
        return
    ctx.publish(tenant_id, "voicemail", {"box_id": box.id, "new": _count(event.get("VM-Total-New")),
                                         "saved": _count(event.get("VM-Total-Saved"))})


HANDLES = {"vm::maintenance": on_maintenance}
