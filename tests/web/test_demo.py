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
        "/api/auth/password", json={"current_password": password, "new_password": "demo demo demo"}).json()["csrf_token"]

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
    company = client.get("/api/company").json()
    assert company["night_mode"] == "auto" and company["company_number"] == "+31201234567"
    assert state["tenant_name"] == "Demo Company"
    with db() as session:
        assert all(token.revoked_at is not None for token in session.exec(select(ApiToken)).all())
