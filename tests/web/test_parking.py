"""Call parking (#18 item 3) through the API: the company's lot (on/off, slot range, return time) takes its
slot numbers in the company's one number namespace, refuses bad ranges naming the field and numbers that
something else has (with `used_by`), changes FreeSWITCH's dialplan (POST /freeswitch/xml) at once, and
lists who is parked now from a test event socket that answers as mod_valet_parking does
(tests/freeswitch/test_parking_on_freeswitch.py does the same on a real one). Another company sees none
of it and its phones reach only their own lot. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from tests.conftest import fast_settings
from tests.fs_bridge.esl_server import EslServer
from tests.web.pbx import admin, other_admin  # noqa: F401  (fixtures)
from tests.web.test_xml_curl import PASSWORD, _fresh_cache, fs  # noqa: F401  (fixtures: the switch's side)
from web.domain.parking import describe, parse_lot

ESL_PASSWORD = "esl-secret"


@pytest.fixture
def switch():
    server = EslServer(password=ESL_PASSWORD, api_answers={})
    yield server
    server.close()


@pytest.fixture
def settings(database_url, tmp_path, switch):
    return fast_settings(database_url, audio_dir=str(tmp_path / "audio"), xml_curl_password=PASSWORD,
                         esl_port=switch.port, esl_password=ESL_PASSWORD, bridge_feed_port=0)


def patch(admin, **body):
    return admin.client.patch("/api/parking", json=body)


def turn_on(admin, **body) -> dict:
    answer = patch(admin, **({"enabled": True} | body))
    assert answer.status_code == 200, answer.text
    return answer.json()


def extension(document, name: str):
    return next((e for e in document.iter("extension") if e.get("name") == name), None)


def valet_info(lot: str, *parked: tuple[str, str]) -> str:
    """`valet_info <lot>` as mod_valet_parking 1.10.12 writes it (valet_info_function)."""
    rows = "".join(f'    <extension uuid="{uuid}">{slot}</extension>\n' for slot, uuid in parked)
    return f'<lots>\n  <lot name="{lot}">\n{rows}  </lot>\n</lots>\n'


def test_off_by_default_with_the_park_code(admin):
    lot = admin.client.get("/api/parking").json()
    assert (lot["enabled"], lot["first_slot"], lot["last_slot"], lot["return_after_s"]) == (False, "701", "709", 120)
    assert lot["slots"] == [f"70{n}" for n in range(1, 10)] and lot["park_code"] == "*70"


def test_turning_it_on_takes_the_slot_numbers_and_off_frees_them(admin):
    lot = turn_on(admin, first_slot="711", last_slot="713", return_after_s=30)
    assert (lot["enabled"], lot["slots"], lot["return_after_s"]) == (True, ["711", "712", "713"], 30)
    taken = admin.client.post("/api/ring-groups", json={"name": "Sales", "extension": "712"})
    assert taken.status_code == 409 and taken.json()["errors"][0]["pointer"] == "/extension", taken.text
    assert "parking slot" in taken.json()["errors"][0]["message"]
    numbers = {row["number"]: row for row in admin.client.get("/api/numbers/directory").json()}
    assert numbers["712"]["reaches"]["kind"] == "parking_slot"
    # a smaller range frees the rest at once
    assert turn_on(admin, last_slot="711")["slots"] == ["711"]
    assert admin.client.post("/api/ring-groups", json={"name": "Sales", "extension": "712"}).status_code == 201
    assert patch(admin, enabled=False).status_code == 200
    assert admin.client.post("/api/ring-groups", json={"name": "Support", "extension": "711"}).status_code == 201


@pytest.mark.parametrize("body, pointer", [
    ({"first_slot": "7a1"}, "/first_slot"),
    ({"first_slot": "7"}, "/first_slot"),
    ({"first_slot": "70001"}, "/first_slot"),
    ({"first_slot": "0701", "last_slot": "0709"}, "/first_slot"),  # valet_park counts slots as integers
    ({"first_slot": "701", "last_slot": "7099"}, "/last_slot"),  # digits differ
    ({"first_slot": "709", "last_slot": "701"}, "/last_slot"),
    ({"first_slot": "1000", "last_slot": "1050"}, "/last_slot"),  # 51 slots
    ({"return_after_s": 5}, "/return_after_s"),
    ({"return_after_s": 3601}, "/return_after_s"),
    ({"enabled": None}, "/enabled"),
    ({"enabled": "maybe"}, "/enabled"),
    ({"colour": "red"}, "/colour"),
])
def test_bad_settings_are_refused_naming_the_field(admin, body, pointer):
    answer = patch(admin, **({"enabled": True} | body))
    assert answer.status_code == 422, answer.text
    assert pointer in [error["pointer"] for error in answer.json()["errors"]], answer.text
    assert admin.client.get("/api/parking").json()["enabled"] is False  # nothing half-saved


def test_numbers_something_else_has_are_refused_with_who_has_them(admin):
    anna = admin.user("703", "Anna")
    refused = patch(admin, enabled=True)
    assert refused.status_code == 409 and refused.json()["code"] == "number_taken", refused.text
    assert refused.json()["used_by"] == [{"kind": "user", "id": anna["id"], "name": "Anna", "where": "/extension",
                                          "number": "703"}]
    assert admin.client.get("/api/parking").json()["enabled"] is False
    assert turn_on(admin, first_slot="704")["slots"] == ["704", "705", "706", "707", "708", "709"]


def test_a_slot_something_dials_cannot_be_left_out(admin):
    turn_on(admin)
    menu = admin.client.post("/api/ivr-menus", json={"name": "Main", "keys": {"5": {
        "action": "forward", "destination": {"type": "extension", "number": "705"}}}})
    assert menu.status_code == 201, menu.text
    refused = patch(admin, last_slot="704")
    assert refused.status_code == 409 and refused.json()["code"] == "in_use", refused.text
    assert [use["name"] for use in refused.json()["used_by"]] == ["Main"]
    assert patch(admin, enabled=False).status_code == 409
    assert admin.client.get("/api/parking").json()["slots"][-1] == "709"


def test_the_dialplan_follows_the_settings_at_once(fs, admin):
    admin.user("201", "Anna")
    domain = admin.tenant.sip_domain
    assert extension(fs.dialplan(domain, "702"), "park_slot") is None  # off: no slots
    turn_on(admin, first_slot="701", last_slot="702", return_after_s=40)
    document = fs.dialplan(domain, "702")
    slot = extension(document, "park_slot")
    steps = [(a.get("application"), a.get("data")) for a in slot.iter("action")]
    assert ("set", "valet_parking_timeout=40") in steps
    assert steps[-1] == ("valet_park", f"t{admin.tenant.id}-park $1")
    code = extension(fs.dialplan(domain, "*70"), "feature_park")
    assert [(a.get("application"), a.get("data")) for a in code.iter("action")][-1] == \
        ("valet_park", f"t{admin.tenant.id}-park auto in 701 702")
    # the park code switched off in the feature codes: no code, the slots stay
    park = next(row for row in admin.client.get("/api/feature-codes").json() if row["function"] == "park")
    assert admin.client.patch(f"/api/feature-codes/{park['id']}", json={"enabled": False}).status_code == 200
    assert extension(fs.dialplan(domain, "*70"), "feature_park") is None
    assert extension(fs.dialplan(domain, "702"), "park_slot") is not None


def test_who_is_parked_now(admin, switch):
    assert admin.client.get("/api/parking/calls").json() == [] and switch.commands == []  # off: not even asked
    turn_on(admin)
    lot = f"t{admin.tenant.id}-park"
    assert admin.client.get("/api/parking/calls").json() == []  # a lot FreeSWITCH has not seen yet
    switch.api_answers[f"valet_info {lot}"] = valet_info(lot, ("702", "aaaa1111-0000-0000-0000-000000000002"),
                                                         ("701", "aaaa1111-0000-0000-0000-000000000001"))
    switch.api_answers["uuid_dump aaaa1111-0000-0000-0000-000000000001 json"] = json.dumps({
        "Caller-Caller-ID-Name": "Customer", "Caller-Caller-ID-Number": "+31612345678",
        "variable_valet_parking_orbit_exten": "park_return_201", "variable_cp_parked_at": "1"})
    calls = admin.client.get("/api/parking/calls").json()
    assert [(c["slot"], c["caller_id_name"], c["caller_id_number"], c["parked_by"]) for c in calls] == [
        ("701", "Customer", "+31612345678", "201"), ("702", "", "", "")]  # a channel gone meanwhile: its slot only
    assert calls[0]["parked_s"] > 0


def test_another_company_neither_sees_nor_reaches_the_lot(fs, admin, other_admin, switch):
    turn_on(admin)
    lot = f"t{admin.tenant.id}-park"
    switch.api_answers[f"valet_info {lot}"] = valet_info(lot, ("701", "aaaa1111-0000-0000-0000-000000000001"))
    assert other_admin.client.get("/api/parking").json()["enabled"] is False
    assert other_admin.client.get("/api/parking/calls").json() == []
    assert not any(lot in command for command in switch.commands if "valet_info" in command
                   and f"t{other_admin.tenant.id}-park" in command)
    # the other company's own slot 701 (its own lot, its own context): a phone there never reaches this one's
    assert turn_on(other_admin)["slots"][0] == "701"
    mine = extension(fs.dialplan(admin.tenant.sip_domain, "701"), "park_slot")
    theirs = extension(fs.dialplan(other_admin.tenant.sip_domain, "701"), "park_slot")
    assert [a.get("data") for a in mine.iter("action")][-1] == f"t{admin.tenant.id}-park $1"
    assert [a.get("data") for a in theirs.iter("action")][-1] == f"t{other_admin.tenant.id}-park $1"
    # and its admin cannot take this company's numbers by turning its lot on
    assert other_admin.client.post("/api/ring-groups", json={"name": "X", "extension": "702"}).status_code == 409


def test_without_freeswitch_the_live_list_says_so(app, admin):
    turn_on(admin)
    settings = app.state.settings
    app.state.settings = type(settings)(**{**settings.__dict__, "esl_port": 1})  # nothing listens there
    answer = admin.client.get("/api/parking/calls")
    assert answer.status_code == 503 and answer.json()["code"] == "freeswitch_unavailable", answer.text


def test_parse_lot_reads_only_the_companys_lot():
    reply = valet_info("t1-park", ("701", "a1b2c3d4-0000")) + valet_info("t10-park", ("701", "ffff0000-0000"))
    assert parse_lot(reply, "t1-park") == [("701", "a1b2c3d4-0000")]
    assert parse_lot("<lots>\n</lots>\n", "t1-park") == []
    assert describe("701", "-ERR no such channel", 0).caller_id_name == ""


def test_first_looks_at_once_make_one_lot(admin):
    """Two tabs opening the screen at once: one lot row (a unique tenant_id), both answered."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: admin.client.get("/api/parking"), range(4)))
    assert [answer.status_code for answer in answers] == [200] * 4, [a.text for a in answers]
    from sqlmodel import select

    from web.models.parking import ParkingLot

    with admin.db() as session:
        assert len(session.exec(select(ParkingLot).where(ParkingLot.tenant_id == admin.tenant.id)).all()) == 1
