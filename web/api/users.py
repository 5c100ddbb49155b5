"""PBX users: extension, forwarding, voicemail behaviour, agent settings; each gets a personal box."""

from __future__ import annotations

import secrets

from pydantic import ValidationError

from callplan.text import fit
from web.domain import faxes, forwarding_loops, references, stored_rows
from web.api import accounts
from web.api.problems import Problem, field_problem
from web.api.resources import Resource
from web.api.routing import api
from web.models import Account
from web.models.account import AccountCreate, AccountPublic
from web.models.pbx_user import PbxUser, PbxUserCreate, PbxUserPublic, PbxUserUpdate, PortalAccountRequest
from web.models.phone_number import PhoneNumber
from web.models.voicemail_box import BOX_NAME_LENGTH, VoicemailBox
from web.scoping import scoped


def _validate(ctx, user: PbxUser) -> None:
    if user.account_id is not None:
        account = ctx.db.exec(scoped(Account, ctx.tenant_id).where(Account.id == user.account_id)).first()
        if account is None:
            raise field_problem(422, "unknown_reference", "/account_id", "no portal account with this id in this company")
        # one person, one login: the portal's own pages (my phone, the agent panel) find the user by it
        other = ctx.db.exec(scoped(PbxUser, ctx.tenant_id).where(PbxUser.account_id == user.account_id, PbxUser.id != user.id)).first()
        if other is not None:
            raise field_problem(409, "account_linked_elsewhere", "/account_id",
                                f"this portal account belongs to {other.first_name} {other.last_name} ({other.extension})".replace("  ", " "))
    forwarding_loops.refuse_loops(ctx.db, ctx.tenant_id, "user", user)
    if not faxes.user_address(ctx.db, user):
        # a fax to e-mail destination mails this user's faxes: they must keep an address to mail them to
        faxed = [use for use in references.uses_as(ctx.db, ctx.tenant_id, "fax", user.id)
                 if not (use.kind == "user" and use.id == user.id)] if user.id is not None else []
        if faxed:
            raise Problem(409, "email_used_for_faxes", pointer="/email",
                          detail="faxes to e-mail are mailed to this address: choose another destination for them first",
                          params={"count": len(faxed)}, extra={"used_by": [use.as_dict() for use in faxed]})
        for where, kind, target in user.references():
            if kind == "fax" and user.id is not None and target == user.id:  # their own forwarding to their faxes
                raise field_problem(422, "fax_user_without_email", f"{where}/id",
                                    "this user has no e-mail address to mail faxes to: give them one first")


def personal_box(ctx, user: PbxUser) -> VoicemailBox | None:
    return ctx.db.exec(scoped(VoicemailBox, ctx.tenant_id).where(VoicemailBox.user_id == user.id)).first()


def _create_personal_box(ctx, user: PbxUser) -> None:
    # The PIN is random until the admin or the user sets one; nobody can guess into a new box.
    ctx.db.add(VoicemailBox(
        tenant_id=ctx.tenant_id, kind="personal", user_id=user.id,
        name=fit(f"{user.first_name} {user.last_name}", BOX_NAME_LENGTH),  # two names of 100 fit in one of 100
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
    from web.domain.callplan_snapshot import answered_by_plan

    taken = did.destination and not (did.destination.get("type") == "user" and did.destination.get("id") == user.id)
    if taken or answered_by_plan(ctx.db, ctx.tenant_id, did.number):
        raise field_problem(409, "did_assigned_elsewhere", "/direct_number", "this number already routes elsewhere")
    did.destination = {"type": "user", "id": user.id}
    ctx.db.add(did)


def _lookups(ctx) -> tuple[dict, dict]:
    """user id -> its direct number, user id -> its personal box id: read once per request, when the
    first user is shown (the list of a thousand users would otherwise query twice per user, and read
    every number each time). Answers are built after the request's changes, so they see them."""
    found = getattr(ctx, "_user_lookups", None)
    if found is None:
        numbers: dict[int, str] = {}
        for row in ctx.db.exec(scoped(PhoneNumber, ctx.tenant_id).order_by(PhoneNumber.id)).all():
            destination = row.destination or {}
            if destination.get("type") == "user":
                numbers.setdefault(destination.get("id"), row.number)
        boxes = {box.user_id: box.id for box in ctx.db.exec(
            scoped(VoicemailBox, ctx.tenant_id).where(VoicemailBox.user_id.is_not(None))).all()}
        found = ctx._user_lookups = (numbers, boxes)
    return found


def _public(ctx, user: PbxUser) -> PbxUserPublic:
    numbers, boxes = _lookups(ctx)
    return stored_rows.answer(PbxUserPublic, {
        **user.model_dump(),
        "direct_number": numbers.get(user.id),
        "voicemail_box_id": boxes.get(user.id),
    }, *stored_rows.rules_for(PbxUser))


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

def give_portal_account(ctx, body: PortalAccountRequest, id: int):
    """Give a user a portal login: a new account with the user's name, language and e-mail address (or
    the one sent), in the role sent, linked to the user; with send_welcome a mail to choose a password."""
    user = resource.get(ctx, id)
    if user.account_id is not None and ctx.db.exec(scoped(Account, ctx.tenant_id).where(Account.id == user.account_id)).first():
        raise Problem(409, "portal_account_exists")
    email = body.email or user.email
    if not email:
        raise Problem(422, "invalid", errors=[{"pointer": "/email", "code": "missing",
                                               "message": "the user has no e-mail address: enter the one to log in with"}])
    try:
        wanted = AccountCreate(email=email, first_name=user.first_name, last_name=user.last_name, role=body.role,
                               language=user.language, send_welcome=body.send_welcome)
    except ValidationError:
        raise field_problem(422, "invalid", "/email", "the user's stored e-mail address is not valid: enter another")
    account = accounts.create_account(ctx, wanted)
    user.account_id = account.id
    if not user.email:
        user.email = account.email
    ctx.db.add(user)
    return account


routes = resource.routes() + [
    api("POST", "/api/users/{id:int}/portal-account", give_portal_account, permission="accounts.manage",
        body=PortalAccountRequest, response=AccountPublic, status=201, model=PbxUser),
]
