"""Devices: phones with their own SIP account (seed 001 6.5/6.6).

The SIP password is a secret shown once: in the answer that creates it (POST /api/devices, POST
.../new-sip-password) and afterwards only through the audited reveal, which asks for the admin's own
password again. Every other answer leaves it out. A password typed in a PATCH is NOT answered back: the
admin has just typed it, so repeating it would only put it in one more log or browser cache.
"""

from __future__ import annotations

import secrets
import string
from typing import Optional


from web import clock
from web.domain import references
from web.api.problems import Problem, field_problem, problem_response
from web.api.resources import Resource
from web.api.routing import api
from web.auth.reauth import confirm_password
from web.models.audit import AuditEntry
from web.models.device import (
    BRAND_LABELS, CATALOGUE, BrandModels, Device, DeviceCreate, DevicePublic, DeviceUpdate,
    DeviceWithSipPassword, RevealRequest, SipPasswordShown, catalogue_model,
)
from web.models.pbx_user import PbxUser
from web.scoping import scoped
from web.secretbox import open_sealed, seal

SIP_PASSWORD_LENGTH = 24
# Letters, digits and specials that need no escaping in FreeSWITCH XML, provisioning files or URLs.
GENERATED_SPECIALS = "-_.!*~"
PROVISIONING_PASSWORD_LENGTH = 24  # letters and digits only: some phones put it in the config URL
USERNAME_LENGTH = 10


def new_sip_password() -> str:
    """24 random characters with every class seed 001 asks of a typed one (about 145 bits)."""
    alphabet = string.ascii_letters + string.digits + GENERATED_SPECIALS
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(SIP_PASSWORD_LENGTH))
        if (any(c.islower() for c in password) and any(c.isupper() for c in password)
                and any(c.isdigit() for c in password) and any(c in GENERATED_SPECIALS for c in password)):
            return password


def new_provisioning_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(PROVISIONING_PASSWORD_LENGTH))


def _username_taken(ctx, username: str, device_id: int | None) -> bool:
    query = scoped(Device, ctx.tenant_id).where(Device.sip_username == username)
    if device_id is not None:
        query = query.where(Device.id != device_id)
    return ctx.db.exec(query).first() is not None


def _free_username(ctx) -> str:
    # The tenant is already in the SIP domain (username@acme.pbx...), so the name itself is just random.
    alphabet = string.ascii_lowercase + string.digits
    while True:
        username = "".join(secrets.choice(alphabet) for _ in range(USERNAME_LENGTH))
        if not _username_taken(ctx, username, None):
            return username


def _validate(ctx, device: Device) -> None:
    # Checked here and not only through references.require_all: that skips kinds nobody registered yet.
    if device.user_id is not None:
        user = ctx.db.exec(scoped(PbxUser, ctx.tenant_id).where(PbxUser.id == device.user_id)).first()
        if user is None:
            raise field_problem(422, "unknown_reference", "/user_id", f"no user with id {device.user_id} in this company")
    model = catalogue_model(device.brand, device.model)
    if model is None:
        raise field_problem(422, "invalid", "/model",
                            f"is not a {BRAND_LABELS[device.brand]} model we provision; one of: {', '.join(CATALOGUE[device.brand])}")
    device.model = model
    if _username_taken(ctx, device.sip_username, device.id):
        raise field_problem(409, "sip_username_taken", "/sip_username", "another device of this company has this SIP username")
    if device.mac is not None:
        # Within the company only: whether another company has a phone with this address is not this
        # company's to learn (provisioning tells such phones apart by their credentials).
        query = scoped(Device, ctx.tenant_id).where(Device.mac == device.mac)
        if device.id is not None:
            query = query.where(Device.id != device.id)
        if ctx.db.exec(query).first() is not None:
            raise field_problem(409, "mac_taken", "/mac", "another device of this company has this MAC address")


def _set_sip_password(ctx, device: Device, values: dict) -> None:
    """PATCH's `sip_password` (typed, already checked against seed 001's rule): sealed, never answered."""
    if "sip_password" not in values:
        return
    if values["sip_password"] is None:
        raise Problem(422, "invalid", errors=[{"pointer": "/sip_password", "code": "null_not_allowed",
                                               "message": "may not be empty; POST .../new-sip-password makes a new one"}])
    device.sip_password_sealed = seal(ctx.settings.secret_key, values["sip_password"])
    ctx.db.add(device)
    ctx.db.flush()


resource = Resource(
    kind="device", path="/api/devices", table=Device, create_model=DeviceCreate, update_model=DeviceUpdate,
    public_model=DevicePublic, order_by="name", validate=_validate,
    extra_fields=("sip_password",), apply_extra=_set_sip_password,
)
references.register_referrer(Device)


def _with_password(device: Device, password: str) -> DeviceWithSipPassword:
    fields = {name: getattr(device, name) for name in DevicePublic.model_fields if hasattr(device, name)}
    return DeviceWithSipPassword(**fields, sip_password=password)


def create_device(ctx, body: DeviceCreate):
    """Add a device; the answer shows its SIP password, this once."""
    password = body.sip_password or new_sip_password()
    data = body.model_dump(mode="json", exclude={"sip_password", "sip_username"})
    device = Device(
        **data, tenant_id=ctx.tenant_id, sip_username=body.sip_username or _free_username(ctx),
        sip_password_sealed=seal(ctx.settings.secret_key, password),
        provisioning_password_sealed=seal(ctx.settings.secret_key, new_provisioning_password()),
    )
    references.require_all(ctx.db, ctx.tenant_id, device)
    _validate(ctx, device)
    ctx.db.add(device)
    ctx.db.flush()
    return _with_password(device, password)


def update_device(ctx, body: DeviceUpdate, id: int):
    """Change a device; only the fields sent change. A typed sip_password is not answered back."""
    return resource.update_row(ctx, body, id)


def audit_reveal(ctx, device: Device, action: str) -> None:
    # Reading changes no row, so the flush listener would not see it: the entry is written here.
    actor = ctx.actor()
    ctx.db.add(AuditEntry(
        tenant_id=ctx.tenant_id, at=clock.now(), actor_account_id=actor.account_id, actor_email=actor.email,
        source_ip=actor.source_ip, action=action, object_type="device", object_id=str(device.id),
        summary={"name": device.name, "sip_username": device.sip_username},
    ))


def reauthenticated(ctx, device: Device, password: Optional[str], action: str):
    """None when `password` is the caller's own (re-authentication before a device's secret is shown or
    replaced); else the refusal to answer, with `action`_refused in the audit log. Answered, not raised:
    the transaction must commit the refusal (audit) and the counted guess."""
    if not password:
        raise Problem(422, "invalid", errors=[{"pointer": "/password", "code": "missing",
                                               "message": "enter your own password to reveal this secret"}])
    if confirm_password(ctx, password):
        return None
    audit_reveal(ctx, device, f"{action}_refused")
    return problem_response(field_problem(422, "wrong_password", "/password", "is not your password"), ctx.lang)


def reveal_sip_password(ctx, body: RevealRequest, id: int):
    """Show a device's SIP password after confirming the admin's own password; audited."""
    device = resource.get(ctx, id)
    refused = reauthenticated(ctx, device, body.password, "device.reveal_sip_password")
    if refused is not None:
        return refused
    try:
        password = open_sealed(ctx.settings.secret_key, device.sip_password_sealed)
    except ValueError:
        raise Problem(409, "sip_password_unreadable")
    audit_reveal(ctx, device, "device.reveal_sip_password")
    return SipPasswordShown(sip_password=password)


def renew_sip_password(ctx, id: int):
    """Give a device a new generated SIP password; the answer shows it, this once."""
    device = resource.get(ctx, id)
    password = new_sip_password()
    device.sip_password_sealed = seal(ctx.settings.secret_key, password)  # audited, redacted
    ctx.db.add(device)
    ctx.db.flush()
    return _with_password(device, password)


def device_catalogue(ctx):
    """The brands and models a device can be."""
    return [BrandModels(brand=brand, label=BRAND_LABELS[brand], models=list(models)) for brand, models in CATALOGUE.items()]


_item = "/api/devices/{id:int}"
routes = [route for route in resource.routes() if route.method not in ("POST", "PATCH")] + [
    api("GET", "/api/devices/catalogue", device_catalogue, permission="pbx.manage", response=list[BrandModels]),
    api("POST", "/api/devices", create_device, permission="pbx.manage", body=DeviceCreate,
        response=DeviceWithSipPassword, status=201),
    api("PATCH", _item, update_device, permission="pbx.manage", body=DeviceUpdate, response=DevicePublic, model=Device),
    api("POST", f"{_item}/reveal-sip-password", reveal_sip_password, permission="secrets.reveal", body=RevealRequest,
        response=SipPasswordShown, model=Device),
    api("POST", f"{_item}/new-sip-password", renew_sip_password, permission="pbx.manage",
        response=DeviceWithSipPassword, model=Device),
]
