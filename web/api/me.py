"""My phone (issue #15 item 1): what a logged-in user does alone with their own PBX user, under /api/me.

Every route finds the caller's user by the login (the PBX user whose `account_id` is the caller's
account) and never takes a user id from the request: a login without a PBX user gets 409 `no_pbx_user`,
a contact id that is not the caller's own is a 404 like one that does not exist.

- `GET`/`PATCH /api/me`: do not disturb, forwarding, voicemail behaviour, Anywhere (the mobile), and the
  caller ID among the numbers the company gives this user (`caller_id_choices`). Changes go through the
  users' own update (web/api/users.py: references, forwarding loops, audit, the directory flush), limited
  to those fields; forwarding and voicemail may go to an internal number, an outside number, a colleague
  or the caller's own box only, and greetings change through the greeting routes only.
- `GET`/`PATCH /api/me/voicemail-box`: where messages are mailed, and a new PIN (never shown).
- `PUT`/`DELETE /api/me/greetings/{busy|unavailable}`, `GET .../file`: an uploaded greeting (a sound of
  the company's audio library, named after the user); without one the box plays the greeting recorded
  by phone (the voicemail feature code, `*97` by default: PIN, 5 for the options, 1 to record).
- `GET /api/me/calls`: the calls the user made, received or missed (`?kind=`), with the call records'
  own filters (from, to, number, limit, offset).
- `GET /api/me/phones`: the user's phones and whether each is registered now.
- `/api/me/contacts`: the user's own contacts (list, add, change, delete, CSV import as the company
  phonebook's)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field as PField
from sqlalchemy import and_, false, func, or_

from callplan.text import fit
from web.api import audio as audio_api
from web.api import phonebook, users
from web.api.call_records import CallRecordPublic, _filtered, _newest_first
from web.api.params import int_param
from web.api.problems import Problem, field_problem
from web.api.routing import api
from web.destinations import Destination
from web.domain import faxes, references
from web.models.audio import AudioFile, AudioPublic
from web.models.call_record import CallRecord
from web.models.company import Department
from web.models.device import Device, DevicePublic
from web.models.feature_code import DEFAULT_CODES, FeatureCode
from web.models.pbx_user import Anywhere, CallerIdMode, Forwarding, PbxUser, PbxUserUpdate, VoicemailBehaviour
from web.models.personal_contact import PersonalContact
from web.models.phonebook import ContactCreate, ContactPublic, ContactUpdate
from web.models.tenant import Tenant
from web.models.voicemail_box import VoicemailBox, VoicemailBoxUpdate
from web.scoping import scoped
from web.updates import apply_update
from web.validation import Email

PERMISSION = "phone.self"
GREETINGS = ("busy", "unavailable")
# where a user may send their own calls: a number, a colleague, their own box, the company's parking lot,
# or fax to their own e-mail address (web/destinations.py)
OWN_DESTINATIONS = ("extension", "external", "user", "voicemail_box", "park", "fax")
CALL_KINDS = ("made", "received", "missed")


def own_user(ctx) -> PbxUser:
    """The PBX user of the caller's login; 409 `no_pbx_user` without one (the agent panel and
    click-to-dial find it the same way)."""
    user = ctx.db.exec(scoped(PbxUser, ctx.tenant_id).where(PbxUser.account_id == ctx.account.id)
                       .order_by(PbxUser.id)).first()
    if user is None:
        raise Problem(409, "no_pbx_user")
    return user


# -- settings -------------------------------------------------------------------------------------------


class GreetingPublic(BaseModel):
    audio_id: int
    name: str
    duration_ms: int


class MySettingsPublic(BaseModel):
    id: int
    first_name: str
    last_name: str
    extension: str
    direct_number: Optional[str] = None
    dnd: bool
    forwarding: Forwarding
    anywhere: Anywhere
    voicemail: VoicemailBehaviour
    caller_id_mode: CallerIdMode
    withhold_caller_id: bool
    caller_id_choices: list[CallerIdMode]  # the modes this user may choose: a number the company gives them
    caller_id_numbers: dict[str, Optional[str]]  # mode -> the number it shows
    voicemail_box_id: Optional[int] = None
    fax_address: Optional[str] = None  # where "fax to e-mail" mails my faxes: my address, else my login's
    greetings: dict[str, Optional[GreetingPublic]]  # "busy", "unavailable": the uploaded sound, if any
    feature_codes: dict[str, str]  # function -> code, the enabled ones (record a greeting, DND, ...)


class MySettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dnd: Optional[bool] = None
    forwarding: Optional[Forwarding] = None
    anywhere: Optional[Anywhere] = None
    voicemail: Optional[VoicemailBehaviour] = None
    caller_id_mode: Optional[CallerIdMode] = None
    withhold_caller_id: Optional[bool] = None


def _caller_ids(ctx, user: PbxUser, direct: Optional[str]) -> dict[str, Optional[str]]:
    """mode -> the number calls out would show; only modes with a number (the company's is always one)."""
    numbers: dict[str, Optional[str]] = {"company": ctx.db.get(Tenant, ctx.tenant_id).company_number}
    if direct:
        numbers["own"] = direct
    if user.department_id is not None:
        department = ctx.db.exec(scoped(Department, ctx.tenant_id).where(Department.id == user.department_id)).first()
        if department is not None and department.caller_id_number:
            numbers["department"] = department.caller_id_number
    return numbers


def _greeting(ctx, audio_id: Optional[int]) -> Optional[GreetingPublic]:
    if audio_id is None:
        return None
    row = ctx.db.exec(scoped(AudioFile, ctx.tenant_id).where(AudioFile.id == audio_id)).first()
    return GreetingPublic(audio_id=row.id, name=row.name, duration_ms=row.duration_ms) if row else None


def _codes(ctx) -> dict[str, str]:
    rows = {row.function: row for row in ctx.db.exec(scoped(FeatureCode, ctx.tenant_id)).all()}
    found = {}
    for function, default in DEFAULT_CODES.items():
        row = rows.get(function)
        if row is None or row.enabled:
            found[function] = row.code if row is not None else default
    return found


def _settings(ctx, user: PbxUser) -> MySettingsPublic:
    public = users.resource.public(ctx, user)
    numbers = _caller_ids(ctx, user, public.direct_number)
    vm = public.voicemail
    return MySettingsPublic(
        **public.model_dump(include={"id", "first_name", "last_name", "extension", "direct_number", "dnd", "forwarding",
                                     "anywhere", "voicemail", "caller_id_mode", "withhold_caller_id", "voicemail_box_id"}),
        caller_id_choices=[mode for mode in ("company", "own", "department") if mode in numbers],
        caller_id_numbers=numbers,
        fax_address=faxes.user_address(ctx.db, user),
        greetings={"busy": _greeting(ctx, vm.busy_greeting_audio_id),
                   "unavailable": _greeting(ctx, vm.unavailable_greeting_audio_id)},
        feature_codes=_codes(ctx),
    )


def get_my_settings(ctx):
    """My phone: my forwarding, voicemail, mobile and caller ID."""
    return _settings(ctx, own_user(ctx))


def _check_destination(ctx, user: PbxUser, destination: Optional[Destination], pointer: str) -> None:
    if destination is None:
        return
    if destination.type not in OWN_DESTINATIONS:
        raise field_problem(422, "destination_not_allowed", f"{pointer}/type",
                            "forward to a number, a colleague, your own voicemail box, the parking lot or fax to your e-mail")
    if destination.type == "voicemail_box":
        box = users.personal_box(ctx, user)
        if box is None or destination.id != box.id:
            raise field_problem(422, "destination_not_allowed", f"{pointer}/id", "only your own voicemail box")
    if destination.type == "fax" and destination.id != user.id:
        raise field_problem(422, "destination_not_allowed", f"{pointer}/id", "only faxes to your own e-mail address")


def update_my_settings(ctx, body: MySettingsUpdate):
    """Change my forwarding, do not disturb, voicemail, mobile or caller ID; only the fields sent change."""
    user = own_user(ctx)
    sent = body.model_fields_set
    if body.forwarding is not None:
        for rule in ("always", "busy", "no_answer", "unregistered"):
            _check_destination(ctx, user, getattr(body.forwarding, rule).to, f"/forwarding/{rule}/to")
    if body.voicemail is not None:
        _check_destination(ctx, user, body.voicemail.forward_to, "/voicemail/forward_to")
        current = VoicemailBehaviour.model_validate(user.voicemail or {})
        for greeting in GREETINGS:
            field = f"{greeting}_greeting_audio_id"
            if getattr(body.voicemail, field) != getattr(current, field):
                raise field_problem(422, "greeting_by_upload", f"/voicemail/{field}",
                                    "a greeting is uploaded or removed on its own (/api/me/greetings)")
    if body.caller_id_mode is not None and body.caller_id_mode != user.caller_id_mode:
        direct = users.resource.public(ctx, user).direct_number
        if body.caller_id_mode not in _caller_ids(ctx, user, direct):
            raise field_problem(422, "caller_id_not_offered", "/caller_id_mode",
                                "the company gives you no number for this choice")
    change = PbxUserUpdate(**{name: getattr(body, name) for name in sent})
    users.resource.update_row(ctx, change, user.id)
    return _settings(ctx, user)


# -- the voicemail box ----------------------------------------------------------------------------------


class MyBoxPublic(BaseModel):
    id: int
    email: Optional[str]
    copy_email: Optional[str]
    attach_audio: bool
    delete_after_email: bool
    max_messages: int


class MyBoxUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Optional[Email] = None
    copy_email: Optional[Email] = None
    attach_audio: Optional[bool] = None
    delete_after_email: Optional[bool] = None
    pin: Optional[str] = PField(default=None, pattern=r"^[0-9]{4,8}$")  # as VoicemailBoxUpdate.pin (a literal: tests/test_patterns.py checks it)


def _own_box(ctx, user: PbxUser) -> VoicemailBox:
    box = users.personal_box(ctx, user)
    if box is None:
        raise Problem(409, "no_voicemail_box")
    return box


def get_my_box(ctx):
    """My voicemail box: where messages are mailed."""
    return MyBoxPublic.model_validate(_own_box(ctx, own_user(ctx)), from_attributes=True)


def update_my_box(ctx, body: MyBoxUpdate):
    """Change where my messages are mailed, or my box's PIN (never shown again)."""
    box = _own_box(ctx, own_user(ctx))
    apply_update(box, body)
    ctx.db.add(box)
    ctx.db.flush()
    return MyBoxPublic.model_validate(box, from_attributes=True)


# -- greetings ------------------------------------------------------------------------------------------


def _which(which: str) -> str:
    if which not in GREETINGS:
        raise Problem(404, "not_found")
    return which


def _greeting_name(user: PbxUser, which: str) -> str:
    return fit(f"{user.first_name} {user.last_name} ({user.extension}): {which} greeting".replace("  ", " "), 100)


def _set_greeting(ctx, user: PbxUser, which: str, audio_id: Optional[int]) -> None:
    """Point the user's greeting at `audio_id` and drop the sound it replaces when it was the user's own
    upload that nothing else uses (a sound the admin chose from the library stays in the library)."""
    field = f"{which}_greeting_audio_id"
    old = (user.voicemail or {}).get(field)
    voicemail = VoicemailBehaviour.model_validate(user.voicemail or {}).model_copy(update={field: audio_id})
    users.resource.update_row(ctx, PbxUserUpdate(voicemail=voicemail), user.id)
    if old is None or old == audio_id:
        return
    row = ctx.db.exec(scoped(AudioFile, ctx.tenant_id).where(AudioFile.id == old)).first()
    if row is None or row.name != _greeting_name(user, which):
        return
    if not any(references.uses(ctx.db, ctx.tenant_id, "audio", old)):
        audio_api.resource.delete_row(ctx, old)


def upload_greeting(ctx, which: str):
    """Upload my busy or unavailable greeting: multipart/form-data with a `file` part (WAV, FLAC, MP3, Ogg)."""
    which = _which(which)
    user = own_user(ctx)
    name = _greeting_name(user, which)
    row = audio_api.store_upload(ctx, name=name)
    user = own_user(ctx)  # the upload committed the request's first transaction: read it again
    _set_greeting(ctx, user, which, row.id)
    return _settings(ctx, user)


def remove_greeting(ctx, which: str):
    """Stop playing my uploaded greeting: the box plays the one recorded by phone, if any."""
    which = _which(which)
    user = own_user(ctx)
    _set_greeting(ctx, user, which, None)
    return _settings(ctx, user)


def greeting_file(ctx, which: str):
    """My greeting's WAV, to play in the browser."""
    which = _which(which)
    user = own_user(ctx)
    audio_id = (user.voicemail or {}).get(f"{which}_greeting_audio_id")
    row = None if audio_id is None else ctx.db.exec(scoped(AudioFile, ctx.tenant_id).where(AudioFile.id == audio_id)).first()
    if row is None:
        raise Problem(404, "not_found")
    return audio_api.wav_response(ctx, row)


# -- calls ----------------------------------------------------------------------------------------------


class MyCall(CallRecordPublic):
    kind: Literal["made", "received", "missed"]
    other_number: str  # who the user talked to: the number to call back
    other_name: str


class MyCallPage(BaseModel):
    items: list[MyCall]
    total: int
    limit: int
    offset: int


def _call_clauses(ctx, user: PbxUser):
    """(made, received, the user's phones): SQL conditions for the calls the user made and the ones that
    came to them (rang them, answered by them, dialled their extension or direct number)."""
    direct = users.resource.public(ctx, user).direct_number
    phones = [device.sip_username for device in ctx.db.exec(scoped(Device, ctx.tenant_id).where(Device.user_id == user.id)).all()]
    # no phones: no device matches (an empty device name is a record's "unknown", never the user's)
    from_phone = CallRecord.caller_device.in_(phones) if phones else false()
    to_phone = CallRecord.callee_device.in_(phones) if phones else false()
    made = and_(CallRecord.direction != "inbound", or_(CallRecord.caller_number == user.extension, from_phone))
    numbers = [user.extension] + ([direct] if direct else [])
    received = and_(~made, or_(CallRecord.answered_by_user_id == user.id, CallRecord.callee_number == user.extension,
                               to_phone, CallRecord.dialled_number.in_(numbers)))
    return made, received, set(phones)


def my_calls(ctx):
    """The calls I made, received or missed (?kind=made|received|missed), newest first, a page at a time."""
    user = own_user(ctx)
    query = ctx.request.query_params
    limit = int_param(query, "limit", 50, 1, 500)
    offset = int_param(query, "offset", 0, 0, 10**9)
    kind = query.get("kind", "")
    if kind and kind not in CALL_KINDS:
        raise field_problem(422, "invalid_filter", "/kind", "must be one of " + ", ".join(CALL_KINDS))
    made, received, phones = _call_clauses(ctx, user)
    wanted = {"made": made, "received": and_(received, CallRecord.missed.is_(False)),
              "missed": and_(received, CallRecord.missed.is_(True))}.get(kind, or_(made, received))
    statement = _filtered(ctx).where(wanted)
    total = ctx.db.exec(statement.with_only_columns(func.count()).order_by(None)).one()
    rows = ctx.db.exec(_newest_first(statement).limit(limit).offset(offset)).all()
    items = []
    for row in rows:
        public = CallRecordPublic.model_validate(row, from_attributes=True).model_dump()
        if row.direction != "inbound" and (row.caller_number == user.extension or row.caller_device in phones):
            items.append(MyCall(**public, kind="made", other_number=row.dialled_number, other_name=""))
        else:
            items.append(MyCall(**public, kind="missed" if row.missed else "received", other_number=row.caller_number,
                                other_name=row.caller_name))
    return MyCallPage(items=items, total=total, limit=limit, offset=offset)


# -- phones ---------------------------------------------------------------------------------------------


class MyPhone(BaseModel):
    id: int
    name: str
    brand: str
    model: Optional[str]
    mac_display: Optional[str]
    sip_username: str
    registered: bool
    registration_user_agent: Optional[str]
    registration_expires_at: Optional[datetime]


def my_phones(ctx):
    """My phones and whether each is registered now (never a password)."""
    user = own_user(ctx)
    rows = ctx.db.exec(scoped(Device, ctx.tenant_id).where(Device.user_id == user.id).order_by(Device.name, Device.id)).all()
    return [MyPhone.model_validate(DevicePublic.model_validate(row, from_attributes=True).model_dump()) for row in rows]


# -- personal contacts ----------------------------------------------------------------------------------


def _contacts(ctx, user: PbxUser):
    return scoped(PersonalContact, ctx.tenant_id).where(PersonalContact.user_id == user.id)


def _own_contact(ctx, id: int) -> tuple[PbxUser, PersonalContact]:
    """The caller's contact `id`; 404 for anyone else's, or for a login without a PBX user (nothing of
    theirs has that id), exactly as for an id that does not exist."""
    user = ctx.db.exec(scoped(PbxUser, ctx.tenant_id).where(PbxUser.account_id == ctx.account.id)
                       .order_by(PbxUser.id)).first()
    row = None if user is None else ctx.db.exec(_contacts(ctx, user).where(PersonalContact.id == id)).first()
    if row is None:
        raise Problem(404, "not_found")
    return user, row


def _refuse_double(ctx, user: PbxUser, row: PersonalContact) -> None:
    with ctx.db.no_autoflush:
        clash = ctx.db.exec(_contacts(ctx, user).where(PersonalContact.number == row.number,
                                                       PersonalContact.id != row.id if row.id else True)).first()
    if clash is not None:
        raise field_problem(409, "contact_number_taken", "/number", f"{clash.name} already has this number")


def _contact_public(row: PersonalContact) -> ContactPublic:
    return ContactPublic.model_validate(row, from_attributes=True)


def list_my_contacts(ctx):
    """My own contacts, by name."""
    user = own_user(ctx)
    rows = ctx.db.exec(_contacts(ctx, user).order_by(PersonalContact.name, PersonalContact.id)).all()
    return [_contact_public(row) for row in rows]


def add_my_contact(ctx, body: ContactCreate):
    """Add a contact of my own."""
    user = own_user(ctx)
    row = PersonalContact(**body.model_dump(), tenant_id=ctx.tenant_id, user_id=user.id)
    _refuse_double(ctx, user, row)
    ctx.db.add(row)
    ctx.db.flush()
    return _contact_public(row)


def get_my_contact(ctx, id: int):
    """One contact of my own."""
    return _contact_public(_own_contact(ctx, id)[1])


def update_my_contact(ctx, body: ContactUpdate, id: int):
    """Change a contact of my own; only the fields sent change."""
    user, row = _own_contact(ctx, id)
    apply_update(row, body)
    _refuse_double(ctx, user, row)
    ctx.db.add(row)
    ctx.db.flush()
    return _contact_public(row)


def delete_my_contact(ctx, id: int):
    """Delete a contact of my own."""
    ctx.db.delete(_own_contact(ctx, id)[1])


def preview_my_import(ctx, body: phonebook.ImportRequest):
    """Check a CSV file of contacts as the import would, nothing saved (the company phonebook's formats)."""
    user = own_user(ctx)
    return phonebook.preview_of(body, phonebook.check_import(body, ctx.db.exec(_contacts(ctx, user)).all()))


def import_my_contacts(ctx, body: phonebook.ImportRequest):
    """Import my own contacts from CSV text (the company phonebook's formats and modes)."""
    user = own_user(ctx)
    existing = ctx.db.exec(_contacts(ctx, user)).all()
    return phonebook.save_import(ctx, body, existing, phonebook.check_import(body, existing),
                                 lambda contact: PersonalContact(**contact.model_dump(), tenant_id=ctx.tenant_id, user_id=user.id))


_CONTACT = "/api/me/contacts/{id:int}"
routes = [
    api("GET", "/api/me", get_my_settings, permission=PERMISSION, response=MySettingsPublic),
    api("PATCH", "/api/me", update_my_settings, permission=PERMISSION, body=MySettingsUpdate, response=MySettingsPublic),
    api("GET", "/api/me/voicemail-box", get_my_box, permission=PERMISSION, response=MyBoxPublic),
    api("PATCH", "/api/me/voicemail-box", update_my_box, permission=PERMISSION, body=MyBoxUpdate, response=MyBoxPublic),
    api("PUT", "/api/me/greetings/{which}", upload_greeting, permission=PERMISSION, response=MySettingsPublic,
        form_fields={"file": "file"}),
    api("DELETE", "/api/me/greetings/{which}", remove_greeting, permission=PERMISSION, response=MySettingsPublic),
    api("GET", "/api/me/greetings/{which}/file", greeting_file, permission=PERMISSION),
    api("GET", "/api/me/calls", my_calls, permission=PERMISSION, response=MyCallPage),
    api("GET", "/api/me/phones", my_phones, permission=PERMISSION, response=list[MyPhone]),
    api("GET", "/api/me/contacts", list_my_contacts, permission=PERMISSION, response=list[ContactPublic]),
    api("POST", "/api/me/contacts", add_my_contact, permission=PERMISSION, body=ContactCreate, response=ContactPublic,
        status=201),
    api("POST", "/api/me/contacts/import", import_my_contacts, permission=PERMISSION, body=phonebook.ImportRequest,
        max_body=3_000_000, response=phonebook.ImportResult),
    api("POST", "/api/me/contacts/import/preview", preview_my_import, permission=PERMISSION, body=phonebook.ImportRequest,
        max_body=3_000_000, response=phonebook.ImportPreview),
    api("GET", _CONTACT, get_my_contact, permission=PERMISSION, response=ContactPublic, model=PersonalContact),
    api("PATCH", _CONTACT, update_my_contact, permission=PERMISSION, body=ContactUpdate, response=ContactPublic,
        model=PersonalContact),
    api("DELETE", _CONTACT, delete_my_contact, permission=PERMISSION, status=204, model=PersonalContact),
]
