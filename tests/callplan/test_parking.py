"""Call parking in the tenant's base dialplan (#18 item 3): the park code and the slot numbers run
mod_valet_parking's valet_park in the company's own lot, with the return time and the way back to
whoever parked the call; nothing of it while parking is off."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest

from callplan.base_dialplan import compile_base
from callplan.objects import ParkingInfo, parking_lot
from tests.callplan.objects_fixture import objects as fixture_objects

AT = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
ON = ParkingInfo(enabled=True, first_slot="701", last_slot="703", return_after_s=45)


def objects(parking=ON, **overrides):
    tenant = fixture_objects(**overrides)
    tenant.parking = parking
    tenant.feature_codes = {**tenant.feature_codes, "park": "*70"}
    return tenant


def actions(element: ET.Element) -> list[tuple[str, str]]:
    return [(a.get("application"), a.get("data")) for a in element.iter("action")]


def extension(document: str, name: str) -> ET.Element | None:
    return next((e for e in ET.fromstring(document).iter("extension") if e.get("name") == name), None)


def names(document: str) -> list[str]:
    return [e.get("name") for e in ET.fromstring(document).iter("extension")]


def expression(element: ET.Element) -> str:
    return element.find("condition").get("expression")


def test_the_slots_park_or_take_a_call_in_the_companys_own_lot():
    tenant = objects()
    document, _ = compile_base(tenant, AT)
    slot = extension(document, "park_slot")
    assert expression(slot) == "^(701|702|703)$"
    lot = parking_lot(tenant.tenant_id)
    assert lot == f"t{tenant.tenant_id}-park"
    steps = actions(slot)
    assert steps[0] == ("answer", "")
    assert ("set", "valet_parking_timeout=45") in steps
    assert ("set", "valet_parking_orbit_exten=park_return_${cp_parked_by}") in steps
    assert ("set", "valet_parking_orbit_dialplan=XML") in steps
    assert ("set", f"valet_parking_orbit_context={tenant.domain}") in steps
    assert steps[-1] == ("valet_park", f"{lot} $1")


def test_the_parker_is_the_referrer_of_a_blind_transfer_else_the_dialling_phone():
    tenant = objects()
    sets = [data for app, data in actions(extension(compile_base(tenant, AT)[0], "park_slot")) if app == "set"]
    referrer = next(data for data in sets if data.startswith("cp_park_referrer="))
    parked_by = next(data for data in sets if data.startswith("cp_parked_by="))
    assert sets.index(referrer) < sets.index(parked_by)
    # sofia puts a REFER's Referred-By (the device's SIP username) on the transferred leg; the directory names
    # that device's user's extension; a phone's own calls carry cp_extension
    assert "${sip_h_Referred-By}" in referrer
    assert f"${{user_data(${{cp_park_referrer}}@{tenant.domain} var cp_extension)}}" in parked_by
    assert "${cp_extension}" in parked_by
    for data in (referrer, parked_by):
        assert data.endswith("~n)}") and "$1" not in data  # %n: the dialplan's own $1 substitution leaves it alone


def test_the_agent_panels_parker_comes_first_and_is_forgotten_once_read():
    """The agent panel's transfer to the park code sets cp_park_return_to (web.domain.agent_calls): read
    before the Referred-By and the dialling phone, then unset, so a later park of the same call is not sent
    to the earlier parker."""
    tenant = objects()
    for name in ("park_slot", "feature_park"):
        steps = actions(extension(compile_base(tenant, AT)[0], name))
        parked_by = next(data for app, data in steps if app == "set" and data.startswith("cp_parked_by="))
        assert parked_by.startswith("cp_parked_by=${regex(m:~P:${cp_park_return_to};R:${user_data(")
        assert "~^P:([0-9]+);|^P:[^;]*;R:([0-9]+);|^P:[^;]*;R:[^;]*;E:([0-9]+)$~%1%2%3~n)}" in parked_by
        assert steps.index(("unset", "cp_park_return_to")) == steps.index(("set", parked_by)) + 1


def test_the_park_code_takes_the_first_free_slot_and_says_it():
    tenant = objects()
    document, _ = compile_base(tenant, AT)
    code = extension(document, "feature_park")
    assert expression(code) == r"^(\*70)$"
    assert actions(code)[-1] == ("valet_park", f"{parking_lot(tenant.tenant_id)} auto in 701 703")


def test_a_call_nobody_took_goes_back_through_the_parkers_extension():
    tenant = objects()
    document, _ = compile_base(tenant, AT)
    back = extension(document, "park_return")
    assert expression(back) == "^park_return_([0-9]{2,4})$"
    assert actions(back) == [("set", "cp_park_returned=true"), ("transfer", f"$1 XML {tenant.domain}")]


def test_the_slots_come_before_calls_out_and_the_code_with_the_feature_codes():
    order = names(compile_base(objects(), AT)[0])
    assert order.index("park_slot") < order.index("outbound")
    assert order.index("feature_park") < order.index("emergency")


@pytest.mark.parametrize("parking", [ParkingInfo(enabled=False, first_slot="701", last_slot="709"),
                                     ParkingInfo(enabled=True, first_slot="709", last_slot="701")])
def test_no_parking_while_it_is_off_or_the_range_is_empty(parking):
    document, _ = compile_base(objects(parking=parking), AT)
    assert {"park_slot", "park_return", "feature_park"}.isdisjoint(names(document))


def test_two_companies_slots_of_the_same_number_are_two_lots():
    first, _ = compile_base(objects(tenant_id=1), AT)
    second, _ = compile_base(objects(tenant_id=2, domain="other.pbx.test"), AT)
    assert actions(extension(first, "park_slot"))[-1] == ("valet_park", "t1-park $1")
    assert actions(extension(second, "park_slot"))[-1] == ("valet_park", "t2-park $1")
    assert ("set", "valet_parking_orbit_context=other.pbx.test") in actions(extension(second, "park_slot"))


def test_the_slot_list_keeps_its_digits():
    assert ParkingInfo(first_slot="98", last_slot="99").slots() == ["98", "99"]
    assert ParkingInfo(first_slot="99", last_slot="100").slots() == []  # digits differ: no range


def test_a_plans_transfer_step_parks_the_call_in_the_lot_while_parking_is_on():
    """The plan builder's transfer step to the parking lot, as a number's "park" destination: the first free
    slot, the slot not said to the caller, ended when nobody takes it; nothing after runs. While parking is
    off the step does nothing and the next step runs."""
    from callplan.compiler import compile_to_xml
    from callplan.model import CallPlan
    from callplan.simulator import simulate_plan
    from callplan.validate import validate

    def plan(*after):
        return CallPlan.model_validate({"name": "Park", "numbers": ["+3225805000"], "steps": [
            {"id": "p1", "type": "transfer", "to": {"park": True}}, *after]})

    tenant = objects()
    parked = plan()
    assert validate(parked, tenant).errors == []
    compiled = actions(ET.fromstring(compile_to_xml(parked, 1, 1, tenant, AT)))
    lot = ("valet_park", f"{parking_lot(tenant.tenant_id)} auto in 701 703")
    assert lot in compiled and ("set", "valet_announce_slot=false") in compiled
    assert compiled[compiled.index(lot) + 1] == ("hangup", "NORMAL_CLEARING")
    assert simulate_plan(parked, tenant, AT).outcome == "parked"
    # a step after it can never run
    assert any(problem.step_id == "h1" for problem in validate(plan({"id": "h1", "type": "hang_up"}), tenant).errors)

    off = objects(ParkingInfo())
    going_on = plan({"id": "h1", "type": "hang_up"})
    assert validate(going_on, off).errors == []
    compiled = actions(ET.fromstring(compile_to_xml(going_on, 1, 1, off, AT)))
    assert not [a for a in compiled if a[0] == "valet_park"] and ("hangup", "NORMAL_CLEARING") in compiled
    assert simulate_plan(going_on, off, AT).outcome == "hung_up:NORMAL_CLEARING"
    # exactly one target, and only "true"
    for bad in ({"park": True, "extension": "201"}, {"park": False}):
        with pytest.raises(ValueError):
            CallPlan.model_validate({"name": "Park", "numbers": [], "steps": [{"id": "p1", "type": "transfer", "to": bad}]})
