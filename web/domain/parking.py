"""Call parking (#18 item 3): the company's parking lot settings, the slot numbers it holds in the
company's number namespace, and the calls parked now.

The slots are internal numbers like any other (web.domain.numbering, owner kind "parking_slot", the
slot's number as owner id) while parking is on: a user, group or room cannot take 701 while it is a
slot, and a range cannot be given numbers something else has (409 number_taken, with `used_by`) or that
something still dials (a forwarding to 702: 409 in_use, with `used_by`) when the range shrinks or parking
is switched off. Who is parked where is asked of FreeSWITCH's mod_valet_parking (`valet_info <lot>`) and
each parked channel (`uuid_dump <uuid> json`); the lot's name carries the tenant's id
(callplan.objects.parking_lot), so an admin only ever sees the own company's parked calls."""

from __future__ import annotations

import json
import logging
import re
import time

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from callplan.objects import PARK_RETURN_PREFIX, ParkingInfo, parking_lot
from web.domain import numbering, references
from web.domain.problems import Problem, field_problem
from web.models.feature_code import FeatureCode
from web.models.internal_number import InternalNumber
from web.models.parking import MAX_SLOTS, ParkedCall, ParkingLot, ParkingPublic, ParkingUpdate
from web.scoping import scoped

log = logging.getLogger("web.parking")

SLOT_OWNER = "parking_slot"
ESL_TIMEOUT = 3.0


class SwitchUnavailable(Exception):
    """FreeSWITCH's event socket did not answer."""


def lot_row(db: Session, tenant_id: int) -> ParkingLot:
    """The company's lot settings (made with the defaults the first time they are asked for)."""
    row = db.exec(scoped(ParkingLot, tenant_id)).first()
    if row is not None:
        return row
    try:
        with db.begin_nested():  # two first looks at once: the unique tenant_id lets one insert, the other reads it
            row = ParkingLot(tenant_id=tenant_id)
            db.add(row)
            db.flush()
    except IntegrityError:
        row = db.exec(scoped(ParkingLot, tenant_id)).one()
    return row


def slots_of(first: str, last: str) -> list[str]:
    return ParkingInfo(first_slot=first, last_slot=last).slots()


def park_code(db: Session, tenant_id: int) -> str | None:
    row = db.exec(scoped(FeatureCode, tenant_id).where(FeatureCode.function == "park")).first()
    return row.code if row is not None and row.enabled and row.code else None


def public(db: Session, tenant_id: int) -> ParkingPublic:
    row = lot_row(db, tenant_id)
    return ParkingPublic(enabled=row.enabled, first_slot=row.first_slot, last_slot=row.last_slot,
                         return_after_s=row.return_after_s, slots=slots_of(row.first_slot, row.last_slot),
                         park_code=park_code(db, tenant_id))


def _check_range(first: str, last: str) -> list[str]:
    if first.startswith("0"):
        # valet_park's "auto" counts slots as integers: 0701 would be parked as 701
        raise field_problem(422, "invalid", "/first_slot", "a slot number cannot start with 0")
    if len(first) != len(last):
        raise field_problem(422, "invalid", "/last_slot", "the last slot must have as many digits as the first")
    if int(last) < int(first):
        raise field_problem(422, "invalid", "/last_slot", "the last slot cannot come before the first")
    slots = slots_of(first, last)
    if len(slots) > MAX_SLOTS:
        raise field_problem(422, "invalid", "/last_slot", f"at most {MAX_SLOTS} slots")
    return slots


def _holder_use(db: Session, tenant_id: int, held: InternalNumber) -> dict:
    from web.domain.number_directory import TABLES, _name

    kind = "plan" if held.owner_kind == "call_plan" else held.owner_kind
    table = TABLES.get(kind)
    row = db.exec(scoped(table, tenant_id).where(table.id == held.owner_id)).first() if table is not None else None
    return references.Use(kind, held.owner_id, _name(kind, row) or held.number, "/extension").as_dict() | {"number": held.number}


def update(db: Session, tenant_id: int, body: ParkingUpdate) -> ParkingPublic:
    """Change the lot; the slot numbers follow at once (claimed while on, freed when off or left out)."""
    row = lot_row(db, tenant_id)
    sent = body.model_fields_set
    for name in ("enabled", "first_slot", "last_slot", "return_after_s"):
        value = getattr(body, name)
        if name in sent and value is None:
            raise field_problem(422, "invalid", f"/{name}", "cannot be null")
        if value is not None:
            setattr(row, name, value)
    wanted = set(_check_range(row.first_slot, row.last_slot)) if row.enabled else set()
    held = {number: item for number, item in (
        (item.number, item) for item in db.exec(scoped(InternalNumber, tenant_id)
                                                .where(InternalNumber.owner_kind == SLOT_OWNER)).all())}
    # numbers that stop being slots: refused while anything still dials them
    for number in sorted(set(held) - wanted):
        references.refuse_if_used(db, tenant_id, "extension", number)
    # numbers that become slots: refused when something else has one of them
    taken = [item for item in db.exec(scoped(InternalNumber, tenant_id).where(
        InternalNumber.number.in_(sorted(wanted - set(held))))).all()]
    if taken:
        raise Problem(409, "number_taken", f"{', '.join(sorted(t.number for t in taken))} already in use",
                      errors=[{"pointer": "/first_slot", "code": "number_taken",
                               "message": f"{t.number} is already used by a {t.owner_kind.replace('_', ' ')}"} for t in taken],
                      extra={"used_by": [_holder_use(db, tenant_id, t) for t in sorted(taken, key=lambda t: t.number)]})
    for number in sorted(set(held) - wanted):
        db.delete(held[number])
    db.flush()
    for number in sorted(wanted - set(held)):
        db.add(InternalNumber(tenant_id=tenant_id, number=number, owner_kind=SLOT_OWNER, owner_id=int(number)))
    db.add(row)
    db.flush()
    return public(db, tenant_id)


# --- the calls parked now ------------------------------------------------------------------------

_SLOT = re.compile(r'<extension uuid="([0-9a-fA-F-]{8,64})">([0-9]{1,8})</extension>')


def parse_lot(reply: str, lot: str) -> list[tuple[str, str]]:
    """(slot, uuid) of each call parked in `lot`, from a valet_info reply (mod_valet_parking writes
    <lots><lot name=".."><extension uuid="..">701</extension>...</lot></lots>; a lot nobody used yet is
    not listed)."""
    found = []
    for match in re.finditer(r'<lot name="([^"]*)">(.*?)</lot>', reply, re.S):
        if match.group(1) != lot:
            continue
        found.extend((slot, uuid) for uuid, slot in _SLOT.findall(match.group(2)))
    return sorted(found, key=lambda pair: (len(pair[0]), pair[0]))


def describe(slot: str, dump: str, now: float) -> ParkedCall:
    """A parked call from its channel's `uuid_dump <uuid> json` (headers as FreeSWITCH's events have them)."""
    try:
        headers = json.loads(dump) if dump.strip().startswith("{") else {}
    except ValueError:
        headers = {}
    orbit = str(headers.get("variable_valet_parking_orbit_exten") or "")
    since = str(headers.get("variable_cp_parked_at") or "")
    return ParkedCall(
        slot=slot, caller_id_name=str(headers.get("Caller-Caller-ID-Name") or ""),
        caller_id_number=str(headers.get("Caller-Caller-ID-Number") or ""),
        parked_by=orbit.removeprefix(PARK_RETURN_PREFIX) if orbit.startswith(PARK_RETURN_PREFIX) else "",
        parked_s=max(0, int(now - int(since))) if since.isdigit() else 0)


def _answers(settings, commands: list[str], switches=None):
    """Every live switch's answers that came (web.domain.switches); none: SwitchUnavailable."""
    from web.domain import switches as registry

    answers = registry.ask_all(settings, commands, ESL_TIMEOUT, switches=switches)
    for answer in answers:
        if not answer.reached:
            log.warning("parking: switch %s not asked: %s", answer.switch.name, answer.error)
    reached = [answer for answer in answers if answer.reached]
    if not reached:
        raise SwitchUnavailable(answers[0].error if answers else "no switch")
    return reached


def parks(db: Session, tenant_id: int, number: str) -> bool:
    """Does dialling `number` park a call (the park code or a slot, while parking is on)? The agent panel's
    transfer to it says who parks (web.domain.agent_calls.blind_transfer)."""
    row = db.exec(scoped(ParkingLot, tenant_id)).first()
    if row is None or not row.enabled:
        return False
    return number == park_code(db, tenant_id) or number in slots_of(row.first_slot, row.last_slot)


def is_on(db: Session, tenant_id: int) -> bool:
    row = db.exec(scoped(ParkingLot, tenant_id)).first()
    return row is not None and row.enabled


def parked(settings, tenant_id: int) -> list[ParkedCall]:
    """The lot's calls on every switch (with a home switch, CALLPLAN_HOME_SWITCH, all on it), each
    described by the switch that holds it."""
    from web.domain import switches as registry

    lot = parking_lot(tenant_id)
    listed = [(answer.switch, parse_lot(answer.replies[0], lot)) for answer in _answers(settings, [f"valet_info {lot}"])]
    listed = [(switch, pairs) for switch, pairs in listed if pairs]
    if not listed:
        return []
    dumps = registry.ask_each(settings, [(switch, [f"uuid_dump {uuid} json" for _, uuid in pairs])
                                         for switch, pairs in listed], ESL_TIMEOUT)
    now = time.time()
    found = [describe(slot, dump, now) for (_, pairs), answer in zip(listed, dumps) if answer.reached
             for (slot, _), dump in zip(pairs, answer.replies)]
    if not any(answer.reached for answer in dumps):
        raise SwitchUnavailable(dumps[0].error)
    return sorted(found, key=lambda call: (len(call.slot), call.slot))
