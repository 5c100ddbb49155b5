"""Recordings from the event socket (#18 item 1): RECORD_STOP (a real FreeSWITCH event's headers, the
recording's own put in) becomes a recording row of the call it belongs to, its length read from the WAV
FreeSWITCH wrote; a file that is not callplan's, not there, or under a company that does not exist is
left alone; the same event twice is one row. The retention runs from the bridge's heartbeat."""

from __future__ import annotations

import os
import uuid as uuids
from datetime import timedelta

import pytest
from sqlmodel import select

from fs_bridge import recordings as bridge_recordings
from fs_bridge.events import parse_plain
from fs_bridge.live_feed import LiveFeed
from fs_bridge.service import Bridge
from tests.fs_bridge.conftest import fixture_text, rewrite
from tests.web.recording_support import recorded, write_wav
from web import clock
from web.db import session_scope
from web.models.recording import Recording


@pytest.fixture
def bridge(app, settings):
    return Bridge(settings, app.state.engine, feed=LiveFeed(port=0), modules=["fs_bridge.recordings"])


def record_stop(path: str, leg: str, **variables: str) -> str:
    """A RECORD_STOP as FreeSWITCH sends it: a real channel event's headers with the recording's."""
    headers = {"Event-Name": "RECORD_STOP", "Unique-ID": leg, "Record-File-Path": path}
    headers.update({f"variable_{name}": value for name, value in variables.items()})
    return rewrite(fixture_text("CHANNEL_ANSWER"), **headers)


def rows(app) -> list[Recording]:
    with session_scope(app.state.engine) as db:
        return db.exec(select(Recording).order_by(Recording.id)).all()


def test_a_stopped_recording_becomes_a_row_of_its_call(app, bridge, admin, other_admin, settings):
    anna = admin.user("201", "Anna", recording="always")
    tenant = admin.tenant.id
    caller, agent_leg, user_leg = (str(uuids.uuid4()) for _ in range(3))
    folder = os.path.join(settings.recordings_dir, str(tenant))
    # FreeSWITCH may see the shared folder under another path (compose): only <tenant>/<name> is taken
    theirs = f"/var/lib/freeswitch/recordings/{tenant}"
    write_wav(os.path.join(folder, f"{caller}_step.wav"), 6.2)
    write_wav(os.path.join(folder, f"{caller}_queue.wav"), 12)
    write_wav(os.path.join(folder, f"{user_leg}_user.wav"), 4)
    events = [
        record_stop(f"{theirs}/{caller}_step.wav", caller),  # the caller's own leg: the call is its uuid
        record_stop(f"{theirs}/{caller}_queue.wav", caller, cc_queue=f"q7@{admin.tenant.sip_domain}"),
        # the user's leg a bridge rang: the call is the leg it was rung from
        record_stop(f"{theirs}/{user_leg}_user.wav", user_leg, originating_leg_uuid=caller, cp_rec_user=str(anna["id"])),
        record_stop(f"{theirs}/{caller}_step.wav", caller),  # told twice: one row
        record_stop("/tmp/voicemail/msg_1234.wav", caller),  # not ours
        record_stop(f"{theirs}/{agent_leg}_demand.wav", agent_leg, cc_member_session_uuid=caller),  # no file (too short)
        record_stop(f"/x/999999/{caller}_step.wav", caller),  # no such company
        # another company's user id in this company's file: not taken as this company's user
        record_stop(f"{theirs}/{agent_leg}_user.wav", agent_leg, cp_rec_user=str(other_admin.user("301", "Eve")["id"])),
    ]
    write_wav(os.path.join(folder, f"{agent_leg}_user.wav"), 3)
    for text in events:
        bridge.receive(parse_plain(text))
    bridge.drain()
    stored = {(row.file_name, row.call_uuid, row.reason, row.user_id, row.queue_id, row.duration_seconds)
              for row in rows(app)}
    assert stored == {
        (f"{caller}_step.wav", caller, "step", None, None, 6),
        (f"{caller}_queue.wav", caller, "queue", None, 7, 12),
        (f"{user_leg}_user.wav", caller, "user", anna["id"], None, 4),
        (f"{agent_leg}_user.wav", agent_leg, "user", None, None, 3),
    }
    assert all(row.tenant_id == tenant and row.size_bytes > 44 for row in rows(app))


def test_the_heartbeat_applies_each_companys_retention(app, bridge, admin, db, settings):
    now = clock.now()
    old = recorded(db, settings, admin.tenant.id, at=now - timedelta(days=8))
    young = recorded(db, settings, admin.tenant.id, at=now - timedelta(days=1))
    assert admin.client.patch("/api/company", json={"recording_retention_days": 7}).status_code == 200
    bridge_recordings._last_check[0] = float("-inf")
    bridge.with_context(bridge_recordings.tick)
    assert [row.id for row in rows(app)] == [young]
    bridge.with_context(bridge_recordings.tick)  # checked again only after CHECK_EVERY_S
    assert old not in [row.id for row in rows(app)]
