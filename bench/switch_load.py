"""End to end on a real FreeSWITCH: what the app costs the switch.

    .venv/bin/python bench/switch_load.py                    # both set-ups, one after the other
    .venv/bin/python bench/switch_load.py --setups app       # only some
    .venv/bin/python bench/switch_load.py --postgres         # the app on PostgreSQL (127.0.0.1:5432)

A carrier (SIPp) calls a number of the demo company whose published plan is an always-open time
condition -> a ring group (simultaneous) of one user, whose phone (a SIPp UAS, registered with the
device's own password) answers at once; the carrier hangs up after one second; no RTP is sent. Every
set-up runs the repository's freeswitch/ folder as shipped, with the environment a deployment sets:

  static  the dialplan and the directory the app served for these calls, written to files; no
          mod_xml_curl, no mod_xml_cdr, no bridge: the switch alone
  bare    mod_xml_curl and CDR posts as with the app, answered by a trivial Starlette app on the same
          server (uvicorn, httptools, uvloop, as many workers) with the same documents, constant; no
          bridge: what HTTP costs, so app - bare is the app's own cost
  app     the app as `make run` serves it (mod_xml_curl fetches, CDR posts) and the bridge on the
          event socket
  edge    the app as above for two FreeSWITCH (127.0.0.2, 127.0.0.3) behind the SIP edge (kamailio/),
          a bridge each; the phone registers and the carrier calls at the edge

For each set-up: the highest rate of --rates with no failed call (each tried for --seconds), and at
--latency-rate calls/s the median and p99 INVITE -> 200 and the CPU of every process. Targets: the
app's clean rate >= 0.9 x the static one; its median INVITE -> 200 at most 3 ms above the static one;
two switches behind the edge >= 1.8 x the app's one (#19).

On a machine with fewer cores than the edge set-up has switches, the load generators, Kamailio and the
app take the cores the second switch would need: --switch-cpu 0.25 caps each FreeSWITCH at a quarter of a
core (a cgroup), so the switches set the rate as they would on machines of their own, and --max-p99-ms
counts a rate whose calls queue (answered late rather than refused) as not clean.

A set-up is a class with start(world), processes() and stop(), listed in SETUPS."""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.xml_curl import cpu_seconds, family, pct  # noqa: E402
from tests.freeswitch import edge, harness  # noqa: E402

HOST = harness.HOST
DID = "+31201239999"
EXTENSION, GROUP_EXTENSION = "260", "360"
TARGET_RATE_RATIO, TARGET_ADDED_MEDIAN_MS = 0.9, 3.0
TARGET_TWO_SWITCHES = 1.8  # edge / app clean rate

# the carrier's calls (held one second) and the phone that answers at once: the SIPp scenarios the edge
# tests use (their Route and Record-Route lines are left out by SIPp where no proxy sets them)
CARRIER = edge.CARRIER.replace("[hold]", "1000")
PHONE = edge.ANSWER


# --- the company ----------------------------------------------------------------------------------------


@dataclass
class World:
    """The database with the demo company and the bench's plan, and what the set-ups share."""

    workdir: Path
    url: str
    settings: object
    domain: str
    device: str  # the phone's SIP user name ...
    password: str  # ... and password
    phone_port: int = 0
    lines: list["Line"] = field(default_factory=list)  # every number with its phone (the first is the above)


@dataclass
class Line:
    """A public number whose plan rings one user's phone: the phone's account and the number."""

    did: str
    extension: str
    device: str
    password: str


def make_world(workdir: Path, url: str, lines: int = 1) -> World:
    """The demo company (as `make run` makes it) plus, through the same API: an always-open schedule,
    a user with a phone, a simultaneous ring group of that user, a public number and a published plan
    on it: time condition (always open) -> the ring group. `lines` > 1 makes that many such numbers,
    each with its own user, phone and group (DID, DID - 1, ...; extensions 260, 261, ...)."""
    from starlette.testclient import TestClient
    from sqlmodel import select

    from web import clock
    from web.app import create_app
    from web.auth.tokens import digest, new_api_token
    from web.db import session_scope
    from web.demo import DEMO_ADMIN, ensure_demo
    from web.domain import audit, numbers
    from web.migrate import upgrade
    from web.models import Account, ApiToken, Tenant
    from web.settings import Settings

    upgrade(url)
    settings = Settings(database_url=url, secret_key=secrets.token_hex(16), xml_curl_user="freeswitch",
                        xml_curl_password=secrets.token_hex(16), audio_dir=str(workdir / "audio"),
                        fallback_dialplan=str(workdir / "fallback_dialplan.xml"), public_base_url="http://127.0.0.1",
                        argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1)
    app = create_app(settings)
    ensure_demo(app)
    with session_scope(app.state.engine, audit.SYSTEM) as db:
        admin = db.exec(select(Account).where(Account.email == DEMO_ADMIN)).one()
        tenant = db.get(Tenant, admin.tenant_id)
        domain = tenant.sip_domain
        raw = new_api_token()
        db.add(ApiToken(account_id=admin.id, tenant_id=tenant.id, name="bench", prefix=raw[:10], token_hash=digest(raw)))
        dids = [did_of(index) for index in range(lines)]
        for number in numbers.assign(db, tenant.id, dids):  # the operator's part: the numbers are the company's
            number.label = "Load"
    with TestClient(app, base_url=settings.public_base_url, headers={"authorization": f"Bearer {raw}"}) as client:
        def post(path, **body):
            response = client.post(path, json=body)
            assert response.status_code in (200, 201), (path, response.status_code, response.text)
            return response.json()

        always = post("/api/schedules", name="Always", periods=[
            {"from_day": "mon", "from_time": "00:00", "to_day": "sun", "to_time": "24:00"}])
        made = []
        for index, did in enumerate(dids):
            extension, group_extension = str(int(EXTENSION) + index), str(int(GROUP_EXTENSION) + index)
            user = post("/api/users", first_name="Load", last_name=f"Test {index}", extension=extension, language="en")
            device = post("/api/devices", name=f"Load phone {index}", brand="yealink", model="T54W", user_id=user["id"])
            group = post("/api/ring-groups", name=f"Load {index}", extension=group_extension, strategy="simultaneous",
                         members=[{"type": "user", "id": user["id"]}])
            plan = post("/api/plans", name=f"Load {index}", numbers=[did], steps=[
                {"id": "s1", "type": "time_condition", "schedule": always["id"],
                 "then": [{"id": "s2", "type": "ring_group", "group": group["id"]}]}])
            post(f"/api/plans/{plan['id']}/publish", note="bench")
            made.append(Line(did, extension, device["sip_username"], device["sip_password"]))
    with session_scope(app.state.engine, audit.SYSTEM) as db:
        for token in db.exec(select(ApiToken).where(ApiToken.name == "bench")).all():
            token.revoked_at = clock.now()
    app.state.engine.dispose()
    return World(workdir, url, settings, domain, made[0].device, made[0].password, lines=made)


def did_of(index: int) -> str:
    return DID if index == 0 else f"{DID[:-4]}{int(DID[-4:]) - index:04d}"


def served(world: World) -> tuple[ET.Element, ET.Element, ET.Element]:
    """What the app answers FreeSWITCH for these calls: the public context for the number, the company's
    context for it, and the directory entries of the phone and of the user it rings."""
    from web.db import make_engine
    from web.xml_curl import cache, endpoint

    engine = make_engine(world.url)
    try:
        def ask(**fields) -> ET.Element:
            document = endpoint.answer(engine, world.settings, urlencode(fields).encode())
            root = ET.fromstring(document)
            assert root.find("section").get("name") != "result", (fields, document[:300])
            return root.find("section")[0]

        public = ask(section="dialplan", **{"Hunt-Context": "public", "Hunt-Destination-Number": DID})
        company = ask(section="dialplan", **{"Hunt-Context": world.domain, "Hunt-Destination-Number": DID})
        domain = ask(section="directory", domain=world.domain, user=world.device, key="id", action="sip_auth",
                     sip_auth_realm=world.domain, sip_auth_username=world.device)
        member = ask(section="directory", domain=world.domain, user=EXTENSION, key="id", action="user_call")
        domain.extend(member.findall("user"))
        return public, company, domain
    finally:
        cache.invalidate()
        engine.dispose()


# --- the set-ups ------------------------------------------------------------------------------------------


def switch_env(world: World, **more: str) -> dict[str, str]:
    """The environment a deployment gives FreeSWITCH (freeswitch/README.md)."""
    folder = world.workdir
    (folder / "gateways").mkdir(exist_ok=True)
    return {
        "CALLPLAN_XML_CURL_USER": world.settings.xml_curl_user,
        "CALLPLAN_XML_CURL_PASSWORD": world.settings.xml_curl_password,
        "CALLPLAN_ESL_PORT": str(harness.free_ports()),
        "CALLPLAN_ESL_PASSWORD": secrets.token_hex(16),
        "CALLPLAN_INTERNAL_SIP_PORT": str(harness.free_ports()),
        "CALLPLAN_EXTERNAL_SIP_PORT": str(harness.free_ports()),
        "CALLPLAN_RTP_START_PORT": "20000", "CALLPLAN_RTP_END_PORT": "29998",
        "CALLPLAN_FALLBACK_DIALPLAN": world.settings.fallback_dialplan,
        "CALLPLAN_GATEWAYS_DIR": str(folder / "gateways"),
        "CALLPLAN_VOICEMAIL_DIR": str(folder / "voicemail"),
        "CALLPLAN_CDR_SPOOL_DIR": str(folder / "cdr-spool"),
        "CALLPLAN_FS_LANG_DIR": harness.FS_LANG_DIR,
        **more,
    }


def shipped_timeout(world: World) -> str:
    """The fetch timeout a deployment has when it sets none (web.settings, freeswitch/vars.xml): the
    set-ups measure the switch as it ships, and how long a fetch may wait decides whether an overloaded
    switch delays calls or refuses them (#20)."""
    return str(world.settings.xml_curl_timeout_s)


class SetUp:
    name = ""
    description = ""

    def __init__(self, world: World):
        self.world = world
        self.fs: Optional[harness.ProjectFreeSwitch] = None
        self.folder = world.workdir / self.name
        self.folder.mkdir()

    def start(self) -> harness.ProjectFreeSwitch:
        raise NotImplementedError

    def processes(self) -> dict[str, list[int]]:
        """name -> pids whose CPU counts for it"""
        return {"FreeSWITCH": [self.fs.process.pid]}

    def switches(self) -> list[harness.ProjectFreeSwitch]:
        return [self.fs]

    def phone_target(self) -> str:
        """host:port phones register at"""
        return f"{HOST}:{self.fs.settings['CALLPLAN_INTERNAL_SIP_PORT']}"

    def carrier_target(self) -> str:
        """host:port carriers call"""
        return f"{HOST}:{self.fs.settings['CALLPLAN_EXTERNAL_SIP_PORT']}"

    def stop(self) -> None:
        if self.fs is not None:
            self.fs.stop()

    def generation(self) -> Optional[int]:
        return None


class StaticXml(SetUp):
    name = "static"
    description = "static XML: what the app served, from files; no app, no CDR posts"

    def start(self) -> harness.ProjectFreeSwitch:
        public, company, domain = served(self.world)
        fs = harness.ProjectFreeSwitch(self.folder / "fs", switch_env(self.world, CALLPLAN_APP_URL="http://127.0.0.1:9"))
        modules = fs.conf / "autoload_configs" / "modules.conf.xml"
        text = modules.read_text()
        for module in ("mod_xml_curl", "mod_xml_cdr"):
            assert f'<load module="{module}"/>' in text
            text = text.replace(f'<load module="{module}"/>', "")
        modules.write_text(text)
        # The number's public extension first in the public context, as the app answered it; the
        # company's context and directory as files of their own (one element per line: FreeSWITCH's
        # pre-processor drops lines holding <include>).
        public_file = fs.conf / "dialplan" / "public.xml"
        text = public_file.read_text()
        opening = '<context name="public">'
        public_file.write_text(text.replace(opening, opening + "\n" + "\n".join(
            ET.tostring(extension, encoding="unicode") for extension in public.findall("extension")), 1))
        (fs.conf / "dialplan" / "company.xml").write_text(
            "<include>\n" + ET.tostring(company, encoding="unicode") + "\n</include>\n")
        (fs.conf / "directory" / "company.xml").write_text(
            "<include>\n" + ET.tostring(domain, encoding="unicode") + "\n</include>\n")
        self.fs = fs
        fs.start()
        return fs


NOT_FOUND = (b'<document type="freeswitch/xml"><section name="result"><result status="not found"/>'
             b'</section></document>')


def bare_documents(world: World) -> dict[str, bytes]:
    """The documents the app answers for these calls, whole: the public context, the company's context,
    the directory domain with the phone and the user it rings."""
    public, company, domain = served(world)

    def document(section: str, element: ET.Element) -> bytes:
        root = ET.Element("document", {"type": "freeswitch/xml"})
        ET.SubElement(root, "section", {"name": section}).append(element)
        return ET.tostring(root, encoding="utf-8")

    return {"public": document("dialplan", public), world.domain: document("dialplan", company),
            "directory": document("directory", domain)}


def bare_app():
    """A trivial Starlette app (uvicorn's factory, in every worker): /freeswitch/xml answers the constant
    document for the request's section (and context), /freeswitch/cdr takes the record and drops it."""
    import json
    from urllib.parse import parse_qs

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    documents = {name: text.encode() for name, text in json.loads(Path(os.environ["BENCH_BARE_DOCUMENTS"]).read_text()).items()}

    async def xml(request: Request) -> Response:
        fields = parse_qs((await request.body()).decode())
        section = fields.get("section", [""])[0]
        key = "directory" if section == "directory" else fields.get("Hunt-Context", [""])[0] if section == "dialplan" else ""
        return Response(documents.get(key, NOT_FOUND), media_type="text/xml")

    async def cdr(request: Request) -> Response:
        await request.body()
        return Response(b"", media_type="text/plain")

    return Starlette(routes=[Route("/freeswitch/xml", xml, methods=["POST"]), Route("/freeswitch/cdr", cdr, methods=["POST"])])


class Bare(SetUp):
    name = "bare"
    description = "mod_xml_curl and CDR posts answered by a trivial Starlette app with the same documents; no bridge"

    def __init__(self, world: World):
        super().__init__(world)
        self.server = None
        self.log = None

    def start(self) -> harness.ProjectFreeSwitch:
        import json

        from web.__main__ import answers, web_command

        path = self.folder / "documents.json"
        path.write_text(json.dumps({name: text.decode() for name, text in bare_documents(self.world).items()}))
        port = harness.free_ports()
        command = web_command(HOST, port)
        command[command.index("web.app:app")] = "bench.switch_load:bare_app"
        command.insert(command.index("bench.switch_load:bare_app") + 1, "--factory")
        env = {**{key: value for key, value in os.environ.items() if not key.startswith("CALLPLAN_")},
               "BENCH_BARE_DOCUMENTS": str(path), "PYTHONPATH": str(ROOT)}
        self.log = open(self.folder / "bare.log", "ab")
        self.server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, preexec_fn=harness.die_with_parent)
        # any answer (405 to a GET) means it is up
        if not harness.wait_for(lambda: self.server.poll() is not None or _listening(port), 60) or self.server.poll() is not None:
            raise RuntimeError(f"the bare server did not start: {(self.folder / 'bare.log').read_text()[-3000:]}")
        self.fs = harness.ProjectFreeSwitch(self.folder / "fs", switch_env(
            self.world, CALLPLAN_APP_URL=f"http://{HOST}:{port}", CALLPLAN_XML_CURL_TIMEOUT=shipped_timeout(self.world)))
        self.fs.start()
        return self.fs

    def processes(self) -> dict[str, list[int]]:
        return {**super().processes(), "bare server": family(self.server.pid)}

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            self.server.wait(timeout=10)
        super().stop()
        if self.log:
            self.log.close()


def _listening(port: int) -> bool:
    import socket

    try:
        socket.create_connection((HOST, port), timeout=1).close()
        return True
    except OSError:
        return False


class App(SetUp):
    name = "app"
    description = "the app: mod_xml_curl, CDR posts, the bridge"

    def __init__(self, world: World):
        super().__init__(world)
        self.web = self.bridge = None
        self.logs: list = []

    def env(self, fs_settings: dict[str, str]) -> dict[str, str]:
        world = self.world
        return {**{key: value for key, value in os.environ.items() if not key.startswith("CALLPLAN_")},
                "CALLPLAN_DATABASE_URL": world.url, "CALLPLAN_SECRET_KEY": world.settings.secret_key,
                "CALLPLAN_XML_CURL_USER": world.settings.xml_curl_user,
                "CALLPLAN_XML_CURL_PASSWORD": world.settings.xml_curl_password,
                "CALLPLAN_XML_CURL_TIMEOUT": fs_settings["CALLPLAN_XML_CURL_TIMEOUT"],
                "CALLPLAN_ESL_HOST": HOST, "CALLPLAN_ESL_PORT": fs_settings["CALLPLAN_ESL_PORT"],
                "CALLPLAN_ESL_PASSWORD": fs_settings["CALLPLAN_ESL_PASSWORD"],
                "CALLPLAN_BRIDGE_FEED_PORT": str(harness.free_ports()),
                "CALLPLAN_AUDIO_DIR": world.settings.audio_dir,
                "CALLPLAN_FALLBACK_DIALPLAN": world.settings.fallback_dialplan,
                "CALLPLAN_VOICEMAIL_DIR": fs_settings["CALLPLAN_VOICEMAIL_DIR"],
                "CALLPLAN_CDR_SPOOL_DIR": fs_settings["CALLPLAN_CDR_SPOOL_DIR"],
                "PYTHONUNBUFFERED": "1"}

    def _spawn(self, command: list[str], env: dict[str, str], name: str) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "ab")
        self.logs.append(log)
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, preexec_fn=harness.die_with_parent)

    def start(self) -> harness.ProjectFreeSwitch:
        port = harness.free_ports()
        settings = switch_env(self.world, CALLPLAN_APP_URL=f"http://{HOST}:{port}",
                              CALLPLAN_XML_CURL_TIMEOUT=shipped_timeout(self.world))
        env = self.env(settings)
        self.start_web(port, env)
        self.fs = harness.ProjectFreeSwitch(self.folder / "fs", settings)
        self.fs.start()
        self.bridge = self.start_bridge(self.fs, env, "bridge")
        return self.fs

    def start_web(self, port: int, env: dict[str, str]) -> None:
        from web.__main__ import answers, web_command

        self.base_url = f"http://{HOST}:{port}"
        self.web = self._spawn(web_command(HOST, port), env, "web")
        if not harness.wait_for(lambda: self.web.poll() is not None or answers(f"http://{HOST}:{port}/api/health"), 60) \
                or self.web.poll() is not None:
            raise RuntimeError(f"the web app did not start: {(self.folder / 'web.log').read_text()[-3000:]}")

    def start_bridge(self, fs: harness.ProjectFreeSwitch, env: dict[str, str], name: str, **more: str) -> subprocess.Popen:
        """`python -m fs_bridge` on this switch's event socket, once it says it is connected."""
        bridge = self._spawn([sys.executable, "-m", "fs_bridge"], {**env, **self.env(fs.settings), **more}, name)
        if not harness.wait_for(lambda: self._bridge_connected(fs), 60):
            raise RuntimeError(f"the bridge did not connect: {(self.folder / f'{name}.log').read_text()[-3000:]}")
        return bridge

    def _bridge_connected(self, fs: harness.ProjectFreeSwitch) -> bool:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.world.url)
        try:
            with engine.connect() as connection:
                return bool(connection.execute(text("SELECT connected FROM bridge_status WHERE esl_address = :address"),
                                               {"address": f"{HOST}:{fs.esl_port}"}).scalar())
        finally:
            engine.dispose()

    def generation(self) -> Optional[int]:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.world.url)
        try:
            with engine.connect() as connection:
                return connection.execute(text("SELECT config_generation FROM tenant WHERE sip_domain = :d"),
                                          {"d": self.world.domain}).scalar()
        finally:
            engine.dispose()

    def processes(self) -> dict[str, list[int]]:
        return {**super().processes(), "app": family(self.web.pid), "bridge": family(self.bridge.pid)}

    def stop(self) -> None:
        for process in (self.bridge, self.web):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        super().stop()
        for log in self.logs:
            log.close()


class Edge(App):
    """The app as above, served to several FreeSWITCH behind the SIP edge (kamailio/), each with its own
    bridge, each on its own loopback address (127.0.0.2, 127.0.0.3, ...) as each would be on its own
    machine; phones register and carriers call at the edge. tests/freeswitch/test_failover_on_freeswitch.py
    starts it too."""

    name = "edge"
    description = "Kamailio in front of two FreeSWITCH, the app and a bridge per switch"
    ADDRESSES = ("127.0.0.2", "127.0.0.3")

    def __init__(self, world: World, addresses: tuple[str, ...] = ADDRESSES, xml_curl_timeout: Optional[int] = None,
                 home: Optional[str] = None, switch_env: Optional[dict[str, str]] = None):
        super().__init__(world)
        self.addresses = addresses
        self.xml_curl_timeout = shipped_timeout(world) if xml_curl_timeout is None else str(xml_curl_timeout)
        self.home = home  # "fs1", ...: the home switch the others hand conference calls to (README "Scaling out")
        self.switch_env = dict(switch_env or {})  # more for every switch's environment (tests: stand-in prompts)
        self.fleet: list[harness.ProjectFreeSwitch] = []
        self.bridges: list[subprocess.Popen] = []
        self.edge = None

    def start(self) -> harness.ProjectFreeSwitch:
        port = harness.free_ports()
        fleet_env = [switch_env(self.world, CALLPLAN_APP_URL=f"http://{HOST}:{port}",
                                CALLPLAN_XML_CURL_TIMEOUT=self.xml_curl_timeout, CALLPLAN_SIP_IP=address,
                                CALLPLAN_SWITCH_NAME=f"fs{index + 1}", **self.switch_env)  # its bridge's name too
                     for index, address in enumerate(self.addresses)]
        for env in fleet_env[1:]:  # every switch takes the one event-socket password (README "Scaling out"): the
            env["CALLPLAN_ESL_PASSWORD"] = fleet_env[0]["CALLPLAN_ESL_PASSWORD"]  # app and bridges tell them all
        self.edge = edge.Edge(self.folder / "edge", [(env["CALLPLAN_SIP_IP"], int(env["CALLPLAN_INTERNAL_SIP_PORT"]),
                                                    int(env["CALLPLAN_EXTERNAL_SIP_PORT"])) for env in fleet_env])
        env = {**self.env(fleet_env[0]), "CALLPLAN_SIP_EDGE": self.edge.phone_address}
        if self.home:
            home = fleet_env[int(self.home.removeprefix("fs")) - 1]
            env["CALLPLAN_HOME_SWITCH"] = self.home
            env["CALLPLAN_HOME_SWITCH_SIP"] = f"{home['CALLPLAN_SIP_IP']}:{home['CALLPLAN_EXTERNAL_SIP_PORT']}"
        self.start_web(port, env)
        self.edge.start()
        for index, settings in enumerate(fleet_env):
            fs = harness.ProjectFreeSwitch(self.folder / f"fs{index + 1}", settings)
            self.fleet.append(fs)
            fs.start()
        for index, fs in enumerate(self.fleet):
            # each bridge names its switch in the live rows and notifications (README "Scaling out")
            self.bridges.append(self.start_bridge(fs, env, f"bridge{index + 1}", CALLPLAN_SWITCH_NAME=f"fs{index + 1}"))
        states = self.edge.wait_states({address: "A" for address in self.addresses}, 30)
        if not all(states.get(address, "").startswith("A") for address in self.addresses):
            raise RuntimeError(f"the edge does not see every switch up: {states}\n{self.edge.log_tail()}")
        self.fs = self.fleet[0]
        return self.fs

    def switches(self) -> list[harness.ProjectFreeSwitch]:
        return [fs for fs in self.fleet if fs.process is not None and fs.process.poll() is None]

    def phone_target(self) -> str:
        return self.edge.phone_address

    def carrier_target(self) -> str:
        return self.edge.carrier_address

    def processes(self) -> dict[str, list[int]]:
        found = {f"FreeSWITCH {index + 1}": [fs.process.pid] for index, fs in enumerate(self.fleet)}
        found["Kamailio"] = family(self.edge.process.pid)
        found["app"] = family(self.web.pid)
        found["bridges"] = [pid for bridge in self.bridges for pid in family(bridge.pid)]
        return found

    def stop(self) -> None:
        for process in self.bridges:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
        if self.edge is not None:
            self.edge.stop()
        for fs in self.fleet[1:]:
            fs.stop()
        super().stop()


SETUPS = {setup.name: setup for setup in (StaticXml, Bare, App, Edge)}


# --- the load ---------------------------------------------------------------------------------------------


@dataclass
class Run:
    rate: float
    calls: int
    succeeded: int = 0
    failed: int = 0
    rtts_ms: list[float] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # process -> % of one core during the run
    seconds: float = 0.0
    # process -> CPU ms per answered call: from the first call until every call is over and the records
    # are taken (the CDR posts and the bridge's batches after the last hang-up), less what the process
    # uses idle over that time (idle_cpu)
    cpu_ms_per_call: dict[str, float] = field(default_factory=dict)
    idle_cpu: dict[str, float] = field(default_factory=dict)  # process -> % of one core with no calls

    max_p99_ms: float = 0.0  # > 0: a rate whose INVITE -> 200 p99 passes this is not clean either

    @property
    def clean(self) -> bool:
        if self.max_p99_ms and self.rtts_ms and pct(self.rtts_ms, 0.99) > self.max_p99_ms:
            return False  # answered, but queued: the backlog grows with every second at this rate
        return self.failed == 0 and self.succeeded == self.calls


def start_phone(world: World) -> subprocess.Popen:
    scenario = world.workdir / "phone.xml"
    scenario.write_text(PHONE)
    world.phone_port = harness.free_ports()
    log = open(world.workdir / "phone.out", "wb")
    return subprocess.Popen(
        [harness.SIPP, "-sf", str(scenario), "-i", HOST, "-bind_local", "-p", str(world.phone_port),
         "-mi", HOST, "-mp", str(harness.free_ports(4)), "-ci", HOST, "-cp", str(harness.free_ports()), "-nostdin",
         "-max_recv_loops", "10000", "-max_sched_loops", "10000"],
        cwd=world.workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        preexec_fn=harness.die_with_parent)


def idle(fs: harness.ProjectFreeSwitch, timeout: float = 60) -> bool:
    return bool(harness.wait_for(lambda: fs.api("show channels count").strip().startswith("0 total"), timeout, 0.5))


def idle_all(setup: SetUp, timeout: float = 60) -> bool:
    return all(idle(fs, timeout) for fs in setup.switches())


def stat_counts(path: Path) -> tuple[int, int]:
    """(successful, failed) calls from SIPp's statistics file, its last line."""
    with path.open() as stream:
        rows = list(csv.reader(stream, delimiter=";"))
    header, last = rows[0], rows[-1]
    return int(last[header.index("SuccessfulCall(C)")]), int(last[header.index("FailedCall(C)")])


IDLE_SECONDS = 3.0
SETTLE_SECONDS = 1.0


def _settled(used, idle_rate: dict[str, float]) -> dict[str, float]:
    """CPU used once no process uses more than 1 % of a core over its idle share for SETTLE_SECONDS (at
    most 30 s)."""
    last, deadline = used(), time.perf_counter() + 30
    while True:
        time.sleep(SETTLE_SECONDS)
        now = used()
        if all(now[name] - last[name] < (0.01 + idle_rate[name]) * SETTLE_SECONDS for name in now) \
                or time.perf_counter() > deadline:
            return now
        last = now


def carrier_run(setup: SetUp, rate: float, seconds: float, number: int) -> Run:
    """`rate` calls/s for `seconds` from a SIPp carrier; every call's INVITE -> 200 and the CPU used."""
    folder = setup.folder / f"run{number}-{rate:g}"
    folder.mkdir()
    scenario = folder / "carrier.xml"
    scenario.write_text(CARRIER)
    calls = max(1, int(rate * seconds))
    command = [harness.SIPP, "-sf", str(scenario), "-i", HOST, "-bind_local", "-p", str(harness.free_ports()),
               "-mi", HOST, "-mp", str(harness.free_ports(4)), "-ci", HOST, "-cp", str(harness.free_ports()),
               "-nostdin", "-s", DID, "-r", f"{rate:g}", "-m", str(calls), "-l", str(max(50, int(rate * 10))),
               "-trace_stat", "-stf", str(folder / "stat.csv"), "-fd", "1", "-trace_rtt", "-rtt_freq", "1",
               "-recv_timeout", "15000", "-timeout", f"{int(seconds) + 60}s", "-max_recv_loops", "10000",
               "-max_sched_loops", "10000", setup.carrier_target()]
    pids = setup.processes()

    def used() -> dict[str, float]:
        return {name: sum(cpu_seconds(pid) for pid in group if Path(f"/proc/{pid}").exists()) for name, group in pids.items()}

    idle_from, idle_at = used(), time.perf_counter()
    time.sleep(IDLE_SECONDS)  # what each process uses with no call up (timers, heartbeats), over the same clock
    before = used()
    started = time.perf_counter()
    idle_rate = {name: (before[name] - idle_from[name]) / (started - idle_at) for name in pids}
    subprocess.run(command, cwd=folder, stdin=subprocess.DEVNULL, capture_output=True, timeout=seconds + 120,
                   preexec_fn=harness.die_with_parent)
    wall = time.perf_counter() - started
    after = used()
    run = Run(rate, calls, seconds=wall, cpu={name: (after[name] - before[name]) / wall * 100 for name in pids},
              idle_cpu={name: share * 100 for name, share in idle_rate.items()})
    # the calls' work goes on after the last one: hang-ups, CDR posts, the bridge's last batches
    idle_all(setup)
    settled = _settled(used, idle_rate)
    elapsed = time.perf_counter() - started
    try:
        run.succeeded, run.failed = stat_counts(folder / "stat.csv")
    except (OSError, ValueError, IndexError):
        run.failed = calls
    if run.succeeded:
        run.cpu_ms_per_call = {name: max(0.0, settled[name] - before[name] - idle_rate[name] * elapsed) * 1000 / run.succeeded
                               for name in pids}
    for path in folder.glob("*_rtt.csv"):
        with path.open() as stream:
            for row in csv.reader(stream, delimiter=";"):
                try:
                    run.rtts_ms.append(float(row[1]))
                except (ValueError, IndexError):
                    pass  # the header
    return run


@dataclass
class Figures:
    setup: SetUp
    clean_rate: Optional[float] = None
    first_failing: Optional[Run] = None
    latency: Optional[Run] = None
    generations: tuple[Optional[int], Optional[int]] = (None, None)
    answered: int = 0


CGROUP_V1, CGROUP_V2 = Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup")
PERIOD_US = 100_000


def cap_cpu(pids: list[int], share: float, name: str) -> Optional[Path]:
    """Put `pids` (every thread of each) in a new cgroup allowed `share` of one core; None where this
    machine has no writable cpu controller. A switch capped this way stands for a switch with a machine
    of its own: two capped switches have twice the switch CPU of one, whatever the load generators,
    Kamailio and the app take beside them on a small machine."""
    quota = str(max(1000, int(share * PERIOD_US)))
    for root, write in ((CGROUP_V2, lambda g: (g / "cpu.max").write_text(f"{quota} {PERIOD_US}")),
                        # FreeSWITCH runs some threads with a real-time policy: a v1 group refuses
                        # them unless it has a real-time budget of its own
                        (CGROUP_V1, lambda g: ((g / "cpu.cfs_period_us").write_text(str(PERIOD_US)),
                                               (g / "cpu.cfs_quota_us").write_text(quota),
                                               (g / "cpu.rt_runtime_us").write_text(str(int(share * 400_000)))))):
        marker = "cgroup.controllers" if root == CGROUP_V2 else "cpu.cfs_quota_us"
        if not (root / marker).exists() or (root == CGROUP_V2 and "cpu" not in (root / marker).read_text().split()):
            continue
        group = root / f"callplan-bench-{name}-{os.getpid()}"
        try:
            group.mkdir(exist_ok=True)
            write(group)
            for pid in pids:
                (group / "cgroup.procs").write_text(str(pid))
            return group
        except OSError as error:
            print(f"   cgroup {group}: {error}", flush=True)
            continue
    return None


def uncap(groups: list[Path]) -> None:
    for group in groups:
        try:
            group.rmdir()  # empty once its processes ended
        except OSError:
            pass


def measure(setup: SetUp, args) -> Figures:
    figures = Figures(setup)
    print(f"\n== {setup.name}: {setup.description}", flush=True)
    fs = setup.start()
    groups: list[Path] = []
    if args.switch_cpu:
        for index, switch in enumerate(setup.switches()):
            group = cap_cpu([switch.process.pid], args.switch_cpu, f"{setup.name}{index + 1}")
            if group is None:
                setup.stop()
                raise SystemExit("--switch-cpu needs a writable cgroup cpu controller (run as root on Linux)")
            groups.append(group)
        print(f"   each FreeSWITCH capped at {args.switch_cpu:g} of a core ({len(groups)} switch(es))", flush=True)
    try:
        status = harness.register(setup.folder, fs, setup.world.device, setup.world.domain, setup.world.password,
                                  expires=3600, contact_port=setup.world.phone_port, target=setup.phone_target())
        assert status == [200], f"the phone did not register: {status}\n{fs.log_tail(60)}"
        number = 0
        warm = carrier_run(setup, 2, 3, number)  # first fetches build the caches; not counted
        if not warm.clean:
            raise RuntimeError(f"warm-up calls failed ({warm.failed} of {warm.calls}):\n{fs.log_tail(80)}")
        idle_all(setup)
        figures.generations = (setup.generation(), None)
        number += 1
        figures.latency = carrier_run(setup, args.latency_rate, args.latency_seconds, number)
        figures.answered += figures.latency.succeeded
        print(f"   {args.latency_rate:g} calls/s for {args.latency_seconds:g} s: {figures.latency.succeeded} answered, "
              f"{figures.latency.failed} failed; INVITE->200 median {pct(figures.latency.rtts_ms, 0.5):.1f} ms, "
              f"p99 {pct(figures.latency.rtts_ms, 0.99):.1f} ms", flush=True)
        print(f"   CPU ms per call: {per_call(figures.latency)}", flush=True)
        for rate in args.rates:
            if not idle_all(setup):
                print("   calls still up after a minute; stopping the search", flush=True)
                break
            number += 1
            run = carrier_run(setup, rate, args.seconds, number)
            run.max_p99_ms = args.max_p99_ms
            figures.answered += run.succeeded
            print(f"   {rate:g} calls/s for {args.seconds:g} s: {run.succeeded} answered, {run.failed} failed "
                  f"(INVITE->200 p99 {pct(run.rtts_ms, 0.99):.0f} ms)", flush=True)
            if not run.clean:
                figures.first_failing = run
                break
            figures.clean_rate = rate
        idle_all(setup)
        figures.generations = (figures.generations[0], setup.generation())
    finally:
        setup.stop()
        uncap(groups)
    return figures


def per_call(run: Run) -> str:
    """CPU ms per answered call of each process, and their sum."""
    if not run.cpu_ms_per_call:
        return "no call answered"
    parts = [f"{name} {ms:.1f}" for name, ms in run.cpu_ms_per_call.items()]
    idle = ", ".join(f"{name} {share:.1f} %" for name, share in run.idle_cpu.items())
    return " + ".join(parts) + f" = {sum(run.cpu_ms_per_call.values()):.1f} ms (idle, % of one core: {idle})"


def report(results: list[Figures], args) -> bool:
    print(f"\n{'set-up':<8} {'clean rate':>12} {'median ms':>10} {'p99 ms':>8}   CPU at {args.latency_rate:g} calls/s "
          "(% of one core)")
    for figures in results:
        latency = figures.latency
        clean = f"{figures.clean_rate:g}/s" if figures.clean_rate else \
            f"< {args.rates[0]:g}/s" if args.rates else "not searched"
        if figures.first_failing is None and figures.clean_rate:
            clean = f">= {figures.clean_rate:g}/s"
        cpu = " + ".join(f"{name} {share:.0f} %" for name, share in latency.cpu.items())
        print(f"{figures.setup.name:<8} {clean:>12} {pct(latency.rtts_ms, 0.5):>10.1f} {pct(latency.rtts_ms, 0.99):>8.1f}   "
              f"{cpu}")
        print(f"{'':<8} CPU ms per call: {per_call(latency)}")
        first, last = figures.generations
        if first is not None:
            print(f"{'':<8} configuration generation {first} -> {last} over {figures.answered} answered calls")
    by_name = {figures.setup.name: figures for figures in results}
    ok = True
    if "static" in by_name and "app" in by_name:
        static, app = by_name["static"], by_name["app"]
        if static.clean_rate and app.clean_rate is not None:
            ratio = app.clean_rate / static.clean_rate
            verdict = "ok" if ratio >= TARGET_RATE_RATIO else "MISSED"
            print(f"app clean rate / static: {ratio:.2f} (target >= {TARGET_RATE_RATIO}: {verdict})")
            ok = ok and ratio >= TARGET_RATE_RATIO
        if static.latency.cpu_ms_per_call and app.latency.cpu_ms_per_call:
            alone, with_app = static.latency.cpu_ms_per_call, app.latency.cpu_ms_per_call
            print(f"CPU ms per call: static {sum(alone.values()):.1f}, app {sum(with_app.values()):.1f} "
                  f"(x{sum(with_app.values()) / max(0.001, sum(alone.values())):.2f}; FreeSWITCH "
                  f"{alone.get('FreeSWITCH', 0):.1f} -> {with_app.get('FreeSWITCH', 0):.1f})")
        added = pct(app.latency.rtts_ms, 0.5) - pct(static.latency.rtts_ms, 0.5)
        verdict = "ok" if added <= TARGET_ADDED_MEDIAN_MS else "MISSED"
        print(f"added median INVITE->200 at {args.latency_rate:g} calls/s: {added:+.1f} ms "
              f"(target <= {TARGET_ADDED_MEDIAN_MS:g}: {verdict})")
        ok = ok and added <= TARGET_ADDED_MEDIAN_MS
    if "bare" in by_name and "app" in by_name:
        bare, app = by_name["bare"], by_name["app"]
        if bare.clean_rate and app.clean_rate is not None:
            print(f"app clean rate / bare (HTTP alone): {app.clean_rate / bare.clean_rate:.2f}")
        print(f"median INVITE->200 at {args.latency_rate:g} calls/s: app {pct(app.latency.rtts_ms, 0.5) - pct(bare.latency.rtts_ms, 0.5):+.1f} ms "
              f"over bare" + (f", bare {pct(bare.latency.rtts_ms, 0.5) - pct(by_name['static'].latency.rtts_ms, 0.5):+.1f} ms over static"
                              if "static" in by_name else ""))
    if "edge" in by_name and "app" in by_name:
        two, app = by_name["edge"], by_name["app"]
        if app.clean_rate and two.clean_rate is not None:
            ratio = two.clean_rate / app.clean_rate
            verdict = "ok" if ratio >= TARGET_TWO_SWITCHES else "MISSED"
            capped = " (the highest rate tried: raise --rates)" if two.first_failing is None else ""
            print(f"two switches behind the edge / one: {ratio:.2f}{capped} (target >= {TARGET_TWO_SWITCHES}: {verdict})")
            ok = ok and ratio >= TARGET_TWO_SWITCHES
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setups", default=",".join(SETUPS), help=f"comma-separated, of {', '.join(SETUPS)}")
    parser.add_argument("--rates", default="15,20,25,30,40,50,60,70,80,100,120,150,180,210,250,300",
                        help="calls/s tried in this order until one has a failed call; \"\" tries none (the "
                             "--latency-rate run alone: CPU per call, which other load moves far less)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long each rate is tried")
    parser.add_argument("--latency-rate", type=float, default=10.0)
    parser.add_argument("--latency-seconds", type=float, default=20.0)
    parser.add_argument("--postgres", action="store_true", help="the app on a throw-away database on 127.0.0.1:5432")
    parser.add_argument("--max-p99-ms", type=float, default=0.0,
                        help="a rate is clean only if its INVITE -> 200 p99 stays under this too (0: no failed "
                             "call is enough); a capped switch queues calls rather than failing them")
    parser.add_argument("--switch-cpu", type=float, default=0.0,
                        help="cap each FreeSWITCH at this share of one core (a cgroup), so that on a machine "
                             "with fewer cores than switches the switches, not the load generators, set the "
                             "rate: two capped switches stand for two machines (#19's two / one)")
    parser.add_argument("--keep", action="store_true", help="keep the working folder (logs) and print it")
    args = parser.parse_args(argv)
    args.rates = [float(rate) for rate in args.rates.split(",") if rate.strip()]  # "": CPU per call only
    missing = harness.missing_tools()
    if missing:
        print(f"needs FreeSWITCH and SIPp: {missing}")
        return 2
    names = [name.strip() for name in args.setups.split(",") if name.strip()]
    unknown = [name for name in names if name not in SETUPS]
    if unknown:
        parser.error(f"unknown set-up(s): {', '.join(unknown)}")

    workdir = Path(tempfile.mkdtemp(prefix="bench-switch-load-"))
    pg_name = None
    phone = None
    try:
        if args.postgres:
            import psycopg

            pg_name = f"callplan_bench_{os.getpid()}"
            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{pg_name}"')
            url = f"postgresql://postgres@127.0.0.1:5432/{pg_name}"
        else:
            url = f"sqlite:///{workdir / 'callplan.sqlite3'}"
        print(f"load now: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
              f"({os.cpu_count()} CPUs; FreeSWITCH, SIPp, the app and the bridge share them)")
        from web.__main__ import quiet_setup

        with quiet_setup():  # the demo's own requests, its cache flushes with no FreeSWITCH to take them
            world = make_world(workdir, url)
        phone = start_phone(world)
        print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; the demo company and a plan on {DID}: "
              f"time condition (always open) -> ring group (simultaneous) -> one phone answering at once; "
              f"1-second calls, no RTP")
        results = [measure(SETUPS[name](world), args) for name in names]
        ok = report(results, args)
        print(f"load at the end: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
        return 0 if ok else 1
    finally:
        if phone is not None:
            phone.terminate()
            phone.wait(timeout=10)
        if args.keep:
            print(f"working folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        if pg_name:
            import psycopg

            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
