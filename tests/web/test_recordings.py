"""Call recordings in the portal (#18 item 1): listed with their call, played, downloaded and deleted; who
hears which (admins all, the reports role all when the company grants it, everyone else their own calls'),
another company's never; the company's retention deletes them (file and row) after N days. SQLite and
PostgreSQL."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from tests.web.factories_call_records import make_call_record
from tests.web.helpers import make_account, make_token
from tests.web.pbx import admin, other_admin  # noqa: F401  (fixtures)
from tests.web.recording_support import recorded
from web import clock
from web.domain import recordings
from web.models.audit import AuditEntry
from web.models.recording import Recording


def client_of(app, db, settings, tenant_id: int, email: str, role: str) -> tuple[TestClient, int]:
    account = make_account(db, settings, tenant_id, email, role=role)
    return TestClient(app, headers={"authorization": f"Bearer {make_token(db, account)}"}), account.id


def ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


@pytest.fixture
def company(app, db, settings, admin):
    """Anna and Bram with portal logins of role user, a reports login, and recordings: Anna's own call,
    a queue call Bram answered, a plan step's recording of a call nobody of them had."""
    anna_client, anna_account = client_of(app, db, settings, admin.tenant.id, "anna@acme.test", "user")
    bram_client, bram_account = client_of(app, db, settings, admin.tenant.id, "bram@acme.test", "agent")
    reports_client, _ = client_of(app, db, settings, admin.tenant.id, "numbers@acme.test", "reports")
    anna = admin.user("201", "Anna", account_id=anna_account)
    bram = admin.user("202", "Bram", account_id=bram_account)
    now = clock.now()
    own_call = make_call_record(db, settings, admin.tenant.id, caller_number="201", dialled_number="0612345678",
                                started_at=now - timedelta(minutes=30))
    queue_call = make_call_record(db, settings, admin.tenant.id, direction="inbound", caller_number="+31612345678",
                                  dialled_number="+31201234500", answered_by_user_id=bram["id"],
                                  started_at=now - timedelta(minutes=20))
    with db() as session:
        from web.models.call_record import CallRecord
        uuids = {row.id: row.call_uuid for row in session.exec(select(CallRecord)).all()}
    rows = {
        "anna": recorded(db, settings, admin.tenant.id, seconds=5, call_uuid=uuids[own_call], user_id=anna["id"],
                         at=now - timedelta(minutes=30)),
        "queue": recorded(db, settings, admin.tenant.id, seconds=7, reason="queue", call_uuid=uuids[queue_call],
                          at=now - timedelta(minutes=20)),
        "step": recorded(db, settings, admin.tenant.id, seconds=3, reason="step", at=now - timedelta(minutes=10)),
    }
    return {"anna": anna_client, "bram": bram_client, "reports": reports_client, "rows": rows, "calls": uuids,
            "own_call": own_call, "queue_call": queue_call}


def test_each_role_hears_what_it_may(admin, company):
    rows = company["rows"]
    listed = admin.client.get("/api/recordings").json()
    assert [row["id"] for row in listed] == [rows["step"], rows["queue"], rows["anna"]]  # newest first
    anna = next(row for row in listed if row["id"] == rows["anna"])
    assert anna["duration_seconds"] == 5 and anna["reason"] == "user" and anna["user_name"] == "Anna"
    assert anna["call_record_id"] == company["own_call"] and anna["caller_number"] == "201"
    assert anna["expires_at"] is None  # no retention: kept
    # one call's recordings (what /calls shows in the call's detail)
    queue_uuid = company["calls"][company["queue_call"]]
    assert ids(admin.client.get(f"/api/recordings?call_uuid={queue_uuid}")) == [rows["queue"]]

    # a user: the own recording only; another's is a 404 like a missing one, the audio too
    assert ids(company["anna"].get("/api/recordings")) == [rows["anna"]]
    assert company["anna"].get(f"/api/recordings/{rows['queue']}").status_code == 404
    assert company["anna"].get(f"/api/recordings/{rows['queue']}/audio").status_code == 404
    # an agent: the calls they answered
    assert ids(company["bram"].get("/api/recordings")) == [rows["queue"]]
    # the reports role: nothing until the company grants it, then everything; deleting stays the admin's
    assert ids(company["reports"].get("/api/recordings")) == []
    assert company["reports"].get(f"/api/recordings/{rows['step']}/audio").status_code == 404
    assert admin.client.patch("/api/company", json={"recordings_for_reports": True}).status_code == 200
    assert admin.client.get("/api/company").json()["recordings_for_reports"] is True
    assert ids(company["reports"].get("/api/recordings")) == [rows["step"], rows["queue"], rows["anna"]]
    assert company["reports"].delete(f"/api/recordings/{rows['step']}").status_code == 403
    assert company["anna"].delete(f"/api/recordings/{rows['anna']}").status_code == 403


def test_play_download_and_delete(admin, company, settings, db):
    rows = company["rows"]
    played = company["anna"].get(f"/api/recordings/{rows['anna']}/audio")
    assert played.status_code == 200 and played.headers["content-type"] == "audio/wav"
    assert played.headers["content-disposition"].startswith("inline") and played.content[:4] == b"RIFF"
    saved = company["anna"].get(f"/api/recordings/{rows['anna']}/audio?download=1")
    assert saved.headers["content-disposition"].startswith("attachment")
    with db() as session:
        name = session.get(Recording, rows["anna"]).file_name
    path = os.path.join(settings.recordings_dir, str(admin.tenant.id), name)
    assert os.path.isfile(path)
    assert admin.client.delete(f"/api/recordings/{rows['anna']}").status_code == 204
    assert not os.path.exists(path)
    assert admin.client.get(f"/api/recordings/{rows['anna']}").status_code == 404
    with db() as session:
        audit = session.exec(select(AuditEntry).where(AuditEntry.object_type == "recording")).all()
    assert [entry.action for entry in audit] == ["recording.delete"]
    # a file gone from the folder (removed by hand) is said, never a 500
    with db() as session:
        other = session.get(Recording, rows["step"]).file_name
    os.remove(os.path.join(settings.recordings_dir, str(admin.tenant.id), other))
    gone = admin.client.get(f"/api/recordings/{rows['step']}/audio")
    assert gone.status_code == 404 and gone.json()["code"] == "recording_file_missing"


def test_another_company_never_sees_them(admin, other_admin, company):
    rows = company["rows"]
    assert ids(other_admin.client.get("/api/recordings")) == []
    for row in rows.values():
        assert other_admin.client.get(f"/api/recordings/{row}").status_code == 404
        assert other_admin.client.get(f"/api/recordings/{row}/audio").status_code == 404
        assert other_admin.client.delete(f"/api/recordings/{row}").status_code == 404
    assert ids(other_admin.client.get(f"/api/recordings?call_uuid={company['calls'][company['own_call']]}")) == []
    assert len(ids(admin.client.get("/api/recordings"))) == 3  # all still there


def test_bad_filters_are_422_with_their_field(admin):
    for query, pointer in (("call_uuid=x';--", "/call_uuid"), ("limit=0", "/limit"), ("user_id=abc", "/user_id")):
        response = admin.client.get(f"/api/recordings?{query}")
        assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == pointer


def test_retention_deletes_old_recordings_of_companies_that_keep_them_n_days(admin, other_admin, db, settings):
    now = clock.now()
    old = recorded(db, settings, admin.tenant.id, at=now - timedelta(days=31))
    young = recorded(db, settings, admin.tenant.id, at=now - timedelta(days=29))
    others_old = recorded(db, settings, other_admin.tenant.id, at=now - timedelta(days=400))  # keeps everything
    assert admin.client.patch("/api/company", json={"recording_retention_days": 30}).status_code == 200
    listed = {row["id"]: row for row in admin.client.get("/api/recordings").json()}
    assert listed[young]["expires_at"] is not None
    with db() as session:
        names = {row.id: row.file_name for row in session.exec(select(Recording)).all()}
        assert recordings.expire(session, settings.recordings_dir) == 1
    with db() as session:
        assert {row.id for row in session.exec(select(Recording)).all()} == {young, others_old}
    assert not os.path.exists(os.path.join(settings.recordings_dir, str(admin.tenant.id), names[old]))
    assert os.path.exists(os.path.join(settings.recordings_dir, str(admin.tenant.id), names[young]))
    # a bad retention is refused beside its field; null keeps them again
    refused = admin.client.patch("/api/company", json={"recording_retention_days": 0})
    assert refused.status_code == 422 and refused.json()["errors"][0]["pointer"] == "/recording_retention_days"
    assert admin.client.patch("/api/company", json={"recording_retention_days": None}).json()["recording_retention_days"] is None
