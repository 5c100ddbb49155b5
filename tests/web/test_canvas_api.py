"""The API additions the call-plan canvas needs: validating the editor's unsaved document (POST
/api/plans/{id}/validate with a body) without storing it, without a body the stored draft; and the editor
bundle (GET /api/plans/{id}/editor) the canvas opens with: the plan, the validator's findings and the
company's objects in one answer, each part exactly as its own route gives it."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.web.factories_audio import make_audio_file
from tests.web.helpers import make_account, make_token
from tests.web.pbx import Admin, admin, other_admin  # noqa: F401  (fixtures)

# the bundle's "objects" -> the route that lists them on its own
EDITOR_LISTS = {
    "users": "/api/users", "ring_groups": "/api/ring-groups", "queues": "/api/queues", "schedules": "/api/schedules",
    "holidays": "/api/holiday-schedules", "ivr_menus": "/api/ivr-menus", "voicemail_boxes": "/api/voicemail-boxes",
    "conference_rooms": "/api/conference-rooms", "audio": "/api/audio", "plans": "/api/plans",
}


def test_validate_checks_the_document_sent_without_storing_it(admin):
    queue = admin.create("/api/queues", name="Support", extension="400")["id"]
    plan = admin.create("/api/plans", name="Reception", steps=[{"id": "s1", "type": "queue", "queue": queue}])
    plan_id = plan["id"]
    assert plan["errors"] == []

    unsaved = {"name": "Reception", "steps": [
        {"id": "s1", "type": "hang_up"},
        {"id": "s2", "type": "queue", "queue": queue + 1000},
    ]}
    report = admin.client.post(f"/api/plans/{plan_id}/validate", json=unsaved)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["ok"] is False
    found = {(error["step_id"], error["code"]) for error in body["errors"]}
    assert ("s2", "unreachable") in found and ("s2", "unknown_reference") in found
    assert all(error["pointer"].startswith("/steps/1") for error in body["errors"])

    # Nothing was stored: the draft still holds the one queue step and validates clean.
    stored = admin.client.get(f"/api/plans/{plan_id}").json()
    assert [step["id"] for step in stored["document"]["steps"]] == ["s1"]
    assert stored["draft_updated_at"] == plan["draft_updated_at"]
    draft = admin.client.post(f"/api/plans/{plan_id}/validate")
    assert draft.status_code == 200 and draft.json()["ok"] is True and draft.json()["errors"] == []


def test_validate_refuses_a_document_that_is_no_call_plan_with_pointers(admin):
    plan_id = admin.create("/api/plans", name="Reception")["id"]
    response = admin.client.post(f"/api/plans/{plan_id}/validate", json={
        "name": "Reception", "steps": [{"id": "s1", "type": "queue"}]})
    assert response.status_code == 422, response.text
    assert [error["pointer"] for error in response.json()["errors"]] == ["/steps/0/queue"]


def test_validate_answers_404_for_another_companys_plan_whatever_the_body(admin, other_admin):
    foreign = other_admin.create("/api/plans", name="Theirs")["id"]
    assert admin.client.post(f"/api/plans/{foreign}/validate", json={"steps": "nonsense"}).status_code == 404
    assert admin.client.post(f"/api/plans/{foreign}/validate").status_code == 404


def company(admin: Admin, db, settings, prefix: str) -> dict:
    """One of every object a plan can name, called `prefix` something; their ids."""
    anna = admin.user("201", f"{prefix} Anna")["id"]
    group = admin.create("/api/ring-groups", name=f"{prefix} Sales", extension="300", members=[{"type": "user", "id": anna}])["id"]
    return {
        "user": anna, "group": group,
        "queue": admin.create("/api/queues", name=f"{prefix} Support", extension="400", tiers=[{"user_id": anna}])["id"],
        "schedule": admin.create("/api/schedules", name=f"{prefix} Office", periods=[
            {"from_day": "mon", "from_time": "08:30", "to_day": "mon", "to_time": "17:30"}])["id"],
        "holidays": admin.create("/api/holiday-schedules", name=f"{prefix} Holidays", entries=[
            {"start_date": "2026-12-25", "end_date": "2026-12-26", "yearly": True}])["id"],
        "menu": admin.create("/api/ivr-menus", name=f"{prefix} Menu", extension="500", keys={
            "1": {"action": "forward", "destination": {"type": "ring_group", "id": group}}})["id"],
        "box": admin.create("/api/voicemail-boxes", name=f"{prefix} Box", extension="999", pin="1234")["id"],
        "room": admin.create("/api/conference-rooms", name=f"{prefix} Room", extension="850", pin="1234")["id"],
        "audio": make_audio_file(db, settings, admin.tenant.id, name=f"{prefix} Closed"),
    }


def test_editor_bundle_is_the_plan_its_findings_and_the_lists_each_as_its_own_route_answers(admin, db, settings):
    ids = company(admin, db, settings, "Acme")
    other_plan = admin.create("/api/plans", name="Overflow")["id"]
    plan_id = admin.create("/api/plans", name="Reception", numbers=["200"], steps=[
        {"id": "s1", "type": "time_condition", "schedule": ids["schedule"], "holidays": ids["holidays"], "then": [
            {"id": "s2", "type": "queue", "queue": ids["queue"]},
            {"id": "s3", "type": "ring_group", "group": ids["group"]},
            {"id": "s4", "type": "announcement", "audio": ids["audio"]},
        ], "else": [{"id": "s5", "type": "ivr", "menu": ids["menu"], "keys": {"1": [
            {"id": "s6", "type": "transfer", "to": {"plan": other_plan}}]}}]},
        {"id": "s7", "type": "user", "user": ids["user"]},
        {"id": "s8", "type": "voicemail", "box": ids["box"]},
        {"id": "s9", "type": "queue", "queue": ids["queue"] + 1000},  # a reference to nothing: an error
    ])["id"]

    response = admin.client.get(f"/api/plans/{plan_id}/editor")
    assert response.status_code == 200, response.text
    bundle = response.json()
    detail = admin.client.get(f"/api/plans/{plan_id}").json()
    assert {key: bundle[key] for key in detail} == detail
    report = admin.client.post(f"/api/plans/{plan_id}/validate").json()
    assert (bundle["errors"], bundle["warnings"]) == (report["errors"], report["warnings"])
    assert ("s9", "unknown_reference") in {(error["step_id"], error["code"]) for error in bundle["errors"]}
    assert set(bundle) == set(detail) | {"errors", "warnings", "objects"}
    assert set(bundle["objects"]) == set(EDITOR_LISTS)
    for name, path in EDITOR_LISTS.items():
        assert bundle["objects"][name] == admin.client.get(path).json(), name
    # every reference of the plan is named by one of the lists
    named = {name: {row["id"] for row in rows} for name, rows in bundle["objects"].items()}
    assert ids["user"] in named["users"] and ids["group"] in named["ring_groups"] and ids["queue"] in named["queues"]
    assert ids["schedule"] in named["schedules"] and ids["holidays"] in named["holidays"] and ids["menu"] in named["ivr_menus"]
    assert ids["room"] in named["conference_rooms"]
    assert ids["box"] in named["voicemail_boxes"] and ids["audio"] in named["audio"] and other_plan in named["plans"]

    # The draft as it is now: a saved change shows in the next bundle.
    saved = admin.client.put(f"/api/plans/{plan_id}/draft", json={**detail["document"], "steps": detail["document"]["steps"][:2]})
    assert saved.status_code == 200, saved.text
    again = admin.client.get(f"/api/plans/{plan_id}/editor").json()
    assert [step["id"] for step in again["document"]["steps"]] == ["s1", "s7"] and again["errors"] == []


def test_editor_bundle_holds_only_the_own_companys_rows_and_answers_404_for_another_companys_plan(
        admin, other_admin, db, settings):
    own = company(admin, db, settings, "Acme")
    theirs = company(other_admin, db, settings, "Other")
    own_plan = admin.create("/api/plans", name="Reception", steps=[{"id": "s1", "type": "queue", "queue": own["queue"]}])["id"]
    their_plan = other_admin.create("/api/plans", name="Theirs", steps=[
        {"id": "s1", "type": "queue", "queue": theirs["queue"]}])["id"]

    bundle = admin.client.get(f"/api/plans/{own_plan}/editor").json()
    text = str(bundle["objects"])
    assert "Other" not in text and "Theirs" not in text
    assert [row["id"] for row in bundle["objects"]["plans"]] == [own_plan]
    for name, rows in bundle["objects"].items():
        assert rows, name  # the own company's rows are there
    # their queue id in our plan is a reference to nothing, not a name from their company
    with_theirs = admin.client.post(f"/api/plans/{own_plan}/validate", json={
        "name": "Reception", "steps": [{"id": "s1", "type": "queue", "queue": theirs["queue"]}]}).json()
    assert {error["code"] for error in with_theirs["errors"]} == {"unknown_reference"}

    foreign = admin.client.get(f"/api/plans/{their_plan}/editor")
    missing = admin.client.get(f"/api/plans/{their_plan + 1000}/editor")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["title"] == missing.json()["title"]
    assert other_admin.client.get(f"/api/plans/{their_plan}/editor").status_code == 200


def test_editor_bundle_needs_pbx_manage(app, admin, db, settings):
    plan_id = admin.create("/api/plans", name="Reception")["id"]
    assert TestClient(app).get(f"/api/plans/{plan_id}/editor").status_code == 401
    for role in ("user", "agent", "reports"):
        account = make_account(db, settings, admin.tenant.id, f"{role}@acme.test", role=role)
        client = TestClient(app, headers={"authorization": f"Bearer {make_token(db, account)}"})
        assert client.get(f"/api/plans/{plan_id}/editor").status_code == 403, role
    operator = make_account(db, settings, None, "operator@platform.test", role="operator")
    client = TestClient(app, headers={"authorization": f"Bearer {make_token(db, operator)}"})
    assert client.get(f"/api/plans/{plan_id}/editor").status_code == 403
