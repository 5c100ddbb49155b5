"""The API additions the call-plan canvas needs: validating the editor's unsaved document (POST
/api/plans/{id}/validate with a body) without storing it, without a body the stored draft; and the editor
bundle (GET /api/plans/{id}/editor) the canvas opens with: the plan, the validator's findings and the
company's objects in one answer, each part exactly as its own route gives it."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.web.factories_audio import make_audio_file
from tests.web.helpers import make_account, make_token
from web.models import Account
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


def test_editor_bundle_keeps_its_lists_until_the_company_changes(app, admin, db, settings, monkeypatch):
    """The lists are the same for every opening of every plan: built once per configuration generation
    (web.domain.snapshot_cache.kept_per_generation), per role and language; any change to the company,
    through the API or any ORM session, shows in the next bundle."""
    from web.api import call_plans

    ids = company(admin, db, settings, "Acme")
    admin.create("/api/schedules", name="Twice", periods=[  # a warning, in the reader's language
        {"from_day": "mon", "from_time": "08:00", "to_day": "mon", "to_time": "12:00"},
        {"from_day": "mon", "from_time": "10:00", "to_day": "mon", "to_time": "14:00"}])
    plan_id = admin.create("/api/plans", name="Reception", steps=[{"id": "s1", "type": "ring_group", "group": ids["group"]}])["id"]
    built = []
    listed = call_plans.EDITOR_LISTS["ring_groups"].list_rows
    monkeypatch.setattr(call_plans.EDITOR_LISTS["ring_groups"], "list_rows", lambda ctx: built.append(1) or listed(ctx))

    def bundle(client=admin.client):
        answer = client.get(f"/api/plans/{plan_id}/editor")
        assert answer.status_code == 200, answer.text
        return answer.json()

    first = bundle()
    assert bundle() == first and len(built) == 1  # kept
    for name, path in EDITOR_LISTS.items():
        assert first["objects"][name] == admin.client.get(path).json(), name

    admin.client.patch(f"/api/ring-groups/{ids['group']}", json={"name": "Acme Sales Team"}).raise_for_status()
    renamed = bundle()
    assert len(built) == 2 and "Acme Sales Team" in {row["name"] for row in renamed["objects"]["ring_groups"]}
    audio = make_audio_file(db, settings, admin.tenant.id, name="Acme Lunch")  # a plain ORM session, no API
    assert audio in {row["id"] for row in bundle()["objects"]["audio"]}

    # another language: the schedules' warnings in Dutch, as /api/schedules gives them to a Dutch reader
    dutch = make_account(db, settings, admin.tenant.id, "nl@acme.test")
    with db() as session:
        session.get(Account, dutch.id).language = "nl"
    client = TestClient(app, headers={"authorization": f"Bearer {make_token(db, dutch)}"})
    in_dutch = bundle(client)["objects"]["schedules"]
    assert in_dutch == client.get("/api/schedules").json()
    warnings = [warning["message"] for row in in_dutch for warning in row["warnings"]]
    assert warnings and warnings != [warning["message"] for row in bundle()["objects"]["schedules"] for warning in row["warnings"]]
