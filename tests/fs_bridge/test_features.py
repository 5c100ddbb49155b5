"""Feature codes that switch state (callplan::feature events): do not disturb, night mode, the plans'
first diversions; each on the next call, audited as the phone that did it, never across tenants."""

from __future__ import annotations

from sqlmodel import Session, select

from fs_bridge.events import parse_plain
from tests.fs_bridge.conftest import fixture_text, rewrite
from web.models.audit import AuditEntry
from web.models.call_plan import CallPlanRecord
from web.models.company import CompanySettings
from web.models.pbx_user import PbxUser
from web.models.tenant import Tenant


def feature_event(function: str, user_id, domain: str):
    # A real CHANNEL_EXECUTE text turned into the CUSTOM event the base dialplan's `event` app fires.
    text = rewrite(fixture_text("CHANNEL_EXECUTE_COMPLETE"), **{
        "Event-Name": "CUSTOM", "Event-Subclass": "callplan::feature", "cp_feature": function,
        "cp_user": str(user_id), "Caller-Context": domain, "variable_domain_name": domain})
    return parse_plain(text)


def _generation(engine, tenant_id) -> int:
    with Session(engine) as db:
        return db.get(Tenant, tenant_id).config_generation


def test_dnd_toggles_for_the_calling_user_and_is_audited_as_the_phone(app, bridge, admin):
    user = admin.user(extension="201")
    engine = app.state.engine
    before = _generation(engine, admin.tenant.id)
    bridge.receive(feature_event("dnd_toggle", user["id"], admin.tenant.sip_domain))
    bridge.drain()
    with Session(engine) as db:
        assert db.get(PbxUser, user["id"]).dnd is True
        entry = db.exec(select(AuditEntry).where(AuditEntry.object_type == "pbx_user")
                        .order_by(AuditEntry.id.desc())).first()
        assert entry.actor_email == f"phone 201@{admin.tenant.sip_domain}"
    assert _generation(engine, admin.tenant.id) > before  # the next call's dialplan sees it
    bridge.receive(feature_event("dnd_toggle", user["id"], admin.tenant.sip_domain))
    bridge.drain()
    with Session(engine) as db:
        assert db.get(PbxUser, user["id"]).dnd is False


def test_a_user_of_another_tenant_cannot_be_toggled(app, bridge, admin, other_admin):
    theirs = other_admin.user(extension="301")
    bridge.receive(feature_event("dnd_toggle", theirs["id"], admin.tenant.sip_domain))
    bridge.drain()
    with Session(app.state.engine) as db:
        assert db.get(PbxUser, theirs["id"]).dnd is False


def test_night_mode_toggles_on_and_back(app, bridge, admin):
    user = admin.user(extension="202")
    for expected in ("on", "off", "on"):
        bridge.receive(feature_event("night_mode_toggle", user["id"], admin.tenant.sip_domain))
        bridge.drain()
        with Session(app.state.engine) as db:
            row = db.exec(select(CompanySettings).where(CompanySettings.tenant_id == admin.tenant.id)).one()
            assert row.night_mode == expected


def test_diversion_toggle_switches_the_first_diversion_of_published_plans(app, bridge, admin):
    user = admin.user(extension="203")
    plan = admin.create("/api/plans", name="Main", numbers=["200"], steps=[{"id": "s1", "type": "hang_up"}],
                        diversions=[{"id": "d1", "name": "Duty", "category": "A",
                                     "steps": [{"id": "s9", "type": "hang_up"}]},
                                    {"id": "d2", "name": "Other", "category": "B",
                                     "steps": [{"id": "s8", "type": "hang_up"}]}])
    plan_id = plan.get("id") or plan["plan"]["id"]
    assert admin.client.post(f"/api/plans/{plan_id}/publish", json={"note": "v1"}).status_code == 200
    for expected in (["d1"], []):
        bridge.receive(feature_event("diversion_toggle", user["id"], admin.tenant.sip_domain))
        bridge.drain()
        with Session(app.state.engine) as db:
            assert db.get(CallPlanRecord, plan_id).active_diversions == expected
