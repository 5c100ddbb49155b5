"""POST /freeswitch/cdr as mod_xml_cdr calls it (the captured real posts), and its spool folder."""

from __future__ import annotations

import base64
import os
import time
from urllib.parse import quote

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from tests.conftest import fast_settings
from tests.web.call_record_samples import (IVR_CALL, QUEUE_CALL, cdr_body, cdr_document, cdr_posts, cdr_xml,
                                           hangup_event)
from tests.web.helpers import make_tenant, switch_client
from web.domain import call_records
from web.models.call_record import CallRecord
from web.xml_curl.cdr import PATH

USER, PASSWORD = "freeswitch", "cdr-secret"
DOMAIN = "acme.pbx.test"
FORM = {"content-type": "application/x-www-form-urlencoded", "user-agent": "freeswitch-xml/1.0"}


def basic(user=USER, password=PASSWORD) -> dict:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def settings(database_url, tmp_path):
    # FreeSWITCH's door needs its own password configured (none refuses everything)
    return fast_settings(database_url, audio_dir=str(tmp_path / "audio"), xml_curl_password=PASSWORD,
                         cdr_spool_dir=str(tmp_path / "cdr-spool"))


@pytest.fixture
def tenant(db):
    return make_tenant(db, sip_domain=DOMAIN)


@pytest.fixture
def fs(app):
    client = switch_client(app)

    def post(body: str, uuid: str = IVR_CALL, **headers):
        return client.post(f"{PATH}?uuid=a_{uuid}", content=body, headers={**FORM, **basic(), **headers})

    return post


def records(db) -> list[CallRecord]:
    with db() as session:
        return session.exec(select(CallRecord).order_by(CallRecord.id)).all()


def test_credentials_are_required(app, fs, db):
    client = switch_client(app)
    body = cdr_posts()[IVR_CALL]
    assert client.post(PATH, content=body, headers=FORM).status_code == 401
    assert client.post(PATH, content=body, headers={**FORM, **basic(password="wrong")}).status_code == 401
    assert client.post(PATH, content=body, headers={**FORM, **basic(user="someone")}).status_code == 401
    assert records(db) == []
    assert fs(body).status_code == 200


def test_source_addresses_are_those_of_xml_curl(database_url, tmp_path):
    from web.app import create_app

    app = create_app(fast_settings(database_url, audio_dir=str(tmp_path), xml_curl_password=PASSWORD,
                                   xml_curl_allowed_addresses=("192.0.2.2",)))
    body = cdr_posts()[IVR_CALL]
    assert TestClient(app, client=("192.0.2.9", 4000)).post(PATH, content=body, headers={**FORM, **basic()}).status_code == 403
    assert TestClient(app, client=("192.0.2.2", 4000)).post(PATH, content=body, headers={**FORM, **basic()}).status_code == 200
    app.state.engine.dispose()


def test_the_same_cdr_posted_twice_is_one_record(fs, db, tenant):
    body = cdr_posts()[IVR_CALL]  # the captured POST body, byte for byte (the real call's domain)
    first, second = fs(body), fs(body)
    assert first.status_code == 200 and first.text == "stored\n"
    assert second.status_code == 200 and second.text == "already stored\n"
    (record,) = records(db)
    assert record.call_uuid == IVR_CALL and record.sources == ["cdr"]
    assert record.caller_number == "1001" and record.caller_name == "Ext 1001" and record.dialled_number == "9000"
    assert record.direction == "internal" and record.call_type == "internal"
    assert (record.duration_seconds, record.billed_seconds, record.hangup_cause) == (4, 4, "NORMAL_CLEARING")
    assert record.started_at.isoformat() == "2026-11-21T22:45:38.934571+00:00"
    assert record.ended_at.isoformat() == "2026-11-21T22:45:42.694486+00:00"
    assert record.missed  # FreeSWITCH's IVR answered, no person did
    assert record.tenant_id is None  # 127.0.0.1 is nobody's domain: kept, for the operator


def test_the_tenant_comes_from_the_channels_domain(fs, db, tenant):
    assert fs(cdr_body(cdr_document(QUEUE_CALL, domain=DOMAIN)), uuid=QUEUE_CALL).status_code == 200
    (record,) = records(db)
    assert record.tenant_id == tenant.id and record.dialled_number == "5000" and record.missed


def test_cp_tenant_id_wins_over_the_domain(fs, db, tenant):
    other = make_tenant(db, name="Other", sip_domain="other.pbx.test")
    fs(cdr_body(cdr_document(IVR_CALL, domain=DOMAIN, set_vars={"cp_tenant_id": str(other.id)})))
    assert records(db)[0].tenant_id == other.id


@pytest.mark.parametrize("source", ["cdr", "event"])
def test_a_caller_cannot_file_a_call_under_a_company_by_naming_its_domain(fs, db, tenant, source):
    """A carrier's (or anybody's) call to a number of nobody: the app routed it nowhere, so nothing the
    app set names a company; the request URI and To host the caller wrote name the tenant's domain."""
    forged = dict(sip_req_host=DOMAIN, sip_to_host=DOMAIN, sofia_profile_name="external")
    if source == "cdr":
        fs(cdr_body(cdr_document(IVR_CALL, set_vars=forged, drop=("domain_name",))))
    else:
        with db() as session:
            call_records.store(session, call_records.from_event(hangup_event(IVR_CALL, set_vars=forged,
                                                                             drop=("variable_domain_name",)).headers), "events")
    [record] = records(db)
    assert record.tenant_id is None


def test_the_public_context_files_a_carriers_call_under_the_number_s_company(fs, db, tenant):
    other = make_tenant(db, name="Other", sip_domain="other.pbx.test")
    routed = dict(cp_tenant_id=str(tenant.id), sip_req_host=other.sip_domain, sip_to_host=other.sip_domain,
                  sofia_profile_name="external")
    fs(cdr_body(cdr_document(IVR_CALL, set_vars=routed, drop=("domain_name",))))
    assert records(db)[0].tenant_id == tenant.id



@pytest.mark.parametrize("order", ["cdr_then_event", "event_then_cdr"])
def test_cdr_and_event_of_one_call_are_one_record_with_fields_merged(fs, db, tenant, order):
    # the event has no steps and no plan (say the bridge was restarted mid-call), the CDR has them;
    # the event came with a hangup cause the CDR does not carry
    document = cdr_document(IVR_CALL, domain=DOMAIN, push={"cp_path": ["4:2:welcome", "4:2:menu"]},
                            set_vars={"cp_plan": "4", "cp_version": "2"}, drop=("hangup_cause",))
    event = hangup_event(IVR_CALL, domain=DOMAIN)

    def post_cdr():
        assert fs(cdr_body(document)).status_code == 200

    def send_event():
        with db() as session:
            call_records.store(session, call_records.from_event(event.headers), "events")

    for step in ((post_cdr, send_event) if order == "cdr_then_event" else (send_event, post_cdr)):
        step()
    (record,) = records(db)
    assert sorted(record.sources) == ["cdr", "events"]
    assert record.steps == ["welcome", "menu"] and (record.plan_id, record.plan_version) == (4, 2)
    assert record.hangup_cause == "NORMAL_CLEARING"
    assert record.tenant_id == tenant.id and record.billed_seconds == 4


def test_garbage_is_refused_with_a_reason_and_nothing_is_stored(fs, db):
    for body in ("", "cdr=", "cdr=hello", "cdr=" + quote("<cdr><variables></variables></cdr>"),
                 "cdr=" + quote("<notcdr/>"), "cdr=" + quote("<cdr><unclosed>"), "%ff%fe", "x=1&y=2",
                 "cdr=" + quote('<?xml version="1.0"?><!DOCTYPE cdr [<!ENTITY a "aaaa">]><cdr>&a;</cdr>')):
        answered = fs(body)
        assert answered.status_code == 400, (body, answered.status_code)
        assert "not a call record" in answered.text
    assert fs("cdr=" + "x" * 4_100_000).status_code == 413
    assert records(db) == []


def test_odd_values_in_a_parseable_record_are_stored_not_refused(fs, db, tenant):
    # never lose a parseable record: a time no clock tells, a NUL, an endless number, an overlong name
    document = cdr_document(IVR_CALL, domain=DOMAIN, set_vars={
        "start_uepoch": "9" * 30, "billsec": "9" * 40, "hangup_cause": "NORMAL\x00CLEARING",
        "cp_dialled": "0612345678" + "9" * 100, "cp_plan": "x"})
    document = document.replace("<caller_id_name>Ext 1001</caller_id_name>", f"<caller_id_name>{'N' * 300}</caller_id_name>")
    assert fs(cdr_body(document)).status_code == 200
    (record,) = records(db)
    assert record.hangup_cause == "NORMALCLEARING" and record.billed_seconds == 0 and len(record.caller_name) == 100
    assert record.started_at is not None and len(record.dialled_number) == 64


def test_other_encodings_mod_xml_cdr_can_use(fs, db):
    document = cdr_xml(IVR_CALL)
    assert fs(document, **{"content-type": "text/xml"}).status_code == 200  # encode=text/xml
    encoded = base64.b64encode(document.encode()).decode()
    assert fs("cdr=" + quote(encoded), **{"content-type": "application/x-www-form-base64-encoded"}).status_code == 200
    assert len(records(db)) == 1


def test_a_database_failure_is_503_so_freeswitch_retries(app, fs, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr("web.xml_curl.cdr.store", broken)
    answered = fs(cdr_posts()[IVR_CALL])
    assert answered.status_code == 503 and answered.headers["retry-after"]


def test_posts_past_the_writers_backlog_are_503_at_once_and_stored_when_it_has_room(app, fs, db, monkeypatch, caplog):
    """Past MAX_WAITING records waiting for the writer, a post is refused before its body is read (FreeSWITCH
    retries it, then spools it for the bridge): a switch past its CPU no longer piles up posts that pass
    its timeout and are posted and stored again (#20). Once there is room, the same post is stored."""
    from web.xml_curl import cdr

    stored = []
    monkeypatch.setattr(cdr, "store", lambda *args, **kwargs: stored.append(args) or (None, True))
    monkeypatch.setattr(cdr, "_waiting", cdr.MAX_WAITING)
    monkeypatch.setattr(cdr, "_busy_logged", 0.0)
    body = cdr_posts()[IVR_CALL]
    with caplog.at_level("WARNING", logger="web.xml_curl.cdr"):
        refused = [fs(body) for _ in range(3)]
    assert {answer.status_code for answer in refused} == {503} and refused[0].headers["retry-after"]
    assert stored == []
    assert len([r for r in caplog.records if "refused (503)" in r.getMessage()]) == 1  # once per BUSY_LOG_SECONDS
    assert switch_client(app).post(f"{PATH}?uuid=a_{IVR_CALL}", content=body, headers=FORM).status_code == 401
    monkeypatch.setattr(cdr, "_waiting", cdr.MAX_WAITING - 1)
    assert fs(body).status_code == 200 and len(stored) == 1
    assert cdr._waiting == cdr.MAX_WAITING - 1  # counted while it waited, and no longer


def test_posts_waiting_together_are_stored_in_one_transaction_and_a_bad_one_alone(app, db, tenant, monkeypatch):
    """What waits for the writer is stored in one transaction (a backlog shrinks faster than it grew, #20);
    a body that is no CDR is refused alone, and when the shared transaction fails each record is tried in
    a transaction of its own, so only the failing one is not stored."""
    import threading

    from web.xml_curl import cdr

    release = threading.Event()
    cdr._WRITER.submit(release.wait, 10)  # the writer busy: the posts below wait together
    engine = app.state.engine
    good = cdr_body(cdr_document(IVR_CALL, domain=DOMAIN))
    other = cdr_body(cdr_document(QUEUE_CALL, domain=DOMAIN))
    transactions, real_store = [], cdr.store

    def counting(db, facts, source, **kwargs):
        if not transactions or transactions[-1] is not db:
            transactions.append(db)
        if facts.call_uuid == QUEUE_CALL and len(transactions) == 1:
            raise RuntimeError("this record spoils the shared transaction")
        return real_store(db, facts, source, **kwargs)

    monkeypatch.setattr(cdr, "store", counting)
    futures = [cdr._submit(engine, good, ""), cdr._submit(engine, b"no cdr at all", ""), cdr._submit(engine, other, "")]
    release.set()
    assert futures[0].result(10) is True and futures[2].result(10) is True
    with pytest.raises(call_records.NotACdr):
        futures[1].result(10)
    assert len(transactions) == 3  # the shared one (failed), then each record in its own
    assert sorted(record.call_uuid for record in records(db)) == sorted([IVR_CALL, QUEUE_CALL])

    transactions.clear()
    monkeypatch.setattr(cdr, "store", lambda db, facts, source, **kwargs: transactions.append(db) or (None, False))
    release.clear()
    cdr._WRITER.submit(release.wait, 10)
    futures = [cdr._submit(engine, good, "") for _ in range(3)]
    release.set()
    assert [future.result(10) for future in futures] == [False, False, False]
    assert len(set(map(id, transactions))) == 1  # three records, one transaction


def test_b_legs_make_no_record_but_say_who_answered(fs, db, tenant):
    from tests.web.factories_phonebook import make_pbx_user

    user_id = make_pbx_user(db, tenant.id, first_name="Bea", extension="202")
    # the A leg: bridged to someone (last_bridge_to, bridge time) whose number its record cannot tell
    a_leg = cdr_document(QUEUE_CALL, domain=DOMAIN, set_vars={"last_bridge_to": IVR_CALL, "bridge_uepoch": "1795301144000000"})
    # its B leg, as mod_xml_cdr posts it with log-b-leg (no a_ prefix): originator, the user's variables
    b_leg = cdr_document(IVR_CALL, domain=DOMAIN, set_vars={"originator": QUEUE_CALL, "cp_user_id": str(user_id),
                                                            "dialed_user": "202"},
                         originator={"uuid": QUEUE_CALL, "caller_id_number": "1001"})
    assert fs(cdr_body(a_leg), uuid=QUEUE_CALL).status_code == 200
    assert fs(cdr_body(b_leg), uuid=IVR_CALL).status_code == 200
    (record,) = records(db)
    assert record.call_uuid == QUEUE_CALL
    assert record.answered_by_user_id == user_id and record.answered_by == "Bea" and not record.missed


def test_a_b_leg_before_its_a_leg_is_ignored(fs, db, tenant):
    b_leg = cdr_document(IVR_CALL, domain=DOMAIN, set_vars={"originator": QUEUE_CALL})
    assert fs(cdr_body(b_leg), uuid=IVR_CALL).status_code == 200
    assert records(db) == []


def test_the_spool_folder_is_collected_and_emptied_after_commit(app, settings, db, tenant):
    spool = os.path.join(settings.cdr_spool_dir)
    os.makedirs(spool)
    # what mod_xml_cdr writes when it cannot post: the URL-encoded value of `cdr`, named by leg
    with open(os.path.join(spool, f"a_{IVR_CALL}.cdr.xml"), "w") as f:
        f.write(cdr_body(cdr_document(IVR_CALL, domain=DOMAIN))[4:])
    with open(os.path.join(spool, f"a_{QUEUE_CALL}.cdr.xml"), "w") as f:
        f.write(cdr_document(QUEUE_CALL, domain=DOMAIN))  # encode=false: plain XML
    with open(os.path.join(spool, "a_garbage.cdr.xml"), "w") as f:
        f.write("this is no call record")
    with open(os.path.join(spool, "unrelated.txt"), "w") as f:
        f.write("left alone")
    past = time.time() - 60
    for name in os.listdir(spool):
        os.utime(os.path.join(spool, name), (past, past))
    with open(os.path.join(spool, "a_fresh.cdr.xml"), "w") as f:
        f.write("still being written")  # young: waits for the next round

    assert call_records.collect_spool(app.state.engine, settings) == 2
    assert sorted(os.listdir(spool)) == ["a_fresh.cdr.xml", "a_garbage.cdr.xml.bad", "unrelated.txt"]
    assert sorted(r.call_uuid for r in records(db)) == sorted([IVR_CALL, QUEUE_CALL])
    assert all(r.tenant_id == tenant.id for r in records(db))
    # collected again (FreeSWITCH posted it meanwhile, or a second collector): still one record each
    with open(os.path.join(spool, f"a_{IVR_CALL}.cdr.xml"), "w") as f:
        f.write(cdr_posts()[IVR_CALL][4:])
    os.utime(os.path.join(spool, f"a_{IVR_CALL}.cdr.xml"), (past, past))
    assert call_records.collect_spool(app.state.engine, settings) == 1
    assert len(records(db)) == 2


def test_a_file_is_kept_when_the_database_refuses_it(app, settings, monkeypatch):
    os.makedirs(settings.cdr_spool_dir)
    path = os.path.join(settings.cdr_spool_dir, f"a_{IVR_CALL}.cdr.xml")
    with open(path, "w") as f:
        f.write(cdr_posts()[IVR_CALL][4:])
    os.utime(path, (time.time() - 60, time.time() - 60))

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(call_records, "store_cdr", broken)
    assert call_records.collect_spool(app.state.engine, settings) == 0
    assert os.path.exists(path)


def test_concurrent_posts_of_one_call_store_one_record(app, fs, db, tenant):
    from concurrent.futures import ThreadPoolExecutor

    body = cdr_body(cdr_document(IVR_CALL, domain=DOMAIN))
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: fs(body).status_code, range(16)))
    assert answers == [200] * 16
    assert len(records(db)) == 1


def test_a_cdr_and_its_event_arriving_at_the_same_moment_are_one_record(fs, db, tenant):
    """The web app (the CDR post) and the bridge (the event) store the same call at once, many times."""
    from concurrent.futures import ThreadPoolExecutor

    uuids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(12)]

    def post(uuid):
        return fs(cdr_body(cdr_document(IVR_CALL, domain=DOMAIN, set_vars={"uuid": uuid})), uuid=uuid).status_code

    def event(uuid):
        facts = call_records.from_event(hangup_event(IVR_CALL, domain=DOMAIN, set_vars={"uuid": uuid}).headers)
        with db() as session:
            call_records.store(session, facts, "events")
        return 200

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda job: job[0](job[1]), [(f, u) for u in uuids for f in (post, event)]))
    assert answers == [200] * 24
    stored = records(db)
    assert sorted(r.call_uuid for r in stored) == uuids
    assert all(sorted(r.sources) == ["cdr", "events"] for r in stored)
