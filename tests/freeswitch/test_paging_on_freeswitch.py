"""Paging and intercom on a real FreeSWITCH (#18 item 4): the project's configuration (mod_conference's
`callplan-page` profile) with the app serving the demo company; a page group made through the API.

Three SIPp phones (tests/freeswitch/scenarios/uas_autoanswer.xml) answer only an INVITE that carries an
auto-answer header (the scenario's regexp action looks for one, else the phone refuses the call with 480):
a Yealink (Call-Info answer-after=0 alone), a Polycom (Call-Info and Alert-Info info=alert-autoanswer)
and the pager's own generic phone. A registered phone dials the group's number: FreeSWITCH calls the Yealink and the Polycom, each
with its brand's header, they answer and listen muted in the page's conference, the pager's own phone
is not called, and when the pager hangs up both phones are hung up. Then the intercom code (*80 + the
Yealink user's extension) calls that phone with its header, both ways."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import threading
from pathlib import Path

from tests.freeswitch import harness
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    HOST, PHONE_CALL, demo, far_end, fs, fs_env, needs_freeswitch, register, server, work,
)
from tests.freeswitch.test_hot_desk_and_hold_on_freeswitch import tenant_id
from tests.freeswitch.test_queues_on_freeswitch import admin_client, ok  # noqa: F401  (fixture)

# A registered phone's call that hangs up by itself after a while (PHONE_CALL waits for FreeSWITCH's BYE).
HANGS_UP = PHONE_CALL.replace('''  <recv request="BYE"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

  ]]></send>
</scenario>''', '''  <pause milliseconds="{hold_ms}"/>
  <send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{user}@{domain}>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 3 BYE
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <recv response="200"/>
</scenario>''')
assert HANGS_UP != PHONE_CALL


def calling(work: Path, fs, device: dict, domain: str, number: str, hold_s: float, results: dict) -> threading.Thread:
    """The device's phone calls `number` and hangs up `hold_s` after it is answered; the SIP messages it
    saw go into results[number]."""
    folder = work / f"page-{device['sip_username']}-{secrets.token_hex(3)}"
    folder.mkdir()
    scenario = folder / "call.xml"
    text = HANGS_UP.replace("{hold_ms}", str(int(hold_s * 1000)))
    scenario.write_text(text.format(user=device["sip_username"], domain=domain, password=device["sip_password"]))
    messages = folder / "messages.log"
    command = [harness.SIPP, "-sf", str(scenario), "-i", HOST, "-bind_local", "-p", str(harness.free_ports()),
               "-mi", HOST, "-mp", str(harness.free_ports(4)), "-nostdin", "-m", "1", "-s", number,
               "-timeout", "40s", "-timeout_error", "-trace_msg", "-message_file", str(messages),
               f"{HOST}:{fs_env(fs, 'CALLPLAN_INTERNAL_SIP_PORT')}"]

    def run():
        subprocess.run(command, cwd=folder, stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                       preexec_fn=harness.die_with_parent)
        results[number] = messages.read_text(errors="replace") if messages.exists() else ""

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def messages(phone: harness.Phone, start: str) -> list[str]:
    return [text for direction, text in harness.sip_messages(phone.received()) if text.startswith(start)]


def header(message: str, name: str) -> str:
    found = re.search(rf"^{name}:\s*(.*)$", message, re.M | re.I)
    return found.group(1).strip() if found else ""


def sent(phone: harness.Phone, start: str) -> list[str]:
    return [text for direction, text in harness.sip_messages(phone.received()) if direction == "sent" and text.startswith(start)]


def pages(fs, tenant_id: int, group_id: int) -> list[dict]:
    """The page conferences of the group FreeSWITCH holds now (`conference json_list`, every conference)."""
    reply = fs.api("conference json_list").strip()
    if not reply.startswith("["):
        return []
    return [c for c in json.loads(reply) if c["conference_name"].startswith(f"t{tenant_id}-page{group_id}-")]


@needs_freeswitch
def test_a_page_reaches_each_phone_with_its_auto_answer_header_one_way_and_intercom_both_ways(work, demo, server, fs, admin_client):
    client = admin_client
    server.start()
    domain = ok(client.get("/api/devices/sip-settings"))["domain"]
    tenant = tenant_id(demo)
    yvonne = ok(client.post("/api/users", json={"first_name": "Yvonne", "last_name": "Yealink", "extension": "661"}))
    pieter = ok(client.post("/api/users", json={"first_name": "Pieter", "last_name": "Pager", "extension": "662"}))
    yealink = ok(client.post("/api/devices", json={"name": "Yvonne's desk", "brand": "yealink", "model": "T46U", "user_id": yvonne["id"]}))
    polycom = ok(client.post("/api/devices", json={"name": "Canteen", "brand": "polycom", "model": "VVX 350"}))
    own = ok(client.post("/api/devices", json={"name": "Pieter's desk", "user_id": pieter["id"]}))  # generic
    group = ok(client.post("/api/page-groups", json={"name": "Everyone", "extension": "660", "members": [
        {"type": "user", "id": yvonne["id"]}, {"type": "device", "id": polycom["id"]}, {"type": "user", "id": pieter["id"]}]}))
    codes = {code["function"]: code for code in ok(client.get("/api/feature-codes"))}
    assert codes["intercom"]["code"] == "*80" and codes["intercom"]["enabled"]
    phones = {name: harness.Phone(work, "uas_autoanswer") for name in ("yealink", "polycom", "own")}
    try:
        for name, device in (("yealink", yealink), ("polycom", polycom), ("own", own)):
            assert register(work, fs, device["sip_username"], domain, device["sip_password"], expires=300,
                            call_id=f"paging-{secrets.token_hex(4)}@{HOST}", contact_port=phones[name].port) == [200], \
                fs.log_tail(60)
        fs.api("xml_flush_cache")

        # Pieter pages from his own phone for six seconds
        results: dict = {}
        pager = calling(work, fs, own, domain, "660", 6, results)
        answered = wait_for(lambda: all(sent(phones[name], "SIP/2.0 200 OK") for name in ("yealink", "polycom")), 20)
        assert answered, f"{phones['yealink'].received()[-3000:]}\n{phones['polycom'].received()[-3000:]}\n{fs.log_tail(200)}"
        (yealink_invite,) = messages(phones["yealink"], "INVITE ")
        (polycom_invite,) = messages(phones["polycom"], "INVITE ")
        # each phone got its own brand's header (the scenario's regexp let it answer), not the other's
        assert header(yealink_invite, "Call-Info") == f"<sip:{domain}>;answer-after=0", yealink_invite
        assert header(yealink_invite, "Alert-Info") == "", yealink_invite
        assert header(polycom_invite, "Alert-Info") == "<http://www.notused.com>;info=alert-autoanswer;delay=0", polycom_invite
        assert header(polycom_invite, "Call-Info") == f"<sip:{domain}>;answer-after=0", polycom_invite
        # and they answered on it (the scenario names the header it found)
        assert header(sent(phones["yealink"], "SIP/2.0 200 OK")[0], "X-Answered-On").startswith("Call-Info:")
        # the phones show who pages: the group's name, the pager's number
        assert re.match(r'"Everyone" <sip:662@', header(yealink_invite, "From")), yealink_invite

        # in FreeSWITCH: one page conference of the group, the pager speaking, the two phones muted listeners
        def listening():
            found = pages(fs, tenant, group["id"])
            return found if found and found[0]["member_count"] == 3 else None
        conference = wait_for(listening, 10)
        assert conference, f"{fs.api('conference json_list')}\n{fs.log_tail(200)}"
        members = [m for m in conference[0]["members"] if m["type"] == "caller"]
        speaking = {m["caller_id_number"]: m["flags"]["can_speak"] for m in members}
        heard = {m["flags"]["can_hear"] for m in members}
        assert sorted(speaking.values()) == [False, False, True], members
        assert speaking.get(own["sip_username"]) is True, members  # the pager
        assert heard == {True}, members
        # the pager's own phone was never called
        assert messages(phones["own"], "INVITE ") == [], phones["own"].received()[-2000:]

        # the pager hangs up: the page ends and FreeSWITCH hangs up both phones
        pager.join(40)
        assert " 200 OK" in results.get("660", ""), results.get("660", "")[-3000:]
        for name in ("yealink", "polycom"):
            assert wait_for(lambda: messages(phones[name], "BYE "), 10), f"{phones[name].received()[-2000:]}\n{fs.log_tail(100)}"
        assert wait_for(lambda: pages(fs, tenant, group["id"]) == [], 10)

        # intercom: *80 + Yvonne's extension calls her phone with its header, both ways
        intercom = calling(work, fs, own, domain, "*80661", 4, results)
        assert wait_for(lambda: len(sent(phones["yealink"], "SIP/2.0 200 OK")) == 2, 20), \
            f"{phones['yealink'].received()[-3000:]}\n{fs.log_tail(200)}"
        second = messages(phones["yealink"], "INVITE ")[-1]
        assert header(second, "Call-Info") == f"<sip:{domain}>;answer-after=0", second
        assert pages(fs, tenant, group["id"]) == []  # a plain call, no conference
        bridged = wait_for(lambda: "662" in fs.api("show calls"), 10)
        assert bridged, fs.api("show calls")
        intercom.join(40)
        assert " 200 OK" in results.get("*80661", ""), results.get("*80661", "")[-3000:]
        assert wait_for(lambda: len(messages(phones["yealink"], "BYE ")) == 2, 10)
        assert messages(phones["own"], "INVITE ") == []
    finally:
        fs.api("hupall NORMAL_CLEARING")
        for phone in phones.values():
            phone.stop()
