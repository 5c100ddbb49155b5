"""A country's public holidays for the next years, from the `holidays` library (PyPI), for importing into a
holiday schedule. The library knows the moving feasts (Easter, Whitsun, Ascension) and the substitute
days of each country, which is why the import gives one-off dates per year rather than yearly ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import holidays

MAX_YEARS = 5
DESCRIPTION_LENGTH = 200  # a holiday entry's description (web.models.schedule)


@dataclass(frozen=True)
class PublicHoliday:
    date: str  # YYYY-MM-DD
    name: str


@lru_cache(maxsize=1)
def countries() -> dict[str, tuple[str, ...]]:
    """ISO 3166-1 alpha-2 code -> the library's subdivision codes (regions with holidays of their own)."""
    return {code: tuple(subdivisions) for code, subdivisions in sorted(holidays.list_supported_countries().items())
            if len(code) == 2 and code.isascii() and code.isupper()}


@lru_cache(maxsize=64)
def subdivision_names(country: str) -> dict[str, str]:
    """Subdivision code -> its name where the library has one (DE "BY" -> "Bayern")."""
    aliases = holidays.country_holidays(country).get_subdivision_aliases()
    return {code: names[0] for code, names in aliases.items() if names and code in countries()[country]}


def _language(country: str, lang: str) -> str | None:
    """The names in the admin's language when the library has them (else its own default)."""
    supported = holidays.country_holidays(country).supported_languages
    wanted = ["nl"] if lang == "nl" else ["en_GB", "en_US"] if country == "GB" else ["en_US", "en_GB"]
    return next((candidate for candidate in wanted if candidate in supported), None)


def upcoming(country: str, subdivision: str | None, years: int, today: date, lang: str) -> list[PublicHoliday]:
    """Public holidays from `today` to the end of the year `years - 1` after this one, in date order.
    The caller checks country, subdivision (countries()) and 1 <= years <= MAX_YEARS."""
    found = holidays.country_holidays(country, subdiv=subdivision, years=range(today.year, today.year + years),
                                      language=_language(country, lang))
    return [PublicHoliday(day.isoformat(), name[:DESCRIPTION_LENGTH]) for day, name in sorted(found.items()) if day >= today]
