"""Who points at what, inside one tenant.

Objects point at each other by id (a ring group's members, an IVR key's destination, a greeting's
audio file) and at internal numbers (a forwarding to "201"). Each referenceable table registers its
kind here, and each table that points at things says so through a `references()` method yielding
(where, kind, target) with target an id, or the number for kind "extension". One scan then answers:

- does the target exist in this tenant? (`require`: refused with the field's pointer otherwise)
- who uses it? (`refuse_if_used`: deleting, or renumbering an extension, is refused with the list)

Renaming never needs refusing: references are by id, so a new name loses no membership.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Iterator

from sqlmodel import Session

from web.destinations import REFERS_TO
from web.domain.problems import Problem, field_problem

KINDS: dict[str, type] = {}  # kind -> table
REFERRERS: list[type] = []  # tables whose rows have a references() method
EXTRA_FINDERS: list = []  # callables (db, tenant_id, kind, target) -> Uses, for references kept elsewhere (call plans)


@dataclass(frozen=True)
class Use:
    kind: str  # the referring object's kind
    id: int
    name: str
    where: str  # the field inside it, as a JSON pointer

    def as_dict(self) -> dict:
        return asdict(self)


def register_kind(kind: str, table: type) -> None:
    KINDS[kind] = table


def register_referrer(table: type) -> None:
    if table not in REFERRERS:
        REFERRERS.append(table)


def kind_of(table: type) -> str:
    """The registered kind of a table; tables nobody points at (company settings) go by table name."""
    return next((kind for kind, candidate in KINDS.items() if candidate is table), table.__tablename__)


def display_name(row) -> str:
    for attribute in ("name", "display_name", "label", "number"):
        if getattr(row, attribute, None):
            return str(getattr(row, attribute))
    if hasattr(row, "first_name"):
        return f"{row.first_name} {row.last_name}".strip()
    return str(getattr(row, "id", ""))


def require(db: Session, tenant_id: int, kind: str, target_id, pointer: str) -> None:
    """Refuse (422, naming the field) a pointer to a `kind` row that is not the tenant's."""
    from web.scoping import scoped

    table = KINDS[kind]
    if not isinstance(target_id, int) or db.exec(scoped(table, tenant_id).where(table.id == target_id)).first() is None:
        raise field_problem(422, "unknown_reference", pointer, f"no {kind.replace('_', ' ')} with id {target_id} in this company")


def require_distinct_ids(db: Session, tenant_id: int, table: type, ids: list, field: str, what: str, twice: str) -> None:
    """A list of ids (a pickup group's members, a box's readers): each once, each one of the tenant's
    `table` rows; refused (422) at the first offender's pointer, `field`/<index>. Checked directly rather
    than through `require_all`, which only knows a kind once its module has registered it."""
    from web.scoping import scoped

    seen: set = set()
    for index, target in enumerate(ids):
        if target in seen:
            raise field_problem(422, "duplicate_member", f"{field}/{index}", twice)
        seen.add(target)
    if seen:
        found = set(db.exec(scoped(table, tenant_id).where(table.id.in_(seen)).with_only_columns(table.id)).all())
        for index, target in enumerate(ids):
            if target not in found:
                raise field_problem(422, "unknown_reference", f"{field}/{index}", f"no {what} with id {target} in this company")


def _named(ref_kind: str) -> str:
    """The kind of row a reference names: a fax to e-mail destination ("fax") names a user."""
    return REFERS_TO.get(ref_kind, ref_kind)


def require_all(db: Session, tenant_id: int, row, prefix: str = "") -> None:
    """Check every id `row.references()` yields, and that every internal number it dials exists; a fax to
    e-mail destination's user must have an address to mail to (refused at its /id otherwise)."""
    from web.domain import faxes, numbering

    for where, kind, target in row.references():
        if kind == "fax":
            require(db, tenant_id, "user", target, prefix + where)
            faxes.require_address(db, tenant_id, target, prefix + where + "/id", current=row)
        elif kind == "extension":
            if numbering.holder(db, tenant_id, target) is None:
                raise field_problem(422, "unknown_reference", prefix + where, f"no internal number {target} in this company")
        elif kind in KINDS:
            require(db, tenant_id, kind, target, prefix + where)


def uses(db: Session, tenant_id: int, kind: str, target) -> Iterator[Use]:
    from web.scoping import scoped

    for table in REFERRERS:
        for row in db.exec(scoped(table, tenant_id)).all():
            for where, ref_kind, ref_target in row.references():
                if _named(ref_kind) == kind and ref_target == target:
                    yield Use(kind_of(table), row.id, display_name(row), where)
    for finder in EXTRA_FINDERS:
        yield from finder(db, tenant_id, kind, target)


def uses_as(db: Session, tenant_id: int, ref_kind: str, target) -> Iterator[Use]:
    """Rows whose references name `target` as exactly `ref_kind` (a fax to e-mail destination, "fax", of
    a user), where `uses` counts it under the kind of row it names."""
    from web.scoping import scoped

    for table in REFERRERS:
        for row in db.exec(scoped(table, tenant_id)).all():
            for where, found_kind, found_target in row.references():
                if found_kind == ref_kind and found_target == target:
                    yield Use(kind_of(table), row.id, display_name(row), where)


def usage(db: Session, tenant_id: int, kind: str, targets: Iterable) -> dict[object, list[Use]]:
    """Who uses each of `targets` (of one kind): the same answer as `uses` for each, with every referring
    table read once (a list screen's "used by" column)."""
    from web.scoping import scoped

    found: dict[object, list[Use]] = {target: [] for target in targets}
    for table in REFERRERS:
        for row in db.exec(scoped(table, tenant_id)).all():
            for where, ref_kind, ref_target in row.references():
                if _named(ref_kind) == kind and ref_target in found:
                    found[ref_target].append(Use(kind_of(table), row.id, display_name(row), where))
    for finder in EXTRA_FINDERS:
        for target, used in found.items():
            used.extend(finder(db, tenant_id, kind, target))
    return found


def refuse_if_used(db: Session, tenant_id: int, kind: str, target, *, ignore: Iterable[tuple[str, int]] = ()) -> None:
    """409 with the list of users when anything still points at (kind, target)."""
    ignored = set(ignore)
    found = [use for use in uses(db, tenant_id, kind, target) if (use.kind, use.id) not in ignored]
    if found:
        raise Problem(409, "in_use", extra={"used_by": [use.as_dict() for use in found]},
                      params={"count": len(found)})
