"""The bridge on a real FreeSWITCH running the project's configuration: a call from outside through the
demo company's published plan is recorded once, with the steps it took (from the live events and from
mod_xml_cdr's own POST, merged on the call's uuid), and the plan's e-mail step mails the missed-call
notice through a real SMTP server.

The FreeSWITCH, the app and the demo company are those of test_config_on_freeswitch.py (its fixtures,
started again for this module); the bridge is `python -m fs_bridge` in a process of its own, as in
production."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlmodel import Session, select

from tests.freeswitch.bridge_process import running_bridge
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    MAIN_NUMBER, carrier_call, demo, expected_marks, far_end, fs, fs_env, needs_freeswitch, saturday_morning,
    server, work,
)
from web import clock
from web.models.call_record import CallRecord



@pytest.fixture
def bridge(demo, fs, mailbox, work):
    # the test's webhook receiver is on 127.0.0.1
    with running_bridge(demo, fs, work, "bridge.log", fs_env=fs_env, smtp_port=mailbox.port,
                        CALLPLAN_WEBHOOK_ALLOW_PRIVATE="1") as process:
        yield process


@needs_freeswitch
def test_a_real_call_is_recorded_once_with_the_path_it_took(work, demo, server, fs, bridge, mailbox):
    server.start()
    at = saturday_morning()
    clock.advance((at - datetime.now(timezone.utc)).total_seconds())
    marks = expected_marks(demo, clock.now().astimezone(at.tzinfo))
    plan_id, version = (int(part) for part in marks[0].split(":")[:2])
    steps = [mark.split(":")[2] for mark in marks]
    assert "s8" in steps  # closed on Saturday: the e-mail step runs

    uac = carrier_call(work, fs, "0612000011")
    call = fs.calls.wait_hangup("0612000011", 40)
    assert call is not None, f"{uac.output}\n{fs.log_tail(200)}"

    def record():
        with Session(demo.engine) as db:
            rows = db.exec(select(CallRecord).where(CallRecord.call_uuid == call.uuid)).all()
            return rows if rows and {"cdr", "events"} <= set(rows[0].sources) else None
    rows = wait_for(record, 30)
    assert rows, f"no record with both sources\n{(work / 'bridge.log').read_text()[-3000:]}\n{fs.log_tail(80)}"
    assert len(rows) == 1
    stored = rows[0]
    assert stored.steps == steps, (stored.steps, steps)
    assert (stored.plan_id, stored.plan_version) == (plan_id, version)
    assert stored.caller_number.endswith("612000011")
    assert stored.direction == "inbound" and stored.dialled_number.endswith("201234567")
    assert stored.started_at is not None and stored.ended_at is not None
    # one record per call however many legs and posts: nothing else was stored for this caller
    with Session(demo.engine) as db:
        assert len(db.exec(select(CallRecord).where(CallRecord.caller_number.contains("612000011"))).all()) == 1

    mail = wait_for(lambda: mailbox.to("info@demo.example.com"), 20)
    assert mail, (work / "bridge.log").read_text()[-3000:]
    text = mail[-1].get_body(("plain",)).get_content()
    assert "612000011" in text
