"""Field types users type into, checked once here so every API shape shares the same rules."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Annotated, Literal
from zoneinfo import available_timezones

import phonenumbers
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from callplan.text import email_address, plain_block, plain_text

LANGUAGES = ("en", "nl")
Language = Literal["en", "nl"]

# Python patterns end in \Z, never $: Python's $ also matches before a final "\n", so "235\n" would pass
# ^[0-9]{2,4}$ (and then break every lookup that expects exactly the digits). `pattern=` constraints of
# pydantic fields are another engine: pydantic-core's Rust regex reads $ as the very end, as ECMAScript
# does in the browser that gets them through JSON Schema, so those keep ^...$ (and \Z would be an error
# in both). tests/test_patterns.py holds every pattern of the project to this.
EXTENSION = re.compile(r"^[0-9]{2,4}\Z")  # internal numbers
FEATURE_CODE = re.compile(r"^[*#][0-9*#]{1,5}\Z")
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)\Z")


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


SipDomain = Annotated[str, AfterValidator(_sip_domain)]
TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
CompanyNumber = Annotated[str, AfterValidator(_e164)]
E164 = CompanyNumber
Email = Annotated[str, AfterValidator(email_address)]
# Text that reaches a phone's screen, a caller-ID name, FreeSWITCH's XML or a mail: no control character
# (CR, LF, NUL, the bidi overrides, U+2028/9 ...: callplan.text, the one definition).
DisplayText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), AfterValidator(plain_text)]
PersonName = DisplayText
CompanyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(plain_text)]
# several lines (a contact's note): line feeds and tabs may stay, no other control character
Note = Annotated[str, StringConstraints(max_length=500), AfterValidator(plain_block), Field(json_schema_extra={"x-multiline": True})]
# Moments the app reasons about (simulations, filters, schedule checks): far from the ends of datetime's
# range and the databases', where converting between zones or adding a day overflows.
YEARS = range(1970, 2200)


def _instant(value: datetime) -> datetime:
    if value.year not in YEARS:
        raise ValueError(f"must be a moment from {YEARS[0]} to {YEARS[-1]}")
    try:
        value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"must be a moment from {YEARS[0]} to {YEARS[-1]}") from None
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_instant)]
# Passwords: long rather than clever (NIST 800-63B); argon2 takes the rest.
Password = Annotated[str, StringConstraints(min_length=10, max_length=1024)]
