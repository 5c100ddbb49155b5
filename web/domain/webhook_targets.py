"""Where a webhook may go: to the company's own systems on the internet, never inside the platform.

A tenant admin chooses the URL, so without a check a webhook is a way to make the platform send
requests to itself or its neighbours: the cloud's metadata service (169.254.169.254), the database, a
FreeSWITCH's event socket, anything on loopback or the private network. So a URL's host is resolved
and every address it resolves to must be public; numeric spellings (0x7f000001, 2130706433,
0177.0.0.1) resolve like any name, and IPv6 forms that carry an IPv4 address (::ffff:a.b.c.d, 6to4,
Teredo, NAT64) are judged by that address too.

The check runs when a subscription is made or changed (web.api.webhooks) and again on every delivery
(fs_bridge.outbox), and the delivery connects to the very address it checked (PinnedTransport): a
second DNS lookup between check and connect would let a name answer a public address to the check and
a private one to the connection (DNS rebinding).

`allow_private` (CALLPLAN_WEBHOOK_ALLOW_PRIVATE) lets an on-premises installation post to its own
network: loopback, private, unique-local and other non-public unicast addresses. Link-local
(metadata services), multicast, unspecified and reserved addresses stay refused even then.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Optional, Union
from urllib.parse import urlsplit

import httpx

from web import side_effects

Address = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")


class TargetRefused(httpx.TransportError):
    """The URL's host is not a place webhooks may go; `reason` is safe to show (no address in it)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _embedded(address: Address) -> list[Address]:
    """The address and every IPv4 address an IPv6 form carries (mapped, 6to4, Teredo, NAT64)."""
    if isinstance(address, ipaddress.IPv6Address):
        # a mapped or NAT64 address is its IPv4 address (the wrappers themselves sit in reserved space)
        if address.ipv4_mapped is not None:
            return [address.ipv4_mapped]
        if address in _NAT64:
            return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    found: list[Address] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.sixtofour is not None:
            found.append(address.sixtofour)
        if address.teredo is not None:
            found.extend(address.teredo)
    return found


def _kind(address: Address) -> tuple[Optional[str], bool]:
    """(why it is refused, whether allow_private lifts that) for one address; (None, False) if public."""
    if address.is_unspecified:
        return "unspecified", False
    if address.is_multicast:
        return "multicast", False
    if address.is_link_local:
        return "link-local", False
    if address.is_loopback:
        return "loopback", True
    if isinstance(address, ipaddress.IPv6Address) and (address in _UNIQUE_LOCAL or address.is_site_local):
        return "unique-local", True
    if address.is_reserved:
        return "reserved", False
    if address.is_private:
        return "private", True
    if not address.is_global:
        return "not public", True  # e.g. 100.64.0.0/10, the carriers' shared address space
    return None, False


def refusal(address: Address, allow_private: bool = False) -> Optional[str]:
    """Why a webhook may not connect to `address`, or None when it may."""
    for candidate in _embedded(address):
        reason, liftable = _kind(candidate)
        if reason is not None and not (liftable and allow_private):
            return reason
    return None


def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` stands for: itself when it is an address, else what the resolver answers
    (which is also how 0x7f000001 and 2130706433 become 127.0.0.1)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise TargetRefused("host not found") from None
    addresses: list[Address] = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise TargetRefused("host not found")
    return addresses


def checked_address(host: str, port: int, allow_private: bool = False) -> Address:
    """The address to connect to for `host`; TargetRefused if any address it resolves to is refused
    (a name with one public and one private address could be steered to the private one)."""
    addresses = resolve(host, port)
    for address in addresses:
        reason = refusal(address, allow_private)
        if reason is not None:
            raise TargetRefused(f"address not allowed ({reason})")
    return addresses[0]


def _port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def check_url(url: str, allow_private: bool = False) -> Optional[str]:
    """For a subscription being made: why its URL is refused, or None. A host that does not resolve
    (yet) is accepted: every delivery checks again, and refuses it while it does not resolve."""
    host, port = _port(url)
    try:
        checked_address(host, port, allow_private)
    except TargetRefused as refused:
        return None if refused.reason == "host not found" else refused.reason
    return None


class PinnedTransport(httpx.BaseTransport):
    """Checks the request's host and connects to the checked address, while the request still says
    the name it was made for: in Host (httpx set it from the URL) and in TLS's SNI and certificate
    check (httpcore's `sni_hostname`). No connection is kept for another request: each delivery
    resolves, checks and connects afresh."""

    def __init__(self, allow_private: bool = False):
        self.allow_private = allow_private
        self._inner = httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=0), retries=0)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        side_effects.happened("posted a webhook")
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        address = checked_address(host, port, self.allow_private)
        extensions = dict(request.extensions)
        if str(address) != host:
            extensions["sni_hostname"] = host
        request.url = request.url.copy_with(host=str(address))
        request.extensions = extensions
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def client(allow_private: bool = False, **options) -> httpx.Client:
    """An httpx client that only reaches checked addresses (and never a proxy from the environment)."""
    return httpx.Client(transport=PinnedTransport(allow_private), trust_env=False, **options)
