"""Several FreeSWITCH behind the edge (#19): what a bridge does itself that every switch must hear reaches
every switch of the registry (web.domain.switches: the bridges' heartbeat rows), not only its own: a
password guesser blocked through bridge A is `reloadacl`ed on both switches, and an agent's status taken
by switch A's mod_callcenter (a feature code, *22) is set on switch B's too, while B's own event for
that status is not told back. Two test event sockets speaking FreeSWITCH's protocol
(tests/fs_bridge/esl_server.py), each with its own password (CALLPLAN_SWITCH_PASSWORDS), stand for the
two switches; the events are FreeSWITCH's own texts (../shared/fixtures). On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import socket

import pytest

from fs_bridge import connection
from fs_bridge.events import parse_plain
from fs_bridge.live_feed import LiveFeed
from fs_bridge.service import Bridge
from tests.fs_bridge.agents_rig import DOMAIN, Answers, Rig, register_text, status_text
from tests.fs_bridge.esl_server import EslServer
from tests.fs_bridge.test_brute_force import failure

ONE_PASSWORD, TWO_PASSWORD = "esl-secret", "fs2-own-secret"  # the rig's switch takes the common one


def api_commands(server: EslServer) -> list[str]:
    return [command[4:] for command in server.commands if command.startswith("api ")]


def bridge_of(settings, engine, server: EslServer, name: str, modules: list[str]) -> Bridge:
    """A bridge following `server` as switch `name`, registered as bridges register (its heartbeat row)."""
    mine = dataclasses.replace(settings, esl_port=server.port, switch_name=name)
    feed = LiveFeed(port=0)
    feed.start()
    made = Bridge(mine, engine, feed=feed, modules=modules)
    made.esl = connection.connect("127.0.0.1", server.port, made.esl_password())
    made.write_status()
    return made


def close(bridge: Bridge) -> None:
    bridge.esl.sock.close()
    bridge.feed.stop()


@pytest.fixture
def passwords(settings):
    return dataclasses.replace(settings, esl_password=ONE_PASSWORD, switch_passwords=(("fs2", TWO_PASSWORD),))


@pytest.fixture
def fs2():
    server = EslServer(password=TWO_PASSWORD, api_answers=Answers())
    yield server
    server.close()


@pytest.fixture
def gone():
    """A registered switch whose event socket refuses connections (its bridge's row still fresh)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    return port


def test_a_guesser_blocked_through_one_bridge_is_reloaded_on_every_switch(app, passwords, fs2, gone):
    fs1 = EslServer(password=ONE_PASSWORD, api_answers={"reloadacl": "+OK acl reloaded\n"})
    fs2.api_answers["reloadacl"] = "+OK acl reloaded\n"
    settings = dataclasses.replace(passwords, brute_force_failures=5, brute_force_window_s=60, brute_force_block_s=600)
    engine = app.state.engine
    a = bridge_of(settings, engine, fs1, "fs1", ["fs_bridge.brute_force"])
    b = bridge_of(settings, engine, fs2, "fs2", ["fs_bridge.brute_force"])
    dead = Bridge(dataclasses.replace(settings, esl_port=gone, switch_name="fs3"), engine, feed=LiveFeed(port=0))
    dead.write_status()  # its switch went away a moment ago: told nothing, and the others still are
    try:
        for _ in range(4):
            a.receive(failure())
        a.settle()
        assert "reloadacl" not in api_commands(fs1) + api_commands(fs2)  # below the threshold: nothing
        a.receive(failure())
        a.settle()
        assert api_commands(fs1).count("reloadacl") == 1  # its own switch, over its own connection
        assert api_commands(fs2).count("reloadacl") == 1  # the other, with that switch's own password
        assert fs2.auths == 2  # bridge B's own connection, and bridge A's for the reload
    finally:
        close(a)
        close(b)
        fs1.close()


def test_without_its_own_password_a_switch_is_not_told(app, settings, fs2):
    """CALLPLAN_SWITCH_PASSWORDS matters: with the common password only, fs2 refuses bridge A's reload."""
    fs1 = EslServer(password=ONE_PASSWORD, api_answers={"reloadacl": "+OK acl reloaded\n"})
    common = dataclasses.replace(settings, esl_password=ONE_PASSWORD, brute_force_failures=1)
    a = bridge_of(common, app.state.engine, fs1, "fs1", ["fs_bridge.brute_force"])
    b = bridge_of(dataclasses.replace(common, switch_passwords=(("fs2", TWO_PASSWORD),)), app.state.engine, fs2,
                  "fs2", ["fs_bridge.brute_force"])
    try:
        answers = a.tell_every_switch(["reloadacl"])
        assert [(answer.switch.name, answer.reached) for answer in answers] == [("fs2", False)]
        assert api_commands(fs1) == ["reloadacl"] and "reloadacl" not in api_commands(fs2)
    finally:
        close(a)
        close(b)
        fs1.close()


@pytest.fixture
def rig(passwords, database_url):
    rig = Rig(passwords, database_url)  # switch fs1: its test event socket takes the common password
    rig.bridge.settings = dataclasses.replace(passwords, esl_port=rig.switch.port, switch_name="fs1")
    rig.bridge.write_status()
    yield rig
    rig.close()


def status_commands(server: EslServer) -> list[str]:
    return [c for c in api_commands(server) if c.startswith("callcenter_config agent ")]


def test_an_agents_feature_code_on_one_switch_sets_the_status_on_every_switch(rig, fs2):
    b = bridge_of(rig.bridge.settings, rig.engine, fs2, "fs2", ["fs_bridge.agents", "fs_bridge.registrations"])
    try:
        rig.send(register_text())  # the agent's phone, registered through fs1
        rig.bridge.settle()
        assert status_commands(fs2) == []  # not an agent yet: nothing to hold or give back
        # *22 dialled on fs1: its mod_callcenter took 'Available' and said so (callplan/base_dialplan.py)
        rig.send(status_text(rig.agent, "Available"))
        rig.bridge.settle()
        assert rig.agent_row().status == "Available"
        assert status_commands(fs2) == [f"callcenter_config agent reload {rig.agent}",
                                        f"callcenter_config agent set status {rig.agent} 'Available'"]
        assert rig.status_commands() == []  # fs1 holds it already: not told again
        # fs2's mod_callcenter says so in turn; its bridge finds the status held and tells nobody back
        b.receive(parse_plain(status_text(rig.agent, "Available", sequence=901)))
        b.settle()
        assert rig.status_commands() == [] and len(status_commands(fs2)) == 2
        # *23 on fs1 (a break, index 1 of the captured texts): fs2 follows again
        rig.send(status_text(rig.agent, "On Break", index=1, sequence=578))
        rig.bridge.settle()
        assert status_commands(fs2)[-1] == f"callcenter_config agent set status {rig.agent} 'On Break'"
    finally:
        close(b)


def test_an_available_agent_without_a_phone_is_held_on_every_switch_and_given_back(rig, fs2):
    b = bridge_of(rig.bridge.settings, rig.engine, fs2, "fs2", ["fs_bridge.agents"])
    try:
        rig.send(status_text(rig.agent, "Available"))  # chosen on fs1 with no phone registered anywhere
        rig.bridge.settle()
        assert rig.agent_row().status == "Available"  # the choice is kept ...
        hold = f"callcenter_config agent set status {rig.agent} 'Logged Out'"
        assert rig.status_commands() == [hold]  # ... and held out of calls on fs1
        assert status_commands(fs2)[-1] == hold  # and on fs2: never 'Available' without a phone
        rig.send(register_text())  # the phone registers through fs1: every switch offers it calls again
        rig.bridge.settle()
        available = f"callcenter_config agent set status {rig.agent} 'Available'"
        assert rig.status_commands()[-1] == available and status_commands(fs2)[-1] == available
    finally:
        close(b)
