"""Opening hours: is the company open at an instant, and when does that next change.

Pure: no database, no web. The API validates and stores the shapes below; the call-plan compiler and
the simulator ask `is_open` per call and `next_transition` to know how long a decision holds.

Weekly schedule ("tijdschema"): a list of periods, each a stretch of the local week
    {"from_day": "mon", "from_time": "08:30", "to_day": "mon", "to_time": "12:00"}
days "mon".."sun", times "HH:MM" from 00:00 to 24:00 (24:00 only as an end). A period runs forward from
its start to the first moment its end is reached, so it may pass midnight ("sun" 22:00 to "mon" 02:00)
and the end of the week ("fri" 22:00 to "mon" 06:00). A whole day is 00:00 to 24:00 of that day, the
whole week "mon" 00:00 to "sun" 24:00. A period whose end is written exactly as its start (same day,
same time) is empty; any other end equal in position to the start means a whole week.

Holiday schedule ("vakantieschema"): a list of closures
    {"start_date": "2026-12-25", "end_date": "2026-12-26", "from_time": null, "to_time": null,
     "yearly": true, "description": "Christmas"}
closed from start_date at from_time (default 00:00) to end_date (default start_date) at to_time
(default 24:00): one date, a range of dates, or part of a day. A yearly closure recurs on the same
month and day each year; one starting on 29 February happens in leap years only.

Time: every time is local wall-clock time in the tenant's IANA zone. An instant is open when the zone's
clock, read at that instant, shows a time inside a period and outside every closure, so 08:30 means
08:30 on both sides of a DST change. Consequences, deliberately:
- spring forward (02:00 becomes 03:00): wall times in the skipped hour never show, so a period inside
  it is never open, and a period that starts inside it (02:30-05:00) opens at 03:00, the change itself;
- fall back (03:00 becomes 02:00): the repeated hour shows twice, and a period covering it is open both
  times; one ending inside it (01:00-02:30) closes at 02:30, opens again at the change (the clock shows
  02:00 again) and closes again at the second 02:30.
Boundaries are whole seconds: a period is open from its start up to, not including, its end.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Iterable, Optional
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKDAYS = DAYS[:5]
DAY = 86_400
WEEK = 7 * DAY
HORIZON_DAYS = 400
MAX_CLOSURE_DAYS = 366  # a yearly closure must end before it starts again (see Holidays.contains)

_TIME = re.compile(r"^(?:([01][0-9]|2[0-3]):([0-5][0-9])|(24):(00))\Z")
_UTC = timezone.utc


def parse_time(value: str, *, end: bool = True) -> int:
    """Seconds since midnight of "HH:MM"; "24:00" is accepted only as an end time."""
    match = _TIME.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError("must be a time HH:MM between 00:00 and 24:00")
    if match.group(3):
        if not end:
            raise ValueError("24:00 can only end a period; start at 00:00 of the next day")
        return DAY
    return int(match.group(1)) * 3600 + int(match.group(2)) * 60


def _field(item: Any, name: str, default=None):
    """Periods and entries come as dicts (stored JSON) or as pydantic models (the API)."""
    if isinstance(item, dict):
        return item.get(name, default)
    return getattr(item, name, default)


# -- weekly schedules --------------------------------------------------------------------------------


def period_span(period) -> tuple[int, int]:
    """(start, length) of a period in seconds of the week, Monday 00:00 being 0; length may be 0."""
    start = DAYS.index(_field(period, "from_day")) * DAY + parse_time(_field(period, "from_time"), end=False)
    end = DAYS.index(_field(period, "to_day")) * DAY + parse_time(_field(period, "to_time"))
    length = (end - start) % WEEK
    written_same = (_field(period, "from_day"), _field(period, "from_time")) == (_field(period, "to_day"), _field(period, "to_time"))
    if length == 0 and not written_same:
        length = WEEK  # e.g. tue 00:00 to mon 24:00
    return start, length


def _merge(intervals: Iterable[tuple[int, int]]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Sorted, non-overlapping (starts, ends); touching intervals join (nothing changes where they meet)."""
    starts: list[int] = []
    ends: list[int] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if starts and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return tuple(starts), tuple(ends)


def _boundaries(starts: tuple[int, ...], ends: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(sorted(set(starts) | set(ends)))


def _contains(starts: tuple[int, ...], ends: tuple[int, ...], point: int) -> bool:
    index = bisect_right(starts, point) - 1
    return index >= 0 and point < ends[index]


def _next_after(points: tuple[int, ...], point: int) -> Optional[int]:
    index = bisect_right(points, point)
    return points[index] if index < len(points) else None


@dataclass(frozen=True)
class Weekly:
    """A weekly schedule compiled to merged intervals of seconds of the week, for bisecting."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    boundaries: tuple[int, ...]  # where the state may change, in [0, WEEK)

    def contains(self, second_of_week: int) -> bool:
        return _contains(self.starts, self.ends, second_of_week)

    def seconds_to_boundary(self, second_of_week: int) -> Optional[int]:
        """Seconds until the next boundary strictly after this one (wrapping into next week)."""
        if not self.boundaries:
            return None
        following = _next_after(self.boundaries, second_of_week)
        if following is None:
            following = self.boundaries[0] + WEEK
        return following - second_of_week


@lru_cache(maxsize=1024)
def _compile_weekly(key: tuple) -> Weekly:
    pieces = []
    for from_day, from_time, to_day, to_time in key:
        start, length = period_span({"from_day": from_day, "from_time": from_time, "to_day": to_day, "to_time": to_time})
        end = start + length
        pieces.append((start, min(end, WEEK)))
        if end > WEEK:
            pieces.append((0, end - WEEK))  # the part past Sunday midnight
    starts, ends = _merge(pieces)
    boundaries = {point % WEEK for point in starts + ends}
    if starts and starts[0] == 0 and ends[-1] == WEEK:
        boundaries.discard(0)  # open across Sunday midnight: no change there
    if starts == (0,) and ends == (WEEK,):
        boundaries = set()
    return Weekly(starts, ends, tuple(sorted(boundaries)))


def compile_weekly(periods: Iterable) -> Weekly:
    """Compile a list of periods (cached: compiling the same periods again costs a dict lookup)."""
    key = tuple(
        (_field(p, "from_day"), _field(p, "from_time"), _field(p, "to_day"), _field(p, "to_time")) for p in periods
    )
    return _compile_weekly(key)


def _as_weekly(weekly) -> Optional[Weekly]:
    """A Weekly, None (no weekly schedule: always inside), a list of periods, or {"periods": [...]}."""
    if weekly is None or isinstance(weekly, Weekly):
        return weekly
    periods = _field(weekly, "periods", None) if not isinstance(weekly, (list, tuple)) else weekly
    if periods is None:
        raise TypeError("a weekly schedule is a list of periods or has `periods`")
    return compile_weekly(periods)


# -- holiday schedules -------------------------------------------------------------------------------
# Local wall times are "wall seconds": date.toordinal() * DAY + seconds since midnight.


def _wall(day: date, seconds: int) -> int:
    return day.toordinal() * DAY + seconds


@dataclass(frozen=True)
class Closure:
    start: date
    start_s: int
    days: int  # end date minus start date
    end_s: int
    yearly: bool

    def occurrence(self, year: int) -> Optional[tuple[int, int]]:
        """The closure's wall-second interval in `year` (yearly ones), None when 29 Feb does not exist."""
        try:
            start = self.start.replace(year=year)
        except ValueError:
            return None
        return _wall(start, self.start_s), _wall(start + timedelta(days=self.days), self.end_s)


def closure_of(entry) -> Closure:
    start = date.fromisoformat(_field(entry, "start_date"))
    end = date.fromisoformat(_field(entry, "end_date") or _field(entry, "start_date"))
    from_time, to_time = _field(entry, "from_time"), _field(entry, "to_time")
    closure = Closure(
        start=start,
        start_s=parse_time(from_time, end=False) if from_time else 0,
        days=(end - start).days,
        end_s=parse_time(to_time) if to_time else DAY,
        yearly=bool(_field(entry, "yearly", False)),
    )
    if closure.days < 0 or closure.days > MAX_CLOSURE_DAYS:
        raise ValueError(f"a closure ends 0 to {MAX_CLOSURE_DAYS} days after it starts")
    return closure


class Holidays:
    """Closures compiled: one-off ones merged once, yearly ones per year on first use (then cached)."""

    def __init__(self, closures: Iterable[Closure]):
        closures = list(closures)
        self._yearly = [c for c in closures if c.yearly]
        once = [(_wall(c.start, c.start_s), _wall(c.start + timedelta(days=c.days), c.end_s)) for c in closures if not c.yearly]
        self._once = _merge(once)
        self._once_boundaries = _boundaries(*self._once)
        self._years: dict[int, tuple] = {}

    def _around(self, year: int) -> tuple:
        """Yearly occurrences of years year-1..year+1 (merged, boundaries): every one touching `year`,
        as a closure lasts at most MAX_CLOSURE_DAYS."""
        cached = self._years.get(year)
        if cached is None:
            spans = [
                span
                for y in range(max(MINYEAR, year - 1), min(MAXYEAR - 1, year + 1) + 1)
                for closure in self._yearly
                if (span := closure.occurrence(y)) is not None
            ]
            merged = _merge(spans)
            cached = self._years[year] = (merged, _boundaries(*merged))
        return cached

    def contains(self, wall: int, year: int) -> bool:
        if _contains(*self._once, wall):
            return True
        return bool(self._yearly) and _contains(*self._around(year)[0], wall)

    def seconds_to_boundary(self, wall: int, year: int) -> Optional[int]:
        candidates = [_next_after(self._once_boundaries, wall)]
        if self._yearly:
            candidates.append(_next_after(self._around(year)[1], wall))
        found = [point for point in candidates if point is not None]
        return min(found) - wall if found else None


@lru_cache(maxsize=1024)
def _compile_holidays(key: tuple) -> Holidays:
    return Holidays(
        closure_of({"start_date": s, "end_date": e, "from_time": f, "to_time": t, "yearly": y}) for s, e, f, t, y in key
    )


def compile_holidays(entries: Iterable) -> Holidays:
    key = tuple(
        (_field(e, "start_date"), _field(e, "end_date"), _field(e, "from_time"), _field(e, "to_time"), bool(_field(e, "yearly", False)))
        for e in entries
    )
    return _compile_holidays(key)


def _as_holidays(holidays) -> Optional[Holidays]:
    """A Holidays, None (no closures), a list of entries, or {"entries": [...]}."""
    if holidays is None or isinstance(holidays, Holidays):
        return holidays
    entries = _field(holidays, "entries", None) if not isinstance(holidays, (list, tuple)) else holidays
    if entries is None:
        raise TypeError("a holiday schedule is a list of entries or has `entries`")
    return compile_holidays(entries)


# -- evaluation --------------------------------------------------------------------------------------


def _zone(tz) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def _local(instant: datetime, zone: ZoneInfo) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("the instant must be timezone-aware")
    return instant.astimezone(zone)


def _second_of_week(local: datetime) -> int:
    return local.weekday() * DAY + local.hour * 3600 + local.minute * 60 + local.second


def _wall_of(local: datetime) -> int:
    return local.toordinal() * DAY + local.hour * 3600 + local.minute * 60 + local.second


def _state(weekly: Optional[Weekly], holidays: Optional[Holidays], local: datetime) -> bool:
    if weekly is not None and not weekly.contains(_second_of_week(local)):
        return False
    return holidays is None or not holidays.contains(_wall_of(local), local.year)


def local_time(instant: datetime, tz) -> datetime:
    """`instant` (aware) as the zone's clock shows it."""
    return _local(instant, _zone(tz))


def in_weekly(weekly, instant: datetime, tz) -> bool:
    """Inside the weekly schedule at `instant` (aware) in zone `tz`? No schedule (None): always."""
    compiled = _as_weekly(weekly)
    return compiled is None or compiled.contains(_second_of_week(_local(instant, _zone(tz))))


def in_holiday(holidays, instant: datetime, tz) -> bool:
    """Inside a holiday closure at `instant` (aware) in zone `tz`?"""
    compiled = _as_holidays(holidays)
    if compiled is None:
        return False
    local = _local(instant, _zone(tz))
    return compiled.contains(_wall_of(local), local.year)


def is_open(weekly, holidays, instant: datetime, tz) -> bool:
    """Open = inside the weekly schedule and outside every holiday closure (holidays may be None)."""
    return _state(_as_weekly(weekly), _as_holidays(holidays), _local(instant, _zone(tz)))


def _first_offset_change(zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The first whole second in (low, high] whose UTC offset differs from low's (high's does).
    zoneinfo keeps no public list of transitions; they fall on whole UTC seconds, so bisect."""
    offset = low.astimezone(zone).utcoffset()
    lo, hi = math.floor(low.timestamp()), math.floor(high.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, _UTC).astimezone(zone).utcoffset() == offset:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, _UTC)


def next_transition(weekly, holidays, after: datetime, tz, horizon_days: int = HORIZON_DAYS) -> Optional[datetime]:
    """The first instant after `after` where is_open flips (open just before it, closed at it, or the
    other way round) in zone `tz`; None when nothing changes within `horizon_days`.

    The answer is in UTC: Python compares zone-local datetimes inside a repeated hour unequal to every
    datetime of another zone (PEP 495), which would trip callers caching on it; local_time() shows it.

    Walks forward from boundary to boundary: between two UTC-offset changes the wall clock runs with
    the instant, so the next candidate is the nearest wall boundary (weekly or holiday), or the offset
    change itself when that comes first (the clock jumps there, possibly into or out of a period).
    Steps are at most a day, which also bounds the search for offset changes to one per step.
    """
    weekly_c, holidays_c, zone = _as_weekly(weekly), _as_holidays(holidays), _zone(tz)
    current = _local(after, zone).astimezone(_UTC)
    try:
        limit = current + timedelta(days=horizon_days)
    except OverflowError:
        limit = datetime.max.replace(tzinfo=_UTC)
    initial = _state(weekly_c, holidays_c, current.astimezone(zone))
    while True:
        local = current.astimezone(zone)
        steps = [DAY]
        if weekly_c is not None:
            steps.append(weekly_c.seconds_to_boundary(_second_of_week(local)) or DAY)
        if holidays_c is not None:
            steps.append(holidays_c.seconds_to_boundary(_wall_of(local), local.year) or DAY)
        try:
            candidate = current.replace(microsecond=0) + timedelta(seconds=min(steps))
        except OverflowError:
            return None
        if candidate.astimezone(zone).utcoffset() != local.utcoffset():
            candidate = _first_offset_change(zone, current, candidate)
        if candidate > limit:
            return None
        candidate_local = candidate.astimezone(zone)
        if _state(weekly_c, holidays_c, candidate_local) != initial:
            return candidate
        current = candidate


# -- lint --------------------------------------------------------------------------------------------


def lint(periods) -> list[dict]:
    """Warnings about a weekly schedule that is valid but probably not meant: periods that overlap,
    periods of zero length, periods that end before they start on the same day (they then run almost
    a whole week), and working days (Mon-Fri) never open while another working day is.

    Each warning: {"pointer": "/periods/1", "code": ..., "message": English text, "params": {...}}.
    """
    if isinstance(periods, dict) or not isinstance(periods, (list, tuple)):
        periods = _field(periods, "periods", [])
    warnings: list[dict] = []
    spans: list[tuple[int, list[tuple[int, int]]]] = []
    for index, period in enumerate(periods):
        start, length = period_span(period)
        pointer = f"/periods/{index}"
        if length == 0:
            warnings.append(_warning(pointer, "zero_length", "starts when it ends, so it is never open"))
            continue
        if _field(period, "from_day") == _field(period, "to_day") and parse_time(_field(period, "to_time")) < parse_time(_field(period, "from_time"), end=False):
            warnings.append(_warning(pointer, "wraps_week", "ends before it starts on the same day, so it runs almost a whole week", day=_field(period, "to_day")))
        end = start + length
        pieces = [(start, min(end, WEEK))] + ([(0, end - WEEK)] if end > WEEK else [])
        for other_index, other_pieces in spans:
            if any(a < d and c < b for a, b in pieces for c, d in other_pieces):
                warnings.append(_warning(pointer, "overlap", f"overlaps period {other_index + 1}", other=other_index + 1))
        spans.append((index, pieces))
    if spans:
        compiled = _merge(piece for _, pieces in spans for piece in pieces)
        open_days = {day for day in range(7) if _open_during(compiled, day * DAY, (day + 1) * DAY)}
        if open_days & set(range(5)):
            for day in range(5):
                if day not in open_days:
                    warnings.append(_warning("/periods", "closed_weekday", f"never open on {DAYS[day]}", day=DAYS[day]))
    return warnings


def _open_during(merged: tuple, low: int, high: int) -> bool:
    return any(start < high and low < end for start, end in zip(*merged))


def _warning(pointer: str, code: str, message: str, **params) -> dict:
    return {"pointer": pointer, "code": code, "message": message, "params": params}
