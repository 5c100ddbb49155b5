"""Phone provisioning by MAC (seed 001 6.6.1): a phone fetches its configuration file over HTTP(S) and
signs in with its own provisioning credentials; the admin sees those credentials in the device view.

    GET /provision/<mac>.cfg            Yealink; for a Polycom the master file naming <mac>-callplan.cfg
    GET /provision/<mac>-callplan.cfg   Polycom's own settings
    GET /provision/<MAC>.xml            Snom
    GET /provision/cfg<mac>.xml         Grandstream
    GET /provision/<mac>                the generic profile, for every device (phones set up by hand)

HTTP basic auth: the username is the device's SIP username or its MAC (any notation without colons:
basic auth ends the username at the first one), the password its provisioning password. A request
without credentials gets 401 with a challenge (phones send them only when asked); every other refusal
(an unknown MAC, wrong credentials, another device's, a file not of this brand) is the app's ordinary
404, byte for byte, so nobody learns which MACs exist. The log says which it was; it never holds a password.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from typing import Optional
from urllib.parse import urlsplit

from pydantic import BaseModel
from sqlmodel import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from web import clock, i18n
from web.api.devices import audit_reveal, new_provisioning_password, reauthenticated
from web.api.problems import Problem, problem_response
from web.api.routing import api, client_ip
from web.auth.address_limiter import AddressLimiter
from web.db import session_scope
from web.models.device import Device, RevealRequest, display_mac, normalise_mac
from web.models.feature_code import DEFAULT_CODES, FeatureCode
from web.models.pbx_user import PbxUser
from web.models.tenant import Tenant
from web.provisioning.render import PhoneProfile, file_name, parse_file_name, render
from web.provisioning.timezones import zone_rule
from web.scoping import get_owned, scoped
from web.secretbox import open_sealed, seal

log = logging.getLogger("web.provisioning")

PATH = "/provision"
# Where phones send SIP. None: the host of settings.public_base_url (FreeSWITCH and the web app on one
# name); CALLPLAN_SIP_SERVER says otherwise when they live apart.
NTP_SERVER = "pool.ntp.org"
REALM = "provisioning"
# 30 requests a minute per source address, with a burst of as many: a phone needs 2 to 4 (challenge,
# file, Polycom's second file), so a site of ~10 phones booting together behind one NAT fits, while a
# password guesser gets 30 tries a minute at a 24-character random password.
RATE_PER_MINUTE = 30
BURST = 30
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """(username, password) from a Basic Authorization header; ("", "") if it is garbled; None if none
    was sent (or another scheme: then the challenge tells the phone which one we want)."""
    scheme, _, param = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(param.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    username, colon, password = decoded.partition(":")
    return (username, password) if colon else ("", "")


def _username_matches(device: Device, username: str) -> bool:
    username = username.strip()
    if username.lower() == device.sip_username:
        return True
    try:
        return device.mac is not None and normalise_mac(username) == device.mac
    except ValueError:
        return False


_NO_DEVICE = "\0" * 24  # compared against when the MAC is unknown, so that path does the same work


def _credentials_match(settings, device: Device | None, username: str, password: str) -> str:
    """"ok", or why not (for the log only)."""
    expected = _NO_DEVICE
    if device is not None and device.provisioning_password_sealed:
        try:
            expected = open_sealed(settings.secret_key, device.provisioning_password_sealed)
        except ValueError:
            log.error("provisioning password of device %s cannot be opened (secret key changed?)", device.id)
    same = hmac.compare_digest(password.encode("utf-8"), expected.encode("utf-8"))
    if device is None:
        return "unknown MAC"
    if expected is _NO_DEVICE:
        return "device without provisioning credentials"
    if not (same and _username_matches(device, username)):
        return "wrong credentials"
    return "ok"


def sip_server(settings) -> str:
    return settings.sip_server or urlsplit(settings.public_base_url).hostname or "127.0.0.1"


def _profile(db, settings, device: Device) -> PhoneProfile | None:
    tenant = db.get(Tenant, device.tenant_id)
    user = None
    if device.user_id is not None:
        user = db.exec(scoped(PbxUser, device.tenant_id).where(PbxUser.id == device.user_id)).first()
    code = db.exec(scoped(FeatureCode, device.tenant_id).where(FeatureCode.function == "voicemail")).first()
    # No row yet: the company never opened its feature codes and gets the default when it does.
    voicemail = DEFAULT_CODES["voicemail"] if code is None else (code.code if code.enabled else "")
    try:
        sip_password = open_sealed(settings.secret_key, device.sip_password_sealed)
    except ValueError:
        log.error("SIP password of device %s cannot be opened (secret key changed?)", device.id)
        return None
    display_name = f"{user.first_name} {user.last_name}".strip() if user else device.name
    return PhoneProfile(
        mac=device.mac, brand=device.brand, registrar=tenant.sip_domain, sip_server=sip_server(settings),
        sip_port=settings.sip_port, sip_username=device.sip_username, sip_password=sip_password,
        display_name=display_name or device.name, label=user.extension if user else device.name,
        voicemail=voicemail or "", timezone=tenant.timezone, zone=zone_rule(tenant.timezone, clock.now().year),
        language=(user.language if user else tenant.language), ntp_server=NTP_SERVER,
    )


def serve_file(engine, settings, name: str, username: str, password: str, source: str) -> tuple[str, bytes] | None:
    """(media type, file) for a phone that proved it is the device of this MAC, else None."""
    parsed = parse_file_name(name)
    if parsed is None:
        log.info("provisioning: %s asked for %r, a name we never serve", source, name[:80])
        return None
    mac, kinds = parsed
    with session_scope(engine) as db:
        # By MAC, across tenants on purpose: the phone does not know its tenant. Two companies may each
        # have a device with this MAC (neither learns of the other); the credentials are what tie the
        # request to one device, and every candidate is checked, so the work does not say which matched.
        candidates = db.exec(select(Device).where(Device.mac == mac).order_by(Device.id)).all() or [None]
        verdicts = [(_credentials_match(settings, candidate, username, password), candidate) for candidate in candidates]
        device = next((candidate for verdict, candidate in verdicts if verdict == "ok"), None)
        if device is None:
            log.warning("provisioning: refused %s for %s: %s", mac, source, ", ".join(verdict for verdict, _ in verdicts))
            return None
        kind = kinds.get(device.brand)
        if kind is None:
            log.info("provisioning: %s asked for %s, not a %s device's file", source, name[:80], device.brand)
            return None
        profile = _profile(db, settings, device)
        if profile is None:
            return None
        log.info("provisioning: served %s (%s) of device %s to %s", name, kind.name, device.id, source)
        return kind.media_type, render(kind, profile)


class ProvisioningRoute(Route):
    """Public in the permission table's sense (no portal login), guarded by the device's own credentials."""

    permission = "public"
    credentials = "device"  # tests/web/test_permissions.py: not a page, it answers 401 without them

    def __init__(self):
        self.limiter = AddressLimiter(RATE_PER_MINUTE, BURST)  # one per app: tests get a fresh one with each app
        super().__init__(PATH + "/{name}", self._endpoint, methods=["GET"], name="provision")

    async def _endpoint(self, request: Request) -> Response:
        settings = request.app.state.settings
        lang = i18n.negotiate(request.headers.get("accept-language"))
        source = client_ip(request, settings)
        wait = self.limiter.take(source)
        if wait:
            log.warning("provisioning: rate limit for %s", source)
            return problem_response(Problem(429, "rate_limited", headers={"Retry-After": str(wait)}, params={"seconds": wait}), lang)
        credentials = basic_credentials(request)
        if credentials is None:
            challenge = {"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'}
            return problem_response(Problem(401, "unauthenticated", headers=challenge), lang)
        found = await run_in_threadpool(
            serve_file, request.app.state.engine, settings, request.path_params["name"], *credentials, source
        )
        if found is None:
            return problem_response(Problem(404, "not_found"), lang)
        media_type, body = found
        return Response(body, media_type=media_type, headers=NO_STORE)


def file_routes() -> list[Route]:
    return [ProvisioningRoute()]


# --- the admin's view: what to enter in the phone ------------------------------------------------


class ProvisioningAddress(BaseModel):
    url: str  # the provisioning server to enter in the phone; it appends its own file name
    file_url: Optional[str]  # this device's first file (None until the device has a MAC)
    username: str
    mac: Optional[str]


class DeviceProvisioning(ProvisioningAddress):
    password: str


def directory_url(settings) -> str:
    return f"{settings.public_base_url}{PATH}/"


def _address(ctx, device: Device) -> ProvisioningAddress:
    base = directory_url(ctx.settings)
    return ProvisioningAddress(url=base, file_url=base + file_name(device.brand, device.mac) if device.mac else None,
                               username=device.sip_username, mac=display_mac(device.mac))


def _shown(ctx, device: Device, password: str) -> JSONResponse:
    shown = DeviceProvisioning(**_address(ctx, device).model_dump(), password=password)
    return JSONResponse(shown.model_dump(mode="json"), headers=NO_STORE)  # a secret: kept out of caches


def provisioning_address(ctx, id: int):
    """Where a phone fetches its configuration and the username it signs in with (seed 001 6.6.1); the
    password takes the admin's own password again (POST)."""
    return _address(ctx, get_owned(ctx.db, Device, ctx.tenant_id, id))


def device_provisioning(ctx, body: RevealRequest, id: int):
    """The provisioning address with its password, after confirming the admin's own password: the file
    it opens holds the SIP password in clear, so it is guarded like revealing that; audited."""
    device = get_owned(ctx.db, Device, ctx.tenant_id, id)
    refused = reauthenticated(ctx, device, body.password, "device.reveal_provisioning_password")
    if refused is not None:
        return refused
    try:
        password = open_sealed(ctx.settings.secret_key, device.provisioning_password_sealed)
    except ValueError:
        raise Problem(409, "provisioning_password_unreadable")
    # A read changes no row, so the flush listener would not log it: the reveal is written here.
    audit_reveal(ctx, device, "device.reveal_provisioning_password")
    return _shown(ctx, device, password)


def renew_provisioning_password(ctx, body: RevealRequest, id: int):
    """Give a device a new generated provisioning password (a leaked one, an unreadable one); the phone
    needs it entered too. Shown once, after confirming the admin's own password (it opens the file with
    the SIP password). The change is audited as a device update, the password redacted."""
    device = get_owned(ctx.db, Device, ctx.tenant_id, id)
    refused = reauthenticated(ctx, device, body.password, "device.renew_provisioning_password")
    if refused is not None:
        return refused
    password = new_provisioning_password()
    device.provisioning_password_sealed = seal(ctx.settings.secret_key, password)
    ctx.db.add(device)
    ctx.db.flush()
    return _shown(ctx, device, password)


class RegistrationSettings(BaseModel):
    """What a person types into a phone or softphone set up by hand (seed 001 6.6.2, 6.6.3)."""

    domain: str  # the company's SIP domain: the registrar / realm, and the part after @ of the username
    server: str  # where the SIP packets go (outbound proxy), when it is not the domain itself
    port: int
    transports: list[str]  # FreeSWITCH's internal profile listens on both
    provisioning_url: str  # for phones that fetch their file (with a device's own username and password)


def registration_settings(ctx):
    """The company's SIP domain, the server and port phones register at, and the provisioning address."""
    tenant = ctx.db.get(Tenant, ctx.tenant_id)
    return RegistrationSettings(domain=tenant.sip_domain, server=sip_server(ctx.settings), port=ctx.settings.sip_port,
                                transports=["udp", "tcp"], provisioning_url=directory_url(ctx.settings))


_item = "/api/devices/{id:int}"
api_routes = [
    api("GET", "/api/devices/sip-settings", registration_settings, permission="pbx.manage", response=RegistrationSettings),
    api("GET", f"{_item}/provisioning", provisioning_address, permission="pbx.manage",
        response=ProvisioningAddress, model=Device),
    api("POST", f"{_item}/provisioning", device_provisioning, permission="secrets.reveal", body=RevealRequest,
        response=DeviceProvisioning, model=Device),
    api("POST", f"{_item}/new-provisioning-password", renew_provisioning_password, permission="secrets.reveal",
        body=RevealRequest, response=DeviceProvisioning, model=Device),
]
