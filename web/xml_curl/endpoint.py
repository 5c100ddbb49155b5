"""POST /freeswitch/xml: the one route mod_xml_curl calls.

Not an API route: no portal sessions, no CSRF, no JSON. It has its own HTTP basic credentials
(settings.xml_curl_user / xml_curl_password; none configured refuses everything) and a list of source
addresses (loopback unless configured). A caller from elsewhere gets 403, wrong or missing credentials
401, an address that failed them too often 429, with empty bodies. Every other answer is text/xml: the section's document, or "not found" (FreeSWITCH then uses its
static XML) for anything unknown, unsupported or failing. Never a 500: an error is logged and answered
"not found", because FreeSWITCH treats a failed fetch the same way but logs it less clearly.

mod_xml_curl opens a new connection per fetch and a dialplan fetch happens at every transfer, so the
common path is short: FreeSWITCH's plain request is answered before Starlette's middleware and routing
(`fast`, called by web.app.App; everything else, refusals included, takes the route below), only the
form fields the answer reads are found in the raw body, each when first read (`Form`: a dialplan
request carries ~200 variables), and a cached document costs one indexed query, made right on the
event loop (a few µs on SQLite; a hop to a worker thread would cost far more). Only building a document
(compiling a tenant's plans, tens to hundreds of milliseconds) goes to a worker thread.

FreeSWITCH waits CALLPLAN_XML_CURL_TIMEOUT seconds for an answer and then routes the call by its static
files (fallback routing). An answer that took half of that or more is logged as a warning, naming the
section, what was asked and whether a document had to be built; one that took longer than the timeout
was not used, and is logged as an error."""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import logging
import time
from functools import lru_cache

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from urllib.parse import unquote_plus

from callplan.xml import not_found
from web.api.routing import client_ip
from web.auth.address_limiter import AddressLimiter
from web.settings import Settings
from web.xml_curl import cache, configuration, dialplan, directory

log = logging.getLogger("web.xml_curl")

PATH = "/freeswitch/xml"
MAX_BODY_BYTES = 1_000_000  # a dialplan request is ~7 kB; anything near this is not FreeSWITCH
NOT_FOUND = not_found().encode()
MEDIA_TYPE = "text/xml"
SECTIONS = {"dialplan": dialplan, "directory": directory, "configuration": configuration}
# Wrong credentials per source address: ten at once, then one every six seconds. FreeSWITCH itself never
# fails them (a misconfigured one fails every fetch anyway), so only a guesser is slowed.
FAILURES_PER_MINUTE = 10
FAILURES_BURST = 10


# --- who may ask --------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(addresses: tuple[str, ...]) -> tuple:
    networks = []
    for address in addresses:
        try:
            networks.append(ipaddress.ip_network(address, strict=False))
        except ValueError:
            log.error("xml_curl_allowed_addresses: %r is not an address or network; ignored", address)
    return tuple(networks)


def address_allowed(address: str, settings: Settings) -> bool:
    """Whether FreeSWITCH may call from `address`: one of settings.xml_curl_allowed_addresses
    (loopback unless CALLPLAN_XML_CURL_ALLOWED_ADDRESSES says otherwise)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # a dual-stack listener's view of an IPv4 caller
    return any(ip in network for network in _networks(settings.xml_curl_allowed_addresses))


@lru_cache(maxsize=8)
def _expected_header(user: str, password: str) -> bytes:
    return b"Basic " + base64.b64encode(f"{user}:{password}".encode())


def credentials_ok(header: str, settings: Settings) -> bool:
    """HTTP basic against the configured pair, compared in constant time; no password, no entry."""
    if not settings.xml_curl_password:
        return False
    # curl's own header, as FreeSWITCH sends it at every fetch: one comparison, no decoding
    if hmac.compare_digest(header.encode(), _expected_header(settings.xml_curl_user, settings.xml_curl_password)):
        return True
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, colon, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user_ok = hmac.compare_digest(user.encode(), settings.xml_curl_user.encode())
    password_ok = hmac.compare_digest(password.encode(), settings.xml_curl_password.encode())
    return bool(colon) and user_ok and password_ok


def failures(app) -> AddressLimiter:
    """Failed credentials per source address, one limiter per app (both routes share it)."""
    limiter = getattr(app.state, "xml_curl_failures", None)
    if limiter is None:
        limiter = app.state.xml_curl_failures = AddressLimiter(FAILURES_PER_MINUTE, FAILURES_BURST)
    return limiter


def refusal(request: Request, settings: Settings) -> Response | None:
    """Why FreeSWITCH's request is not answered (empty bodies), or None. An address that has failed the
    credentials FAILURES_BURST times is refused (429) before they are looked at, until its budget refills
    (FAILURES_PER_MINUTE): guessing the password is slowed to a crawl."""
    address = client_ip(request, settings)
    if not address_allowed(address, settings):
        return Response(status_code=403, media_type=MEDIA_TYPE)
    limiter = failures(request.app)
    wait = limiter.wait(address)
    if wait:
        return Response(status_code=429, media_type=MEDIA_TYPE, headers={"Retry-After": str(wait)})
    if not credentials_ok(request.headers.get("authorization", ""), settings):
        limiter.take(address)
        log.warning("xml_curl: wrong credentials from %s (%s)", address, request.url.path)
        return Response(status_code=401, media_type=MEDIA_TYPE,
                        headers={"WWW-Authenticate": 'Basic realm="freeswitch", charset="UTF-8"'})
    return None


# --- the form -----------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _markers(names: tuple[str, ...]) -> tuple[tuple[str, bytes], ...]:
    return tuple((name, b"&" + name.encode() + b"=") for name in names)


def form_fields(body: bytes, names: tuple[str, ...]) -> dict[str, str]:
    """The named fields of an application/x-www-form-urlencoded body (first occurrence of each).
    Field names FreeSWITCH sends are plain ASCII that URL-encoding leaves alone, and values never hold
    a raw "&", so "&name=" finds a field exactly."""
    body = b"&" + body
    found = {}
    for name, marker in _markers(names):
        start = body.find(marker)
        if start < 0:
            continue
        start += len(marker)
        end = body.find(b"&", start)
        value = (body[start:] if end < 0 else body[start:end]).decode("utf-8", "replace")
        found[name] = unquote_plus(value) if ("%" in value or "+" in value) else value
    return found


_MARKERS: dict[str, tuple[bytes, bytes, int]] = {}  # name -> (b"&name=", b"name=", length)
_ABSENT = object()


class Form:
    """The fields of a form body, each found when a section first asks for it (`get`, as a dict's):
    the first occurrence, as form_fields finds it. A dialplan request is ~7 kB and each field found is
    a scan of it, so only what the answer reads is looked for (Caller-Context only when Hunt-Context is
    empty, sip_auth_realm only for sip_auth, ...)."""

    __slots__ = ("body", "found")

    def __init__(self, body: bytes):
        self.body = body
        self.found: dict[str, str | None] = {}

    def get(self, name: str, default=None):
        found = self.found
        if name in found:
            value = found[name]
            return default if value is None else value
        markers = _MARKERS.get(name)
        if markers is None:
            marker = b"&" + name.encode() + b"="
            markers = _MARKERS[name] = (marker, marker[1:], len(marker))
        marker, first, size = markers
        body = self.body
        if body.startswith(first):  # the first field (no "&" before it)
            start = size - 1
        else:
            start = body.find(marker)
            if start < 0:
                found[name] = None
                return default
            start += size
        end = body.find(b"&", start)
        raw = body[start:end] if end >= 0 else body[start:]
        try:
            value = raw.decode()
        except UnicodeDecodeError:
            value = raw.decode("utf-8", "replace")
        if "%" in value or "+" in value:
            value = unquote_plus(value)
        found[name] = value
        return value


async def read_limited(request: Request, limit: int = MAX_BODY_BYTES) -> bytes | None:
    """The request body, or None when it is (or says it will be) longer than `limit` bytes: read while
    streaming, so an endless body costs no more than the limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


# --- the route ----------------------------------------------------------------------------------------


def answer(engine, settings: Settings, body: bytes) -> str | bytes:
    """The document for one request body (blocking: database and, on a cache miss, compiling)."""
    form = Form(body)
    section = SECTIONS.get(form.get("section", ""))
    if section is None:
        return NOT_FOUND
    return section.answer(engine, settings, form) or NOT_FOUND


SLOW_SHARE = 0.5  # of FreeSWITCH's timeout: an answer slower than this is logged
WHAT = ("section", "Hunt-Context", "Hunt-Destination-Number", "domain", "user", "action", "key_value")


def report_slow(settings: Settings, body: bytes, seconds: float, built: bool) -> None:
    """Warn when an answer came near FreeSWITCH's timeout (see the module's docstring)."""
    timeout = settings.xml_curl_timeout_s
    if seconds < SLOW_SHARE * timeout:
        return
    asked = ", ".join(f"{name}={value}" for name, value in form_fields(body, WHAT).items() if value)
    work = "building the document" if built else "answering from the cache"
    if seconds >= timeout:
        log.error("xml_curl: %s took %.2f s, past FreeSWITCH's %s s timeout: it used its static files (fallback "
                  "routing) instead (%s)", work, seconds, timeout, asked)
    else:
        log.warning("xml_curl: %s took %.2f s, near FreeSWITCH's %s s timeout, after which calls take the "
                    "fallback routing (%s)", work, seconds, timeout, asked)


async def respond(engine, settings: Settings, body: bytes) -> bytes:
    """The answer to one accepted request's body: never raises (an error is logged and answered "not found")."""
    started, built = time.perf_counter(), False
    try:
        local = cache._local
        try:
            local.no_build = True  # cache.no_build(), without a generator's cost at every fetch
            try:
                document = answer(engine, settings, body)
            finally:
                local.no_build = False
        except cache.Miss:
            built = True
            document = await run_in_threadpool(answer, engine, settings, body)
        seconds = time.perf_counter() - started
        if seconds >= SLOW_SHARE * settings.xml_curl_timeout_s:
            report_slow(settings, body, seconds, built)
    except Exception:
        log.exception("xml_curl: answering not found after an error")
        document = NOT_FOUND
    return document if isinstance(document, bytes) else document.encode()


async def xml_curl(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    refused = refusal(request, settings)
    if refused is not None:
        return refused
    try:
        body = await read_limited(request)
    except Exception:
        log.exception("xml_curl: answering not found after an error")
        body = None
    if body is None:
        return Response(NOT_FOUND, media_type=MEDIA_TYPE)
    return Response(await respond(request.app.state.engine, settings, body), media_type=MEDIA_TYPE)


# --- before Starlette ---------------------------------------------------------------------------------
# FreeSWITCH's every fetch, answered before Starlette's middleware, routing, Request and Response
# (web.app.App): those cost a cached answer more than finding it does (bench/xml_curl.py). Only a
# request that is plainly FreeSWITCH's is answered here: POST to PATH from an allowed address that
# has not failed its credentials lately, with exactly the configured basic credentials and a body
# within MAX_BODY_BYTES. Anything else, refusals included, goes the Starlette way above, so what is
# refused and how stays in one place.

RESPONSE_TYPE = (b"content-type", b"text/xml; charset=utf-8")  # as Starlette's Response sends MEDIA_TYPE


class Gate:
    """What the fast path needs of one Settings (the app's settings may be replaced: tests do)."""

    __slots__ = ("settings", "expected", "peers", "limiter")

    def __init__(self, settings: Settings, limiter: AddressLimiter):
        self.settings, self.limiter = settings, limiter
        self.expected = _expected_header(settings.xml_curl_user, settings.xml_curl_password) \
            if settings.xml_curl_password else None
        self.peers: dict[str, bool] = {}  # source address -> answered here (allowed, not a proxy)

    def peer_ok(self, peer: str) -> bool:
        ok = self.peers.get(peer)
        if ok is None:
            # a trusted proxy's requests name their client in X-Forwarded-For: the Starlette way reads it
            ok = peer not in self.settings.trusted_proxies and address_allowed(peer, self.settings)
            if len(self.peers) >= 256:
                self.peers.clear()
            self.peers[peer] = ok
        return ok


async def fast(app, scope, receive, send) -> bool:
    """Answer FreeSWITCH's plain request to PATH (`scope["path"]` already is) and say True, or touch
    nothing and say False (the Starlette route answers it)."""
    if scope["method"] != "POST" or scope.get("root_path"):
        return False
    state = app.state._state  # (Starlette's State keeps its attributes in this dict)
    settings = state["settings"]
    gate = state.get("xml_curl_gate")
    if gate is None or gate.settings is not settings:
        gate = state["xml_curl_gate"] = Gate(settings, failures(app))
    client = scope.get("client")
    peer = client[0] if client else ""
    if gate.expected is None or not gate.peer_ok(peer):
        return False
    limiter = gate.limiter
    if peer in limiter.buckets and limiter.wait(peer):
        return False
    authorization = length = None
    for name, value in scope["headers"]:  # the first of each, as Starlette's headers.get
        if name == b"authorization":
            if authorization is None:
                authorization = value
        elif name == b"content-length" and length is None:
            length = value
    if authorization is None or not hmac.compare_digest(authorization, gate.expected):
        return False
    if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
        return False
    chunks, size, body = [], 0, b""
    while True:
        message = await receive()
        if message["type"] != "http.request":  # gone before its body was in
            body = None
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            body = None
            break
        chunks.append(chunk)
        if not message.get("more_body", False):
            body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            break
    document = NOT_FOUND if body is None else await respond(state["engine"], settings, body)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(document)).encode()), RESPONSE_TYPE]})
    await send({"type": "http.response.body", "body": document})
    return True


class XmlCurlRoute(Route):
    # web.permissions: a permission no portal role holds; the route checks its own credentials
    permission = "freeswitch"

    def __init__(self):
        super().__init__(PATH, xml_curl, methods=["POST"], name="freeswitch_xml")


def routes() -> list[Route]:
    return [XmlCurlRoute()]
