"""The agent panel's API (#15 item 3, seed 004): the panel's one read (queues, the current call as the
bridge wrote it, colleagues' tiles, today's statistics, tasks), the call controls with the exact ESL
commands FreeSWITCH gets (the test ESL server on the settings' port) and who may use them (an agent only
on their own calls of their own company), call statuses (admins; 422 with field pointers; one default per
direction), the outcome and note stored on the call record, and call-back tasks that appear when due.
On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from tests.conftest import fast_settings
from tests.fs_bridge.agents_rig import Answers, switch_off
from tests.fs_bridge.esl_server import EslServer
from tests.web.factories_call_records import make_call_record
from tests.web.helpers import make_account, make_token
from tests.web.test_agents_api import DOMAIN, ESL_PASSWORD, Company
from web import clock
from web.models.agent_panel import AgentTask
from web.models.call_record import CallRecord
from web.models.live import ActiveCall, QueueAgent
from web.models.pbx_user import PbxUser

CALL = "0d5c1a52-8a0e-4c57-9d1e-1f0f6d1b0001"
AGENT_LEG = "0d5c1a52-8a0e-4c57-9d1e-1f0f6d1b0002"
BRAM_CALL = "0d5c1a52-8a0e-4c57-9d1e-1f0f6d1b0003"
PARTNER = "0d5c1a52-8a0e-4c57-9d1e-1f0f6d1b0004"


class CallAnswers(Answers):
    """FreeSWITCH's replies: call commands succeed, a bridge partner is known for Bram's call."""

    def get(self, key, default=None):
        if key in self:
            return self[key]
        if key.startswith("uuid_getvar "):
            return f"{PARTNER}\n" if key.startswith(f"uuid_getvar {BRAM_CALL} bridge_uuid") else "_undef_\n"
        if key.startswith(("uuid_transfer", "uuid_kill", "uuid_hold", "uuid_broadcast")):
            return "+OK\n"
        return super().get(key, default)


@pytest.fixture
def switch():
    server = EslServer(password=ESL_PASSWORD, api_answers=CallAnswers())
    yield server
    server.close()


@pytest.fixture
def settings(database_url, tmp_path, switch):
    return fast_settings(database_url, audio_dir=str(tmp_path / "audio"), esl_port=switch.port,
                         esl_password=ESL_PASSWORD, bridge_feed_port=0)


@pytest.fixture
def acme(app, db, settings):
    return Company(app, db, settings)


@pytest.fixture
def other(app, db, settings):
    return Company(app, db, settings, name="Other", domain="other.pbx.test")


def call_commands(switch) -> list[str]:
    return [c[4:] for c in switch.commands if c.startswith("api uuid_")]


def live_call(db, company, uuid, user_id=None, queue=None, bridged=True, offered_to=None, agent_leg=""):
    """A queue call as the bridge writes it: the live call, and the agent it is offered to or bridged with."""
    now = clock.now()
    with db() as session:
        session.add(ActiveCall(tenant_id=company.tenant.id, call_uuid=uuid, direction="inbound", caller_number="+31612345678",
                               caller_name="Customer", dialled_number="+31201234500", state="answered" if bridged else "queued",
                               started_at=now - timedelta(seconds=75), answered_at=now - timedelta(seconds=70),
                               bridged_at=now - timedelta(seconds=30) if bridged else None, queue_id=queue,
                               plan_id=None, step="queue-1", steps=["menu-1", "queue-1"], user_id=user_id if bridged else None))
        if offered_to is not None:
            row = session.exec(select(QueueAgent).where(QueueAgent.user_id == offered_to)).first() or \
                QueueAgent(tenant_id=company.tenant.id, user_id=offered_to, status="Available")
            row.call_uuid, row.agent_uuid = uuid, agent_leg
            session.add(row)


def test_the_panel_shows_queues_the_call_tiles_and_todays_statistics(acme, db, monkeypatch):
    # midday in the company's zone: calls made minutes ago are today's at whatever hour the test runs
    noon = clock.now().replace(hour=11, minute=0, second=0, microsecond=0)
    monkeypatch.setattr("web.clock.now", lambda: noon)
    support, sales = acme.queues
    acme.register(acme.anna)
    assert acme.agent.put("/api/me/agent", json={"status": "available"}).status_code == 200
    live_call(db, acme, CALL, user_id=acme.anna, queue=support, offered_to=acme.anna, agent_leg=AGENT_LEG)
    make_call_record(db, None, acme.tenant.id, direction="inbound", caller_number="+31612345678", answered_by_user_id=acme.anna,
                     started_at=clock.now() - timedelta(minutes=10), billed_seconds=90)
    make_call_record(db, None, acme.tenant.id, direction="inbound", caller_number="+31687654321", answered_by_user_id=acme.anna,
                     started_at=clock.now() - timedelta(minutes=5), billed_seconds=30)
    make_call_record(db, None, acme.tenant.id, direction="inbound", answered_by_user_id=acme.bram,
                     started_at=clock.now() - timedelta(minutes=5), billed_seconds=300)  # Bram's: not Anna's
    panel = acme.agent.get("/api/agent-panel").json()
    assert panel["agent"]["user_id"] == acme.anna and panel["agent"]["status"] == "available"
    assert [q["name"] for q in panel["queues"]] == ["Support", "Sales"]
    card = panel["call"]
    assert (card["call_uuid"], card["caller_number"], card["dialled_number"], card["queue_name"]) == \
        (CALL, "+31612345678", "+31201234500", "Support")
    assert card["waiting_seconds"] == 45 and card["steps"] == ["menu-1", "queue-1"] and card["agent_leg_known"] is True
    assert [t["user_id"] for t in panel["tiles"]] == [acme.bram]  # colleagues, not oneself
    stats = panel["stats"]
    assert (stats["answered"], stats["talk_seconds"], stats["average_handling_seconds"]) == (2, 120, 60)
    assert [c["number"] for c in panel["recent_calls"]] == ["+31687654321", "+31612345678"]
    assert panel["viewer_is_admin"] is False and panel["agents"] == []


def test_an_admin_opens_any_agents_panel_and_the_queue_view(acme, db):
    support, sales = acme.queues
    live_call(db, acme, BRAM_CALL, queue=support, bridged=False)  # waiting in Support
    panel = acme.admin.get(f"/api/agent-panel?user_id={acme.bram}").json()
    assert panel["agent"]["user_id"] == acme.bram and panel["viewer_is_admin"] is True
    assert {a["id"] for a in panel["agents"]} == {acme.anna, acme.bram}
    assert acme.admin.get(f"/api/agent-panel?user_id={acme.piet}").status_code == 409  # in no queue
    queues = {q["queue"]["name"]: q for q in acme.admin.get("/api/agent-panel/queues").json()}
    assert [a["user_id"] for a in queues["Support"]["agents"]] == [acme.anna, acme.bram]
    assert [c["call_uuid"] for c in queues["Support"]["waiting"]] == [BRAM_CALL] and queues["Sales"]["waiting"] == []
    # an agent sees only their own panel, and no queue view
    assert acme.agent.get(f"/api/agent-panel?user_id={acme.bram}").status_code == 404
    assert acme.agent.get("/api/agent-panel/queues").status_code == 403
    assert acme.user.get("/api/agent-panel").status_code == 409  # Piet: a user in no queue


def test_an_agent_transfers_holds_and_hangs_up_their_own_call_with_the_exact_commands(acme, db, switch):
    support, _ = acme.queues
    live_call(db, acme, CALL, user_id=acme.anna, queue=support, offered_to=acme.anna, agent_leg=AGENT_LEG)
    answer = acme.agent.post(f"/api/agent-panel/calls/{CALL}/transfer", json={"to": "user", "user_id": acme.bram})
    assert answer.status_code == 200, answer.text
    answer = acme.agent.post(f"/api/agent-panel/calls/{CALL}/transfer", json={"to": "number", "number": "+31 6 1234 5678"})
    assert answer.status_code == 200, answer.text
    acme.agent.post(f"/api/agent-panel/calls/{CALL}/transfer", json={"to": "queue", "queue_id": support})  # no extension
    acme.agent.post(f"/api/agent-panel/calls/{CALL}/transfer", json={"to": "user", "user_id": acme.bram, "attended": True})
    acme.agent.post(f"/api/agent-panel/calls/{CALL}/transfer", json={"to": "number", "number": "0201234567", "attended": True})
    assert acme.agent.post(f"/api/agent-panel/calls/{CALL}/hold", json={"on": True}).json()["action"] == "hold"
    assert acme.agent.post(f"/api/agent-panel/calls/{CALL}/hold", json={"on": False}).json()["action"] == "resume"
    assert acme.agent.post(f"/api/agent-panel/calls/{CALL}/hang-up").status_code == 200
    assert call_commands(switch) == [
        f"uuid_transfer {CALL} 202 XML {DOMAIN}",
        f"uuid_transfer {CALL} +31612345678 XML {DOMAIN}",
        f"uuid_transfer {CALL} 'callcenter:q{support}@{DOMAIN}' inline",
        f"uuid_broadcast {AGENT_LEG} att_xfer::user/202@{DOMAIN} aleg",
        f"uuid_broadcast {AGENT_LEG} att_xfer::loopback/0201234567/{DOMAIN} aleg",
        f"uuid_hold {AGENT_LEG}",
        f"uuid_hold off {AGENT_LEG}",
        f"uuid_kill {CALL}",
    ]


def test_a_transfer_to_the_park_code_or_a_slot_says_which_agent_parked_the_call(acme, db, switch):
    """A transfer over the event socket has no REFER and so no Referred-By: the park code's dialplan could
    not tell who parked the call, and a call nobody takes would never ring the agent again. The panel's
    transfer to the park code or a slot sets the agent's extension with it (one inline command; attended:
    on the loopback leg by the dial string), which the lot reads (callplan.base_dialplan parked_by, proven on FreeSWITCH in tests/freeswitch/
    test_parking_on_freeswitch.py); other numbers, and any number while parking is off, go as before."""
    support, _ = acme.queues
    live_call(db, acme, CALL, user_id=acme.anna, queue=support, offered_to=acme.anna, agent_leg=AGENT_LEG)
    live_call(db, acme, BRAM_CALL, user_id=acme.bram)

    def transfer(client, uuid, number, attended=False):
        answer = client.post(f"/api/agent-panel/calls/{uuid}/transfer", json={"to": "number", "number": number, "attended": attended})
        assert answer.status_code == 200, answer.text

    transfer(acme.agent, CALL, "*70")  # parking off: the code is no number in use, nothing to add
    transfer(acme.agent, CALL, "*70", attended=True)
    assert acme.admin.patch("/api/parking", json={"enabled": True, "first_slot": "701", "last_slot": "703"}).status_code == 200
    transfer(acme.agent, CALL, "*70")
    transfer(acme.agent, CALL, "702")
    transfer(acme.agent, CALL, "0201234567")
    transfer(acme.admin, BRAM_CALL, "*70")  # the admin acting on Bram's call parks it for Bram
    # attended: the agent hears the slot on a loopback leg that carries who parked it, as a phone's
    # transfer to the park code does (proven on FreeSWITCH in tests/freeswitch/test_parking_on_freeswitch.py)
    transfer(acme.agent, CALL, "*70", attended=True)
    transfer(acme.agent, CALL, "703", attended=True)
    transfer(acme.agent, CALL, "0201234567", attended=True)
    assert call_commands(switch) == [
        f"uuid_transfer {CALL} *70 XML {DOMAIN}",
        f"uuid_broadcast {AGENT_LEG} att_xfer::loopback/*70/{DOMAIN} aleg",
        f"uuid_transfer {CALL} 'set:cp_park_return_to=201,transfer:*70 XML {DOMAIN}' inline",
        f"uuid_transfer {CALL} 'set:cp_park_return_to=201,transfer:702 XML {DOMAIN}' inline",
        f"uuid_transfer {CALL} 0201234567 XML {DOMAIN}",
        f"uuid_transfer {BRAM_CALL} 'set:cp_park_return_to=202,transfer:*70 XML {DOMAIN}' inline",
        f"uuid_broadcast {AGENT_LEG} att_xfer::{{cp_park_return_to=201}}loopback/*70/{DOMAIN} aleg",
        f"uuid_broadcast {AGENT_LEG} att_xfer::{{cp_park_return_to=201}}loopback/703/{DOMAIN} aleg",
        f"uuid_broadcast {AGENT_LEG} att_xfer::loopback/0201234567/{DOMAIN} aleg",
    ]


def test_an_agent_cannot_touch_another_agents_or_another_companys_call(acme, other, db, switch):
    live_call(db, acme, BRAM_CALL, user_id=acme.bram)  # Bram took it (the bridge saw it)
    live_call(db, other, CALL, user_id=other.anna, offered_to=other.anna, agent_leg=AGENT_LEG)
    for uuid in (BRAM_CALL, CALL, "no-such-call-uuid", "bad uuid;"):
        for path, body in (("transfer", {"to": "user", "user_id": acme.bram}), ("hold", {}), ("hang-up", None)):
            answer = acme.agent.post(f"/api/agent-panel/calls/{uuid}/{path}", json=body)
            assert answer.status_code == 404, (uuid, path, answer.text)
    # the other company's admin neither
    assert acme.admin.post(f"/api/agent-panel/calls/{CALL}/hang-up").status_code == 404
    assert call_commands(switch) == []
    # the company's admin may act on any call of the company; hold finds the agent's leg in FreeSWITCH
    assert acme.admin.post(f"/api/agent-panel/calls/{BRAM_CALL}/hold", json={"on": True}).status_code == 200
    assert acme.admin.post(f"/api/agent-panel/calls/{BRAM_CALL}/hang-up").status_code == 200
    assert call_commands(switch)[-2:] == [f"uuid_hold {PARTNER}", f"uuid_kill {BRAM_CALL}"]


def test_a_transfer_names_the_field_at_fault(acme, other, db):
    live_call(db, acme, CALL, user_id=acme.anna, offered_to=acme.anna, agent_leg=AGENT_LEG)
    path = f"/api/agent-panel/calls/{CALL}/transfer"
    for body, pointer in (({}, "/to"), ({"to": "user"}, "/user_id"), ({"to": "user", "user_id": other.anna}, "/user_id"),
                          ({"to": "queue", "queue_id": other.queues[0]}, "/queue_id"), ({"to": "number", "number": "12; ls"}, "/number"),
                          ({"to": "fax"}, "/to"), ({"to": "user", "user_id": acme.bram, "extra": 1}, "/extra")):
        answer = acme.agent.post(path, json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert [e["pointer"] for e in answer.json()["errors"]] == [pointer], body


def test_freeswitch_away_is_503_and_a_refusal_502(acme, db, switch):
    live_call(db, acme, CALL, user_id=acme.anna, offered_to=acme.anna, agent_leg=AGENT_LEG)
    switch.api_answers["uuid_kill " + CALL] = "-ERR No such channel!\n"
    answer = acme.agent.post(f"/api/agent-panel/calls/{CALL}/hang-up")
    assert answer.status_code == 502 and answer.json()["code"] == "freeswitch_refused"
    switch_off(switch)
    answer = acme.agent.post(f"/api/agent-panel/calls/{CALL}/hang-up")
    assert answer.status_code == 503


def test_call_statuses_crud_with_field_errors_and_one_default_per_direction(acme, other):
    admin = acme.admin
    for body, pointer in (({}, "/name"), ({"name": ""}, "/name"), ({"name": "x" * 101}, "/name"),
                          ({"name": "Called\nback"}, "/name"), ({"name": "Sold", "default_for": "sideways"}, "/default_for"),
                          ({"name": "Sold", "asks_callback": "maybe"}, "/asks_callback"), ({"name": "Sold", "colour": "red"}, "/colour")):
        answer = admin.post("/api/call-statuses", json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert pointer in [e["pointer"] for e in answer.json()["errors"]], (body, answer.json())
    called_back = admin.post("/api/call-statuses", json={"name": "Called back", "default_for": "outbound"}).json()
    later = admin.post("/api/call-statuses", json={"name": "Call back later", "asks_callback": True}).json()
    sold = admin.post("/api/call-statuses", json={"name": "Sold", "default_for": "outbound"}).json()
    rows = {row["name"]: row for row in admin.get("/api/call-statuses").json()}
    assert rows["Sold"]["default_for"] == "outbound" and rows["Called back"]["default_for"] is None  # moved
    assert rows["Call back later"]["asks_callback"] is True
    assert admin.patch(f"/api/call-statuses/{called_back['id']}", json={"default_for": "inbound"}).status_code == 200
    assert admin.patch(f"/api/call-statuses/{sold['id']}", json={"name": ""}).status_code == 422
    # agents read the list (the panel offers it) but do not change it; another company sees none of it
    assert [row["name"] for row in acme.agent.get("/api/call-statuses").json()] == ["Call back later", "Called back", "Sold"]
    assert acme.agent.post("/api/call-statuses", json={"name": "Mine"}).status_code == 403
    assert acme.agent.delete(f"/api/call-statuses/{later['id']}").status_code == 403
    assert other.admin.get("/api/call-statuses").json() == []
    assert other.admin.patch(f"/api/call-statuses/{sold['id']}", json={"name": "Ours"}).status_code == 404
    panel = acme.agent.get("/api/agent-panel").json()
    assert panel["default_status"] == {"outbound": sold["id"], "inbound": called_back["id"]}
    assert admin.delete(f"/api/call-statuses/{later['id']}").status_code == 204


def test_the_outcome_and_note_are_stored_on_the_call_record_and_a_call_back_becomes_a_due_task(acme, other, db):
    later = acme.admin.post("/api/call-statuses", json={"name": "Call back later", "asks_callback": True}).json()
    mine = make_call_record(db, None, acme.tenant.id, direction="inbound", caller_number="+31612345678",
                            answered_by_user_id=acme.anna, started_at=clock.now() - timedelta(minutes=3))
    brams = make_call_record(db, None, acme.tenant.id, direction="inbound", answered_by_user_id=acme.bram,
                             started_at=clock.now() - timedelta(minutes=3))
    foreign = make_call_record(db, None, other.tenant.id, direction="inbound", answered_by_user_id=other.anna)
    foreign_status = other.admin.post("/api/call-statuses", json={"name": "Theirs"}).json()
    path = f"/api/call-records/{mine}/outcome"
    for body, pointer in (({"status_id": foreign_status["id"]}, "/status_id"), ({"note": "x" * 501}, "/note"),
                          ({"callback_at": "tomorrow"}, "/callback_at"), ({"callback_at": "2026-12-03T10:00:00"}, "/callback_at")):
        answer = acme.agent.put(path, json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert [e["pointer"] for e in answer.json()["errors"]] == [pointer], body
    due = (clock.now() + timedelta(hours=1)).isoformat()
    answer = acme.agent.put(path, json={"status_id": later["id"], "note": "Wants a quote\nfor 10 phones", "callback_at": due})
    assert answer.status_code == 200, answer.text
    assert answer.json()["task"]["number"] == "+31612345678"
    with db() as session:
        record = session.get(CallRecord, mine)
        assert (record.outcome_status_id, record.outcome_label, record.outcome_note, record.outcome_by_user_id) == \
            (later["id"], "Call back later", "Wants a quote\nfor 10 phones", acme.anna)
        assert record.outcome_at is not None
    shown = acme.admin.get(f"/api/call-records/{mine}").json()  # the call records show it too
    assert (shown["outcome_label"], shown["outcome_note"]) == ("Call back later", "Wants a quote\nfor 10 phones")
    # only one's own calls: Bram's and the other company's read as not found
    assert acme.agent.put(f"/api/call-records/{brams}/outcome", json={"note": "x"}).status_code == 404
    assert acme.agent.put(f"/api/call-records/{foreign}/outcome", json={"note": "x"}).status_code == 404
    assert acme.admin.put(f"/api/call-records/{foreign}/outcome", json={"note": "x"}).status_code == 404
    panel = acme.agent.get("/api/agent-panel").json()
    assert panel["tasks"] == [] and panel["later_tasks"] == 1  # not due yet
    assert panel["recent_calls"][0]["outcome_label"] == "Call back later"
    clock.advance(3601)
    panel = acme.agent.get("/api/agent-panel").json()
    assert [(t["number"], t["note"]) for t in panel["tasks"]] == [("+31612345678", "Wants a quote\nfor 10 phones")]
    task_id = panel["tasks"][0]["id"]
    assert acme.admin.get(f"/api/agent-panel?user_id={acme.bram}").json()["tasks"] == []  # Anna's, not Bram's
    assert other.agent.post(f"/api/agent-panel/tasks/{task_id}/done").status_code == 404
    assert acme.agent.post(f"/api/agent-panel/tasks/{task_id}/done").status_code == 204
    assert acme.agent.get("/api/agent-panel").json()["tasks"] == []
    with db() as session:
        assert session.get(AgentTask, task_id).done_at is not None


def test_todays_break_time_and_missed_offers(acme, db):
    acme.register(acme.anna)
    acme.agent.put("/api/me/agent", json={"status": "on_break"})
    clock.advance(120)
    # the break running now (the real seconds a loaded test machine takes between the requests count too)
    assert 120 <= acme.agent.get("/api/agent-panel").json()["stats"]["break_seconds"] <= 130
    acme.agent.put("/api/me/agent", json={"status": "available"})
    clock.advance(60)
    with db() as session:
        row = session.exec(select(QueueAgent).where(QueueAgent.user_id == acme.anna)).one()
        row.missed = 2
        session.add(row)
    stats = acme.agent.get("/api/agent-panel").json()["stats"]
    assert 120 <= stats["break_seconds"] <= 130 and stats["missed"] == 2


def test_tiles_stay_within_the_department_when_the_company_says_so(acme, db, app, settings):
    from web.models.company import Department

    with db() as session:
        sales, support = Department(tenant_id=acme.tenant.id, name="Sales"), Department(tenant_id=acme.tenant.id, name="Support")
        session.add_all([sales, support])
        session.flush()
        carla = PbxUser(tenant_id=acme.tenant.id, first_name="Carla", extension="204", department_id=sales.id)
        session.add(carla)
        session.flush()
        for user_id, department in ((acme.anna, sales.id), (acme.bram, support.id)):
            user = session.get(PbxUser, user_id)
            user.department_id = department
            session.add(user)
    acme.admin.patch(f"/api/queues/{acme.queues[0]}", json={"tiers": [
        {"user_id": acme.anna, "level": 1, "position": 1}, {"user_id": acme.bram, "level": 1, "position": 2},
        {"user_id": carla.id, "level": 1, "position": 3}]})
    tiles = lambda client: [t["name"] for t in client.get("/api/agent-panel").json()["tiles"]]  # noqa: E731
    assert tiles(acme.agent) == ["Bram", "Carla"]
    assert acme.admin.patch("/api/company", json={"agent_tiles_by_department": True}).status_code == 200
    assert tiles(acme.agent) == ["Carla"]  # Bram is in another department
    assert [t["name"] for t in acme.admin.get(f"/api/agent-panel?user_id={acme.anna}").json()["tiles"]] == ["Bram", "Carla"]
