"""The repository's SIP edge (kamailio/) for tests and benches: Kamailio started by `kamailio/run` with
everything from the environment, as in production, on free ports of 127.0.0.1, in front of switches on
other loopback addresses (127.0.0.2, 127.0.0.3, ...: all of 127.0.0.0/8 answers on Linux without
setup). `states()` reads the dispatcher's view of the switches over Kamailio's control socket."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Optional

from tests.freeswitch.harness import HOST, die_with_parent, free_ports, wait_for

KAMAILIO = shutil.which("kamailio")
KAMCMD = shutil.which("kamcmd")
RUN = Path(__file__).resolve().parents[2] / "kamailio" / "run"
PHONE_SET, CARRIER_SET = 1, 2


def missing_kamailio() -> Optional[str]:
    missing = [name for name, path in (("kamailio", KAMAILIO), ("kamcmd", KAMCMD)) if path is None]
    return f"not on PATH: {', '.join(missing)} (Debian's package kamailio)" if missing else None


class Edge:
    """Kamailio on `kamailio/kamailio.cfg`: phones at `phone_port`, carriers at `carrier_port`, the switches
    given as (address, internal port, external port)."""

    def __init__(self, base: Path, switches: list[tuple[str, int, int]], **env: str):
        self.base = base
        self.run_dir = base / "run"
        self.switches = switches
        self.phone_port, self.carrier_port = free_ports(), free_ports()
        self.env = {
            "CALLPLAN_EDGE_IP": HOST,
            "CALLPLAN_INTERNAL_SIP_PORT": str(self.phone_port),
            "CALLPLAN_EXTERNAL_SIP_PORT": str(self.carrier_port),
            "CALLPLAN_EDGE_RUN_DIR": str(self.run_dir),
            "CALLPLAN_EDGE_SWITCHES": ",".join(f"{a}:{i}:{e}" for a, i, e in switches),
            "CALLPLAN_EDGE_WORKERS": "2",
            **env,
        }
        self.process: Optional[subprocess.Popen] = None
        self.log_path = base / "kamailio.log"

    @property
    def phone_address(self) -> str:
        return f"{HOST}:{self.phone_port}"

    @property
    def carrier_address(self) -> str:
        return f"{HOST}:{self.carrier_port}"

    def start(self, timeout: float = 20) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        env = {key: value for key, value in os.environ.items() if not key.startswith("CALLPLAN_")} | self.env
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen([str(RUN)], env=env, stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent)
        if not wait_for(lambda: self.process.poll() is not None or self._answers(), timeout) or self.process.poll() is not None:
            raise RuntimeError(f"kamailio did not start:\n{self.log_tail()}")

    def _answers(self) -> bool:
        try:
            return "kamailio" in self.rpc("core.version").lower()
        except (OSError, subprocess.SubprocessError, RuntimeError):
            return False

    def rpc(self, *command: str) -> str:
        result = subprocess.run([KAMCMD, "-s", f"unix:{self.run_dir / 'kamailio_ctl'}", *command],
                                capture_output=True, text=True, timeout=10)
        if result.returncode != 0:
            raise RuntimeError(result.stderr or result.stdout)
        return result.stdout

    def states(self, group: int = PHONE_SET) -> dict[str, str]:
        """address -> dispatcher flags of that switch in `group` ("AP" active and probed, "IP" inactive ...)"""
        found, current = {}, None
        for line in self.rpc("dispatcher.list").splitlines():
            line = line.strip()
            if line.startswith("ID:"):
                current = int(line.split(":", 1)[1])
            match = re.match(r"URI: sip:([^:;]+)", line)
            if match:
                uri = match.group(1)
            elif line.startswith("FLAGS:") and current == group:
                found[uri] = line.split(":", 1)[1].strip()
        return found

    def wait_states(self, wanted: dict[str, str], timeout: float = 20) -> dict[str, str]:
        """Wait until every address named has the flags' first letter wanted ("A" active, "I" inactive),
        in both sets; the states last seen."""
        def matches():
            phone, carrier = self.states(PHONE_SET), self.states(CARRIER_SET)
            return all(phone.get(a, "")[:1] == s and carrier.get(a, "")[:1] == s for a, s in wanted.items())
        wait_for(matches, timeout, 0.2)
        return self.states(PHONE_SET)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 80) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if getattr(self, "_log", None):
            self._log.close()


# -- SIPp through the edge ------------------------------------------------------------------------------

# A carrier's call through a proxy: INVITE (the response time runs from it to the 200), ACK and BYE along
# the route set the 200's Record-Route gave ([routes]), the call held `[hold]` ms.
CARRIER = """<?xml version="1.0" encoding="UTF-8"?>
<scenario name="carrier">
  <send retrans="500" start_rtd="1"><![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Carrier" <sip:0612[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:carrier@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=carrier 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 8 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:8 PCMA/8000
      a=rtpmap:101 telephone-event/8000
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="1" rrs="true"/>
  <send><![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: "Carrier" <sip:0612[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:carrier@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <pause milliseconds="[hold]"/>
  <send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: "Carrier" <sip:0612[call_number]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:carrier@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <recv response="200" crlf="true"/>
</scenario>
"""

# Whatever answers a call at once (a phone, or a stand-in for a switch): 200 with the Record-Route it got,
# so the caller's ACK and BYE come back along the same proxies. OPTIONS (the edge's probes) are answered
# by SIPp's -aa.
ANSWER = """<?xml version="1.0" encoding="UTF-8"?>
<scenario name="answer">
  <recv request="INVITE"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_Record-Route:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=answer 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
  ]]></send>
  <recv request="ACK"/>
  <recv request="BYE"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

  ]]></send>
</scenario>
"""


def sipp(folder: Path, scenario: str, address: str, *args: str) -> list[str]:
    """A SIPp command line on `address` (SIP, media and control sockets), its scenario written to
    `folder`; `-aa` answers OPTIONS, INFO, NOTIFY and UPDATE with 200."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "scenario.xml"
    path.write_text(scenario)
    from tests.freeswitch.harness import SIPP
    return [SIPP, "-sf", str(path), "-i", address, "-bind_local", "-p", str(free_ports()), "-mi", address,
            "-mp", str(free_ports(4)), "-ci", address, "-cp", str(free_ports()), "-nostdin", "-aa",
            "-max_recv_loops", "10000", "-max_sched_loops", "10000", *args]


def carrier_calls(folder: Path, target: str, number: str, calls: int, rate: float, *, hold_ms: int = 300,
                  timeout: float = 60) -> tuple[int, int]:
    """`calls` carrier calls to `number` at `rate` calls/s through `target` (host:port); blocks until done.
    (answered, failed), from SIPp's statistics."""
    stat = folder / "stat.csv"
    command = sipp(folder, CARRIER.replace("[hold]", str(hold_ms)), HOST, "-s", number, "-r", f"{rate:g}",
                   "-m", str(calls), "-l", str(max(10, int(rate * 10))), "-recv_timeout", "15000",
                   "-timeout", f"{int(timeout)}s", "-trace_stat", "-stf", str(stat), "-fd", "1",
                   "-trace_err", "-error_file", str(folder / "errors.log"), target)
    subprocess.run(command, cwd=folder, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout + 30,
                   preexec_fn=die_with_parent)
    return stat_counts(stat)


def stat_counts(path: Path) -> tuple[int, int]:
    """(successful, failed) calls from SIPp's statistics file, its last line."""
    import csv

    try:
        with path.open() as stream:
            rows = list(csv.reader(stream, delimiter=";"))
        header, last = rows[0], rows[-1]
        return int(last[header.index("SuccessfulCall(C)")]), int(last[header.index("FailedCall(C)")])
    except (OSError, ValueError, IndexError):
        return 0, -1
