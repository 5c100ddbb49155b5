"""How guessable a new password is: zxcvbn's estimate (pattern matching against dictionaries, keyboard
walks, dates, repeats and sequences, and the person's own name and e-mail address) and its list of the
30,000 most common passwords. Long rather than clever still goes (NIST 800-63B): a password only has to
be hard to guess, not to contain digits or symbols.

The reason is a key of ours (web/i18n/messages.json "password.weak.<reason>"), so the field error reads
in the person's own language; zxcvbn's own feedback is English only."""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable, Optional

MIN_SCORE = 3  # zxcvbn's 0-4: 3 is "safely unguessable: moderate protection from offline slow-hash scenario"
CHECKED_LENGTH = 100  # zxcvbn's work grows with the length; past this a password is long enough anyway
# The first of these patterns found in a weak password says why it is weak (most telling first).
_REASONS = (
    ("personal", lambda m: m.get("dictionary_name") == "user_inputs"),
    ("common", lambda m: m.get("dictionary_name") == "passwords"),
    ("keyboard", lambda m: m.get("pattern") == "spatial"),
    ("repeat", lambda m: m.get("pattern") == "repeat"),
    ("sequence", lambda m: m.get("pattern") == "sequence"),
    ("date", lambda m: m.get("pattern") == "date" or m.get("regex_name") == "recent_year"),
    ("words", lambda m: m.get("pattern") == "dictionary"),
)


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def weakness(password: str, personal: Iterable[str] = ()) -> Optional[str]:
    """None for a password hard enough to guess; else why not: "common" (on the list of common
    passwords, or made of one), "personal" (the person's name or e-mail address), "keyboard",
    "repeat", "sequence", "date", "words" (a word or name by itself) or "guessable"."""
    from zxcvbn import zxcvbn

    if password.strip().lower() in _common():
        return "common"
    inputs = [part for value in personal if value
              for part in (value, value.replace(" ", ""), *value.replace("@", " ").replace(".", " ").split())]
    result = zxcvbn(password[:CHECKED_LENGTH], user_inputs=inputs)
    if result["score"] >= MIN_SCORE:
        return None
    for reason, found in _REASONS:
        if any(found(match) for match in result["sequence"]):
            return reason
    return "guessable"
