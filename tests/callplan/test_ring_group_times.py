"""A ring group's ring times in the bridge FreeSWITCH runs: each member's own (or the group's), and the
group's total ring time for every strategy, also for rotating groups whose order is put in at fetch."""

from __future__ import annotations

import pytest

import callplan.nodes  # noqa: F401
from callplan.nodes import ring_group
from callplan.objects import RingGroupInfo, TenantObjects

DOMAIN = "acme.pbx.test"


def objects(**group) -> tuple[RingGroupInfo, TenantObjects]:
    info = RingGroupInfo(id=1, name="Sales", extension="300", **group)
    users = {n: {"id": n, "extension": f"20{n}", "name": f"User {n}"} for n in range(1, 5)}
    return info, TenantObjects(tenant_id=1, domain=DOMAIN, company_number="+3225805000", users=users,
                               ring_groups={1: info})


def members(*seconds):
    """Users 1, 2, ... with these ring times (None: the group's)."""
    return [{"type": "user", "id": n, **({"ring_time_s": s} if s else {})} for n, s in enumerate(seconds, start=1)]


def legs(text: str) -> list[list[str]]:
    return [round_.split(",") for round_ in text.split("|")]


def test_fixed_order_stops_at_the_total_ring_time():
    group, tenant = objects(strategy="fixed_order", members=members(20, 20, 20, 20), total_timeout_s=50)
    # 0-20 s the first, 20-40 s the second, the third for the 10 s left, the fourth never
    assert legs(ring_group.dial_string(group, tenant)) == [
        [f"[leg_timeout=20]user/201@{DOMAIN}"], [f"[leg_timeout=20]user/202@{DOMAIN}"], [f"[leg_timeout=10]user/203@{DOMAIN}"]]


def test_a_total_above_the_sum_changes_nothing_and_each_member_keeps_its_own_time():
    group, tenant = objects(strategy="fixed_order", members=members(None, 10, 30), member_ring_time_s=15, total_timeout_s=300)
    assert ring_group.dial_string(group, tenant) == (
        f"[leg_timeout=15]user/201@{DOMAIN}|[leg_timeout=10]user/202@{DOMAIN}|[leg_timeout=30]user/203@{DOMAIN}")


def test_simultaneous_rings_everyone_for_at_most_the_total():
    group, tenant = objects(strategy="simultaneous", members=members(30, 10), total_timeout_s=20)
    assert ring_group.dial_string(group, tenant) == f"[leg_timeout=20]user/201@{DOMAIN},[leg_timeout=10]user/202@{DOMAIN}"


def test_memory_hunt_leaves_out_rounds_past_the_total():
    group, tenant = objects(strategy="memory_hunt", members=members(10, 10, 10, 10), total_timeout_s=25)
    # round 1 (0-10 s), round 2 (10-20 s), round 3 cut to the 5 s left; round 4 never
    assert legs(ring_group.dial_string(group, tenant)) == [
        [f"[leg_timeout=10]user/201@{DOMAIN}"],
        [f"[leg_timeout=10]user/201@{DOMAIN}", f"[leg_timeout=10]user/202@{DOMAIN}"],
        [f"[leg_timeout=5]user/201@{DOMAIN}", f"[leg_timeout=5]user/202@{DOMAIN}", f"[leg_timeout=5]user/203@{DOMAIN}"]]


@pytest.mark.parametrize("strategy", ["circular", "uniform"])
def test_rotating_groups_keep_to_the_total_in_the_order_of_the_moment(strategy):
    group, tenant = objects(strategy=strategy, members=members(20, 20, 20), total_timeout_s=30)
    turn = ring_group.rotation(group, tenant)
    # circular after member 0 answered last: 2, 3, 1; uniform with member 3 idle longest: 3, 1, 2
    last_answered, idle_since = (0, {}) if strategy == "circular" else (None, {"user:1": 200.0, "user:2": 300.0, "user:3": 100.0})
    first, second = ("202", "203") if strategy == "circular" else ("203", "201")
    assert legs(turn.dial_string(last_answered, idle_since)) == [
        [f"[leg_timeout=20]user/{first}@{DOMAIN}"], [f"[leg_timeout=10]user/{second}@{DOMAIN}"]]


def test_a_rotating_group_calling_out_shows_the_company_number_on_that_leg():
    group, tenant = objects(strategy="circular", members=[{"type": "external", "number": "+32471234567"}])
    assert ring_group.rotation(group, tenant).dial_string(None, {}) == (
        "[leg_timeout=20,origination_caller_id_number=+3225805000]sofia/gateway/default/+32471234567")


def test_the_groups_display_name_is_the_name_the_ringing_phones_show():
    """#16 item 1: members see the call is for the group (seed 001 6.7); the caller's number stays. What
    a dial string's variables cannot hold is shown as a look-alike."""
    from callplan.nodes.ring_group import _prefix

    group = RingGroupInfo(id=1, name="sales", display_name="Sales", members=[])
    assert _prefix(group) == "{origination_caller_id_name=Sales}"
    busy = group.model_copy(update={"display_name": "Sales, NL 'A' [1] ${x}", "busy_members": "busy_tone"})
    assert _prefix(busy) == "{fail_on_single_reject=USER_BUSY,origination_caller_id_name=Sales\u201a NL \u2019A\u2019 (1) (x)}"
    assert _prefix(group.model_copy(update={"display_name": ""})) == ""
