"""A home switch for conference rooms (#19, callplan/home.py), on two real FreeSWITCH behind the SIP edge
(the rig of test_failover_on_freeswitch.py: bench/switch_load.py's `edge`, 127.0.0.2 and 127.0.0.3) with
CALLPLAN_HOME_SWITCH=fs1. A public number is routed to a room; two SIPp callers from outside call it, one
on each switch (each sent straight to that switch's carrier port, so which switch takes which caller is
not left to the edge's round robin). Both end up in ONE room on the home switch: `conference <name> list`
there shows both callers, the other switch holds no such room, and the caller that landed on fs2 reached
fs1 through the hand-over (its public context let it in by the token)."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from bench.switch_load import Edge, make_world
from tests.freeswitch import harness
from tests.freeswitch.edge import carrier_calls, missing_kamailio
from tests.freeswitch.harness import wait_for

MISSING = harness.missing_tools() or missing_kamailio()
pytestmark = [pytest.mark.freeswitch,
              pytest.mark.skipif(bool(MISSING), reason=f"needs FreeSWITCH, SIPp and Kamailio ({MISSING})")]

ROOM_NUMBER = "+31201237000"
PARK_NUMBER = "+31201237001"


def add_room(world) -> str:
    """A conference room of the demo company and a public number routed to it, through the API as an
    admin would; the room's mod_conference name."""
    from web.app import create_app
    from web.auth.tokens import digest, new_api_token
    from web.db import session_scope
    from web.demo import DEMO_ADMIN
    from web.domain import audit, numbers
    from web.models import Account, ApiToken

    app = create_app(world.settings)
    raw = new_api_token()
    with session_scope(app.state.engine, audit.SYSTEM) as db:
        admin = db.exec(select(Account).where(Account.email == DEMO_ADMIN)).one()
        db.add(ApiToken(account_id=admin.id, tenant_id=admin.tenant_id, name="home", prefix=raw[:10],
                        token_hash=digest(raw)))
        numbers.assign(db, admin.tenant_id, [ROOM_NUMBER, PARK_NUMBER])
        tenant_id = admin.tenant_id
    try:
        with TestClient(app, base_url=world.settings.public_base_url, headers={"authorization": f"Bearer {raw}"}) as client:
            room = client.post("/api/conference-rooms", json={"name": "Meet", "extension": "870"})
            assert room.status_code == 201, room.text
            (number,) = [row for row in client.get("/api/numbers").json() if row["number"] == ROOM_NUMBER]
            routed = client.patch(f"/api/numbers/{number['id']}",
                                  json={"destination": {"type": "conference_room", "id": room.json()["id"]}})
            assert routed.status_code == 200, routed.text
            # the parking lot (slots 701-709) and a public number whose calls wait in it
            assert client.patch("/api/parking", json={"enabled": True, "return_after_s": 60}).status_code == 200
            (number,) = [row for row in client.get("/api/numbers").json() if row["number"] == PARK_NUMBER]
            routed = client.patch(f"/api/numbers/{number['id']}", json={"destination": {"type": "park"}})
            assert routed.status_code == 200, routed.text
            return f"t{tenant_id}-{room.json()['id']}"
    finally:
        app.state.engine.dispose()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, pg_databases):
    work = tmp_path_factory.mktemp("home")
    world = make_world(work, pg_databases.create(), lines=1)
    room = add_room(world)
    setup = Edge(world, xml_curl_timeout=5, home="fs1")
    try:
        setup.start()
        yield setup, world, room
    finally:
        setup.stop()


def carrier_port(fs) -> str:
    return f"{fs.settings['CALLPLAN_SIP_IP']}:{fs.settings['CALLPLAN_EXTERNAL_SIP_PORT']}"


def test_two_callers_on_two_switches_meet_in_one_room_on_the_home_switch(cluster, tmp_path):
    setup, world, room = cluster
    home, other = setup.fleet
    results: dict = {}

    def call(fs, name):  # one call held 20 s: long enough to list the room with both in it
        results[name] = carrier_calls(tmp_path / name, carrier_port(fs), ROOM_NUMBER, 1, 1, hold_ms=20000, timeout=60)

    threads = [threading.Thread(target=call, args=(fs, name), daemon=True) for fs, name in ((home, "fs1"), (other, "fs2"))]
    for thread in threads:
        thread.start()
    try:
        def both_in():
            listing = home.api(f"conference {room} list")
            return listing if len([line for line in listing.splitlines() if ";" in line]) == 2 else None
        listing = wait_for(both_in, 25, 0.5)
        assert listing, (home.api(f"conference {room} list"), other.api(f"conference {room} list"),
                         home.log_tail(150), other.log_tail(150))
        # one line per member, each the caller's own number (the hand-over carried it along)
        numbers = sorted(line.split(";")[4] for line in listing.splitlines() if ";" in line)
        assert len(numbers) == 2 and all(number.startswith("0612") for number in numbers), listing
        # and one of them came from fs2 (its channel on fs1 is the leg fs2 sent: From fs2's address)
        channels = [line.split(";")[1] for line in listing.splitlines() if ";" in line]
        assert any(channel.endswith("@" + other.settings["CALLPLAN_SIP_IP"]) for channel in channels), listing
        # the other switch holds no room of that name: its caller was handed over, not seated there
        assert "not found" in other.api(f"conference {room} list").lower() or \
            ";" not in other.api(f"conference {room} list"), other.api(f"conference {room} list")
        # two callers are two live calls, not three: the handed-over leg on fs1 is fs2's call going on
        live = wait_for(lambda: (lambda r: r if len(r) == 2 else None)(live_calls(world)), 10, 0.3)
        assert live and sorted(switch for _, switch, _ in live) == ["fs1", "fs2"], live_calls(world)
    finally:
        for thread in threads:
            thread.join(90)
    assert results == {"fs1": (1, 0), "fs2": (1, 0)}, (results, home.log_tail(100), other.log_tail(100))
    # and two call records, one per caller (both bridges and both switches' CDR posts told of the calls)
    assert wait_for(lambda: not live_calls(world), 15, 0.3), live_calls(world)
    wait_for(lambda: len(records(world)) >= 2 and all("cdr" in sources for *_, sources in records(world)) or None, 20, 0.5)
    stored = records(world)
    assert len(stored) == 2 and all(dialled == ROOM_NUMBER for _, dialled, _ in stored), stored


def live_calls(world) -> list:
    from web.models.live import ActiveCall

    with _session(world) as db:
        return [(row.call_uuid, row.switch, row.state) for row in db.exec(select(ActiveCall)).all()]


def records(world) -> list:
    from web.models.call_record import CallRecord

    with _session(world) as db:
        return [(row.call_uuid, row.dialled_number, list(row.sources or [])) for row in db.exec(select(CallRecord)).all()]


def _session(world):
    from sqlmodel import Session

    from web.db import make_engine

    engine = make_engine(world.settings.database_url)
    session = Session(engine)
    session.info["engine"] = engine
    return session


def test_a_hand_over_without_the_token_is_refused(cluster, tmp_path):
    """Anyone can send the home switch's carrier port an INVITE for a hand-over number: without the
    installation's token in X-Callplan-Home it is refused, never let into the company's room."""
    setup, world, room = cluster
    home = setup.fleet[0]
    tenant_id, room_id = room[1:].split("-")
    answered, failed = carrier_calls(tmp_path / "forged", carrier_port(home), f"cp-home-{tenant_id}-conference-{room_id}",
                                     1, 1, hold_ms=500, timeout=30)
    assert (answered, failed) == (0, 1), home.log_tail(80)


def lot(fs, room: str) -> dict[str, str]:
    from web.domain.parking import parse_lot

    name = f"{room.split('-')[0]}-park"  # t<tenant>-park
    return dict(parse_lot(fs.api(f"valet_info {name}"), name))


def pick_up(fs, slot: str, domain: str) -> str:
    """Dial a slot in the company's context on `fs`, as a phone registered there would (a loopback leg
    runs that switch's dialplan; its other end just waits)."""
    # PCMU as a phone would offer it (a loopback leg offers L16 by default, which the other switch's carrier
    # profile takes: INCOMPATIBLE_DESTINATION)
    return fs.api(f"originate {{origination_caller_id_number=201,loopback_initial_codec=PCMU@8000h@20i}}"
                  f"loopback/{slot}/{domain} &playback(silence_stream://40000)")


def test_a_call_parked_via_one_switch_is_picked_up_via_the_other(cluster, tmp_path):
    """The lot lives on the home switch (fs1): a carrier's call parked through fs2 waits there (handed
    over, never in fs2's own lot), and dialling its slot on fs1 takes it."""
    from web.models.tenant import Tenant

    setup, world, room = cluster
    home, other = setup.fleet
    parking, taking = other, home
    with _session(world) as db:
        domain = db.get(Tenant, int(room[1:].split("-")[0])).sip_domain
    results: dict = {}

    def park():  # a carrier's call to the number that parks it, held 25 s
        results["parked"] = carrier_calls(tmp_path / "park", carrier_port(parking), PARK_NUMBER, 1, 1,
                                          hold_ms=25000, timeout=60)

    thread = threading.Thread(target=park, daemon=True)
    thread.start()
    try:
        waiting = wait_for(lambda: lot(home, room) or None, 20, 0.3)
        assert waiting and list(waiting) == ["701"], (home.api("valet_info"), home.log_tail(120), other.log_tail(120))
        assert lot(other, room) == {}  # never on the other switch
        parked_uuid = waiting["701"]
        answer = pick_up(taking, "701", domain)
        assert answer.startswith("+OK"), (answer, taking.log_tail(80))
        # the slot is empty again and the parked caller is bridged to whoever took it, on the home switch
        assert wait_for(lambda: lot(home, room) == {}, 15, 0.3), (lot(home, room), home.log_tail(120))
        def partner():
            for name in ("bridge_to", "last_bridge_to", "signal_bond"):
                value = home.api(f"uuid_getvar {parked_uuid} {name}").strip()
                if value and value != "_undef_" and "-ERR" not in value:
                    return value
            return None
        bridged = wait_for(partner, 10, 0.3)
        assert bridged, (home.api(f"uuid_dump {parked_uuid}"), home.log_tail(120))
    finally:
        thread.join(90)
    assert results["parked"] == (1, 0), (results, home.log_tail(80), other.log_tail(80))
