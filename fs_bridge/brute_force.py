"""Blocking addresses that guess SIP passwords.

FreeSWITCH fires CUSTOM sofia::register_failure for every REGISTER or INVITE it answers 403 (wrong
password, unknown user or domain), with the source address in `network-ip` and the account tried in
`to-user`@`to-host`. settings.brute_force_failures of them from one address within
brute_force_window_s seconds block that address: one blocked_address row for every company whose SIP
domain it tried in the window (tenant None for domains of nobody; each company's admin sees its own
row, the operator all), a "blocked" notice on the live feed, and `reloadacl` on every switch, which makes FreeSWITCH
fetch acl.conf from the app (web/xml_curl/acl.py, built from the same rows). tick() lifts expired
blocks the same way.

FreeSWITCH's list is one for the whole switch: it refuses an address while any of its rows is active.
So a company lifting its own row cannot open the address for the others it guessed at, and a guesser
that is also a company's admin cannot lift its own block by making its last guess at its own domain:
every company it tried holds a row.

The sliding window lives in the bridge's memory: a restart forgets half-counted guesses, which costs an
attacker's next window at most; blocks themselves are rows and survive.

Never blocked: loopback, the app's FreeSWITCH hosts and trusted proxies (web.xml_curl.blocking.protected),
and the switch's own addresses (FreeSWITCH-IPv4/IPv6 of the event): blocking those would cut every
phone behind them off."""

from __future__ import annotations

import logging
from collections import deque
from datetime import timedelta

from sqlmodel import select

from web import clock
from web.models.live import BlockedAddress
from web.domain import blocking

log = logging.getLogger("fs_bridge.brute_force")

MAX_TRACKED = 100_000  # addresses counted at once; a flood of spoofed sources must not eat the memory


class Windows:
    """Failures per address, oldest first: (time, company tried or None, account tried)."""

    def __init__(self):
        self.times: dict[str, deque] = {}

    def add(self, address: str, at: float, window_s: float, tenant_id=None, tried: str = "") -> int:
        times = self.times.get(address)
        if times is None:
            if len(self.times) >= MAX_TRACKED:
                self.prune(at, window_s)
            times = self.times[address] = deque()
        times.append((at, tenant_id, tried))
        while times and times[0][0] <= at - window_s:
            times.popleft()
        return len(times)

    def tried(self, address: str) -> dict:
        """Company (or None) -> (failures, the last account tried) of the address's window."""
        found: dict = {}
        for _, tenant_id, tried in self.times.get(address, ()):
            count, _ = found.get(tenant_id, (0, ""))
            found[tenant_id] = (count + 1, tried)
        return found

    def forget(self, address: str) -> None:
        self.times.pop(address, None)

    def prune(self, now: float, window_s: float) -> None:
        for address in [a for a, times in self.times.items() if not times or times[-1][0] <= now - window_s]:
            del self.times[address]
        if len(self.times) >= MAX_TRACKED:  # still full: everyone is recent; start over
            self.times.clear()


def windows(bridge) -> Windows:
    found = getattr(bridge, "brute_force_windows", None)
    if found is None:
        found = bridge.brute_force_windows = Windows()
    return found


def is_active(row: BlockedAddress, now) -> bool:
    expires = row.expires_at
    if expires is not None and expires.tzinfo is None:  # SQLite hands naive UTC back
        expires = expires.replace(tzinfo=now.tzinfo)
    return row.lifted_at is None and (expires is None or expires > now)


def public(row: BlockedAddress) -> dict:
    return {"id": row.id, "address": row.address, "tenant_id": row.tenant_id, "failures": row.failures,
            "last_user": row.last_user, "blocked_at": row.blocked_at, "expires_at": row.expires_at,
            "lifted_at": row.lifted_at}


def reload_acl(ctx) -> None:
    """One `reloadacl` per batch however many addresses it blocked or lifted, on every switch (with several
    behind the edge, each fetches the same list: web.domain.switches' registry, Bridge.tell_every_switch),
    not only this bridge's, so a guesser blocked here is refused by all of them at once."""
    if not getattr(ctx, "acl_reload_queued", False):
        ctx.acl_reload_queued = True
        ctx.every_switch("reloadacl")


def on_register_failure(ctx, event) -> None:
    address = blocking.normalise(event.get("network-ip", ""))
    if address is None or blocking.protected(address, ctx.settings):
        return
    if address in {blocking.normalise(event.get("FreeSWITCH-IPv4", "")), blocking.normalise(event.get("FreeSWITCH-IPv6", ""))}:
        return
    settings = ctx.settings
    now = clock.now()
    realm = (event.get("to-host") or "").lower()
    tried = f"{event.get('to-user') or ''}@{realm}"[:100]
    tenant_id = ctx.tenant_id(realm)
    count = windows(ctx.bridge).add(address, now.timestamp(), settings.brute_force_window_s, tenant_id, tried)
    if count < settings.brute_force_failures:
        return
    rows = {row.tenant_id: row for row in ctx.db.exec(select(BlockedAddress).where(BlockedAddress.address == address)).all()}
    if any(is_active(row, now) for row in rows.values()):
        # still blocked (FreeSWITCH refuses it and says so): keep count, nothing new to announce
        own = rows.get(tenant_id)
        if own is not None and is_active(own, now):
            own.failures += 1
            own.last_user = tried
            ctx.db.add(own)
        return
    expires = now + timedelta(seconds=settings.brute_force_block_s) if settings.brute_force_block_s > 0 else None
    blocked = []
    for tried_tenant, (failures, last_user) in sorted(windows(ctx.bridge).tried(address).items(),
                                                       key=lambda item: (item[0] is None, item[0] or 0)):
        row = rows.get(tried_tenant) or BlockedAddress(address=address, tenant_id=tried_tenant)
        row.failures, row.last_user = failures, last_user
        row.blocked_at, row.expires_at, row.lifted_at = now, expires, None
        ctx.db.add(row)
        blocked.append(row)
    ctx.db.flush()
    windows(ctx.bridge).forget(address)
    log.warning("blocked %s after %d failed registrations (last tried %s)", address, count, tried)
    for row in blocked:
        # to the tenant whose domain it tried; tenant None reaches only the operator (web.live)
        ctx.publish(row.tenant_id, "blocked", public(row))
    reload_acl(ctx)


def tick(ctx) -> None:
    """Lift blocks whose time is up (rows keep their history: lifted_at set)."""
    now = clock.now()
    expired = ctx.db.exec(select(BlockedAddress).where(
        BlockedAddress.lifted_at.is_(None), BlockedAddress.expires_at.is_not(None),
        BlockedAddress.expires_at <= now)).all()
    for row in expired:
        row.lifted_at = now
        ctx.db.add(row)
        ctx.publish(row.tenant_id, "blocked", public(row))  # lifted_at set: no longer
    if expired:
        log.info("lifted %d expired blocks", len(expired))
        reload_acl(ctx)
    windows(ctx.bridge).prune(now.timestamp(), ctx.settings.brute_force_window_s)


HANDLES = {"sofia::register_failure": on_register_failure}
