"""Several switches, one bridge each, on one database (#19 item 2): a bridge that connects again clears
only its own switch's leftovers (calls, registrations), the live rows of a switch whose bridge is silent
are shown stale and, after DEAD_AFTER, dropped by another bridge (the pages told the calls ended); and
on PostgreSQL the batch's messages are NOTIFYs of its transaction, numbered, heard only once committed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import gevent
import pytest
from sqlmodel import Session, select

from fs_bridge import calls, live_notify, registrations
from fs_bridge.live_feed import LiveFeed
from fs_bridge.service import Bridge
from tests.web.helpers import make_tenant
from web.api.live_state import snapshot
from web.db import session_scope
from web.models.bridge_status import BridgeStatus
from web.models.live import ActiveCall, SipRegistration

NONE_UP = '{"row_count": 0}'


@pytest.fixture
def bridge(app, settings):
    made = Bridge(settings, app.state.engine, feed=LiveFeed(port=0), modules=["fs_bridge.calls", "fs_bridge.registrations"])
    made.published = []
    made.feed.publish = lambda tenant_id, kind, data: made.published.append((tenant_id, kind, data))
    made.api = lambda command, timeout=5.0: NONE_UP if command == "show channels as json" else \
        "<registrations>\n</registrations>\n"
    return made


@pytest.fixture
def tenant_id(app):
    return make_tenant(lambda: session_scope(app.state.engine), name="Acme", sip_domain="acme.pbx.test").id


def _arrange(engine, tenant_id: int, **switches_of: str) -> None:
    started = datetime.now(timezone.utc) - timedelta(minutes=5)
    with Session(engine) as db:
        for uuid, switch in switches_of.items():
            db.add(ActiveCall(tenant_id=tenant_id, call_uuid=uuid, started_at=started, switch=switch))
            db.add(SipRegistration(tenant_id=tenant_id, call_id=f"reg-{uuid}", sip_user=uuid[:60], realm="acme.pbx.test",
                                   expires_at=started + timedelta(hours=1), registered_at=started, switch=switch))
        db.commit()


def _heartbeat(engine, switch: str, seconds_ago: float, connected: bool = True) -> None:
    with Session(engine) as db:
        db.add(BridgeStatus(esl_address=f"{switch}.example:8021", switch_name=switch, connected=connected,
                            heartbeat_at=datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)))
        db.commit()


def _live(engine, model, column) -> set:
    with Session(engine) as db:
        return set(db.exec(select(column)).all())


def test_a_bridge_that_connects_again_clears_only_its_own_switchs_leftovers(app, bridge, tenant_id, settings):
    engine = app.state.engine
    _arrange(engine, tenant_id, mine=settings.switch, older="", theirs="fs-other")
    bridge.with_context(calls.on_connected)
    bridge.with_context(registrations.on_connected)
    gevent.sleep(0.01)
    assert _live(engine, ActiveCall, ActiveCall.call_uuid) == {"theirs"}  # and the rows of before switches had names
    assert _live(engine, SipRegistration, SipRegistration.call_id) == {"reg-theirs"}
    assert {(kind, data["call_uuid"]) for _, kind, data in bridge.published if kind == "call_ended"} == {
        ("call_ended", "mine"), ("call_ended", "older")}


def test_a_silent_switchs_rows_are_stale_then_dropped_by_another_bridge(app, bridge, tenant_id, settings):
    engine = app.state.engine
    _arrange(engine, tenant_id, fine="fs-fine", quiet="fs-quiet", dead="fs-dead", unknown="fs-never-reported")
    _heartbeat(engine, "fs-fine", 1)
    _heartbeat(engine, "fs-quiet", 30)  # past STALE_AFTER (20 s), not DEAD_AFTER (60 s)
    _heartbeat(engine, "fs-dead", 120)
    _heartbeat(engine, settings.switch, 300)  # this bridge's own old row: never its own calls' judge

    with Session(engine) as db:
        shown = snapshot(db, tenant_id)
    assert {call.call_uuid: call.stale for call in shown.calls} == {
        "fine": False, "quiet": True, "dead": True, "unknown": False}
    assert {reg.sip_user: reg.stale for reg in shown.registrations} == {
        "fine": False, "quiet": True, "dead": True, "unknown": False}

    bridge.with_context(calls.forget_dead_switches)
    gevent.sleep(0.01)
    assert _live(engine, ActiveCall, ActiveCall.call_uuid) == {"fine", "quiet", "unknown"}
    assert [(t, kind, data) for t, kind, data in bridge.published] == [
        (tenant_id, "call_ended", {"call_uuid": "dead", "record_id": None})]


def test_on_postgresql_a_batchs_messages_are_notifications_of_its_transaction(app, bridge, tenant_id, settings):
    if app.state.engine.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite keeps the loopback feed")
    import psycopg

    from tests.fs_bridge.test_calls import call_events  # the channel events of a real call
    from tests.web.call_record_samples import IVR_CALL, event_text
    from fs_bridge.events import parse_plain

    with psycopg.connect(settings.database_url, autocommit=True) as listener:
        listener.execute(f"LISTEN {live_notify.CHANNEL}")
        texts = [event_text(text, domain="acme.pbx.test") for text in call_events(IVR_CALL)]
        for text in texts:
            bridge.receive(parse_plain(text))
        bridge.drain()
        heard = [json.loads(note.payload) for note in listener.notifies(timeout=5, stop_after=100)]
    fed = [(t, kind, data) for t, kind, data in bridge.published]
    assert [(m["tenant_id"], m["kind"]) for m in heard] == [(t, kind) for t, kind, _ in fed] and heard
    assert [m["seq"] for m in heard] == list(range(1, len(heard) + 1))
    assert {m["switch"] for m in heard} == {settings.switch}
    assert heard[-1]["kind"] == "call_ended" and heard[-1]["data"]["record_id"] is not None  # known before commit
    assert json.loads(json.dumps([m["data"] for m in heard], default=str)) == json.loads(json.dumps([d for _, _, d in fed], default=str))

    # a batch that rolls back notifies nobody
    with psycopg.connect(settings.database_url, autocommit=True) as listener:
        listener.execute(f"LISTEN {live_notify.CHANNEL}")
        with pytest.raises(RuntimeError):
            with Session(app.state.engine) as db:
                bridge.notify(db, [(tenant_id, "call", {"call_uuid": "never"})])
                raise RuntimeError("the batch failed")
        assert list(listener.notifies(timeout=1, stop_after=1)) == []
