"""Calls out: which number a user shows, and which dialled numbers the company blocks (seed 001 6.3.3).

Pure rules. The caller ID is computed per user when the directory is rendered (so the dialplan only
reads ${cp_outbound_cid}); the blocking rules become dialplan conditions on the dialled number."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Dialled forms of a country's numbers: national ("0..."), international ("+CC..." or "00CC...").
COUNTRY_CODES = {"NL": "31", "BE": "32", "DE": "49", "FR": "33", "LU": "352", "GB": "44", "US": "1"}

# (category, country) -> national prefixes without the leading 0; checked in national and E.164 form.
PREFIXES = {
    ("mobile", "NL"): ["6"],
    ("mobile", "BE"): ["4"],
}
# Premium-rate ranges, each a switch of its own (company settings block_premium_<range>), per country:
# 0900, 0906 and 0909 in the Netherlands and Belgium, and Belgium's other 090x ranges together.
PREMIUM_RANGES = ("0900", "0906", "0909", "090x")
PREMIUM = {
    "NL": {"0900": ["900"], "0906": ["906"], "0909": ["909"]},
    "BE": {"0900": ["900"], "0906": ["906"], "0909": ["909"], "090x": [f"90{d}" for d in "1234578"]},
}
EMERGENCY = {"NL": ["112"], "BE": ["112", "100", "101"], "US": ["911"]}


# What calls out show when the company's stored number is not one it may show: no number at all,
# rather than refusing every call because of one old row.
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class CallerId:
    number: str | None  # None: the company has no number to show (outbound refused with a reason)
    withheld: bool


def may_show(objects, number: str | None) -> bool:
    """Is `number` one the company may present: one it holds, or one the operator verified for it?"""
    return bool(number) and (objects.caller_ids is None or number in objects.caller_ids)


def company_caller_id(objects) -> str | None:
    """The company number as calls out show it: ANONYMOUS when the stored one is not the company's to
    show, None when it has none."""
    number = objects.company_number
    if not number:
        return None
    return number if may_show(objects, number) else ANONYMOUS


def caller_id(user, objects) -> CallerId:
    """The number a user's outbound calls show: own, department's or the company's (seed 000, 001 6.4.1);
    a number the company may not show (an old row) gives way to the company number. A user left at the
    company's number follows the company's number display (seed 001 6.4.2): "personal" shows the user's
    own direct number, when the user has one."""
    mode = getattr(user, "caller_id_mode", "company")
    if mode == "company" and objects.company.number_display == "personal":
        mode = "own"
    number = company_caller_id(objects)
    if mode == "own" and may_show(objects, user.direct_number):
        number = user.direct_number
    elif mode == "department":
        department = objects.departments.get(user.department_id) if user.department_id is not None else None
        if department is not None and may_show(objects, department.caller_id_number):
            number = department.caller_id_number
    return CallerId(number=number, withheld=bool(user.withhold_caller_id))


def _forms(country: str, prefix: str) -> list[str]:
    code = COUNTRY_CODES.get(country)
    forms = [f"0{prefix}"]
    if code:
        forms += [f"\\+{code}{prefix}", f"00{code}{prefix}"]
    return forms


def premium_blocked(company) -> tuple[str, ...]:
    """The premium ranges the company blocks (its block_premium_<range> switches)."""
    return tuple(name for name in PREMIUM_RANGES if getattr(company, f"block_premium_{name}", company.block_premium))


def blocked_patterns(company, country: str) -> list[tuple[str, str]]:
    """(category, PCRE on the dialled number) for each blocking the company has switched on."""
    return _blocked_patterns(premium_blocked(company), bool(company.block_mobile), bool(company.block_international), country)


@lru_cache(maxsize=64)
def _blocked_patterns(premium: tuple[str, ...], block_mobile: bool, block_international: bool, country: str) -> list:
    from types import SimpleNamespace

    company = SimpleNamespace(block_mobile=block_mobile, block_international=block_international)
    rules = []
    if premium:
        ranges = PREMIUM.get(country, {})
        forms = [f for name in premium for prefix in ranges.get(name, []) for f in _forms(country, prefix)]
        if forms:
            rules.append(("premium", "^(" + "|".join(forms) + ")"))
    if company.block_mobile:
        forms = [f for prefix in PREFIXES.get(("mobile", country), []) for f in _forms(country, prefix)]
        if forms:
            rules.append(("mobile", "^(" + "|".join(forms) + ")"))
    if company.block_international:
        own = COUNTRY_CODES.get(country, "")
        rules.append(("international", f"^(\\+|00)(?!{own})" if own else "^(\\+|00)"))
    return rules


INTERNATIONAL = r"[1-9][0-9]{6,14}"  # a country code and a number: E.164 has at most 15 digits


@lru_cache(maxsize=64)
def dialable_pattern(country: str) -> str | None:
    """A PCRE that matches the whole of every number a phone may dial out in `country`: E.164 with "+",
    the country's international prefix and a number, the national prefix and a national number of the
    country's own plan (one of 3 to 6 digits also without it), its short numbers (emergency, 14xxx ...),
    from phonenumbers' metadata. Anything else (a short number like 203 that is no extension of the
    company) is no number at all, and ends in "number not in use" instead of at the carrier. None when
    phonenumbers does not know the country: then every number of 3 to 15 digits goes out, as before."""
    import phonenumbers
    from phonenumbers.phonemetadata import PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region(country)
    if metadata is None:
        return None
    forms = [r"\+" + INTERNATIONAL]
    prefix = metadata.international_prefix or "00"
    if re.fullmatch(r"[0-9]+", prefix):
        forms.append(prefix + INTERNATIONAL)
    national = metadata.general_desc.national_number_pattern if metadata.general_desc else None
    if national:
        trunk = metadata.national_prefix or ""
        # a prefix that is the country code itself (the NANP's 1) may be left out; 0 may not
        trunk = f"(?:{trunk})?" if trunk and trunk == str(phonenumbers.country_code_for_region(country)) else trunk
        forms.append(f"{trunk}(?:{national})")
        if trunk:
            # national numbers of a few digits are dialled as they are (the Dutch 14 + area code)
            forms.append(f"(?=[0-9]{{3,6}}$)(?:{national})")
    short = PhoneMetadata.short_metadata_for_region(country)
    if short is not None and short.short_code is not None and short.short_code.national_number_pattern:
        forms.append(f"(?:{short.short_code.national_number_pattern})")
    forms += [re.escape(number) for number in emergency_numbers(country)]
    return "^(?:" + "|".join(forms) + ")$"


def emergency_numbers(country: str) -> list[str]:
    return EMERGENCY.get(country, ["112"])


def blocked_category(number: str, company) -> str | None:
    """Which of the company's outbound blockings a dialled number falls under, if any."""
    for category, pattern in blocked_patterns(company, company.country):
        if _compiled(pattern).search(number):
            return category
    return None


@lru_cache(maxsize=64)
def _compiled(pattern: str):
    return re.compile(pattern)
