"""Blocked addresses in the API: the tenant admin sees (and lifts) the tenant's, the operator all; a lift
is audited, FreeSWITCH is told (`reloadacl` on a real ESL connection) and acl.conf stops denying the
address. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import time
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from tests.conftest import fast_settings, free_port
from tests.fs_bridge.esl_server import EslServer
from tests.web.factories_live import make_block
from tests.web.helpers import login, make_account, make_tenant, switch_client
from web import clock
from web.app import create_app
from web.db import session_scope
from web.models.audit import AuditEntry
from web.models.live import BlockedAddress
from web.xml_curl import acl

XML_CURL_PASSWORD = "xml-curl-secret"
ESL_PASSWORD = "esl-secret"


@pytest.fixture
def switch():
    server = EslServer(password=ESL_PASSWORD, api_answers={"reloadacl": "+OK acl reloaded\n"})
    yield server
    server.close()


@pytest.fixture
def rig(database_url, tmp_path, switch):
    app = create_app(fast_settings(database_url, audio_dir=str(tmp_path / "audio"), xml_curl_password=XML_CURL_PASSWORD,
                                   esl_port=switch.port, esl_password=ESL_PASSWORD))
    db = lambda: session_scope(app.state.engine)  # noqa: E731
    a = make_tenant(db, name="A", sip_domain="a.pbx.test")
    b = make_tenant(db, name="B", sip_domain="b.pbx.test")
    settings = app.state.settings
    for email, tenant_id, role in (("admin@a.test", a.id, "admin"), ("admin@b.test", b.id, "admin"),
                                   ("user@a.test", a.id, "user"), ("operator@platform.test", None, "operator")):
        make_account(db, settings, tenant_id, email, role=role)
    blocks = {
        "a": make_block(db, settings, a.id, address="198.51.100.1"),
        "b": make_block(db, settings, b.id, address="198.51.100.2"),
        "nobody": make_block(db, settings, None, address="2001:db8::bad", last_user="100@unknown.example"),
        "a_expired": make_block(db, settings, a.id, address="198.51.100.3",
                                expires_at=clock.now() - timedelta(minutes=1)),
    }

    class Rig:
        pass

    rig = Rig()
    rig.app, rig.db, rig.a, rig.b, rig.blocks, rig.switch = app, db, a, b, blocks, switch

    def browser(email):
        client = TestClient(app)
        login(client, email)
        return client

    def denied():
        auth = base64.b64encode(f"freeswitch:{XML_CURL_PASSWORD}".encode()).decode()
        answered = switch_client(app).post("/freeswitch/xml", headers={
            "authorization": f"Basic {auth}", "content-type": "application/x-www-form-urlencoded"},
            content="hostname=vm&section=configuration&tag_name=configuration&key_name=name&key_value=acl.conf")
        listed = ET.fromstring(answered.text).find(
            f"section/configuration[@name='acl.conf']/network-lists/list[@name='{acl.LIST}']")
        return sorted(node.get("cidr") for node in listed.findall("node[@type='deny']"))

    rig.browser, rig.denied = browser, denied
    yield rig
    app.state.engine.dispose()


def test_the_admin_sees_the_tenants_blocks_and_the_operator_all(rig):
    mine = rig.browser("admin@a.test").get("/api/blocked-addresses").json()
    assert [(row["address"], row["active"]) for row in mine] == [("198.51.100.1", True), ("198.51.100.3", False)]
    theirs = rig.browser("admin@b.test").get("/api/blocked-addresses").json()
    assert [row["address"] for row in theirs] == ["198.51.100.2"]
    everything = rig.browser("operator@platform.test").get("/api/blocked-addresses").json()
    assert {row["address"]: row["tenant_name"] for row in everything} == {
        "198.51.100.1": "A", "198.51.100.2": "B", "2001:db8::bad": None, "198.51.100.3": "A"}
    assert [row["active"] for row in everything] == [True, True, True, False]  # active first
    assert rig.browser("user@a.test").get("/api/blocked-addresses").status_code == 403
    assert TestClient(rig.app).get("/api/blocked-addresses").status_code == 401
    # what FreeSWITCH is told: every active block of every tenant, nothing expired
    assert rig.denied() == ["198.51.100.1/32", "198.51.100.2/32", "2001:db8::bad/128"]


def test_lifting_a_block_is_audited_and_freeswitch_reloads_its_acl(rig):
    admin = rig.browser("admin@a.test")
    assert admin.delete(f"/api/blocked-addresses/{rig.blocks['b']}").status_code == 404  # another tenant's
    assert admin.delete(f"/api/blocked-addresses/{rig.blocks['a']}").status_code == 204
    assert rig.switch.wait_for(lambda: "api reloadacl" in rig.switch.commands, timeout=5)
    assert rig.denied() == ["198.51.100.2/32", "2001:db8::bad/128"]
    with rig.db() as session:
        row = session.get(BlockedAddress, rig.blocks["a"])
        assert row.lifted_at is not None and row.address == "198.51.100.1"  # kept, as history
        [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "blocked_address.lift")).all()
        assert (entry.tenant_id, entry.actor_email, entry.summary["address"]) == (rig.a.id, "admin@a.test", "198.51.100.1")
    listed = admin.get("/api/blocked-addresses").json()
    assert [row["active"] for row in listed] == [False, False]
    # the operator lifts a block of no tenant
    operator = rig.browser("operator@platform.test")
    assert operator.delete(f"/api/blocked-addresses/{rig.blocks['nobody']}").status_code == 204
    assert rig.denied() == ["198.51.100.2/32"]
    assert operator.delete("/api/blocked-addresses/999999").status_code == 404


def test_a_company_lifts_its_own_block_of_an_address_not_the_others(rig):
    """One address guessed at both A's and B's domains is blocked by both: B lifting its block opens
    nothing while A's holds (B's list says so, not by whom); the operator's lift opens it for all."""
    shared = "203.0.113.77"
    mine = make_block(rig.db, rig.app.state.settings, rig.b.id, address=shared)
    theirs = make_block(rig.db, rig.app.state.settings, rig.a.id, address=shared)
    nobodys = make_block(rig.db, rig.app.state.settings, None, address=shared)
    admin_b = rig.browser("admin@b.test")
    assert shared + "/32" in rig.denied()
    assert admin_b.delete(f"/api/blocked-addresses/{theirs}").status_code == 404  # A's is not B's to lift
    assert admin_b.delete(f"/api/blocked-addresses/{mine}").status_code == 204
    assert shared + "/32" in rig.denied()  # A (and the platform) still block it
    listed = {row["id"]: row for row in admin_b.get("/api/blocked-addresses").json()}
    assert listed[mine]["active"] is False and listed[mine]["still_blocked"] is True
    assert set(listed) == {rig.blocks["b"], mine} and listed[mine]["tenant_name"] is None  # not who
    admin_a = rig.browser("admin@a.test")
    seen = {row["id"]: row for row in admin_a.get("/api/blocked-addresses").json()}
    assert seen[theirs]["active"] is True and seen[theirs]["still_blocked"] is True  # the platform's row too
    operator = rig.browser("operator@platform.test")
    assert operator.delete(f"/api/blocked-addresses/{nobodys}").status_code == 204
    assert shared + "/32" not in rig.denied()
    with rig.db() as session:
        rows = session.exec(select(BlockedAddress).where(BlockedAddress.address == shared)).all()
        assert all(row.lifted_at is not None for row in rows) and len(rows) == 3
        lifts = session.exec(select(AuditEntry).where(AuditEntry.action == "blocked_address.lift")).all()
        assert sorted(entry.tenant_id or 0 for entry in lifts) == sorted([rig.b.id, rig.a.id, 0])


def test_a_lift_stands_when_freeswitch_is_away(rig, database_url, tmp_path):
    app = create_app(fast_settings(database_url, audio_dir=str(tmp_path / "audio2"), esl_port=free_port(),
                                   esl_password=ESL_PASSWORD))
    client = TestClient(app)
    login(client, "admin@b.test")
    started = time.monotonic()
    assert client.delete(f"/api/blocked-addresses/{rig.blocks['b']}").status_code == 204
    assert time.monotonic() - started < 2  # FreeSWITCH is told after the answer, not before
    with rig.db() as session:
        assert session.get(BlockedAddress, rig.blocks["b"]).lifted_at is not None
    app.state.engine.dispose()
