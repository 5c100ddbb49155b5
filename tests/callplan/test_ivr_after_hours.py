"""An IVR menu's out-of-hours variant (#16 item 1): outside the variant's schedule, or on a day of its
holiday schedule, the caller hears the variant's greeting and its keys apply, in the compiled dialplan
(decided when FreeSWITCH fetches it, like a time condition, and held only until the schedule next opens or
closes) and in the simulator alike, from a plan's IVR step and from the menu's own extension."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

import callplan.nodes  # noqa: F401  (before any CallPlan is validated: see test_registry)
from callplan.base_dialplan import compile_base
from callplan.compiler import compile_plan
from callplan.model import CallPlan
from callplan.simulator import simulate_plan
from tests.callplan import objects_fixture as fx

PLAN_ID, VERSION = 1, 3
# Main menu (fixture id 1) in office hours (schedule 1, Belgian holidays): key 1 rings the Sales group
# (300), 0 the reception (Jan, 201). Out of hours: the "Closed" greeting (audio 5), 1 forwards to Marie
# (202), 5 says the opening hours again and 0 is the reception as before.
AFTER_HOURS = {"schedule_id": 1, "holiday_schedule_id": 1, "greeting_audio_id": 5, "keys": {
    "1": {"action": "forward", "destination": {"type": "user", "id": 202}},
    "5": {"action": "play_message", "audio_id": 3},
    "0": {"action": "reception"}}}


def objects(after_hours=AFTER_HOURS):
    menus = {**fx.IVR_MENUS, 1: {**fx.IVR_MENUS[1], "after_hours": after_hours}}
    return fx.objects(ivr_menus=menus)


def plan(keys: dict | None = None) -> CallPlan:
    return CallPlan.model_validate({"name": "Reception", "numbers": ["200"], "steps": [
        {"id": "s1", "type": "ivr", "menu": 1, "keys": keys or {}, "no_input": [{"id": "s9", "type": "hang_up"}]}]})


def menu_parts(document: str, prefix: str = "cp1_s1_") -> dict:
    """greeting -> the file play_and_get_digits plays, keys -> its accepted keys' regex, and each key's
    segment's actions."""
    found = {}
    for extension in ET.fromstring(document).iter("extension"):
        name = extension.get("name")
        actions = [(action.get("application"), action.get("data")) for action in extension.iter("action")]
        if name == prefix + "menu":
            (data,) = [data for application, data in actions if application == "play_and_get_digits"]
            found["greeting"], found["keys"] = data.split()[5], data.split()[8]
        elif name.startswith(prefix + "key_"):
            found[name.removeprefix(prefix + "key_")] = actions
    return found


def compiled(at: datetime, the_plan: CallPlan | None = None, objects_=None):
    return compile_plan(the_plan or plan(), PLAN_ID, VERSION, objects_ or objects(), at)


def simulated(at: datetime, *keys: str, the_plan: CallPlan | None = None, objects_=None, answers=()):
    result = simulate_plan(the_plan or plan(), objects_ or objects(), at, plan_id=PLAN_ID, keys=keys, answers=answers)
    return result.steps, result.outcome


def test_in_hours_the_normal_menu_out_of_hours_its_variant():
    day = menu_parts(compiled(fx.OPEN).document())
    assert day["greeting"].endswith("/7/16000/1.wav") and day["keys"] == r"^[012349\*]$"
    assert ("transfer", "300 XML acme.pbx.test") in day["1"]
    assert simulated(fx.OPEN, "1") == (["s1"], "transferred:300")

    for closed_at in (fx.CLOSED, fx.HOLIDAY):  # an evening, and Christmas Day in office hours
        night = menu_parts(compiled(closed_at).document())
        assert night["greeting"].endswith("/7/16000/5.wav") and night["keys"] == "^[015]$", closed_at
        assert ("bridge", "user/202@acme.pbx.test") in night["1"]
        assert ("playback", "/var/lib/callplan/audio/7/16000/3.wav") in night["5"]
        assert "3" not in night  # the normal menu's "dial by extension" is not offered
        assert ("bridge", "user/201@acme.pbx.test") in night["0"]  # the reception stays the menu's
        assert simulated(closed_at, "1", answers={"s1"}) == (["s1"], "answered:s1")  # Marie answers
        # 3 (dial by extension in hours) is a wrong key now: after the attempts, the reception (unanswered)
        assert simulated(closed_at, "3", "201", "", "") == (["s1"], "hung_up:NORMAL_CLEARING")
    assert simulated(fx.OPEN, "3", "201") == (["s1"], "transferred:201")


def test_out_of_hours_the_plans_own_steps_for_a_key_do_not_apply():
    own = plan({"1": [{"id": "s2", "type": "announcement", "audio": 2}, {"id": "s3", "type": "hang_up"}]})
    assert simulated(fx.OPEN, "1", the_plan=own) == (["s1", "s2", "s3"], "hung_up:NORMAL_CLEARING")
    night = menu_parts(compiled(fx.CLOSED, own).document())
    assert ("bridge", "user/202@acme.pbx.test") in night["1"]
    assert simulated(fx.CLOSED, "1", the_plan=own)[0] == ["s1"]


def test_without_a_greeting_of_its_own_the_variant_plays_the_menus():
    variant = {**AFTER_HOURS, "greeting_audio_id": None}
    night = menu_parts(compiled(fx.CLOSED, objects_=objects(variant)).document())
    assert night["greeting"].endswith("/7/16000/1.wav") and night["keys"] == "^[015]$"


def test_the_document_holds_until_the_schedule_opens_or_closes():
    assert compiled(fx.OPEN).valid_until == datetime(2026, 3, 10, 16, 30, tzinfo=fx.UTC)  # 17:30 in Brussels
    assert compiled(fx.CLOSED).valid_until == datetime(2026, 3, 11, 7, 30, tzinfo=fx.UTC)  # 08:30 next morning
    # no variant: the menu does not depend on the time
    assert compiled(fx.OPEN, objects_=objects(None)).valid_until is None
    assert compiled(fx.OPEN).decisions == {(1, 1): True} and compiled(fx.CLOSED).decisions == {(1, 1): False}


def test_the_menus_own_extension_follows_the_variant_too():
    document, valid_until = compile_base(objects(), fx.CLOSED)
    night = menu_parts(document, prefix="cp0_m1_")
    assert night["greeting"].endswith("/7/16000/5.wav") and night["keys"] == "^[015]$"
    assert valid_until == datetime(2026, 3, 11, 7, 30, tzinfo=fx.UTC)
    day = menu_parts(compile_base(objects(), fx.OPEN)[0], prefix="cp0_m1_")
    assert day["greeting"].endswith("/7/16000/1.wav")
