"""Past one switch (#19): two real FreeSWITCH (127.0.0.2 and 127.0.0.3, the repository's freeswitch/
configuration) behind the SIP edge (kamailio/, Kamailio on 127.0.0.1), both served by one web app with a
bridge per switch, on the demo company with two numbers, each ringing one user's phone (SIPp, answering at
once). The phones register through the edge; carrier calls (SIPp) to both numbers are spread over both
switches and all answered, so each phone is rung by a switch it did not register with. Then the switch
holding a phone's registration is killed mid-run: new calls go on being answered (the edge takes the dead
switch out within seconds; a call sent to it before that goes to the other), and the phone's next
REGISTER lands on the survivor.

The set-up is bench/switch_load.py's `edge` (the bench measures its call rate)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from sqlmodel import Session, create_engine, select

from bench.switch_load import Edge, make_world
from tests.freeswitch import harness
from tests.freeswitch.edge import ANSWER, carrier_calls, missing_kamailio, sipp
from tests.freeswitch.harness import HOST, die_with_parent, wait_for
from tests.web.helpers import PASSWORD
from tests.web.live_notify_rig import LiveSocket

MISSING = harness.missing_tools() or missing_kamailio()
pytestmark = [pytest.mark.freeswitch,
              pytest.mark.skipif(bool(MISSING), reason=f"needs FreeSWITCH, SIPp and Kamailio ({MISSING})")]

RATE = 4  # calls/s: the machine runs two switches, the app, two bridges, the edge and SIPp


class Phone:
    """A SIPp phone that answers every call at once; how many INVITEs it got."""

    def __init__(self, folder: Path):
        self.port = harness.free_ports()
        self.messages = folder / "messages.log"
        command = sipp(folder, ANSWER, HOST, "-trace_msg", "-message_file", str(self.messages))
        command[command.index("-p") + 1] = str(self.port)
        self.process = subprocess.Popen(command, cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)

    def invites(self) -> int:
        try:
            return len(re.findall(r"^INVITE sip:", self.messages.read_text(errors="replace"), re.M))
        except OSError:
            return 0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


ADMIN = "live@failover.test"


def add_admin(world) -> None:
    """An admin of the demo company with a known password, for the live websocket."""
    from web.auth.passwords import hash_password
    from web.models import Account, Tenant

    engine = create_engine(world.url)
    try:
        with Session(engine) as db:
            tenant = db.exec(select(Tenant).where(Tenant.sip_domain == world.domain)).one()
            db.add(Account(tenant_id=tenant.id, email=ADMIN, role="admin", language="en",
                           password_hash=hash_password(world.settings, PASSWORD)))
            db.commit()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, pg_databases):
    work = tmp_path_factory.mktemp("failover")
    world = make_world(work, pg_databases.create(), lines=2)  # PostgreSQL: live state across processes
    add_admin(world)
    # a cold build of the company's directory or dialplan takes over a second on a loaded test machine
    # (test_config_on_freeswitch.py); production's 2 s would send such a call to the fallback routing
    setup = Edge(world, xml_curl_timeout=5)
    phones = [Phone(work / f"phone{index}") for index in range(len(world.lines))]
    try:
        setup.start()
        yield setup, world, phones
    finally:
        setup.stop()
        for phone in phones:
            phone.stop()


def registered_on(setup: Edge, device: str) -> list[str]:
    """The addresses of the running switches that hold a registration of `device`."""
    return [fs.settings["CALLPLAN_SIP_IP"] for fs in setup.switches()
            if f"{device}@" in fs.api("sofia status profile internal reg")]


def inbound_calls(fs: harness.ProjectFreeSwitch) -> int:
    """Carrier calls this switch has finished (its inbound legs hung up)."""
    return sum(1 for call in list(fs.calls.by_uuid.values()) if call.hangup)


def calls_to_every_line(folder: Path, setup: Edge, world, calls: int) -> list[tuple[int, int]]:
    """`calls` carrier calls to each number, the numbers one after the other; (answered, failed) each."""
    return [carrier_calls(folder / line.did.lstrip("+"), setup.carrier_target(), line.did, calls, RATE, timeout=90)
            for line in world.lines]


def test_calls_survive_a_switch_that_dies(cluster, tmp_path):
    setup, world, phones = cluster
    edge = setup.edge

    # The phones register through the edge (the switch their address hashes to authenticates them).
    for line, phone in zip(world.lines, phones):
        status = harness.register(tmp_path, None, line.device, world.domain, line.password, expires=600,
                                  contact_port=phone.port, target=setup.phone_target())
        assert status == [200], (status, edge.log_tail())
    holders = {line.device: registered_on(setup, line.device) for line in world.lines}
    assert all(len(addresses) == 1 for addresses in holders.values()), holders
    assert world.lines[0].device in edge.rpc("ul.dump")  # the edge knows where the phone is

    # Carrier calls to both numbers: every one answered, by both switches, each phone rung by both (so by
    # a switch it did not register with), and the company's live page told of the calls of both.
    with LiveSocket(setup.base_url, ADMIN) as live:
        live.until(lambda: live.snapshots >= 1, what="the first snapshot")
        results = calls_to_every_line(tmp_path / "before", setup, world, 8)
        assert results == [(8, 0), (8, 0)], (results, edge.log_tail())
        assert [phone.invites() for phone in phones] == [8, 8]
        wait_for(lambda: sum(inbound_calls(fs) for fs in setup.fleet) >= 16, 10)  # the events come after SIPp is done
        handled = [inbound_calls(fs) for fs in setup.fleet]
        assert sum(handled) == 16 and all(count >= 4 for count in handled), handled
        on_switch = [set(fs.calls.by_uuid) for fs in setup.fleet]
        live.until(lambda: all(any(live.seen(uuid) for uuid in uuids) for uuids in on_switch), 30,
                   "calls of both switches on the live websocket")

    # Kill the switch that holds the first phone's registration, as a crash would (no goodbye), and call
    # on at once: the edge has not noticed yet, so the calls it sends there time out and go to the other.
    (dead_address,) = holders[world.lines[0].device]
    dead = next(fs for fs in setup.fleet if fs.settings["CALLPLAN_SIP_IP"] == dead_address)
    survivor = next(fs for fs in setup.fleet if fs is not dead)
    survivor_before = inbound_calls(survivor)
    os.killpg(dead.process.pid, signal.SIGKILL)
    dead.process.wait(timeout=10)
    died = time.monotonic()
    results = calls_to_every_line(tmp_path / "during", setup, world, 8)
    assert results == [(8, 0), (8, 0)], (results, edge.log_tail())
    assert wait_for(lambda: inbound_calls(survivor) - survivor_before == 16, 10), inbound_calls(survivor) - survivor_before
    assert [phone.invites() for phone in phones] == [16, 16]

    # Taken out within seconds of dying (the probes: every second, 2 s to answer).
    taken_out = wait_for(lambda: edge.states(1).get(dead_address, "").startswith("I"), 10, 0.1)
    assert taken_out and time.monotonic() - died < 10, (edge.states(1), edge.log_tail())
    assert "did not answer: taken out" in edge.log_text() or "is down" in edge.log_text()

    # The phone's next REGISTER (its refresh) goes to the switch still up.
    line = world.lines[0]
    status = harness.register(tmp_path, None, line.device, world.domain, line.password, expires=600,
                              contact_port=phones[0].port, target=setup.phone_target())
    assert status == [200]
    assert registered_on(setup, line.device) == [survivor.settings["CALLPLAN_SIP_IP"]]
    results = calls_to_every_line(tmp_path / "after", setup, world, 4)
    assert results == [(4, 0), (4, 0)], (results, edge.log_tail())
