"""Call plans (/api/plans): a draft saved freely, published versions that calls run, and the tools around
them (validate, simulate, XML preview, history, diff, rollback, clone, export/import, diversions).

- Saving a draft refuses only documents that are not CallPlans at all (422, JSON pointers into the
  document); what the validator finds (unknown references, unreachable steps, loops) comes back with
  the saved draft, because a half-built plan must be storable.
- Publishing refuses while the validator reports errors (422 "plan_invalid" with the list), then checks
  the plan's numbers: internal ones are claimed in web.domain.numbering (owner kind "call_plan"; those dropped
  since the last publish are released), public ones must be the company's DIDs that route nowhere else.
  A DID keeps `destination` None while a plan answers it: web.destinations has no "plan" type; the
  plan's own numbers are what the dialplan routes.
- Diversions are state, not design: switching one (on switches the others of its category off) writes
  `active_diversions`, which overrides the documents' `active` flags on the next dialplan fetch; no
  publish needed. A new plan (create, import, clone) starts with the diversions its document marks
  active, at most one per category.
- Route bodies are validated by the handler, after the plan was found (see PlanRoute): another
  company's plan id answers 404 whatever the body holds.
- GET /api/plans/{id}/editor is what the canvas opens with, in one request instead of eleven: the plan
  as GET /api/plans/{id} answers it, the validator's findings, and the company's objects a plan can
  name, each list as its own route answers it.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator
from starlette.responses import JSONResponse, Response

from callplan.compiler import compile_plan
from callplan.model import CallPlan, StepId
from callplan.simulator import simulate_plan
from callplan.text import plain_text
from callplan.validate import validate
from web import clock
from callplan.diff import document_diff
from web.domain import plans, references
from web.api import audio, conference_rooms, ivr_menus, queues, ring_groups, schedules, users, voicemail_boxes
from web.api.problems import Problem, field_problem, from_validation_error
from web.api import json_body
from web.api.routing import ApiRoute, api, jsonable
from web.api.schedules import _instant
from web.domain.diversions import switch_diversion
from web.domain.snapshot_cache import kept_per_generation, reading_snapshot
from web.domain.callplan_snapshot import (
    normalised,
    plan_uses,
    published_documents,
    snapshot,
    with_diversions,
)
from web.models import Account
from web.models.call_plan import CallPlanRecord, CallPlanVersion
from web.permissions import allowed
from web.scoping import get_owned, scoped
from web.validation import Instant

references.register_kind("plan", CallPlanRecord)
if plan_uses not in references.EXTRA_FINDERS:
    references.EXTRA_FINDERS.append(plan_uses)


# --- bodies: validated late, with pointers into the document ------------------------------------


def document_problem(exc: ValidationError, data: Any) -> Problem:
    return from_validation_error(exc, data=data)


class LateBody:
    """A JSON object body the handler validates once it has found its plan."""

    def __init__(self, data: dict, model: type[BaseModel]):
        self.data = data
        self.model = model

    def parse(self):
        try:
            return self.model.model_validate(self.data)
        except ValidationError as exc:
            raise document_problem(exc, self.data)


class PlanRoute(ApiRoute):
    """An API route whose body is checked by the handler: the router's own order (body before handler)
    would answer a foreign plan id with a 422 about the body, telling that the id exists; and its
    pointers would carry pydantic's union tags. `body_model` still describes the body in OpenAPI."""

    def _parse_body(self, raw: bytes) -> LateBody:
        data = json_body.parse(raw)
        if not isinstance(data, dict):
            raise Problem(422, "invalid", errors=[{"pointer": "", "code": "object_type", "message": "must be a JSON object"}])
        return LateBody(data, self.body_model)


class PublishRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(default="", max_length=500)

    _printable_note = field_validator("note")(plain_text)


class RollbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1)


class CloneRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)

    _printable_name = field_validator("name")(plain_text)


class SimulateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: Optional[str] = Field(default=None, max_length=16)  # the number dialled; one of the plan's
    caller: str = Field(default="", max_length=100)  # the caller's name as the phones would show it
    at: Optional[Instant] = None  # default: now
    keys: list[Literal["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", ""]] = Field(default=[], max_length=50)
    answers: list[StepId] = Field(default=[], max_length=200)  # ringing steps that answer
    version: Literal["draft", "published"] = "draft"


# --- answers ---------------------------------------------------------------------------------------


class PlanProblem(BaseModel):
    """One finding of callplan.validate, pointing into the document."""

    model_config = ConfigDict(extra="allow")
    step_id: Optional[str] = None
    pointer: str
    code: str
    message: str


class ValidationReport(BaseModel):
    ok: bool
    errors: list[PlanProblem]
    warnings: list[PlanProblem]


class PlanSummary(BaseModel):
    id: int
    name: str
    numbers: list[str]  # the published version's: what reaches the plan now ([] if never published)
    draft_numbers: list[str]
    state: Literal["draft", "published", "changed"]  # never published / draft equals it / draft differs
    published_version: Optional[int]
    published_at: Optional[datetime]
    active_diversions: list[str]
    draft_updated_at: datetime
    draft_updated_by: Optional[int]  # account id
    draft_updated_by_email: Optional[str]
    created_at: datetime


class PlanDetail(PlanSummary):
    document: dict  # the draft, a CallPlan document


class DraftSaved(PlanDetail):
    errors: list[PlanProblem]
    warnings: list[PlanProblem]


# What the canvas draws with and its pickers offer, by the names the editor uses: each list exactly as
# its own GET answers it (GET /api/users, /api/ring-groups, ...; "plans" as GET /api/plans).
EDITOR_LISTS = {
    "users": users.resource, "ring_groups": ring_groups.resource, "queues": queues.resource,
    "schedules": schedules.weekly, "holidays": schedules.holidays, "ivr_menus": ivr_menus.resource,
    "voicemail_boxes": voicemail_boxes.resource, "conference_rooms": conference_rooms.resource, "audio": audio.resource,
}

EditorObjects = create_model(
    "EditorObjects", **{name: (list[resource.public_model], ...) for name, resource in EDITOR_LISTS.items()},
    plans=(list[PlanSummary], ...),
)


class EditorBundle(DraftSaved):
    """GET /api/plans/{id} with the validator's findings (as POST .../validate answers them) and the
    company's objects: everything the canvas needs to open, in one round trip."""

    objects: EditorObjects


class VersionInfo(BaseModel):
    version: int
    published_at: datetime
    published_by: Optional[int]
    published_by_email: Optional[str]
    note: str
    numbers: list[str]


class VersionDocument(VersionInfo):
    document: dict


class PublishResult(BaseModel):
    plan: PlanSummary
    version: VersionInfo
    warnings: list[PlanProblem]


class DiffResult(BaseModel):
    from_version: str
    to_version: str
    # {"op": "add", "path", "value"} | {"op": "remove", "path", "old"} | {"op": "replace", "path", "old",
    # "value"} | {"op": "move", "from", "path"}: see document_diff
    changes: list[dict]


class SimulationAnswer(BaseModel):
    version: int  # 0: the draft
    steps: list[str]
    outcome: str
    entered: str
    caller_name: str


# --- reading ----------------------------------------------------------------------------------------


def _get(ctx, id: int) -> CallPlanRecord:
    return get_owned(ctx.db, CallPlanRecord, ctx.tenant_id, id)


def _version(ctx, row: CallPlanRecord, number: int, pointer: str = "/version") -> CallPlanVersion:
    version = ctx.db.exec(scoped(CallPlanVersion, ctx.tenant_id).where(
        CallPlanVersion.plan_id == row.id, CallPlanVersion.version == number)).first()
    if version is None:
        raise field_problem(404, "version_not_found", pointer, f"this plan has no version {number}")
    return version


def _select(ctx, row: CallPlanRecord, raw: str, pointer: str) -> tuple[dict, int]:
    """("draft" | "published" | a number) -> (document, version number; 0 for the draft)."""
    if raw == "draft":
        return row.draft, 0
    if raw == "published":
        if row.published_version is None:
            raise field_problem(409, "plan_not_published", pointer, "this plan has no published version yet")
        number = row.published_version
    elif raw.isascii() and raw.isdigit() and len(raw) <= 9:
        number = int(raw)
    else:
        raise field_problem(422, "invalid_version", pointer, 'must be "draft", "published" or a version number')
    return _version(ctx, row, number, pointer).document, number


def _emails(ctx, ids) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = ctx.db.exec(scoped(Account, ctx.tenant_id).where(Account.id.in_(wanted))).all()
    return {row.id: row.email for row in rows}


def _summaries(ctx, rows: list[CallPlanRecord], model=PlanSummary, published=None, **extra) -> list:
    if published is None:
        published = published_documents(ctx.db, ctx.tenant_id)
    emails = _emails(ctx, [row.draft_updated_by for row in rows])
    result = []
    for row in rows:
        version = published.get(row.id)
        if version is None:
            state = "draft"
        else:
            state = "published" if version.document == row.draft else "changed"
        fields = dict(
            id=row.id, name=row.name, numbers=list((version.document if version else {}).get("numbers") or []),
            draft_numbers=list(row.draft.get("numbers") or []), state=state, published_version=row.published_version,
            published_at=version.published_at if version else None, active_diversions=list(row.active_diversions),
            draft_updated_at=row.draft_updated_at, draft_updated_by=row.draft_updated_by,
            draft_updated_by_email=emails.get(row.draft_updated_by), created_at=row.created_at,
        )
        if model is not PlanSummary:
            fields["document"] = row.draft
        result.append(model(**fields, **extra))
    return result


def _problems(items) -> list[PlanProblem]:
    return [PlanProblem.model_validate(item.as_dict()) for item in items]


def _report(ctx, row: CallPlanRecord, document: dict, reading: bool = False):
    """The validator's findings on the plan as calls would run it (its diversions switched as now).
    `reading`: the request wrote nothing, the snapshot may come from web.domain.snapshot_cache."""
    objects = (reading_snapshot if reading else snapshot)(ctx.db, ctx.tenant_id, ctx.settings)
    return validate(with_diversions(document, row.active_diversions), objects, plan_id=row.id)


def _saved(ctx, row: CallPlanRecord) -> DraftSaved:
    ctx.db.flush()
    report = _report(ctx, row, row.draft)
    return _summaries(ctx, [row], DraftSaved, errors=_problems(report.errors), warnings=_problems(report.warnings))[0]


def _version_info(ctx, version: CallPlanVersion, model=VersionInfo, emails=None):
    emails = emails if emails is not None else _emails(ctx, [version.published_by])
    fields = dict(version=version.version, published_at=version.published_at, published_by=version.published_by,
                  published_by_email=emails.get(version.published_by), note=version.note,
                  numbers=list(version.document.get("numbers") or []))
    if model is VersionDocument:
        fields["document"] = version.document
    return model(**fields)


# --- handlers ---------------------------------------------------------------------------------------


def _first_active(plan: CallPlan) -> list[str]:
    active, categories = [], set()
    for diversion in plan.diversions:
        if diversion.active and diversion.category not in categories:
            categories.add(diversion.category)
            active.append(diversion.id)
    return active


def _new_plan(ctx, plan: CallPlan) -> DraftSaved:
    row = CallPlanRecord(tenant_id=ctx.tenant_id, name=plan.name, draft=normalised(plan),
                         draft_updated_at=clock.now(), draft_updated_by=ctx.account.id,
                         active_diversions=_first_active(plan))
    ctx.db.add(row)
    return _saved(ctx, row)


def list_plans(ctx):
    """Every call plan of the company, with its numbers, state and last change."""
    rows = ctx.db.exec(scoped(CallPlanRecord, ctx.tenant_id).order_by(CallPlanRecord.name, CallPlanRecord.id)).all()
    return _summaries(ctx, rows)


def create_plan(ctx, body: LateBody):
    """Add a call plan: a name alone, or a whole CallPlan document. Validation findings come back."""
    return _new_plan(ctx, body.parse())


def import_plan(ctx, body: LateBody):
    """Add a call plan from an exported document (numbers included; they are checked when publishing)."""
    return _new_plan(ctx, body.parse())


def get_plan(ctx, id: int):
    """One call plan: its draft document and where it stands."""
    return _summaries(ctx, [_get(ctx, id)], PlanDetail)[0]


def editor_bundle(ctx, id: int):
    """Everything the canvas opens with in one answer: the plan as GET /api/plans/{id} gives it, the
    validator's errors and warnings on its draft, and the lists its cards and pickers name (users, ring
    groups, queues, schedules, holiday schedules, IVR menus, voicemail boxes, audio, plans)."""
    row = _get(ctx, id)
    published = published_documents(ctx.db, ctx.tenant_id)
    plan_rows = ctx.db.exec(scoped(CallPlanRecord, ctx.tenant_id).order_by(CallPlanRecord.name, CallPlanRecord.id)).all()
    # the plans as list_plans answers them: not kept (they name who changed each last, an account)
    objects = {**_editor_lists(ctx), "plans": jsonable(_summaries(ctx, plan_rows, published=published))}
    errors, warnings = _draft_findings(ctx, row)
    bundle = _summaries(ctx, [row], DraftSaved, published=published, errors=errors, warnings=warnings)[0]
    # JSON-ready already: answered as it is, not walked through jsonable() again (~60,000 values)
    return JSONResponse({**bundle.model_dump(mode="json"), "objects": objects})


def _draft_findings(ctx, row: CallPlanRecord) -> tuple[list[PlanProblem], list[PlanProblem]]:
    """The validator's errors and warnings on the stored draft, kept like the editor's lists until the
    company's configuration changes (a plan's draft and diversions are part of it): opening a plan again
    validates nothing (~5 ms of the server's time for 500 steps, bench/canvas.py). What they were found on
    is kept with them and compared, so a draft read before a change that another request committed meanwhile
    is never answered with the other's findings (nor the other's with this one's)."""
    def build():
        report = _report(ctx, row, row.draft, reading=True)
        return row.draft, list(row.active_diversions), _problems(report.errors), _problems(report.warnings)

    kept = kept_per_generation(ctx.db, ctx.tenant_id, ("draft findings", row.id), build)
    if kept[0] != row.draft or kept[1] != list(row.active_diversions):
        kept = build()
    return kept[2], kept[3]


def _editor_lists(ctx) -> dict:
    """The lists of the company's objects a plan names, exactly as their own routes answer them (an
    object stored with a value that no longer validates comes as it is, with its `problems`; shaped as
    EditorBundle says, not validated again), JSON-ready. Kept until the company's configuration changes
    (the lists are half of opening a plan, and the same for every opening): per role (what it may read)
    and language (the schedules' warnings)."""
    def build():
        lists = {}
        for name, resource in EDITOR_LISTS.items():
            readable = allowed(ctx.role, resource.read_permission or resource.permission)
            lists[name] = jsonable(resource.list_rows(ctx)) if readable else []
        return lists

    return kept_per_generation(ctx.db, ctx.tenant_id, ("editor lists", ctx.role, ctx.lang), build)


def save_draft(ctx, body: LateBody, id: int):
    """Replace the draft with a whole document. Only a document that is no CallPlan is refused; the
    validator's errors and warnings come back with the saved draft."""
    row = _get(ctx, id)
    document = normalised(body.parse())
    if document != row.draft:
        row.draft, row.name = document, document["name"]
        row.draft_updated_at, row.draft_updated_by = clock.now(), ctx.account.id
        ctx.db.add(row)
    return _saved(ctx, row)


def validate_plan(ctx, body: LateBody, id: int):
    """What the validator finds in the draft, or in the document sent (the editor's unsaved state,
    checked as this plan without storing it; a body that is no CallPlan gets 422 with pointers)."""
    row = _get(ctx, id)
    document = normalised(body.parse()) if body.data else row.draft
    report = _report(ctx, row, document, reading=True)
    errors, warnings = _problems(report.errors), _problems(report.warnings)
    return ValidationReport(ok=not errors, errors=errors, warnings=warnings)


def _publish(ctx, row: CallPlanRecord, note: str) -> PublishResult:
    report = _report(ctx, row, row.draft)
    if report.errors:
        raise Problem(422, "plan_invalid", errors=[item.as_dict() for item in report.errors],
                      params={"count": len(report.errors)})
    version = plans.publish(ctx.db, ctx.tenant_id, row, published_by=ctx.account.id, note=note)
    return PublishResult(plan=_summaries(ctx, [row])[0], version=_version_info(ctx, version),
                         warnings=_problems(report.warnings))


def publish_plan(ctx, body: LateBody, id: int):
    """Publish the draft as the next version; refused (422 "plan_invalid") while it has errors, and when
    its numbers are not free to take."""
    row = _get(ctx, id)
    return _publish(ctx, row, body.parse().note)


def rollback_plan(ctx, body: LateBody, id: int):
    """Go back to an earlier version: its document replaces the draft (unpublished changes are lost) AND
    is published again as a new version, so the history only ever grows."""
    row = _get(ctx, id)
    wanted = body.parse().version
    document = _version(ctx, row, wanted).document
    row.draft, row.name = document, document.get("name", row.name)
    row.draft_updated_at, row.draft_updated_by = clock.now(), ctx.account.id
    ctx.db.add(row)
    ctx.db.flush()
    return _publish(ctx, row, f"rollback to version {wanted}")


def clone_plan(ctx, body: LateBody, id: int):
    """A new plan with a copy of this draft under another name, without numbers (numbers are unique)."""
    row = _get(ctx, id)
    name = body.parse().name
    try:
        plan = CallPlan.model_validate({**row.draft, "name": name, "numbers": []})
    except ValidationError as exc:
        raise document_problem(exc, row.draft)
    return _new_plan(ctx, plan)


def list_versions(ctx, id: int):
    """The published versions, newest first."""
    row = _get(ctx, id)
    versions = ctx.db.exec(scoped(CallPlanVersion, ctx.tenant_id).where(CallPlanVersion.plan_id == row.id)
                           .order_by(CallPlanVersion.version.desc())).all()
    emails = _emails(ctx, [version.published_by for version in versions])
    return [_version_info(ctx, version, emails=emails) for version in versions]


def get_version(ctx, id: int, version: str):
    """One published version's document ("published" names the latest; "draft" the draft)."""
    row = _get(ctx, id)
    if version == "draft":
        raise field_problem(422, "invalid_version", "/version", "the draft is GET /api/plans/{id}")
    _, number = _select(ctx, row, version, "/version")
    return _version_info(ctx, _version(ctx, row, number), VersionDocument)


def plan_diff(ctx, id: int):
    """What changed between two versions (?from=, ?to=: a number, "published" or "draft"; default the
    published version to the draft)."""
    row = _get(ctx, id)
    query = ctx.request.query_params
    old_name, new_name = query.get("from", "published"), query.get("to", "draft")
    old, _ = _select(ctx, row, old_name, "/from")
    new, _ = _select(ctx, row, new_name, "/to")
    return DiffResult(from_version=old_name, to_version=new_name, changes=document_diff(old, new))


def export_plan(ctx, id: int):
    """The draft as a JSON file to keep or to import elsewhere."""
    row = _get(ctx, id)
    slug = re.sub(r"[^a-z0-9]+", "-", row.name.lower()).strip("-")[:40] or "plan"
    return Response(json.dumps(row.draft, ensure_ascii=False, indent=2), media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="call-plan-{row.id}-{slug}.json"',
        "X-Content-Type-Options": "nosniff",
    })


def delete_plan(ctx, id: int):
    """Delete a plan; refused while its published version has numbers, and while other plans transfer
    to it (with the list)."""
    row = _get(ctx, id)
    version = published_documents(ctx.db, ctx.tenant_id).get(row.id)
    numbers = list((version.document if version else {}).get("numbers") or [])
    if numbers:
        raise Problem(409, "plan_has_numbers", extra={"numbers": numbers})
    references.refuse_if_used(ctx.db, ctx.tenant_id, "plan", row.id, ignore=[("plan", row.id)])
    plans.claim_internal_numbers(ctx.db, ctx.tenant_id, row, [])
    # Through the ORM, so the audit log keeps each version (the foreign key would cascade too).
    for old in ctx.db.exec(scoped(CallPlanVersion, ctx.tenant_id).where(CallPlanVersion.plan_id == row.id)).all():
        ctx.db.delete(old)
    ctx.db.flush()
    ctx.db.delete(row)
    return None


def simulate(ctx, body: LateBody, id: int):
    """Walk one call through the draft or the published version: the steps it takes and how it ends."""
    row = _get(ctx, id)
    request = body.parse()
    document, version = _select(ctx, row, request.version, "/version")
    plan = with_diversions(document, row.active_diversions)
    if request.number is not None and request.number not in plan.numbers:
        raise field_problem(422, "not_a_plan_number", "/number", "is not one of this plan's numbers")
    objects = snapshot(ctx.db, ctx.tenant_id, ctx.settings)
    result = simulate_plan(plan, objects, request.at or clock.now(), plan_id=row.id, caller_name=request.caller,
                           keys=request.keys, answers=request.answers)
    return SimulationAnswer(version=version, steps=result.steps, outcome=result.outcome, entered=result.entered,
                            caller_name=result.caller_name)


def plan_xml(ctx, id: int):
    """The dialplan FreeSWITCH would get (?version=draft|published, ?at=<ISO instant>, default now)."""
    row = _get(ctx, id)
    query = ctx.request.query_params
    document, version = _select(ctx, row, query.get("version", "draft"), "/version")
    at = _instant(query.get("at"))
    compilation = compile_plan(with_diversions(document, row.active_diversions), row.id, version,
                               snapshot(ctx.db, ctx.tenant_id, ctx.settings), at)
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    if compilation.valid_until is not None:
        headers["X-Valid-Until"] = compilation.valid_until.isoformat()
    return Response(compilation.document(), media_type="application/xml", headers=headers)


def _switch(ctx, id: int, diversion_id: str, on: bool):
    row = _get(ctx, id)
    switch_diversion(ctx.db, ctx.tenant_id, row, diversion_id, on)
    return _summaries(ctx, [row])[0]


def diversion_on(ctx, id: int, diversion_id: str):
    """Switch a diversion on (the others of its category go off); calls take it from the next one on."""
    return _switch(ctx, id, diversion_id, True)


def diversion_off(ctx, id: int, diversion_id: str):
    """Switch a diversion off."""
    return _switch(ctx, id, diversion_id, False)


# --- routes ------------------------------------------------------------------------------------------


def _plan_route(method: str, path: str, handler, body, **options) -> PlanRoute:
    return PlanRoute(method, path, handler, permission="pbx.manage", body=body, **options)


ITEM = "/api/plans/{id:int}"

routes = [
    api("GET", "/api/plans", list_plans, permission="pbx.manage", response=list[PlanSummary]),
    _plan_route("POST", "/api/plans", create_plan, CallPlan, response=DraftSaved, status=201),
    _plan_route("POST", "/api/plans/import", import_plan, CallPlan, response=DraftSaved, status=201),
    api("GET", ITEM, get_plan, permission="pbx.manage", response=PlanDetail, model=CallPlanRecord),
    api("GET", f"{ITEM}/editor", editor_bundle, permission="pbx.manage", response=EditorBundle, model=CallPlanRecord),
    api("DELETE", ITEM, delete_plan, permission="pbx.manage", status=204, model=CallPlanRecord),
    _plan_route("PUT", f"{ITEM}/draft", save_draft, CallPlan, response=DraftSaved, model=CallPlanRecord),
    _plan_route("POST", f"{ITEM}/validate", validate_plan, CallPlan, response=ValidationReport, model=CallPlanRecord),
    _plan_route("POST", f"{ITEM}/publish", publish_plan, PublishRequest, response=PublishResult, model=CallPlanRecord),
    _plan_route("POST", f"{ITEM}/rollback", rollback_plan, RollbackRequest, response=PublishResult,
                model=CallPlanRecord),
    _plan_route("POST", f"{ITEM}/clone", clone_plan, CloneRequest, response=DraftSaved, status=201,
                model=CallPlanRecord),
    api("GET", f"{ITEM}/versions", list_versions, permission="pbx.manage", response=list[VersionInfo],
        model=CallPlanRecord),
    api("GET", f"{ITEM}/versions/{{version}}", get_version, permission="pbx.manage", response=VersionDocument,
        model=CallPlanRecord),
    api("GET", f"{ITEM}/diff", plan_diff, permission="pbx.manage", response=DiffResult, model=CallPlanRecord),
    api("GET", f"{ITEM}/export", export_plan, permission="pbx.manage", model=CallPlanRecord),
    _plan_route("POST", f"{ITEM}/simulate", simulate, SimulateRequest, response=SimulationAnswer,
                model=CallPlanRecord),
    api("GET", f"{ITEM}/xml", plan_xml, permission="pbx.manage", model=CallPlanRecord),
    api("POST", f"{ITEM}/diversions/{{diversion_id}}/on", diversion_on, permission="pbx.manage",
        response=PlanSummary, model=CallPlanRecord),
    api("POST", f"{ITEM}/diversions/{{diversion_id}}/off", diversion_off, permission="pbx.manage",
        response=PlanSummary, model=CallPlanRecord),
]
