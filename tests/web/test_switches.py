"""Several FreeSWITCH behind the edge (#19): the web app tells every switch what every switch must hear,
merges what each holds in memory, and sends a command on one call to the switch holding it. Two test
event sockets speaking FreeSWITCH's protocol (tests/fs_bridge/esl_server.py) stand for two switches,
registered as their bridges register them (bridge_status rows with a fresh heartbeat); one of them
down, or silent, costs the request its short timeout and no more. With no bridge row (one machine) the
settings' own switch is asked exactly as before. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import socket
import time
from datetime import datetime, timedelta, timezone

import pytest
from starlette.testclient import TestClient

from tests.conftest import fast_settings
from tests.fs_bridge.esl_server import EslServer
from tests.web.helpers import make_account, make_tenant, make_token
from tests.web.test_conference_rooms import json_list
from tests.web.test_parking import valet_info
from web.domain import agents, callcenter, switches
from web.domain.switch import flush_directory
from web.models.bridge_status import BridgeStatus
from web.models.live import SipRegistration
from web.models.pbx_user import PbxUser

ESL_PASSWORD = "esl-secret"
DOMAIN = "acme.pbx.test"
JOB = "7f4de4bc-1d2c-4a7e-9a55-0b1f2e3d4c5b"


class Answers(dict):
    """api answers; any originate is taken."""

    def __bool__(self):  # EslServer takes an empty mapping for none given
        return True

    def get(self, key, default=None):
        if key.startswith("bgapi originate"):
            return f"+OK Job-UUID: {JOB}\n"
        return super().get(key, default)


@pytest.fixture
def fs1():
    server = EslServer(password=ESL_PASSWORD, api_answers=Answers())
    yield server
    server.close()


@pytest.fixture
def fs2():
    server = EslServer(password=ESL_PASSWORD, api_answers=Answers())
    yield server
    server.close()


@pytest.fixture
def silent():
    """A switch that takes the connection and never says a word (a hung FreeSWITCH): only the timeout
    ends the wait for it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()[1]
    listener.close()


@pytest.fixture
def settings(database_url, tmp_path, fs1):
    # the web app's own CALLPLAN_ESL_PORT is fs1's, as on the machine the app first ran with
    return fast_settings(database_url, audio_dir=str(tmp_path / "audio"), esl_port=fs1.port,
                         esl_password=ESL_PASSWORD, bridge_feed_port=0)


def register(db, name: str, port: int, heartbeat_ago: float = 1.0) -> None:
    """The row a bridge following that switch writes (fs_bridge: bridge_status.write_status)."""
    with db() as session:
        session.add(BridgeStatus(esl_address=f"127.0.0.1:{port}", switch_name=name, connected=True,
                                 heartbeat_at=datetime.now(timezone.utc) - timedelta(seconds=heartbeat_ago)))


def api_commands(server) -> list[str]:
    return [command[4:] for command in server.commands if command.startswith("api ")]


@pytest.fixture
def company(app, db, settings):
    tenant = make_tenant(db, sip_domain=DOMAIN, company_number="+31201234567")
    admin = make_account(db, settings, tenant.id, f"admin@{DOMAIN}")
    anna = make_account(db, settings, tenant.id, f"anna@{DOMAIN}", role="user")
    with db() as session:
        user = PbxUser(tenant_id=tenant.id, first_name="Anna", last_name="de Vries", extension="201",
                       account_id=anna.id)
        session.add(user)
        session.flush()
        user_id = user.id
    client = TestClient(app, headers={"authorization": f"Bearer {make_token(db, admin)}"})
    client.anna = TestClient(app, headers={"authorization": f"Bearer {make_token(db, anna)}"})
    client.tenant_id, client.user_id = tenant.id, user_id
    return client


# --- the registry -----------------------------------------------------------------------------------------


def test_no_bridge_row_is_the_settings_own_switch(app, settings, db, fs1, fs2):
    assert [s.address for s in switches.live(settings)] == [f"127.0.0.1:{fs1.port}"]
    assert flush_directory(["201@acme.pbx.test"], settings)
    assert api_commands(fs1) == ["xml_flush_cache id 201 acme.pbx.test"] and fs2.commands == []


def test_the_switches_are_the_bridges_not_dead(app, settings, db, fs1, fs2, silent):
    register(db, "fs1", fs1.port)
    register(db, "fs2", fs2.port, heartbeat_ago=45)  # stale (a quiet bridge), not dead: still a switch
    register(db, "gone", silent, heartbeat_ago=600)  # dead: its switch is not asked
    assert [(s.name, s.port) for s in switches.live(settings)] == [("fs1", fs1.port), ("fs2", fs2.port)]
    assert switches.home(settings).name == "fs1"  # no home switch named: the first
    named = type(settings)(**{**settings.__dict__, "home_switch": "fs2"})
    assert switches.home(named).name == "fs2"
    nowhere = type(settings)(**{**settings.__dict__, "home_switch": "fs9"})
    assert switches.home(nowhere).name == "fs1"  # a home switch without a live bridge: the first live one


# --- broadcast ---------------------------------------------------------------------------------------------


def test_cache_flushes_and_agent_status_go_to_every_switch(app, settings, db, fs1, fs2):
    register(db, "fs1", fs1.port)
    register(db, "fs2", fs2.port)
    assert flush_directory(["201@acme.pbx.test"], settings)
    fs1.api_answers["callcenter_config agent set status u5@acme.pbx.test 'Available'"] = "+OK\n"
    fs2.api_answers["callcenter_config agent set status u5@acme.pbx.test 'Available'"] = "+OK\n"
    assert agents.send(settings, ["callcenter_config agent set status u5@acme.pbx.test 'Available'"])
    for server in (fs1, fs2):
        assert api_commands(server) == ["xml_flush_cache id 201 acme.pbx.test",
                                        "callcenter_config agent set status u5@acme.pbx.test 'Available'"]


def test_one_switch_down_or_silent_costs_one_short_timeout(app, settings, db, fs1, fs2, silent):
    register(db, "fs1", fs1.port)
    register(db, "hung", silent)
    register(db, "fs2", fs2.port)
    started = time.monotonic()
    assert flush_directory(["201@acme.pbx.test"], settings, timeout=1.0) is False  # not every switch told
    took = time.monotonic() - started
    assert 0.9 < took < 1.8, took  # the hung switch's one timeout, not one per switch, and no more
    assert api_commands(fs1) == api_commands(fs2) == ["xml_flush_cache id 201 acme.pbx.test"]
    answers = switches.broadcast(settings, ["reloadxml"], timeout=0.5)
    assert switches.unreachable(answers) == ["hung"]
    fs2.close()  # and one that is gone altogether
    report, _ = callcenter.run(settings, ["callcenter_config agent reload u5@acme.pbx.test"], timeout=0.5)
    assert report.reachable and report.unreachable == ["hung", "fs2"]
    assert report.as_dict() == {"applied": False, "reachable": True, "refused": [
        {"command": "callcenter_config agent reload u5@acme.pbx.test", "reply": "-ERR no such command"}]}


def test_a_queue_change_is_told_to_each_switch_by_what_it_holds(app, settings, db, fs1, fs2):
    register(db, "fs1", fs1.port)
    register(db, "fs2", fs2.port)
    header = "name|strategy|moh_sound|time_base_score|tier_rules_apply|...\n"
    fs1.api_answers["callcenter_config queue list"] = header + "q7@acme.pbx.test|longest-idle-agent|...\n+OK\n"
    fs2.api_answers["callcenter_config queue list"] = header + "+OK\n"  # loaded nowhere yet on fs2
    for server in (fs1, fs2):
        server.api_answers["callcenter_config queue reload q7@acme.pbx.test"] = "+OK\n"
        server.api_answers["callcenter_config queue load q7@acme.pbx.test"] = "+OK\n"
    report = callcenter.sync_queue(settings, 7, DOMAIN)
    assert report.applied and report.unreachable == []
    assert api_commands(fs1)[-1] == "callcenter_config queue reload q7@acme.pbx.test"
    assert api_commands(fs2)[-1] == "callcenter_config queue load q7@acme.pbx.test"


def test_the_agent_panel_status_is_set_on_every_switch_and_one_down_does_not_fail_it(company, db, fs1, fs2, silent):
    register(db, "fs1", fs1.port)
    register(db, "fs2", fs2.port)
    queue = company.post("/api/queues", json={"name": "Sales", "extension": "600",
                                              "tiers": [{"user_id": company.user_id}]})
    assert queue.status_code == 201, queue.text
    for server in (fs1, fs2):
        server.api_answers[f"callcenter_config agent reload u{company.user_id}@{DOMAIN}"] = "+OK\n"
        server.api_answers[f"callcenter_config agent set status u{company.user_id}@{DOMAIN} 'Logged Out'"] = "+OK\n"
    register(db, "hung", silent)
    started = time.monotonic()
    answer = company.put(f"/api/agents/{company.user_id}/status", json={"status": "available"})
    assert answer.status_code == 200 and answer.json()["applied"], answer.text
    assert time.monotonic() - started < agents.ESL_TIMEOUT + 2
    for server in (fs1, fs2):  # no phone registered: FreeSWITCH holds the agent logged out
        assert f"callcenter_config agent set status u{company.user_id}@{DOMAIN} 'Logged Out'" in api_commands(server)


# --- merge, and acting on the switch that holds it ------------------------------------------------------


def test_a_rooms_callers_on_two_switches_are_one_list_and_each_is_acted_on_where_it_is(company, db, fs1, fs2):
    register(db, "fs1", fs1.port)
    register(db, "fs2", fs2.port)
    room = company.post("/api/conference-rooms", json={"name": "Board", "extension": "800"}).json()
    name = f"t{company.tenant_id}-{room['id']}"
    fs1.api_answers[f"conference {name} json_list"] = json_list(name, {"id": 7, "name": "Anna", "number": "201"})
    fs2.api_answers[f"conference {name} json_list"] = json_list(name, {"id": 3, "name": "Bram", "number": "202"})
    members = company.get(f"/api/conference-rooms/{room['id']}/members").json()
    assert [(m["id"], m["caller_id_name"]) for m in members] == [(3, "Bram"), (7, "Anna")]
    fs2.api_answers[f"conference {name} kick 3"] = "OK kicked 3\n"
    assert company.post(f"/api/conference-rooms/{room['id']}/members/3/kick").status_code == 204
    assert f"conference {name} kick 3" in api_commands(fs2)
    assert not any(" kick " in command for command in api_commands(fs1))
    # the same member id on both switches: nobody is touched rather than the wrong caller
    fs2.api_answers[f"conference {name} json_list"] = json_list(name, {"id": 7, "name": "Carl", "number": "203"})
    assert company.post(f"/api/conference-rooms/{room['id']}/members/7/mute").status_code == 404
    assert not any(" mute " in command for command in api_commands(fs1) + api_commands(fs2))
    # one switch away: the other's callers are still listed
    fs2.close()
    assert [m["caller_id_name"] for m in company.get(f"/api/conference-rooms/{room['id']}/members").json()] == ["Anna"]


def test_parked_calls_of_two_switches_are_one_lot_each_described_by_its_own(company, db, fs1, fs2):
    register(db, "fs1", fs1.port)
    register(db, "fs2", fs2.port)
    assert company.patch("/api/parking", json={"enabled": True}).status_code == 200
    lot = f"t{company.tenant_id}-park"
    one, two = "aaaa1111-0000-0000-0000-000000000001", "aaaa1111-0000-0000-0000-000000000002"
    fs1.api_answers[f"valet_info {lot}"] = valet_info(lot, ("702", two))
    fs2.api_answers[f"valet_info {lot}"] = valet_info(lot, ("701", one))
    fs1.api_answers[f"uuid_dump {two} json"] = json.dumps({"Caller-Caller-ID-Name": "On one"})
    fs2.api_answers[f"uuid_dump {one} json"] = json.dumps({"Caller-Caller-ID-Name": "On two"})
    calls = company.get("/api/parking/calls").json()
    assert [(c["slot"], c["caller_id_name"]) for c in calls] == [("701", "On two"), ("702", "On one")]
    assert f"uuid_dump {one} json" not in api_commands(fs1) and f"uuid_dump {two} json" not in api_commands(fs2)


def test_click_to_dial_starts_on_the_phones_own_switch_else_the_first(company, db, fs1, fs2):
    register(db, "fs1", fs1.port)
    register(db, "fs2", fs2.port)
    assert company.anna.post("/api/click-to-dial", json={"number": "0612345678"}).status_code == 202
    assert [c for c in api_commands(fs1) if "originate" in c] and fs2.commands == []
    with db() as session:
        session.add(SipRegistration(tenant_id=company.tenant_id, call_id="reg-1", sip_user="201", realm=DOMAIN,
                                    user_id=company.user_id, expires_at=datetime.now(timezone.utc) + timedelta(hours=1),
                                    switch="fs2"))
    answer = company.anna.post("/api/click-to-dial", json={"number": "0612345678"})
    assert answer.status_code == 202 and answer.json()["phone_registered"], answer.text
    assert len([c for c in api_commands(fs2) if "originate" in c]) == 1
    assert len([c for c in api_commands(fs1) if "originate" in c]) == 1


# --- each switch's own event-socket password ------------------------------------------------------------


def test_a_switch_named_in_switch_passwords_is_asked_with_its_own(app, settings, db, fs1):
    """CALLPLAN_SWITCH_PASSWORDS: fs2 takes a password of its own, fs1 the common CALLPLAN_ESL_PASSWORD.
    Without the entry fs2 refuses the app (named as not told); with it, both are told."""
    own = EslServer(password="fs2-own-secret", api_answers=Answers())
    try:
        register(db, "fs1", fs1.port)
        register(db, "fs2", own.port)
        assert switches.unreachable(switches.broadcast(settings, ["reloadxml"], timeout=1.0)) == ["fs2"]
        env = {"CALLPLAN_DATABASE_URL": settings.database_url, "CALLPLAN_SECRET_KEY": "x",
               "CALLPLAN_ESL_PASSWORD": ESL_PASSWORD, "CALLPLAN_SWITCH_PASSWORDS": " fs2=fs2-own-secret , fs9=a=b "}
        read = type(settings).from_env(env)
        assert read.switch_passwords == (("fs2", "fs2-own-secret"), ("fs9", "a=b"))  # split at the first "="
        assert "fs2-own-secret" not in repr(read)  # never in a log line of the settings
        passwords = type(settings)(**{**settings.__dict__, "switch_passwords": read.switch_passwords})
        assert switches.password(passwords, "fs1") == ESL_PASSWORD and switches.password(passwords, "fs2") == "fs2-own-secret"
        assert flush_directory(["201@acme.pbx.test"], passwords)
        assert api_commands(own) == ["xml_flush_cache id 201 acme.pbx.test"]
        assert api_commands(fs1) == ["reloadxml", "xml_flush_cache id 201 acme.pbx.test"]
    finally:
        own.close()


@pytest.mark.parametrize("value, says", [
    ("fs1", "entry 1 (fs1) is not name=password"),
    ("fs1=one,=two", "entry 2 (empty) is not name=password"),
    ("fs1=", "entry 1 (fs1) is not name=password"),
    ("fs1=one,fs1=two", "fs1 is named twice"),
    ("fs 1=one", "without spaces"),
    ("fs1=one two", "the password of fs1 holds a space or line break"),
    ("fs1=one\nauth x", "the password of fs1 holds a space or line break"),
])
def test_a_malformed_switch_passwords_stops_the_start_naming_the_variable(value, says):
    from web.settings import Settings

    with pytest.raises(ValueError) as raised:
        Settings.from_env({"CALLPLAN_SECRET_KEY": "x", "CALLPLAN_SWITCH_PASSWORDS": value})
    assert str(raised.value).startswith("CALLPLAN_SWITCH_PASSWORDS: ") and says in str(raised.value)
    assert Settings.from_env({"CALLPLAN_SECRET_KEY": "x", "CALLPLAN_SWITCH_PASSWORDS": " "}).switch_passwords == ()
