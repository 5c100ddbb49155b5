"""The one API addition the call-plan canvas needs: validating the editor's unsaved document
(POST /api/plans/{id}/validate with a body) without storing it; without a body the stored draft."""

from __future__ import annotations

from tests.web.pbx import admin, other_admin  # noqa: F401  (fixtures)


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
