"""The home switch in the dialplan FreeSWITCH fetches (#19, callplan/home.py): with CALLPLAN_HOME_SWITCH and
CALLPLAN_HOME_SWITCH_SIP set, every way into a conference room (its number, a plan's step, a public number
routed to it) goes to the room's home extension, which runs the room on the home switch and hands the call
to it over SIP anywhere else; the home switch's public context lets a hand-over in only with the
installation's token. Without them, the dialplan is what it was. On SQLite and PostgreSQL;
tests/freeswitch/test_home_switch_on_freeswitch.py runs it on two real switches."""

from __future__ import annotations

import pytest

from tests.conftest import fast_settings
from tests.web.pbx import admin  # noqa: F401  (fixture)
from tests.web.test_xml_curl import PASSWORD, _fresh_cache, fs  # noqa: F401  (fixtures: the switch's side)
from web.domain.switches import handover_token

HOME_SIP = "10.0.0.1:5080"


@pytest.fixture
def settings(database_url, tmp_path):
    return fast_settings(database_url, audio_dir=str(tmp_path / "audio"), xml_curl_password=PASSWORD,
                         bridge_feed_port=0, home_switch="fs1", home_switch_sip=HOME_SIP)


def extension(document, name: str):
    return next((e for e in document.iter("extension") if e.get("name") == name), None)


def steps(element, tag: str = "action") -> list[tuple[str, str]]:
    return [(a.get("application"), a.get("data")) for a in element.iter(tag)]


def public(fs, number: str):
    return fs.dialplan("public", number)


def test_a_rooms_number_goes_to_its_home_extension_which_holds_the_room_or_hands_the_call_over(fs, admin, settings):
    room = admin.create("/api/conference-rooms", name="Board", extension="800", pin="1234")
    domain, tenant_id = admin.tenant.sip_domain, admin.tenant.id
    entry = extension(fs.dialplan(domain, "800"), "conference_800")
    assert steps(entry) == [("transfer", f"cp-home-conference-{room['id']} XML {domain}")]  # nothing else here

    home = extension(fs.dialplan(domain, f"cp-home-conference-{room['id']}"), f"home_conference_{room['id']}")
    first, here = home.findall("condition")
    assert (first.get("field"), first.get("expression")) == ("destination_number", f"^(cp\\-home\\-conference\\-{room['id']})$")
    assert here.get("field") == "${callplan_switch_name}/${cp_home_arrived}"
    assert here.get("expression") == "^(fs1/.*|.*/true)$"
    # on the home switch (or a call handed to it): the room, its PIN asked by mod_conference
    assert steps(here)[0][0] == "answer"
    assert ("conference", f"t{tenant_id}-{room['id']}@callplan+1234") in steps(here)
    # anywhere else: over SIP to the home switch's public context, the token in a header, the caller's ID along
    anti = steps(here, "anti-action")
    assert anti == [("set", "hangup_after_bridge=true"), (
        "bridge", f"{{sip_h_X-Callplan-Home={handover_token(settings)},sip_h_X-Callplan-Origin=${{uuid}},origination_caller_id_number=${{caller_id_number}},"
                  f"origination_caller_id_name=${{caller_id_name}}}}"
                  f"sofia/external/cp-home-{tenant_id}-conference-{room['id']}@{HOME_SIP}"),
        ("hangup", "NORMAL_TEMPORARY_FAILURE")]


def test_a_plan_step_and_a_public_number_enter_the_room_through_it_too(fs, admin):
    room = admin.create("/api/conference-rooms", name="Board", extension="800")
    domain = admin.tenant.sip_domain
    plan = admin.create("/api/plans", name="Meet", numbers=["555"], steps=[{"id": "s1", "type": "conference", "room": room["id"]}])
    assert admin.client.post(f"/api/plans/{plan['id']}/publish", json={"note": "t"}).status_code in (200, 201)
    actions = [step for e in fs.dialplan(domain, "555").iter("extension") for step in steps(e)]
    assert ("transfer", f"cp-home-conference-{room['id']} XML {domain}") in actions
    assert not any(application == "conference" for application, _ in actions)


def test_the_home_switch_lets_a_hand_over_in_only_with_the_token(fs, admin, settings):
    room = admin.create("/api/conference-rooms", name="Board", extension="800")
    tenant_id, domain = admin.tenant.id, admin.tenant.sip_domain
    document = public(fs, f"cp-home-{tenant_id}-conference-{room['id']}")
    arrival = extension(document, "home_arrival")
    number, token = arrival.findall("condition")
    assert number.get("expression") == f"^(cp\\-home\\-{tenant_id}\\-conference\\-{room['id']})$"
    assert (token.get("field"), token.get("expression")) == ("${sip_h_X-Callplan-Home}", f"^({handover_token(settings)})$")
    assert steps(token) == [("set", f"cp_tenant_id={tenant_id}"), ("set", f"domain_name={domain}"),
                            ("set", "cp_home_arrived=true"), ("set", "cp_home_origin=${sip_h_X-Callplan-Origin}"),
                            ("transfer", f"cp-home-conference-{room['id']} XML {domain}")]
    assert steps(token, "anti-action") == [("respond", "403 Forbidden")]
    # a company that does not exist, or a kind of service there is none of: not found (the static fallback)
    for number in (f"cp-home-999999-conference-{room['id']}", f"cp-home-{tenant_id}-shell-1", "cp-home-x"):
        assert extension(public(fs, number), "home_arrival") is None


def test_the_token_is_the_installations_own(settings):
    other = type(settings)(**{**settings.__dict__, "secret_key": "another installation"})
    assert handover_token(settings) != handover_token(other) and len(handover_token(settings)) == 32


# --- parking lots (mod_valet_parking) on the home switch -----------------------------------------------------


def test_the_park_code_and_the_slots_go_to_the_home_switchs_lot(fs, admin, settings):
    """*70 and a slot work out who parked the call where it was dialled, then go to their home extension:
    on the home switch the lot itself, elsewhere a hand-over carrying who parked it (for the return)."""
    admin.user("201", "Anna")
    domain, tenant_id = admin.tenant.sip_domain, admin.tenant.id
    assert admin.client.patch("/api/parking", json={"enabled": True, "first_slot": "701", "last_slot": "702",
                                                    "return_after_s": 40}).status_code == 200
    code = steps(extension(fs.dialplan(domain, "*70"), "feature_park"))
    assert [application for application, _ in code] == ["set", "set", "unset", "transfer"]
    assert code[1][1].startswith("cp_parked_by=") and code[-1] == ("transfer", f"cp-home-parkauto-0 XML {domain}")
    slot = steps(extension(fs.dialplan(domain, "702"), "park_slot"))
    assert slot[-1] == ("transfer", f"cp-home-park-$1 XML {domain}")
    assert not any(application == "valet_park" for application, _ in code + slot)  # never on this switch
    for number, name, how in (("cp-home-parkauto-0", "home_parkauto_0", "auto in 701 702"),
                              ("cp-home-park-702", "home_park_702", "702")):
        home = extension(fs.dialplan(domain, number), name)
        _, here = home.findall("condition")
        actions = steps(here)
        assert actions[-1] == ("valet_park", f"t{tenant_id}-park {how}")
        assert ("set", "valet_parking_orbit_exten=park_return_${cp_parked_by}") in actions
        assert not any(data.startswith("cp_parked_by=") for _, data in actions)  # worked out before, kept
        (bridge,) = [data for application, data in steps(here, "anti-action") if application == "bridge"]
        assert "sip_h_X-Callplan-Parked-By=${cp_parked_by}," in bridge
        assert bridge.endswith(f"sofia/external/cp-home-{tenant_id}-{number.removeprefix('cp-home-')}@{HOME_SIP}")
    # the home switch lets the hand-over in with who parked it
    arrival = extension(public(fs, f"cp-home-{tenant_id}-park-702"), "home_arrival")
    _, token = arrival.findall("condition")
    assert ("set", "cp_parked_by=${sip_h_X-Callplan-Parked-By}") in steps(token)
    assert steps(token)[-1] == ("transfer", f"cp-home-park-702 XML {domain}")


def test_the_park_destination_goes_to_the_home_switchs_lot(fs, admin, settings):
    domain, tenant_id = admin.tenant.sip_domain, admin.tenant.id
    assert admin.client.patch("/api/parking", json={"enabled": True}).status_code == 200
    number = [admin.number("+31201237100", destination={"type": "park"})]
    actions = [step for e in fs.dialplan(domain, number[0]["number"]).iter("extension") for step in steps(e)]
    assert ("transfer", f"cp-home-parkquiet-0 XML {domain}") in actions
    assert not any(application == "valet_park" for application, _ in actions)
    home = extension(fs.dialplan(domain, "cp-home-parkquiet-0"), "home_parkquiet_0")
    _, here = home.findall("condition")
    assert ("set", "valet_announce_slot=false") in steps(here)
    assert steps(here)[-2] == ("valet_park", f"t{tenant_id}-park auto in 701 709")


# --- call-center queues (mod_callcenter) on the home switch --------------------------------------------------


def test_a_plans_queue_step_and_what_follows_run_on_the_home_switch(fs, admin, settings):
    """The served context holds the plan's continuation from its queue step: on the home switch the queue
    and the rest of the plan, elsewhere a hand-over as kind "plan"; the home switch's public context sends
    such a hand-over (with the token) into that continuation, the plan's variables set."""
    queue = admin.create("/api/queues", name="Support", extension="400")
    domain, tenant_id = admin.tenant.sip_domain, admin.tenant.id
    plan = admin.create("/api/plans", name="Support", numbers=["555"], steps=[
        {"id": "wait", "type": "queue", "queue": queue["id"]}, {"id": "bye", "type": "hang_up"}])
    published = admin.client.post(f"/api/plans/{plan['id']}/publish", json={"note": "t"})
    assert published.status_code in (200, 201), published.text
    version = published.json()["version"]["version"]
    entry = steps(extension(fs.dialplan(domain, f"cp{plan['id']}_entry"), f"cp{plan['id']}_entry"))
    assert entry[-1] == ("transfer", f"cp{plan['id']}_wait_home XML {domain}")
    assert not any(application == "callcenter" for application, _ in entry)
    name = f"cp{plan['id']}_wait_home"
    continuation = extension(fs.dialplan(domain, name), name)
    _, here = continuation.findall("condition")
    assert here.get("expression") == "^(fs1/.*|.*/true)$"
    assert ("callcenter", f"q{queue['id']}@{domain}") in steps(here)
    assert ("push", f"cp_path={plan['id']}:{version}:bye") in steps(here)
    (bridge,) = [data for application, data in steps(here, "anti-action") if application == "bridge"]
    assert bridge.endswith(f"sofia/external/cp-home-{tenant_id}-plan-{plan['id']}-{version}-wait@{HOME_SIP}")
    # the home switch: into the continuation, only with the token
    arrival = extension(public(fs, f"cp-home-{tenant_id}-plan-{plan['id']}-{version}-wait"), "home_arrival")
    _, token = arrival.findall("condition")
    assert (token.get("field"), token.get("expression")) == ("${sip_h_X-Callplan-Home}", f"^({handover_token(settings)})$")
    assert steps(token) == [("set", f"cp_tenant_id={tenant_id}"), ("set", f"domain_name={domain}"),
                            ("set", "cp_home_arrived=true"), ("set", "cp_home_origin=${sip_h_X-Callplan-Origin}"),
                            ("set", "continue_on_fail=true"), ("set", "hangup_after_bridge=true"),
                            ("set", f"cp_plan={plan['id']}"), ("set", f"cp_version={version}"),
                            ("transfer", f"{name} XML {domain}")]
    assert steps(token, "anti-action") == [("respond", "403 Forbidden")]
    for number in (f"cp-home-{tenant_id}-plan-{plan['id']}-{version}-wa$it", f"cp-home-{tenant_id}-plan-x-1-wait",
                   f"cp-home-999999-plan-{plan['id']}-{version}-wait"):
        assert extension(public(fs, number), "home_arrival") is None


def test_a_queue_called_on_its_own_goes_to_the_home_switch(fs, admin, settings):
    queue = admin.create("/api/queues", name="Support", extension="400")
    domain, tenant_id = admin.tenant.sip_domain, admin.tenant.id
    assert steps(extension(fs.dialplan(domain, "400"), "queue_400")) == [
        ("transfer", f"cp-home-queue-{queue['id']} XML {domain}")]
    # a queue without a number of its own, that a public number is routed to
    other = admin.create("/api/queues", name="Orders")
    number = admin.number("+31201237200", destination={"type": "queue", "id": other["id"]})
    actions = [step for e in fs.dialplan(domain, number["number"]).iter("extension") for step in steps(e)]
    assert ("transfer", f"cp-home-queue-{other['id']} XML {domain}") in actions
    assert not any(application == "callcenter" for application, _ in actions)
    home = extension(fs.dialplan(domain, f"cp-home-queue-{queue['id']}"), f"home_queue_{queue['id']}")
    _, here = home.findall("condition")
    assert ("callcenter", f"q{queue['id']}@{domain}") in steps(here)
    arrival = extension(public(fs, f"cp-home-{tenant_id}-queue-{queue['id']}"), "home_arrival")
    assert steps(arrival.findall("condition")[1])[-1] == ("transfer", f"cp-home-queue-{queue['id']} XML {domain}")


# --- voicemail and pickup on the home switch ---------------------------------------------------------------


def test_a_message_goes_to_the_boxs_home_extension_with_its_greeting(fs, admin, settings):
    """mod_voicemail's messages are the home switch's: a box's number, and a user's voicemail after nobody
    answered, send the call to the box's home extension, which takes the message there (after the
    greeting the hand-over carried as an audio id) and hands it over anywhere else."""
    domain, tenant_id = admin.tenant.sip_domain, admin.tenant.id
    box = admin.create("/api/voicemail-boxes", name="Sales", extension="990", pin="1234")
    actions = steps(extension(fs.dialplan(domain, "990"), "box_990"))
    assert actions[-2:] == [("set", "cp_home_greeting="), ("transfer", f"cp-home-voicemail-{box['id']} XML {domain}")]
    assert not any(application == "voicemail" for application, _ in actions)  # never on this switch
    home = extension(fs.dialplan(domain, f"cp-home-voicemail-{box['id']}"), f"home_voicemail_{box['id']}")
    _, here = home.findall("condition")
    folder = f"{settings.audio_dir}/{tenant_id}/16000"
    assert steps(here) == [
        ("set", f"default_language={admin.tenant.language}"),
        # the greeting only from an audio id, as a path of this switch's own audio folder
        ("set", f"voicemail_greeting_path=${{regex(m:~${{cp_home_greeting}}~^([0-9]{{1,12}})$~{folder}/%1.wav~n)}}"),
        ("voicemail", f"default {domain} 990"), ("hangup", "NORMAL_CLEARING")]
    (bridge,) = [data for application, data in steps(here, "anti-action") if application == "bridge"]
    assert "sip_h_X-Callplan-Greeting=${cp_home_greeting}," in bridge
    assert bridge.endswith(f"sofia/external/cp-home-{tenant_id}-voicemail-{box['id']}@{HOME_SIP}")
    arrival = extension(public(fs, f"cp-home-{tenant_id}-voicemail-{box['id']}"), "home_arrival")
    _, token = arrival.findall("condition")
    assert ("set", "cp_home_greeting=${sip_h_X-Callplan-Greeting}") in steps(token)
    assert steps(token)[-1] == ("transfer", f"cp-home-voicemail-{box['id']} XML {domain}")

    # a user's unanswered call: the user's own greeting for the case goes along as its audio id
    anna = admin.user("201", "Anna")
    patched = admin.client.patch(f"/api/users/{anna['id']}", json={"voicemail": {
        **anna["voicemail"], "enabled": True, "when": "no_answer"}})
    assert patched.status_code == 200, patched.text
    after = steps(extension(fs.dialplan(domain, "user_201_after_NO_ANSWER"), "user_201_after_no_answer"))
    personal = patched.json()["voicemail_box_id"]
    assert after[-1] == ("transfer", f"cp-home-voicemail-{personal} XML {domain}")
    here = extension(fs.dialplan(domain, f"cp-home-voicemail-{personal}"), f"home_voicemail_{personal}")
    assert ("voicemail", f"default {domain} 201") in steps(here)


def test_the_voicemail_code_opens_the_dialling_users_own_box_on_the_home_switch(fs, admin, settings):
    """*97 carries the dialling phone's extension (its directory entry's cp_extension) in the number of the
    user's home extension; there mod_voicemail asks that box's PIN, as it does on one switch."""
    domain, tenant_id = admin.tenant.sip_domain, admin.tenant.id
    admin.user("201", "Anna")
    assert admin.client.get("/api/feature-codes").status_code == 200  # the company's codes, *97 among them
    code = extension(fs.dialplan(domain, "*97"), "feature_voicemail")
    _, user = code.findall("condition")
    assert (user.get("field"), user.get("expression")) == ("${cp_extension}", "^[0-9]{1,12}$")
    assert steps(user) == [("transfer", f"cp-home-vmcheck-${{cp_extension}} XML {domain}")]
    # a phone of nobody asks for the box here, as before
    assert steps(user, "anti-action") == [("answer", ""), ("voicemail", f"check default {domain} ${{cp_extension}}")]
    home = extension(fs.dialplan(domain, "cp-home-vmcheck-201"), "home_vmcheck_201")
    _, here = home.findall("condition")
    assert steps(here) == [("set", "default_language=nl"), ("answer", ""), ("voicemail", f"check default {domain} 201")]
    (bridge,) = [data for application, data in steps(here, "anti-action") if application == "bridge"]
    assert bridge.endswith(f"sofia/external/cp-home-{tenant_id}-vmcheck-201@{HOME_SIP}")
    # the extension is believed only with the token: the public context's check, as for every hand-over
    arrival = extension(public(fs, f"cp-home-{tenant_id}-vmcheck-201"), "home_arrival")
    _, token = arrival.findall("condition")
    assert token.get("expression") == f"^({handover_token(settings)})$"
    assert steps(token)[-1] == ("transfer", f"cp-home-vmcheck-201 XML {domain}")
    assert steps(token, "anti-action") == [("respond", "403 Forbidden")]


def test_the_pickup_code_picks_up_here_first_then_on_the_home_switch(fs, admin, settings):
    domain, tenant_id = admin.tenant.sip_domain, admin.tenant.id
    anna, bram = admin.user("201", "Anna"), admin.user("202", "Bram")
    group = admin.create("/api/pickup-groups", name="Desk", members=[anna["id"], bram["id"]])
    assert admin.client.get("/api/feature-codes").status_code == 200  # the company's codes, *98 among them
    code = extension(fs.dialplan(domain, "*98"), "feature_pickup")
    first, then = code.findall("condition")
    assert steps(first) == [("pickup", f"pg${{cp_pickup_group}}@{domain}")]  # a call ringing on this switch
    assert (then.get("field"), then.get("expression")) == ("${cp_pickup_group}", "^[0-9]{1,12}$")
    assert steps(then) == [("transfer", f"cp-home-pickup-${{cp_pickup_group}} XML {domain}")]
    home = extension(fs.dialplan(domain, f"cp-home-pickup-{group['id']}"), f"home_pickup_{group['id']}")
    _, here = home.findall("condition")
    assert steps(here) == [("pickup", f"pg{group['id']}@{domain}")]
    (bridge,) = [data for application, data in steps(here, "anti-action") if application == "bridge"]
    assert bridge.endswith(f"sofia/external/cp-home-{tenant_id}-pickup-{group['id']}@{HOME_SIP}")
