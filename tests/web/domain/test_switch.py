"""Telling FreeSWITCH to forget cached directory entries: the commands over a real event-socket
conversation (the test ESL server), and which entries a transaction's changes touch (SQLite and
PostgreSQL)."""

from __future__ import annotations

from tests.fs_bridge.esl_server import EslServer
from tests.web.pbx import admin  # noqa: F401  (fixture)
from web.db import session_scope
from web.domain import switch
from web.domain.directory_changes import changed_sip_users
from web.models.device import Device


def test_flush_directory_over_the_event_socket(settings):
    server = EslServer(password="s3cret", api_answers={"xml_flush_cache id 201 acme.pbx.test": "+OK cleared 1 entry\n"})
    try:
        esl = dict(esl_host="127.0.0.1", esl_port=server.port)
        good = type(settings)(**{**settings.__dict__, **esl, "esl_password": "s3cret"})
        assert switch.flush_directory(["201@acme.pbx.test", "bad name@x", "x@y\napi shutdown"], good)
        assert server.wait_for(lambda: "api xml_flush_cache id 201 acme.pbx.test" in server.commands)
        assert not any("shutdown" in command or "bad" in command for command in server.commands)
        wrong = type(settings)(**{**settings.__dict__, **esl, "esl_password": "nope"})
        assert switch.flush_directory(["201@acme.pbx.test"], wrong) is False
    finally:
        server.close()
    unreachable = type(settings)(**{**settings.__dict__, "esl_port": server.port})
    assert switch.flush_directory(["201@acme.pbx.test"], unreachable, timeout=0.5) is False


def test_flushing_a_whole_company_is_one_command(settings):
    server = EslServer(password="s3cret")
    try:
        good = type(settings)(**{**settings.__dict__, "esl_port": server.port, "esl_password": "s3cret"})
        names = [f"{number}@acme.pbx.test" for number in range(1000, 1000 + switch.FLUSH_ALL_ABOVE + 1)]
        assert switch.flush_directory(names, good)
        assert server.wait_for(lambda: "api xml_flush_cache" in server.commands)
        assert [c for c in server.commands if c.startswith("api ")] == ["api xml_flush_cache"]
    finally:
        server.close()


def test_changed_sip_users_names_the_entries_a_change_touches(admin, app, db):
    anna = admin.user("201", "Anna")
    device = admin.create("/api/devices", name="Phone", user_id=anna["id"])
    domain = admin.tenant.sip_domain
    with session_scope(app.state.engine) as session:
        row = session.get(Device, device["id"])
        row.sip_username = "renamed"
        session.flush()
        assert changed_sip_users(session) == sorted([f"{device['sip_username']}@{domain}",
                                                                f"renamed@{domain}", f"201@{domain}"])
    with session_scope(app.state.engine) as session:
        from web.models.pbx_user import PbxUser

        session.get(PbxUser, anna["id"]).first_name = "Anne"
        session.flush()
        assert changed_sip_users(session) == sorted([f"201@{domain}", f"renamed@{domain}"])
