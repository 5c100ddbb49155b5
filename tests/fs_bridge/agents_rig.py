"""A bridge (agents + registrations modules) connected to the test ESL server, a reader of its live
feed, and a company with one agent: shared by test_registrations.py and test_agents.py.

Events are FreeSWITCH's own texts from ../shared/fixtures (the domain and names swapped for the test
company's); where the fixtures hold none (sofia::unregister, sofia::expire, agent-state-change), the
text is made with exactly the headers the C source adds (cited where used)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import gevent
import gevent.socket
from sqlmodel import select

from fs_bridge import connection
from fs_bridge.events import fixture_events, parse_plain
from fs_bridge.live_feed import LiveFeed
from fs_bridge.service import Bridge
from tests.fs_bridge.esl_server import EslServer
from web.db import make_engine, session_scope
from web.models.device import Device
from web.models.live import QueueAgent, SipRegistration
from web.models.pbx_user import PbxUser
from web.models.queue import CallQueue
from web.models.tenant import Tenant
from web.secretbox import seal

FIXTURES = Path("/work/shared/fixtures/freeswitch-1.10.12")
EVENTS = FIXTURES / "esl_events.txt"
DOMAIN = "acme.pbx.test"
ESL_PASSWORD = "esl-secret"
HEAD = ("Event-Name: CUSTOM\nCore-UUID: 679c908e-ca38-4fb2-bfaa-04a3f9bb5ea5\nFreeSWITCH-Hostname: vm\n"
        "Event-Date-Timestamp: 1795301200000000\n")


class Answers(dict):
    """api answers of the test switch: callcenter_config commands succeed like FreeSWITCH's (+OK)."""

    def __bool__(self):  # EslServer takes `api_answers or {}`: an empty one must still be this one
        return True

    def get(self, key, default=None):
        if key in self:
            return self[key]
        if key.startswith(("callcenter_config agent set", "callcenter_config agent reload")):
            return "+OK\n"
        return default


def fixture(title: str, index: int = 0) -> str:
    return [text for name, text in fixture_events(EVENTS) if name == title][index]


def register_text(call_id: str = "1-13544@127.0.0.1", user: str = "1001", domain: str = DOMAIN) -> str:
    """The captured sofia::register (SIPp phone 1001 at 127.0.0.1:5070), in the test company's domain."""
    text = fixture("CUSTOM sofia::register")
    for header in ("from-host", "to-host", "realm", "sip_auth_realm", "domain_name"):
        text = text.replace(f"{header}: 127.0.0.1", f"{header}: {domain}")
    for header in ("from-user", "to-user", "username", "sip_auth_username", "user_name"):
        text = text.replace(f"{header}: 1001", f"{header}: {user}")
    return text.replace("call-id: 1-13544%40127.0.0.1", f"call-id: {call_id.replace('@', '%40')}")


def unregister_text(call_id: str = "1-13544@127.0.0.1", user: str = "1001", domain: str = DOMAIN) -> str:
    # sofia_reg.c sofia_reg_handle_register_token, a REGISTER with Expires: 0
    return (f"Event-Subclass: sofia%3A%3Aunregister\n{HEAD}profile-name: internal\nusername: {user}\n"
            f"from-user: {user}\nfrom-host: {domain}\ncontact: %22%22%20%3Csip%3A{user}%40127.0.0.1%3A5070%3E\n"
            f"call-id: {call_id.replace('@', '%40')}\nrpid: unknown\nrealm: {domain}\nnetwork-ip: 127.0.0.1\n"
            f"network-port: 5070\nuser-agent: SIPp-test\nexpires: 0\n")


def expire_text(call_id: str = "1-13544@127.0.0.1", user: str = "1001", domain: str = DOMAIN) -> str:
    # sofia_reg.c sofia_reg_del_callback: sofia's own expiry sweep
    return (f"Event-Subclass: sofia%3A%3Aexpire\n{HEAD}profile-name: internal\ncall-id: {call_id.replace('@', '%40')}\n"
            f"user: {user}\nusername: {user}\nhost: {domain}\ncontact: %22%22%20%3Csip%3A{user}%40127.0.0.1%3A5070%3E\n"
            f"expires: 1795301498\nuser-agent: SIPp-test\nrealm: {domain}\nnetwork-ip: 127.0.0.1\nnetwork-port: 5070\n")


def status_text(agent: str, status: str, index: int = 0, sequence: int = 575) -> str:
    """The captured agent-status-change (index 0: Available, 1: On Break) for `agent` and `status`."""
    text = fixture("CUSTOM callcenter::info [agent-status-change]", index)
    text = text.replace("CC-Agent: 1001%40default", f"CC-Agent: {agent.replace('@', '%40')}")
    text = text.replace("Event-Sequence: 575", f"Event-Sequence: {sequence}").replace("Event-Sequence: 578", f"Event-Sequence: {sequence}")
    for captured in ("Available", "On%20Break"):
        text = text.replace(f"CC-Agent-Status: {captured}", f"CC-Agent-Status: {status.replace(' ', '%20')}")
    return text


def state_text(agent: str, state: str) -> str:
    # mod_callcenter.c cc_agent_update, key "state"
    return (f"Event-Subclass: callcenter%3A%3Ainfo\n{HEAD}CC-Agent: {agent.replace('@', '%40')}\n"
            f"CC-Action: agent-state-change\nCC-Agent-State: {state.replace(' ', '%20')}\n")


def xmlstatus(*registrations: dict) -> str:
    """`sofia xmlstatus profile internal reg` as mod_sofia writes it (show_reg_callback_xml), with the
    values FreeSWITCH showed for the SIPp phone (esl_api_outputs.txt)."""
    parts = ['<?xml version="1.0" encoding="ISO-8859-1"?>', "<profile>", "  <registrations>"]
    for reg in registrations:
        parts.append(
            "    <registration>\n"
            f"        <call-id>{reg['call_id']}</call-id>\n"
            f"        <user>{reg['user']}@{reg.get('domain', DOMAIN)}</user>\n"
            f"        <contact>&quot;&quot; &lt;sip:{reg['user']}@127.0.0.1:5070;transport=UDP&gt;</contact>\n"
            f"        <agent>{reg.get('agent', 'SIPp-test')}</agent>\n"
            f"        <status>Registered(UDP)(unknown) exp(2026-11-21 22:51:38) expsecs({reg.get('expsecs', 360)})</status>\n"
            "        <ping-status>Reachable</ping-status>\n        <ping-time>0.00</ping-time>\n"
            "        <host>vm</host>\n        <network-ip>127.0.0.1</network-ip>\n"
            "        <network-port>5070</network-port>\n"
            f"        <sip-auth-user>{reg['user']}</sip-auth-user>\n"
            f"        <sip-auth-realm>{reg.get('domain', DOMAIN)}</sip-auth-realm>\n"
            f"        <mwi-account>{reg['user']}@{reg.get('domain', DOMAIN)}</mwi-account>\n"
            "    </registration>")
    parts += ["  </registrations>", "</profile>", ""]
    return "\n".join(parts)


AGENT_LIST_HEAD = ("name|instance_id|uuid|type|contact|status|state|max_no_answer|wrap_up_time|reject_delay_time|"
                   "busy_delay_time|no_answer_delay_time|last_bridge_start|last_bridge_end|last_offered_call|"
                   "last_status_change|no_answer_count|calls_answered|talk_time|ready_time|external_calls_count")


def agent_list(*agents: tuple[str, str, int]) -> str:
    """`callcenter_config agent list` (esl_api_outputs.txt's columns): (name, status, last change epoch)."""
    rows = [f"{name}|single_box||callback|user/201@{DOMAIN}|{status}|Waiting|3|10|10|10|10|0|0|0|{changed}|0|0|0|0|0"
            for name, status, changed in agents]
    return "\n".join([AGENT_LIST_HEAD, *rows, "+OK", ""])


class Rig:
    def __init__(self, settings, database_url):
        self.switch = EslServer(password=ESL_PASSWORD, api_answers=Answers())
        self.settings = settings
        self.engine = make_engine(database_url)
        self.feed = LiveFeed(port=0)
        self.feed.start()
        self.bridge = Bridge(settings, self.engine, feed=self.feed,
                             modules=["fs_bridge.agents", "fs_bridge.registrations"])
        self.bridge.esl = connection.connect("127.0.0.1", self.switch.port, ESL_PASSWORD)
        self.reader = gevent.socket.create_connection(("127.0.0.1", self.feed.port))
        self.reader.settimeout(5)
        self._buffer = b""
        gevent.sleep(0.05)
        with session_scope(self.engine) as db:
            tenant = Tenant(name="Acme", sip_domain=DOMAIN, company_number="+31201234567")
            db.add(tenant)
            db.flush()
            user = PbxUser(tenant_id=tenant.id, first_name="Anna", extension="201")
            loner = PbxUser(tenant_id=tenant.id, first_name="Bram", extension="202")
            db.add_all([user, loner])
            db.flush()
            db.add(Device(tenant_id=tenant.id, name="Anna's desk", sip_username="1001", user_id=user.id,
                          sip_password_sealed=seal(settings.secret_key, "Passw0rd!x"),
                          provisioning_password_sealed=seal(settings.secret_key, "prov")))
            queue = CallQueue(tenant_id=tenant.id, name="Support", tiers=[{"user_id": user.id, "level": 1, "position": 1}])
            db.add(queue)
            db.flush()
            self.tenant_id, self.user_id, self.loner_id = tenant.id, user.id, loner.id
        self.agent = f"u{self.user_id}@{DOMAIN}"

    def send(self, *texts: str) -> None:
        for text in texts:
            self.bridge.receive(parse_plain(text))
        self.bridge.drain()
        gevent.sleep(0.1)  # after-commit greenlets: ESL commands, feed lines

    def status_commands(self) -> list[str]:
        return [c[4:] for c in self.switch.commands if c.startswith("api callcenter_config agent set status")]

    def wait_commands(self, count: int, timeout: float = 5.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.status_commands()) < count:
            gevent.sleep(0.02)
        return self.status_commands()

    def feed_lines(self, timeout: float = 1.0) -> list[dict]:
        lines = []
        self.reader.settimeout(timeout)
        try:
            while True:
                while b"\n" not in self._buffer:
                    chunk = self.reader.recv(65536)
                    if not chunk:
                        return lines
                    self._buffer += chunk
                line, self._buffer = self._buffer.split(b"\n", 1)
                lines.append(json.loads(line))
                if b"\n" not in self._buffer:
                    self.reader.settimeout(0.2)
        except (OSError, gevent.socket.timeout):
            return lines

    def registrations(self) -> list[SipRegistration]:
        with session_scope(self.engine) as db:
            return db.exec(select(SipRegistration).order_by(SipRegistration.id)).all()

    def agent_row(self, user_id=None) -> QueueAgent | None:
        with session_scope(self.engine) as db:
            return db.exec(select(QueueAgent).where(QueueAgent.user_id == (user_id or self.user_id))).first()

    def device(self) -> Device:
        with session_scope(self.engine) as db:
            return db.exec(select(Device).where(Device.sip_username == "1001")).one()

    def set_agent(self, status: str, registered: bool, changed_at=None) -> None:
        from web import clock

        with session_scope(self.engine) as db:
            row = db.exec(select(QueueAgent).where(QueueAgent.user_id == self.user_id)).first() or \
                QueueAgent(tenant_id=self.tenant_id, user_id=self.user_id)
            row.status, row.phone_registered = status, registered
            row.status_changed_at = changed_at or clock.now()
            db.add(row)

    def close(self) -> None:
        self.reader.close()
        try:
            self.bridge.esl.sock.close()
        except Exception:
            pass
        self.feed.stop()
        self.switch.close()
        self.engine.dispose()


def switch_off(server: EslServer) -> None:
    """Stop the test switch so that connecting is refused, as with FreeSWITCH down. Closing the
    listener does not wake its thread out of accept() on Linux: one last connection does, and is served
    nothing."""
    import socket

    server.close()
    try:
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
    except OSError:
        pass
    time.sleep(0.1)
    server.drop_clients()
