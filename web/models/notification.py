"""Webhook subscriptions and the outbox: every mail and webhook POST the system owes somebody.

The bridge writes a message into the outbox in the same transaction as what caused it, and a delivery job
sends it, retrying with exponential backoff, so a crash or restart between the two loses nothing. Each
message carries an idempotency key that stays the same over its retries; a receiver that sees one twice
has seen the same event twice."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import String
from sqlmodel import Field, SQLModel, UniqueConstraint

from web.models.base import TenantOwned, created_at_field
from web.models.fields import json_field

WEBHOOK_EVENTS = ("missed_call", "voicemail", "call_ended", "agent_status")
OUTBOX_STATES = ("pending", "delivered", "failed")  # failed: gave up after the last retry


class WebhookFields(SQLModel):
    url: str = Field(max_length=500)
    events: list = json_field(default_factory=list)  # of WEBHOOK_EVENTS
    description: str = Field(default="", max_length=100)
    enabled: bool = True


class WebhookSubscription(WebhookFields, TenantOwned, table=True):
    __tablename__ = "webhook_subscription"
    __audit_redact__ = {"secret_sealed"}

    id: Optional[int] = Field(default=None, primary_key=True)
    secret_sealed: str = Field(max_length=500)  # web.secretbox: needed in clear to sign, so not hashed
    created_at: datetime = created_at_field()


class OutboxMessage(TenantOwned, table=True):
    __tablename__ = "outbox_message"
    # the same event is queued once per receiver, however often its cause arrives
    __table_args__ = (UniqueConstraint("dedupe_key"),)
    __audit__ = False

    id: Optional[int] = Field(default=None, primary_key=True)
    channel: str = Field(sa_type=String(16))  # "email" or "webhook"
    event: str = Field(sa_type=String(32))  # missed_call, voicemail, mailbox_full, call_ended, agent_status
    subscription_id: Optional[int] = Field(default=None, foreign_key="webhook_subscription.id", ondelete="CASCADE")
    recipients: list = json_field(default_factory=list)  # e-mail addresses (channel "email")
    idempotency_key: str = Field(max_length=100)
    dedupe_key: str = Field(max_length=200)  # channel + receiver + idempotency key
    payload: dict = json_field()
    attachment_path: Optional[str] = Field(default=None, max_length=500)  # the voicemail WAV
    status: str = Field(default="pending", sa_type=String(16), index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(index=True)
    last_error: Optional[str] = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()
    delivered_at: Optional[datetime] = None


class DeliveryAttempt(TenantOwned, table=True):
    __tablename__ = "delivery_attempt"
    __audit__ = False

    id: Optional[int] = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="outbox_message.id", ondelete="CASCADE", index=True)
    at: datetime = created_at_field()
    ok: bool = False
    status_code: Optional[int] = None
    error: Optional[str] = Field(default=None, max_length=500)
    duration_ms: int = 0
