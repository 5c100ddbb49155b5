"""What the call-plan engine (callplan/, which is pure) needs from the database: a tenant's objects as a
TenantObjects snapshot, the documents of its plans, and who among the plans uses what.

`snapshot()` reads each table once (through web.scoping), so validating, compiling or simulating a plan
costs a dozen queries whatever the size of the company."""

from __future__ import annotations

import logging
from typing import Iterator, Optional

import phonenumbers
from pydantic import ValidationError
from sqlmodel import Session

from callplan.model import CallPlan
from callplan.nodes import module_for
from callplan.objects import (
    AudioInfo,
    CompanyInfo,
    DepartmentInfo,
    DeviceInfo,
    FeatureCodeInfo,
    HolidayInfo,
    IvrMenuInfo,
    PlanInfo,
    QueueInfo,
    RingGroupInfo,
    ScheduleInfo,
    Skipped,
    TenantObjects,
    UserInfo,
    VoicemailBoxInfo,
)
from web.models import Tenant
from web.models.audio import AudioFile
from web.models.call_plan import CallPlanRecord, CallPlanVersion
from web.models.company import CompanySettings, Department
from web.models.device import Device
from web.models.feature_code import FeatureCode
from web.models.internal_number import InternalNumber
from web.models.ivr_menu import IvrMenu
from web.models.pbx_user import PbxUser
from web.models.phone_number import PhoneNumber, VerifiedCallerId
from web.models.phonebook import Contact
from web.models.pickup_group import PickupGroup
from web.models.queue import CallQueue
from web.models.ring_group import RingGroup
from web.models.ring_group_state import RingGroupState
from web.models.schedule import HolidaySchedule, TimeSchedule
from web.models.voicemail_box import VoicemailBox
from web.domain import numbers
from web.domain.problems import from_validation_error
from web.domain.references import Use
from web.domain.stored_rows import row_problems
from web.scoping import scoped

log = logging.getLogger("web.callplans")

PLAN_OWNER = "call_plan"  # owner_kind of a plan's internal numbers in web.domain.numbering


# --- documents ---------------------------------------------------------------------------------


def normalised(plan: CallPlan) -> dict:
    """The stored form of a document: every field, defaults included, "else" by its JSON name."""
    return plan.model_dump(mode="json", by_alias=True)


def with_diversions(document: dict, active: list[str]) -> CallPlan:
    """The document as calls see it: its diversions switched on exactly when their id is in `active`."""
    active_ids = set(active or ())
    data = dict(document)
    data["diversions"] = [{**diversion, "active": diversion.get("id") in active_ids}
                          for diversion in document.get("diversions") or []]
    return CallPlan.model_validate(data)


def published_documents(db: Session, tenant_id: int) -> dict[int, CallPlanVersion]:
    """plan id -> its latest published version, for every plan of the tenant that has one (one query)."""
    rows = db.exec(
        scoped(CallPlanVersion, tenant_id)
        .join(CallPlanRecord, CallPlanRecord.id == CallPlanVersion.plan_id)
        .where(CallPlanRecord.published_version == CallPlanVersion.version)
    ).all()
    return {row.plan_id: row for row in rows}


def answered_by_plan(db: Session, tenant_id: int, number: str) -> bool:
    """Does a published call plan answer this number (it then cannot route elsewhere)?"""
    return number in numbers_answered_by_plans(db, tenant_id)


def numbers_answered_by_plans(db: Session, tenant_id: int) -> set[str]:
    """Every number a published call plan of the tenant answers (one query)."""
    return {number for version in published_documents(db, tenant_id).values() for number in version.document.get("numbers") or []}


def transfers_to(document: dict) -> list[int]:
    """Plans a document's steps transfer to, wherever they sit (branches, keys, diversions)."""
    found: list[int] = []

    def visit(value) -> None:
        if isinstance(value, dict):
            target = value.get("to")
            if value.get("type") == "transfer" and isinstance(target, dict) and isinstance(target.get("plan"), int):
                if target["plan"] not in found:
                    found.append(target["plan"])
            for item in value.values():
                visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit(document)
    return found


# --- the snapshot --------------------------------------------------------------------------------


def _rows(db: Session, table, tenant_id: int) -> list:
    return db.exec(scoped(table, tenant_id).order_by(table.id)).all()


def _country(company_number: Optional[str]) -> str:
    """The ISO country of the company's number: what "international" means for outbound blocking."""
    if company_number:
        try:
            return phonenumbers.region_code_for_number(phonenumbers.parse(company_number, None)) or "NL"
        except phonenumbers.NumberParseException:
            pass
    return CompanyInfo().country


def _label(row) -> str:
    for names in (("first_name", "last_name"), ("name",), ("sip_username",), ("number",), ("function",)):
        values = [str(getattr(row, name, "") or "") for name in names]
        if any(values):
            return " ".join(v for v in values if v)[:100]
    return ""


class _Checker:
    """Builds the snapshot's pieces row by row: a row that no longer validates (its stored values against
    the API's rules, web.domain.stored_rows, or against what the engine needs, callplan.objects) is left
    out, logged and listed, so one bad row never takes the company's directory or dialplan down."""

    def __init__(self, tenant_id: int):
        self.tenant_id = tenant_id
        self.skipped: list[Skipped] = []

    def skip(self, kind: str, row_id, name: str, found: list[dict], object_kept: bool = False) -> None:
        first = found[0]
        self.skipped.append(Skipped(kind=kind, id=row_id, name=name, pointer=first["pointer"],
                                    message=first["message"], object_kept=object_kept))
        log.warning("tenant %s: %s %s %s: stored %s no longer valid (%s)", self.tenant_id, kind, row_id,
                    "kept without that value" if object_kept else "left out of calls", first["pointer"], first["message"])

    def usable(self, kind: str, rows: list) -> list:
        """The rows that still pass the API's rules."""
        kept = []
        for row in rows:
            found = row_problems(row)
            if found:
                self.skip(kind, row.id, _label(row), found)
            else:
                kept.append(row)
        return kept

    def each(self, kind: str, rows: list, build) -> dict:
        """id -> build(row) for every usable row the engine's own shape takes."""
        built = {}
        for row in self.usable(kind, rows):
            try:
                built[row.id] = build(row)
            except ValidationError as exc:
                self.skip(kind, row.id, _label(row), from_validation_error(exc).errors)
        return built

    def lenient(self, kind: str, model, data: dict, found: list[dict] = (), name: str = ""):
        """`model` from `data` with each value at fault (in `found`, or refused by the model) left at the
        field's default: a company setting cannot be left out the way an object can. A value still refused
        that has no default fails the whole snapshot."""
        data, errors = dict(data), list(found)

        def droppable(error) -> Optional[str]:
            field = error["pointer"].split("/")[1] if error["pointer"].startswith("/") else ""
            known = model.model_fields.get(field)
            return field if field in data and known is not None and not known.is_required() else None

        while True:
            for error in errors:
                self.skip(kind, None, name, [error], object_kept=True)
                data.pop(droppable(error) or "", None)
            try:
                return model.model_validate(data)
            except ValidationError as exc:
                errors = from_validation_error(exc).errors
                if not any(droppable(error) for error in errors):
                    raise


def _users(db: Session, tenant_id: int, boxes: list, held: list[PhoneNumber], check: _Checker) -> dict[int, UserInfo]:
    personal_box = {box.user_id: box.id for box in boxes if box.user_id is not None}
    direct = {}  # user id -> the public number routed to the user
    for did in held:
        if (did.destination or {}).get("type") == "user":
            direct.setdefault(did.destination.get("id"), did.number)
    return check.each("user", _rows(db, PbxUser, tenant_id), lambda u: UserInfo(
        id=u.id, extension=u.extension, name=f"{u.first_name} {u.last_name}".strip(), forwarding=u.forwarding,
        anywhere=u.anywhere, voicemail=u.voicemail, dnd=u.dnd, voicemail_box_id=personal_box.get(u.id),
        caller_id_mode=u.caller_id_mode, withhold_caller_id=u.withhold_caller_id, call_waiting=u.call_waiting,
        department_id=u.department_id, direct_number=direct.get(u.id), night_mode=u.night_mode, language=u.language,
        hot_desking=u.hot_desking, call_blocking=u.call_blocking))


def _plans(db: Session, tenant_id: int) -> dict[int, PlanInfo]:
    published = published_documents(db, tenant_id)
    plans = {}
    for plan in _rows(db, CallPlanRecord, tenant_id):
        version = published.get(plan.id)
        document = version.document if version is not None else {}
        plans[plan.id] = PlanInfo(id=plan.id, name=plan.name, numbers=list(document.get("numbers") or []),
                                  transfers_to=transfers_to(document))
    return plans


def caller_ids(tenant: Tenant, held: list[PhoneNumber], verified: list[VerifiedCallerId],
               departments: list[Department]) -> frozenset[str]:
    """The numbers the company may show on calls out. A stored caller ID that is not one of them (a row
    from before numbers were assigned, a number taken back) is logged here; callplan.outbound shows the
    company number instead, or withholds it, and GET /api/caller-ids shows the admin the row."""
    allowed = frozenset([row.number for row in held] + [row.number for row in verified])
    for kind, row_id, _, where, number in numbers.unshowable(tenant, departments, allowed):
        log.warning("tenant %s: %s %s%s is %s, not a number the company holds or had verified; calls out "
                    "do not show it", tenant.id, kind, row_id, where, number)
    return allowed


def snapshot(db: Session, tenant_id: int, settings) -> TenantObjects:
    check = _Checker(tenant_id)
    tenant = db.get(Tenant, tenant_id)
    boxes = check.usable("voicemail_box", _rows(db, VoicemailBox, tenant_id))
    settings_row = db.exec(scoped(CompanySettings, tenant_id)).first()
    company = check.lenient("company", CompanyInfo, settings_row.model_dump() if settings_row is not None else {},
                            row_problems(settings_row) if settings_row is not None else [])
    states = _rows(db, RingGroupState, tenant_id)
    held = check.usable("phone_number", _rows(db, PhoneNumber, tenant_id))
    departments = check.usable("department", _rows(db, Department, tenant_id))
    extensions = {}
    for number in _rows(db, InternalNumber, tenant_id):
        kind = number.owner_kind
        extensions[number.number] = f"{PLAN_OWNER}:{number.owner_id}" if kind == PLAN_OWNER else kind
    codes = check.each("feature_code", [f for f in _rows(db, FeatureCode, tenant_id) if f.enabled and f.code],
                       lambda f: FeatureCodeInfo(function=f.function, code=f.code))
    objects = check.lenient("company", TenantObjects, dict(
        tenant_id=tenant_id,
        domain=tenant.sip_domain,
        timezone=tenant.timezone,
        language=tenant.language,
        audio_dir=str(settings.audio_dir),
        company_number=tenant.company_number,
        caller_ids=caller_ids(tenant, held, _rows(db, VerifiedCallerId, tenant_id), departments),
        company=company,
        departments=check.each("department", departments,
                               lambda d: DepartmentInfo(id=d.id, name=d.name, caller_id_number=d.caller_id_number)),
        feature_codes={code.function: code.code for code in codes.values()},
        pickup_groups={g.id: list(g.members) for g in check.usable("pickup_group", _rows(db, PickupGroup, tenant_id))},
        users=_users(db, tenant_id, boxes, held, check),
        devices=check.each("device", _rows(db, Device, tenant_id),
                           lambda d: DeviceInfo(id=d.id, sip_username=d.sip_username, user_id=d.user_id,
                                                hot_desking=d.hot_desking)),
        ring_groups=check.each("ring_group", _rows(db, RingGroup, tenant_id), lambda g: RingGroupInfo.model_validate(g.model_dump())),
        queues=check.each("queue", _rows(db, CallQueue, tenant_id), lambda q: QueueInfo.model_validate(q.model_dump())),
        ivr_menus=check.each("ivr_menu", _rows(db, IvrMenu, tenant_id), lambda m: IvrMenuInfo.model_validate(m.model_dump())),
        voicemail_boxes=check.each("voicemail_box", boxes, lambda b: VoicemailBoxInfo.model_validate(b.model_dump())),
        schedules=check.each("schedule", _rows(db, TimeSchedule, tenant_id),
                             lambda s: ScheduleInfo(id=s.id, name=s.name, periods=s.periods)),
        holidays=check.each("holiday_schedule", _rows(db, HolidaySchedule, tenant_id),
                            lambda h: HolidayInfo(id=h.id, name=h.name, entries=h.entries)),
        audio=check.each("audio", _rows(db, AudioFile, tenant_id), lambda a: AudioInfo(id=a.id, name=a.name)),
        plans=_plans(db, tenant_id),
        extensions=extensions,
        blocked_numbers=[contact.number for contact in db.exec(
            scoped(Contact, tenant_id).where(Contact.blocked == True).order_by(Contact.id)).all()],  # noqa: E712
        last_answered={row.ring_group_id: row.last_answered_index for row in states if row.last_answered_index is not None},
        idle_since=_idle_since(states),
    ), row_problems(tenant), tenant.name)
    objects.company.country = _country(objects.company_number)
    objects.company.name = tenant.name
    objects.skipped = check.skipped
    return objects


def _idle_since(states) -> dict[str, float]:
    """A member's last answered call in any group (web.xml_curl.dialplan.rotation_state reads it the same way)."""
    found: dict[str, float] = {}
    for row in states:
        for key, at in row.last_call_at.items():
            if at > found.get(key, float("-inf")):
                found[key] = at
    return found


# --- who uses what (web.domain.references EXTRA_FINDERS) ----------------------------------------------

# kinds a plan's steps can point at (see each callplan/nodes module's references()), plus public numbers
# a plan answers on
_KINDS = frozenset({"user", "ring_group", "queue", "ivr_menu", "voicemail_box", "schedule", "holiday_schedule",
                    "audio", "plan", "extension", "phone_number"})


def _parsed(document: dict, plan_id: int) -> Optional[CallPlan]:
    try:
        return CallPlan.model_validate(document)
    except ValidationError:
        # Stored documents were valid when saved; one that no longer parses uses nothing we can name.
        log.warning("call plan %s has a stored document that no longer parses", plan_id)
        return None


def _references(plan: CallPlan) -> Iterator[tuple[str, str, object]]:
    for pointer, step in plan.walk():
        for suffix, kind, target in module_for(step).references(step):
            yield pointer + suffix, kind, target


def plan_uses(db: Session, tenant_id: int, kind: str, target) -> Iterator[Use]:
    """Plans whose draft or published version points at (kind, target); once per plan and place."""
    if kind not in _KINDS:
        return
    number = None
    if kind == "phone_number":
        did = db.exec(scoped(PhoneNumber, tenant_id).where(PhoneNumber.id == target)).first()
        if did is None:
            return
        number = did.number
    published = published_documents(db, tenant_id)
    for row in db.exec(scoped(CallPlanRecord, tenant_id).order_by(CallPlanRecord.id)).all():
        seen = set()
        documents = [published[row.id].document] if row.id in published else []
        for document in documents + [row.draft]:
            if number is not None:
                places = [f"/numbers/{i}" for i, n in enumerate(document.get("numbers") or []) if n == number]
            else:
                plan = _parsed(document, row.id)
                places = [where for where, ref_kind, ref in (_references(plan) if plan else ())
                          if ref_kind == kind and ref == target]
            for where in places:
                if where not in seen:
                    seen.add(where)
                    yield Use("plan", row.id, row.name, where)
