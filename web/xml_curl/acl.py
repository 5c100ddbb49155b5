"""acl.conf: FreeSWITCH's network list of addresses blocked for guessing SIP passwords, made from the
blocked_address table, so FreeSWITCH and the database agree (also after a FreeSWITCH restart: the core
fetches acl.conf at start-up and at every `reloadacl`).

    <list name="callplan_blocked" default="allow">  <node type="deny" cidr="203.0.113.9/32"/> ...

How the list blocks (read in FreeSWITCH 1.10 sofia.c / sofia_reg.c; freeswitch/README.md says the same):

- NOT `apply-register-acl`: an address the register ACL *allows* is registered without any password
  (sofia_reg.c: `if (ok && !PFLAG_BLIND_REG) type = REG_AUTO_REGISTER`), so a default-allow list there
  would let everybody register as anybody.
- NOT `apply-inbound-acl`: with auth-calls on, an allowed address skips digest authentication
  ("Approved by acl ... Access Granted") and a denied one only falls back to digest ("Rejected by acl.
  Falling back to Digest auth") - the opposite of blocking.
- `auth-acl` as a directory param (domain or user; web.xml_curl.directory adds DIRECTORY_PARAMS):
  sofia_reg_parse_auth checks it before the password, for REGISTER and INVITE alike; a denied address
  gets 403 Forbidden whatever password it sends, an allowed one still has to authenticate. FreeSWITCH
  evaluates it per request against the current list, so its directory cache does not weaken it.

Both checked on a real FreeSWITCH in tests/fs_bridge/test_brute_force.py.

A list name FreeSWITCH does not know matches nothing (switch_core.c), and `auth-acl` with an unknown
list would refuse every phone: freeswitch/autoload_configs/acl.conf.xml defines the same list, empty, for
when the app does not answer.

The document is built uncached: FreeSWITCH asks for it only at start-up and after `reloadacl`."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Optional

from sqlalchemy import or_
from sqlmodel import select

from callplan.xml import Document
from web import clock
from web.db import session_scope
from web.models.live import BlockedAddress
from web.xml_curl import cache

FILE = "acl.conf"
LIST = "callplan_blocked"
# What the directory gives every phone so that the list above refuses a blocked address (see above).
DIRECTORY_PARAMS = {"auth-acl": LIST}


def normalise(address: str) -> Optional[str]:
    """The address as FreeSWITCH compares it (an IPv4-mapped IPv6 address is its IPv4 address), or
    None for anything that is not a single address."""
    try:
        ip = ipaddress.ip_address((address or "").strip().strip("[]"))
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


def protected(address: str, settings) -> bool:
    """Addresses never blocked, whatever they do: the machine itself, the app's own FreeSWITCH hosts
    (xml_curl_allowed_addresses) and the trusted proxies. Blocking them would cut every phone off."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return True
    if ip.is_loopback or ip.is_unspecified:
        return True
    for entry in tuple(settings.xml_curl_allowed_addresses) + tuple(settings.trusted_proxies):
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except (ValueError, TypeError):
            continue
    return False


def active_condition(now: datetime):
    return (BlockedAddress.lifted_at.is_(None)) & or_(BlockedAddress.expires_at.is_(None), BlockedAddress.expires_at > now)


def cidr(address: str) -> str:
    return f"{address}/{128 if ':' in address else 32}"


def build(engine, settings, now: Optional[datetime] = None) -> bytes:
    now = now or clock.now()
    with session_scope(engine) as db:
        # every tenant's blocks: an address is blocked for the whole switch, whichever domain it tried
        addresses = db.exec(select(BlockedAddress.address).where(active_condition(now))
                            .order_by(BlockedAddress.address)).all()
    document = Document("configuration")
    conf = document.child(document.section, "configuration", name=FILE,
                          description="addresses blocked for guessing SIP passwords")
    lists = document.child(conf, "network-lists")
    blocked = document.child(lists, "list", name=LIST, default="allow")
    for address in addresses:
        if normalise(address) == address and not protected(address, settings):
            document.child(blocked, "node", type="deny", cidr=cidr(address))
    return document.to_string().encode()


def answer(engine, settings, fields: dict) -> Optional[bytes]:
    if fields.get("key_value") != FILE:
        return None
    if getattr(cache._local, "no_build", False):
        raise cache.Miss()  # a database read: on a worker thread, not on the event loop
    return build(engine, settings)
