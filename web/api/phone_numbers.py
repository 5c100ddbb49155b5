"""Public numbers (DIDs): parsed and classified with phonenumbers, unique on the platform."""

from __future__ import annotations

import phonenumbers
from sqlmodel import select

from web.domain import references
from web.api.problems import field_problem
from web.api.resources import Resource
from web.models.phone_number import PhoneNumber, PhoneNumberCreate, PhoneNumberPublic, PhoneNumberUpdate

_TYPES = {value: name.lower() for name, value in vars(phonenumbers.PhoneNumberType).items() if name.isupper()}


def classify(number: str) -> tuple[str, str]:
    """(number type, ISO country) of an E.164 number, e.g. ("fixed_line", "BE")."""
    parsed = phonenumbers.parse(number, None)
    return _TYPES.get(phonenumbers.number_type(parsed), "unknown"), phonenumbers.region_code_for_number(parsed) or ""


def answered_by_plan(db, tenant_id: int, number: str) -> bool:
    """Does a published call plan answer this number (it then cannot route elsewhere)?"""
    from web.domain.callplan_snapshot import published_documents

    return any(number in (version.document.get("numbers") or []) for version in published_documents(db, tenant_id).values())


def _validate(ctx, row: PhoneNumber) -> None:
    if row.destination and answered_by_plan(ctx.db, ctx.tenant_id, row.number):
        raise field_problem(409, "did_assigned_elsewhere", "/destination", "a published call plan answers this number")
    if row.id is None:
        # Unique on the whole platform; the answer does not say which company has it.
        if ctx.db.exec(select(PhoneNumber.id).where(PhoneNumber.number == row.number)).first() is not None:
            raise field_problem(409, "did_taken", "/number", "this number is already on the platform")
        row.number_type, row.country = classify(row.number)


resource = Resource(
    kind="phone_number", label="public number", path="/api/numbers", table=PhoneNumber,
    create_model=PhoneNumberCreate, update_model=PhoneNumberUpdate, public_model=PhoneNumberPublic,
    order_by="number", validate=_validate,
)
references.register_referrer(PhoneNumber)

routes = resource.routes()
