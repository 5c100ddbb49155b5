"""A company's public numbers (DIDs), as its admin sees them: the numbers the operator assigned to it
(web/api/platform_numbers.py), each routed to one destination. The admin routes and labels them; it
cannot make a number up or give one away (no POST, no DELETE here)."""

from __future__ import annotations

from web.api.problems import field_problem
from web.api.resources import Resource
from web.api.routing import api
from web.scoping import scoped
from web.domain import number_directory, numbers, references
from web.domain.callplan_snapshot import answered_by_plan, numbers_answered_by_plans
from web.models import Tenant
from web.models.company import Department
from web.models.phone_number import (CallerIdChoice, CallerIdProblem, CallerIds, NumberDirectoryEntry, NumberReach, PhoneNumber,
                                     PhoneNumberPublic, PhoneNumberUpdate)


def _validate(ctx, row: PhoneNumber) -> None:
    if row.destination and answered_by_plan(ctx.db, ctx.tenant_id, row.number):
        raise field_problem(409, "did_assigned_elsewhere", "/destination", "a published call plan answers this number")


resource = Resource(
    kind="phone_number", label="public number", path="/api/numbers", table=PhoneNumber,
    create_model=PhoneNumberUpdate, update_model=PhoneNumberUpdate, public_model=PhoneNumberPublic,
    order_by="number", validate=_validate,
)
references.register_referrer(PhoneNumber)


def caller_ids(ctx):
    """The numbers the company may show on calls out (its own, and those the operator verified), and the
    stored caller IDs that are not among them: calls show the company number instead (or withheld)."""
    allowed = numbers.allowed_caller_ids(ctx.db, ctx.tenant_id)
    tenant = ctx.db.get(Tenant, ctx.tenant_id)
    departments = ctx.db.exec(scoped(Department, ctx.tenant_id).order_by(Department.id)).all()
    instead = tenant.company_number if tenant.company_number in allowed else None
    problems = [
        CallerIdProblem(kind=kind, id=row_id, name=name, where=where, number=number,
                        shown_instead=None if kind == "company" else instead)
        for kind, row_id, name, where, number in numbers.unshowable(tenant, departments, allowed)
    ]
    return CallerIds(allowed=[CallerIdChoice(number=number, source=source, label=label)
                              for number, (source, label) in allowed.items()], problems=problems)


def free_numbers(ctx):
    """The company's numbers that nothing answers yet: not routed, and no published call plan on them
    (what a new user's direct number, a ring group or a plan can be given)."""
    planned = numbers_answered_by_plans(ctx.db, ctx.tenant_id)
    # in Python: a JSON column's "no destination" may be SQL NULL or JSON null
    rows = ctx.db.exec(scoped(PhoneNumber, ctx.tenant_id).order_by(PhoneNumber.number)).all()
    return [resource.public(ctx, row) for row in rows if not row.destination and row.number not in planned]


def directory(ctx):
    """Who answers what: every public number and every internal number of the company, each with what it
    reaches and how (routed, answered by a published plan, an object's own extension); free ones marked."""
    found = []
    for entry in number_directory.directory(ctx.db, ctx.tenant_id):
        reach = entry.reaches
        found.append(NumberDirectoryEntry(
            number=entry.number, kind=entry.kind, id=entry.id, label=entry.label, number_type=entry.number_type,
            via=entry.via, reaches=NumberReach(**vars(reach)) if reach else None, name=reach.name if reach else "",
            free=reach is None, company_number=entry.company_number))
    return found


routes = [route for route in resource.routes() if route.method in ("GET", "PATCH")] + [
    api("GET", "/api/numbers/directory", directory, permission="pbx.manage", response=list[NumberDirectoryEntry]),
    api("GET", "/api/numbers/free", free_numbers, permission="pbx.manage", response=list[PhoneNumberPublic]),
    api("GET", "/api/caller-ids", caller_ids, permission="pbx.manage", response=CallerIds),
]
