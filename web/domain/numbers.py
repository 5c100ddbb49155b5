"""Public numbers as a platform resource: who holds which number, and which caller IDs a company may show.

The operator assigns numbers to a company, one at a time or as a block (+31201234500..+31201234599);
each number becomes a `phone_number` row of that company, which its admin routes. A company shows on
calls out only a number it holds or one the operator verified for it (`verified_caller_id`).

Answers to a company never tell whether a number it does not hold belongs to another company: "not
yours" is one answer for both (`require_caller_id`, the admin's routes read only its own rows)."""

from __future__ import annotations

import logging
from typing import Iterable, Optional

import phonenumbers
from sqlmodel import Session, select

from web.domain import references
from web.domain.problems import Problem, field_problem
from web.domain.references import Use
from web.models import Tenant
from web.models.company import Department
from web.models.phone_number import RANGE_LIMIT, PhoneNumber, VerifiedCallerId
from web.scoping import scoped

log = logging.getLogger("web.numbers")

_TYPES = {value: name.lower() for name, value in vars(phonenumbers.PhoneNumberType).items() if name.isupper()}
_CHUNK = 500  # numbers per IN (...) list: well inside every database's limit on parameters


def classify(number: str) -> tuple[str, str]:
    """(number type, ISO country) of an E.164 number, e.g. ("fixed_line", "BE")."""
    parsed = phonenumbers.parse(number, None)
    return _TYPES.get(phonenumbers.number_type(parsed), "unknown"), phonenumbers.region_code_for_number(parsed) or ""


def chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


# --- ranges ---------------------------------------------------------------------------------------


def expand(first: str, last: Optional[str]) -> list[str]:
    """Every number from `first` to `last` (both E.164, already checked), at most RANGE_LIMIT of them."""
    if last is None or last == first:
        return [first]
    if len(last) != len(first):
        raise field_problem(422, "invalid_range", "/last", "must have as many digits as the first number")
    low, high = int(first[1:]), int(last[1:])
    if high < low:
        raise field_problem(422, "invalid_range", "/last", "must not come before the first number")
    if high - low + 1 > RANGE_LIMIT:
        raise field_problem(422, "invalid_range", "/last", f"a block holds at most {RANGE_LIMIT} numbers; assign more in several")
    return [f"+{value}" for value in range(low, high + 1)]


def runs(numbers: list[str]) -> list[tuple[str, str, int]]:
    """Consecutive numbers (sorted input) as (first, last, count): how blocks are shown again."""
    found: list[list] = []
    for number in numbers:
        if found:
            current = found[-1]
            if len(number) == len(current[1]) and int(number[1:]) == int(current[1][1:]) + 1:
                current[1], current[2] = number, current[2] + 1
                continue
        found.append([number, number, 1])
    return [tuple(run) for run in found]


# --- holding ----------------------------------------------------------------------------------------


def require_tenant(db: Session, tenant_id: int, pointer: str = "/tenant_id") -> Tenant:
    tenant = db.get(Tenant, tenant_id)
    if tenant is None:
        raise field_problem(422, "unknown_reference", pointer, f"no company with id {tenant_id}")
    return tenant


def assign(db: Session, tenant_id: int, numbers: list[str], pointer: str = "/first") -> list[PhoneNumber]:
    """Give `numbers` to the company: refused (409, naming each number and whose it is: the operator sees
    every company) when any is held by a company, or verified as another company's caller ID. Two
    operators assigning the same number at once cannot both win: the number is unique in the table."""
    taken = []
    for chunk in chunks(numbers):
        for row in db.exec(select(PhoneNumber).where(PhoneNumber.number.in_(chunk))).all():
            taken.append({"number": row.number, "tenant_id": row.tenant_id, "as": "assigned"})
        for row in db.exec(select(VerifiedCallerId).where(VerifiedCallerId.number.in_(chunk),
                                                          VerifiedCallerId.tenant_id != tenant_id)).all():
            taken.append({"number": row.number, "tenant_id": row.tenant_id, "as": "verified_caller_id"})
    if taken:
        taken.sort(key=lambda item: (item["number"], item["tenant_id"]))
        raise Problem(409, "numbers_taken", "already held by a company or verified as another company's caller ID",
                      pointer=pointer, params={"count": len(taken)}, extra={"taken": taken})
    rows = []
    for number in numbers:
        number_type, country = classify(number)
        rows.append(PhoneNumber(tenant_id=tenant_id, number=number, number_type=number_type, country=country))
    db.add_all(rows)
    db.flush()
    return rows


def uses(db: Session, row: PhoneNumber) -> list[Use]:
    """What breaks if the company no longer held this number, outside the number itself: plans answering
    it, and caller IDs showing it (unless the operator verified it for the company as well). Where the
    number itself routes (its `destination`) is no use of it: that routing is part of the number and goes
    with it, and naming the number as its own user told the operator nothing."""
    found = list(references.uses(db, row.tenant_id, "phone_number", row.id))
    verified = db.exec(scoped(VerifiedCallerId, row.tenant_id).where(VerifiedCallerId.number == row.number)).first()
    if verified is None:
        found += caller_id_uses(db, row.tenant_id, row.number)
    return found


def release(db: Session, rows: list[PhoneNumber]) -> int:
    """Take numbers back from their company, with where they route: refused (409 "in_use" with `used_by`,
    each use naming its number) while a plan answers any of them or it is shown as a caller ID."""
    used = [{**use.as_dict(), "number": row.number} for row in rows for use in uses(db, row)]
    if used:
        raise Problem(409, "in_use", extra={"used_by": used}, params={"count": len(used)})
    for row in rows:
        db.delete(row)
    db.flush()
    return len(rows)


# --- caller IDs -------------------------------------------------------------------------------------


def allowed_caller_ids(db: Session, tenant_id: int) -> dict[str, tuple[str, str]]:
    """number -> (source, label) for every number the company may show: held ("assigned") or verified."""
    allowed = {row.number: ("verified", row.note)
               for row in db.exec(scoped(VerifiedCallerId, tenant_id).order_by(VerifiedCallerId.number)).all()}
    for row in db.exec(scoped(PhoneNumber, tenant_id).order_by(PhoneNumber.number)).all():
        allowed[row.number] = ("assigned", row.label)
    return dict(sorted(allowed.items()))


def may_show(db: Session, tenant_id: int, number: str) -> bool:
    held = db.exec(scoped(PhoneNumber, tenant_id).where(PhoneNumber.number == number)).first()
    return held is not None or db.exec(
        scoped(VerifiedCallerId, tenant_id).where(VerifiedCallerId.number == number)).first() is not None


def require_caller_id(db: Session, tenant_id: int, number: Optional[str], pointer: str) -> None:
    """Refuse (422) a caller ID the company may not show. A number of another company and a number of
    nobody get the same answer."""
    if number is not None and not may_show(db, tenant_id, number):
        raise field_problem(422, "caller_id_not_allowed", pointer,
                            "must be one of the company's numbers or a caller ID the operator verified for it")


def caller_id_uses(db: Session, tenant_id: int, number: str) -> list[Use]:
    """The company settings and departments that show `number` on calls out."""
    found = []
    tenant = db.get(Tenant, tenant_id)
    if tenant is not None and tenant.company_number == number:
        found.append(Use("company", tenant.id, tenant.name, "/company_number"))
    for department in db.exec(scoped(Department, tenant_id).where(Department.caller_id_number == number)
                              .order_by(Department.id)).all():
        found.append(Use("department", department.id, department.name, "/caller_id_number"))
    return found


def stored_caller_ids(tenant: Tenant, departments: list[Department]) -> list[tuple[str, int, str, str, str]]:
    """(kind, id, name, pointer, number) of every caller ID the company's rows name."""
    found = []
    if tenant.company_number:
        found.append(("company", tenant.id, tenant.name, "/company_number", tenant.company_number))
    for department in departments:
        if department.caller_id_number:
            found.append(("department", department.id, department.name, "/caller_id_number", department.caller_id_number))
    return found


def unshowable(tenant: Tenant, departments: list[Department], allowed) -> list[tuple[str, int, str, str, str]]:
    """The stored caller IDs that are not among `allowed`: calls out do not show them."""
    return [found for found in stored_caller_ids(tenant, departments) if found[4] not in allowed]
