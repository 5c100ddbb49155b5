"""The one place the app asks what time it is, so tests can move time (TOTP steps, rate-limit windows,
link expiry) without sleeping."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

_offset_seconds = 0.0


def now() -> datetime:
    """Aware UTC, as every timestamp column stores it."""
    if not _offset_seconds:  # (every FreeSWITCH fetch asks: no sum to make when no test moved the clock)
        return datetime.now(timezone.utc)
    return datetime.now(timezone.utc) + timedelta(seconds=_offset_seconds)


def timestamp() -> float:
    return now().timestamp()


def advance(seconds: float) -> None:
    """Move the clock forward (tests only)."""
    global _offset_seconds
    _offset_seconds += seconds


def reset() -> None:
    global _offset_seconds
    _offset_seconds = 0.0
