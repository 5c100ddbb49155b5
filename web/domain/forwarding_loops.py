"""Forwarding that comes back where it started: A forwards to B, B forwards to A.

Such a loop is not a slow ring but a call that FreeSWITCH transfers round and round (an "always"
forwarding does it without ringing anyone), so it is refused when it would be saved: 422 on the field
that closes it, naming the way round. What sends a call on by itself counts: a user's forwarding
(always; else on busy, on no answer, when unregistered; the voicemail greeting's "then forward"), a
ring group's "forward after waiting" and its night destination. A destination reaches an object by id or
by its internal number; queues, IVR menus, voicemail boxes, outside numbers and hanging up end the way
(a caller's choice in a menu is no loop)."""

from __future__ import annotations

from typing import Iterator, Optional

from sqlmodel import Session

from web.domain import numbering
from web.domain.problems import field_problem
from web.models.pbx_user import PbxUser
from web.models.ring_group import RingGroup
from web.scoping import scoped

Node = tuple[str, int]  # ("user" | "ring_group", id)
KINDS = {"user": PbxUser, "ring_group": RingGroup}


def forwards(kind: str, row) -> Iterator[tuple[str, dict]]:
    """(pointer, destination) of everything `row` sends a call on to by itself."""
    if kind == "user":
        forwarding = row.forwarding or {}
        always = forwarding.get("always") or {}
        if always.get("enabled") and always.get("to"):
            yield "/forwarding/always/to", always["to"]
            return  # nothing else happens to its calls
        for case in ("busy", "no_answer", "unregistered"):
            rule = forwarding.get(case) or {}
            if rule.get("enabled") and rule.get("to"):
                yield f"/forwarding/{case}/to", rule["to"]
        voicemail = row.voicemail or {}
        if voicemail.get("enabled", True) and voicemail.get("announce_only") \
                and voicemail.get("after_announcement") == "forward" and voicemail.get("forward_to"):
            yield "/voicemail/forward_to", voicemail["forward_to"]
    else:
        if row.forward_after:
            yield "/forward_after", row.forward_after
        if row.night_destination:
            yield "/night_destination", row.night_destination


def _name(kind: str, row) -> str:
    name = f"{row.first_name} {row.last_name}".strip() if kind == "user" else row.name
    return f"{name} ({row.extension})" if row.extension else name


def loop_through(db: Session, tenant_id: int, kind: str, row) -> Optional[tuple[str, list[str]]]:
    """(the pointer of `row` that starts a loop back to `row`, the names along the way), or None.
    `row` is taken as it is about to be saved; the others as stored."""
    rows: dict[Node, object] = {}
    for other_kind, table in KINDS.items():
        for other in db.exec(scoped(table, tenant_id)).all():
            rows[(other_kind, other.id)] = other
    start: Node = (kind, row.id if row.id is not None else -1)  # a new row has no id: nothing points at it yet
    rows[start] = row
    numbers: dict[str, Optional[Node]] = {}

    def target(destination: dict) -> Optional[Node]:
        if destination.get("type") in KINDS:
            node = (destination["type"], destination.get("id"))
            return node if node in rows else None
        if destination.get("type") == "extension":
            number = destination.get("number")
            if number not in numbers:
                held = numbering.holder(db, tenant_id, number)
                numbers[number] = (held.owner_kind, held.owner_id) if held is not None and held.owner_kind in KINDS else None
            node = numbers[number]
            return node if node in rows else None
        return None

    for pointer, destination in forwards(kind, row):
        first = target(destination)
        if first is None:
            continue
        # depth first from the first hop; a way back to the start is the loop this field closes
        stack, seen = [(first, [start, first])], {first}
        while stack:
            node, path = stack.pop()
            if node == start:
                return pointer, [_name(n[0], rows[n]) for n in path]
            for _, onward in forwards(node[0], rows[node]):
                following = target(onward)
                if following is not None and (following == start or following not in seen):
                    seen.add(following)
                    stack.append((following, path + [following]))
    return None


def refuse_loops(db: Session, tenant_id: int, kind: str, row) -> None:
    """422 on the field of `row` that would make calls go round, saying which way."""
    found = loop_through(db, tenant_id, kind, row)
    if found is not None:
        pointer, names = found
        raise field_problem(422, "forwarding_loop", pointer,
                            "calls would go round without end: " + " → ".join(names))
