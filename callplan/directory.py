"""Dial by name as FreeSWITCH's mod_directory does it, for the simulator and the directory listing.

mod_directory (profile PROFILE) lists the users of the company's directory domain by the name in their
`effective_caller_id_name`, split at its last space into first name(s) and last name; the caller types the
beginning of the first or the last name on the keypad (letters only, A-Z on 2-9), at least MIN_DIGITS
keys, and hears up to MAX_RESULTS matches, ordered by last name then first name, choosing one with
SELECT_KEY. After MAX_ATTEMPTS searches without a choice it gives up and the dialplan goes on (to the
menu's reception). The numbers are the profile's in freeswitch/autoload_configs/directory.conf.xml."""

from __future__ import annotations

from typing import Optional

PROFILE = "default"
MIN_DIGITS = 3
MAX_RESULTS = 5
MAX_ATTEMPTS = 3
SELECT_KEY = "1"

# the menu's dial_by_name_order -> mod_directory's directory_search_order (what is spelled)
SEARCH_ORDER = {"last_first": "last_name", "first_last": "first_name"}

_KEYPAD = {letter: str(digit) for digit, letters in enumerate(
    ("", "", "ABC", "DEF", "GHI", "JKL", "MNO", "PQRS", "TUV", "WXYZ")) for letter in letters}


def search_order(dial_by_name_order: str) -> str:
    return SEARCH_ORDER.get(dial_by_name_order, "last_name")


def keypad(text: str) -> str:
    """The keys that spell `text` (mod_directory's string_to_keypad_digit: other characters are skipped)."""
    return "".join(_KEYPAD.get(character, "") for character in text.upper() if character.isascii())


def split_name(full_name: str) -> tuple[str, str]:
    """(first, last) as mod_directory splits a name: at its last space; one word is both."""
    first, space, last = full_name.rpartition(" ")
    return (first, last) if space else (full_name, full_name)


def matches(users, digits: str, dial_by_name_order: str) -> list:
    """The users whose first or last name (as the order says) starts with `digits`, in mod_directory's
    order (last name, then first name)."""
    found = []
    for user in users:
        if not user.name:
            continue
        first, last = split_name(user.name)
        spelled = last if search_order(dial_by_name_order) == "last_name" else first
        if keypad(spelled).startswith(digits):
            found.append((last, first, user))
    return [user for _, _, user in sorted(found, key=lambda item: (item[0], item[1]))]


def _spelled(simulation) -> str:
    """The keys of one search: pressed one by one until # (the profile's terminator) or no input (its
    digit timeout)."""
    digits = ""
    while (key := simulation.next_key()) not in ("", "#"):
        digits += key if key != "*" else ""  # * would switch between first and last name: not simulated
    return digits


def simulate_search(simulation, dial_by_name_order: str) -> Optional[object]:
    """The caller's inputs are each search's keys (ended by # or no input), then the choice: SELECT_KEY
    takes the first match offered, anything else chooses nobody. The user chosen, or None."""
    for _ in range(MAX_ATTEMPTS):
        digits = _spelled(simulation)
        if len(digits) < MIN_DIGITS:
            continue
        found = matches(simulation.objects.users.values(), digits, dial_by_name_order)
        if not found or len(found) > MAX_RESULTS:
            continue
        return found[0] if simulation.next_key() == SELECT_KEY else None
    return None
