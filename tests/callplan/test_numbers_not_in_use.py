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

VARIABLES = {"${cp_outbound_cid}": "+3225805000"}


def run(document: str, number: str) -> tuple[str, list[tuple[str, str]]]:
    """What FreeSWITCH's XML dialplan does with a dialled number: the first extension whose first
    condition matches, with the actions of its conditions while they hold and the anti-actions of the
    first that fails (break on-false, the default)."""
    for extension in ET.fromstring(document).iter("extension"):
        conditions = extension.findall("condition")
        if not re.search(conditions[0].get("expression"), number):
            continue
        done = []
        for condition in conditions:
            value = number if condition.get("field", "destination_number") == "destination_number" \
                else VARIABLES[condition.get("field")]
            if re.search(condition.get("expression"), value):
                done += [(a.get("application"), a.get("data")) for a in condition.findall("action")]
            else:
                done += [(a.get("application"), a.get("data")) for a in condition.findall("anti-action")]
                break
        return extension.get("name"), done
    return "", []


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
