"""Deleting a phone (DELETE /api/devices/{id}) while the bridge writes that phone's unregistration, on
PostgreSQL: no deadlock, so no 500, and the end state is consistent (device gone, no registration left).

The API's delete locks the device row and then, through sip_registration.device_id's ON DELETE SET NULL,
the phone's registration rows; the bridge used to delete the registration row first and update the device
after, so the two could wait for each other. Here the bridge's transaction is held open right after its
first write (the registration's DELETE) until the API's DELETE is seen waiting for a lock, then let go:
the exact interleaving of the deadlock, every round (without the fix PostgreSQL aborted the API's
transaction after deadlock_timeout and it answered 500). The API now runs a deadlocked handler again
(web/api/db_retry.py), which would answer 204 all the same: so the test also asserts that it never had
to, i.e. that no deadlock happened at all."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session
from sqlmodel import select

from fs_bridge import registrations
from fs_bridge.events import parse_plain
from tests.fs_bridge.agents_rig import register_text, unregister_text
from web.models.device import Device
from web.models.live import SipRegistration

ROUNDS = 4


def _waiting_for_a_lock(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND wait_event_type = 'Lock'")).scalar_one()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_deleting_a_phone_while_the_bridge_writes_its_unregistration_never_deadlocks(app, bridge, admin, db, caplog):
    caplog.set_level(logging.WARNING, logger="web.api")
    engine = app.state.engine
    user = admin.user()
    staged: dict = {}  # the round's API thread while the bridge's unregistration is being written
    main = threading.get_ident()

    def hold(session, _context):
        # the bridge's first write is flushed (its row locks held): let the API's DELETE run into them
        api = staged.get("api")
        if (threading.get_ident() != main or api is None or api.ident is not None
                or not any(isinstance(obj, SipRegistration) for obj in session.deleted)):
            return
        api.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not staged.get("waited"):
            staged["waited"] = _waiting_for_a_lock(engine) > 0
            time.sleep(0.02)

    # listened to once for the whole test: adding or removing a Session listener while the API's thread
    # flushes would change the list it walks
    event.listen(Session, "after_flush", hold)
    try:
        for round_ in range(ROUNDS):
            _round(round_, admin, bridge, db, user, staged)
    finally:
        event.remove(Session, "after_flush", hold)
    # the router's warnings of a deadlock it ran a handler again for (or gave up on): none
    assert [record.getMessage() for record in caplog.records if "40P01" in record.getMessage()] == []


def _round(round_, admin, bridge, db, user, staged) -> None:
    device = admin.create("/api/devices", name=f"desk {round_}", brand="yealink", model="T54W", user_id=user["id"])
    sip_user, call_id = device["sip_username"], f"{round_}-77@127.0.0.1"
    bridge.with_context(lambda ctx: registrations.on_register(ctx, parse_plain(register_text(call_id, sip_user))))
    with db() as session:
        assert session.exec(select(Device).where(Device.id == device["id"])).one().registered

    answers: list = []
    api = threading.Thread(target=lambda: answers.append(admin.client.delete(f"/api/devices/{device['id']}")))
    staged.clear()
    staged["api"] = api
    try:
        bridge.with_context(lambda ctx: registrations.on_unregister(ctx, parse_plain(unregister_text(call_id, sip_user))))
    finally:
        staged.pop("api")
        if api.ident is not None:
            api.join(30)
    assert staged.get("waited"), "the API's DELETE never waited for the bridge's locks: the race was not staged"
    [answer] = answers
    assert answer.status_code == 204, (round_, answer.status_code, answer.text)
    with db() as session:
        assert session.exec(select(Device).where(Device.id == device["id"])).first() is None
        assert session.exec(select(SipRegistration).where(SipRegistration.call_id == call_id)).all() == []
