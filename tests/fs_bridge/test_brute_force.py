"""SIP brute force: FreeSWITCH's own sofia::register_failure text, repeated from one address, blocks it
once; FreeSWITCH is told (`reloadacl` on a real ESL connection), the acl.conf the app serves denies it,
and the block is lifted when its time is up. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import dataclasses
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import gevent
import gevent.socket
import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from fs_bridge import brute_force, connection
from fs_bridge.events import fixture_events, parse_plain
from fs_bridge.live_feed import LiveFeed
from fs_bridge.service import Bridge
from tests.fs_bridge.esl_server import EslServer
from tests.web.helpers import make_tenant
from web import clock
from web.app import create_app
from web.db import session_scope
from web.models.live import BlockedAddress
from web.settings import REPO_ROOT
from web.xml_curl import acl

FIXTURE = Path("/work/shared/fixtures/freeswitch-1.10.12/esl_events.txt")
ATTACKER = "198.51.100.7"
DOMAIN = "acme.pbx.test"
XML_CURL_PASSWORD = "xml-curl-secret"
ESL_PASSWORD = "esl-secret"


def failure_text() -> str:
    """The captured event (a SIPp phone with a wrong password, from 127.0.0.1 to realm 127.0.0.1)."""
    return next(text for title, text in fixture_events(FIXTURE) if title == "CUSTOM sofia::register_failure")


def failure(address: str = ATTACKER, realm: str = DOMAIN, user: str = "1001"):
    text = failure_text()
    assert "network-ip: 127.0.0.1" in text and "to-host: 127.0.0.1" in text
    text = text.replace("network-ip: 127.0.0.1", f"network-ip: {address}").replace("to-host: 127.0.0.1", f"to-host: {realm}")
    text = text.replace("to-user: 1001", f"to-user: {user}")
    return parse_plain(text)


@pytest.fixture
def switch():
    server = EslServer(password=ESL_PASSWORD, api_answers={"reloadacl": "+OK acl reloaded\n"})
    yield server
    server.close()


@pytest.fixture
def rig(database_url, tmp_path, switch):
    """The web app (serving acl.conf), a bridge connected to the ESL server, a web app's feed reader."""
    from tests.conftest import fast_settings

    settings = fast_settings(database_url, audio_dir=str(tmp_path / "audio"), xml_curl_password=XML_CURL_PASSWORD,
                             esl_port=switch.port, esl_password=ESL_PASSWORD, brute_force_failures=5,
                             brute_force_window_s=60, brute_force_block_s=600, trusted_proxies=("203.0.113.0/24",))
    app = create_app(settings)
    feed = LiveFeed(port=0)
    feed.start()
    bridge = Bridge(settings, app.state.engine, feed=feed, modules=["fs_bridge.brute_force"])
    bridge.esl = connection.connect("127.0.0.1", switch.port, ESL_PASSWORD)
    reader = gevent.socket.create_connection(("127.0.0.1", feed.port))
    reader.settimeout(5)
    gevent.sleep(0.05)  # the feed takes the reader on

    class Rig:
        def __init__(self):
            self.app, self.settings, self.bridge, self.switch = app, settings, bridge, switch
            self.xml = TestClient(app)
            self._buffer = b""

        def send(self, *events):
            for event in events:
                bridge.receive(event)
            bridge.drain()
            gevent.sleep(0.2)  # after-commit greenlets: the ESL command, the feed line

        def tick(self):
            bridge.with_context(brute_force.tick)
            gevent.sleep(0.2)

        def reloads(self) -> int:
            return sum(command == "api reloadacl" for command in switch.commands)

        def feed_line(self) -> dict:
            while b"\n" not in self._buffer:
                self._buffer += reader.recv(65536)
            line, self._buffer = self._buffer.split(b"\n", 1)
            return json.loads(line)

        def blocks(self) -> list[BlockedAddress]:
            with session_scope(app.state.engine) as db:
                return db.exec(select(BlockedAddress).order_by(BlockedAddress.id)).all()

        def acl_conf(self) -> ET.Element:
            auth = base64.b64encode(f"freeswitch:{XML_CURL_PASSWORD}".encode()).decode()
            # the request exactly as FreeSWITCH 1.10.12 sends it (xml_curl_requests.txt)
            body = "hostname=vm&section=configuration&tag_name=configuration&key_name=name&key_value=acl.conf"
            answered = self.xml.post("/freeswitch/xml", content=body, headers={
                "authorization": f"Basic {auth}", "content-type": "application/x-www-form-urlencoded"})
            assert answered.status_code == 200 and answered.headers["content-type"].startswith("text/xml")
            return ET.fromstring(answered.text)

        def denied(self) -> list[str]:
            root = self.acl_conf()
            conf = root.find("section[@name='configuration']/configuration[@name='acl.conf']")
            listed = conf.find(f"network-lists/list[@name='{acl.LIST}']")
            assert listed.get("default") == "allow"
            return [node.get("cidr") for node in listed.findall("node") if node.get("type") == "deny"]

    yield Rig()
    reader.close()
    bridge.esl.sock.close()
    feed.stop()
    app.state.engine.dispose()


def test_repeated_failures_block_the_address_once_and_freeswitch_reloads_the_acl(rig, db_tenant):
    assert rig.denied() == []
    rig.send(*[failure() for _ in range(4)])
    assert rig.blocks() == [] and rig.reloads() == 0  # below the threshold nothing happens
    rig.send(failure())
    [block] = rig.blocks()
    assert (block.address, block.tenant_id, block.failures, block.last_user) == (ATTACKER, db_tenant, 5, f"1001@{DOMAIN}")
    assert block.lifted_at is None and block.expires_at is not None
    assert rig.reloads() == 1
    assert rig.denied() == [f"{ATTACKER}/32"]
    notice = rig.feed_line()
    assert (notice["tenant_id"], notice["kind"], notice["data"]["address"]) == (db_tenant, "blocked", ATTACKER)

    rig.send(*[failure() for _ in range(12)])  # FreeSWITCH keeps refusing it: no second block, no reload storm
    [again] = rig.blocks()
    assert again.id == block.id and again.failures > 5
    assert rig.reloads() == 1


def test_the_block_expires_and_is_lifted(rig, db_tenant):
    rig.send(*[failure() for _ in range(5)])
    rig.tick()
    assert rig.blocks()[0].lifted_at is None and rig.reloads() == 1  # not yet
    clock.advance(601)
    rig.tick()
    [block] = rig.blocks()
    assert block.lifted_at is not None
    assert rig.reloads() == 2 and rig.denied() == []
    # it may try again, and is blocked again (the same row, a new block)
    rig.send(*[failure() for _ in range(5)])
    [again] = rig.blocks()
    assert again.id == block.id and again.lifted_at is None and rig.denied() == [f"{ATTACKER}/32"]


def test_failures_spread_over_more_than_the_window_do_not_block(rig, db_tenant):
    rig.send(*[failure() for _ in range(4)])
    clock.advance(61)
    rig.send(*[failure() for _ in range(4)])
    assert rig.blocks() == []


def test_block_until_lifted_by_hand(rig, db_tenant):
    rig.bridge.settings = dataclasses.replace(rig.settings, brute_force_block_s=0)
    rig.send(*[failure() for _ in range(5)])
    clock.advance(10 * 365 * 86400)
    rig.tick()
    [block] = rig.blocks()
    assert block.expires_at is None and block.lifted_at is None and rig.denied() == [f"{ATTACKER}/32"]


def test_loopback_proxies_and_the_switch_itself_are_never_blocked(rig, db_tenant):
    untouchable = ["127.0.0.1", "::1", "203.0.113.40",  # trusted proxy network
                   "192.0.2.2",  # FreeSWITCH-IPv4 of the captured event: the switch itself
                   "not-an-address", ""]
    for address in untouchable:
        rig.send(*[failure(address) for _ in range(20)])
    rig.send(*[parse_plain(failure_text()) for _ in range(20)])  # the fixture as captured: from 127.0.0.1
    assert rig.blocks() == [] and rig.reloads() == 0


def test_unknown_domain_and_ipv6(rig, db_tenant):
    rig.send(*[failure("2001:db8::66", realm="nobody.example") for _ in range(5)],
             *[failure("::ffff:198.51.100.8") for _ in range(5)])  # as FreeSWITCH compares it: IPv4
    blocks = {block.address: block.tenant_id for block in rig.blocks()}
    assert blocks == {"2001:db8::66": None, "198.51.100.8": db_tenant}
    assert sorted(rig.denied()) == ["198.51.100.8/32", "2001:db8::66/128"]
    assert rig.reloads() == 1  # both in one batch: one reload


def test_the_static_acl_conf_defines_the_same_list():
    # without the app FreeSWITCH reads this file; the list must exist (an unknown list refuses every phone)
    static = ET.parse(REPO_ROOT / "freeswitch" / "autoload_configs" / "acl.conf.xml").getroot()
    [listed] = static.findall("network-lists/list")
    assert (listed.get("name"), listed.get("default"), listed.findall("node")) == (acl.LIST, "allow", [])


@pytest.fixture
def db_tenant(rig):
    def db_factory():
        return session_scope(rig.app.state.engine)

    return make_tenant(db_factory, name="Acme", sip_domain=DOMAIN).id
