"""PBX users: extension, forwarding, voicemail behaviour, agent settings; each gets a personal box."""

from __future__ import annotations

import secrets

from sqlmodel import select

from web import references
from web.api.problems import field_problem
from web.api.resources import Resource
from web.models import Account
from web.models.pbx_user import PbxUser, PbxUserCreate, PbxUserPublic, PbxUserUpdate
from web.models.phone_number import PhoneNumber
from web.models.voicemail_box import VoicemailBox
from web.scoping import scoped


def _validate(ctx, user: PbxUser) -> None:
    if user.account_id is not None:
        account = ctx.db.exec(scoped(Account, ctx.tenant_id).where(Account.id == user.account_id)).first()
        if account is None:
            raise field_problem(422, "unknown_reference", "/account_id", "no portal account with this id in this company")


def personal_box(ctx, user: PbxUser) -> VoicemailBox | None:
    return ctx.db.exec(scoped(VoicemailBox, ctx.tenant_id).where(VoicemailBox.user_id == user.id)).first()


def _create_personal_box(ctx, user: PbxUser) -> None:
    # The PIN is random until the admin or the user sets one; nobody can guess into a new box.
    ctx.db.add(VoicemailBox(
        tenant_id=ctx.tenant_id, kind="personal", user_id=user.id, name=f"{user.first_name} {user.last_name}".strip(),
        email=user.email, pin=f"{secrets.randbelow(10**6):06d}",
    ))
    ctx.db.flush()


def _direct_numbers(ctx, user: PbxUser) -> list[PhoneNumber]:
    rows = ctx.db.exec(scoped(PhoneNumber, ctx.tenant_id)).all()
    return [row for row in rows if (row.destination or {}).get("type") == "user" and row.destination.get("id") == user.id]


def _set_direct_number(ctx, user: PbxUser, values: dict) -> None:
    """`direct_number` is the public number routed to this user; setting it routes that number here."""
    wanted = values.get("direct_number")
    for current in _direct_numbers(ctx, user):
        if current.number != wanted:
            current.destination = None
            ctx.db.add(current)
    if wanted is None:
        return
    from web.validation import _e164

    try:
        wanted = _e164(wanted)
    except ValueError as exc:
        raise field_problem(422, "invalid", "/direct_number", str(exc))
    did = ctx.db.exec(scoped(PhoneNumber, ctx.tenant_id).where(PhoneNumber.number == wanted)).first()
    if did is None:
        raise field_problem(422, "did_not_owned", "/direct_number", "add this number to the company's numbers first")
    from web.api.phone_numbers import answered_by_plan

    taken = did.destination and not (did.destination.get("type") == "user" and did.destination.get("id") == user.id)
    if taken or answered_by_plan(ctx.db, ctx.tenant_id, did.number):
        raise field_problem(409, "did_assigned_elsewhere", "/direct_number", "this number already routes elsewhere")
    did.destination = {"type": "user", "id": user.id}
    ctx.db.add(did)


def _public(ctx, user: PbxUser) -> PbxUserPublic:
    numbers = _direct_numbers(ctx, user)
    box = personal_box(ctx, user)
    return PbxUserPublic.model_validate({
        **user.model_dump(),
        "direct_number": numbers[0].number if numbers else None,
        "voicemail_box_id": box.id if box else None,
    })


def _before_delete(ctx, user: PbxUser) -> None:
    box = personal_box(ctx, user)
    if box is not None:
        ctx.db.delete(box)  # through the ORM, so the audit log keeps it


resource = Resource(
    kind="user", path="/api/users", table=PbxUser, create_model=PbxUserCreate, update_model=PbxUserUpdate,
    public_model=PbxUserPublic, number_field="extension", order_by="extension",
    validate=_validate, after_create=_create_personal_box, before_delete=_before_delete, to_public=_public,
    extra_fields=("direct_number",), apply_extra=_set_direct_number,
)
references.register_referrer(PbxUser)

routes = resource.routes()
