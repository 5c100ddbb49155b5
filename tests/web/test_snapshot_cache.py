"""The call-plan editor's reads (opening a plan, validating it after each edit) keep the tenant's snapshot
per configuration generation (web.domain.snapshot_cache): built once while nothing changes, built again
as soon as anything a plan can name changes, never another tenant's."""

from __future__ import annotations

from tests.web.pbx import Admin, admin, other_admin  # noqa: F401  (fixtures)
from web.domain import snapshot_cache


def findings(admin: Admin, plan_id: int, body=None) -> set:
    answer = admin.client.post(f"/api/plans/{plan_id}/validate", json=body) if body else admin.client.post(f"/api/plans/{plan_id}/validate")
    assert answer.status_code == 200, answer.text
    return {(item["step_id"], item["code"]) for item in answer.json()["errors"]}


def test_the_snapshot_is_built_once_per_generation_and_again_after_a_change(admin):
    queue = admin.create("/api/queues", name="Support", extension="400")["id"]
    plan = {"name": "Reception", "steps": [{"id": "s1", "type": "queue", "queue": queue}]}
    plan_id = admin.create("/api/plans", **plan)["id"]

    assert admin.client.get(f"/api/plans/{plan_id}/editor").json()["errors"] == []
    built = snapshot_cache.builds
    for _ in range(3):  # opening again and validating edits: nothing changed, nothing built
        assert admin.client.get(f"/api/plans/{plan_id}/editor").status_code == 200
        assert findings(admin, plan_id, plan) == set()
    assert snapshot_cache.builds == built

    # a new object a plan may name: the editor's unsaved document naming it is fine at once
    spare = admin.create("/api/queues", name="Sales", extension="401")["id"]
    unsaved = {"name": "Reception", "steps": [{"id": "s1", "type": "queue", "queue": queue},
                                              {"id": "s2", "type": "queue", "queue": spare}]}
    assert findings(admin, plan_id, unsaved) == set()
    assert snapshot_cache.builds == built + 1

    # and when it goes (no stored plan names it), the next validation knows at once
    deleted = admin.client.delete(f"/api/queues/{spare}")
    assert deleted.status_code == 204, deleted.text
    assert ("s2", "unknown_reference") in findings(admin, plan_id, unsaved)
    assert snapshot_cache.builds == built + 2
    assert admin.client.get(f"/api/plans/{plan_id}/editor").json()["errors"] == []
    assert snapshot_cache.builds == built + 2


def test_saving_builds_from_its_own_transaction(admin):
    """A save validates what it wrote (its generation is not committed yet): never from the cache."""
    plan_id = admin.create("/api/plans", name="Reception")["id"]
    admin.client.get(f"/api/plans/{plan_id}/editor")
    queue = admin.create("/api/queues", name="Support", extension="400")["id"]
    saved = admin.client.put(f"/api/plans/{plan_id}/draft", json={"name": "Reception", "steps": [
        {"id": "s1", "type": "queue", "queue": queue}, {"id": "s2", "type": "queue", "queue": queue + 1000}]})
    assert saved.status_code == 200, saved.text
    assert {(item["step_id"], item["code"]) for item in saved.json()["errors"]} >= {("s2", "unknown_reference")}
    assert ("s1", "unknown_reference") not in {(item["step_id"], item["code"]) for item in saved.json()["errors"]}


def test_another_tenants_objects_are_never_in_the_snapshot(admin, other_admin):
    theirs = other_admin.create("/api/queues", name="Their support", extension="400")["id"]
    their_plan = other_admin.create("/api/plans", name="Theirs", steps=[{"id": "s1", "type": "queue", "queue": theirs}])["id"]
    assert other_admin.client.get(f"/api/plans/{their_plan}/editor").json()["errors"] == []  # cached for them
    plan_id = admin.create("/api/plans", name="Reception")["id"]
    ours = {"name": "Reception", "steps": [{"id": "s1", "type": "queue", "queue": theirs}]}
    assert ("s1", "unknown_reference") in findings(admin, plan_id, ours)
    assert ("s1", "unknown_reference") in findings(admin, plan_id, ours)  # and from the cache, the same
    assert findings(other_admin, their_plan) == set()


def test_the_drafts_findings_are_kept_until_the_draft_or_what_it_names_changes(admin, monkeypatch):
    """Opening a plan again validates nothing (web.api.call_plans._draft_findings); after a saved draft or
    any other change of the company's configuration the next opening validates again, and a kept finding is
    never another draft's."""
    from web.api import call_plans

    runs = []
    validate = call_plans.validate
    monkeypatch.setattr(call_plans, "validate", lambda *args, **kwargs: runs.append(1) or validate(*args, **kwargs))
    queue = admin.create("/api/queues", name="Support", extension="400")["id"]
    plan_id = admin.create("/api/plans", name="Reception", steps=[{"id": "s1", "type": "queue", "queue": queue}])["id"]

    def opened() -> set:
        answer = admin.client.get(f"/api/plans/{plan_id}/editor")
        assert answer.status_code == 200, answer.text
        return {(item["step_id"], item["code"]) for item in answer.json()["errors"]}

    assert opened() == set()
    runs.clear()
    assert opened() == set() and opened() == set()
    assert runs == []

    saved = admin.client.put(f"/api/plans/{plan_id}/draft", json={"name": "Reception", "steps": [
        {"id": "s1", "type": "queue", "queue": queue}, {"id": "s2", "type": "queue", "queue": queue + 1000}]})
    assert saved.status_code == 200, saved.text
    assert opened() == {("s2", "unknown_reference")}
    runs.clear()
    assert opened() == {("s2", "unknown_reference")}
    assert runs == []

    admin.create("/api/queues", name="Sales", extension="401")  # anything else a plan may name: found again
    runs.clear()
    assert opened() == {("s2", "unknown_reference")}
    assert runs == [1]

    # kept under a generation, but found on another draft (read before a change committed meanwhile):
    # validated again, not answered from the other
    kept = snapshot_cache._values[admin.app.state.engine]
    key = (admin.tenant.id, ("draft findings", plan_id))
    generation, (draft, diversions, _errors, warnings) = kept[key]
    kept[key] = (generation, ({**draft, "steps": []}, diversions, [], warnings))
    runs.clear()
    assert opened() == {("s2", "unknown_reference")}
    assert runs == [1]
