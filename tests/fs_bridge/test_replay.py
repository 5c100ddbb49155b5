"""The bridge process against an ESL server speaking FreeSWITCH's protocol and replaying the real event
stream of ../shared/fixtures: records are stored, and when the socket drops mid-stream the bridge
reconnects, resubscribes, and a replayed hangup does not store a call twice."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from fs_bridge.events import parse_plain
from tests.fs_bridge.conftest import fixture_texts, rewrite
from tests.fs_bridge.esl_server import EslServer
from tests.processes import STARTUP_SECONDS
from web.models.bridge_status import BridgeStatus
from web.models.call_record import CallRecord
from web.settings import REPO_ROOT

PASSWORD = "replay-secret"


def stream_for(domain: str) -> list[str]:
    """Every event of the captured run, in order, moved into the tenant's domain (the capture ran in
    FreeSWITCH's "default" context on 127.0.0.1)."""
    texts = []
    for _, text in fixture_texts("esl_all_events.txt"):
        event = parse_plain(text)
        changes = {}
        if "Caller-Context" in event.headers:
            changes["Caller-Context"] = domain
        if "variable_domain_name" in event.headers:
            changes["variable_domain_name"] = domain
        texts.append(rewrite(text, **changes) if changes else text)
    return texts


def hangup_uuids(texts: list[str]) -> set[str]:
    return {parse_plain(t).uuid for t in texts if parse_plain(t).name == "CHANNEL_HANGUP_COMPLETE"}


def _bridge(settings, esl_port: int) -> subprocess.Popen:
    env = {**os.environ, "CALLPLAN_ESL_HOST": "127.0.0.1", "CALLPLAN_ESL_PORT": str(esl_port),
           "CALLPLAN_ESL_PASSWORD": PASSWORD, "CALLPLAN_DATABASE_URL": settings.database_url,
           "CALLPLAN_BRIDGE_FEED_PORT": "0",  # any free port: nothing reads the feed here
           "CALLPLAN_SECRET_KEY": settings.secret_key,
           "CALLPLAN_VOICEMAIL_DIR": settings.voicemail_dir, "CALLPLAN_CDR_SPOOL_DIR": settings.cdr_spool_dir,
           "CALLPLAN_SMTP_PORT": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "fs_bridge"], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _records(engine) -> list[CallRecord]:
    with Session(engine) as db:
        return db.exec(select(CallRecord)).all()


def test_replayed_stream_with_a_drop_stores_each_call_once(app, settings, admin):
    engine = app.state.engine
    texts = stream_for(admin.tenant.sip_domain)
    calls = hangup_uuids(texts)
    assert len(calls) == 2  # the capture holds two calls
    server = EslServer(password=PASSWORD)
    bridge = _bridge(settings, server.port)
    try:
        assert server.wait_for(lambda: any(c.startswith("event plain") for c in server.commands), STARTUP_SECONDS)
        half = len(texts) // 2
        for text in texts[:half]:
            server.push_event(text)
        # the first call ended in the first half
        assert server.wait_for(lambda: len(_records(engine)) >= 1, 20), bridge.poll()
        server.drop_clients()  # FreeSWITCH goes away mid-stream...
        assert server.wait_for(lambda: server.auths == 2, STARTUP_SECONDS)  # ...the bridge comes back
        assert server.wait_for(lambda: sum(c.startswith("event plain") for c in server.commands) == 2, 5)
        for text in texts:  # and the whole stream arrives again, hangups included
            server.push_event(text)
        assert server.wait_for(lambda: {r.call_uuid for r in _records(engine)} >= calls, 20)
        time.sleep(1.0)  # let anything still queued land
        records = _records(engine)
        assert sorted(r.call_uuid for r in records) == sorted(calls)  # once each
        assert all(r.tenant_id == admin.tenant.id for r in records)
        with Session(engine) as db:
            status = db.exec(select(BridgeStatus)).one()  # this bridge's
            assert status is not None and status.connected and status.reconnects >= 1
    finally:
        bridge.terminate()
        output = bridge.communicate(timeout=10)[0]
        server.close()
    assert "Traceback" not in output, output
