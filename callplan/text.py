"""Rules for text people type that reaches phones, FreeSWITCH's XML and mail: one definition of each,
pure, used by the call-plan models, the XML builder and the web's field types (web/validation.py)."""

from __future__ import annotations

import re

# Characters no line of text may hold: C0 and C1 controls and DEL (CR, LF, NUL, ESC ...), lone
# surrogates (unencodable: the database refuses them), the line and paragraph separators U+2028/9, and
# the bidi overrides and isolates U+202A-E, U+2066-9, which make a name display as something else
# ("Trojan source"). As a regex character class, so checking and dropping them costs one scan; a test
# compares it with the Unicode categories it stands for (Cc, Cs, Zl, Zp and those nine).
CONTROL_CLASS = "\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_CONTROL = re.compile(f"[{CONTROL_CLASS}]")
CONTROL_MESSAGE = "may not contain control characters"


def _refuse(value: str, allow: str) -> str:
    found = _CONTROL.search(value)
    while found is not None:
        if found.group() not in allow:
            raise ValueError(CONTROL_MESSAGE)
        found = _CONTROL.search(value, found.end())
    return value


def plain_text(value: str) -> str:
    """A line of text (a name, a label, what a phone shows): `value` unchanged, or ValueError when it holds
    any control character."""
    return _refuse(value, "")


def plain_block(value: str) -> str:
    """Text of several lines (a note): as plain_text, but line feeds and tabs may stay."""
    return _refuse(value, "\n\t")


def without_controls(value: str) -> str:
    return _CONTROL.sub("", value)


# An address a mail relay takes as it is: no quoting, no comments, no spaces, a lower-case host name.
_EMAIL = re.compile(r"^[^@\s<>\"'\\,;:()\[\]]+@[a-z0-9-]+(\.[a-z0-9-]+)+\Z")


def email_address(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value) or _CONTROL.search(value):
        raise ValueError("must be an e-mail address such as name@example.com")
    return value


def fit(value: str, limit: int) -> str:
    """`value` cut to at most `limit` characters for a field it is derived into (a personal box named
    after its user's first and last names, 100 characters each): the cut ends in "…"."""
    value = value.strip()
    if len(value) <= limit:
        return value
    return value[:limit - 1].rstrip() + "…"
