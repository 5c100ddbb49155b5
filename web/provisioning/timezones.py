"""A tenant's time zone as desk phones want it: a standard offset plus a yearly daylight-saving rule.

Phones know no IANA names (or each brand knows its own short list), so the rule is read off the zone
itself: the two offset changes of the year, each described as "the n-th (or last) weekday of a month
at a wall-clock hour". That is how every current rule on the tz database is built (EU: last Sunday of
March and October; US: second Sunday of March, first of November), and how the phones store it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Change:
    """One switch: `week` 1-4, or 5 for "the last one in the month"; `weekday` 0=Monday..6=Sunday;
    `hour`/`minute` the wall-clock time just before the switch (as POSIX TZ rules count it)."""

    month: int
    week: int
    weekday: int
    hour: int
    minute: int


@dataclass(frozen=True)
class ZoneRule:
    name: str
    std_offset: int  # seconds east of UTC
    std_abbr: str
    dst_offset: int | None = None  # None: no daylight saving in this zone
    dst_abbr: str = ""
    start: Change | None = None  # into daylight saving
    end: Change | None = None  # back to standard time

    @property
    def dst_save(self) -> int:
        return (self.dst_offset - self.std_offset) if self.dst_offset is not None else 0


def _offset(zone: ZoneInfo, moment: datetime) -> int:
    return int(moment.astimezone(zone).utcoffset().total_seconds())


def _switches(zone: ZoneInfo, year: int) -> list[tuple[datetime, int, int]]:
    """(first UTC instant of the new offset, offset before, offset after) for each change in `year`."""
    found = []
    day = datetime(year, 1, 1, tzinfo=timezone.utc)
    end = datetime(year + 1, 1, 1, tzinfo=timezone.utc)
    while day < end:
        later = day + timedelta(days=1)
        before, after = _offset(zone, day), _offset(zone, later)
        if before != after:
            low, high = day, later  # the change lies in (low, high]: halve down to the minute
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if _offset(zone, middle) == before:
                    low = middle
                else:
                    high = middle
            moment = high.replace(second=0, microsecond=0)
            found.append((moment, before, after))
        day = later
    return found


def _change(moment_utc: datetime, offset_before: int) -> Change:
    wall = (moment_utc + timedelta(seconds=offset_before)).replace(tzinfo=None)
    last_day = calendar.monthrange(wall.year, wall.month)[1]
    week = 5 if wall.day + 7 > last_day else (wall.day - 1) // 7 + 1
    return Change(wall.month, week, wall.weekday(), wall.hour, wall.minute)


def _abbr(zone: ZoneInfo, moment: datetime) -> str:
    return moment.astimezone(zone).tzname() or ""


@lru_cache(maxsize=256)
def zone_rule(name: str, year: int) -> ZoneRule:
    """The rule of `name` in `year`: a zone that changes offset other than twice a year (or for good)
    is described by its offset at the start of the year, without daylight saving."""
    zone = ZoneInfo(name)
    january = datetime(year, 1, 1, tzinfo=timezone.utc)
    switches = _switches(zone, year)
    if len(switches) != 2 or switches[0][1] != switches[1][2]:
        return ZoneRule(name, _offset(zone, january), _abbr(zone, january))
    first, second = switches
    # Northern zones go into daylight saving first in the year, southern ones come out of it first.
    into, out_of = (first, second) if first[2] > first[1] else (second, first)
    std, dst = into[1], into[2]
    return ZoneRule(
        name, std, _abbr(zone, out_of[0]), dst, _abbr(zone, into[0]),
        start=_change(into[0], std), end=_change(out_of[0], dst),
    )


# --- the notations -------------------------------------------------------------------------------


def _hm(seconds: int) -> str:
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    return f"{sign}{hours}" + (f":{rest // 60:02d}" if rest else "")


def hours_offset(seconds: int) -> str:
    """+1, -5, +5:30 (Yealink's local_time.time_zone)."""
    return _hm(seconds)


def _posix_abbr(abbr: str, seconds: int) -> str:
    # POSIX wants 3+ letters; numeric abbreviations ("+03") go between angle brackets.
    if len(abbr) >= 3 and abbr.isalpha():
        return abbr
    return f"<{abbr or _hm(seconds).replace(':', '')}>"


def posix(rule: ZoneRule) -> str:
    """A POSIX TZ string such as CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00 (Grandstream's form:
    the daylight offset and the times written out)."""

    def west(seconds: int) -> str:  # POSIX counts hours west of Greenwich
        return _hm(-seconds).lstrip("+")

    text = _posix_abbr(rule.std_abbr, rule.std_offset) + west(rule.std_offset)
    if rule.start is None or rule.end is None:
        return text

    def when(change: Change) -> str:
        sunday_first = (change.weekday + 1) % 7
        return f"M{change.month}.{change.week}.{sunday_first}/{change.hour:02d}:{change.minute:02d}:00"

    return (f"{text}{_posix_abbr(rule.dst_abbr, rule.dst_offset)}{west(rule.dst_offset)},"
            f"{when(rule.start)},{when(rule.end)}")
