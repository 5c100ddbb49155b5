"""Addresses blocked for guessing SIP passwords (fs_bridge/brute_force.py blocks them).

A block is a row per address and tenant whose SIP domain the address tried (tenant None: domains of
nobody). A tenant's admin sees and lifts the tenant's rows; the operator sees all and lifting one lifts
every row of that address. FreeSWITCH refuses an address while any of its rows is active, so a tenant's
lift opens the address only if no other tenant (and not the operator) still blocks it: `still_blocked`
says so, without saying who. Lifting (DELETE) keeps the row with lifted_at set, writes an audit entry,
and tells FreeSWITCH to fetch acl.conf again (web/xml_curl/acl.py) after the commit, so the address can
register at once. FreeSWITCH away: the lift stands in the database and FreeSWITCH reads it at its next
acl.conf fetch (every start and every reloadacl)."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone
from typing import Optional

from pydantic import BaseModel
from sqlmodel import select

from web import clock
from web.api.problems import Problem
from web.api.routing import api
from web.domain.blocking import active_condition
from web.models.audit import AuditEntry
from web.models.live import BlockedAddress
from web.models.tenant import Tenant
from web.scoping import get_owned, scoped
from web.xml_curl import acl

log = logging.getLogger("web.api")


class BlockedAddressPublic(BaseModel):
    id: int
    address: str
    tenant_id: Optional[int] = None
    tenant_name: Optional[str] = None
    failures: int
    last_user: str
    blocked_at: datetime
    expires_at: Optional[datetime] = None
    lifted_at: Optional[datetime] = None
    active: bool
    still_blocked: bool = False  # refused on the switch all the same: another tenant's (or the operator's) block


def _aware(moment: Optional[datetime]) -> Optional[datetime]:
    if moment is not None and moment.tzinfo is None:  # SQLite hands naive UTC back
        return moment.replace(tzinfo=timezone.utc)
    return moment


def _active(row: BlockedAddress, now: datetime) -> bool:
    expires = _aware(row.expires_at)
    return row.lifted_at is None and (expires is None or expires > now)


def _public(row: BlockedAddress, names: dict, now: datetime, blocked: dict) -> BlockedAddressPublic:
    return BlockedAddressPublic(**row.model_dump(), tenant_name=names.get(row.tenant_id), active=_active(row, now),
                                still_blocked=bool(blocked.get(row.address, set()) - {row.id}))


def _active_rows(db, addresses, now: datetime) -> dict[str, set[int]]:
    """address -> ids of its active rows, every tenant's (what FreeSWITCH's list is made of)."""
    found: dict[str, set[int]] = {}
    if addresses:
        for row_id, address in db.exec(select(BlockedAddress.id, BlockedAddress.address).where(
                BlockedAddress.address.in_(sorted(addresses)), active_condition(now))).all():
            found.setdefault(address, set()).add(row_id)
    return found


def visible_blocks(db, tenant_id: Optional[int]) -> list[BlockedAddressPublic]:
    """Blocks, active ones first, newest first within each: the tenant's, or (tenant None: the
    operator) every tenant's. Also the first message of the blocks websocket (web/live.py)."""
    now = clock.now()
    query = select(BlockedAddress) if tenant_id is None else scoped(BlockedAddress, tenant_id)
    rows = db.exec(query.order_by(BlockedAddress.blocked_at.desc(), BlockedAddress.id.desc())).all()
    names = dict(db.exec(select(Tenant.id, Tenant.name)).all()) if tenant_id is None else {}
    blocked = _active_rows(db, {row.address for row in rows}, now)
    found = [_public(row, names, now, blocked) for row in rows]
    return sorted(found, key=lambda row: not row.active)  # stable: newest first within each group


def list_blocked(ctx):
    """Blocked addresses, active ones first (the admin: the tenant's; the operator: all)."""
    return visible_blocks(ctx.db, ctx.tenant_id)


def lift(ctx, id: int):
    """Lift a block now: the tenant's own (the address may register again unless another block holds
    it: still_blocked), or, for the operator, every block of the address (audited; FreeSWITCH reloads
    its ACL)."""
    if ctx.tenant_id is None:
        row = ctx.db.get(BlockedAddress, id)
        if row is None:
            raise Problem(404, "not_found")
        # the operator opens the address for everybody: every tenant's block of it
        rows = ctx.db.exec(select(BlockedAddress).where(BlockedAddress.address == row.address,
                                                        BlockedAddress.lifted_at.is_(None))).all()
    else:
        rows = [get_owned(ctx.db, BlockedAddress, ctx.tenant_id, id)]
    now = clock.now()
    actor = ctx.actor()
    lifted = False
    for row in rows:
        if row.lifted_at is not None:
            continue
        row.lifted_at = now
        ctx.db.add(row)
        lifted = True
        # blocked_address is not audited row by row (the bridge writes it constantly): this act is
        ctx.db.add(AuditEntry(
            tenant_id=row.tenant_id if row.tenant_id is not None else ctx.tenant_id, at=now,
            actor_account_id=actor.account_id, actor_email=actor.email, source_ip=actor.source_ip,
            action="blocked_address.lift", object_type="blocked_address", object_id=str(row.id),
            summary={"address": row.address, "last_user": row.last_user, "failures": row.failures},
        ))
    if lifted:
        ctx.after_commit(lambda: threading.Thread(target=reload_acl, args=(ctx.settings,), daemon=True).start())
    return None


def reload_acl(settings) -> bool:
    """`reloadacl` in every FreeSWITCH: each fetches acl.conf from the app again. False, logged, when one
    cannot be told (the lift is stored; FreeSWITCH reads it at its next fetch)."""
    from web.domain import switches

    told = True
    for answer in switches.ask_all(settings, ["reloadacl"], timeout=3.0):  # every switch blocks at its door
        if not answer.reached:
            log.warning("could not tell FreeSWITCH %s to reload its ACL (%s); %s is read at its next fetch",
                        answer.switch.name, answer.error, acl.FILE)
            told = False
        elif not answer.replies or not answer.replies[0].startswith("+OK"):
            log.warning("FreeSWITCH %s answered reloadacl with %r", answer.switch.name, answer.replies[:1])
            told = False
    return told


routes = [
    api("GET", "/api/blocked-addresses", list_blocked, permission="blocking.manage",
        response=list[BlockedAddressPublic]),
    api("DELETE", "/api/blocked-addresses/{id:int}", lift, permission="blocking.manage", model=BlockedAddress,
        status=204),
]
