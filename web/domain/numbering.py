"""The tenant's internal numbers: one namespace for users, ring groups, queues, IVR menus, voicemail
boxes, conference rooms, page groups, call plans and feature codes, kept in one table whose (tenant, number) is unique, so the
database itself refuses a double booking even when two admins save at the same moment."""

from __future__ import annotations

from sqlmodel import Session, select

from web.domain.problems import field_problem
from web.models.internal_number import InternalNumber
from web.validation import EXTENSION, FEATURE_CODE  # noqa: F401  (re-exported)


def holder(db: Session, tenant_id: int, number: str) -> InternalNumber | None:
    return db.exec(
        select(InternalNumber).where(InternalNumber.tenant_id == tenant_id, InternalNumber.number == number)
    ).first()


def claim(db: Session, tenant_id: int, number: str | None, owner_kind: str, owner_id: int, pointer: str = "/extension") -> None:
    """Make `number` the owner's (and free the owner's previous one). None frees it."""
    current = db.exec(
        select(InternalNumber).where(
            InternalNumber.tenant_id == tenant_id, InternalNumber.owner_kind == owner_kind, InternalNumber.owner_id == owner_id
        )
    ).first()
    if current is not None and current.number == number:
        return
    if number is not None:
        taken = holder(db, tenant_id, number)
        if taken is not None:
            raise field_problem(409, "number_taken", pointer, f"{number} is already used by a {taken.owner_kind.replace('_', ' ')}")
    if current is not None:
        db.delete(current)
        db.flush()
    if number is not None:
        db.add(InternalNumber(tenant_id=tenant_id, number=number, owner_kind=owner_kind, owner_id=owner_id))
        db.flush()


def release(db: Session, tenant_id: int, owner_kind: str, owner_id: int) -> None:
    claim(db, tenant_id, None, owner_kind, owner_id)


# Where a kind's numbers start when the company has none of that kind yet (seed 001 6.5.1: 2 to 4 digits).
FIRST_NUMBERS = {"user": "201", "ring_group": "300", "queue": "400", "ivr_menu": "500", "voicemail_box": "900",
                 "conference_room": "800", "page_group": "600"}


def next_free(db: Session, tenant_id: int, kind: str = "user") -> str | None:
    """The lowest free internal number at or above the kind's lowest one (or its usual start), with as
    many digits: users at 201..204 and 206 get 205. None when that run is full up to its last number
    (9999 for four digits). Emergency numbers are never suggested: their extension runs first and an
    extension of that number would never ring."""
    from callplan.outbound import EMERGENCY

    rows = db.exec(select(InternalNumber.number, InternalNumber.owner_kind).where(InternalNumber.tenant_id == tenant_id)).all()
    taken = {number for number, _ in rows} | {number for numbers in EMERGENCY.values() for number in numbers}
    own = sorted((number for number, owner in rows if owner == kind and EXTENSION.match(number)), key=lambda n: (len(n), n))
    start = own[0] if own else FIRST_NUMBERS.get(kind, FIRST_NUMBERS["user"])
    for value in range(int(start), 10 ** len(start)):
        candidate = str(value).zfill(len(start))
        if candidate not in taken:
            return candidate
    return None
