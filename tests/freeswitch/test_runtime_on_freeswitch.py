"""Runtime state on a real FreeSWITCH (#20): calls change it, and it never costs a rebuild or a call.

- Answered ring-group calls (the CDR posts and the bridge's events storing who answered) leave the
  company's configuration generation alone, and the next call still rings in the new order: a circular
  group is ordered when FreeSWITCH fetches the dialplan, not when it is built.
- A carrier's call whose public fetch the app answered, but whose company context then cannot be fetched
  (the app errs, or takes longer than the mod_xml_curl timeout), ends in the company's fallback routing,
  or in 480 for a company without one: never in "Context ... not found", a 404 to the carrier.

The FreeSWITCH, the app and the demo company are those of test_config_on_freeswitch.py (its fixtures,
started again for this module); the app is served through a wrapper that can make the company's context
fetches fail."""

from __future__ import annotations

import re
import time

import pytest
from sqlmodel import select

from tests.freeswitch import harness
from tests.freeswitch.harness import wait_for
from tests.freeswitch.test_bridge_on_freeswitch import bridge  # noqa: F401  (fixture)
from tests.freeswitch.test_config_on_freeswitch import (  # noqa: F401  (fixtures)
    FALLBACK_NUMBER, AppServer, carrier_call, demo, far_end, fs, fs_env, needs_freeswitch, register,
    set_fallback, work,
)
from web.db import session_scope
from web.domain import fallback
from web.models.call_plan import CallPlanRecord, CallPlanVersion
from web.models.device import Device
from web.models.pbx_user import PbxUser
from web.models.phone_number import PhoneNumber
from web.models.ring_group import RingGroup
from web.models.ring_group_state import RingGroupState
from web.models.tenant import Tenant
from web.secretbox import open_sealed
from web.xml_curl import cache, dialplan, endpoint

LINE = "+31201237777"  # the test's own number: a plan of one step, the demo's circular group "Sales"


class Faults:
    """The app, except that its answers to dialplan fetches of one context can be made to fail."""

    def __init__(self, app):
        self.app = app
        self.failing: str | None = None  # the context whose fetches get HTTP 500

    async def __call__(self, scope, receive, send):
        if self.failing is None or scope["type"] != "http" or scope["path"] != endpoint.PATH:
            return await self.app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        fields = endpoint.form_fields(body, ("section", "Hunt-Context"))
        if fields.get("section") == "dialplan" and fields.get("Hunt-Context") == self.failing:
            await send({"type": "http.response.start", "status": 500, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"failing on purpose"})
            return

        async def replay():
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)


@pytest.fixture(scope="module")
def faults(demo):
    return Faults(demo.app)


@pytest.fixture(scope="module")
def server(faults):
    app_server = AppServer(faults, harness.free_ports())
    app_server.start()
    yield app_server
    app_server.stop()


def domain_of(demo) -> str:
    with session_scope(demo.engine) as db:
        return db.exec(select(Tenant)).first().sip_domain


def generation(demo) -> int:
    with session_scope(demo.engine) as db:
        return db.exec(select(Tenant)).first().config_generation


def sales_line(demo) -> int:
    """A public number whose published plan rings the demo's circular group "Sales" (Bram, Carla); the
    group's id."""
    with session_scope(demo.engine) as db:
        tenant = db.exec(select(Tenant)).first()
        group = db.exec(select(RingGroup).where(RingGroup.tenant_id == tenant.id, RingGroup.name == "Sales")).one()
        assert group.strategy == "circular" and len(group.members) == 2
        db.add(PhoneNumber(tenant_id=tenant.id, number=LINE, label="Sales line"))
        plan = CallPlanRecord(tenant_id=tenant.id, name="Sales line", draft={}, published_version=1)
        db.add(plan)
        db.flush()
        db.add(CallPlanVersion(tenant_id=tenant.id, plan_id=plan.id, version=1, document={
            "name": "Sales line", "numbers": [LINE], "diversions": [],
            "steps": [{"id": "s1", "type": "ring_group", "group": group.id}]}))
        return group.id


def register_members(work, demo, fs, group_id: int, phone: harness.Phone) -> list[str]:
    """Every member's phone registered, all at the one SIPp phone that answers; the members' extensions."""
    with session_scope(demo.engine) as db:
        group = db.get(RingGroup, group_id)
        tenant = db.get(Tenant, group.tenant_id)
        extensions = []
        for member in group.members:
            device = db.exec(select(Device).where(Device.user_id == member["id"])).first()
            password = open_sealed(demo.settings.secret_key, device.sip_password_sealed)
            assert register(work, fs, device.sip_username, tenant.sip_domain, password, expires=300,
                            contact_port=phone.port) == [200], fs.log_tail(60)
            extensions.append(db.get(PbxUser, member["id"]).extension)
    return extensions


def state_of(demo, group_id: int):
    with session_scope(demo.engine) as db:
        row = db.exec(select(RingGroupState).where(RingGroupState.ring_group_id == group_id)).first()
        return None if row is None else (row.last_answered_index, dict(row.last_call_at))


@needs_freeswitch
def test_answered_ring_group_calls_reorder_without_a_new_generation(work, demo, server, fs, bridge):
    group_id = sales_line(demo)
    phone = harness.Phone(work, "uas_answer")
    try:
        members = register_members(work, demo, fs, group_id, phone)  # Bram, Carla
        start = generation(demo)
        builds = None
        rung_first = []
        for number in range(3):
            before = state_of(demo, group_id)
            caller = f"06120002{number:02d}"
            uac = carrier_call(work, fs, caller, LINE)
            call = fs.calls.wait_hangup(caller, 40)
            assert call is not None, f"{uac.output}\n{fs.log_tail(200)}"
            bridges = [data for application, data in call.applications if application == "bridge"]
            assert bridges, fs.call_log(call)
            rung_first.append(re.findall(r"user/(\d+)@", bridges[0])[0])
            assert 200 in uac.responses(), fs.call_log(call)
            # the CDR post (and the bridge's hangup event) store who answered, in their own time
            assert wait_for(lambda: state_of(demo, group_id) != before, 20), fs.call_log(call)
            if builds is None:
                builds = cache.of(demo.engine).dialplans.builds  # the first call's fetch built it
        assert rung_first == [members[0], members[1], members[0]]  # circular: after whoever took the last
        assert generation(demo) == start  # call traffic, not configuration
        assert cache.of(demo.engine).dialplans.builds == builds  # never rebuilt for it
    finally:
        phone.stop()


def responses_and_call(work, fs, caller: str):
    uac = carrier_call(work, fs, caller)
    call = fs.calls.wait_hangup(caller, 40)
    assert call is not None, f"{uac.output}\n{fs.log_tail(200)}"
    return uac.responses(), call


@needs_freeswitch
def test_a_failing_company_context_fetch_ends_in_its_fallback_routing(work, demo, server, faults, fs, far_end):
    set_fallback(demo, fs, fallback.FallbackSettings(destination={"type": "external", "number": FALLBACK_NUMBER}))
    faults.failing = domain_of(demo)
    try:
        responses, call = responses_and_call(work, fs, "0612000101")
    finally:
        faults.failing = None
    log = fs.call_log(call)
    assert "Received HTTP error 500" in fs.log_text(), log  # the app answered the company's fetch with an error
    assert not re.search(r"Context \S+ not found", log), log
    assert call.hangup.get("variable_cp_fallback") == "true", log
    bridges = [data for application, data in call.applications if application == "bridge"]
    assert bridges and bridges[0].endswith(f"sofia/gateway/default/{FALLBACK_NUMBER}"), log
    assert 200 in responses and 404 not in responses, log


@needs_freeswitch
def test_a_company_context_fetch_past_the_timeout_ends_in_its_fallback_routing(work, demo, server, fs, far_end,
                                                                              monkeypatch, caplog):
    set_fallback(demo, fs, fallback.FallbackSettings(destination={"type": "external", "number": FALLBACK_NUMBER}))
    timeout = int(fs_env(fs, "CALLPLAN_XML_CURL_TIMEOUT"))
    assert demo.settings.xml_curl_timeout_s == timeout
    build = dialplan.tenant_context

    def slow(*args, **kwargs):
        time.sleep(timeout + 0.5)  # the company's dialplan takes longer to build than FreeSWITCH waits
        return build(*args, **kwargs)

    monkeypatch.setattr(dialplan, "tenant_context", slow)
    cache.invalidate()
    responses, call = responses_and_call(work, fs, "0612000102")
    log = fs.call_log(call)
    assert "Timeout was reached" in fs.log_text(), log
    assert call.hangup.get("variable_cp_fallback") == "true", log
    assert 200 in responses and 404 not in responses, log
    # and the app says so
    assert wait_for(lambda: any("past FreeSWITCH's" in r.getMessage() and "Hunt-Context=" + domain_of(demo) in r.getMessage()
                                for r in caplog.records), 10), [r.getMessage() for r in caplog.records]


@needs_freeswitch
def test_without_fallback_routing_a_failing_company_context_fetch_is_480_not_404(work, demo, server, faults, fs):
    with session_scope(demo.engine) as db:
        fallback.write(fs_env(fs, "CALLPLAN_FALLBACK_DIALPLAN"), db, demo.settings.audio_dir, {})
    assert fs.api("reloadxml").startswith("+OK")
    faults.failing = domain_of(demo)
    try:
        responses, call = responses_and_call(work, fs, "0612000103")
    finally:
        faults.failing = None
    log = fs.call_log(call)
    assert not re.search(r"Context \S+ not found", log), log
    assert responses[-1] == 480 and 404 not in responses, log
    assert "its dialplan could not be fetched" in log, log
