"""Webhook subscriptions and the delivery log through the API: the secret shown once, URL and event
checks with pointers, test deliveries signed with the (rotated) secret, filters, retries, isolation."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import select

from fs_bridge import outbox
from tests.fs_bridge.test_outbox import Receiver
from tests.web.pbx import admin, other_admin  # noqa: F401  (fixtures)
from web import clock
from web.models.notification import OutboxMessage, WebhookSubscription
from web.domain.notices import verify
from web.secretbox import open_sealed


@pytest.fixture
def settings(settings):
    """The receivers here listen on 127.0.0.1 (tests/web/test_webhook_targets.py: refused without this)."""
    return dataclasses.replace(settings, webhook_allow_private=True)


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


def create(admin, **body):
    body = {"url": "https://crm.example.com/pbx", "events": ["missed_call"], **body}
    response = admin.client.post("/api/webhooks", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_secret_is_shown_once_and_stored_sealed(admin, db, settings):
    made = create(admin, events=["voicemail", "missed_call", "missed_call"], description="CRM")
    assert made["secret"].startswith("whsec_") and len(made["secret"]) > 40
    assert made["events"] == ["missed_call", "voicemail"] and made["enabled"] is True
    assert "secret" not in admin.client.get(f"/api/webhooks/{made['id']}").json()
    assert all("secret" not in row and "secret_sealed" not in row for row in admin.client.get("/api/webhooks").json())
    with db() as session:
        row = session.get(WebhookSubscription, made["id"])
        assert made["secret"] not in row.secret_sealed
        assert open_sealed(settings.secret_key, row.secret_sealed) == made["secret"]
    audit = admin.client.get("/api/audit").text
    assert made["secret"] not in audit


@pytest.mark.parametrize("url", ["ftp://crm.example.com/", "http://", "javascript:alert(1)", "crm.example.com/x",
                                 "http://user:pw@crm.example.com/", "http://crm.example.com/a b",
                                 "http://crm.example.com:99999/", "https://crm.example.com/#x", "x" * 600])
def test_a_url_that_is_not_http_is_refused_with_its_pointer(admin, url):
    response = admin.client.post("/api/webhooks", json={"url": url, "events": ["missed_call"]})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [error["pointer"] for error in response.json()["errors"]] == ["/url"]


def test_events_must_be_known_and_not_empty(admin):
    response = admin.client.post("/api/webhooks", json={"url": "https://x.example.com/", "events": ["missed_call", "party"]})
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/events/1"
    response = admin.client.post("/api/webhooks", json={"url": "https://x.example.com/", "events": []})
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/events"
    response = admin.client.post("/api/webhooks", json={"url": "https://x.example.com/", "events": ["test"]})
    assert response.status_code == 422


def test_change_and_delete(admin, db):
    made = create(admin)
    changed = admin.client.patch(f"/api/webhooks/{made['id']}", json={"events": ["call_ended"], "enabled": False})
    assert changed.status_code == 200, changed.text
    assert changed.json()["events"] == ["call_ended"] and changed.json()["enabled"] is False
    assert changed.json()["url"] == made["url"]
    for body, pointer in (({"url": "gopher://x"}, "/url"), ({"url": None}, "/url"), ({"events": []}, "/events"),
                          ({"enabled": None}, "/enabled"), ({"secret": "mine"}, "/secret")):
        response = admin.client.patch(f"/api/webhooks/{made['id']}", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["pointer"] == pointer
    admin.client.post(f"/api/webhooks/{made['id']}/test")
    assert admin.client.delete(f"/api/webhooks/{made['id']}").status_code == 204
    assert admin.client.get(f"/api/webhooks/{made['id']}").status_code == 404
    assert admin.client.get("/api/deliveries").json() == []  # its deliveries went with it


def test_a_test_delivery_is_signed_with_the_secret_and_rotation_replaces_it(admin, app, settings, receiver):
    made = create(admin, url=receiver.url)
    queued = admin.client.post(f"/api/webhooks/{made['id']}/test")
    assert queued.status_code == 202, queued.text
    assert queued.json()["status"] == "pending" and queued.json()["event"] == "test"
    outbox.deliver_due(app.state.engine, settings)
    [first] = receiver.requests
    headers = first["headers"]
    assert headers["X-Event"] == "test" and headers["X-Idempotency-Key"] == queued.json()["idempotency_key"]
    assert verify(made["secret"], headers["X-Timestamp"], first["body"], headers["X-Signature"])

    rotated = admin.client.post(f"/api/webhooks/{made['id']}/rotate-secret")
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != made["secret"]
    admin.client.post(f"/api/webhooks/{made['id']}/test")
    outbox.deliver_due(app.state.engine, settings)
    second = receiver.requests[1]
    assert verify(new_secret, second["headers"]["X-Timestamp"], second["body"], second["headers"]["X-Signature"])
    assert not verify(made["secret"], second["headers"]["X-Timestamp"], second["body"], second["headers"]["X-Signature"])

    detail = admin.client.get(f"/api/deliveries/{queued.json()['id']}").json()
    assert detail["status"] == "delivered" and detail["attempts"] == 1
    assert [(a["ok"], a["status_code"]) for a in detail["attempt_log"]] == [(True, 200)]
    assert detail["payload"]["data"]["subscription_id"] == made["id"]


def test_the_delivery_log_filters_and_retries(admin, app, db, settings):
    down = create(admin, url="http://127.0.0.1:9/down")
    other = create(admin, url="http://127.0.0.1:9/other", events=["call_ended"])
    for _ in range(2):
        admin.client.post(f"/api/webhooks/{down['id']}/test")
    admin.client.post(f"/api/webhooks/{other['id']}/test")
    with db() as session:  # the first gave up long ago
        first = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).first()
        first.status, first.attempts, first.last_error = "failed", 10, "ConnectError"
        first.next_attempt_at = clock.now()
        session.add(first)
        failed_id = first.id

    listed = admin.client.get("/api/deliveries").json()
    assert len(listed) == 3 and listed[0]["id"] > listed[-1]["id"]  # newest first
    assert [d["id"] for d in admin.client.get("/api/deliveries?status=failed").json()] == [failed_id]
    assert len(admin.client.get(f"/api/deliveries?subscription_id={down['id']}").json()) == 2
    assert len(admin.client.get("/api/deliveries?event=test&status=pending").json()) == 2
    assert admin.client.get("/api/deliveries?event=missed_call").json() == []
    assert len(admin.client.get(f"/api/deliveries?before_id={listed[0]['id']}").json()) == 2
    for query, pointer in (("status=lost", "/status"), ("subscription_id=x", "/subscription_id"),
                           ("before_id=-1", "/before_id")):
        response = admin.client.get(f"/api/deliveries?{query}")
        assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == pointer

    retried = admin.client.post(f"/api/deliveries/{failed_id}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "pending" and retried.json()["attempts"] == 0
    assert failed_id in outbox.claim(app.state.engine, settings, 10)  # due at once


def test_other_tenants_webhooks_and_deliveries_are_invisible(admin, other_admin):
    mine = create(admin)
    admin.client.post(f"/api/webhooks/{mine['id']}/test")
    theirs = create(other_admin, url="https://other.example.com/")
    assert [w["id"] for w in other_admin.client.get("/api/webhooks").json()] == [theirs["id"]]
    assert other_admin.client.get("/api/deliveries").json() == []
    assert other_admin.client.get(f"/api/deliveries?subscription_id={mine['id']}").json() == []
    delivery = admin.client.get("/api/deliveries").json()[0]["id"]
    for method, path in (("GET", f"/api/webhooks/{mine['id']}"), ("PATCH", f"/api/webhooks/{mine['id']}"),
                         ("POST", f"/api/webhooks/{mine['id']}/test"), ("POST", f"/api/webhooks/{mine['id']}/rotate-secret"),
                         ("DELETE", f"/api/webhooks/{mine['id']}"), ("GET", f"/api/deliveries/{delivery}"),
                         ("POST", f"/api/deliveries/{delivery}/retry")):
        response = other_admin.client.request(method, path, json={} if method == "PATCH" else None)
        assert response.status_code == 404, (method, path, response.text)
    assert admin.client.get(f"/api/webhooks/{mine['id']}").status_code == 200


def test_only_admins_manage_webhooks(admin, app, db, settings):
    from starlette.testclient import TestClient

    from tests.web.helpers import make_account, make_token

    for role in ("user", "agent", "reports"):
        account = make_account(db, settings, admin.tenant.id, f"{role}@acme.test", role=role)
        client = TestClient(app, headers={"authorization": f"Bearer {make_token(db, account)}"})
        assert client.get("/api/webhooks").status_code == 403
        assert client.get("/api/deliveries").status_code == 403
        assert client.post("/api/webhooks", json={"url": "https://x.example.com/", "events": ["voicemail"]}).status_code == 403
