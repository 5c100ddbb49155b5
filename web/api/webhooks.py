"""Webhook subscriptions and the delivery log (issue #6: missed calls, voicemail, ended calls and agent
status POSTed to the company's own systems).

A subscription's secret signs every request (X-Signature, see web/domain/notices.py for the exact scheme).
It is made here, shown once in the answer to the create (or rotate) request, and stored sealed
(web.secretbox), never shown again: a lost secret is rotated, not looked up.

The delivery log is the outbox itself: every message with its state, tries and last error, and each
try's outcome. Retrying a message makes it due now; the bridge's outbox sends it within a second."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import datetime
from typing import Literal, Optional
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import select

from web import clock
from web.api.problems import Problem, field_problem
from web.api.params import MAX_ID, int_param
from web.api.routing import api
from web.domain.webhook_targets import check_url
from web.models.notification import (OUTBOX_STATES, WEBHOOK_EVENTS, DeliveryAttempt, OutboxMessage,
                                     WebhookSubscription)
from web.scoping import get_owned, scoped
from web.secretbox import seal

PAGE = 100
WebhookEvent = Literal["missed_call", "voicemail", "call_ended", "agent_status"]
assert set(WebhookEvent.__args__) == set(WEBHOOK_EVENTS)  # one list of events, kept in the model
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def _url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value) if not _CONTROL.search(value) else None
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.username
            or parts.password or parts.fragment):
        raise ValueError("must be an http:// or https:// URL with a host name (no user name, password or #fragment)")
    try:
        parts.port
    except ValueError:
        raise ValueError("has an invalid port") from None
    return value


def _events(value: list) -> list:
    if not value:
        raise ValueError("choose at least one event")
    return sorted(set(value), key=WEBHOOK_EVENTS.index)


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=500)
    events: list[WebhookEvent] = Field(max_length=len(WEBHOOK_EVENTS) * 2)
    description: str = Field(default="", max_length=100)
    enabled: bool = True

    _url = field_validator("url")(_url)
    _events = field_validator("events")(_events)


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Optional[str] = Field(default=None, max_length=500)
    events: Optional[list[WebhookEvent]] = Field(default=None, max_length=len(WEBHOOK_EVENTS) * 2)
    description: Optional[str] = Field(default=None, max_length=100)
    enabled: Optional[bool] = None

    @field_validator("url")
    @classmethod
    def _check_url(cls, value):
        return None if value is None else _url(value)

    @field_validator("events")
    @classmethod
    def _check_events(cls, value):
        return None if value is None else _events(value)


class WebhookPublic(BaseModel):
    id: int
    url: str
    events: list[str]
    description: str
    enabled: bool
    created_at: datetime


class WebhookWithSecret(WebhookPublic):
    """Only in the answer to a create or a rotation: the secret is never shown again.

    Every delivery is `POST <url>` with a JSON body {"id", "event", "tenant_id", "occurred_at", "data"}
    and the headers Content-Type: application/json, X-Event (missed_call, voicemail, call_ended,
    agent_status or test), X-Idempotency-Key (the same on every retry of one event: drop repeats),
    X-Timestamp (unix seconds) and X-Signature: sha256=<hex HMAC-SHA256(secret, X-Timestamp + "." +
    raw body)>. Verify the signature in constant time and refuse old timestamps. Any 2xx answer is
    success; anything else (or no answer within the timeout) is retried after 2, 4, 8 ... seconds, at
    most an hour apart, ten tries in all; GET /api/deliveries shows each try."""

    secret: str


class AttemptPublic(BaseModel):
    id: int
    at: datetime
    ok: bool
    status_code: Optional[int]
    error: Optional[str]
    duration_ms: int


class DeliveryPublic(BaseModel):
    id: int
    channel: str
    event: str
    subscription_id: Optional[int]
    recipients: list[str]
    idempotency_key: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: Optional[str]
    created_at: datetime
    delivered_at: Optional[datetime]


class DeliveryDetail(DeliveryPublic):
    payload: dict
    attempt_log: list[AttemptPublic]


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _public(row: WebhookSubscription) -> WebhookPublic:
    return WebhookPublic.model_validate(row, from_attributes=True)


def _with_secret(row: WebhookSubscription, secret: str) -> WebhookWithSecret:
    return WebhookWithSecret(**_public(row).model_dump(), secret=secret)


# -- subscriptions -------------------------------------------------------------------------------------


def _reachable(ctx, url: str) -> str:
    """Refuse a URL whose host is inside the platform (see web.domain.webhook_targets)."""
    reason = check_url(url, ctx.settings.webhook_allow_private)
    if reason is not None:
        raise field_problem(422, "webhook_target_refused", "/url",
                            f"{reason}: webhooks may only go to public internet addresses")
    return url


def list_webhooks(ctx):
    """Every webhook subscription of the company (without secrets)."""
    rows = ctx.db.exec(scoped(WebhookSubscription, ctx.tenant_id).order_by(WebhookSubscription.id)).all()
    return [_public(row) for row in rows]


def create_webhook(ctx, body: WebhookCreate):
    """Subscribe a URL to events; the answer holds the signing secret, shown this once."""
    secret = new_secret()
    row = WebhookSubscription(tenant_id=ctx.tenant_id, url=_reachable(ctx, body.url), events=list(body.events),
                              description=body.description, enabled=body.enabled,
                              secret_sealed=seal(ctx.settings.secret_key, secret))
    ctx.db.add(row)
    ctx.db.flush()
    return _with_secret(row, secret)


def get_webhook(ctx, id: int):
    """One webhook subscription (without its secret)."""
    return _public(get_owned(ctx.db, WebhookSubscription, ctx.tenant_id, id))


def update_webhook(ctx, body: WebhookUpdate, id: int):
    """Change a subscription; only the fields sent change. The secret stays (rotate it to change it)."""
    row = get_owned(ctx.db, WebhookSubscription, ctx.tenant_id, id)
    values = body.model_dump(exclude_unset=True)
    for name in ("url", "events", "enabled"):
        if name in values and values[name] is None:
            raise field_problem(422, "invalid", f"/{name}", "may not be null")
    if values.get("description") is None:
        values.pop("description", None)
    if "url" in values:
        _reachable(ctx, values["url"])
    for name, value in values.items():
        setattr(row, name, list(value) if name == "events" else value)
    ctx.db.add(row)
    ctx.db.flush()
    return _public(row)


def delete_webhook(ctx, id: int):
    """Delete a subscription and its deliveries."""
    row = get_owned(ctx.db, WebhookSubscription, ctx.tenant_id, id)
    ctx.db.delete(row)
    return None


def rotate_secret(ctx, id: int):
    """A new signing secret, shown this once; the old one stops working at once."""
    row = get_owned(ctx.db, WebhookSubscription, ctx.tenant_id, id)
    secret = new_secret()
    row.secret_sealed = seal(ctx.settings.secret_key, secret)
    ctx.db.add(row)
    ctx.db.flush()
    return _with_secret(row, secret)


def test_webhook(ctx, id: int):
    """Queue a test delivery (X-Event: test) to this subscription; follow it in the delivery log."""
    row = get_owned(ctx.db, WebhookSubscription, ctx.tenant_id, id)
    now = clock.now()
    key = f"test:{uuid.uuid4()}"
    message = OutboxMessage(
        tenant_id=ctx.tenant_id, channel="webhook", event="test", subscription_id=row.id, recipients=[],
        idempotency_key=key, dedupe_key=f"webhook:{row.id}:{key}", next_attempt_at=now, created_at=now,
        payload={"occurred_at": now.isoformat(), "data": {"message": "This is a test delivery.",
                                                           "subscription_id": row.id}})
    ctx.db.add(message)
    ctx.db.flush()
    return _delivery(message)


# -- the delivery log ------------------------------------------------------------------------------------


def _delivery(row: OutboxMessage) -> DeliveryPublic:
    return DeliveryPublic.model_validate(row, from_attributes=True)


def list_deliveries(ctx):
    """Messages of the outbox, newest first, 100 a page (?before_id=); filter with ?status=, ?event=,
    ?subscription_id=, ?channel=."""
    params = ctx.request.query_params
    query = scoped(OutboxMessage, ctx.tenant_id)
    status = params.get("status")
    if status is not None:
        if status not in OUTBOX_STATES:
            raise Problem(422, "invalid", pointer="/status", detail=f"must be one of {', '.join(OUTBOX_STATES)}")
        query = query.where(OutboxMessage.status == status)
    event = params.get("event")
    if event is not None:
        query = query.where(OutboxMessage.event == event[:32])
    channel = params.get("channel")
    if channel is not None:
        query = query.where(OutboxMessage.channel == channel[:16])
    for name, column in (("subscription_id", OutboxMessage.subscription_id), ("before_id", OutboxMessage.id)):
        value = int_param(params, name, None, 0, MAX_ID)
        if value is not None:
            query = query.where(column == value) if name == "subscription_id" else query.where(column < value)
    rows = ctx.db.exec(query.order_by(OutboxMessage.id.desc()).limit(PAGE)).all()
    return [_delivery(row) for row in rows]


def get_delivery(ctx, id: int):
    """One message of the outbox with every try."""
    row = get_owned(ctx.db, OutboxMessage, ctx.tenant_id, id)
    attempts = ctx.db.exec(scoped(DeliveryAttempt, ctx.tenant_id).where(DeliveryAttempt.message_id == row.id)
                           .order_by(DeliveryAttempt.id)).all()
    return DeliveryDetail(**_delivery(row).model_dump(), payload=row.payload or {},
                          attempt_log=[AttemptPublic.model_validate(a, from_attributes=True) for a in attempts])


def retry_delivery(ctx, id: int):
    """Send a message again now: a failed one gets a fresh round of tries, a delivered one is sent once
    more (with the same idempotency key)."""
    row = get_owned(ctx.db, OutboxMessage, ctx.tenant_id, id)
    row.status = "pending"
    row.attempts = 0
    row.next_attempt_at = clock.now()
    ctx.db.add(row)
    ctx.db.flush()
    return _delivery(row)


routes = [
    api("GET", "/api/webhooks", list_webhooks, permission="pbx.manage", response=list[WebhookPublic]),
    api("POST", "/api/webhooks", create_webhook, permission="pbx.manage", body=WebhookCreate,
        response=WebhookWithSecret, status=201),
    api("GET", "/api/webhooks/{id:int}", get_webhook, permission="pbx.manage", response=WebhookPublic,
        model=WebhookSubscription),
    api("PATCH", "/api/webhooks/{id:int}", update_webhook, permission="pbx.manage", body=WebhookUpdate,
        response=WebhookPublic, model=WebhookSubscription),
    api("DELETE", "/api/webhooks/{id:int}", delete_webhook, permission="pbx.manage", status=204,
        model=WebhookSubscription),
    api("POST", "/api/webhooks/{id:int}/rotate-secret", rotate_secret, permission="pbx.manage",
        response=WebhookWithSecret, model=WebhookSubscription),
    api("POST", "/api/webhooks/{id:int}/test", test_webhook, permission="pbx.manage", response=DeliveryPublic,
        status=202, model=WebhookSubscription),
    api("GET", "/api/deliveries", list_deliveries, permission="pbx.manage", response=list[DeliveryPublic]),
    api("GET", "/api/deliveries/{id:int}", get_delivery, permission="pbx.manage", response=DeliveryDetail,
        model=OutboxMessage),
    api("POST", "/api/deliveries/{id:int}/retry", retry_delivery, permission="pbx.manage",
        response=DeliveryPublic, model=OutboxMessage),
]
