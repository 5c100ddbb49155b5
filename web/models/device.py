"""Devices (seed 001 6.5/6.6): a phone with its own SIP account, optionally linked to a user, provisioned
by its MAC address. The SIP password is kept sealed (web.secretbox), not hashed: FreeSWITCH's digest auth
and the phone's provisioning file need it back in clear. The registration fields are the bridge's."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field as PField, computed_field
from pydantic_core import PydanticCustomError
from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from web.models.base import Checked, TenantOwned, created_at_field
from web.models.fields import Name

Brand = Literal["yealink", "polycom", "snom", "grandstream", "cisco_spa", "panasonic", "generic"]

# The phones we know how to provision; the model must be one of its brand's (the provisioning templates
# are chosen by it later). Names as the vendors print them.
CATALOGUE: dict[str, tuple[str, ...]] = {
    "yealink": ("T31P", "T33G", "T43U", "T46U", "T54W", "W73P"),
    "polycom": ("VVX 250", "VVX 350", "VVX 450"),
    "snom": ("D715", "D735", "D785"),
    "grandstream": ("GXP2170", "GRP2614", "WP810"),
    "cisco_spa": ("SPA303", "SPA504G", "SPA525G2"),
    "panasonic": ("KX-TGP600", "KX-HDV130"),
    "generic": ("Generic SIP phone",),
}
BRAND_LABELS = {
    "yealink": "Yealink", "polycom": "Polycom", "snom": "Snom", "grandstream": "Grandstream",
    "cisco_spa": "Cisco SPA", "panasonic": "Panasonic", "generic": "Generic SIP",
}


def _squash(text: str) -> str:
    return re.sub(r"[\s_-]", "", text).casefold()


def catalogue_model(brand: str, model: str) -> str | None:
    """The catalogue's spelling of `model` for `brand` ("vvx250" -> "VVX 250"), or None if not listed."""
    wanted = _squash(model or "")
    return next((name for name in CATALOGUE.get(brand, ()) if _squash(name) == wanted), None)


# --- MAC addresses ------------------------------------------------------------------------------

_MAC = re.compile(
    r"^(?:[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}"  # 00:15:65:aa:bb:cc, 00-15-65-aa-bb-cc
    r"|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}"  # 0015.65aa.bbcc (Cisco)
    r"|[0-9a-f]{12})\Z",  # 001565aabbcc
    re.IGNORECASE,
)


def normalise_mac(value: str) -> str:
    """12 lowercase hex digits, from any common notation; a phone's own address only."""
    value = value.strip()
    if not _MAC.match(value):
        raise ValueError("must be a MAC address of 12 hex digits, such as 00:15:65:AA:BB:CC")
    digits = re.sub(r"[^0-9a-fA-F]", "", value).lower()
    # A group (multicast/broadcast) or all-zero address is never a phone's; provisioning by it would misfire.
    if int(digits[:2], 16) & 1 or digits == "0" * 12:
        raise ValueError("is not a phone's own (unicast) MAC address")
    return digits


def display_mac(mac: str | None) -> str | None:
    return ":".join(mac[i:i + 2] for i in range(0, 12, 2)).upper() if mac else None


MacAddress = Annotated[str, PField(max_length=20), AfterValidator(normalise_mac)]

# --- SIP credentials ------------------------------------------------------------------------------

_SIP_USERNAME = re.compile(r"^[a-z0-9_.-]{3,32}\Z")


def _sip_username(value: str) -> str:
    value = value.strip().lower()
    if not _SIP_USERNAME.match(value):
        raise ValueError("must be 3 to 32 characters: letters, digits, '_', '.' or '-'")
    return value


SipUsername = Annotated[str, PField(max_length=64), AfterValidator(_sip_username)]

# Specials a typed password may hold: none that needs escaping in FreeSWITCH's XML, in the phones'
# provisioning files (XML and key=value) or in a shell ($ would also meet FreeSWITCH's ${} expansion).
TYPED_SPECIALS = "!#()*+,-./:;=?@[]^_{|}~"
SIP_PASSWORD_MIN, SIP_PASSWORD_MAX = 6, 64  # seed 001's minimum; 64 fits every phone's field
_CLASSES = (
    ("an upper-case letter", str.isupper),
    ("a lower-case letter", str.islower),
    ("a digit", str.isdigit),
    ("a special character", lambda c: c in TYPED_SPECIALS),
)
RULE = (f"at least {SIP_PASSWORD_MIN} characters with an upper-case letter, a lower-case letter, a digit and "
        f"one of {TYPED_SPECIALS} (16 or more recommended; leave it out to get a generated one)")


def _sip_password(value: str) -> str:
    """Seed 001's rule for a typed SIP password; refusals name what is missing."""
    if not (value.isascii() and all(c.isalnum() or c in TYPED_SPECIALS for c in value)):
        raise PydanticCustomError("sip_password_characters", "may only hold letters, digits and {specials}",
                                  {"specials": TYPED_SPECIALS})
    if not SIP_PASSWORD_MIN <= len(value) <= SIP_PASSWORD_MAX:
        raise PydanticCustomError("sip_password_length", "must be {min} to {max} characters; {rule}",
                                  {"min": SIP_PASSWORD_MIN, "max": SIP_PASSWORD_MAX, "rule": RULE})
    missing = [name for name, test in _CLASSES if not any(test(c) for c in value)]
    if missing:
        raise PydanticCustomError("sip_password_weak", "lacks {missing}; needs {rule}",
                                  {"missing": ", ".join(missing), "rule": RULE})
    return value


SipPassword = Annotated[str, PField(max_length=1024), AfterValidator(_sip_password)]


DeviceName = Name

# --- the table and its shapes -------------------------------------------------------------------


class DeviceFields(SQLModel):
    name: DeviceName = Field(max_length=100)
    brand: Brand = Field(default="generic", sa_type=String(16))
    model: str = Field(default="Generic SIP phone", max_length=40)  # checked against CATALOGUE
    mac: Optional[MacAddress] = Field(default=None, sa_type=String(12))  # stored as 12 lowercase hex digits
    hot_desking: bool = False  # anyone may log in on it with the hot-desking feature code


class Device(DeviceFields, TenantOwned, table=True):
    __tablename__ = "device"
    __audit_redact__ = {"sip_password_sealed", "provisioning_password_sealed"}
    __table_args__ = (
        UniqueConstraint("tenant_id", "sip_username", name="uq_device_tenant_sip_username"),
        # one per company: a company must not learn that another has a phone with this address, so the
        # same MAC may be a device of two companies; provisioning tells them apart by the phone's
        # credentials (web/provisioning/routes.py)
        UniqueConstraint("tenant_id", "mac", name="uq_device_tenant_mac"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    sip_username: str = Field(max_length=32)
    sip_password_sealed: str = Field(max_length=500)
    provisioning_password_sealed: str = Field(max_length=500)  # the phone's config download (later issue)
    user_id: Optional[int] = Field(default=None, foreign_key="pbx_user.id", index=True, ondelete="SET NULL")
    # filled by the bridge from FreeSWITCH's registrations, never through the API
    registered: bool = False
    registration_contact: Optional[str] = Field(default=None, max_length=500)
    registration_user_agent: Optional[str] = Field(default=None, max_length=300)
    registration_expires_at: Optional[datetime] = None
    registration_source_ip: Optional[str] = Field(default=None, max_length=45)
    created_at: datetime = created_at_field()

    def references(self):
        if self.user_id is not None:
            yield "/user_id", "user", self.user_id


class DeviceCreate(DeviceFields):
    model_config = ConfigDict(extra="forbid")
    sip_username: Optional[SipUsername] = None  # None: a generated one
    sip_password: Optional[SipPassword] = None  # None: a generated one (recommended)
    user_id: Optional[int] = None


class DeviceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Optional[DeviceName] = None
    sip_username: Optional[SipUsername] = None
    sip_password: Optional[SipPassword] = None
    brand: Optional[Brand] = None
    model: Optional[str] = PField(default=None, max_length=40)
    mac: Optional[MacAddress] = None
    user_id: Optional[int] = None
    hot_desking: Optional[bool] = None


class DevicePublic(DeviceFields, Checked):
    """Never the SIP or provisioning password, nor their sealed forms."""

    id: int
    sip_username: str
    user_id: Optional[int]
    registered: bool
    registration_contact: Optional[str]
    registration_user_agent: Optional[str]
    registration_expires_at: Optional[datetime]
    registration_source_ip: Optional[str]
    created_at: datetime

    @computed_field
    @property
    def mac_display(self) -> Optional[str]:
        return display_mac(self.mac)


class DeviceWithSipPassword(DevicePublic):
    """The answer that shows a new SIP password, once: creating the device, or asking for a new one."""

    sip_password: str


class SipPasswordShown(BaseModel):
    sip_password: str


class RevealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Optional in the shape so a foreign device id answers 404 before a missing password answers 422.
    password: Optional[str] = PField(default=None, max_length=1024)  # the admin's own login password


class BrandModels(BaseModel):
    brand: Brand
    label: str
    models: list[str]
