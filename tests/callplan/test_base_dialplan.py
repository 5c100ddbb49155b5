"""The tenant's base dialplan: feature codes, internal numbers with forwarding/voicemail/night mode,
outbound blocking and caller ID."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest

import callplan.nodes  # noqa: F401
from callplan.base_dialplan import compile_base
from callplan.objects import (CompanyInfo, DepartmentInfo, IvrMenuInfo, PlanInfo, QueueInfo, RingGroupInfo,
                              ScheduleInfo, TenantObjects, UserInfo, VoicemailBoxInfo)
from callplan.outbound import blocked_patterns, caller_id

MONDAY_10_BRUSSELS = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
MONDAY_22_BRUSSELS = datetime(2026, 11, 23, 21, 0, tzinfo=timezone.utc)


def objects(**overrides) -> TenantObjects:
    values = dict(
        tenant_id=1, domain="acme.pbx.test", timezone="Europe/Brussels", company_number="+3225805000",
        company=CompanyInfo(country="BE"),
        users={1: UserInfo(id=1, extension="201", name="Anna", voicemail_box_id=5,
                           voicemail={"enabled": True, "when": "busy_or_no_answer", "after_rings": 4})},
        voicemail_boxes={5: VoicemailBoxInfo(id=5, user_id=1), 9: VoicemailBoxInfo(id=9, extension="999")},
        feature_codes={"voicemail": "*97", "pickup": "*98", "agent_break": "*24", "night_mode_toggle": "*31"},
    )
    values.update(overrides)
    return TenantObjects(**values)


def extensions(document: str) -> dict[str, ET.Element]:
    root = ET.fromstring(document)
    return {e.get("name"): e for e in root.iter("extension")}


def actions(extension: ET.Element, tag: str = "action") -> list[tuple[str, str]]:
    return [(a.get("application"), a.get("data")) for a in extension.iter(tag)]


def route(document: str, number: str, withheld: bool = False) -> str:
    """The extension FreeSWITCH would run for a dialled number: the first whose first condition matches
    (and whose ${cp_withhold} condition, if it has one, holds for the caller)."""
    for extension in ET.fromstring(document).iter("extension"):
        condition = extension.find("condition")
        withholding = [c for c in extension.findall("condition") if c.get("field") == "${cp_withhold}"]
        if withholding and not withheld:
            continue
        if re.search(condition.get("expression"), number):
            return extension.get("name")
    return ""


def test_feature_codes_come_first_and_agent_break_is_quoted():
    document, _ = compile_base(objects(), MONDAY_10_BRUSSELS)
    ext = extensions(document)
    assert route(document, "*97") == "feature_voicemail"
    assert ("voicemail", "check default acme.pbx.test ${cp_extension}") in actions(ext["feature_voicemail"])
    assert any("'On Break'" in data for _, data in actions(ext["feature_agent_break"]))
    assert any("cp_feature=night_mode_toggle" in data for _, data in actions(ext["feature_night_mode_toggle"]))


def test_a_user_rings_then_voicemail_by_why_nobody_answered():
    busy_forward = {"busy": {"enabled": True, "to": {"type": "external", "number": "+32467890123"}}}
    users = {1: UserInfo(id=1, extension="201", name="Anna", voicemail_box_id=5, forwarding=busy_forward,
                         voicemail={"enabled": True, "when": "no_answer", "after_rings": 4})}
    document, _ = compile_base(objects(users=users, pickup_groups={3: [1]}), MONDAY_10_BRUSSELS)
    ext = extensions(document)
    assert route(document, "201") == "user_201"
    assert ("set", "call_timeout=20") in actions(ext["user_201"])  # 4 rings
    assert ("bridge", "user/201@acme.pbx.test,pickup/pg3@acme.pbx.test") in actions(ext["user_201"])
    assert route(document, "user_201_after_USER_BUSY") == "user_201_after_busy"
    # out through the gateway with the company number as caller ID, on that leg only
    assert actions(ext["user_201_after_busy"])[0] == (
        "bridge", "[origination_caller_id_number=+3225805000]sofia/gateway/default/+32467890123")
    assert ("voicemail", "default acme.pbx.test 201") not in actions(ext["user_201_after_busy"])  # only on no answer
    assert route(document, "user_201_after_NO_ANSWER") == "user_201_after_no_answer"
    assert ("voicemail", "default acme.pbx.test 201") in actions(ext["user_201_after_no_answer"])
    assert route(document, "user_201_after_USER_NOT_REGISTERED") == "user_201_after_other"


def test_forwarding_to_the_users_own_voicemail_takes_the_message_without_ringing_the_user_again():
    """The portal's "no answer: voicemail" is a forwarding to the user's own box: straight into it, with
    the greeting of the case; a colleague's box the same way (its own greeting), never a transfer to
    that colleague's extension (which would ring the colleague)."""
    own_box = {"type": "voicemail_box", "id": 5}
    users = {1: UserInfo(id=1, extension="201", name="Anna", voicemail_box_id=5,
                         forwarding={"no_answer": {"enabled": True, "to": own_box, "after_s": 15},
                                     "busy": {"enabled": True, "to": {"type": "voicemail_box", "id": 6}}},
                         voicemail={"enabled": False, "unavailable_greeting_audio_id": 41, "busy_greeting_audio_id": 42}),
             2: UserInfo(id=2, extension="202", name="Bob", voicemail_box_id=6, language="en")}
    boxes = {5: VoicemailBoxInfo(id=5, user_id=1), 6: VoicemailBoxInfo(id=6, user_id=2, greeting_audio_id=43)}
    document, _ = compile_base(objects(users=users, voicemail_boxes=boxes, audio_dir="/audio"), MONDAY_10_BRUSSELS)
    ext = extensions(document)
    assert ("set", "call_timeout=15") in actions(ext["user_201"])
    assert actions(ext["user_201_after_no_answer"]) == [
        ("answer", ""), ("set", "voicemail_greeting_path=/audio/1/16000/41.wav"), ("set", "default_language=nl"),
        ("voicemail", "default acme.pbx.test 201"), ("hangup", "NORMAL_CLEARING")]
    # the colleague's box speaks its owner's language
    assert actions(ext["user_201_after_busy"]) == [
        ("answer", ""), ("set", "voicemail_greeting_path=/audio/1/16000/43.wav"), ("set", "default_language=en"),
        ("voicemail", "default acme.pbx.test 202"), ("hangup", "NORMAL_CLEARING")]
    # voicemail itself switched off: when nobody is registered the call is not taken
    assert ("voicemail", "default acme.pbx.test 201") not in actions(ext["user_201_after_other"])


def test_voicemail_greetings_by_why_nobody_answered():
    users = {1: UserInfo(id=1, extension="201", name="Anna", voicemail_box_id=5, voicemail={
        "enabled": True, "when": "busy_or_no_answer", "busy_greeting_audio_id": 42})}
    boxes = {5: VoicemailBoxInfo(id=5, user_id=1, greeting_audio_id=40)}
    document, _ = compile_base(objects(users=users, voicemail_boxes=boxes, audio_dir="/audio"), MONDAY_10_BRUSSELS)
    ext = extensions(document)
    assert ("set", "voicemail_greeting_path=/audio/1/16000/42.wav") in actions(ext["user_201_after_busy"])
    # no greeting of the user's own for this case: the box's
    assert ("set", "voicemail_greeting_path=/audio/1/16000/40.wav") in actions(ext["user_201_after_no_answer"])


def test_dnd_and_unconditional_forwarding():
    users = {1: UserInfo(id=1, extension="201", name="Anna", dnd=True),
             2: UserInfo(id=2, extension="202", name="Bob", forwarding={"always": {"enabled": True, "to": {"type": "extension", "number": "201"}}})}
    document, _ = compile_base(objects(users=users), MONDAY_10_BRUSSELS)
    ext = extensions(document)
    assert not any(app == "bridge" for app, _ in actions(ext["user_201"]))
    assert ("bridge", "user/201@acme.pbx.test") in actions(ext["user_202"])


def test_night_mode_by_schedule_sends_groups_to_the_night_destination():
    office = ScheduleInfo(id=1, periods=[{"from_day": "mon", "from_time": "08:00", "to_day": "mon", "to_time": "18:00"}])
    company = CompanyInfo(country="BE", night_mode="auto", night_schedule_id=1,
                          night_destination={"type": "voicemail_box", "id": 9})
    groups = {1: RingGroupInfo(id=1, name="Sales", extension="300", members=[{"type": "user", "id": 1}])}
    day, valid_until = compile_base(objects(company=company, schedules={1: office}, ring_groups=groups), MONDAY_10_BRUSSELS)
    night, _ = compile_base(objects(company=company, schedules={1: office}, ring_groups=groups), MONDAY_22_BRUSSELS)
    assert ("bridge", "[leg_timeout=20]user/201@acme.pbx.test") in actions(extensions(day)["group_300"])
    assert ("transfer", "999 XML acme.pbx.test") in actions(extensions(night)["group_300"])
    assert valid_until == datetime(2026, 11, 23, 17, 0, tzinfo=timezone.utc)  # 18:00 Brussels


def test_groups_queues_menus_boxes_and_plans_by_their_numbers():
    document, _ = compile_base(objects(
        ring_groups={1: RingGroupInfo(id=1, name="Sales", extension="300", members=[{"type": "user", "id": 1}])},
        queues={1: QueueInfo(id=1, name="Support", extension="400")},
        ivr_menus={1: IvrMenuInfo(id=1, name="Main", extension="500", keys={"1": {"action": "repeat"}})},
        plans={4: PlanInfo(id=4, name="Reception", numbers=["+3225805000", "200"])},
    ), MONDAY_10_BRUSSELS)
    assert [route(document, n) for n in ("300", "400", "500", "999", "200")] == [
        "group_300", "queue_400", "menu_500", "box_999", "plan_4"]
    assert ("callcenter", "q1@acme.pbx.test") in actions(extensions(document)["queue_400"])


@pytest.mark.parametrize("number, expected", [
    ("0909123456", "blocked_premium"), ("+32909123456", "blocked_premium"), ("0032900123456", "blocked_premium"),
    ("0471234567", "outbound"),  # mobile not blocked here
    ("+31201234567", "blocked_international"), ("0031201234567", "blocked_international"),
    ("+3225805001", "outbound"), ("025805001", "outbound"), ("112", "emergency"),
    ("4321*0909123456", "outbound_released"),
])
def test_outbound_blocking_and_release_pin(number, expected):
    company = CompanyInfo(country="BE", block_premium=True, block_international=True, release_pin="4321")
    document, _ = compile_base(objects(company=company), MONDAY_10_BRUSSELS)
    assert route(document, number) == expected


def test_calls_out_need_a_number_to_show():
    document, _ = compile_base(objects(), MONDAY_10_BRUSSELS)
    outbound = extensions(document)["outbound"]
    conditions = outbound.findall("condition")
    assert conditions[-1].get("field") == "${cp_outbound_cid}"  # after the number's check (not in use)
    assert actions(conditions[-1], "anti-action") == [("respond", "403 No outbound number: set the company number")]
    assert ("bridge", "sofia/gateway/default/${cp_dialled}") in actions(outbound)


def test_mobile_blocking_in_the_netherlands():
    rules = dict(blocked_patterns(CompanyInfo(block_mobile=True, block_premium=False), "NL"))
    assert re.search(rules["mobile"], "0612345678") and re.search(rules["mobile"], "+31612345678")
    assert not re.search(rules["mobile"], "0201234567")


@pytest.mark.parametrize("mode, user_fields, expected", [
    ("company", {}, "+3225805000"),
    ("own", {"direct_number": "+3225805011"}, "+3225805011"),
    ("own", {}, "+3225805000"),  # no own number: the company's
    ("department", {"department_id": 2}, "+3225805099"),
])
def test_outbound_caller_id(mode, user_fields, expected):
    objs = objects(departments={2: DepartmentInfo(id=2, name="Sales", caller_id_number="+3225805099")})
    user = UserInfo(id=1, extension="201", name="Anna", caller_id_mode=mode, **user_fields)
    assert caller_id(user, objs).number == expected
    assert caller_id(UserInfo(id=1, extension="201", name="A", withhold_caller_id=True), objs).withheld


def test_no_company_number_means_no_caller_id():
    assert caller_id(UserInfo(id=1, extension="201", name="A"), objects(company_number=None)).number is None


# -- #16 item 1: settings made real ---------------------------------------------------------------------


def test_a_withheld_caller_goes_out_anonymous_with_the_identity_asserted():
    """Withhold caller ID: an extension of its own before the plain one, taken only when ${cp_withhold}
    is true (the directory sets it from the user), bridging with the privacy flags and an anonymous From."""
    from callplan.base_dialplan import WITHHELD_LEG

    company = CompanyInfo(country="BE", release_pin="4321")
    document, _ = compile_base(objects(company=company), MONDAY_10_BRUSSELS)
    names = [e.get("name") for e in ET.fromstring(document).iter("extension")]
    for name in ("outbound", "outbound_released"):
        assert names.index(f"{name}_withheld") == names.index(name) - 1
    assert route(document, "0471234567", withheld=True) == "outbound_withheld"
    assert route(document, "4321*0471234567", withheld=True) == "outbound_released_withheld"
    assert route(document, "112", withheld=True) == "emergency"
    withheld = extensions(document)["outbound_withheld"]
    fields = [(c.get("field"), c.get("expression")) for c in withheld.findall("condition")]
    assert fields[:3] == [("destination_number", r"^(\+?[0-9]{3,15})$"), ("${cp_withhold}", "^true$"),
                          ("destination_number", r"^(\+?[0-9]{3,15})$")]
    # the first condition queues nothing: a caller who does not withhold leaves no trace of it
    assert actions(withheld.find("condition")) == []
    assert ("bridge", WITHHELD_LEG + "sofia/gateway/default/${cp_dialled}") in actions(withheld)
    assert "origination_privacy=screen+hide_name+hide_number" in WITHHELD_LEG and "sip_cid_type=pid" in WITHHELD_LEG
    assert "sip_invite_from_uri=sip:anonymous@anonymous.invalid" in WITHHELD_LEG
    # the real number is still the channel's caller ID: what P-Asserted-Identity carries
    assert ("set", "effective_caller_id_number=${cp_outbound_cid}") in actions(withheld)
    assert ("bridge", "sofia/gateway/default/${cp_dialled}") in actions(extensions(document)["outbound"])
    assert ("bridge", WITHHELD_LEG + "sofia/gateway/default/${cp_dialled}") in actions(extensions(document)["outbound_released_withheld"])
    # emergency calls are never withheld
    assert not any("privacy" in data for _, data in actions(extensions(document)["emergency"]))


@pytest.mark.parametrize("show, name, expected", [
    (True, "Acme BV", "Acme BV"),
    (True, "${system(id)} & Co", "(system(id)) & Co"),  # never expanded
    (False, "Acme BV", None),  # the caller's own name (the directory's effective_caller_id_name)
    (True, "", None),
])
def test_calls_out_show_the_company_name_when_the_company_says_so(show, name, expected):
    company = CompanyInfo(country="BE", name=name, show_company_name=show)
    document, _ = compile_base(objects(company=company), MONDAY_10_BRUSSELS)
    for extension in ("outbound", "outbound_withheld"):
        names = [data for application, data in actions(extensions(document)[extension])
                 if application == "set" and data.startswith("effective_caller_id_name=")]
        assert names == ([f"effective_caller_id_name={expected}"] if expected else [])


@pytest.mark.parametrize("display, mode, user_fields, expected", [
    ("company", "company", {"direct_number": "+3225805011"}, "+3225805000"),
    ("personal", "company", {"direct_number": "+3225805011"}, "+3225805011"),
    ("personal", "company", {}, "+3225805000"),  # no number of the user's own: the company's (seed 001 6.4.2)
    ("personal", "department", {"department_id": 2, "direct_number": "+3225805011"}, "+3225805099"),
    ("company", "own", {"direct_number": "+3225805011"}, "+3225805011"),
])
def test_the_companys_number_display_decides_for_users_left_at_the_company_number(display, mode, user_fields, expected):
    objs = objects(company=CompanyInfo(country="BE", number_display=display),
                   departments={2: DepartmentInfo(id=2, name="Sales", caller_id_number="+3225805099")})
    user = UserInfo(id=1, extension="201", name="Anna", caller_id_mode=mode, **user_fields)
    assert caller_id(user, objs).number == expected


def test_call_waiting_off_makes_a_second_call_busy():
    from callplan.base_dialplan import busy_counter

    users = {1: UserInfo(id=1, extension="201", name="Anna", voicemail_box_id=5, call_waiting=False,
                         voicemail={"enabled": True, "when": "busy_or_no_answer"}),
             2: UserInfo(id=2, extension="202", name="Bram")}
    document, _ = compile_base(objects(users=users), MONDAY_10_BRUSSELS)
    names = [e.get("name") for e in ET.fromstring(document).iter("extension")]
    assert names.index("user_201_on_a_call") == names.index("user_201") - 1
    assert "user_202_on_a_call" not in names  # call waiting on: the second call rings
    check = extensions(document)["user_201_on_a_call"].findall("condition")
    assert [(c.get("field"), c.get("expression")) for c in check] == [
        ("destination_number", "^(201)$"), ("${limit_usage(hash cp_busy u1)}", "^[1-9]")]
    assert actions(check[0]) == []
    assert actions(check[1]) == [("transfer", "user_201_after_USER_BUSY XML acme.pbx.test")]
    # the busy case: the user's busy voicemail
    assert ("voicemail", "default acme.pbx.test 201") in actions(extensions(document)["user_201_after_busy"])
    assert busy_counter(1) == "limit hash cp_busy u1"


def test_a_boxs_longest_message_picks_its_voicemail_profile():
    users = {1: UserInfo(id=1, extension="201", name="Anna", voicemail_box_id=5,
                         voicemail={"enabled": True, "when": "no_answer"})}
    boxes = {5: VoicemailBoxInfo(id=5, user_id=1, max_message_s=60), 9: VoicemailBoxInfo(id=9, extension="999"),
             10: VoicemailBoxInfo(id=10, extension="998", max_message_s=1800)}
    document, _ = compile_base(objects(users=users, voicemail_boxes=boxes), MONDAY_10_BRUSSELS)
    ext = extensions(document)
    assert ("voicemail", "max60 acme.pbx.test 201") in actions(ext["user_201_after_no_answer"])
    assert ("voicemail", "default acme.pbx.test 999") in actions(ext["box_999"])  # the default length: 180 s
    assert ("voicemail", "max1000 acme.pbx.test 998") in actions(ext["box_998"])  # mod_voicemail's most

def conditions(extension: ET.Element) -> list[tuple[str, str, list, list]]:
    """(field, expression, actions, anti-actions) of each condition, in order."""
    return [(c.get("field"), c.get("expression"), actions(c), actions(c, "anti-action")) for c in extension.iter("condition")]


def test_hot_desk_codes_ask_extension_and_pin_on_hot_desking_phones_only():
    """The login code asks the extension and the voicemail PIN on a hot-desking phone (cp_hot_desk, set by
    its directory entry); the check allows only users who may hot-desk, compares the PIN with the one the
    directory holds (read at the call, never compiled in), and fires the event the bridge stores."""
    users = {1: UserInfo(id=1, extension="201", name="Anna", hot_desking=True),
             2: UserInfo(id=2, extension="202", name="Bram"),
             3: UserInfo(id=3, extension="203", name="Carla", hot_desking=True)}
    codes = {"hot_desk_login": "*60", "hot_desk_logout": "*61"}
    document, _ = compile_base(objects(users=users, feature_codes=codes), MONDAY_10_BRUSSELS)
    ext = extensions(document)
    assert route(document, "*60") == "feature_hot_desk_login" and route(document, "*61") == "feature_hot_desk_logout"
    (_, _, [], []), (field, expression, ask, refused) = conditions(ext["feature_hot_desk_login"])
    assert (field, expression) == ("${cp_hot_desk}", "^[0-9]+$") and refused[-1] == ("hangup", "CALL_REJECTED")
    assert [application for application, _ in ask] == ["answer", "play_and_get_digits", "play_and_get_digits", "set", "transfer"]
    assert ask[1][1].split()[-3:-1] == ["cp_hd_extension", "^[0-9]{2,4}$"] and ask[2][1].split()[-3:-1] == ["cp_hd_pin", "^[0-9]{4,8}$"]
    assert ask[3] == ("set", "cp_hd_pair=${cp_hd_pin}:${user_data(${cp_hd_extension}@acme.pbx.test param vm-password)}")
    assert ask[4] == ("transfer", "feature_hot_desk_check XML acme.pbx.test")
    assert route(document, "feature_hot_desk_check") == "feature_hot_desk_check"
    check = conditions(ext["feature_hot_desk_check"])
    assert [(field, expression) for field, expression, _, _ in check[1:]] == [
        ("${cp_hot_desk}", "^[0-9]+$"), ("${cp_hd_extension}", "^(201|203)$"), ("${cp_hd_pair}", r"^([0-9]{4,8}):\1$")]
    assert all(anti and anti[-1] == ("hangup", "CALL_REJECTED") for _, _, _, anti in check[1:])
    fired = check[-1][2][0]
    assert fired[0] == "event" and "cp_feature=hot_desk_login" in fired[1] and "cp_device=${cp_hot_desk}" in fired[1]
    assert "cp_hot_desk_user=${cp_hd_extension}" in fired[1]
    # the PIN check, as FreeSWITCH's PCRE runs it: the PIN typed and the directory's must be the same
    pattern = re.compile(check[-1][1])
    assert pattern.search("1234:1234") and not pattern.search("1234:1235") and not pattern.search(":")
    assert not pattern.search("123:123") and not pattern.search("1234:")
    # logging out fires the event for the phone, on a hot-desking phone only
    (_, _, [], []), (field, _, out, refused) = conditions(ext["feature_hot_desk_logout"])
    assert field == "${cp_hot_desk}" and "cp_feature=hot_desk_logout" in out[0][1] and refused
    # nobody may hot-desk: the login is always refused
    document, _ = compile_base(objects(users={2: users[2]}, feature_codes=codes), MONDAY_10_BRUSSELS)
    assert actions(extensions(document)["feature_hot_desk_check"])[-1] == ("hangup", "CALL_REJECTED")


def test_a_queue_with_its_own_music_gives_it_to_the_agent_who_puts_the_caller_on_hold():
    """FreeSWITCH plays the holding leg's temp_hold_music before its hold_music (the company's, from the
    directory); mod_callcenter gives the agent's leg the caller's cc_export_vars."""
    queue_objects = objects(queues={4: QueueInfo(id=4, name="Support", extension="400", music_on_hold_audio_id=7),
                                    5: QueueInfo(id=5, name="Sales", extension="401")},
                            audio={7: {"id": 7, "name": "Jazz"}})
    ext = extensions(compile_base(queue_objects, MONDAY_10_BRUSSELS)[0])
    music = "/var/lib/callplan/audio/1/16000/7.wav"
    assert actions(ext["queue_400"])[:5] == [
        ("answer", ""), ("set", f"temp_hold_music={music}"), ("set", "cc_export_vars=temp_hold_music"),
        ("callcenter", "q4@acme.pbx.test"), ("unset", "temp_hold_music")]
    assert not any("hold_music" in (data or "") for _, data in actions(ext["queue_401"]))  # the company's applies


def test_a_company_box_that_only_announces_plays_its_greeting_and_takes_no_message():
    """Seed 001: the company voicemail out of hours plays its announcement and hangs up; reached by its
    extension, or by a plan's voicemail step."""
    from callplan.nodes import voicemail

    boxes = {9: VoicemailBoxInfo(id=9, extension="999", greeting_audio_id=7, announce_only=True),
             8: VoicemailBoxInfo(id=8, extension="998", greeting_audio_id=7)}
    document, _ = compile_base(objects(voicemail_boxes=boxes, audio_dir="/audio"), MONDAY_10_BRUSSELS)
    ext = extensions(document)
    assert actions(ext["box_999"]) == [("answer", ""), ("playback", "/audio/1/16000/7.wav"), ("hangup", "NORMAL_CLEARING")]
    assert ("voicemail", "default acme.pbx.test 998") in actions(ext["box_998"])  # the others take messages
    step = voicemail.Step(id="s1", type="voicemail", box=9)
    assert voicemail.announces(step, boxes[9]) and not voicemail.announces(step.model_copy(update={"box": 8}), boxes[8])
