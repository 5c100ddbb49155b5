"""A real FreeSWITCH for tests: a minimal configuration in a temporary directory, the compiled call
plans as its dialplan, SIPp phones on fixed addresses, and an event-socket client that reads back the
steps each call took (the `push cp_path=<plan>:<version>:<step>` marks the compiler emits).

Everything listens on 127.0.0.1 on ports picked free at start; nothing of FreeSWITCH's own installed
configuration is used (`-conf` points at the generated directory)."""

from __future__ import annotations

import ctypes
import os
import random
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

FREESWITCH = shutil.which("freeswitch")
SIPP = shutil.which("sipp")
SCENARIOS = Path(__file__).parent / "scenarios"
PCAP_DIR = Path("/usr/share/sip-tester")  # Debian's sip-tester ships the RFC 2833 DTMF captures
HOST = "127.0.0.1"
PROFILE = "cptest"
ESL_PASSWORD = "ClueCon"
MODULES = ("mod_logfile", "mod_event_socket", "mod_sofia", "mod_commands", "mod_dptools", "mod_dialplan_xml",
           "mod_sndfile", "mod_native_file", "mod_tone_stream", "mod_loopback")


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, every: float = 0.2):
    """Poll `predicate` until it returns something truthy (returned) or `timeout` seconds pass (None):
    FreeSWITCH, SIPp and the bridge all act in their own time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    return None


def missing_tools() -> Optional[str]:
    missing = [name for name, path in (("freeswitch", FREESWITCH), ("sipp", SIPP)) if path is None]
    if missing:
        return f"not on PATH: {', '.join(missing)}"
    if not (PCAP_DIR / "dtmf_2833_1.pcap").exists():
        return f"no DTMF captures in {PCAP_DIR} (Debian package sip-tester)"
    return None


# -- processes and ports --------------------------------------------------------------------------------


_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded here: the child after fork only makes the call
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In the child before exec: be killed when the test process dies, even by SIGKILL or a timeout,
    so no FreeSWITCH or SIPp outlives the run."""
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _free(port: int, kinds=(socket.SOCK_DGRAM, socket.SOCK_STREAM)) -> bool:
    sockets = []
    try:
        for kind in kinds:
            sock = socket.socket(socket.AF_INET, kind)
            sockets.append(sock)
            sock.bind((HOST, port))
        return True
    except OSError:
        return False
    finally:
        for sock in sockets:
            sock.close()


# ports handed out by this process, oldest first (a dict keeps insertion order)
_taken: dict[int, None] = {}


def _port_range() -> range:
    """10000-16000, or this test process's own share of it when tests run side by side (pytest-xdist
    names the process gw0, gw1, ...): two processes never pick the same port between checking it and
    binding it."""
    worker, count = os.environ.get("PYTEST_XDIST_WORKER", ""), int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    share = (16000 - 10000) // max(count, 1) // 4 * 4
    return range(10000 + index * share, 10000 + (index + 1) * share, 4)


def free_ports(count: int = 1) -> int:
    """The first of `count` consecutive ports free for UDP and TCP (SIP and SIPp media use both or a
    run of ports); never one handed out before in this process. Below FreeSWITCH's RTP range (16384 up)
    and below the kernel's ephemeral range (32768 up here): a port from that range, free when checked,
    can be taken a moment later by any process's outgoing connection before FreeSWITCH binds it."""
    ports = _port_range()
    for attempt in range(4):
        for _ in range(2000):
            first = random.choice(ports)
            run = range(first, first + count)
            if not any(port in _taken for port in run) and all(_free(port) for port in run):
                _taken.update(dict.fromkeys(run))
                return first
        # every FreeSWITCH test runs in one process, whose share of the range runs out over a whole
        # suite: the oldest half of what it handed out belongs to tests long finished (a port still
        # bound is refused by _free anyway), so those may be handed out again
        for port in list(_taken)[: len(_taken) // 2]:
            del _taken[port]
    raise RuntimeError("no free port run found")


# -- the event socket -----------------------------------------------------------------------------------


def _parse_headers(text: str, decode: bool) -> dict[str, str]:
    headers = {}
    for line in text.split("\n"):
        if ":" in line:
            name, value = line.split(":", 1)
            value = value.strip()
            headers[name.strip()] = urllib.parse.unquote(value) if decode else value
    return headers


class EventSocket:
    """FreeSWITCH's inbound event socket: `auth`, `api`, `event plain ...`. One connection per use:
    `api()` on a connection that is not subscribed, events read by a thread on another."""

    def __init__(self, port: int, password: str = ESL_PASSWORD, timeout: float = 10):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self._buffer = b""
        frame, _ = self._frame()
        if frame.get("Content-Type") != "auth/request":
            raise RuntimeError(f"unexpected greeting {frame}")
        reply = self.command(f"auth {password}")
        if not reply.get("Reply-Text", "").startswith("+OK"):
            raise RuntimeError(f"auth refused: {reply}")

    def _read(self, size: int) -> bytes:
        while len(self._buffer) < size:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("event socket closed")
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _frame(self) -> tuple[dict[str, str], str]:
        while b"\n\n" not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("event socket closed")
            self._buffer += chunk
        head, self._buffer = self._buffer.split(b"\n\n", 1)
        headers = _parse_headers(head.decode(), decode=False)
        body = self._read(int(headers["Content-Length"])).decode(errors="replace") if "Content-Length" in headers else ""
        return headers, body

    def command(self, text: str) -> dict[str, str]:
        self.sock.sendall(text.encode() + b"\n\n")
        while True:
            headers, _ = self._frame()
            if headers.get("Content-Type") == "command/reply":
                return headers

    def api(self, text: str) -> str:
        self.sock.sendall(f"api {text}\n\n".encode())
        while True:
            headers, body = self._frame()
            if headers.get("Content-Type") == "api/response":
                return body

    def events(self, handler: Callable[[dict[str, str]], None]) -> None:
        """Read events until the connection closes, handing each (url-decoded headers) to `handler`."""
        self.sock.settimeout(None)
        try:
            while True:
                headers, body = self._frame()
                if headers.get("Content-Type") != "text/event-plain":
                    continue
                head, _, content = body.partition("\n\n")
                event = _parse_headers(head, decode=True)
                if content:
                    event["_body"] = content
                handler(event)
        except (ConnectionError, OSError):
            return

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


@dataclass
class Call:
    """One inbound call (A leg) as FreeSWITCH reported it."""

    uuid: str
    caller: str = ""
    marks: list[str] = field(default_factory=list)  # "<plan>:<version>:<step>", in the order executed
    applications: list[tuple[str, str]] = field(default_factory=list)
    hangup: dict[str, str] = field(default_factory=dict)  # the CHANNEL_HANGUP_COMPLETE event
    custom: list[dict[str, str]] = field(default_factory=list)  # callplan::email events of this call

    def path_variable(self) -> list[str]:
        """cp_path as the channel held it at hang-up: push makes it "ARRAY::a|:b" (or plain for one)."""
        value = self.hangup.get("variable_cp_path", "")
        if value.startswith("ARRAY::"):
            return value[len("ARRAY::"):].split("|:")
        return [value] if value else []


class Calls:
    """Collects CHANNEL_EXECUTE / CHANNEL_HANGUP_COMPLETE / CUSTOM callplan::email per inbound channel."""

    def __init__(self):
        self.by_uuid: dict[str, Call] = {}
        self._lock = threading.Condition()

    def handle(self, event: dict[str, str]) -> None:
        if event.get("Call-Direction") != "inbound":
            return  # B legs run no dialplan
        uuid = event.get("Unique-ID", "")
        with self._lock:
            call = self.by_uuid.setdefault(uuid, Call(uuid))
            call.caller = call.caller or event.get("Caller-Caller-ID-Number", "")
            name = event.get("Event-Name")
            if name == "CHANNEL_EXECUTE":
                application, data = event.get("Application", ""), event.get("Application-Data", "")
                call.applications.append((application, data))
                if application == "push" and data.startswith("cp_path="):
                    call.marks.append(data[len("cp_path="):])
            elif name == "CHANNEL_HANGUP_COMPLETE":
                call.hangup = event
            elif name == "CUSTOM" and event.get("Event-Subclass") == "callplan::email":
                call.custom.append(event)
            self._lock.notify_all()

    def wait_hangup(self, caller: str, timeout: float) -> Optional[Call]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for call in self.by_uuid.values():
                    if call.caller == caller and call.hangup:
                        return call
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._lock.wait(left)


# -- FreeSWITCH -----------------------------------------------------------------------------------------


def _sub(parent: ET.Element, tag: str, **attributes) -> ET.Element:
    return ET.SubElement(parent, tag, {key.rstrip("_"): str(value) for key, value in attributes.items()})


def _params(parent: ET.Element, tag: str, **values) -> ET.Element:
    element = _sub(parent, tag)
    for name, value in values.items():
        _sub(element, "param", name=name.replace("_", "-"), value=value)
    return element


class SwitchProcess:
    """A running FreeSWITCH for tests: started on a configuration folder, ready once its SIP profiles
    run, its calls followed over the event socket (`calls`), its log at hand, stopped with the test.
    Subclasses say how it is configured (`command`, `env`) and when it is ready (`ready`)."""

    EVENTS = "CHANNEL_EXECUTE CHANNEL_HANGUP_COMPLETE"

    def __init__(self, base: Path, esl_port: int, password: str, dirs: dict[str, Path]):
        self.base = base
        self.esl_port = esl_port
        self.password = password
        self.dirs = dirs
        self.process: Optional[subprocess.Popen] = None
        self.calls = Calls()
        self._events: Optional[EventSocket] = None

    @property
    def log_path(self) -> Path:
        return self.dirs["log"] / "freeswitch.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> Optional[dict[str, str]]:
        return None  # the test process's own

    def ready(self, sofia_status: str) -> bool:
        raise NotImplementedError

    def launch(self) -> subprocess.Popen:
        """Start the FreeSWITCH process, its output into `self.stdout`; a subclass may start it otherwise."""
        command = [FREESWITCH, "-nonat", "-nonatmap", "-nf", "-nc", *self.command()]
        for name, path in self.dirs.items():
            command += [f"-{name}", str(path)]
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self.stdout, stderr=subprocess.STDOUT,
                                env=self.env(), start_new_session=True, preexec_fn=die_with_parent)

    def start(self, timeout: float = 30) -> None:
        for path in self.dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        self.stdout = open(self.base / "stdout.txt", "wb")
        self.process = self.launch()
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"freeswitch exited with {self.process.returncode}\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"freeswitch not ready within {timeout} s\n{self.log_tail()}")
            try:
                if self.ready(self.api("sofia status")):
                    break
            except (OSError, RuntimeError):  # the event socket is not listening yet
                pass
            time.sleep(0.2)
        self._events = EventSocket(self.esl_port, self.password)
        reply = self._events.command(f"event plain {self.EVENTS}")
        assert reply.get("Reply-Text", "").startswith("+OK"), reply
        threading.Thread(target=self._events.events, args=(self.calls.handle,), daemon=True).start()

    def api(self, command: str) -> str:
        connection = EventSocket(self.esl_port, self.password)
        try:
            return connection.api(command)
        finally:
            connection.close()

    def stop(self) -> None:
        if self._events:
            self._events.close()
        if self.process and self.process.poll() is None:
            try:
                self.api("fsctl shutdown")
                self.process.wait(timeout=15)
            except Exception:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if getattr(self, "stdout", None):
            self.stdout.close()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 400) -> str:
        text = self.log_text() or (self.base / "stdout.txt").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def call_log(self, call: Optional[Call]) -> str:
        """The log from the call's first line to its last (mod_logfile prefixes a channel's lines with its
        uuid; lines logged outside the channel, such as a file module's errors, sit in between)."""
        if call is None:
            return self.log_tail()
        lines = self.log_text().splitlines()
        mine = [index for index, line in enumerate(lines) if line.startswith(call.uuid)]
        return "\n".join(lines[mine[0]:mine[-1] + 1]) if mine else self.log_tail()


class FreeSwitch(SwitchProcess):
    """A FreeSWITCH process with a generated configuration: one SIP profile whose calls enter the
    context `domain`, that context made of the compiled plan documents, a directory of `users` (extension
    -> dial string), an event socket."""

    def __init__(self, base: Path, domain: str, documents: list[str], users: dict[str, str], *,
                 gateways: dict[str, str] | None = None, configuration: list[ET.Element] = (),
                 modules: tuple[str, ...] = ()):
        self.domain = domain
        self.documents = documents
        self.users = users
        self.gateways = gateways or {}  # name -> proxy host:port (no registration)
        self.configuration = list(configuration)  # more <configuration> elements (callcenter.conf, ...)
        self.modules = MODULES + tuple(modules)
        self.sip_port = free_ports()
        super().__init__(base, free_ports(), ESL_PASSWORD, {name: base / name for name in (
            "conf", "log", "db", "run", "temp", "storage", "cache", "sounds", "recordings")})

    # -- configuration --

    def config(self) -> ET.Element:
        root = ET.Element("document", {"type": "freeswitch/xml"})
        configuration = _sub(root, "section", name="configuration")

        switch = _sub(configuration, "configuration", name="switch.conf")
        # the port allocator checks an RTP port is free before using it: other FreeSWITCH may run
        _params(switch, "settings", max_sessions=100, sessions_per_second=100, loglevel="debug",
                rtp_start_port=20000, rtp_end_port=29998, rtp_port_usage_robustness="true",
                dialplan_timestamps="false")

        modules = _sub(_sub(configuration, "configuration", name="modules.conf"), "modules")
        for module in self.modules:
            _sub(modules, "load", module=module)

        logfile = _sub(configuration, "configuration", name="logfile.conf")
        _params(logfile, "settings", rotate_on_hup="true")
        profile = _sub(_sub(logfile, "profiles"), "profile", name="default")
        _params(profile, "settings", logfile=self.log_path, rollover=0, uuid="true")
        _sub(_sub(profile, "mappings"), "map", name="all", value="debug,info,notice,warning,err,crit,alert")

        _params(_sub(configuration, "configuration", name="event_socket.conf"), "settings", nat_map="false",
                listen_ip=HOST, listen_port=self.esl_port, password=ESL_PASSWORD)

        sofia = _sub(configuration, "configuration", name="sofia.conf")
        _params(sofia, "global_settings", log_level=0)
        profile = _sub(_sub(sofia, "profiles"), "profile", name=PROFILE)
        _params(profile, "settings",
                context=self.domain, dialplan="XML", sip_ip=HOST, rtp_ip=HOST, ext_sip_ip=HOST, ext_rtp_ip=HOST,
                sip_port=self.sip_port, auth_calls="false", accept_blind_reg="false",
                inbound_codec_prefs="PCMU,PCMA", outbound_codec_prefs="PCMU,PCMA",
                dtmf_type="rfc2833", rfc2833_pt=101, manage_presence="false", debug=0)
        gateways = _sub(profile, "gateways")
        for name, proxy in self.gateways.items():
            gateway = _sub(gateways, "gateway", name=name)
            for param, value in (("proxy", proxy), ("register", "false"), ("caller-id-in-from", "true")):
                _sub(gateway, "param", name=param, value=value)
        configuration.extend(self.configuration)

        dialplan = _sub(root, "section", name="dialplan")
        context = _sub(dialplan, "context", name=self.domain)
        for document in self.documents:
            # Each compiled plan is a context named after the tenant's domain: their extensions are
            # merged into one context, which is what the app serves for the tenant.
            compiled = ET.fromstring(document).find("section/context")
            assert compiled is not None and compiled.get("name") == self.domain
            context.extend(list(compiled))

        directory = _sub(root, "section", name="directory")
        domain = _sub(directory, "domain", name=self.domain)
        users = _sub(_sub(_sub(domain, "groups"), "group", name="default"), "users")
        for extension, dial_string in self.users.items():
            user = _sub(users, "user", id=extension)
            _params(user, "params", dial_string=dial_string)
        return root

    def write_config(self) -> Path:
        for path in self.dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        target = self.dirs["conf"] / "freeswitch.xml"
        target.write_text(ET.tostring(self.config(), encoding="unicode"))
        return target

    # -- process --

    EVENTS = "CHANNEL_EXECUTE CHANNEL_HANGUP_COMPLETE CUSTOM callplan::email"

    def command(self) -> list[str]:
        self.write_config()
        return ["-nocal"]

    def ready(self, sofia_status: str) -> bool:
        return re.search(rf"^\s*{PROFILE}\s+profile\s.*RUNNING", sofia_status, re.M) is not None


# -- SIPp -----------------------------------------------------------------------------------------------


def sipp_command(scenario: str, port: int, media_port: int, messages: Path) -> list[str]:
    """SIPp bound to 127.0.0.1 for SIP, media and its remote-control socket (which otherwise listens
    on every address, port 8888 and up), logging every SIP message it sends and receives."""
    return [SIPP, "-sf", str(SCENARIOS / f"{scenario}.xml"), "-i", HOST, "-bind_local", "-p", str(port),
            "-mi", HOST, "-mp", str(media_port), "-ci", HOST, "-cp", str(free_ports()), "-nostdin",
            "-trace_msg", "-message_file", str(messages)]


class Phone:
    """A SIPp UAS on a fixed address that answers every INVITE the same way (busy, ring, answer)."""

    def __init__(self, base: Path, scenario: str):
        self.scenario = scenario
        self.port = free_ports()
        self.media_port = free_ports(4)
        self.messages = base / f"uas-{scenario}-{self.port}.log"
        self.output = open(base / f"uas-{scenario}-{self.port}.out", "wb")
        self.process = subprocess.Popen(
            sipp_command(scenario, self.port, self.media_port, self.messages),
            stdin=subprocess.DEVNULL, stdout=self.output, stderr=subprocess.STDOUT, cwd=base,
            preexec_fn=die_with_parent)

    def dial_string(self, extension: str) -> str:
        return f"sofia/{PROFILE}/sip:{extension}@{HOST}:{self.port}"

    def received(self) -> str:
        try:
            return self.messages.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.output.close()


def sip_messages(log: str) -> list[tuple[str, str]]:
    """SIPp's -trace_msg log as (direction "sent"/"received", message text), in order."""
    messages = []
    for block in re.split(r"^-{20,} .*$", log, flags=re.M):
        match = re.match(r"\s*\S+ message (sent|received)[^\n]*\n\s*\n(.*)", block, re.S)
        if match:
            messages.append((match.group(1), match.group(2).strip()))
    return messages


@dataclass
class UacResult:
    returncode: int
    messages: str
    output: str

    def responses(self) -> list[int]:
        """Status codes of the responses received to our INVITE, in order."""
        return [int(text.split()[1]) for direction, text in sip_messages(self.messages)
                if direction == "received" and text.startswith("SIP/2.0 ")
                and re.search(r"^CSeq:\s*\d+ INVITE", text, re.M | re.I)]

    def received_bye(self) -> bool:
        return any(direction == "received" and text.startswith("BYE ") for direction, text in sip_messages(self.messages))


DTMF_SCENARIOS = {0: "uac", 1: "uac_dtmf", 2: "uac_dtmf2"}
CAPTURE_ORDER = "123456789*#"


def dtmf_capture(key: str) -> str:
    return f"dtmf_2833_{ {'*': 'star', '#': 'pound'}.get(key, key)}.pcap"


DTMF_EVENTS = {**{str(digit): digit for digit in range(10)}, "*": 10, "#": 11}


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def dtmf_pcap(path: Path, presses: list[tuple[float, str]]) -> Path:
    """An RFC 2833 capture (pcap, Ethernet/IPv4/UDP/RTP, payload type 101) of keys pressed at the given
    seconds from its start, each held 140 ms, for SIPp's play_pcap_audio: any number of keys in any
    order (sip-tester's captures are one key each, and only go up; see `call`). Sequence numbers and
    timestamps rise through the whole capture, so FreeSWITCH takes every key as a new event."""
    ssrc, sequence, out = 0x0E05384E, 0x1F30, []
    for at, key in presses:
        stamp = (0x33E0 + int(at * 8000)) & 0xFFFFFFFF  # as the captures (a first event at timestamp 0 went unnoticed in a try)
        # as the captures: 7 updates 20 ms apart (the first marked), then the end packet sent three times
        packets = [(False, 160 * n, n == 0, at + 0.02 * n) for n in range(7)] + [(True, 1120, False, at + 0.14)] * 3
        for index, (end, duration, marker, moment) in enumerate(packets):
            rtp = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | 101, sequence & 0xFFFF, stamp, ssrc)
            rtp += struct.pack("!BBH", DTMF_EVENTS[key], (0x80 if end else 0) | 10, duration)
            sequence += 0 if end and index < len(packets) - 1 else 1
            udp_length = 8 + len(rtp)
            source, target = bytes([192, 168, 0, 3]), bytes([192, 168, 0, 1])
            pseudo = source + target + struct.pack("!BBH", 0, 17, udp_length)
            udp = struct.pack("!HHHH", 49176, 10000, udp_length, 0) + rtp
            udp = udp[:6] + struct.pack("!H", _checksum(pseudo + udp) or 0xFFFF) + udp[8:]
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_length, (sequence + index) & 0xFFFF, 0, 64, 17, 0,
                             source, target)
            ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
            frame = bytes.fromhex("0050bf990336000d8714ac240800") + ip + udp
            seconds, micros = int(moment), int(round((moment - int(moment)) * 1e6))
            out.append(struct.pack("<IIII", 1_134_424_480 + seconds, micros, len(frame), len(frame)) + frame)
    path.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1) + b"".join(out))
    return path


def call(base: Path, fs: FreeSwitch, number: str, caller: str, *, caller_name: str = "Alice", press: str = "",
         timeout: float = 30, dtmf: Optional[list[tuple[float, str]]] = None) -> UacResult:
    """One call from a SIPp UAC to `number` as `caller`; blocks until SIPp is done. Answered, the UAC
    streams silence.ulaw in a loop and presses the keys in `press` (up to two, RFC 2833): the
    scenario plays DTMF.pcap and DTMF2.pcap, linked in SIPp's directory to sip-tester's captures."""
    scenario = DTMF_SCENARIOS[1 if dtmf else len(press)]
    # sip-tester's captures come from one recording: from 1 to 9, *, # each starts at a higher RTP
    # sequence number and timestamp than the one before. Played out of that order, FreeSWITCH never
    # reports the later key (it is older than the event it has seen), so keys must go up.
    assert len(press) < 2 or (set(press) <= set(CAPTURE_ORDER) and list(press) == sorted(press, key=CAPTURE_ORDER.index)), \
        f"keys {press!r} out of capture order {CAPTURE_ORDER}"
    workdir = base / f"uac-{caller}"
    workdir.mkdir()
    (workdir / "silence.ulaw").write_bytes(b"\xff" * 8000)  # one second of G.711 u-law silence
    for name, key in zip(("DTMF.pcap", "DTMF2.pcap"), press):
        (workdir / name).symlink_to(PCAP_DIR / dtmf_capture(key))
    if dtmf:  # any keys at any moments: one generated capture, played 0.5 s after the answer
        dtmf_pcap(workdir / "DTMF.pcap", dtmf)
    messages = workdir / "messages.log"
    command = sipp_command(scenario, free_ports(), free_ports(4), messages) + [
        f"{HOST}:{fs.sip_port}", "-s", number, "-m", "1", "-key", "caller", caller, "-key", "caller_name", caller_name,
        "-timeout", f"{int(timeout)}s", "-timeout_error", "-recv_timeout", "20000"]
    process = subprocess.run(command, cwd=workdir, stdin=subprocess.DEVNULL, capture_output=True,
                             timeout=timeout + 10, preexec_fn=die_with_parent)
    text = messages.read_text(errors="replace") if messages.exists() else ""
    return UacResult(process.returncode, text, (process.stdout + process.stderr).decode(errors="replace")[-3000:])


# -- the project's own configuration (freeswitch/) -----------------------------------------------------

PROJECT_CONFIG = Path(__file__).resolve().parents[2] / "freeswitch"
# FreeSWITCH's phrase macros, wherever its build or package installed them (the configuration includes
# them; mod_voicemail needs them)
FS_LANG_DIR = str(next((path for path in (
    *([Path(FREESWITCH).resolve().parents[1] / "etc/freeswitch/lang"] if FREESWITCH else []),
    Path("/etc/freeswitch/lang"), Path("/usr/share/freeswitch/lang")) if path.is_dir()), "/etc/freeswitch/lang"))


class ProjectFreeSwitch(SwitchProcess):
    """FreeSWITCH on a copy of the repository's freeswitch/ folder, configured only by environment."""

    def __init__(self, base: Path, env: dict[str, str]):
        self.conf = base / "conf"  # a copy: a caller may change it before start()
        shutil.copytree(PROJECT_CONFIG, self.conf)
        self.settings = env
        super().__init__(base, int(env["CALLPLAN_ESL_PORT"]), env["CALLPLAN_ESL_PASSWORD"],
                         {name: base / name for name in ("log", "db", "run", "temp", "storage", "cache", "sounds",
                                                         "recordings")})

    def command(self) -> list[str]:
        return ["-conf", str(self.conf)]

    def env(self) -> dict[str, str]:
        # Nothing of the developer's own CALLPLAN_* settings leaks in: only what the test sets.
        return {key: value for key, value in os.environ.items() if not key.startswith("CALLPLAN_")} | self.settings

    def ready(self, sofia_status: str) -> bool:
        return len(re.findall(r"^\s*(internal|external)\s+profile\s.*RUNNING", sofia_status, re.M)) == 2

    def start(self, timeout: float = 40) -> None:
        super().start(timeout)


def register_sends(user: str, domain: str, password: str, expires: int = 120) -> str:
    """A SIPp phone's REGISTER pair: the first is challenged (401), the second answers with digest auth.
    Scenarios put this first and go on with what they expect after the second."""
    sends = []
    for cseq, auth in ((1, ""), (2, f"\n      [authentication username={user} password={password}]")):
        sends.append(f"""  <send retrans="500"><![CDATA[
      REGISTER sip:{domain} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{user}@{domain}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:{user}@{domain}>
      Call-ID: [call_id]
      CSeq: {cseq} REGISTER
      Contact: <sip:{user}@[local_ip]:[local_port]>{auth}
      Max-Forwards: 70
      Expires: {expires}
      User-Agent: SIPp-callplan-test
      Content-Length: 0

  ]]></send>
""")
    return sends[0] + '  <recv response="401" auth="true"/>\n' + sends[1]


def register_scenario(user: str, domain: str, password: str, expires: int = 120) -> str:
    """One REGISTER, done whatever the switch answers to the authenticated try. A second challenge to it
    is answered once more, as a phone does: mod_sofia keeps its nonces through its queued SQL, and under
    load the authenticated try can come before the challenge's nonce is written (stale: 401 again)."""
    pair = register_sends(user, domain, password, expires)
    again = pair[pair.index('  <send retrans="500">', 1):].replace("CSeq: 2 REGISTER", "CSeq: 3 REGISTER")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<scenario name="register">\n'
            + pair
            + """  <recv response="200" optional="true" next="done"/>
  <recv response="403" optional="true" next="done"/>
  <recv response="401" auth="true"/>
"""
            + again
            + """  <recv response="200" optional="true" next="done"/>
  <recv response="401" optional="true" next="done"/>
  <recv response="403" next="done"/>
  <label id="done"/>
</scenario>
""")


def register(work: Path, fs: Optional["ProjectFreeSwitch"], user: str, domain: str, password: str, *, expires: int = 120,
             call_id: Optional[str] = None, contact_port: Optional[int] = None, target: Optional[str] = None) -> list[int]:
    """One REGISTER with digest auth from a SIPp phone (this Expires, this Call-ID if given, the phone's
    Contact at `contact_port` (a SIPp UAS) if given) to the switch's internal profile, or to `target`
    (host:port, e.g. the SIP edge); the status codes of the authenticated try."""
    folder = work / f"register-{user}-{secrets.token_hex(3)}"
    folder.mkdir()
    scenario = folder / "register.xml"
    text = register_scenario(user, domain, password, expires)
    if contact_port is not None:
        text = text.replace("@[local_ip]:[local_port]>", f"@{HOST}:{contact_port}>")
    scenario.write_text(text)
    messages = folder / "messages.log"
    command = [SIPP, "-sf", str(scenario), "-i", HOST, "-bind_local", "-p", str(free_ports()),
               "-ci", HOST, "-cp", str(free_ports()), *(["-cid_str", call_id] if call_id else []),
               "-nostdin", "-m", "1", "-timeout", "20s", "-timeout_error", "-trace_msg", "-message_file", str(messages),
               target or f"{HOST}:{fs.settings['CALLPLAN_INTERNAL_SIP_PORT']}"]
    subprocess.run(command, cwd=folder, stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                   preexec_fn=die_with_parent)
    log = messages.read_text(errors="replace") if messages.exists() else ""
    codes = [int(text.split()[1]) for direction, text in sip_messages(log)
             if direction == "received" and text.startswith("SIP/2.0 ")
             and re.search(r"^CSeq:\s*[23] REGISTER", text, re.M | re.I)]
    return codes[-1:]  # the last authenticated try's (a stale challenge is answered once more)
