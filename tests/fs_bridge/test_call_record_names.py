"""Call records name people, not phones (#16 item 4): a call from a phone shows the caller's extension
and name, not the phone's random SIP username, and a call a phone answered shows the extension it rang;
each phone stays on the record as a detail (caller_device, callee_device). From the real event texts
(../shared/fixtures), as FreeSWITCH describes a phone's call: the caller profile holds what the phone
wrote (its SIP username), the directory's variables (cp_extension, cp_user_id) who it belongs to."""

from __future__ import annotations

from sqlmodel import Session

from fs_bridge.events import parse_plain
from tests.fs_bridge.test_calls import (  # noqa: F401  (fixtures)
    DOMAIN, IVR_CALL, QUEUE_CALL, bridge, call_events, feed, moved, rows, tenant_id,
)
from web.domain import call_records
from web.models.call_record import CallRecord
from web.models.device import Device
from web.models.pbx_user import PbxUser

ANNA_PHONE, BOB_PHONE = "k3xq9zt7", "p8wq2mv4"


def people(bridge, tenant_id) -> tuple[int, int]:
    with Session(bridge.engine) as db:
        anna = PbxUser(tenant_id=tenant_id, first_name="Anna", last_name="de Vries", extension="201")
        bob = PbxUser(tenant_id=tenant_id, first_name="Bob", extension="202")
        db.add_all([anna, bob])
        db.flush()
        for user, username in ((anna, ANNA_PHONE), (bob, BOB_PHONE)):
            db.add(Device(tenant_id=tenant_id, name=f"{user.first_name}'s phone", user_id=user.id,
                          sip_username=username, sip_password_sealed="x", provisioning_password_sealed="x"))
        db.commit()
        return anna.id, bob.id


def phone_call(anna: int, **headers) -> str:
    """Anna's phone called 202 and Bob's phone answered: the A leg's hangup as FreeSWITCH sends it."""
    hangup = next(t for t in call_events(QUEUE_CALL) if parse_plain(t).name == "CHANNEL_HANGUP_COMPLETE")
    return moved(hangup, set_vars={"cp_extension": "201", "cp_user_id": str(anna), "cp_tenant_id": "",
                                   "effective_caller_id_name": "Anna de Vries", "effective_caller_id_number": "201",
                                   "sip_req_user": "202", "last_bridge_to": IVR_CALL, "bridge_uepoch": "1795301145000000"},
                 headers={"Caller-Caller-ID-Number": ANNA_PHONE, "Caller-Caller-ID-Name": ANNA_PHONE,
                          "Caller-Destination-Number": "202", "Other-Type": "originatee",
                          "Other-Leg-Destination-Number": BOB_PHONE, "Other-Leg-Unique-ID": IVR_CALL,
                          "Other-Leg-Channel-Name": f"sofia/internal/{BOB_PHONE}@10.0.0.5:5060", **headers},
                 drop=("variable_cc_cause", "variable_cc_cancel_reason", "variable_cc_queue"))


def test_a_phone_call_shows_extensions_and_names_with_the_phones_as_details(bridge, tenant_id):
    anna, bob = people(bridge, tenant_id)
    feed(bridge, [phone_call(anna)])
    (record,) = rows(bridge, CallRecord)
    assert (record.caller_number, record.caller_name, record.caller_device) == ("201", "Anna de Vries", ANNA_PHONE)
    assert (record.callee_number, record.answered_by, record.answered_by_user_id, record.callee_device) == (
        "202", "Bob", bob, BOB_PHONE)
    assert record.dialled_number == "202" and record.direction == "internal"


def test_facts_of_a_phone_call_name_the_extension():
    facts = call_records.from_event(parse_plain(phone_call(7)).headers)
    assert (facts.caller_number, facts.caller_name, facts.caller_device) == ("201", "Anna de Vries", ANNA_PHONE)


def test_a_carriers_call_keeps_its_number(bridge, tenant_id):
    people(bridge, tenant_id)
    hangup = next(t for t in call_events(IVR_CALL) if parse_plain(t).name == "CHANNEL_HANGUP_COMPLETE")
    feed(bridge, [moved(hangup, headers={"Caller-Caller-ID-Number": "+31612345678"})])
    (record,) = rows(bridge, CallRecord)
    assert record.caller_number == "+31612345678" and record.caller_device == ""
