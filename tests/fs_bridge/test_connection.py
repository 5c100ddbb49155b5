"""The bridge process keeps trying while FreeSWITCH is away, and reconnects and resubscribes after a drop."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import free_port
from tests.fs_bridge.esl_server import EslServer
from tests.processes import STARTUP_SECONDS, OutputWatch, own_env
from web.settings import REPO_ROOT


def _bridge(port: int, tmp_path) -> subprocess.Popen:
    env = {**os.environ, **own_env(tmp_path), "CALLPLAN_ESL_HOST": "127.0.0.1", "CALLPLAN_ESL_PORT": str(port),
           "CALLPLAN_ESL_PASSWORD": "s3cret", "CALLPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'bridge.sqlite3'}",
           "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "fs_bridge"], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture
def stop_later():
    processes = []
    yield processes.append
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def test_bridge_waits_for_freeswitch_then_connects_and_subscribes(tmp_path, stop_later):
    port = free_port()
    bridge = _bridge(port, tmp_path)
    stop_later(bridge)
    output = OutputWatch(bridge)
    # however long a loaded machine takes to start it, the bridge says it found nobody and goes on trying
    assert output.wait_for("not answering"), output.text()
    assert bridge.poll() is None, "the bridge must keep running while FreeSWITCH is away"
    server = EslServer(password="s3cret", port=port)  # FreeSWITCH comes up on the port the bridge tries
    try:
        assert server.wait_for(lambda: any(c.startswith("event plain") for c in server.commands), STARTUP_SECONDS)
        subscription = next(c for c in server.commands if c.startswith("event plain"))
        assert "CHANNEL_HANGUP_COMPLETE" in subscription and "callcenter::info" in subscription
        # the filters come first: of CHANNEL_EXECUTE only the applications the bridge reads
        filters = server.commands[:server.commands.index(subscription)]
        assert "filter Application push" in filters and "filter Event-Name CHANNEL_HANGUP_COMPLETE" in filters
        assert "filter Event-Name CHANNEL_EXECUTE" not in filters, filters
    finally:
        server.close()
    bridge.terminate()
    assert "retrying" in output.rest(timeout=10)


def test_bridge_reconnects_and_resubscribes_after_a_drop(tmp_path, stop_later):
    server = EslServer(password="s3cret")
    try:
        bridge = _bridge(server.port, tmp_path)
        stop_later(bridge)
        # subscribed (after its filters), then dropped: a drop before that is only a failed first connect
        assert server.wait_for(lambda: any(c.startswith("event plain") for c in server.commands), STARTUP_SECONDS)
        server.drop_clients()
        assert server.wait_for(lambda: server.auths == 2, STARTUP_SECONDS)
        assert server.wait_for(lambda: sum(c.startswith("event plain") for c in server.commands) == 2, timeout=5)
    finally:
        server.close()


def test_bridge_keeps_retrying_on_a_wrong_password(tmp_path, stop_later):
    server = EslServer(password="another")
    try:
        bridge = _bridge(server.port, tmp_path)
        stop_later(bridge)
        assert server.wait_for(lambda: sum(c.startswith("auth ") for c in server.commands) >= 2, STARTUP_SECONDS)
        assert server.auths == 0 and bridge.poll() is None
    finally:
        server.close()


def test_filters_narrow_only_what_every_handler_of_it_narrows():
    from types import SimpleNamespace

    from fs_bridge import handlers

    noop = lambda ctx, event: None  # noqa: E731
    narrowing = SimpleNamespace(HANDLES={"CHANNEL_EXECUTE": noop, "CHANNEL_CREATE": noop, "vm::maintenance": noop},
                                ONLY={"CHANNEL_EXECUTE": ("Application", ("push", "transfer"))})
    assert handlers.filters([narrowing]) == [
        ("Application", "push"), ("Application", "transfer"), ("Event-Name", "CHANNEL_CREATE"),
        ("Event-Subclass", "vm::maintenance")]
    # another module taking every CHANNEL_EXECUTE: nothing narrows it, so nothing is filtered
    whole = SimpleNamespace(HANDLES={"CHANNEL_EXECUTE": noop})
    assert handlers.filters([narrowing, whole]) == []
    assert handlers.filters([whole]) == []
