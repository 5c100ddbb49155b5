"""Incoming call blocking compiled into the tenant's context (#16 item 2): which callers from outside the
company and a user turn away, in every form a carrier writes the number, while a schedule says so, and
what they hear. The hunt below runs the extensions as mod_dialplan_xml does: in order, each one's
conditions ANDed, the first whose conditions all hold wins (only the last condition carries actions)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest

import callplan.nodes  # noqa: F401
from callplan.base_dialplan import compile_base
from callplan.blocking import caller_pattern, forms
from callplan.objects import AudioInfo, CompanyInfo, ScheduleInfo, TenantObjects, UserInfo

MONDAY_10_AMSTERDAM = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
MONDAY_22_AMSTERDAM = datetime(2026, 11, 23, 21, 0, tzinfo=timezone.utc)
OFFICE = ScheduleInfo(id=3, periods=[{"from_day": "mon", "from_time": "08:00", "to_day": "mon", "to_time": "18:00"}])


def objects(company: dict | None = None, user: dict | None = None, **overrides) -> TenantObjects:
    values = dict(
        tenant_id=7, domain="acme.pbx.test", timezone="Europe/Amsterdam", company_number="+31201234500",
        company=CompanyInfo(country="NL", call_blocking=company or {}),
        users={1: UserInfo(id=1, extension="201", name="Anna", call_blocking=user or {})},
        schedules={3: OFFICE}, audio={12: AudioInfo(id=12, name="Go away")},
    )
    values.update(overrides)
    return TenantObjects(**values)


def hunt(document: str, destination: str, caller: str, *, outside: bool = True, hidden: bool = False) -> tuple[str, list]:
    """(the extension FreeSWITCH runs, its actions) for a call to `destination` from `caller`."""
    fields = {"destination_number": destination, "caller_id_number": caller or "0000000000",
              "${cp_from_outside}": "true" if outside else "", "privacy_hide_number": "true" if hidden else "false"}
    for extension in ET.fromstring(document).iter("extension"):
        conditions = extension.findall("condition")
        if all(re.search(c.get("expression"), fields.get(c.get("field"), "")) for c in conditions):
            return extension.get("name"), [(a.get("application"), a.get("data")) for a in conditions[-1].iter("action")]
    return "", []


def test_a_number_matches_in_every_form_a_carrier_writes_it():
    assert forms("+31612345678", "NL") == ["+31612345678", "0031612345678", "31612345678", "0612345678"]
    assert forms("0612345678", "NL") == forms("+31612345678", "NL")  # national digits read in the country
    assert forms("+32471234567", "NL") == ["+32471234567", "0032471234567", "32471234567"]  # no national form abroad
    pattern = caller_pattern([("+31612345678", True), ("+3190", False)], "NL")
    for caller in ("+31612345678", "0612345678", "0031612345678", "0900123456", "+31909000000"):
        assert re.search(pattern, caller), caller
    for caller in ("+316123456789", "0612345679", "0201234567", "+32900123456"):
        assert not re.search(pattern, caller), caller


def test_company_blocks_a_number_and_a_prefix_on_its_public_numbers_only_from_outside():
    document, _ = compile_base(objects(company={"numbers": [
        {"match": "number", "number": "+31612345678"}, {"match": "prefix", "number": "+3190"}],
        "treatment": "reject", "reject_cause": "UNALLOCATED_NUMBER"}), MONDAY_10_AMSTERDAM)
    name, actions = hunt(document, "+31201234500", "0612345678")
    assert name == "blocked_company_numbers"
    assert actions == [("set", "cp_blocked=company"), ("hangup", "UNALLOCATED_NUMBER")]
    assert hunt(document, "+31201234500", "+31909123456")[0] == "blocked_company_numbers"
    assert hunt(document, "+31201234500", "+31612345679")[0] != "blocked_company_numbers"
    # a colleague's phone calling out to the same number is no call from outside
    assert not hunt(document, "+31201234500", "0612345678", outside=False)[0].startswith("blocked")
    # the company's rules guard its public numbers; a call from outside to an extension is the user's
    assert hunt(document, "201", "0612345678")[0] == "user_201"


def test_anonymous_callers_by_number_or_privacy_and_the_busy_answer():
    document, _ = compile_base(objects(company={"anonymous": True, "treatment": "busy"}), MONDAY_10_AMSTERDAM)
    for caller in ("anonymous", "Anonymous", "", "restricted"):
        name, actions = hunt(document, "+31201234500", caller)
        assert name == "blocked_company_anonymous", caller
        assert actions == [("set", "cp_blocked=company"), ("hangup", "USER_BUSY")]
    # Privacy: id with the real number in P-Asserted-Identity: FreeSWITCH hides the number
    assert hunt(document, "+31201234500", "+31612345678", hidden=True)[0] == "blocked_company_withheld"
    assert not hunt(document, "+31201234500", "+31612345678")[0].startswith("blocked")


def test_the_message_is_played_and_a_gone_audio_rejects():
    rules = {"all_callers": True, "treatment": "message", "message_audio_id": 12}
    document, _ = compile_base(objects(company=rules), MONDAY_10_AMSTERDAM)
    name, actions = hunt(document, "+31201234500", "+31612345678")
    assert name == "blocked_company_all"
    assert actions == [("set", "cp_blocked=company"), ("answer", ""), ("playback", "/var/lib/callplan/audio/7/16000/12.wav"),
                       ("hangup", "NORMAL_CLEARING")]
    document, _ = compile_base(objects(company=rules, audio={}), MONDAY_10_AMSTERDAM)
    assert hunt(document, "+31201234500", "+31612345678")[1][-1] == ("hangup", "CALL_REJECTED")


def test_a_rule_with_a_schedule_blocks_only_while_it_is_open_and_the_context_holds_until_it_changes():
    rules = {"all_callers": True, "all_callers_schedule_id": 3}
    day, until = compile_base(objects(company=rules), MONDAY_10_AMSTERDAM)
    night, _ = compile_base(objects(company=rules), MONDAY_22_AMSTERDAM)
    assert hunt(day, "+31201234500", "+31612345678")[0] == "blocked_company_all"
    assert not hunt(night, "+31201234500", "+31612345678")[0].startswith("blocked")
    assert until == datetime(2026, 11, 23, 17, 0, tzinfo=timezone.utc)  # 18:00 in Amsterdam
    # a number rule too, and one whose schedule is gone never blocks
    numbers = {"numbers": [{"number": "+31612345678", "schedule_id": 3}, {"number": "+31687654321", "schedule_id": 99}]}
    day, _ = compile_base(objects(company=numbers), MONDAY_10_AMSTERDAM)
    assert hunt(day, "+31201234500", "+31612345678")[0] == "blocked_company_numbers"
    assert not hunt(day, "+31201234500", "+31687654321")[0].startswith("blocked")


def test_the_phonebooks_blocked_contacts_are_the_companys():
    document, _ = compile_base(objects(blocked_numbers=["0612345678", "+3225805000"]), MONDAY_10_AMSTERDAM)
    assert hunt(document, "+31201234500", "+31612345678")[0] == "blocked_company_numbers"
    assert hunt(document, "+31201234500", "003225805000")[0] == "blocked_company_numbers"
    assert not hunt(document, "+31201234500", "+31612345670")[0].startswith("blocked")


@pytest.mark.parametrize("cause", ["CALL_REJECTED", "SUBSCRIBER_ABSENT", "NUMBER_CHANGED"])
def test_a_user_blocks_callers_from_outside_on_the_extension_and_colleagues_still_get_through(cause):
    document, _ = compile_base(objects(user={"numbers": [{"match": "prefix", "number": "06"}], "anonymous": True,
                                             "treatment": "reject", "reject_cause": cause}), MONDAY_10_AMSTERDAM)
    name, actions = hunt(document, "201", "+31612345678")
    assert name == "blocked_user_201_numbers"
    assert actions == [("set", "cp_blocked=user"), ("hangup", cause)]
    assert hunt(document, "201", "anonymous")[0] == "blocked_user_201_anonymous"
    assert hunt(document, "201", "0201234567")[0] == "user_201"  # not blocked
    assert hunt(document, "201", "202", outside=False)[0] == "user_201"  # a colleague
    assert hunt(document, "201", "0612345678", outside=False)[0] == "user_201"  # not from outside
    # the user's rules are the user's: the company's numbers take the caller
    assert not hunt(document, "+31201234500", "+31612345678")[0].startswith("blocked")


def test_nothing_set_adds_nothing():
    document, _ = compile_base(objects(), MONDAY_10_AMSTERDAM)
    assert "blocked_company" not in document and "blocked_user" not in document
