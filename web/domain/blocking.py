"""Addresses blocked for guessing SIP passwords: which address a block is about, which addresses are
never blocked, and which blocks are in force. The bridge blocks (fs_bridge/brute_force.py), the API
lifts (web/api/blocked_addresses.py), and FreeSWITCH reads the list as acl.conf (web/xml_curl/acl.py)."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Optional

from sqlalchemy import or_

from web.models.live import BlockedAddress


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
    (xml_curl_allowed_addresses), the trusted proxies and the SIP edge (CALLPLAN_SIP_EDGE: every phone
    behind it arrives from its address; it blocks guessers by their own, kamailio/kamailio.cfg). Blocking
    them would cut every phone off."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return True
    if ip.is_loopback or ip.is_unspecified:
        return True
    edge = getattr(settings, "sip_edge", "").rsplit(":", 1)[0].strip("[]")
    for entry in tuple(settings.xml_curl_allowed_addresses) + tuple(settings.trusted_proxies) + ((edge,) if edge else ()):
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except (ValueError, TypeError):
            continue
    return False


def active_condition(now: datetime):
    return (BlockedAddress.lifted_at.is_(None)) & or_(BlockedAddress.expires_at.is_(None), BlockedAddress.expires_at > now)
