"""Live state across processes on PostgreSQL (#19 item 2): two bridges, each following its own
"FreeSWITCH" (an ESL server speaking the real protocol, fed event texts captured from FreeSWITCH 1.10),
publish through NOTIFY; two web processes (uvicorn, each its own process) LISTEN, and a websocket on each
sees the calls of both switches, a company's socket never another's; a web process started after the
calls began shows them from its snapshot; a switch whose bridge is killed has its calls marked stale.
And the pieces: an oversized message becomes a doorbell, a lost one a fresh snapshot."""

from __future__ import annotations

import json
import signal

import pytest

from fs_bridge import live_notify
from tests.fs_bridge.esl_server import EslServer
from tests.web.browser_support import running_server
from tests.fs_bridge.agents_rig import register_text
from tests.web.call_record_samples import IVR_CALL
from tests.web.factories_devices import make_device
from tests.web.helpers import make_account, make_tenant
from tests.web.live_notify_rig import (ESL_PASSWORD, LiveSocket, call_event, channel_texts, migrated_postgres,
                                       running_bridge, subscribed, wait_for)
from web.db import make_engine, session_scope
from web.models.live import QueueAgent
from web.models.pbx_user import PbxUser

CHANNELS = '{"row_count": 0}'  # `show channels as json` of a switch with none up


@pytest.fixture
def platform(pg_databases, tmp_path):
    """A migrated PostgreSQL of this test with companies A and B and an admin each."""
    from tests.conftest import fast_settings

    url = migrated_postgres(pg_databases)
    engine = make_engine(url)
    db = lambda: session_scope(engine)  # noqa: E731
    settings = fast_settings(url)
    a = make_tenant(db, name="A", sip_domain="a.pbx.test")
    b = make_tenant(db, name="B", sip_domain="b.pbx.test")
    make_account(db, settings, a.id, "admin@a.test")
    make_account(db, settings, b.id, "admin@b.test")
    with db() as session:  # A's agent, whose desk phone (sip user 1001) is not registered yet
        agent = PbxUser(tenant_id=a.id, first_name="Agent", last_name="Anna", extension="201")
        session.add(agent)
        session.flush()
        session.add(QueueAgent(tenant_id=a.id, user_id=agent.id, status="Available", phone_registered=False))
    make_device(db, settings, a.id, user_id=agent.id, sip_username="1001")
    engine.dispose()
    return url, a, b


def _esl() -> EslServer:
    return EslServer(password=ESL_PASSWORD, api_answers={"show channels as json": CHANNELS})


def test_every_web_process_sees_the_calls_of_every_switch_and_only_its_companys(platform, tmp_path):
    url, a, b = platform
    texts = channel_texts(IVR_CALL)
    switch_a, switch_b = _esl(), _esl()
    with running_bridge(url, switch_a.port, "fs-a", tmp_path / "a"), \
            running_bridge(url, switch_b.port, "fs-b", tmp_path / "b") as bridge_b, \
            running_server("callplan-live-1-", database_url=url) as web1:
        wait_for(lambda: subscribed(switch_a) and subscribed(switch_b), what="both bridges subscribed")
        with LiveSocket(web1.base_url, "admin@a.test") as first:
            first.until(lambda: first.snapshots >= 1, what="the first snapshot")
            # a call of A on each switch, and one of B on the second
            switch_a.push_event(call_event(texts["CHANNEL_CREATE"], "call-a-on-fs-a", a.id, "a.pbx.test", "+31201110001"))
            switch_b.push_event(call_event(texts["CHANNEL_CREATE"], "call-a-on-fs-b", a.id, "a.pbx.test", "+31201110002"))
            switch_b.push_event(call_event(texts["CHANNEL_CREATE"], "call-b-on-fs-b", b.id, "b.pbx.test", "+31209990009"))
            first.until(lambda: {"call-a-on-fs-a", "call-a-on-fs-b"} <= set(first.calls), what="both switches' calls")
            assert first.calls["call-a-on-fs-b"]["caller_number"] == "+31201110002"

            # a second web process, started after the calls began: its snapshot has them
            with running_server("callplan-live-2-", database_url=url) as web2, \
                    LiveSocket(web2.base_url, "admin@a.test") as second, \
                    LiveSocket(web2.base_url, "admin@b.test") as other:
                second.until(lambda: {"call-a-on-fs-a", "call-a-on-fs-b"} <= set(second.calls), what="late snapshot")
                other.until(lambda: set(other.calls) == {"call-b-on-fs-b"}, what="B's own call")

                # changes from either switch reach both web processes
                switch_b.push_event(call_event(texts["CHANNEL_ANSWER"], "call-a-on-fs-b", a.id, "a.pbx.test", "+31201110002"))
                switch_a.push_event(call_event(texts["CHANNEL_HANGUP_COMPLETE"], "call-a-on-fs-a", a.id, "a.pbx.test",
                                               "+31201110001"))
                for socket in (first, second):
                    socket.until(lambda s=socket: "call-a-on-fs-a" not in s.calls
                                 and s.calls.get("call-a-on-fs-b", {}).get("state") == "answered", what="answer, hangup")
                    assert not socket.calls["call-a-on-fs-b"].get("stale")

                # a phone registering on the first switch, and with it A's agent offered calls again
                switch_a.push_event(register_text(call_id="phone-on-fs-a@192.0.2.7", user="1001", domain="a.pbx.test"))
                for socket in (first, second):
                    socket.until(lambda s=socket: s.has("registration", call_id="phone-on-fs-a@192.0.2.7", action="register")
                                 and s.has("agent", phone_registered=True, offered=True), what="registration and agent")

                # the second switch's bridge dies: its call is shown stale (no bridge tells of its end)
                bridge_b.send_signal(signal.SIGKILL)
                bridge_b.wait(10)
                for socket in (first, second, other):
                    socket.until(lambda s=socket: all(call.get("stale") for call in s.calls.values()) and s.calls,
                                 timeout=90, what="the dead switch's calls stale")
                assert set(second.calls) == {"call-a-on-fs-b"} and set(other.calls) == {"call-b-on-fs-b"}

                # a company's socket never heard of another's calls, on either process
                for socket in (first, second):
                    assert not socket.seen("call-b-on-fs-b") and not socket.seen("+31209990009")
                assert not other.seen("call-a-on-fs-a") and not other.seen("+3120111000")
                assert not other.seen("phone-on-fs-a") and not other.has("agent")
    assert "Traceback" not in web1.log(), web1.log()[-3000:]


# --- the pieces ---------------------------------------------------------------------------------------


def test_a_message_too_big_for_notify_goes_as_a_doorbell():
    small = json.loads(live_notify.payload("fs-a", 3, 7, "call", {"call_uuid": "u"}))
    assert small == {"switch": "fs-a", "seq": 3, "tenant_id": 7, "kind": "call", "data": {"call_uuid": "u"}}
    big = live_notify.payload("fs-a", 4, 7, "call", {"call_uuid": "u", "steps": ["step-%04d" % n for n in range(2000)]})
    assert len(big.encode()) < live_notify.PAYLOAD_LIMIT
    assert json.loads(big) == {"switch": "fs-a", "seq": 4, "tenant_id": 7, "kind": "call", "data": None, "reload": True}


def test_the_listener_reads_again_after_a_doorbell_or_a_lost_message_and_keeps_companies_apart():
    import asyncio

    from web.live import _RESYNC
    from web.live_notify import NotifyClient

    async def run():
        client = NotifyClient("postgresql://nowhere/none", lambda: {})
        client._task = asyncio.get_running_loop().create_future()  # no connection: the fan-out alone
        mine, theirs = client.subscribe(7, False), client.subscribe(8, False)

        def drained(subscriber):
            items = []
            while not subscriber.queue.empty():
                items.append(subscriber.queue.get_nowait())
            return items

        client.take(live_notify.payload("fs-a", 1, 7, "call", {"call_uuid": "u7"}))
        assert drained(mine) == [{"kind": "call", "data": {"call_uuid": "u7"}}] and drained(theirs) == []
        client.take(live_notify.payload("fs-a", 2, 8, "call", {"steps": ["x" * 9000]}))  # too big: 8 reads again
        assert drained(mine) == [] and drained(theirs) == [_RESYNC]
        client.take(live_notify.payload("fs-b", 10, 8, "call", {"call_uuid": "u8"}))  # a new switch: no gap yet
        client.take(live_notify.payload("fs-b", 12, 8, "call", {"call_uuid": "u8"}))  # 11 was lost: everyone
        assert drained(mine) == [_RESYNC]
        assert drained(theirs) == [{"kind": "call", "data": {"call_uuid": "u8"}}, _RESYNC,
                                   {"kind": "call", "data": {"call_uuid": "u8"}}]
        client.take(live_notify.payload("fs-b", 1, 8, "call", {"call_uuid": "u8"}))  # fs-b's bridge restarted
        assert drained(mine) == []
        client._task = None

    asyncio.run(run())
