"""Compiled call plans on a real FreeSWITCH: the steps each call took, read back from the
`push cp_path=...` marks FreeSWITCH executed, equal the simulator's path for the same call (time,
keys pressed, who answers), and so does the outcome.

The phones are three SIPp UAS instances on fixed addresses (directory users whose dial-string points
at them): 201 and 204 are always busy (486), 202 answers and hangs up after a second, 203 and 205 ring
until cancelled; the outbound gateway leads to the ringing one, and mod_callcenter's agent is 202.
Callers are SIPp UACs that send silence once answered; an IVR caller presses keys by playing
sip-tester's RFC 2833 captures. One FreeSWITCH serves the module: all plans are compiled into the
tenant's context at start, each at the instant its scenario is simulated at."""

from __future__ import annotations

import itertools
import re
import time
import wave
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import callplan.nodes  # noqa: F401  (ties the step types into the plan model before any plan is built)
from callplan.compiler import compile_plan
from callplan.model import CallPlan
from callplan.objects import TenantObjects
from callplan.simulator import simulate_plan
from tests.freeswitch import harness

pytestmark = [
    pytest.mark.freeswitch,
    pytest.mark.skipif(harness.missing_tools() is not None,
                       reason=f"needs FreeSWITCH and SIPp ({harness.missing_tools()})"),
]

DOMAIN = "pbx-test.example"
ZONE = ZoneInfo("Europe/Amsterdam")
OPEN = datetime(2026, 3, 4, 10, 0, tzinfo=ZONE)  # a Wednesday morning: inside office hours
CLOSED = datetime(2026, 3, 7, 10, 0, tzinfo=ZONE)  # a Saturday morning: outside
VERSION = 3
CALLER_NAME = "Alice"
COMPANY_NUMBER = "+3225805000"
BUSY, ANSWERS, RINGS, FORWARDS, ANYWHERE = 1, 2, 3, 4, 5  # user ids; their phones behave as the names say
MOBILE = "+31612345678"

# -- the tenant ---------------------------------------------------------------------------------------


def tenant(audio_dir: Path) -> TenantObjects:
    return TenantObjects(
        tenant_id=7, domain=DOMAIN, timezone="Europe/Amsterdam", audio_dir=str(audio_dir),
        company_number=COMPANY_NUMBER,
        users={
            BUSY: {"id": BUSY, "extension": "201", "name": "Bea Busy"},
            ANSWERS: {"id": ANSWERS, "extension": "202", "name": "Anna Answers"},
            RINGS: {"id": RINGS, "extension": "203", "name": "Ray Rings"},
            # busy too, but forwards to Anna when busy
            FORWARDS: {"id": FORWARDS, "extension": "204", "name": "Fred Forwards",
                       "forwarding": {"busy": {"enabled": True, "to": {"type": "user", "id": ANSWERS}}}},
            # desk phone and mobile (through the gateway) ring at once; neither answers
            ANYWHERE: {"id": ANYWHERE, "extension": "205", "name": "Mo Bile",
                       "anywhere": {"enabled": True, "number": MOBILE}},
        },
        ring_groups={
            # fixed order: the busy phone first, then one that rings out (2 s) / one that answers
            1: group(1, "fixed_order", BUSY, RINGS),
            2: group(2, "fixed_order", BUSY, ANSWERS),
            3: group(3, "simultaneous", BUSY, ANSWERS),
            4: group(4, "memory_hunt", BUSY, RINGS, ANSWERS),
            5: group(5, "simultaneous", BUSY, RINGS, busy_members="busy_tone"),
        },
        queues={
            1: {"id": 1, "name": "Nobody staffs this", "max_wait_s": 2},
            2: {"id": 2, "name": "Anna's queue", "max_wait_s": 30},
        },
        ivr_menus={
            # key 9 is the menu's own action (forward to Anna); the plan's IVR step adds key 1
            1: menu(1, attempts=1),
            2: menu(2, attempts=2),
            # in office hours key 9 rings Anna; out of hours the "closed" greeting, and key 7 rings her
            3: {**menu(3, attempts=1), "greeting_audio_id": 1, "after_hours": {
                "schedule_id": 1, "greeting_audio_id": 3,
                "keys": {"7": {"action": "forward", "destination": {"type": "user", "id": ANSWERS}}}}},
        },
        schedules={1: {"id": 1, "name": "Office hours", "periods": [
            {"from_day": day, "from_time": "08:00", "to_day": day, "to_time": "18:00"}
            for day in ("mon", "tue", "wed", "thu", "fri")]}},
        audio={1: {"id": 1, "name": "welcome"}, 2: {"id": 2, "name": "never uploaded"}, 3: {"id": 3, "name": "closed"}},
    )


def group(group_id: int, strategy: str, *users: int, **more) -> dict:
    return {"id": group_id, "name": f"{strategy} group", "strategy": strategy, "member_ring_time_s": 2,
            "members": [{"type": "user", "id": user} for user in users], **more}


def menu(menu_id: int, attempts: int) -> dict:
    return {"id": menu_id, "name": f"Menu {menu_id}", "timeout_s": 2, "attempts": attempts,
            "keys": {"9": {"action": "forward", "destination": {"type": "user", "id": ANSWERS}}}}


def write_audio(objects: TenantObjects) -> None:
    """Audio 1 and 3 exist (a third of a second of 16 kHz silence); audio 2 was never written."""
    for audio_id in (1, 3):
        path = Path(objects.audio_path(audio_id))
        path.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(16000)
            out.writeframes(b"\0\0" * 5333)


def callcenter_conf(objects: TenantObjects, agent_contact: str) -> ET.Element:
    """mod_callcenter's queues as the queue step names them (q<id>@domain), each with its maximum wait;
    Anna (a callback agent on the answering phone) staffs queue 2 only."""
    conf = ET.Element("configuration", name="callcenter.conf")
    ET.SubElement(conf, "settings")
    queues = ET.SubElement(conf, "queues")
    for queue in objects.queues.values():
        element = ET.SubElement(queues, "queue", name=f"q{queue.id}@{objects.domain}")
        for name, value in (("strategy", "longest-idle-agent"), ("moh-sound", "silence_stream://-1"),
                            ("time-base-score", "system"), ("max-wait-time", queue.max_wait_s),
                            ("max-wait-time-with-no-agent", 0), ("tier-rules-apply", "false"),
                            ("discard-abandoned-after", 60), ("abandoned-resume-allowed", "false")):
            ET.SubElement(element, "param", name=name, value=str(value))
    agent = f"anna@{objects.domain}"
    ET.SubElement(ET.SubElement(conf, "agents"), "agent", name=agent, type="callback", contact=agent_contact,
                  status="Available", **{"max-no-answer": "3", "wrap-up-time": "0", "reject-delay-time": "0",
                                         "busy-delay-time": "0"})
    ET.SubElement(ET.SubElement(conf, "tiers"), "tier", agent=agent, queue=f"q2@{objects.domain}", level="1",
                  position="1")
    return conf


def plan(number: str, steps: list[dict], diversions: list[dict] = ()) -> CallPlan:
    return CallPlan.model_validate({"name": f"Plan {number}", "numbers": [number], "steps": steps,
                                    "diversions": list(diversions)})


def ring_then_hang_up(group_id: int, cause: str = "NORMAL_CLEARING") -> list[dict]:
    return [{"id": "s1", "type": "ring_group", "group": group_id}, {"id": "s2", "type": "hang_up", "cause": cause}]


def ivr_step(menu_id: int, key: str = "1") -> list[dict]:
    return [{"id": "s1", "type": "ivr", "menu": menu_id,
             "keys": {key: [{"id": "s2", "type": "email", "to": ["ops@example.com"]},
                            {"id": "s3", "type": "hang_up", "cause": "USER_BUSY"}]},
             "no_input": [{"id": "s4", "type": "hang_up", "cause": "NO_ANSWER"}],
             "invalid": [{"id": "s5", "type": "hang_up", "cause": "CALL_REJECTED"}]}]


USER_THEN_GROUP = lambda group_id: [  # noqa: E731
    {"id": "s1", "type": "user", "user": BUSY, "timeout_s": 5},
    {"id": "s2", "type": "ring_group", "group": group_id},
    {"id": "s3", "type": "hang_up"},
]
OFFICE_HOURS = [
    {"id": "s1", "type": "time_condition", "schedule": 1,
     "then": [{"id": "s2", "type": "announcement", "audio": 1}],
     "else": [{"id": "s3", "type": "prefix", "text": "CLOSED "}]},
    {"id": "s4", "type": "hang_up", "cause": "CALL_REJECTED"},
]

# plan id -> (plan, the instant it is compiled at and simulated at); the number is 300 + id
PLANS = {
    1: (plan("301", USER_THEN_GROUP(1)), OPEN),
    2: (plan("302", USER_THEN_GROUP(2)), OPEN),
    3: (plan("303", OFFICE_HOURS), OPEN),
    4: (plan("304", OFFICE_HOURS), CLOSED),
    5: (plan("305", ivr_step(1)), OPEN),
    6: (plan("306", [
        {"id": "s1", "type": "prefix", "text": "MISSED "},
        {"id": "s2", "type": "user", "user": BUSY, "timeout_s": 5},
        {"id": "s3", "type": "announcement", "audio": 2},
        {"id": "s4", "type": "email", "to": ["ops@example.com"]},
        {"id": "s5", "type": "hang_up", "cause": "USER_BUSY"},
    ]), OPEN),
    7: (plan("307", [
        {"id": "s1", "type": "prefix", "text": "VIP "},
        {"id": "s2", "type": "user", "user": BUSY, "timeout_s": 5},
        {"id": "s3", "type": "email", "to": ["ops@example.com"]},
        {"id": "s4", "type": "hang_up", "cause": "CALL_REJECTED"},
    ]), OPEN),
    8: (plan("308", [{"id": "s1", "type": "transfer", "to": {"plan": 2}}]), OPEN),
    9: (plan("309", [
        {"id": "s1", "type": "transfer", "to": {"user": BUSY}, "timeout_s": 5},
        {"id": "s2", "type": "transfer", "to": {"extension": "202"}, "timeout_s": 5},
        {"id": "s3", "type": "hang_up"},
    ]), OPEN),
    10: (plan("310", [{"id": "s1", "type": "transfer", "to": {"external": "+3212345678"}, "timeout_s": 5},
                      {"id": "s2", "type": "hang_up"}]), OPEN),
    19: (plan("319", [{"id": "s1", "type": "user", "user": ANYWHERE, "timeout_s": 5},
                      {"id": "s2", "type": "hang_up"}]), OPEN),
    11: (plan("311", ring_then_hang_up(3)), OPEN),
    12: (plan("312", ring_then_hang_up(4)), OPEN),
    13: (plan("313", ring_then_hang_up(5, "USER_BUSY")), OPEN),
    14: (plan("314", [{"id": "s1", "type": "queue", "queue": 1},
                      {"id": "s2", "type": "hang_up", "cause": "CALL_REJECTED"}]), OPEN),
    15: (plan("315", [{"id": "s1", "type": "queue", "queue": 2}, {"id": "s2", "type": "hang_up"}]), OPEN),
    16: (plan("316", [{"id": "s1", "type": "user", "user": FORWARDS, "timeout_s": 5},
                      {"id": "s2", "type": "hang_up"}]), OPEN),
    17: (plan("317", ring_then_hang_up(2), diversions=[
        {"id": "d0", "name": "Switched off", "category": "A", "active": False,
         "steps": [{"id": "d0s1", "type": "hang_up", "cause": "NO_ANSWER"}]},
        {"id": "d1", "name": "Closed today", "category": "B", "active": True,
         "steps": [{"id": "d1s1", "type": "hang_up", "cause": "CALL_REJECTED"}]},
    ]), OPEN),
    18: (plan("318", ivr_step(2, key="5")), OPEN),
    20: (plan("320", [{"id": "s1", "type": "ivr", "menu": 3}]), OPEN),
    21: (plan("321", [{"id": "s1", "type": "ivr", "menu": 3}]), CLOSED),
}

# -- the switch ---------------------------------------------------------------------------------------


class Pbx:
    def __init__(self, fs: harness.FreeSwitch, objects: TenantObjects, phones: dict[str, harness.Phone], base: Path):
        self.fs, self.objects, self.phones, self.base = fs, objects, phones, base
        self._callers = itertools.count(1)

    def simulate(self, plan_id: int, keys, answers):
        """The simulator's marks for the call, following transfers to other plans as FreeSWITCH does."""
        marks = []
        while True:
            plan, at = PLANS[plan_id]
            simulated = simulate_plan(plan, self.objects, at, plan_id=plan_id, caller_name=CALLER_NAME,
                                      keys=list(keys), answers=set(answers))
            marks += [f"{plan_id}:{VERSION}:{step}" for step in simulated.steps]
            onward = re.fullmatch(r"transferred:plan:(\d+)", simulated.outcome)
            if not onward:
                return marks, simulated
            plan_id = int(onward.group(1))

    def call(self, plan_id: int, *, press: str = "", keys=(), answers=()):
        """Call plan `plan_id`'s number, pressing the keys in `press` once answered; check FreeSWITCH's
        path and outcome against the simulator's (`keys` as the simulator sees them, one per menu
        prompt, "" for none; `answers` the ringing steps that get answered); return (call, uac, simulation)."""
        plan, _ = PLANS[plan_id]
        caller = f"10{next(self._callers):02d}"
        uac = harness.call(self.base, self.fs, plan.numbers[0], caller, caller_name=CALLER_NAME, press=press)
        call = self.fs.calls.wait_hangup(caller, timeout=15)
        marks, simulated = self.simulate(plan_id, keys, answers)

        def explain(what: str) -> str:
            return (f"{what}\nsimulated: {marks} {simulated}\nFreeSWITCH: {call.marks if call else None} "
                    f"{call.hangup.get('Hangup-Cause') if call else None}\n"
                    f"--- SIPp UAC (exit {uac.returncode}) ---\n{uac.output}\n{uac.messages}\n"
                    f"--- FreeSWITCH log of the call ---\n{self.fs.call_log(call)}")

        assert call is not None, explain(f"no hang-up of caller {caller} reported by FreeSWITCH")
        assert uac.returncode == 0, explain("the SIPp caller failed")
        assert call.marks == marks, explain("FreeSWITCH's path differs from the simulator's")
        assert call.path_variable() == call.marks, explain("cp_path at hang-up differs from the executed marks")
        assert observed_outcome(call) == simulated.outcome, explain("outcome differs")
        emails = [mark for mark in marks if find_step(mark)["type"] == "email"]
        sent = [f"{event.get('cp_plan')}:{event.get('cp_version')}:{event.get('cp_step')}" for event in call.custom]
        assert sent == emails, explain("callplan::email events")
        call.explain = explain
        return call, uac, simulated


def observed_outcome(call: harness.Call) -> str:
    """The simulator's outcome vocabulary for what FreeSWITCH did: a bridge that was answered (the last
    mark is the step that rang), otherwise the hang-up cause."""
    if call.hangup.get("variable_last_bridge_to"):
        return f"answered:{call.marks[-1].rsplit(':', 1)[1]}"
    return f"hung_up:{call.hangup.get('Hangup-Cause')}"


def find_step(mark: str) -> dict:
    plan_id, _, step_id = mark.split(":")
    for _, step in PLANS[int(plan_id)][0].walk():
        if step.id == step_id:
            return step.model_dump(by_alias=True)
    raise KeyError(mark)


@pytest.fixture(scope="module")
def pbx(fs_dir, phones, start_freeswitch) -> Pbx:
    objects = tenant(fs_dir / "audio")
    write_audio(objects)
    documents = [compile_plan(plan, plan_id, VERSION, objects, at).document() for plan_id, (plan, at) in PLANS.items()]
    behaviour = {"201": "busy", "202": "answer", "203": "ring", "204": "busy", "205": "ring"}
    users = {extension: phones[kind].dial_string(extension) for extension, kind in behaviour.items()}
    fs = start_freeswitch(
        DOMAIN, documents, users,
        gateways={objects.gateway: f"{harness.HOST}:{phones['ring'].port}"},  # outside nobody answers
        configuration=[callcenter_conf(objects, phones["answer"].dial_string("202"))],
        modules=("mod_callcenter",))
    return Pbx(fs, objects, phones, fs_dir)


# -- the scenarios ------------------------------------------------------------------------------------

BRIDGED_TO_ANNA = f"sofia/{harness.PROFILE}/202@"


def answered_then_bye(uac: harness.UacResult) -> bool:
    return uac.responses()[-1:] == [200] and uac.received_bye()


def test_nobody_answers_every_step_runs(pbx):
    call, uac, simulated = pbx.call(1)
    assert simulated.steps == ["s1", "s2", "s3"] and simulated.outcome == "hung_up:NORMAL_CLEARING"
    # both phones of the group were tried in order: the busy one refused, the other rang out
    log = pbx.fs.call_log(call)
    assert "Originate Resulted in Error Cause: 17 [USER_BUSY]" in log, call.explain("busy member")
    assert "[ALLOTTED_TIMEOUT]" in log, call.explain("ringing member timed out")
    # never answered: the caller is refused with the hang-up cause's code (FreeSWITCH maps
    # NORMAL_CLEARING before answer to 480), not the busy member's 486
    assert uac.responses()[-1] == 480, call.explain("final response")


def test_a_member_answers_the_path_stops_at_the_ring_group(pbx):
    call, uac, simulated = pbx.call(2, answers={"s2"})
    assert simulated.steps == ["s1", "s2"] and simulated.outcome == "answered:s2"
    assert answered_then_bye(uac), call.explain("answered, then hung up by the phone")
    assert call.hangup.get("variable_bridge_channel", "").startswith(BRIDGED_TO_ANNA)


def test_time_condition_open(pbx):
    call, uac, simulated = pbx.call(3)
    assert simulated.steps == ["s1", "s2", "s4"] and simulated.outcome == "hung_up:CALL_REJECTED"
    # the announcement answered the call and played the file; CALL_REJECTED then ends it with a BYE
    assert answered_then_bye(uac), call.explain("answered by the announcement")
    assert ("playback", pbx.objects.audio_path(1)) in call.applications
    assert "Error Opening File" not in pbx.fs.call_log(call), call.explain("the audio file plays")


def test_time_condition_closed(pbx):
    call, uac, simulated = pbx.call(4)
    assert simulated.steps == ["s1", "s3", "s4"] and simulated.outcome == "hung_up:CALL_REJECTED"
    assert uac.responses()[-1] == 603, call.explain("CALL_REJECTED before answer")


def test_compiled_documents_differ_by_the_instant():
    objects = tenant(Path("/nonexistent"))
    open_doc = compile_plan(PLANS[3][0], 3, VERSION, objects, OPEN)
    closed_doc = compile_plan(PLANS[3][0], 3, VERSION, objects, CLOSED)
    assert open_doc.document() != closed_doc.document()
    assert open_doc.valid_until == datetime(2026, 3, 4, 18, 0, tzinfo=ZONE)
    assert closed_doc.valid_until == datetime(2026, 3, 9, 8, 0, tzinfo=ZONE)


def test_ivr_key_1_runs_its_branch(pbx):
    call, uac, simulated = pbx.call(5, press="1", keys=["1"])
    assert simulated.steps == ["s1", "s2", "s3"] and simulated.outcome == "hung_up:USER_BUSY"
    assert call.hangup.get("variable_cp_digit") == "1"
    assert answered_then_bye(uac), call.explain("the menu answers; USER_BUSY then ends the call with a BYE")


def test_ivr_no_input_runs_the_no_input_branch(pbx):
    call, uac, simulated = pbx.call(5, keys=[""])
    assert simulated.steps == ["s1", "s4"] and simulated.outcome == "hung_up:NO_ANSWER"


def test_ivr_wrong_key_runs_the_invalid_branch(pbx):
    call, uac, simulated = pbx.call(5, press="2", keys=["2"])
    assert simulated.steps == ["s1", "s5"] and simulated.outcome == "hung_up:CALL_REJECTED"
    assert call.hangup.get("variable_cp_digit_invalid") == "2"


def test_ivr_menu_action_forwards(pbx):
    call, uac, simulated = pbx.call(5, press="9", keys=["9"], answers={"s1"})
    assert simulated.steps == ["s1"] and simulated.outcome == "answered:s1"
    assert call.hangup.get("variable_bridge_channel", "").startswith(BRIDGED_TO_ANNA)


def test_ivr_second_attempt_after_a_wrong_key(pbx):
    call, uac, simulated = pbx.call(18, press="25", keys=["2", "5"])
    assert simulated.steps == ["s1", "s2", "s3"] and simulated.outcome == "hung_up:USER_BUSY"


def test_ivr_wrong_key_then_silence_is_invalid(pbx):
    # FreeSWITCH keeps cp_digit_invalid over the later attempt that timed out
    call, uac, simulated = pbx.call(18, press="2", keys=["2", ""])
    assert simulated.steps == ["s1", "s5"] and simulated.outcome == "hung_up:CALL_REJECTED"


def menu_greeting(call: harness.Call) -> str:
    (data,) = [data for application, data in call.applications if application == "play_and_get_digits"]
    return data.split()[5]


def test_ivr_out_of_hours_plays_the_closed_greeting_and_takes_its_keys(pbx):
    """#16 item 1: the menu's after-hours variant, compiled for a moment its schedule is closed: the
    "closed" greeting is played and its key 7 rings Anna; in hours the same menu plays its own greeting
    and 7 is a wrong key."""
    call, uac, simulated = pbx.call(21, press="7", keys=["7"], answers={"s1"})
    assert simulated.outcome == "answered:s1"
    assert menu_greeting(call) == pbx.objects.audio_path(3), call.explain("the after-hours greeting")
    assert call.hangup.get("variable_bridge_channel", "").startswith(BRIDGED_TO_ANNA), call.explain("key 7 rings Anna")
    assert "Error Opening File" not in pbx.fs.call_log(call), call.explain("the greeting file plays")

    call, uac, simulated = pbx.call(20, press="7", keys=["7"])
    assert menu_greeting(call) == pbx.objects.audio_path(1), call.explain("in hours: the menu's own greeting")
    assert simulated.outcome == "hung_up:NORMAL_CLEARING" and call.hangup.get("variable_cp_digit_invalid") == "7"


def test_prefix_announcement_email_hang_up(pbx):
    call, uac, simulated = pbx.call(6)
    assert simulated.steps == ["s1", "s2", "s3", "s4", "s5"] and simulated.outcome == "hung_up:USER_BUSY"
    # the phone rung after the prefix shows it before the caller's name
    assert simulated.caller_name == "MISSED Alice"
    assert displayed_caller(pbx.phones["busy"], call.caller) == ("MISSED Alice", call.caller), call.explain("display")
    # the audio file is missing: FreeSWITCH logs it and goes on with the next step
    assert ("playback", pbx.objects.audio_path(2)) in call.applications
    assert f"Error Opening File [{pbx.objects.audio_path(2)}]" in pbx.fs.call_log(call)
    # the announcement answered the call, so USER_BUSY ends it with a BYE, not a 486
    assert answered_then_bye(uac), call.explain("answered by the announcement")


def test_hang_up_cause_reaches_the_caller_after_a_busy_phone(pbx):
    call, uac, simulated = pbx.call(7)
    assert simulated.steps == ["s1", "s2", "s3", "s4"] and simulated.outcome == "hung_up:CALL_REJECTED"
    assert displayed_caller(pbx.phones["busy"], call.caller) == ("VIP Alice", call.caller)
    assert uac.responses()[-1] == 603, call.explain("the hang-up step's cause, not the busy phone's 486")


def test_transfer_to_another_plan_runs_that_plan(pbx):
    call, uac, simulated = pbx.call(8, answers={"s2"})
    assert call.marks == ["8:3:s1", "2:3:s1", "2:3:s2"]
    assert call.hangup.get("variable_bridge_channel", "").startswith(BRIDGED_TO_ANNA)


def test_transfer_to_a_busy_user_falls_through_to_an_extension(pbx):
    call, uac, simulated = pbx.call(9, answers={"s2"})
    assert simulated.steps == ["s1", "s2"] and simulated.outcome == "answered:s2"
    assert call.hangup.get("variable_bridge_channel", "").startswith(BRIDGED_TO_ANNA)


def test_transfer_to_an_external_number_goes_out_through_the_gateway(pbx):
    call, uac, simulated = pbx.call(10)
    assert simulated.steps == ["s1", "s2"] and simulated.outcome == "hung_up:NORMAL_CLEARING"
    invite = last_invite(pbx.phones["ring"], "+3212345678")
    assert invite is not None, call.explain("no INVITE for the external number reached the gateway's proxy")
    # the company number is shown, not the caller's
    assert re.search(rf"^From:.*<sip:{re.escape(COMPANY_NUMBER)}@", invite, re.M), invite


def test_anywhere_rings_desk_and_mobile_for_the_step_timeout(pbx):
    started = time.monotonic()
    call, uac, simulated = pbx.call(19)
    took = time.monotonic() - started
    assert simulated.steps == ["s1", "s2"] and simulated.outcome == "hung_up:NORMAL_CLEARING"
    ring = pbx.phones["ring"]
    assert last_invite(ring, "205") and last_invite(ring, MOBILE), call.explain("desk phone and mobile both rang")
    # each leg carries its own timeout: both give up after 5 s (a leg without one rings 60 s)
    log = pbx.fs.call_log(call)
    for leg in (r"/205@\S+", re.escape(f"/{MOBILE}")):
        assert re.search(rf"{leg} Setting leg timeout to 5", log), call.explain(f"leg {leg} has its own timeout")
    assert took < 12, call.explain(f"the call took {took:.1f} s")


def test_simultaneous_group_rings_past_a_busy_member(pbx):
    call, uac, simulated = pbx.call(11, answers={"s1"})
    assert simulated.steps == ["s1"] and simulated.outcome == "answered:s1"
    assert call.hangup.get("variable_bridge_channel", "").startswith(BRIDGED_TO_ANNA)


def test_memory_hunt_group_adds_a_member_each_round(pbx):
    call, uac, simulated = pbx.call(12, answers={"s1"})
    assert simulated.steps == ["s1"] and simulated.outcome == "answered:s1"
    assert call.hangup.get("variable_bridge_channel", "").startswith(BRIDGED_TO_ANNA)
    assert pbx.fs.call_log(call).count("[ALLOTTED_TIMEOUT]") == 1, call.explain("round 2 rang out, round 3 answered")


def test_busy_tone_group_gives_up_on_the_first_busy_member(pbx):
    call, uac, simulated = pbx.call(13)
    assert simulated.steps == ["s1", "s2"] and simulated.outcome == "hung_up:USER_BUSY"
    assert "[ALLOTTED_TIMEOUT]" not in pbx.fs.call_log(call), call.explain("the ringing member was not waited for")
    assert uac.responses()[-1] == 486


def test_queue_without_agents_goes_on_after_the_maximum_wait(pbx):
    call, uac, simulated = pbx.call(14)
    assert simulated.steps == ["s1", "s2"] and simulated.outcome == "hung_up:CALL_REJECTED"
    assert call.hangup.get("variable_cc_cause") == "cancel", call.explain("left the queue")
    assert call.hangup.get("variable_cc_cancel_reason") == "TIMEOUT", call.explain("left the queue by timeout")


def test_queue_answered_by_an_agent_ends_the_journey(pbx):
    call, uac, simulated = pbx.call(15, answers={"s1"})
    assert simulated.steps == ["s1"] and simulated.outcome == "answered:s1"
    assert answered_then_bye(uac)


def test_user_forwards_when_busy(pbx):
    call, uac, simulated = pbx.call(16, answers={"s1"})
    assert simulated.steps == ["s1"] and simulated.outcome == "answered:s1"
    assert call.hangup.get("variable_bridge_channel", "").startswith(BRIDGED_TO_ANNA)


def test_active_diversion_bypasses_the_plan(pbx):
    call, uac, simulated = pbx.call(17)
    assert simulated.steps == ["d1s1"] and simulated.outcome == "hung_up:CALL_REJECTED"
    assert uac.responses()[-1] == 603


def displayed_caller(phone: harness.Phone, caller: str) -> tuple[str, str] | None:
    """(display name, number) in the From of the INVITE that reached `phone` from `caller`."""
    for direction, text in harness.sip_messages(phone.received()):
        match = re.search(r'^From:\s*"([^"]*)"\s*<sip:([^@>]*)@', text, re.M)
        if direction == "received" and text.startswith("INVITE ") and match and match.group(2) == caller:
            return match.group(1), match.group(2)
    return None


def last_invite(phone: harness.Phone, number: str) -> str | None:
    invites = [text for direction, text in harness.sip_messages(phone.received())
               if direction == "received" and text.startswith(f"INVITE sip:{number}@")]
    return invites[-1] if invites else None
