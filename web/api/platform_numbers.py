"""The operator's numbers: every public number on the platform with the company holding it, assigning
single numbers and blocks, taking them back, and the caller IDs verified for each company.

A company's admin routes the numbers assigned to it (web/api/phone_numbers.py) and shows on calls out
only those or the ones verified here (web/domain/numbers.py)."""

from __future__ import annotations

from sqlmodel import func, select

from web.api.params import MAX_ID, int_param
from web.api.problems import Problem, field_problem
from web.api.routing import api
from web.domain import numbers
from web.domain.callplan_snapshot import published_documents
from web.models import Tenant
from web.models.phone_number import (
    AssignedRange, NumberRange, PhoneNumber, PlatformNumber, PlatformNumberPage, VerifiedCallerId,
    VerifiedCallerIdCreate, VerifiedCallerIdPublic,
)

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


def _names(ctx) -> dict[int, str]:
    return dict(ctx.db.exec(select(Tenant.id, Tenant.name)).all())


def _answered(ctx, tenant_ids) -> set[tuple[int, str]]:
    """(tenant, number) for every number a published plan of these companies answers."""
    return {(tenant_id, number) for tenant_id in set(tenant_ids)
            for version in published_documents(ctx.db, tenant_id).values()
            for number in version.document.get("numbers") or []}


def _tenant_filter(ctx):
    tenant_id = int_param(ctx.request.query_params, "tenant_id", None, 1, MAX_ID)
    if tenant_id is not None:
        numbers.require_tenant(ctx.db, tenant_id)
    return tenant_id


def list_numbers(ctx):
    """Every public number on the platform with its company, a page at a time (?tenant_id=, ?q= digits
    the number contains, ?limit=, ?offset=)."""
    query = ctx.request.query_params
    limit = int_param(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = int_param(query, "offset", 0, 0, 10**9)
    statement = select(PhoneNumber)
    tenant_id = _tenant_filter(ctx)
    if tenant_id is not None:
        statement = statement.where(PhoneNumber.tenant_id == tenant_id)
    text = (query.get("q") or "").strip().removeprefix("+")
    if text:
        if not (text.isascii() and text.isdigit() and len(text) <= 15):
            raise field_problem(422, "invalid_filter", "/q", "must be digits of a number, at most 15")
        statement = statement.where(PhoneNumber.number.contains(text))
    total = ctx.db.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = ctx.db.exec(statement.order_by(PhoneNumber.number).limit(limit).offset(offset)).all()
    names, answered = _names(ctx), _answered(ctx, [row.tenant_id for row in rows])
    items = [PlatformNumber(id=row.id, number=row.number, tenant_id=row.tenant_id, tenant_name=names.get(row.tenant_id, ""),
                            label=row.label, number_type=row.number_type, country=row.country,
                            routed=bool(row.destination) or (row.tenant_id, row.number) in answered,
                            assigned_at=row.assigned_at)
             for row in rows]
    return PlatformNumberPage(items=items, total=total, limit=limit, offset=offset)


def _ranges(ctx, rows: list[PhoneNumber]) -> list[AssignedRange]:
    names, answered = _names(ctx), _answered(ctx, [row.tenant_id for row in rows])
    by_tenant: dict[int, list[PhoneNumber]] = {}
    for row in sorted(rows, key=lambda r: (r.tenant_id, len(r.number), r.number)):
        by_tenant.setdefault(row.tenant_id, []).append(row)
    found = []
    for tenant_id, held in by_tenant.items():
        routed = {row.number for row in held if row.destination or (tenant_id, row.number) in answered}
        for first, last, count in numbers.runs([row.number for row in held]):
            inside = sum(1 for number in routed if len(number) == len(first) and first <= number <= last)
            found.append(AssignedRange(tenant_id=tenant_id, tenant_name=names.get(tenant_id, ""), first=first, last=last,
                                       count=count, routed=inside))
    return sorted(found, key=lambda r: (r.first, r.tenant_id))


def list_ranges(ctx):
    """The platform's numbers as blocks: consecutive numbers of one company shown as first..last (?tenant_id=)."""
    statement = select(PhoneNumber)
    tenant_id = _tenant_filter(ctx)
    if tenant_id is not None:
        statement = statement.where(PhoneNumber.tenant_id == tenant_id)
    return _ranges(ctx, list(ctx.db.exec(statement).all()))


def assign_numbers(ctx, body: NumberRange):
    """Assign a number, or a block first..last (at most 1000), to a company; refused (409, with whose they
    are) when any of them is held by a company or verified as another company's caller ID."""
    numbers.require_tenant(ctx.db, body.tenant_id)
    rows = numbers.assign(ctx.db, body.tenant_id, numbers.expand(body.first, body.last))
    (assigned,) = _ranges(ctx, rows)
    return assigned


def _held(ctx, body: NumberRange) -> list[PhoneNumber]:
    numbers.require_tenant(ctx.db, body.tenant_id)
    wanted = numbers.expand(body.first, body.last)
    rows = [row for chunk in numbers.chunks(wanted) for row in ctx.db.exec(
        select(PhoneNumber).where(PhoneNumber.tenant_id == body.tenant_id, PhoneNumber.number.in_(chunk))).all()]
    if not rows:
        raise field_problem(422, "numbers_not_held", "/first", "the company holds none of these numbers")
    return rows


def release_numbers(ctx, body: NumberRange):
    """Take a number or a block back from a company (the numbers of first..last it holds), with where
    they route; refused (409 "in_use" with `used_by`: what outside the numbers uses them) while a plan
    answers any of them or it is shown as caller ID."""
    rows = _held(ctx, body)
    released = _ranges(ctx, rows)
    numbers.release(ctx.db, rows)
    return released


def release_number(ctx, id: int):
    """Take one number back from its company, with where it routes; refused (409 "in_use", `used_by`)
    while a plan answers it or it is shown as caller ID."""
    row = ctx.db.get(PhoneNumber, id)
    if row is None:
        raise Problem(404, "not_found")
    numbers.release(ctx.db, [row])


def _verified_public(ctx, row: VerifiedCallerId) -> VerifiedCallerIdPublic:
    tenant = ctx.db.get(Tenant, row.tenant_id)
    return VerifiedCallerIdPublic(id=row.id, tenant_id=row.tenant_id, tenant_name=tenant.name if tenant else "",
                                  number=row.number, note=row.note, verified_at=row.verified_at)


def list_verified(ctx):
    """The caller IDs the operator verified for companies (?tenant_id=)."""
    statement = select(VerifiedCallerId)
    tenant_id = _tenant_filter(ctx)
    if tenant_id is not None:
        statement = statement.where(VerifiedCallerId.tenant_id == tenant_id)
    rows = ctx.db.exec(statement.order_by(VerifiedCallerId.tenant_id, VerifiedCallerId.number)).all()
    return [_verified_public(ctx, row) for row in rows]


def add_verified(ctx, body: VerifiedCallerIdCreate):
    """Let a company show a number that is its own outside the platform (a mobile, a ported-out line),
    after checking that it is; refused (409) for a number another company holds here."""
    numbers.require_tenant(ctx.db, body.tenant_id)
    holder = ctx.db.exec(select(PhoneNumber).where(PhoneNumber.number == body.number)).first()
    if holder is not None:
        raise Problem(409, "numbers_taken", "held by a company on the platform", pointer="/number", params={"count": 1},
                      extra={"taken": [{"number": holder.number, "tenant_id": holder.tenant_id, "as": "assigned"}]})
    existing = ctx.db.exec(select(VerifiedCallerId).where(VerifiedCallerId.tenant_id == body.tenant_id,
                                                          VerifiedCallerId.number == body.number)).first()
    if existing is not None:
        raise field_problem(409, "already_verified", "/number", "already verified for this company")
    row = VerifiedCallerId(tenant_id=body.tenant_id, number=body.number, note=body.note)
    ctx.db.add(row)
    ctx.db.flush()
    return _verified_public(ctx, row)


def remove_verified(ctx, id: int):
    """Withdraw a verified caller ID; refused (409 "in_use") while the company shows it (and does not
    hold it as one of its numbers)."""
    row = ctx.db.get(VerifiedCallerId, id)
    if row is None:
        raise Problem(404, "not_found")
    held = ctx.db.exec(select(PhoneNumber).where(PhoneNumber.tenant_id == row.tenant_id,
                                                 PhoneNumber.number == row.number)).first()
    used = [] if held is not None else numbers.caller_id_uses(ctx.db, row.tenant_id, row.number)
    if used:
        raise Problem(409, "in_use", extra={"used_by": [use.as_dict() for use in used]}, params={"count": len(used)})
    ctx.db.delete(row)


PERMISSION = "numbers.assign"
routes = [
    api("GET", "/api/platform/numbers", list_numbers, permission=PERMISSION, response=PlatformNumberPage),
    api("GET", "/api/platform/number-ranges", list_ranges, permission=PERMISSION, response=list[AssignedRange]),
    api("POST", "/api/platform/numbers", assign_numbers, permission=PERMISSION, body=NumberRange,
        response=AssignedRange, status=201),
    api("POST", "/api/platform/numbers/release", release_numbers, permission=PERMISSION, body=NumberRange,
        response=list[AssignedRange]),
    api("DELETE", "/api/platform/numbers/{id:int}", release_number, permission=PERMISSION, status=204),
    api("GET", "/api/platform/verified-caller-ids", list_verified, permission=PERMISSION,
        response=list[VerifiedCallerIdPublic]),
    api("POST", "/api/platform/verified-caller-ids", add_verified, permission=PERMISSION, body=VerifiedCallerIdCreate,
        response=VerifiedCallerIdPublic, status=201),
    api("DELETE", "/api/platform/verified-caller-ids/{id:int}", remove_verified, permission=PERMISSION, status=204),
]
