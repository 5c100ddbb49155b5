"""Paging and intercom in the base dialplan (#18 item 4): a page group's number calls every phone of the
group with its brand's auto-answer headers into a one-way conference; *80 + extension calls a colleague's
phones with the same headers, two way."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest

import callplan.nodes  # noqa: F401
from callplan import paging
from callplan.base_dialplan import compile_base
from callplan.destinations import emit
from callplan.engine import Compilation, Segment
from callplan.objects import PageGroupInfo
from tests.callplan.objects_fixture import DEVICES, DOMAIN, objects as fixture_objects

AT = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
PHONES = {
    **DEVICES,  # 11: Jan's desk phone (generic), 12: the lobby phone, nobody's
    13: {"id": 13, "sip_username": "acme-201-yealink", "user_id": 201, "brand": "yealink"},
    14: {"id": 14, "sip_username": "acme-202-polycom", "user_id": 202, "brand": "polycom"},
    15: {"id": 15, "sip_username": "acme-snom", "user_id": None, "brand": "snom"},
    16: {"id": 16, "sip_username": "acme-204-gs", "user_id": 204, "brand": "grandstream"},  # Sofie: DND
}
GROUPS = {
    1: {"id": 1, "name": "Warehouse", "extension": "600",
        "members": [{"type": "user", "id": 201}, {"type": "device", "id": 15}, {"type": "user", "id": 202},
                    {"type": "device", "id": 13},  # Jan's phone again: paged once
                    {"type": "user", "id": 204}, {"type": "device", "id": 16},  # do not disturb
                    {"type": "user", "id": 203},  # no phone of their own: the user's extension
                    {"type": "user", "id": 999}]},  # gone
    2: {"id": 2, "name": "Nobody", "extension": "601", "members": [{"type": "user", "id": 204}]},
}
CALL_INFO = f"sip_h_Call-Info=<sip:{DOMAIN}>;answer-after=0"
ALERT = "sip_h_Alert-Info=<http://www.notused.com>;info=alert-autoanswer;delay=0"


def objects(**overrides):
    data = {"devices": PHONES, "page_groups": GROUPS, "feature_codes": {"intercom": "*80"}}
    return fixture_objects(**{**data, **overrides})


def extension(document: str, name: str) -> ET.Element:
    return next(e for e in ET.fromstring(document).iter("extension") if e.get("name") == name)


def test_each_brand_gets_the_header_it_answers_by_itself_on():
    assert paging.auto_answer_headers("yealink", "x.test") == [("Call-Info", "<sip:x.test>;answer-after=0")]
    assert paging.auto_answer_headers("grandstream", "x.test") == [("Call-Info", "<sip:x.test>;answer-after=0")]
    assert paging.auto_answer_headers("cisco_spa", "x.test") == [("Call-Info", "<sip:x.test>;answer-after=0")]
    assert paging.auto_answer_headers("polycom", "x.test") == paging.auto_answer_headers("snom", "x.test")
    assert ("Alert-Info", "<http://www.notused.com>;info=alert-autoanswer;delay=0") in paging.auto_answer_headers("snom", "x.test")
    generic = dict(paging.auto_answer_headers("generic", "x.test"))
    assert generic["P-Auto-Answer"] == "normal" and "answer-after=0" in generic["Call-Info"]
    assert paging.auto_answer_headers("no-such-brand", "x.test") == paging.auto_answer_headers("generic", "x.test")
    # every brand the provisioning knows has its own entry
    from web.models.device import CATALOGUE

    assert set(CATALOGUE) == set(paging.AUTO_ANSWER)


def test_a_page_groups_number_calls_every_phone_muted_with_its_brands_header_into_a_page():
    tenant = objects()
    page = extension(compile_base(tenant, AT)[0], "page_600")
    conditions = page.findall("condition")
    first, extension_cid, phones, last = conditions[0], conditions[1], conditions[2:-1], conditions[-1]
    # a colleague pages as the extension, a caller from outside as its number
    assert (extension_cid.get("field"), extension_cid.get("break")) == ("${cp_extension}", "never")
    assert extension_cid.find("action").get("data") == "conference_auto_outcall_caller_id_number=${cp_extension}"
    assert (first.get("field"), first.get("expression")) == ("destination_number", "^(600)$")
    sets = [a.get("data") for a in first.findall("action") if a.get("application") == "set"]
    assert "conference_auto_outcall_caller_id_name=Warehouse" in sets
    assert "conference_auto_outcall_caller_id_number=${caller_id_number}" in sets
    assert "conference_auto_outcall_profile=callplan-page" in sets
    assert "conference_auto_outcall_delimiter=|" in sets
    # one condition per phone, in the members' order, each phone once; DND and gone members left out
    legs = {}
    for condition in phones:
        assert condition.get("field") == "${user_name}" and condition.get("break") == "never"
        assert condition.findall("action") == []
        (anti,) = condition.findall("anti-action")  # the caller's own phone is not paged
        assert anti.get("application") == "conference_set_auto_outcall"
        name = condition.get("expression")[2:-2].replace("\\", "")
        legs[name] = anti.get("data")
    assert list(legs) == ["acme-201-desk", "acme-201-yealink", "acme-snom", "acme-202-polycom", "203"]
    assert legs["acme-201-yealink"] == f"[{CALL_INFO},outcall_flags=mute]user/acme-201-yealink@{DOMAIN}"
    assert legs["acme-202-polycom"] == f"[{CALL_INFO},{ALERT},outcall_flags=mute]user/acme-202-polycom@{DOMAIN}"
    assert legs["acme-snom"] == f"[{CALL_INFO},{ALERT},outcall_flags=mute]user/acme-snom@{DOMAIN}"
    assert legs["203"].endswith(f",sip_h_P-Auto-Answer=normal,outcall_flags=mute]user/203@{DOMAIN}")
    assert not any("acme-204" in leg for leg in legs.values())
    # and the caller enters the call's own conference, which ends (hanging up every phone) when it leaves
    assert (last.get("field"), last.get("expression")) == ("destination_number", "^(600)$")
    assert [(a.get("application"), a.get("data")) for a in last.findall("action")] == [
        ("conference", f"t{tenant.tenant_id}-page1-${{uuid}}@callplan-page+flags{{endconf}}"),
        ("hangup", "NORMAL_CLEARING")]


def test_a_group_with_no_phone_to_page_hangs_up():
    page = extension(compile_base(objects(), AT)[0], "page_601")
    assert [(a.get("application"), a.get("data")) for a in page.iter("action")] == [("hangup", "NO_ROUTE_DESTINATION")]


def test_two_companies_pages_never_meet():
    first = extension(compile_base(objects(tenant_id=1), AT)[0], "page_600")
    second = extension(compile_base(objects(tenant_id=2, domain="other.pbx.test"), AT)[0], "page_600")
    assert first.findall("condition")[-1].find("action").get("data").startswith("t1-page1-")
    assert second.findall("condition")[-1].find("action").get("data").startswith("t2-page1-")
    assert "@other.pbx.test" in second.findall("condition")[2].find("anti-action").get("data")


def test_intercom_calls_a_colleagues_phones_with_their_headers_two_way():
    document, _ = compile_base(objects(), AT)
    jan = extension(document, "feature_intercom_201")
    assert jan.find("condition").get("expression") == r"^(\*80201)$"
    actions = [(a.get("application"), a.get("data")) for a in jan.iter("action")]
    assert actions[0] == ("set", "hangup_after_bridge=true")
    application, legs = actions[1]
    assert application == "bridge"
    assert legs.split("]user/")[0].startswith("[sip_h_Call-Info=")  # the generic desk phone
    assert f"[{CALL_INFO}]user/acme-201-yealink@{DOMAIN}" in legs.split(",", 3)[-1]
    assert "outcall_flags" not in legs  # both ways
    # a colleague on do not disturb is busy
    assert [(a.get("application"), a.get("data")) for a in extension(document, "feature_intercom_204").iter("action")] == [
        ("hangup", "USER_BUSY")]
    # the feature codes come first, before the extensions they would otherwise never reach
    names = [e.get("name") for e in ET.fromstring(document).iter("extension")]
    assert names.index("feature_intercom_202") < names.index("user_202")
    # switched off: no intercom extensions
    off, _ = compile_base(objects(feature_codes={}), AT)
    assert "feature_intercom_201" not in off


def test_a_page_group_is_a_destination_that_transfers_to_its_number():
    tenant = objects()
    segment = Segment("x", "^x$")
    assert emit({"type": "page_group", "id": 1}, segment, Compilation(plan_id=1, version=1, objects=tenant, at=AT)) is True
    assert segment.actions == [("transfer", f"600 XML {DOMAIN}")]


@pytest.mark.parametrize("bad", ["6,00", "${x}", "60"])
def test_only_extensions_reach_the_dialplan(bad):
    if bad == "60":
        assert PageGroupInfo(id=1, extension=bad).extension == "60"
        return
    with pytest.raises(ValueError):
        PageGroupInfo(id=1, extension=bad)
