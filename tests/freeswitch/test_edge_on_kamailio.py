"""The SIP edge (kamailio/) alone, with SIPp standing in for two switches (127.0.0.2 and 127.0.0.3, which
answer calls and the edge's OPTIONS probes): carrier calls are spread over both, a switch that dies is
taken out within seconds while calls keep being answered (the ones sent to it before the probes noticed
go to the other), and a switch that comes back is taken back. test_failover_on_freeswitch.py does the
same with two real FreeSWITCH, the app and phones."""

from __future__ import annotations

import re
import subprocess
import time

import pytest

from tests.freeswitch import harness
from tests.freeswitch.edge import ANSWER, Edge, carrier_calls, missing_kamailio, sipp
from tests.freeswitch.harness import HOST, die_with_parent, wait_for

MISSING = missing_kamailio() or (None if harness.SIPP else "not on PATH: sipp")
pytestmark = [pytest.mark.freeswitch, pytest.mark.skipif(bool(MISSING), reason=f"needs Kamailio and SIPp ({MISSING})")]

SWITCHES = ("127.0.0.2", "127.0.0.3")


class StandIn:
    """A SIPp that answers every call at once and the edge's probes, on `address`:`port`."""

    def __init__(self, folder, address: str, port: int):
        self.folder, self.address, self.port = folder, address, port
        self.messages = folder / "messages.log"
        command = sipp(folder, ANSWER, address, "-trace_msg", "-message_file", str(self.messages))
        command[command.index("-p") + 1] = str(port)
        self.process = subprocess.Popen(command, cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)

    def invites(self) -> int:
        try:
            return len(re.findall(r"^INVITE sip:", self.messages.read_text(errors="replace"), re.M))
        except OSError:
            return 0

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def edge_and_switches(tmp_path):
    port = harness.free_ports()
    switches = {address: StandIn(tmp_path / address, address, port) for address in SWITCHES}
    edge = Edge(tmp_path / "edge", [(address, port, port) for address in SWITCHES])
    try:
        edge.start()
        yield edge, switches
    finally:
        edge.stop()
        for switch in switches.values():
            switch.kill()


def test_calls_spread_and_a_dead_switch_is_taken_out(edge_and_switches, tmp_path):
    edge, switches = edge_and_switches
    states = edge.wait_states({address: "A" for address in SWITCHES})
    assert all(states[address].startswith("A") for address in SWITCHES), (states, edge.log_tail())

    answered, failed = carrier_calls(tmp_path / "before", edge.carrier_address, "+31201230000", 10, 10)
    assert (answered, failed) == (10, 0), edge.log_tail()
    counts = {address: switch.invites() for address, switch in switches.items()}
    # round robin: 5 and 5, unless a probe went unanswered for 2 s on a busy machine meanwhile
    assert sum(counts.values()) == 10 and min(counts.values()) >= 3, counts

    # One switch dies; calls go on at once, before the probes noticed: those sent to it time out (2 s)
    # and go to the other, none is lost.
    dead, alive = switches["127.0.0.2"], switches["127.0.0.3"]
    dead.kill()
    died = time.monotonic()
    before = alive.invites()
    answered, failed = carrier_calls(tmp_path / "during", edge.carrier_address, "+31201230000", 10, 10)
    assert (answered, failed) == (10, 0), edge.log_tail()
    assert alive.invites() - before == 10
    taken_out = wait_for(lambda: edge.states(1).get("127.0.0.2", "").startswith("I")
                         and edge.states(2).get("127.0.0.2", "").startswith("I"), 10, 0.1)
    assert taken_out, (edge.states(1), edge.log_tail())
    assert time.monotonic() - died < 10

    # It comes back: the probes take it back within seconds, and it gets calls again.
    switches["127.0.0.2"] = back = StandIn(tmp_path / "back", "127.0.0.2", dead.port)
    states = edge.wait_states({"127.0.0.2": "A"}, timeout=10)
    assert states["127.0.0.2"].startswith("A"), (states, edge.log_tail())
    answered, failed = carrier_calls(tmp_path / "after", edge.carrier_address, "+31201230000", 4, 10)
    assert (answered, failed) == (4, 0)
    assert back.invites() >= 1


def test_no_switch_up_means_503(tmp_path):
    """A switch never seen answering a probe gets no call: the carrier hears 503 at once."""
    edge = Edge(tmp_path / "edge", [("127.0.0.2", harness.free_ports(), harness.free_ports())])
    edge.start()
    try:
        answered, failed = carrier_calls(tmp_path / "calls", edge.carrier_address, "+31201230000", 1, 1, timeout=20)
        assert (answered, failed) == (0, 1)
        assert "SIP/2.0 503 No switch available" in (tmp_path / "calls" / "errors.log").read_text(errors="replace")
    finally:
        edge.stop()


REFUSE = """<?xml version="1.0" encoding="UTF-8"?>
<scenario name="refuse">
  <recv request="REGISTER"/>
  <send><![CDATA[
      SIP/2.0 403 Forbidden
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

  ]]></send>
</scenario>
"""

GUESS = """<?xml version="1.0" encoding="UTF-8"?>
<scenario name="guess">
  <send retrans="500"><![CDATA[
      REGISTER sip:pbx.test SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:guessed@pbx.test>;tag=[pid]SIPpTag00[call_number]
      To: <sip:guessed@pbx.test>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:guessed@[local_ip]:[local_port]>
      Max-Forwards: 70
      Expires: 120
      Content-Length: 0

  ]]></send>
  <recv response="403"/>
</scenario>
"""


def test_a_password_guesser_is_blocked_at_the_edge(tmp_path):
    """The switches see every phone arrive from the edge's address, so the edge counts their refusals
    (403) by the real source address and, past CALLPLAN_BRUTE_FORCE_FAILURES within the window, answers
    that address itself: the switch hears nothing more from it."""
    port = harness.free_ports()
    command = sipp(tmp_path / "switch", REFUSE, "127.0.0.2", "-trace_msg", "-message_file", str(tmp_path / "switch.log"))
    command[command.index("-p") + 1] = str(port)
    switch = subprocess.Popen(command, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
    edge = Edge(tmp_path / "edge", [("127.0.0.2", port, port)], CALLPLAN_BRUTE_FORCE_FAILURES="3")
    try:
        edge.start()
        assert edge.wait_states({"127.0.0.2": "A"})["127.0.0.2"].startswith("A"), edge.log_tail()
        guess = sipp(tmp_path / "guesser", GUESS, HOST, "-m", "5", "-r", "2", "-timeout", "30s", "-trace_msg",
                     "-message_file", str(tmp_path / "guesser.log"), edge.phone_address)
        subprocess.run(guess, cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                       preexec_fn=die_with_parent)
        answered = (tmp_path / "guesser.log").read_text(errors="replace")
        assert len(re.findall(r"^SIP/2.0 403", answered, re.M)) == 5  # every try refused ...
        reached = (tmp_path / "switch.log").read_text(errors="replace")
        assert len(re.findall(r"^REGISTER sip:", reached, re.M)) == 3  # ... the switch asked only three times
        assert "blocking 127.0.0.1 for 3 failed authentications" in edge.log_text()
    finally:
        edge.stop()
        switch.kill()
        switch.wait(timeout=10)
