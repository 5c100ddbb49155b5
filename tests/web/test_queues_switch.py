"""mod_callcenter kept in step with the database (#16 item 4), over a real event-socket conversation
with the test ESL server: a queue created or changed is loaded again (with its agents and tiers), a
removed tier deleted, a deleted queue unloaded, an agent loaded before its status is set; what
FreeSWITCH refused is said in the answer. The same on a real FreeSWITCH with a SIPp agent phone:
tests/freeswitch/test_queues_on_freeswitch.py."""

from __future__ import annotations

import re

import pytest

from tests.fs_bridge.esl_server import EslServer
from tests.web.pbx import admin  # noqa: F401  (fixture)

DOMAIN = "acme.pbx.test"


class FakeCallcenter(EslServer):
    """Answers callcenter_config as mod_callcenter does: queues it has loaded are listed, a load adds
    one; `refuse` maps a command's start to the -ERR reply it gets."""

    def __init__(self):
        super().__init__(password="s3cret")
        self.loaded: set[str] = set()
        self.refuse: dict[str, str] = {}

    def _answer(self, command: str) -> bytes:
        if not command.startswith("api "):
            return super()._answer(command)
        text = command[4:]
        reply = next((answer for start, answer in self.refuse.items() if text.startswith(start)), None)
        if reply is None:
            reply = "+OK\n"
            if text == "callcenter_config queue list":
                reply = "name|strategy|moh_sound\n" + "".join(f"{name}|ring-all|x\n" for name in sorted(self.loaded)) + "+OK\n"
            elif match := re.fullmatch(r"callcenter_config queue (?:re)?load (\S+)", text):
                self.loaded.add(match.group(1))
            elif match := re.fullmatch(r"callcenter_config queue unload (\S+)", text):
                self.loaded.discard(match.group(1))
        body = reply.encode()
        return b"Content-Type: api/response\nContent-Length: %d\n\n" % len(body) + body

    def api_commands(self) -> list[str]:
        # callcenter_config only: the directory flushes of a user's change come from a thread of their own
        found = [command[4:] for command in self.commands if command.startswith("api callcenter_config")]
        self.commands.clear()
        return found


@pytest.fixture
def switch():
    server = FakeCallcenter()
    yield server
    server.close()


@pytest.fixture
def settings(settings, switch):
    return type(settings)(**{**settings.__dict__, "esl_host": "127.0.0.1", "esl_port": switch.port,
                             "esl_password": "s3cret"})


def test_a_queue_is_loaded_when_made_reloaded_when_changed_and_unloaded_when_deleted(admin, switch):
    anna, bob = admin.user("201", "Anna"), admin.user("202", "Bob")
    switch.api_commands()
    queue = admin.create("/api/queues", name="Support", extension="400", tiers=[{"user_id": anna["id"]}])
    name = f"q{queue['id']}@{DOMAIN}"
    assert switch.api_commands() == ["callcenter_config queue list", f"callcenter_config queue load {name}"]
    assert queue["freeswitch"] == {"applied": True, "reachable": True, "refused": []}

    # a variant of it that a plan's queue step loaded is loaded again too; Anna's tier goes
    switch.loaded.add(f"q{queue['id']}w30@{DOMAIN}")
    changed = admin.client.patch(f"/api/queues/{queue['id']}", json={"tiers": [{"user_id": bob["id"], "level": 2}]})
    assert changed.status_code == 200 and changed.json()["freeswitch"]["applied"] is True
    assert switch.api_commands() == [
        "callcenter_config queue list",
        f"callcenter_config queue reload {name}", f"callcenter_config queue reload q{queue['id']}w30@{DOMAIN}",
        f"callcenter_config tier del {name} u{anna['id']}@{DOMAIN}",
        f"callcenter_config tier del q{queue['id']}w30@{DOMAIN} u{anna['id']}@{DOMAIN}"]
    assert admin.client.get(f"/api/queues/{queue['id']}").json().get("freeswitch") is None  # answers to changes only

    assert admin.client.delete(f"/api/queues/{queue['id']}").status_code == 204
    commands = switch.api_commands()
    assert f"callcenter_config tier del {name} u{bob['id']}@{DOMAIN}" in commands
    assert commands[-2:] == [f"callcenter_config queue unload {name}", f"callcenter_config queue unload q{queue['id']}w30@{DOMAIN}"]


def test_what_freeswitch_refused_is_said(admin, switch):
    anna = admin.user("201", "Anna")
    switch.refuse["callcenter_config queue load"] = "-ERR Invalid Queue not found!\n"
    queue = admin.create("/api/queues", name="Support", extension="400", tiers=[{"user_id": anna["id"]}])
    assert queue["freeswitch"] == {"applied": False, "reachable": True, "refused": [
        {"command": f"callcenter_config queue load q{queue['id']}@{DOMAIN}", "reply": "-ERR Invalid Queue not found!"}]}


def test_an_unreachable_switch_is_said_and_the_queue_still_saved(admin, switch):
    switch.close()
    queue = admin.create("/api/queues", name="Support", extension="400")
    assert queue["freeswitch"] == {"applied": False, "reachable": False, "refused": []}


def test_an_agent_is_loaded_before_its_status_and_a_refusal_is_no_202(admin, switch):
    anna = admin.user("201", "Anna")
    admin.create("/api/queues", name="Support", extension="400", tiers=[{"user_id": anna["id"]}])
    switch.api_commands()
    agent = f"u{anna['id']}@{DOMAIN}"
    ok = admin.client.put(f"/api/agents/{anna['id']}/status", json={"status": "on_break"})
    assert ok.status_code == 200 and ok.json()["applied"] is True
    assert switch.api_commands() == [f"callcenter_config agent reload {agent}",
                                     f"callcenter_config agent set status {agent} 'On Break'"]

    switch.refuse["callcenter_config agent set status"] = "-ERR Agent not found!\n"
    refused = admin.client.put(f"/api/agents/{anna['id']}/status", json={"status": "logged_out"})
    assert refused.status_code == 502 and refused.json()["code"] == "freeswitch_refused"
    assert refused.json()["refused"][0]["reply"] == "-ERR Agent not found!"
    # nothing was kept: the panel shows what FreeSWITCH holds
    (row,) = admin.client.get("/api/agents").json()
    assert row["status"] == "on_break"
