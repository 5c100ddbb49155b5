"""What the bridge owes somebody because of a call: missed-call mail and webhooks from the plan's e-mail
step, voicemail to e-mail with the WAV, the mailbox-full notice, and the call_ended webhook.

Handlers only write outbox rows (in the batch's transaction, so a notice exists exactly when what
caused it was stored); fs_bridge.outbox delivers them. Every row has a dedupe key made from its cause
(call uuid + step, the voicemail file, ...), so an event FreeSWITCH sends twice, or that is replayed
after a reconnect, queues nothing new.

Other bridge modules use `enqueue_webhooks` (agents: "agent_status") and `enqueue_mail`."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from datetime import datetime, timezone
from typing import Optional

from sqlmodel import select

from web import clock
from web.domain import notices as texts
from web.domain.voicemail_files import shared_file
from web.models.call_plan import CallPlanVersion
from web.models.notification import WEBHOOK_EVENTS, OutboxMessage, WebhookSubscription
from web.models.tenant import Tenant

log = logging.getLogger("fs_bridge.notices")


# -- the interface other modules use ----------------------------------------------------------------------


def enqueue_webhooks(ctx, tenant_id: int, event: str, payload: dict, key: str) -> int:
    """One outbox message per enabled subscription of the tenant that wants `event`; `key` names the
    cause (e.g. f"{uuid}:{step}") and becomes the X-Idempotency-Key the receiver sees on every retry.
    Enqueuing the same key again (later, or in the same batch) adds nothing. Returns how many were new."""
    if event not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    subscriptions = _subscriptions(ctx, tenant_id)
    data = dict(payload)
    # JSON-safe once, here: a datetime deep in a payload must not fail the whole batch at flush
    body = {"occurred_at": _iso(data.pop("occurred_at", None)), "data": json.loads(json.dumps(data, default=_plain))}
    made = 0
    for subscription_id, events in subscriptions:
        if event not in (events or ()):
            continue
        made += _insert(ctx, tenant_id=tenant_id, channel="webhook", event=event, subscription_id=subscription_id,
                        recipients=[], key=key, dedupe_key=f"webhook:{subscription_id}:{key}", payload=body)
    if made:
        _wake(ctx)
    return made


def _subscriptions(ctx, tenant_id: int) -> list:
    """The tenant's enabled subscriptions, read once per batch: every hang-up asks, and a batch holds
    hundreds of them."""
    cache = ctx.db.info.setdefault("notices.subscriptions", {})
    if tenant_id not in cache:
        cache[tenant_id] = ctx.db.exec(
            select(WebhookSubscription.id, WebhookSubscription.events)
            .where(WebhookSubscription.tenant_id == tenant_id, WebhookSubscription.enabled.is_(True))
            .order_by(WebhookSubscription.id)).all()
    return cache[tenant_id]


def _wake(ctx) -> None:
    """One wake-up per batch, however many messages it queued."""
    if not ctx.db.info.get("notices.woken"):
        ctx.db.info["notices.woken"] = True
        ctx.wake_outbox()


def enqueue_mail(ctx, tenant_id: int, event: str, recipients: list[str], subject: str, text: str, key: str,
                 attachment_path: Optional[str] = None, attachment_note: str = "", extra: Optional[dict] = None) -> int:
    """One mail to `recipients` (one message, all of them in To), once per (tenant, event, key).
    `attachment_note` is added to the text when the attachment is gone by the time it is sent; `extra`
    goes into the payload for the outbox (e.g. "vm_delete")."""
    recipients = sorted({address.strip().lower() for address in recipients if address and address.strip()})
    if not recipients:
        return 0
    payload = {"subject": subject, "text": text, "attachment_note": attachment_note, **(extra or {})}
    made = _insert(ctx, tenant_id=tenant_id, channel="email", event=event, subscription_id=None,
                   recipients=recipients, key=key, dedupe_key=f"mail:{tenant_id}:{event}:{key}", payload=payload,
                   attachment_path=attachment_path)
    if made:
        _wake(ctx)
    return made


def _insert(ctx, *, key: str, dedupe_key: str, **values) -> int:
    """INSERT ... ON CONFLICT (dedupe_key) DO NOTHING: the database decides what is a duplicate, so two
    copies of a cause in one batch, or two bridges racing, still make one row and never fail the batch."""
    now = clock.now()
    row = dict(values, idempotency_key=_short(key, 100), dedupe_key=_short(dedupe_key, 200), status="pending",
               attempts=0, next_attempt_at=now, created_at=now)
    table = OutboxMessage.__table__
    if ctx.db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).values(**row).on_conflict_do_nothing(index_elements=["dedupe_key"])
    # RETURNING tells whether a row was made (rowcount is not reliable for this on every driver)
    return len(ctx.db.execute(statement.returning(table.c.id)).all())


def _short(value: str, limit: int) -> str:
    """Keys longer than the column keep their uniqueness through a hash of the whole."""
    if len(value) <= limit:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    return value[: limit - 33] + "~" + digest


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def _iso(value) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return value or clock.now().isoformat()


# -- missed calls: the plan's e-mail step -------------------------------------------------------------------


def find_step(document: dict, step_id: str) -> Optional[dict]:
    """The step with this id anywhere in a plan document (diversions, branches of time conditions and
    menus included)."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("id") == step_id and "type" in node:
                return node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return None


def path_of(value: Optional[str]) -> list[str]:
    """cp_path as a channel variable: `push` makes it "ARRAY::a|:b", or the plain value for one mark."""
    if not value:
        return []
    if value.startswith("ARRAY::"):
        return [part for part in value[len("ARRAY::"):].split("|:") if part]
    return [value]


def dialled_number(event) -> str:
    """What the caller dialled: the request URI's user as it arrived; a transfer to a plan's entry
    segment changes the destination number, not this."""
    for value in (event.var("sip_req_user"), event.get("Caller-RDNIS"), event.get("Caller-Destination-Number")):
        if value and not value.startswith("cp") and "_" not in value:
            return value
    return event.get("Caller-Destination-Number") or ""


def call_time(event) -> datetime:
    """When the call began (the channel's creation), else when the event was made."""
    created = event.get("Caller-Channel-Created-Time")
    if created and created.isdigit() and int(created) > 0:
        return datetime.fromtimestamp(int(created) / 1_000_000, tz=timezone.utc)
    return event.at


def on_email_step(ctx, event) -> None:
    plan, version, step_id = event.get("cp_plan", ""), event.get("cp_version", ""), event.get("cp_step", "")
    if not (plan.isdigit() and version.isdigit() and step_id):
        log.warning("callplan::email without plan, version and step: %s", event.uuid)
        return
    row = ctx.db.exec(select(CallPlanVersion.tenant_id, CallPlanVersion.document)
                      .where(CallPlanVersion.plan_id == int(plan), CallPlanVersion.version == int(version))).first()
    if row is None:
        log.warning("callplan::email for plan %s version %s, which does not exist", plan, version)
        return
    tenant_id, document = row
    # the plan is found by id; the channel's own domain must be that plan's tenant, or a stale or
    # foreign id would mail one company's calls to another
    if tenant_of_channel(ctx, event) not in (None, tenant_id):
        log.warning("callplan::email for plan %s from a channel of another tenant; ignored", plan)
        return
    step = find_step(document, step_id)
    if step is None or step.get("type") != "email":
        log.warning("callplan::email: plan %s version %s has no e-mail step %s", plan, version, step_id)
        return
    tenant = ctx.db.get(Tenant, tenant_id)
    call = {
        "uuid": event.uuid,
        "caller_number": event.get("Caller-Caller-ID-Number") or "",
        "caller_name": event.get("Caller-Caller-ID-Name") or "",
        "dialled": dialled_number(event),
        "at": call_time(event),
        "plan_id": int(plan),
        "plan_version": int(version),
        "plan_name": (document or {}).get("name", ""),
        "step": step_id,
        "path": path_of(event.var("cp_path")),
    }
    key = f"{event.uuid}:{step_id}"
    subject, text = texts.missed_call_mail(tenant.language, tenant.timezone, call)
    enqueue_mail(ctx, tenant_id, "missed_call", step.get("to") or [], subject, text, key)
    if step.get("webhooks", True):
        enqueue_webhooks(ctx, tenant_id, "missed_call", texts.missed_call_payload(call), key)


# -- voicemail ---------------------------------------------------------------------------------------------


def voicemail_file(settings, domain: str, user: str, path: str) -> str:
    """The message as the bridge sees it. FreeSWITCH names the file on its side of the shared volume;
    the folder layout below it (<domain>/<box>/msg_*.wav) is the same on both sides."""
    mine = shared_file(settings.voicemail_dir, domain, user, path)
    return mine if os.path.exists(mine) or not os.path.exists(path) else path


def box_for(ctx, tenant_id: int, number: str):
    """The box mod_voicemail knows as `number`: a company box's extension, or its user's."""
    from web.models.pbx_user import PbxUser
    from web.models.voicemail_box import VoicemailBox

    box = ctx.db.exec(select(VoicemailBox).where(VoicemailBox.tenant_id == tenant_id,
                                                 VoicemailBox.extension == number)).first()
    if box is not None:
        return box
    return ctx.db.exec(select(VoicemailBox).join(PbxUser, VoicemailBox.user_id == PbxUser.id)
                       .where(PbxUser.tenant_id == tenant_id, PbxUser.extension == number,
                              VoicemailBox.tenant_id == tenant_id, VoicemailBox.kind == "personal")).first()


_VM_ID = re.compile(r"^[A-Za-z0-9_.+-]{1,40}@[A-Za-z0-9.-]{1,253} [A-Za-z0-9-]{1,64}\Z")


def count_messages(folder: str) -> int:
    try:
        return sum(1 for name in os.listdir(folder) if name.startswith("msg_"))
    except OSError:
        return 0


def on_voicemail(ctx, event) -> None:
    if event.get("VM-Action") != "leave-message":
        return  # mwi-update, folder-summary, authentication, greetings: nothing to tell anybody
    domain, number = event.get("VM-Domain") or "", event.get("VM-User") or ""
    tenant_id = ctx.tenant_id(domain)
    if tenant_id is None:
        log.warning("voicemail for %s@%s: no such tenant", number, domain)
        return
    box = box_for(ctx, tenant_id, number)
    if box is None:
        log.warning("voicemail for %s@%s: no such box", number, domain)
        return
    tenant = ctx.db.get(Tenant, tenant_id)
    path = voicemail_file(ctx.settings, domain, number, event.get("VM-File-Path") or "")
    seconds = event.get("VM-Message-Len") or "0"
    stamp = event.get("VM-Timestamp") or ""
    message = {
        "uuid": event.get("VM-UUID") or event.uuid,
        "call_uuid": event.uuid or event.var("uuid") or "",
        "box_id": box.id,
        "box_name": box.name,
        "box_number": number,
        "caller_number": event.get("VM-Caller-ID-Number") or "",
        "caller_name": event.get("VM-Caller-ID-Name") or "",
        "seconds": int(seconds) if seconds.isdigit() else 0,
        "at": datetime.fromtimestamp(int(stamp), tz=timezone.utc) if stamp.isdigit() else event.at,
        "file": os.path.basename(path),
    }
    key = f"vm:{message['uuid']}:{number}"
    lang, zone = tenant.language, tenant.timezone
    recipients = [address for address in (box.email, box.copy_email) if address]
    if recipients:
        attach = bool(box.attach_audio and path)
        subject, text = texts.voicemail_mail(lang, zone, message, attached=attach)
        vm_id = f"{number}@{domain} {message['uuid']}"
        # a box that keeps nothing once mailed: the outbox deletes the message from mod_voicemail after
        # the mail is out (never before: a mail that cannot be sent must not lose the message)
        extra = {"vm_delete": vm_id} if box.delete_after_email and _VM_ID.match(vm_id) else None
        enqueue_mail(ctx, tenant_id, "voicemail", recipients, subject, text, key,
                     attachment_path=path if attach else None,
                     attachment_note=texts.t(lang, "notice.attachment_missing"), extra=extra)
    enqueue_webhooks(ctx, tenant_id, "voicemail", texts.voicemail_payload(message), key)
    # mod_voicemail has no message limit of its own (only vm-disk-quota, in seconds, and it fires no
    # event when that is reached), so the box's max_messages is checked here, against the folder
    held = count_messages(os.path.dirname(path))
    if held >= box.max_messages and recipients:
        subject, text = texts.mailbox_full_mail(lang, zone, {**message, "held": held, "limit": box.max_messages})
        # once per box and day while it stays full
        day = clock.now().astimezone(texts.zone(zone)).date().isoformat()
        enqueue_mail(ctx, tenant_id, "mailbox_full", recipients, subject, text, f"full:{box.id}:{day}")


# -- call_ended --------------------------------------------------------------------------------------------


def is_a_leg(event) -> bool:
    """The caller's own channel: not a leg FreeSWITCH originated for a bridge ("Other-Type: originator",
    originating_leg_uuid) and not a queue agent's leg mod_callcenter made (cc_side=agent)."""
    return not (event.get("Other-Type") == "originator" or event.var("originating_leg_uuid")
                or event.var("cc_side") == "agent")


def tenant_of_channel(ctx, event) -> Optional[int]:
    """Phones' channels carry their tenant's domain (domain_name, user_context); a call from a trunk
    runs in the tenant's context."""
    for domain in (event.var("domain_name"), event.get("Caller-Context"), event.var("user_context"),
                   event.var("dialed_domain")):
        tenant_id = ctx.tenant_id(domain)
        if tenant_id is not None:
            return tenant_id
    return None


def on_hangup(ctx, event) -> None:
    if not event.uuid or not is_a_leg(event):
        return
    tenant_id = tenant_of_channel(ctx, event)
    if tenant_id is None or not any("call_ended" in (events or ()) for _, events in _subscriptions(ctx, tenant_id)):
        return  # every call ends: build nothing for a tenant nobody listens to
    payload = texts.call_ended_payload(event, dialled_number(event))
    enqueue_webhooks(ctx, tenant_id, "call_ended", payload, f"{event.uuid}:ended")


HANDLES = {
    "callplan::email": on_email_step,
    "vm::maintenance": on_voicemail,
    "CHANNEL_HANGUP_COMPLETE": on_hangup,
}
