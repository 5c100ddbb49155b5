"""A schema-driven fuzz of the whole OpenAPI document (#11 item 7): schemathesis generates requests for
every operation from /api/openapi.json, as a logged-in admin of a company with a few objects, both data
that fits the schema and data that does not, and no answer may be a 500, nor anything but JSON where
the document declares JSON (every refusal is application/problem+json). Bounded: a few examples per
operation (some 500 in all), a fixed seed, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings as hypothesis_settings
from schemathesis.generation.modes import GenerationMode

from tests.web.helpers import make_account, make_tenant, make_token

EXAMPLES = {GenerationMode.POSITIVE: 2, GenerationMode.NEGATIVE: 1}
JSON_TYPES = ("application/json", "application/problem+json")


@pytest.fixture
def company(app, db, settings):
    """A company with an admin (by API token) and one of the objects most routes name."""
    from starlette.testclient import TestClient

    tenant = make_tenant(db)
    admin = make_account(db, settings, tenant.id, "boss@acme.test")
    headers = {"authorization": f"Bearer {make_token(db, admin)}"}
    client = TestClient(app, headers=headers)
    user = client.post("/api/users", json={"first_name": "Anna", "extension": "201"}).json()
    client.post("/api/devices", json={"name": "Desk", "user_id": user["id"]})
    client.post("/api/ring-groups", json={"name": "Front", "extension": "300", "members": [{"type": "user", "id": user["id"]}]})
    client.post("/api/plans", json={"name": "Reception", "numbers": ["250"], "steps": [{"id": "s1", "type": "hang_up"}]})
    return headers, (lambda: {"authorization": f"Bearer {make_token(db, admin)}"})


def declared(operation, status: int) -> list[str]:
    """The media types the document gives for this status (the "default" answer for any other)."""
    responses = operation.definition.raw.get("responses", {})
    answer = responses.get(str(status)) or responses.get("default") or {}
    return list(answer.get("content", {}))


def test_no_operation_answers_500_or_anything_but_the_json_it_declares(app, company):
    headers, new_headers = company
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 100
    findings: list[str] = []
    state = {"headers": headers}

    for operation in operations:
        for mode, examples in EXAMPLES.items():
            fuzz(operation, mode, examples, state, new_headers, findings)
    assert not findings, "\n".join(findings)


def fuzz(operation, mode, examples: int, state: dict, new_headers, findings: list) -> None:
    """A few requests for one operation, each answer checked; what is wrong goes into `findings`."""
    @hypothesis_settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy(generation_mode=mode))
    def run(case):
        response = case.call(headers=state["headers"])
        if response.status_code == 401:  # the fuzz revoked its own token: a new one, and on
            state["headers"] = new_headers()
        where = f"{case.method} {case.formatted_path} ({mode}): {response.status_code}"
        if response.status_code >= 500:
            findings.append(f"{where} {response.text[:200]}")
            return
        media_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
        wanted = [m for m in declared(operation, response.status_code) if m in JSON_TYPES]
        if wanted and media_type not in wanted:
            findings.append(f"{where} answered {media_type or 'nothing'}, the document says {wanted}")
        if media_type in JSON_TYPES:
            try:
                json.loads(response.content)
            except ValueError:
                findings.append(f"{where} answered {media_type} that is no JSON: {response.text[:100]!r}")

    run()
