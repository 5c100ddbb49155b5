"""Publishing a call plan: the numbers a version answers are taken for it, then the version is stored.

- Internal numbers are claimed in the one namespace of a company (web.domain.numbering; owner kind
  "call_plan", several per plan); those dropped since the last publish are let go unless something still
  dials them.
- Public numbers must be the company's own DIDs that route nowhere else (another plan's published
  version, or a DID's own destination).
Both edges may publish (the API today; an import or the operator tomorrow), so none of this knows HTTP:
refusals are Problems with pointers into the plan document."""

from __future__ import annotations

from sqlmodel import Session

from web import clock
from web.domain import numbering, references
from web.domain.callplan_snapshot import PLAN_OWNER, published_documents
from web.domain.problems import field_problem
from web.models.call_plan import CallPlanRecord, CallPlanVersion
from web.models.internal_number import InternalNumber
from web.models.phone_number import PhoneNumber
from web.scoping import scoped


def check_public_numbers(db: Session, tenant_id: int, row: CallPlanRecord, numbers: list[str]) -> None:
    public = [(index, number) for index, number in enumerate(numbers) if number.startswith("+")]
    if not public:
        return
    dids = {did.number: did for did in db.exec(
        scoped(PhoneNumber, tenant_id).where(PhoneNumber.number.in_([n for _, n in public]))).all()}
    answered_by_others = {number for plan_id, version in published_documents(db, tenant_id).items()
                          if plan_id != row.id for number in version.document.get("numbers") or []}
    for index, number in public:
        did = dids.get(number)
        where = f"/numbers/{index}"
        if did is None:
            raise field_problem(422, "did_not_owned", where, f"{number} is not one of the company's public numbers")
        if did.destination or number in answered_by_others:
            raise field_problem(409, "did_assigned_elsewhere", where, f"{number} already routes somewhere else")


def claim_internal_numbers(db: Session, tenant_id: int, row: CallPlanRecord, numbers: list[str]) -> None:
    """Make exactly the plan's internal numbers its own in the one namespace (several per plan, so not
    web.domain.numbering.claim, which keeps one per owner); a number something still dials is not let go."""
    wanted: dict[str, int] = {}
    for index, number in enumerate(numbers):
        if not number.startswith("+"):
            wanted.setdefault(number, index)
    held = db.exec(scoped(InternalNumber, tenant_id).where(
        InternalNumber.owner_kind == PLAN_OWNER, InternalNumber.owner_id == row.id)).all()
    for claim in held:
        if claim.number not in wanted:
            references.refuse_if_used(db, tenant_id, "extension", claim.number, ignore=[("plan", row.id)])
            db.delete(claim)
    db.flush()
    have = {claim.number for claim in held}
    for number, index in wanted.items():
        if number in have:
            continue
        taken = numbering.holder(db, tenant_id, number)
        if taken is not None:
            owner = "call plan" if taken.owner_kind == PLAN_OWNER else taken.owner_kind.replace("_", " ")
            raise field_problem(409, "number_taken", f"/numbers/{index}", f"{number} is already used by a {owner}")
        db.add(InternalNumber(tenant_id=tenant_id, number=number, owner_kind=PLAN_OWNER, owner_id=row.id))
        db.flush()


def publish(db: Session, tenant_id: int, row: CallPlanRecord, *, published_by: int | None, note: str) -> CallPlanVersion:
    """Store the draft as the next version once its numbers are free to take (the caller has validated
    it). Diversions the new version no longer has are no longer switched on."""
    numbers = list(row.draft.get("numbers") or [])
    check_public_numbers(db, tenant_id, row, numbers)
    claim_internal_numbers(db, tenant_id, row, numbers)
    version = CallPlanVersion(tenant_id=tenant_id, plan_id=row.id, version=(row.published_version or 0) + 1,
                              document=row.draft, published_at=clock.now(), published_by=published_by, note=note)
    db.add(version)
    ids = {diversion.get("id") for diversion in row.draft.get("diversions") or []}
    row.published_version = version.version
    row.active_diversions = [ident for ident in row.active_diversions if ident in ids]
    db.add(row)
    db.flush()
    return version
