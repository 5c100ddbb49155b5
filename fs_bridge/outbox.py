"""Delivering the outbox: webhook POSTs and mail, each retried with exponential backoff until it is
delivered or given up ("failed" after MAX_ATTEMPTS tries, about five hours of trying).

The loop sleeps on the bridge's outbox_wakeup (handlers set it after their batch commits), so a
notice goes out at once instead of at the next poll; the one-second timeout still finds messages the
web app queued (test deliveries, retries) and retries that have come due.

Claiming: a message is taken by moving its next_attempt_at a lease ahead, in an UPDATE whose WHERE
still requires it pending and due. Two bridges (or a restarted one whose predecessor was mid-way) can
never both win that UPDATE, so a message is sent by one of them; if its sender dies, the lease runs
out and another takes it (at least once; the idempotency key lets a receiver drop the rare repeat).
Nothing is held in memory only: a message is a row from the moment its cause was stored.

Deliveries run concurrently in a gevent pool (a slow receiver must not hold up everybody's mail), and
no database session is kept open across a network wait. Every webhook try checks its URL's host again
and connects to the address it checked (web.domain.webhook_targets): a URL stored before the check
existed, or a name whose DNS answer changed, cannot reach inside."""

from __future__ import annotations

import logging
import mimetypes
import os
import smtplib
import time
from datetime import timedelta
from typing import Callable, Optional

import httpx
from sqlalchemy import update
from sqlmodel import Session, select

from web import clock, mail
from web.domain import notices as texts
from web.domain import statement_mail, webhook_targets
from web.domain.problems import Problem
from web.models.notification import DeliveryAttempt, OutboxMessage, WebhookSubscription
from web.secretbox import open_sealed

log = logging.getLogger("fs_bridge.outbox")

HANDLES: dict = {}
POOL_SIZE = 10
MAX_ATTEMPTS = 10
BACKOFF_CAP_S = 3600
WAIT_S = 1.0


def backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones: 2, 4, 8, ... capped at an hour."""
    return float(min(2 ** attempts, BACKOFF_CAP_S))


def lease_seconds(settings) -> float:
    # longer than any one delivery can take (webhook timeout, the SMTP timeout of web.mail)
    return max(60.0, 3 * float(settings.webhook_timeout_s), 30.0)


def claim(engine, settings, limit: int) -> list[int]:
    """Take up to `limit` due messages for this process (see the module's note on claiming)."""
    if limit <= 0:
        return []
    now = clock.now()
    until = now + timedelta(seconds=lease_seconds(settings))
    claimed = []
    with Session(engine) as db:
        due = db.exec(select(OutboxMessage.id)
                      .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
                      .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)).all()
        for message_id in due:
            taken = db.execute(update(OutboxMessage)
                               .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending",
                                      OutboxMessage.next_attempt_at <= now)
                               .values(next_attempt_at=until))
            if taken.rowcount == 1:
                claimed.append(message_id)
        db.commit()
    return claimed


class Failure(Exception):
    def __init__(self, error: str, status_code: Optional[int] = None):
        super().__init__(error)
        self.error = error
        self.status_code = status_code


def deliver(engine, settings, message_id: int, client: Optional[httpx.Client] = None,
            freeswitch: Optional[Callable[[str], object]] = None) -> bool:
    """Send one claimed message once and record the attempt; True when it was delivered.
    `freeswitch(command)` runs an api command (the bridge's): a voicemail of a box that keeps nothing
    after mailing is deleted from mod_voicemail once its mail is out."""
    with Session(engine, expire_on_commit=False) as db:
        message = db.get(OutboxMessage, message_id)
        if message is None or message.status != "pending":
            return False
        subscription = db.get(WebhookSubscription, message.subscription_id) if message.subscription_id else None
        # a file kept in the database (a monthly statement's PDF), read now: the row names it, holds no copy
        try:
            stored = statement_mail.attachment(db, message.tenant_id, message.payload or {})
        except Problem:
            stored = Failure("the statement is gone")
    started = time.monotonic()
    status_code = None
    try:
        if message.channel == "webhook":
            status_code = _post(settings, message, subscription, client)
        elif message.channel == "email":
            if isinstance(stored, Failure):
                raise stored
            _mail(settings, message, [stored] if stored else [])
        else:
            raise Failure(f"unknown channel {message.channel!r}")
        ok, error = True, None
    except Failure as failure:
        ok, error, status_code = False, failure.error, failure.status_code
    except Exception:  # a delivery bug must cost one attempt, never the loop (the log has the trace)
        log.exception("delivering outbox message %s failed", message_id)
        ok, error = False, "internal error"
    duration_ms = int((time.monotonic() - started) * 1000)
    _record(engine, message, ok, status_code, error, duration_ms)
    vm_delete = (message.payload or {}).get("vm_delete")
    if ok and vm_delete and freeswitch is not None:
        freeswitch(f"vm_delete {vm_delete}")
    return ok


def _record(engine, message: OutboxMessage, ok: bool, status_code, error, duration_ms: int) -> None:
    now = clock.now()
    error = (error or "")[:500] or None
    attempts = message.attempts + 1
    if ok:
        values = dict(status="delivered", attempts=attempts, delivered_at=now, last_error=None)
    elif attempts >= MAX_ATTEMPTS:
        values = dict(status="failed", attempts=attempts, last_error=error)
    else:
        values = dict(attempts=attempts, last_error=error, next_attempt_at=now + timedelta(seconds=backoff(attempts)))
    with Session(engine) as db:
        db.add(DeliveryAttempt(tenant_id=message.tenant_id, message_id=message.id, at=now, ok=ok,
                               status_code=status_code, error=error, duration_ms=duration_ms))
        db.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(**values))
        db.commit()
    if not ok:
        log.info("outbox message %s (%s %s) attempt %d failed: %s", message.id, message.channel, message.event,
                 attempts, error)


# -- webhooks ------------------------------------------------------------------------------------------------


def _status(exc: httpx.HTTPError) -> str:
    """What the delivery log says about a request that got no answer: a status, never the exception's
    text (which could describe the inside of the network to whoever reads the tenant's log)."""
    if isinstance(exc, webhook_targets.TargetRefused):
        return exc.reason
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect"
    return "no answer"


def webhook_client(settings) -> httpx.Client:
    """The client deliveries use: it reaches only addresses web.domain.webhook_targets allows."""
    return webhook_targets.client(settings.webhook_allow_private)


def _post(settings, message: OutboxMessage, subscription: Optional[WebhookSubscription],
          client: Optional[httpx.Client]) -> int:
    if subscription is None:
        raise Failure("the subscription is gone")
    if not subscription.enabled:
        raise Failure("the subscription is disabled")
    try:
        secret = open_sealed(settings.secret_key, subscription.secret_sealed)
    except ValueError:
        raise Failure("the subscription's secret can no longer be read; rotate it") from None
    body = texts.webhook_body(message.id, message.event, message.tenant_id, message.payload)
    headers = texts.webhook_headers(message.event, message.idempotency_key, int(clock.timestamp()), secret, body)
    own = client is None
    client = client or webhook_client(settings)
    try:
        # streamed and closed unread: a receiver's answer body is of no use and could be endless
        with client.stream("POST", subscription.url, content=body, headers=headers,
                           timeout=settings.webhook_timeout_s, follow_redirects=False) as response:
            status = response.status_code
    except httpx.HTTPError as exc:
        raise Failure(_status(exc)) from None
    finally:
        if own:
            client.close()
    if not 200 <= status < 300:
        raise Failure(f"HTTP {status}", status)
    return status


# -- mail ----------------------------------------------------------------------------------------------------


def _mail(settings, message: OutboxMessage, stored: list = ()) -> None:
    payload = message.payload or {}
    text = payload.get("text", "")
    attachments = list(stored)
    if message.attachment_path:
        try:
            with open(message.attachment_path, "rb") as file:
                content = file.read()
            mime = mimetypes.guess_type(message.attachment_path)[0] or "application/octet-stream"
            if message.attachment_path.lower().endswith(".wav"):
                mime = "audio/wav"
            attachments.append((os.path.basename(message.attachment_path), content, mime))
        except OSError:
            log.warning("outbox message %s: attachment %s is missing; sent without it", message.id,
                        message.attachment_path)
            note = payload.get("attachment_note") or ""
            text = f"{text.rstrip()}\n\n{note}\n" if note else text
    # attachments made by the web app (report mail's CSV files) travel in the row: the two processes may
    # not share a folder
    for item in payload.get("attachments") or ():
        attachments.append((item.get("filename") or "attachment", (item.get("text") or "").encode("utf-8"),
                            item.get("mime") or "text/plain"))
    email = mail.build_message(settings, message.recipients, payload.get("subject", ""), text, attachments)
    try:
        mail.deliver(settings, email)
    except (OSError, smtplib.SMTPException) as exc:
        raise Failure(f"SMTP {settings.smtp_host}:{settings.smtp_port}: {exc.__class__.__name__}: {exc}") from None


# -- the loop ------------------------------------------------------------------------------------------------


def deliver_due(engine, settings, spawn: Optional[Callable] = None, limit: int = 50,
                client: Optional[httpx.Client] = None, freeswitch: Optional[Callable[[str], object]] = None) -> int:
    """Claim what is due and deliver it: in `spawn`ed greenlets when given (the bridge), else one after
    another here (tests, tools). Returns how many were claimed."""
    ids = claim(engine, settings, limit)
    for message_id in ids:
        if spawn is not None:
            spawn(deliver, engine, settings, message_id, client, freeswitch)
        else:
            deliver(engine, settings, message_id, client, freeswitch)
    return len(ids)


def run(bridge) -> None:
    """The bridge's delivery job (a greenlet of its own, see fs_bridge.service.Bridge.start)."""
    from gevent.pool import Pool

    pool = Pool(POOL_SIZE)
    client = webhook_client(bridge.settings)
    wakeup = bridge.outbox_wakeup
    try:
        while bridge.running:
            wakeup.wait(timeout=WAIT_S)
            wakeup.clear()
            free = pool.free_count()
            if free == 0:
                pool.wait_available(timeout=WAIT_S)
                continue
            try:
                claimed = deliver_due(bridge.engine, bridge.settings, spawn=pool.spawn, limit=free, client=client,
                                      freeswitch=bridge.api)
            except Exception:
                log.exception("the outbox could not be read; trying again")
                claimed = 0
            if claimed and claimed == free:
                wakeup.set()  # more may be waiting: come back as soon as a slot frees
    finally:
        client.close()
