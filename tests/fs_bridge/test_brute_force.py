"""SIP brute force: FreeSWITCH's own sofia::register_failure text, repeated from one address, blocks it
once; FreeSWITCH is told (`reloadacl` on a real ESL connection), the acl.conf the app serves denies it,
and the block is lifted when its time is up. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import secrets
import shutil
import socket
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import gevent
import gevent.socket
import pytest
from sqlmodel import select

from fs_bridge import brute_force, connection
from fs_bridge.events import fixture_events, parse_plain
from fs_bridge.live_feed import LiveFeed
from fs_bridge.service import Bridge
from tests.fs_bridge.esl_server import EslServer
from tests.web.helpers import make_tenant, switch_client
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
            self.xml = switch_client(app)
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


def test_a_guesser_at_several_companies_is_blocked_for_each_of_them(rig, db_tenant):
    """Its last guess at its own company's domain must not make the block that company's alone (its
    admin could lift it and guess on at the others): every company it tried holds a row."""
    own = make_tenant(lambda: session_scope(rig.app.state.engine), name="Mine", sip_domain="mine.pbx.test").id
    rig.send(*[failure(realm=DOMAIN, user=f"10{n}") for n in range(3)], failure(realm="nobody.example"),
             failure(realm="mine.pbx.test", user="200"))
    blocks = {block.tenant_id: block for block in rig.blocks()}
    assert set(blocks) == {db_tenant, own, None}
    assert [(blocks[t].address, blocks[t].failures, blocks[t].last_user) for t in (db_tenant, own, None)] == [
        (ATTACKER, 3, f"102@{DOMAIN}"), (ATTACKER, 1, "200@mine.pbx.test"), (ATTACKER, 1, "1001@nobody.example")]
    assert rig.denied() == [f"{ATTACKER}/32"] and rig.reloads() == 1
    notices = {rig.feed_line()["tenant_id"] for _ in range(3)}
    assert notices == {db_tenant, own, None}  # each company is told of its own row

    with session_scope(rig.app.state.engine) as db:  # the guesser's company lifts its row
        db.get(BlockedAddress, blocks[own].id).lifted_at = clock.now()
    assert rig.denied() == [f"{ATTACKER}/32"]  # the others still block it on the whole switch
    rig.send(*[failure(realm=DOMAIN) for _ in range(5)])
    assert {b.tenant_id: b.lifted_at is None for b in rig.blocks()} == {db_tenant: True, own: False, None: True}
    assert rig.reloads() == 1


# --- on a real FreeSWITCH --------------------------------------------------------------------------------
# What the ACL design rests on, checked on the switch itself rather than believed from its source: the
# acl.conf the app serves is a list FreeSWITCH loads and `reloadacl` re-reads, and a phone entry with
# `auth-acl` gets 403 from a denied address even with the right password, while an allowed address
# still has to authenticate (no auto-registration, unlike apply-register-acl).

FREESWITCH = shutil.which("freeswitch")
SIP_USER, SIP_PASSWORD, SIP_DOMAIN = "1001", "Correct-Horse-42", "acl.pbx.test"
BLOCKED_PHONE, ALLOWED_PHONE = "127.0.0.5", "127.0.0.6"  # loopback: only the switch's own list can hold them


def _register(fs_port: int, source: str, password: str) -> tuple[int, str]:
    """REGISTER from `source` with digest auth (answering FreeSWITCH's challenge); the final status."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((source, 0))
    sock.settimeout(5)
    port = sock.getsockname()[1]
    call_id, tag = secrets.token_hex(8), secrets.token_hex(4)

    def send(cseq: int, extra: str = "") -> tuple[int, str]:
        message = (f"REGISTER sip:{SIP_DOMAIN} SIP/2.0\r\n"
                   f"Via: SIP/2.0/UDP {source}:{port};branch=z9hG4bK{secrets.token_hex(6)};rport\r\n"
                   f"Max-Forwards: 70\r\nFrom: <sip:{SIP_USER}@{SIP_DOMAIN}>;tag={tag}\r\n"
                   f"To: <sip:{SIP_USER}@{SIP_DOMAIN}>\r\nCall-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n"
                   f"Contact: <sip:{SIP_USER}@{source}:{port}>\r\nExpires: 60\r\n{extra}"
                   f"User-Agent: brute-force-test\r\nContent-Length: 0\r\n\r\n")
        sock.sendto(message.encode(), ("127.0.0.1", fs_port))
        while True:
            reply = sock.recv(65536).decode(errors="replace")
            status = int(reply.split(" ", 2)[1])
            if status >= 200:
                return status, reply

    try:
        status, reply = send(1)
        if status != 401:
            return status, reply
        challenge = re.search(r"^WWW-Authenticate: Digest (.*)$", reply, re.M | re.I).group(1)
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
        uri, cnonce, nc = f"sip:{SIP_DOMAIN}", secrets.token_hex(4), "00000001"
        ha1 = hashlib.md5(f"{SIP_USER}:{fields['realm']}:{password}".encode()).hexdigest()
        ha2 = hashlib.md5(f"REGISTER:{uri}".encode()).hexdigest()
        response = hashlib.md5(f"{ha1}:{fields['nonce']}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()
        authorization = (f'Authorization: Digest username="{SIP_USER}", realm="{fields["realm"]}", '
                         f'nonce="{fields["nonce"]}", uri="{uri}", response="{response}", algorithm=MD5, '
                         f'qop=auth, cnonce="{cnonce}", nc={nc}\r\n')
        return send(2, authorization)
    finally:
        sock.close()


@pytest.mark.freeswitch
@pytest.mark.skipif(FREESWITCH is None, reason="needs a `freeswitch` binary on PATH")
def test_on_a_real_freeswitch_the_served_list_blocks_through_auth_acl(tmp_path):
    from tests.conftest import fast_settings
    from tests.freeswitch import harness
    from web.db import make_engine
    from web.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'acl.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    settings = fast_settings(url)
    with session_scope(engine) as db:
        db.add(BlockedAddress(address=ATTACKER, failures=10, last_user="1001@acl.pbx.test"))

    def served_acl() -> ET.Element:
        conf = ET.fromstring(acl.build(engine, settings)).find("section/configuration")
        # plus the test phone's loopback address, which the app itself would never list (protected)
        conf.find("network-lists/list").append(ET.Element("node", {"type": "deny", "cidr": f"{BLOCKED_PHONE}/32"}))
        return conf

    class Switch(harness.FreeSwitch):
        def config(self):
            root = super().config()
            user = root.find(f"section[@name='directory']/domain/groups/group/users/user[@id='{SIP_USER}']")
            params = user.find("params")
            for name, value in {"password": SIP_PASSWORD, **acl.DIRECTORY_PARAMS}.items():
                ET.SubElement(params, "param", {"name": name, "value": value})
            return root

    fs = Switch(tmp_path / "fs", SIP_DOMAIN, [], {SIP_USER: "error/user_not_registered"},
                configuration=[served_acl()])
    events: list[dict] = []
    try:
        fs.start()
        listener = harness.EventSocket(fs.esl_port)
        assert listener.command("event plain CUSTOM sofia::register_failure").get("Reply-Text", "").startswith("+OK")
        threading.Thread(target=listener.events, args=(events.append,), daemon=True).start()

        assert fs.api(f"acl {ATTACKER} {acl.LIST}").strip() == "false"
        assert fs.api(f"acl 198.51.100.8 {acl.LIST}").strip() == "true"
        assert fs.api(f"acl 2001:db8::1 {acl.LIST}").strip() == "true"

        status, _ = _register(fs.sip_port, ALLOWED_PHONE, SIP_PASSWORD)
        assert status == 200, fs.log_tail(60)
        status, _ = _register(fs.sip_port, ALLOWED_PHONE, "wrong password")
        assert status == 403  # allowed by the list is not let in: the password still counts
        status, _ = _register(fs.sip_port, BLOCKED_PHONE, SIP_PASSWORD)
        assert status == 403, fs.log_tail(60)  # blocked: refused even with the right password
        assert "Rejected by user acl" in fs.log_text()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(e.get("network-ip") == BLOCKED_PHONE for e in events):
            time.sleep(0.1)
        failure_event = next(e for e in events if e.get("network-ip") == BLOCKED_PHONE)
        assert failure_event.get("to-host") == SIP_DOMAIN and failure_event.get("to-user") == SIP_USER

        # the block is lifted in the database; FreeSWITCH re-reads its configuration at `reloadacl`
        with session_scope(engine) as db:
            row = db.exec(select(BlockedAddress)).one()
            row.lifted_at = clock.now()
            db.add(row)
        fs.configuration = [served_acl()]
        fs.write_config()
        assert fs.api("reloadacl").startswith("+OK")
        assert fs.api(f"acl {ATTACKER} {acl.LIST}").strip() == "true"
        listener.close()
    finally:
        fs.stop()
        engine.dispose()


@pytest.mark.freeswitch
@pytest.mark.skipif(FREESWITCH is None, reason="needs a `freeswitch` binary on PATH")
def test_on_a_real_freeswitch_apply_register_acl_would_open_the_door(tmp_path):
    """Why the profile's apply-register-acl is NOT used: with the same default-allow list, an allowed
    address registers with a wrong password (sofia_reg.c REG_AUTO_REGISTER)."""
    from tests.freeswitch import harness

    conf = ET.Element("configuration", {"name": "acl.conf"})
    ET.SubElement(ET.SubElement(conf, "network-lists"), "list", {"name": acl.LIST, "default": "allow"})

    class Switch(harness.FreeSwitch):
        def config(self):
            root = super().config()
            user = root.find(f"section[@name='directory']/domain/groups/group/users/user[@id='{SIP_USER}']")
            ET.SubElement(user.find("params"), "param", {"name": "password", "value": SIP_PASSWORD})
            settings = root.find("section[@name='configuration']/configuration[@name='sofia.conf']/profiles/profile/settings")
            ET.SubElement(settings, "param", {"name": "apply-register-acl", "value": acl.LIST})
            return root

    fs = Switch(tmp_path / "fs", SIP_DOMAIN, [], {SIP_USER: "error/user_not_registered"}, configuration=[conf])
    try:
        fs.start()
        status, _ = _register(fs.sip_port, ALLOWED_PHONE, "not the password")
        assert status == 200, fs.log_tail(60)
    finally:
        fs.stop()
