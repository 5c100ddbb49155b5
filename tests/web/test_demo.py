"""The demo company `make run` creates is a living PBX, made through the API's own rules."""

from __future__ import annotations

from sqlmodel import select

from tests.web.helpers import login
from web.demo import DEMO_ADMIN, ensure_demo
from web.models import ApiToken


def test_demo_company_is_complete_and_made_once(app, client, db):
    made = ensure_demo(app)
    assert {role for role, _, _ in made} == {"operator", "admin"}
    assert ensure_demo(app) == []
    password = dict((email, pw) for _, email, pw in made)[DEMO_ADMIN]
    state = login(client, DEMO_ADMIN, password, expect_stage="password")
    client.headers["x-csrf-token"] = client.post(
        "/api/auth/password", json={"current_password": password, "new_password": "a quiet harbour at dawn"}).json()["csrf_token"]

    users = client.get("/api/users").json()
    assert len(users) == 6 and all(u["voicemail_box_id"] for u in users)
    devices = client.get("/api/devices").json()
    assert len(devices) == 6 and {d["user_id"] for d in devices} == {u["id"] for u in users}
    (sales,) = client.get("/api/ring-groups").json()
    assert sales["extension"] == "300" and len(sales["members"]) == 2
    (support,) = client.get("/api/queues").json()
    assert len(support["tiers"]) == 2
    assert {s["name"] for s in client.get("/api/schedules").json()} == {"Office hours", "Lunch"}
    (holidays,) = client.get("/api/holiday-schedules").json()
    assert len(holidays["entries"]) >= 8
    assert any(b["extension"] == "999" for b in client.get("/api/voicemail-boxes").json())
    assert len(client.get("/api/phonebook").json()) == 5
    numbers = {n["label"]: n for n in client.get("/api/numbers").json()}
    assert numbers["Sales"]["destination"]["type"] == "ring_group"
    caller_ids = client.get("/api/caller-ids").json()  # assigned to the company: every caller ID it shows is its own
    assert [c["number"] for c in caller_ids["allowed"]] == ["+31201234567", "+31201234568", "+31201234569"]
    assert caller_ids["problems"] == []
    company = client.get("/api/company").json()
    assert company["night_mode"] == "auto" and company["company_number"] == "+31201234567"
    assert state["tenant_name"] == "Demo Company"

    # the spec's example plan, published on the main number and extension 200
    (plan,) = client.get("/api/plans").json()
    assert plan["name"] == "Reception" and plan["state"] == "published"
    assert plan["numbers"] == ["+31201234567", "200"] and plan["active_diversions"] == []
    document = client.get(f"/api/plans/{plan['id']}").json()["document"]
    assert [step["id"] for step in document["steps"]] == ["s1", "s5", "s8", "s10"]
    assert document["steps"][0]["then"][1] == {"id": "s3", "label": "", "type": "prefix", "text": "MISSED-Q "}
    assert document["diversions"][0]["name"] == "Everything to the duty mobile"
    assert client.post(f"/api/plans/{plan['id']}/validate").json()["errors"] == []
    # Tuesday 10:00 in Amsterdam, nobody answers: queue, prefix, Sales, whose "forward after" is box 999
    walk = client.post(f"/api/plans/{plan['id']}/simulate",
                       json={"at": "2026-03-10T10:00:00+01:00", "version": "published"}).json()
    assert walk["steps"] == ["s1", "s2", "s3", "s4"] and walk["outcome"] == "transferred:999"
    with db() as session:
        assert all(token.revoked_at is not None for token in session.exec(select(ApiToken)).all())
