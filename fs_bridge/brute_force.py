"""Blocking addresses that guess SIP passwords.

FreeSWITCH fires CUSTOM sofia::register_failure for every REGISTER or INVITE it answers 403 (wrong
password, unknown user or domain), with the source address in `network-ip` and the account tried in
`to-user`@`to-host`. settings.brute_force_failures of them from one address within
brute_force_window_s seconds block that address: a blocked_address row (the tenant whose domain it
tried, when known, sees it; the operator sees all), a "blocked" notice on the live feed, and
`reloadacl`, which makes FreeSWITCH fetch acl.conf from the app (web/xml_curl/acl.py, built from the
same rows). tick() lifts expired blocks the same way.

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
    """Failure times per address, oldest first."""

    def __init__(self):
        self.times: dict[str, deque] = {}

    def add(self, address: str, at: float, window_s: float) -> int:
        times = self.times.get(address)
        if times is None:
            if len(self.times) >= MAX_TRACKED:
                self.prune(at, window_s)
            times = self.times[address] = deque()
        times.append(at)
        while times and times[0] <= at - window_s:
            times.popleft()
        return len(times)

    def forget(self, address: str) -> None:
        self.times.pop(address, None)

    def prune(self, now: float, window_s: float) -> None:
        for address in [a for a, times in self.times.items() if not times or times[-1] <= now - window_s]:
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
    """One `reloadacl` per batch however many addresses it blocked or lifted."""
    if not getattr(ctx, "acl_reload_queued", False):
        ctx.acl_reload_queued = True
        ctx.freeswitch("reloadacl")


def on_register_failure(ctx, event) -> None:
    address = blocking.normalise(event.get("network-ip", ""))
    if address is None or blocking.protected(address, ctx.settings):
        return
    if address in {blocking.normalise(event.get("FreeSWITCH-IPv4", "")), blocking.normalise(event.get("FreeSWITCH-IPv6", ""))}:
        return
    settings = ctx.settings
    now = clock.now()
    count = windows(ctx.bridge).add(address, now.timestamp(), settings.brute_force_window_s)
    if count < settings.brute_force_failures:
        return
    realm = (event.get("to-host") or "").lower()
    tried = f"{event.get('to-user') or ''}@{realm}"[:100]
    row = ctx.db.exec(select(BlockedAddress).where(BlockedAddress.address == address)).first()
    if row is not None and is_active(row, now):
        # still blocked (FreeSWITCH refuses it and says so): keep count, nothing new to announce
        row.failures += 1
        row.last_user = tried
        ctx.db.add(row)
        return
    if row is None:
        row = BlockedAddress(address=address)
    row.tenant_id = ctx.tenant_id(realm)
    row.failures = count
    row.last_user = tried
    row.blocked_at = now
    row.expires_at = now + timedelta(seconds=settings.brute_force_block_s) if settings.brute_force_block_s > 0 else None
    row.lifted_at = None
    ctx.db.add(row)
    ctx.db.flush()
    windows(ctx.bridge).forget(address)
    log.warning("blocked %s after %d failed registrations (last tried %s)", address, count, tried)
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
