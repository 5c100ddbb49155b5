"""web/api/db_retry.py through the router (web/api/routing.py), on PostgreSQL: a handler whose
transaction PostgreSQL aborts for a deadlock (40P01) or a serialization failure (40001) runs again in a
fresh transaction; still failing, or having done something outside the database already, it answers 503
with Retry-After, never 500. (SQLite never aborts a transaction so: its writers take turns.)

The deadlock is a real one. Another connection locks a phone's registration row, the API's
DELETE /api/devices/{id} locks the device row and waits for the registration (sip_registration.device_id
is ON DELETE SET NULL), and the other connection then asks for the device row: a cycle, which
PostgreSQL breaks by aborting the transaction that waited first, the request's (the other connection
waits 20 s before it looks for cycles itself). That is the order the bridge wrote in before 01f5a3e."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session
from sqlmodel import select

from tests.web.factories_audio import wav_bytes
from tests.web.pbx import admin  # noqa: F401  (fixture)
from web import clock
from web.api import db_retry
from web.models.audio import AudioFile
from web.models.device import Device
from web.models.live import SipRegistration

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

RETRIED = "running it again in a fresh transaction"


def _phone_with_registration(admin) -> tuple[dict, int]:
    user = admin.user()
    device = admin.create("/api/devices", name="desk", brand="yealink", model="T54W", user_id=user["id"])
    with admin.db() as session:
        row = SipRegistration(tenant_id=admin.tenant.id, call_id="retry-1@127.0.0.1", sip_user=device["sip_username"],
                              realm=admin.tenant.sip_domain, device_id=device["id"], user_id=user["id"],
                              expires_at=clock.now())
        session.add(row)
        session.flush()
        return device, row.id


def _waiting_for_a_lock(engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND wait_event_type = 'Lock'")).scalar_one() > 0


def _delete_deadlocked(engine, admin, device_id: int, registration_id: int):
    """DELETE /api/devices/{id} in a deadlock with another connection; the answer."""
    answers: list = []
    request = threading.Thread(target=lambda: answers.append(admin.client.delete(f"/api/devices/{device_id}")))
    with engine.connect() as other:
        other.execute(text("SET LOCAL deadlock_timeout = '20s'"))
        other.execute(text("SELECT id FROM sip_registration WHERE id = :id FOR UPDATE"), {"id": registration_id})
        request.start()
        deadline = time.monotonic() + 10
        while not _waiting_for_a_lock(engine):
            assert time.monotonic() < deadline, "the request never waited for the registration's lock"
            time.sleep(0.02)
        # returns once PostgreSQL has aborted the request's transaction (its deadlock_timeout, 1 s)
        other.execute(text("SELECT id FROM device WHERE id = :id FOR UPDATE"), {"id": device_id})
        other.commit()
    request.join(30)
    [answer] = answers
    return answer


def _messages(caplog, part: str) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.name == "web.api" and part in record.getMessage()]


def test_a_request_that_deadlocks_with_another_connection_runs_again_and_succeeds(app, admin, caplog):
    device, registration_id = _phone_with_registration(admin)
    caplog.set_level(logging.WARNING, logger="web.api")
    answer = _delete_deadlocked(app.state.engine, admin, device["id"], registration_id)
    assert answer.status_code == 204, answer.text
    # the first run was aborted (without the retry: the answer), the second went through
    [retried] = _messages(caplog, RETRIED)
    assert retried.startswith("deadlock (40P01) on DELETE /api/devices/{id"), retried
    assert "retry 1 of 3" in retried
    with admin.db() as session:
        assert session.exec(select(Device).where(Device.id == device["id"])).first() is None
        assert session.get(SipRegistration, registration_id).device_id is None


def test_without_retries_the_same_deadlock_is_a_503_with_retry_after_and_nothing_kept(app, admin, caplog, monkeypatch):
    monkeypatch.setattr(db_retry, "RETRIES", 0)
    device, registration_id = _phone_with_registration(admin)
    caplog.set_level(logging.WARNING, logger="web.api")
    answer = _delete_deadlocked(app.state.engine, admin, device["id"], registration_id)
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "2"
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "database_busy"
    assert "nothing was saved" in answer.json()["title"]
    assert _messages(caplog, RETRIED) == []
    [gave_up] = _messages(caplog, "still failing")
    assert gave_up.startswith("deadlock (40P01) on DELETE /api/devices/{id"), gave_up
    with admin.db() as session:
        assert session.exec(select(Device).where(Device.id == device["id"])).first() is not None


class FailingFlushes:
    """Every flush of the admin's requests that writes a row of `table` fails with PostgreSQL's own
    serialization failure (SQLSTATE 40001, raised by the server in the request's transaction)."""

    def __init__(self, admin, table):
        self.email, self.table, self.runs = admin.account.email, table, 0

    def __call__(self, session, _context):
        actor = session.info.get("actor")
        if getattr(actor, "email", None) != self.email:
            return
        if not any(isinstance(row, self.table) for row in (*session.new, *session.dirty, *session.deleted)):
            return
        self.runs += 1
        session.connection().execute(text(
            "DO $$ BEGIN RAISE EXCEPTION 'staged' USING ERRCODE = 'serialization_failure'; END $$"))

    def __enter__(self):
        event.listen(Session, "after_flush", self)
        return self

    def __exit__(self, *_exc):
        event.remove(Session, "after_flush", self)


def test_a_failure_that_persists_ends_in_503_after_every_retry(app, admin, caplog):
    device, _ = _phone_with_registration(admin)
    caplog.set_level(logging.WARNING, logger="web.api")
    with FailingFlushes(admin, Device) as failing:
        answer = admin.client.patch(f"/api/devices/{device['id']}", json={"name": "renamed"})
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "2"
    assert answer.json()["code"] == "database_busy"
    assert failing.runs == db_retry.RETRIES + 1 == 4
    retried = _messages(caplog, RETRIED)
    assert [message.split(": ", 1)[0] for message in retried] == \
        ["serialization failure (40001) on PATCH /api/devices/{id:int}"] * 3
    [gave_up] = _messages(caplog, "still failing after 4 runs")
    assert "PATCH /api/devices/{id:int}" in gave_up
    with admin.db() as session:
        assert session.get(Device, device["id"]).name == "desk"


def test_a_failure_after_the_handler_reached_outside_is_not_run_again(app, admin, caplog):
    """An upload has read its multipart body (gone once read) and committed its login bookkeeping:
    a 503 at once, the body never asked for twice."""
    caplog.set_level(logging.WARNING, logger="web.api")
    with FailingFlushes(admin, AudioFile) as failing:
        answer = admin.client.post("/api/audio", data={"name": "Welcome"},
                                   files={"file": ("welcome.wav", wav_bytes(), "audio/wav")})
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "2"
    assert failing.runs == 1
    assert _messages(caplog, RETRIED) == []
    [refused] = _messages(caplog, "not run again")
    assert refused.startswith("serialization failure (40001) on POST /api/audio: not run again, it had "), refused
    assert "read the request's body" in refused
    with admin.db() as session:
        assert session.exec(select(AudioFile)).all() == []
