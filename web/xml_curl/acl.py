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

from datetime import datetime
from typing import Optional

from sqlmodel import select

from callplan.xml import Document
from web import clock
from web.db import session_scope
from web.domain.blocking import active_condition, normalise, protected  # noqa: F401  (acl.normalise is used widely)
from web.models.live import BlockedAddress
from web.xml_curl import cache

FILE = "acl.conf"
LIST = "callplan_blocked"
# What the directory gives every phone so that the list above refuses a blocked address (see above).
DIRECTORY_PARAMS = {"auth-acl": LIST}


def cidr(address: str) -> str:
    return f"{address}/{128 if ':' in address else 32}"


def build(engine, settings, now: Optional[datetime] = None) -> bytes:
    now = now or clock.now()
    with session_scope(engine) as db:
        # every tenant's blocks: an address is refused on the whole switch while any tenant (or the
        # operator, for domains of nobody) still blocks it; one tenant's lift opens it only when none does
        addresses = db.exec(select(BlockedAddress.address).where(active_condition(now)).distinct()
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
