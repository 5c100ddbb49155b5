"""POST /freeswitch/xml: the one route mod_xml_curl calls.

Not an API route: no portal sessions, no CSRF, no JSON. It has its own HTTP basic credentials
(settings.xml_curl_user / xml_curl_password; none configured refuses everything) and a list of source
addresses (loopback unless configured). A caller from elsewhere gets 403, wrong or missing credentials
401, an address that failed them too often 429, with empty bodies. Every other answer is text/xml: the section's document, or "not found" (FreeSWITCH then uses its
static XML) for anything unknown, unsupported or failing. Never a 500: an error is logged and answered
"not found", because FreeSWITCH treats a failed fetch the same way but logs it less clearly.

mod_xml_curl opens a new connection per fetch and a dialplan fetch happens at every transfer, so the
common path is short: the few form fields it needs are found in the raw body without parsing the whole
channel (a dialplan request carries ~200 variables), and a cached document costs one indexed query,
made right on the event loop (~20 µs on SQLite; a hop to a worker thread would cost four times that).
Only building a document (compiling a tenant's plans, tens to hundreds of milliseconds) goes to a
worker thread.

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
SECTION = ("section",)
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
    section = SECTIONS.get(form_fields(body, SECTION).get("section", ""))
    if section is None:
        return NOT_FOUND
    return section.answer(engine, settings, form_fields(body, section.FIELDS)) or NOT_FOUND


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


async def xml_curl(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    refused = refusal(request, settings)
    if refused is not None:
        return refused
    started, built = time.perf_counter(), False
    try:
        body = await read_limited(request)
        if body is None:
            return Response(NOT_FOUND, media_type=MEDIA_TYPE)
        engine = request.app.state.engine
        try:
            with cache.no_build():
                document = answer(engine, settings, body)
        except cache.Miss:
            built = True
            document = await run_in_threadpool(answer, engine, settings, body)
        report_slow(settings, body, time.perf_counter() - started, built)
    except Exception:
        log.exception("xml_curl: answering not found after an error")
        document = NOT_FOUND
    return Response(document, media_type=MEDIA_TYPE)


class XmlCurlRoute(Route):
    # web.permissions: a permission no portal role holds; the route checks its own credentials
    permission = "freeswitch"

    def __init__(self):
        super().__init__(PATH, xml_curl, methods=["POST"], name="freeswitch_xml")


def routes() -> list[Route]:
    return [XmlCurlRoute()]
