"""The portal's home page in numbers: for a company's admin the set-up checklist (seed 001 6.9) that
ticks itself, what is happening today and what needs attention; for the platform operator every company
with its counts. Everything an admin sees is read inside the admin's own company (`scoped`).

The checklist's items, in the order a company is set up:
  company_number     the company number is set (needed to call out)
  user_with_phone    a user has a phone (a device linked to a user)
  phone_registered   a phone is registered now
  plan_on_number     a published call plan answers one of the company's numbers
  opening_hours      a time schedule (opening hours) exists
  voicemail_email    a voicemail box mails its new messages to an address
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, time, timezone
from typing import Optional
from zoneinfo import ZoneInfo

from sqlmodel import Session, func, select

from web.domain.callplan_snapshot import published_documents, snapshot
from web.models import Account, Tenant
from web.models.bridge_status import health, worst
from web.models.call_plan import CallPlanRecord
from web.models.call_record import CallRecord
from web.models.device import Device
from web.models.live import ActiveCall, SipRegistration
from web.models.pbx_user import PbxUser
from web.models.phone_number import PhoneNumber
from web.models.schedule import TimeSchedule
from web.models.voicemail_box import VoicemailBox
from web.scoping import scoped

CHECKLIST = ("company_number", "user_with_phone", "phone_registered", "plan_on_number", "opening_hours", "voicemail_email")


@dataclass(frozen=True)
class Attention:
    """Something that needs the admin: an object left out of calls (or one value of it), or the bridge."""

    kind: str  # "bridge", or an object kind of the snapshot ("user", "device", "company", ...)
    id: Optional[int] = None
    name: str = ""
    pointer: str = ""
    message: str = ""
    object_kept: bool = False


@dataclass(frozen=True)
class Diversion:
    id: str
    name: str
    category: str
    active: bool


@dataclass(frozen=True)
class PlanDiversions:
    plan_id: int
    plan_name: str
    diversions: list[Diversion]


@dataclass(frozen=True)
class Home:
    checklist: dict[str, bool]  # item -> done, in CHECKLIST's order
    calls_now: int
    missed_today: int
    phones_configured: int
    phones_registered: int
    bridge: str  # connected | disconnected | down
    attention: list[Attention] = field(default_factory=list)
    diversions: list[PlanDiversions] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _count(db: Session, statement) -> int:
    return db.exec(select(func.count()).select_from(statement.subquery())).one()


def _exists(db: Session, statement) -> bool:
    return db.exec(statement.limit(1)).first() is not None


def start_of_day(now: datetime, zone: str) -> datetime:
    """Midnight of `now`'s day in the company's time zone, in UTC."""
    local = now.astimezone(ZoneInfo(zone))
    return datetime.combine(local.date(), time(0), tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def registered_devices(db: Session, tenant_id: int, now: datetime) -> set[int]:
    """The company's phones with a registration that has not expired (by device, else by SIP user name)."""
    registrations = db.exec(scoped(SipRegistration, tenant_id).where(SipRegistration.expires_at > now)).all()
    if not registrations:
        return set()
    by_user = {row.sip_username: row.id for row in db.exec(scoped(Device, tenant_id)).all()}
    found = set()
    for row in registrations:
        if row.device_id is not None:
            found.add(row.device_id)
        elif row.sip_user in by_user:
            found.add(by_user[row.sip_user])
    return found


def _plan_on_number(db: Session, tenant_id: int) -> bool:
    held = set(db.exec(select(PhoneNumber.number).where(PhoneNumber.tenant_id == tenant_id)).all())
    return any(number in held for version in published_documents(db, tenant_id).values()
               for number in version.document.get("numbers") or [])


def checklist(db: Session, tenant_id: int, now: datetime, registered: Optional[set[int]] = None) -> dict[str, bool]:
    tenant = db.get(Tenant, tenant_id)
    users = select(PbxUser.id).where(PbxUser.tenant_id == tenant_id)
    registered = registered_devices(db, tenant_id, now) if registered is None else registered
    return {
        "company_number": bool(tenant.company_number),
        "user_with_phone": _exists(db, scoped(Device, tenant_id).where(Device.user_id.in_(users))),
        "phone_registered": bool(registered),
        "plan_on_number": _plan_on_number(db, tenant_id),
        "opening_hours": _exists(db, scoped(TimeSchedule, tenant_id)),
        "voicemail_email": _exists(db, scoped(VoicemailBox, tenant_id).where(VoicemailBox.email.is_not(None),
                                                                             VoicemailBox.email != "")),
    }


def diversions(db: Session, tenant_id: int) -> list[PlanDiversions]:
    """The published plans with diversions, each diversion on or off as calls take it now."""
    versions = published_documents(db, tenant_id)
    if not versions:
        return []
    found = []
    for plan in db.exec(scoped(CallPlanRecord, tenant_id).where(CallPlanRecord.id.in_(versions.keys()))
                        .order_by(CallPlanRecord.name, CallPlanRecord.id)).all():
        items = [Diversion(id=str(item.get("id")), name=str(item.get("name") or ""), category=str(item.get("category") or "A"),
                           active=item.get("id") in plan.active_diversions)
                 for item in versions[plan.id].document.get("diversions") or [] if isinstance(item, dict)]
        if items:
            found.append(PlanDiversions(plan_id=plan.id, plan_name=plan.name, diversions=items))
    return found


def home(db: Session, tenant_id: int, settings, now: datetime) -> Home:
    """The admin's home page: the checklist, today's calls, phones, diversions and what needs attention."""
    tenant = db.get(Tenant, tenant_id)
    registered = registered_devices(db, tenant_id, now)
    bridge = health(worst(db, now), now)
    attention = [Attention(kind=item.kind, id=item.id, name=item.name, pointer=item.pointer, message=item.message,
                           object_kept=item.object_kept)
                 for item in snapshot(db, tenant_id, settings).skipped]
    if bridge != "connected":
        attention.insert(0, Attention(kind="bridge", message=bridge))
    return Home(
        checklist=checklist(db, tenant_id, now, registered),
        calls_now=_count(db, scoped(ActiveCall, tenant_id)),
        missed_today=_count(db, scoped(CallRecord, tenant_id).where(
            CallRecord.missed.is_(True), CallRecord.started_at >= start_of_day(now, tenant.timezone))),
        phones_configured=_count(db, scoped(Device, tenant_id)),
        phones_registered=len(registered),
        bridge=bridge,
        attention=attention,
        diversions=diversions(db, tenant_id),
    )


# --- the operator's -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompanyCounts:
    id: int
    name: str
    sip_domain: str
    company_number: Optional[str]
    users: int
    phones: int
    phones_registered: int
    numbers: int
    accounts: int
    created_at: datetime


def companies(db: Session, now: datetime) -> list[CompanyCounts]:
    """Every company on the platform with its users, phones (registered now), numbers and portal accounts."""

    def per_tenant(statement) -> dict[int, int]:
        return dict(db.exec(statement).all())

    users = per_tenant(select(PbxUser.tenant_id, func.count()).group_by(PbxUser.tenant_id))
    phones = per_tenant(select(Device.tenant_id, func.count()).group_by(Device.tenant_id))
    numbers = per_tenant(select(PhoneNumber.tenant_id, func.count()).group_by(PhoneNumber.tenant_id))
    accounts = per_tenant(select(Account.tenant_id, func.count()).where(Account.tenant_id.is_not(None))
                          .group_by(Account.tenant_id))
    registered = per_tenant(select(SipRegistration.tenant_id, func.count(func.distinct(SipRegistration.sip_user)))
                            .where(SipRegistration.expires_at > now).group_by(SipRegistration.tenant_id))
    return [CompanyCounts(id=row.id, name=row.name, sip_domain=row.sip_domain, company_number=row.company_number,
                          users=users.get(row.id, 0), phones=phones.get(row.id, 0),
                          phones_registered=registered.get(row.id, 0), numbers=numbers.get(row.id, 0),
                          accounts=accounts.get(row.id, 0), created_at=row.created_at)
            for row in db.exec(select(Tenant).order_by(Tenant.name, Tenant.id)).all()]
