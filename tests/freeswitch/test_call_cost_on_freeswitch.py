"""What a call costs the switch, the app and the bridge besides routing it (#20 item 1), on a real
FreeSWITCH running the project's configuration, and that nothing is lost by it:

- the bridge's event socket is filtered (fs_bridge.handlers.filters): of the applications a call runs,
  FreeSWITCH sends only the ones the bridge reads (fs_bridge.calls.EXECUTED), not the dozen `set`s and
  the rest, each of which carries every channel variable;
- mod_xml_cdr posts A legs only (log-b-leg false), as the record's XML itself (encode textxml), and the
  record still names whom the call reached.

The FreeSWITCH, the app and the demo company are those of test_config_on_freeswitch.py (its fixtures,
started again for this module)."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

import gevent
import pytest
from sqlmodel import Session, select

from tests.freeswitch import harness
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    HOST, carrier_call, demo, far_end, fs, needs_freeswitch, phone_call, server, work,
)
from web.models.call_record import CallRecord


@needs_freeswitch
def test_the_bridge_is_sent_only_the_applications_it_reads(work, demo, server, fs):
    from fs_bridge import calls, connection

    server.start()
    received = []
    esl = connection.connect(HOST, fs.esl_port, fs.password, sink=received.append)  # the handlers' filters
    try:
        uac = carrier_call(work, fs, "0612000031")
        call = fs.calls.wait_hangup("0612000031", 40)  # the harness's own listener, unfiltered
        assert call is not None, f"{uac.output}\n{fs.log_tail(200)}"

        def hangup_seen():
            gevent.sleep(0.1)  # the bridge's socket is read by a greenlet
            return any(e.name == "CHANNEL_HANGUP_COMPLETE" and e.uuid == call.uuid for e in received)
        assert wait_for(hangup_seen, 20), [e.key for e in received]
    finally:
        esl.stop()
    ran = [application for application, _ in call.applications]
    sent = [e.get("Application") for e in received if e.name == "CHANNEL_EXECUTE" and e.uuid == call.uuid]
    # the call ran more than the bridge reads (the public context's and the plan's `set`s) ...
    assert "set" in ran and set(ran) - set(calls.EXECUTED), ran
    # ... and the bridge got exactly the ones it reads, each as often as it ran
    assert sent == [application for application in ran if application in calls.EXECUTED], (sent, ran)
    assert "transfer" in sent and "push" in sent, sent  # the public context's hand-over, the plan's marks
    assert [e.get("Application-Data") for e in received if e.get("Application") == "push" and e.uuid == call.uuid] \
        == [f"cp_path={mark}" for mark in call.marks]
    kinds = {e.name for e in received if e.uuid == call.uuid}
    assert {"CHANNEL_CREATE", "CHANNEL_HANGUP_COMPLETE"} <= kinds, kinds


@pytest.fixture
def posted(monkeypatch):
    """The bodies of the CDR posts the app takes (web.xml_curl.cdr), in order."""
    from web.xml_curl import cdr

    bodies = []
    submit = cdr._submit

    def recording(engine, body, content_type):
        bodies.append(body)
        return submit(engine, body, content_type)
    monkeypatch.setattr(cdr, "_submit", recording)
    return bodies


@needs_freeswitch
def test_only_a_legs_are_posted_as_plain_xml_and_the_record_names_who_answered(work, demo, server, fs, far_end,
                                                                                posted):
    from web.db import session_scope
    from web.models.device import Device
    from web.models.pbx_user import PbxUser
    from web.secretbox import open_sealed

    server.start()
    with session_scope(demo.engine) as db:
        device, user = db.exec(select(Device, PbxUser).join(PbxUser, PbxUser.id == Device.user_id)).first()
        phone = (device.sip_username, device.tenant_id, open_sealed(demo.settings.secret_key, device.sip_password_sealed))
        extension = user.extension
    from web.models.tenant import Tenant

    with Session(demo.engine) as db:
        domain = db.get(Tenant, phone[1]).sip_domain
    number = "0612000032"
    messages = phone_call(work, fs, phone[0], domain, phone[2], number)  # out through the gateway: an A and a B leg
    invites = [text for direction, text in harness.sip_messages(far_end.received())
               if direction == "received" and text.startswith(f"INVITE sip:{number}@")]
    assert invites, f"{messages[-3000:]}\n{fs.log_tail(120)}"

    def record():
        with Session(demo.engine) as db:
            return db.exec(select(CallRecord).where(CallRecord.dialled_number == number)).first()
    stored = wait_for(record, 20)
    assert stored is not None, fs.log_tail(120)
    time.sleep(3)  # a B leg's post would come right after its hang-up, as the A leg's did
    records = [ET.fromstring(body) for body in posted]  # the body is the record's XML, nothing around it
    ours = [r for r in records if r.findtext("variables/cp_dialled") == number or number in ET.tostring(r, "unicode")]
    assert len(ours) == 1, [r.findtext("variables/uuid") for r in ours]
    (a_leg,) = ours
    assert a_leg.findtext("variables/uuid") == stored.call_uuid
    assert a_leg.find("callflow/caller_profile/originatee") is not None  # it bridged ...
    assert not any(r.find("callflow/caller_profile/originator") is not None for r in records)  # ... no B leg posted
    # the A leg's record alone tells whom the call reached: the number the far end answered on
    assert (stored.sources, stored.caller_number, stored.direction) == (["cdr"], extension, "outbound")
    assert stored.callee_number == number and stored.answered_at is not None and stored.answered_by == number, \
        (stored.callee_number, stored.answered_at, stored.answered_by)
