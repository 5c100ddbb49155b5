"""Who answers what: every public number and every internal number of one company, each with what it
reaches (a user, ring group, queue, IVR menu, voicemail box, call plan, feature code, an outside number)
and how (routed by the admin, answered by a published plan, or the object's own extension).

Read in a handful of queries whatever the company's size: the numbers, the internal-number namespace,
the published plans, and each kind of object once. Everything is the one tenant's (web.scoping)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlmodel import Session, select

from web.domain.callplan_snapshot import PLAN_OWNER, published_documents
from web.models import Tenant
from web.models.call_plan import CallPlanRecord
from web.models.feature_code import FeatureCode
from web.models.internal_number import InternalNumber
from web.models.ivr_menu import IvrMenu
from web.models.pbx_user import PbxUser
from web.models.phone_number import PhoneNumber
from web.models.queue import CallQueue
from web.models.ring_group import RingGroup
from web.models.voicemail_box import VoicemailBox
from web.models.page_group import PageGroup
from web.scoping import scoped

# owner kind of the internal-number table (and destination type) -> its table; a plan owns its
# internal numbers as "call_plan" and is the kind "plan" everywhere else
TABLES = {"user": PbxUser, "ring_group": RingGroup, "queue": CallQueue, "ivr_menu": IvrMenu,
          "voicemail_box": VoicemailBox, "page_group": PageGroup, "plan": CallPlanRecord, "feature_code": FeatureCode}


@dataclass
class Reach:
    kind: str  # user | ring_group | queue | ivr_menu | voicemail_box | plan | feature_code | extension | external | hang_up
    #   | park (the parking lot) | fax (fax to mail: id and name are the user's)
    id: Optional[int] = None
    number: Optional[str] = None  # the extension dialled, or the outside number
    name: str = ""  # the object's name ("" when it is gone, or for an outside number)


@dataclass
class Entry:
    number: str
    kind: str  # "public" (a DID the operator assigned) or "internal" (an extension, a feature code)
    id: Optional[int] = None  # the public number's id (PATCH /api/numbers/{id})
    label: str = ""
    number_type: str = ""
    via: str = ""  # "" (free), "route" (the number's destination), "plan" (a published plan answers it), "own" (internal)
    reaches: Optional[Reach] = None  # None: free, nothing answers it
    company_number: bool = False  # the number calls out show


def _name(kind: str, row) -> str:
    if row is None:
        return ""
    if kind == "user":
        return f"{row.first_name} {row.last_name}".strip()
    if kind == "feature_code":
        return row.function
    return row.name


def directory(db: Session, tenant_id: int) -> list[Entry]:
    tenant = db.get(Tenant, tenant_id)
    rows: dict[str, dict[int, object]] = {}

    def obj(kind: str, row_id) -> object | None:
        if kind not in TABLES:
            return None
        if kind not in rows:
            table = TABLES[kind]
            rows[kind] = {row.id: row for row in db.exec(scoped(table, tenant_id)).all()}
        return rows[kind].get(row_id)

    internal = {row.number: row for row in db.exec(scoped(InternalNumber, tenant_id)).all()}

    def owner_reach(number: str) -> Reach:
        held = internal.get(number)
        if held is None:
            return Reach("extension", number=number)  # dials nothing now (the stored row shows its problem)
        kind = "plan" if held.owner_kind == PLAN_OWNER else held.owner_kind
        if kind == "parking_slot":  # web.domain.parking: the slot's number is its name
            return Reach(kind, id=held.owner_id, number=number, name=number)
        return Reach(kind, id=held.owner_id, number=number, name=_name(kind, obj(kind, held.owner_id)))

    plans_by_number: dict[str, int] = {}
    for plan_id, version in sorted(published_documents(db, tenant_id).items()):
        for number in version.document.get("numbers") or []:
            plans_by_number.setdefault(number, plan_id)

    found: list[Entry] = []
    for row in db.exec(scoped(PhoneNumber, tenant_id).order_by(PhoneNumber.number)).all():
        entry = Entry(number=row.number, kind="public", id=row.id, label=row.label, number_type=row.number_type,
                      company_number=tenant is not None and tenant.company_number == row.number)
        destination = row.destination or {}
        plan_id = plans_by_number.get(row.number)
        if plan_id is not None:
            entry.via = "plan"
            entry.reaches = Reach("plan", id=plan_id, name=_name("plan", obj("plan", plan_id)))
        elif destination.get("type"):
            entry.via = "route"
            kind = destination["type"]
            if kind == "extension":
                entry.reaches = owner_reach(destination.get("number") or "")
            elif kind == "fax":  # fax to mail: named by the user it is mailed to
                entry.reaches = Reach(kind, id=destination.get("id"), name=_name("user", obj("user", destination.get("id"))))
            elif kind in TABLES:
                entry.reaches = Reach(kind, id=destination.get("id"), name=_name(kind, obj(kind, destination.get("id"))))
            else:
                entry.reaches = Reach(kind, number=destination.get("number"))
        found.append(entry)
    for number in sorted(internal, key=lambda value: (value[:1] in "*#", len(value), value)):
        found.append(Entry(number=number, kind="internal", via="own", reaches=owner_reach(number)))
    return found
