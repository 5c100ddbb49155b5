"""Premium-rate ranges blocked each on its own (#16 item 3): 0900, 0906 and 0909 (and Belgium's other
090x ranges) are switches of their own in the company settings, with block_premium kept as the shortcut
that switches them all; the dialplan FreeSWITCH fetches blocks exactly the ranges switched on."""

from __future__ import annotations

import pytest

from callplan.objects import CompanyInfo
from callplan.outbound import blocked_category
from tests.web.pbx import admin  # noqa: F401  (fixtures)
from tests.web.test_xml_curl import _fresh_cache, extensions, fs, settings  # noqa: F401  (fixtures: the switch's side)

RANGES = ("block_premium_0900", "block_premium_0906", "block_premium_0909", "block_premium_090x")


def company(admin, **changes) -> dict:
    response = admin.client.patch("/api/company", json=changes)
    assert response.status_code == 200, response.text
    return response.json()


def blocked(fs, admin, number: str) -> bool:
    names = extensions(fs.dialplan(admin.tenant.sip_domain, number))
    return names[0] == "blocked_premium"


def test_each_range_is_a_switch_and_block_premium_switches_them_all(fs, admin):
    admin.number("+31201234500")
    company(admin, company_number="+31201234500")
    settings = admin.client.get("/api/company").json()
    assert all(settings[name] is True for name in RANGES) and settings["block_premium"] is True
    assert [blocked(fs, admin, n) for n in ("0900123456", "0906123456", "0909123456")] == [True, True, True]

    changed = company(admin, block_premium_0900=False)
    assert changed["block_premium_0900"] is False and changed["block_premium"] is False  # not all of them now
    assert changed["block_premium_0906"] is True and changed["block_premium_0909"] is True
    assert [blocked(fs, admin, n) for n in ("0900123456", "0906123456", "+319061234567", "0909123456")] == [
        False, True, True, True]

    # the shortcut: all off, all on; a range sent beside it wins
    off = company(admin, block_premium=False)
    assert not any(off[name] for name in RANGES) and off["block_premium"] is False
    assert not any(blocked(fs, admin, n) for n in ("0900123456", "0906123456", "0909123456"))
    on = company(admin, block_premium=True, block_premium_0909=False)
    assert [on[name] for name in RANGES] == [True, True, False, True] and on["block_premium"] is False
    assert [blocked(fs, admin, n) for n in ("0900123456", "0906123456", "0909123456")] == [True, True, False]
    assert company(admin, block_premium_0909=True)["block_premium"] is True


def test_a_range_is_refused_when_it_is_no_boolean(admin):
    response = admin.client.patch("/api/company", json={"block_premium_0906": "sometimes"})
    assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/block_premium_0906"


@pytest.mark.parametrize("switches, number, expected", [
    ({"block_premium_0900": True, "block_premium_0906": False, "block_premium_0909": False, "block_premium_090x": False},
     "0900123456", "premium"),
    ({"block_premium_0900": True, "block_premium_0906": False, "block_premium_0909": False, "block_premium_090x": False},
     "0902123456", None),
    ({"block_premium_0900": False, "block_premium_0906": False, "block_premium_0909": False, "block_premium_090x": True},
     "+32902123456", "premium"),
    ({"block_premium_0900": False, "block_premium_0906": False, "block_premium_0909": False, "block_premium_090x": True},
     "0909123456", None),
    ({"block_premium": False}, "0906123456", None),  # the shortcut alone (a row from before the ranges)
    ({"block_premium": True}, "0032905123456", "premium"),
])
def test_belgian_ranges(switches, number, expected):
    assert blocked_category(number, CompanyInfo(country="BE", **switches)) == expected
