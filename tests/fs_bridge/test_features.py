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


def hot_desk_event(function: str, device_id, domain: str, extension: str = ""):
    """The event the hot-desk feature codes fire: the phone as its directory entry names it (cp_hot_desk),
    and for a login the extension the caller typed (its PIN was checked by the dialplan)."""
    headers = {"Event-Name": "CUSTOM", "Event-Subclass": "callplan::feature", "cp_feature": function,
               "cp_device": str(device_id), "Caller-Context": domain, "variable_domain_name": domain}
    if extension:
        headers["cp_hot_desk_user"] = extension
    return parse_plain(rewrite(fixture_text("CHANNEL_EXECUTE_COMPLETE"), **headers))


def _logins(engine, tenant_id) -> dict[int, int]:
    from web.models.hot_desk import HotDeskLogin

    with Session(engine) as db:
        return {row.device_id: row.user_id for row in db.exec(select(HotDeskLogin).where(HotDeskLogin.tenant_id == tenant_id))}


def test_hot_desk_login_and_logout_are_runtime_state_and_flush_the_entries_they_change(app, bridge, admin, monkeypatch):
    engine, domain = app.state.engine, admin.tenant.sip_domain
    owner = admin.user(extension="211")
    guest = admin.user(extension="212", hot_desking=True)
    other = admin.user(extension="213", hot_desking=True)
    desk = admin.create("/api/devices", name="Flex desk", user_id=owner["id"], hot_desking=True)
    second = admin.create("/api/devices", name="Second flex desk", hot_desking=True)
    plain = admin.create("/api/devices", name="Plain phone")
    commands = []
    monkeypatch.setattr(bridge, "spawn_safely", lambda action: action())
    monkeypatch.setattr(bridge, "api", lambda command, timeout=5.0: commands.append(command))
    before = _generation(engine, admin.tenant.id)

    bridge.receive(hot_desk_event("hot_desk_login", desk["id"], domain, "212"))
    bridge.drain()
    assert _logins(engine, admin.tenant.id) == {desk["id"]: guest["id"]}
    # a login is call traffic: no rebuild of the company's documents
    assert _generation(engine, admin.tenant.id) == before
    # FreeSWITCH forgets exactly the entries that changed: the phone, the guest, the phone's own user
    flushed = {command.split()[2] for command in commands if command.startswith("xml_flush_cache id ")}
    assert {desk["sip_username"], "212", "211"} <= flushed and all(domain in c for c in commands)
    with Session(engine) as db:
        entry = db.exec(select(AuditEntry).where(AuditEntry.object_type == "hot_desk_login")
                        .order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.actor_email == f"phone {desk['sip_username']}@{domain}"

    # the guest moves to the second phone: one phone per user; another user takes the first
    bridge.receive(hot_desk_event("hot_desk_login", second["id"], domain, "212"))
    bridge.receive(hot_desk_event("hot_desk_login", desk["id"], domain, "213"))
    bridge.drain()
    assert _logins(engine, admin.tenant.id) == {second["id"]: guest["id"], desk["id"]: other["id"]}

    # refused: a user not allowed to hot-desk, a phone that is no hot-desking phone
    bridge.receive(hot_desk_event("hot_desk_login", desk["id"], domain, "211"))
    bridge.receive(hot_desk_event("hot_desk_login", plain["id"], domain, "212"))
    bridge.drain()
    assert _logins(engine, admin.tenant.id) == {second["id"]: guest["id"], desk["id"]: other["id"]}

    bridge.receive(hot_desk_event("hot_desk_logout", desk["id"], domain))
    bridge.drain()
    assert _logins(engine, admin.tenant.id) == {second["id"]: guest["id"]}
    assert _generation(engine, admin.tenant.id) == before


def test_a_hot_desk_login_never_reaches_another_tenant(app, bridge, admin, other_admin):
    theirs = other_admin.user(extension="301", hot_desking=True)
    their_desk = other_admin.create("/api/devices", name="Their desk", hot_desking=True)
    admin.user(extension="301", hot_desking=True)
    # our domain naming their phone, and their user's extension in our company: neither crosses over
    bridge.receive(hot_desk_event("hot_desk_login", their_desk["id"], admin.tenant.sip_domain, "301"))
    bridge.drain()
    assert _logins(app.state.engine, admin.tenant.id) == {}
    assert _logins(app.state.engine, other_admin.tenant.id) == {}
    assert theirs["id"]
