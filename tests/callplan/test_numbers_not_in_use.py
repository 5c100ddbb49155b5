"""A short number that is no extension of the company and no number in its country (a phone dialling
203) is not in use: the base dialplan hangs up with UNALLOCATED_NUMBER and never bridges it to the
carrier (#16 item 4). Valid outside numbers, the country's short numbers and emergency numbers go out."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

import callplan.nodes  # noqa: F401
from callplan.base_dialplan import compile_base
from callplan.objects import CompanyInfo
from callplan.outbound import dialable_pattern
from tests.callplan.test_base_dialplan import MONDAY_10_BRUSSELS, objects

VARIABLES = {"${cp_outbound_cid}": "+3225805000", "${cp_withhold}": "false"}


def run(document: str, number: str, variables: dict = VARIABLES) -> tuple[str, list[tuple[str, str]]]:
    """What FreeSWITCH's XML dialplan does with a dialled number: the extensions whose first condition
    matches, in order, each queueing the actions of its conditions while they hold; the first that fails
    queues its anti-actions and ends the hunt, or, having none, lets the hunt go on to the next extension
    (break on-false, the default). The extension that ended it, and everything queued."""
    queued = []
    for extension in ET.fromstring(document).iter("extension"):
        conditions = extension.findall("condition")
        if not re.search(conditions[0].get("expression"), number):
            continue
        for condition in conditions:
            value = number if condition.get("field", "destination_number") == "destination_number" \
                else variables[condition.get("field")]
            if re.search(condition.get("expression"), value):
                queued += [(a.get("application"), a.get("data")) for a in condition.findall("action")]
                continue
            anti = [(a.get("application"), a.get("data")) for a in condition.findall("anti-action")]
            if anti:
                return extension.get("name"), queued + anti
            break
        else:
            return extension.get("name"), queued
    return "", queued


def goes_out(done) -> bool:
    return any(app == "bridge" and "sofia/gateway/" in data for app, data in done)


@pytest.mark.parametrize("country, number", [
    ("NL", "203"), ("NL", "2999"), ("NL", "201234567"), ("NL", "+31203"),
    ("BE", "203"), ("BE", "0203"), ("NL", "4321*203"),
])
def test_a_short_number_nobody_has_is_not_in_use(country, number):
    company = CompanyInfo(country=country, release_pin="4321")
    document, _ = compile_base(objects(company=company), MONDAY_10_BRUSSELS)
    name, done = run(document, number)
    assert name in ("outbound", "outbound_released")
    assert done[-1] == ("hangup", "UNALLOCATED_NUMBER") and not goes_out(done)


@pytest.mark.parametrize("country, number", [
    ("NL", "0201234567"), ("NL", "+31201234567"), ("NL", "0031201234567"), ("NL", "0612345678"),
    ("NL", "14020"), ("NL", "08001234"), ("NL", "+3225805001"), ("NL", "4321*0201234567"),
    ("BE", "025805001"), ("BE", "0471234567"), ("BE", "+3225805001"), ("BE", "1207"),
])
def test_outside_numbers_still_go_out(country, number):
    company = CompanyInfo(country=country, release_pin="4321")
    document, _ = compile_base(objects(company=company), MONDAY_10_BRUSSELS)
    name, done = run(document, number)
    assert name in ("outbound", "outbound_released") and goes_out(done), done


@pytest.mark.parametrize("number, expected", [("203", "not in use"), ("0201234567", "out"), ("4321*203", "not in use"),
                                              ("4321*0612345678", "out")])
def test_a_withheld_caller_gets_the_same_numbers_out_anonymously(number, expected):
    from callplan.base_dialplan import WITHHELD_LEG

    company = CompanyInfo(country="NL", release_pin="4321")
    document, _ = compile_base(objects(company=company), MONDAY_10_BRUSSELS)
    name, done = run(document, number, {**VARIABLES, "${cp_withhold}": "true"})
    assert name.endswith("_withheld"), name
    if expected == "out":
        assert goes_out(done) and any(data.startswith(WITHHELD_LEG) for app, data in done if app == "bridge"), done
    else:
        assert done[-1] == ("hangup", "UNALLOCATED_NUMBER") and not goes_out(done)


def test_extensions_and_emergency_numbers_are_not_touched():
    document, _ = compile_base(objects(company=CompanyInfo(country="NL")), MONDAY_10_BRUSSELS)
    assert run(document, "201")[0] == "user_201"
    name, done = run(document, "112")
    assert name == "emergency" and goes_out(done)


def test_a_country_phonenumbers_does_not_know_keeps_every_number():
    assert dialable_pattern("XX") is None
    document, _ = compile_base(objects(company=CompanyInfo(country="XX")), MONDAY_10_BRUSSELS)
    assert goes_out(run(document, "203")[1])


def test_the_pattern_is_one_freeswitch_reads():
    """PCRE and Python's re agree on what is used here: groups, classes, counts, alternation, lookahead."""
    for country in ("NL", "BE", "DE", "FR", "GB", "LU", "US"):
        pattern = dialable_pattern(country)
        assert pattern.startswith("^(?:") and pattern.endswith(")$")
        assert "(?P" not in pattern and "(?<" not in pattern and "\\Z" not in pattern, pattern
