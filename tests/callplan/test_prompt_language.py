"""The language voicemail speaks (#16 item 1): a user's personal box the user's language, a company box
the company's, however the call reaches the box (a plan's voicemail step, a forwarding, the box's own
extension, a user's unanswered call). mod_voicemail's prompts are phrase macros looked up in the
channel's default_language, which the dialplan sets just before the box takes the call."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import callplan.nodes  # noqa: F401  (before any CallPlan is validated: see test_registry)
from callplan.base_dialplan import compile_base
from callplan.compiler import compile_plan
from callplan.model import CallPlan
from tests.callplan import objects_fixture as fx

# Jan (201, box 2) speaks English, Marie (202, box 3) Dutch; the company box (800, box 1) the company's


def objects(company: str = "en"):
    users = {**fx.USERS, 201: {**fx.USERS[201], "language": "en"}, 202: {**fx.USERS[202], "language": "nl"}}
    return fx.objects(users=users, language=company)


def languages_before_voicemail(document: str) -> dict[str, str]:
    """box number -> the default_language set right before mod_voicemail takes the call."""
    found = {}
    for condition in ET.fromstring(document).iter("condition"):
        actions = [(action.get("application"), action.get("data")) for action in condition.iter("action")]
        for before, (application, data) in zip(actions, actions[1:]):
            if application == "voicemail":
                assert before[0] == "set" and before[1].startswith("default_language="), actions
                found[data.split()[-1]] = before[1].split("=", 1)[1]
    return found


def test_each_box_speaks_its_owners_language():
    plan = CallPlan.model_validate({"name": "Boxes", "numbers": ["200"], "steps": [
        {"id": "s1", "type": "ivr", "menu": 2, "keys": {
            "1": [{"id": "s2", "type": "voicemail", "box": 2}],
            "2": [{"id": "s3", "type": "voicemail", "box": 3}],
            "3": [{"id": "s4", "type": "voicemail", "box": 1}],
            "4": [{"id": "s5", "type": "transfer", "to": {"user": 202}}, {"id": "s6", "type": "hang_up"}]}}]})
    compiled = languages_before_voicemail(compile_plan(plan, 1, 3, objects(), fx.OPEN).document())
    assert compiled == {"201": "en", "202": "nl", "800": "en"}
    assert languages_before_voicemail(compile_plan(plan, 1, 3, objects("nl"), fx.OPEN).document())["800"] == "nl"


def test_a_users_unanswered_calls_and_the_box_extensions_speak_the_same():
    users = {**fx.USERS, 202: {**fx.USERS[202], "language": "en",
                               "voicemail": {"enabled": True, "when": "busy_or_no_answer"}}}
    document, _ = compile_base(fx.objects(users=users, language="nl"), fx.OPEN)
    spoken = languages_before_voicemail(document)
    assert spoken["202"] == "en" and spoken["800"] == "nl"
