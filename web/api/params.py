"""Path and query-string parameters, read one way everywhere: a value the database or datetime cannot
hold (an id past the 32-bit INTEGER columns, a NUL, the year 1 or 9999) is a 422 naming the parameter ("/id", "/from"), never
a 500 from deep inside a query."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Optional

from web.domain.problems import Problem, field_problem
from web.validation import YEARS

MAX_ID = 2**31 - 1  # ids are INTEGER columns: 32 bits on PostgreSQL
_BAD = ("\x00",)


def check(path_params: dict, query_params) -> None:
    """The checks every route gets before its handler: ids a database can hold, no NUL anywhere."""
    errors = []
    for name, value in path_params.items():
        if isinstance(value, int) and value > MAX_ID:
            errors.append({"pointer": f"/{name}", "code": "out_of_range", "message": f"must be at most {MAX_ID}"})
        elif isinstance(value, str) and _has_bad(value):
            errors.append({"pointer": f"/{name}", "code": "bad_character", "message": "may not hold NUL"})
    for name, value in query_params.multi_items():
        if _has_bad(name) or _has_bad(value):
            errors.append({"pointer": f"/{name}", "code": "bad_character", "message": "may not hold NUL"})
    if errors:
        raise Problem(422, "invalid", errors=errors)


def _has_bad(text: str) -> bool:
    return any(char in text for char in _BAD) or any("\ud800" <= char <= "\udfff" for char in text)


def int_param(query, name: str, default: Optional[int], low: int, high: int) -> Optional[int]:
    """?name= as a whole number from low to high (ASCII digits only: "²".isdigit() is true too)."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19) or not low <= int(raw) <= high:
        raise field_problem(422, "invalid_filter", f"/{name}", f"must be a whole number from {low} to {high}")
    return int(raw)


def moment_param(raw: str, pointer: str, zone: tzinfo, end: bool = False) -> datetime:
    """A date (2026-11-21: its start, or with `end` the start of the next day) or an ISO 8601 instant
    (without an offset: in `zone`), in the years the app reasons about."""
    text = raw.strip()
    value = None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if day.year in YEARS:
                value = datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=zone)
        elif len(text) <= 64:
            value = datetime.fromisoformat(text.replace(" ", "+") if text.count(" ") == 1 and "T" in text else text)
            value = value if value.tzinfo is not None else value.replace(tzinfo=zone)
    except (ValueError, OverflowError):
        value = None
    if value is None or value.year not in YEARS:
        raise field_problem(422, "invalid_filter", pointer,
                            f"must be a date (2026-11-21) or an ISO 8601 instant from {YEARS[0]} to {YEARS[-1]}")
    return value
