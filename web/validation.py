"""Field types users type into, checked once here so every API shape shares the same rules."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Literal
from zoneinfo import available_timezones

import phonenumbers
from pydantic import AfterValidator, StringConstraints

LANGUAGES = ("en", "nl")
Language = Literal["en", "nl"]

EXTENSION = re.compile(r"^[0-9]{2,4}$")  # internal numbers
FEATURE_CODE = re.compile(r"^[*#][0-9*#]{1,5}$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_EMAIL = re.compile(r"^[^@\s<>\"'\\,;:()\[\]]+@[a-z0-9-]+(\.[a-z0-9-]+)+$")


def _sip_domain(value: str) -> str:
    value = value.strip().lower()
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise ValueError("must be a host name such as acme.pbx.example.com")
    return value


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _time_zone(value: str) -> str:
    if value not in _zones():
        raise ValueError("must be an IANA time zone such as Europe/Amsterdam")
    return value


def _e164(value: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValueError("must be a phone number in international form, such as +31201234567") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _email(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("must be an e-mail address such as name@example.com")
    return value


SipDomain = Annotated[str, AfterValidator(_sip_domain)]
TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
CompanyNumber = Annotated[str, AfterValidator(_e164)]
E164 = CompanyNumber
Email = Annotated[str, AfterValidator(_email)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
# Passwords: long rather than clever (NIST 800-63B); argon2 takes the rest.
Password = Annotated[str, StringConstraints(min_length=10, max_length=1024)]
