"""Incoming call blocking (seed 001 5.2.4): callers from outside that the company, or one user, does not
take, and what such a caller hears.

An owner (the company, or a user) blocks anonymous callers, all callers, and specific numbers or prefixes,
each rule always or only while a time schedule is open; the company's phonebook marks single numbers
blocked too. A blocked caller gets busy (486), a message from the company's audio library, or a rejection
with a chosen cause. The dialplan says so in `cp_blocked` ("company" or "user"), which the call record
keeps (web.domain.call_records).

Rules are compiled into extensions of the tenant's context (callplan.base_dialplan): each matches the
dialled number, then `${cp_from_outside}` (set only by the public context, where carriers' calls arrive:
web.xml_curl.dialplan), then the caller. Only the last condition carries actions: FreeSWITCH keeps the
actions of the conditions that passed even when a later one fails, and the hunt goes on without them.
A schedule is decided when the context is built, in the company's time zone, and the context holds until
it next opens or closes (as time conditions do).

Callers arrive in whatever form the carrier writes: +31612345678, 0031612345678, 31612345678 or, from
the company's own country, 0612345678. A rule is one E.164 number or prefix (or a national one, read in
the company's country) and matches each of those forms."""

from __future__ import annotations

from typing import Optional

import phonenumbers

from callplan import schedules
from callplan.xml import regex_literal

# The causes an owner may reject with, and what the carrier then hears (SIP, as FreeSWITCH maps them).
CAUSES = {
    "CALL_REJECTED": 603,
    "USER_BUSY": 486,
    "UNALLOCATED_NUMBER": 404,
    "SUBSCRIBER_ABSENT": 480,
    "NUMBER_CHANGED": 410,
    "NORMAL_TEMPORARY_FAILURE": 503,
}
TREATMENTS = ("busy", "message", "reject")
DEFAULT_CAUSE = "CALL_REJECTED"

# An anonymous caller: one whose number is withheld (Privacy: id, or an RPID privacy: FreeSWITCH hides the
# number: the caller profile's privacy_hide_number), or who sends none or one of the words carriers
# write instead (FreeSWITCH makes an empty caller ID 0000000000).
ANONYMOUS_NUMBER = r"^(?i:anonymous|restricted|unknown|unavailable|private|withheld|0000000000)?$"
OUTSIDE = ("${cp_from_outside}", "^true$", [], [])


def _country_parts(country: str) -> tuple[str, str]:
    """(country calling code, national prefix) of the company's country; ("", "") when unknown."""
    code = phonenumbers.country_code_for_region(country or "")
    if not code:
        return "", ""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(country)
    return str(code), (metadata.national_prefix or "") if metadata else ""


def forms(value: str, country: str) -> list[str]:
    """The literal forms a caller number starting with (or equal to) `value` arrives in."""
    value = "".join(ch for ch in str(value) if ch.isdigit() or ch == "+")
    code, national = _country_parts(country)
    if value.startswith("+"):
        digits = value[1:]
    elif value.startswith("00"):
        digits = value[2:]
    elif national and value.startswith(national) and code:
        digits = code + value[len(national):]
    else:  # a short or local number: as it is
        return [value] if value else []
    found = ["+" + digits, "00" + digits, digits]
    if code and national and digits.startswith(code) and len(digits) > len(code):
        found.append(national + digits[len(code):])
    return found


def caller_pattern(numbers: list[tuple[str, bool]], country: str) -> Optional[str]:
    """One PCRE pattern matching a caller number equal to any (value, True) or starting with any
    (value, False) of `numbers`, in every form; None when there is nothing to match."""
    alternatives = []
    for value, whole in numbers:
        for form in forms(value, country):
            alternative = regex_literal(form) + ("$" if whole else "")
            if alternative not in alternatives:
                alternatives.append(alternative)
    return "^(?:" + "|".join(alternatives) + ")" if alternatives else None


def active(schedule_id: Optional[int], objects, at, compilation) -> bool:
    """A rule with a schedule holds while the schedule is open (a schedule that is gone: never)."""
    if schedule_id is None:
        return True
    weekly = objects.schedules.get(schedule_id)
    periods = weekly.periods if weekly is not None else []
    compilation.decision_holds_until(schedules.next_transition(periods, None, at, objects.timezone))
    return schedules.is_open(periods, None, at, objects.timezone)


def treatment(rules: dict, objects) -> list[tuple[str, str]]:
    """What a blocked caller hears, as actions: busy, the message (answered, played, hung up), or the
    cause. A message whose audio is gone rejects."""
    kind = rules.get("treatment") or "reject"
    if kind == "busy":
        return [("hangup", "USER_BUSY")]
    audio = rules.get("message_audio_id")
    if kind == "message" and audio is not None and audio in objects.audio:
        return [("answer", ""), ("playback", objects.audio_path(audio)), ("hangup", "NORMAL_CLEARING")]
    cause = rules.get("reject_cause")
    return [("hangup", cause if cause in CAUSES else DEFAULT_CAUSE)]


def screen(name: str, destination: str, who: str, rules: dict, objects, at, compilation,
           extra_numbers: tuple[str, ...] = ()) -> list[tuple[str, list]]:
    """The extensions that turn away the callers `rules` block, for calls from outside to `destination`
    (a pattern on destination_number). `who` ("company", "user") goes into cp_blocked. `extra_numbers`
    are blocked always (the phonebook's blocked contacts)."""
    rules = rules or {}
    actions = [("set", f"cp_blocked={who}"), *treatment(rules, objects)]
    country = objects.company.country
    found: list[tuple[str, list]] = []

    def add(suffix: str, field: str, expression: str) -> None:
        found.append((f"{name}_{suffix}", [("destination_number", destination, [], []), OUTSIDE,
                                            (field, expression, list(actions), [])]))

    if rules.get("all_callers") and active(rules.get("all_callers_schedule_id"), objects, at, compilation):
        add("all", "caller_id_number", "^")
        return found
    if rules.get("anonymous") and active(rules.get("anonymous_schedule_id"), objects, at, compilation):
        add("anonymous", "caller_id_number", ANONYMOUS_NUMBER)
        add("withheld", "privacy_hide_number", "^true$")
    numbers = [(number, True) for number in extra_numbers]
    for rule in rules.get("numbers") or []:
        if rule.get("number") and active(rule.get("schedule_id"), objects, at, compilation):
            numbers.append((rule["number"], rule.get("match") != "prefix"))
    pattern = caller_pattern(numbers, country)
    if pattern:
        add("numbers", "caller_id_number", pattern)
    return found
