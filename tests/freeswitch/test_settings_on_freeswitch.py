"""Settings that were only stored, made real and seen on a real FreeSWITCH (#16 item 1), as a phone or a
carrier sees them: the INVITE the carrier's SIPp gets (From, Privacy, P-Asserted-Identity), the INVITE
a member's SIPp phone gets, where a second call goes, how long a message is.

The project's FreeSWITCH configuration with the app serving the demo company (test_config_on_freeswitch's
fixtures); everything is set through the API, as an admin would. The demo company's night switch is set
off first: it follows the office hours, and the calls here must not depend on the time of day."""

from __future__ import annotations

import re
import secrets
import threading
import wave
from pathlib import Path

import pytest

from tests.freeswitch import harness
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    HOST, MAIN_NUMBER, carrier_call, demo, far_end, fs, fs_env, needs_freeswitch, phone_call, register, server,
    speaking_call, work,
)
from tests.freeswitch.test_queues_on_freeswitch import admin_client, ok  # noqa: F401  (fixture)

SALES_NUMBER = "+31201234568"  # a demo number; each test routes it where it needs
SUPPORT_NUMBER = "+31201234569"


@pytest.fixture(scope="module")
def client(admin_client, server, fs):
    ok(admin_client.patch("/api/company", json={"night_mode": "off"}))
    return admin_client


def domain_of(client) -> str:
    return ok(client.get("/api/devices/sip-settings"))["domain"]


def route(client, number: str, destination: dict | None) -> None:
    (row,) = [row for row in ok(client.get("/api/numbers")) if row["number"] == number]
    ok(client.patch(f"/api/numbers/{row['id']}", json={"destination": destination}))


def user_with_phone(client, fs, work, extension: str, **fields) -> tuple[dict, dict]:
    user = ok(client.post("/api/users", json={"first_name": fields.pop("first_name", "Test"),
                                              "last_name": fields.pop("last_name", extension),
                                              "extension": extension, **fields}))
    device = ok(client.post("/api/devices", json={"name": f"{extension}'s phone", "user_id": user["id"]}))
    return user, device


def registered(work, fs, client, device: dict, phone: harness.Phone) -> None:
    """The device registered with its Contact at a SIPp phone, so calls to the user ring that phone."""
    codes = register(work, fs, device["sip_username"], domain_of(client), device["sip_password"], expires=300,
                     call_id=f"settings-{secrets.token_hex(4)}@{HOST}", contact_port=phone.port)
    assert codes == [200], fs.log_tail(60)


def invites(phone: harness.Phone, number: str | None = None) -> list[str]:
    return [text for direction, text in harness.sip_messages(phone.received())
            if direction == "received" and text.startswith("INVITE ")
            and (number is None or text.startswith(f"INVITE sip:{number}@"))]


def header(message: str, name: str) -> str:
    found = re.search(rf"^{name}:\s*(.*)$", message, re.M | re.I)
    return found.group(1).strip() if found else ""


def call_out(work, fs, client, far_end, device: dict, number: str) -> str:
    """A call out from the device's phone to `number`; the INVITE the carrier got."""
    fs.api("xml_flush_cache")  # the directory entry as the settings are now (the app flushes it too)
    messages = phone_call(work, fs, device["sip_username"], domain_of(client), device["sip_password"], number)
    found = wait_for(lambda: invites(far_end, number), 15)
    assert found, f"{messages[-3000:]}\n{fs.log_tail(150)}"
    return found[-1]


# -- withhold caller ID ------------------------------------------------------------------------------------


@needs_freeswitch
def test_a_withheld_call_out_is_anonymous_to_the_called_and_asserted_to_the_carrier(work, fs, far_end, client):
    _, device = user_with_phone(client, fs, work, "281", first_name="Hidden", last_name="Caller",
                                withhold_caller_id=True)
    invite = call_out(work, fs, client, far_end, device, "0612000281")
    assert re.fullmatch(r'"Anonymous" <sip:anonymous@anonymous\.invalid[^>]*>;tag=\S+', header(invite, "From")), invite
    assert header(invite, "Privacy") == "id", invite
    # the carrier still gets who is calling: the company number (the user's caller ID mode)
    assert re.search(rf"<sip:{re.escape(MAIN_NUMBER)}@", header(invite, "P-Asserted-Identity")), invite
    assert MAIN_NUMBER not in header(invite, "From") + header(invite, "Remote-Party-ID"), invite


# -- company name and number display -----------------------------------------------------------------------


@needs_freeswitch
def test_calls_out_show_the_company_name_and_the_number_the_company_chose(work, fs, far_end, client):
    route(client, SUPPORT_NUMBER, None)  # the demo's Support number, free to be the user's own
    user, device = user_with_phone(client, fs, work, "282", first_name="Named", last_name="Caller",
                                   direct_number=SUPPORT_NUMBER)
    company = ok(client.get("/api/company"))["company_name"]

    def shown(number: str) -> tuple[str, str]:
        match = re.match(r'"([^"]*)" <sip:([^@>]+)@', header(call_out(work, fs, client, far_end, device, number), "From"))
        assert match, number
        return match.group(1), match.group(2)

    try:
        ok(client.patch("/api/company", json={"show_company_name": True, "number_display": "company"}))
        assert shown("0612000282") == (company, MAIN_NUMBER)
        # each user's own number: this user has one
        ok(client.patch("/api/company", json={"number_display": "personal"}))
        assert shown("0612000283") == (company, SUPPORT_NUMBER)
        # not the company's name: the user's own
        ok(client.patch("/api/company", json={"show_company_name": False}))
        assert shown("0612000284") == ("Named Caller", SUPPORT_NUMBER)
    finally:
        ok(client.patch("/api/company", json={"show_company_name": True, "number_display": "company"}))
        ok(client.patch(f"/api/users/{user['id']}", json={"direct_number": None}))


# -- a ring group's display name ---------------------------------------------------------------------------


@needs_freeswitch
def test_the_phones_a_group_rings_show_its_display_name(work, fs, client):
    member, device = user_with_phone(client, fs, work, "283")
    phone = harness.Phone(work, "uas_ring")
    try:
        registered(work, fs, client, device, phone)
        group = ok(client.post("/api/ring-groups", json={
            "name": "Desk group", "display_name": "Sales desk", "extension": "383", "total_timeout_s": 10,
            "member_ring_time_s": 10, "members": [{"type": "user", "id": member["id"]}]}))
        route(client, SALES_NUMBER, {"type": "ring_group", "id": group["id"]})
        threading.Thread(target=carrier_call, args=(work, fs, "0612000383", SALES_NUMBER), daemon=True).start()
        found = wait_for(lambda: invites(phone), 30)
        assert found, f"{phone.received()[-2000:]}\n{fs.log_tail(150)}"
        # the group's name, and the caller's number
        assert re.match(r'"Sales desk" <sip:0612000383@', header(found[0], "From")), found[0]
    finally:
        phone.stop()
        fs.api("hupall NORMAL_CLEARING")


# -- call waiting off ---------------------------------------------------------------------------------------


@needs_freeswitch
def test_without_call_waiting_a_second_call_takes_the_busy_forwarding(work, fs, far_end, client):
    forward_to = "+31612000290"
    user, device = user_with_phone(client, fs, work, "290", call_waiting=False, forwarding={
        "busy": {"enabled": True, "to": {"type": "external", "number": forward_to}}})
    phone = harness.Phone(work, "uas_hold")  # answers and stays on the call
    route(client, SUPPORT_NUMBER, {"type": "user", "id": user["id"]})
    try:
        registered(work, fs, client, device, phone)
        fs.api("xml_flush_cache")
        threading.Thread(target=carrier_call, args=(work, fs, "0612000291", SUPPORT_NUMBER), daemon=True).start()
        # the phone took the first call: the user is on a call
        assert wait_for(lambda: fs.api(f"limit_usage hash cp_busy u{user['id']}").strip() == "1", 30), \
            f"{phone.received()[-2000:]}\n{fs.log_tail(150)}"
        assert len(invites(phone)) == 1
        threading.Thread(target=carrier_call, args=(work, fs, "0612000292", SUPPORT_NUMBER), daemon=True).start()
        # busy: the user's busy forwarding rings its number; the phone on the call is not rung again
        assert wait_for(lambda: invites(far_end, forward_to), 30), f"{far_end.received()[-2000:]}\n{fs.log_tail(150)}"
        assert len(invites(phone)) == 1, phone.received()[-3000:]
    finally:
        fs.api("hupall NORMAL_CLEARING")
        phone.stop()
    # the call ended: the user is free again
    assert wait_for(lambda: fs.api(f"limit_usage hash cp_busy u{user['id']}").strip() == "0", 10)


# -- a voicemail box's longest message ----------------------------------------------------------------------


@needs_freeswitch
def test_a_message_is_cut_at_the_boxs_longest_message(work, fs, client):
    box = ok(client.post("/api/voicemail-boxes", json={"name": "Short box", "extension": "993", "pin": "1993",
                                                         "max_message_s": 10}))
    route(client, SALES_NUMBER, {"type": "voicemail_box", "id": box["id"]})
    responses = speaking_call(work, fs, "0612000993", seconds=25, number=SALES_NUMBER)
    assert 200 in responses, fs.log_tail(150)
    call = fs.calls.wait_hangup("0612000993", 30)
    log = fs.call_log(call)
    assert ("voicemail", f"max10 {domain_of(client)} 993") in call.applications, log
    assert "Added Profile max10" in fs.log_text(), log  # mod_voicemail loaded it from the app's voicemail.conf
    folder = Path(fs_env(fs, "CALLPLAN_VOICEMAIL_DIR")) / domain_of(client) / "993"
    messages = wait_for(lambda: list(folder.glob("msg_*.wav")), 10)
    assert messages and len(messages) == 1, log
    with wave.open(str(messages[0])) as message:
        seconds = message.getnframes() / message.getframerate()
    # the caller spoke for 25 s: the recording stopped at the box's 10 (mod_voicemail checks the time in
    # whole seconds, so it may run into the eleventh)
    assert 8 <= seconds <= 11.5, (seconds, log)


# -- a company box that only announces ----------------------------------------------------------------------


@needs_freeswitch
def test_a_company_box_that_only_announces_plays_its_greeting_and_hangs_up(work, demo, fs, client):
    """Seed 001: the company voicemail out of hours plays its announcement and takes no message. Reached by
    its extension (a number routed to the box transfers there)."""
    from sqlmodel import select

    from web.db import session_scope
    from web.models.audio import AudioFile
    from web.models.tenant import Tenant

    with session_scope(demo.engine) as db:
        tenant = db.exec(select(Tenant).where(Tenant.sip_domain == domain_of(client))).one()
        audio = AudioFile(tenant_id=tenant.id, name="Closed",
                          original_filename="closed.wav", duration_ms=1000, sample_rate_original=16000,
                          channels_original=1, size_bytes=32044)
        db.add(audio)
        db.flush()
        audio_id, tenant_id = audio.id, audio.tenant_id
    sound = Path(demo.settings.audio_dir) / str(tenant_id) / "16000" / f"{audio_id}.wav"
    sound.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(sound), "wb") as output:
        output.setnchannels(1)
        output.setsampwidth(2)
        output.setframerate(16000)
        output.writeframes(b"\x00\x10" * 16000)  # a second
    box = ok(client.post("/api/voicemail-boxes", json={"name": "Closed box", "extension": "994", "pin": "1994",
                                                         "greeting_audio_id": audio_id, "announce_only": True}))
    route(client, SALES_NUMBER, {"type": "voicemail_box", "id": box["id"]})
    responses = speaking_call(work, fs, "0612000994", seconds=12, number=SALES_NUMBER)
    assert 200 in responses, fs.log_tail(150)
    call = fs.calls.wait_hangup("0612000994", 30)
    assert call is not None, fs.log_tail(150)
    log = fs.call_log(call)
    assert f"done playing file {sound}" in log, log
    assert not [data for application, data in call.applications if application == "voicemail"], log
    # FreeSWITCH hung up after the greeting (the caller would have talked 12 s), and kept nothing
    assert call.hangup.get("variable_hangup_cause", call.hangup.get("Hangup-Cause")) == "NORMAL_CLEARING", log
    assert int(call.hangup.get("variable_billsec") or 99) < 8, log
    assert not list((Path(fs_env(fs, "CALLPLAN_VOICEMAIL_DIR")) / domain_of(client) / "994").glob("msg_*")), log
