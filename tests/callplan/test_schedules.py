"""callplan.schedules: open or closed at an instant, across DST changes, wraps and holidays; the next
change; lint. Instants are given in UTC where it matters, so the zone conversion is what is tested."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from callplan.schedules import (
    DAYS,
    compile_holidays,
    compile_weekly,
    in_holiday,
    in_weekly,
    is_open,
    lint,
    next_transition,
    parse_time,
)

UTC = timezone.utc


def period(from_day, from_time, to_day, to_time):
    return {"from_day": from_day, "from_time": from_time, "to_day": to_day, "to_time": to_time}


def entry(start, end=None, from_time=None, to_time=None, yearly=False):
    return {"start_date": start, "end_date": end, "from_time": from_time, "to_time": to_time, "yearly": yearly,
            "description": ""}


OFFICE = [period(day, "08:00", day, "17:00") for day in DAYS[:5]]


def local(zone, *fields, fold=0):
    return datetime(*fields, tzinfo=ZoneInfo(zone), fold=fold)


def utc(*fields):
    return datetime(*fields, tzinfo=UTC)


# -- DST: the four 2026 changes in three zones ----------------------------------------------------------

# zone, the Sunday of the change, UTC offsets (hours) of the Monday before and the Monday after
CHANGES = [
    ("Europe/Amsterdam", (2026, 3, 29), 1, 2),
    ("Europe/Amsterdam", (2026, 10, 25), 2, 1),
    ("Europe/Brussels", (2026, 3, 29), 1, 2),
    ("Europe/Brussels", (2026, 10, 25), 2, 1),
    ("America/New_York", (2026, 3, 8), -5, -4),
    ("America/New_York", (2026, 11, 1), -4, -5),
]


@pytest.mark.parametrize("zone,sunday,offset_before,offset_after", CHANGES)
def test_office_hours_keep_their_wall_clock_times_on_both_sides_of_a_change(zone, sunday, offset_before, offset_after):
    monday_after = datetime(*sunday) + timedelta(days=1)
    monday_before = monday_after - timedelta(days=7)
    for monday, offset in ((monday_before, offset_before), (monday_after, offset_after)):
        # 08:30 and 07:30 local, written as the UTC instants they are on that Monday
        at_0830 = (monday + timedelta(hours=8, minutes=30) - timedelta(hours=offset)).replace(tzinfo=UTC)
        at_0730 = at_0830 - timedelta(hours=1)
        assert is_open(OFFICE, None, at_0830, zone) is True, (zone, monday)
        assert is_open(OFFICE, None, at_0730, zone) is False, (zone, monday)
    # the UTC instants differ by the change: 08:30 local after the change is not 08:30 + 7 days of UTC
    same_utc_a_week_later = (monday_before + timedelta(hours=8, minutes=30 - 60 * offset_before)).replace(tzinfo=UTC) + timedelta(days=7)
    expected = offset_before < offset_after  # spring: that UTC instant reads 09:30 (open); autumn: 07:30 (closed)
    assert is_open(OFFICE, None, same_utc_a_week_later, zone) is expected


@pytest.mark.parametrize("zone,sunday,offset_before,offset_after", CHANGES)
def test_the_next_opening_after_a_change_weekend_is_monday_0800_local(zone, sunday, offset_before, offset_after):
    friday_evening = local(zone, *sunday, 0) - timedelta(days=2) + timedelta(hours=18)
    opening = next_transition(OFFICE, None, friday_evening, zone).astimezone(ZoneInfo(zone))
    assert opening.replace(tzinfo=None) == datetime(*sunday, 8) + timedelta(days=1)
    assert opening.utcoffset() == timedelta(hours=offset_after)
    closing = next_transition(OFFICE, None, opening, zone).astimezone(ZoneInfo(zone))
    assert closing.replace(tzinfo=None) == datetime(*sunday, 17) + timedelta(days=1)


# spring forward: the zone, the instant of the change (UTC), the skipped local hour starts at 02:00
SPRING = [("Europe/Amsterdam", utc(2026, 3, 29, 1)), ("Europe/Brussels", utc(2026, 3, 29, 1)),
          ("America/New_York", utc(2026, 3, 8, 7))]


@pytest.mark.parametrize("zone,change", SPRING)
def test_a_period_inside_the_skipped_hour_is_never_open_that_night(zone, change):
    skipped = [period("sun", "02:00", "sun", "03:00")]
    instants = [change + timedelta(minutes=m) for m in range(-90, 91, 5)]
    assert not any(is_open(skipped, None, t, zone) for t in instants)
    # the next opening is a week later, 02:00 local then exists again
    after = next_transition(skipped, None, change - timedelta(hours=3), zone).astimezone(ZoneInfo(zone))
    assert after.replace(tzinfo=None) == (change.astimezone(ZoneInfo(zone)) + timedelta(days=7)).replace(
        hour=2, minute=0, tzinfo=None)


@pytest.mark.parametrize("zone,change", SPRING)
def test_periods_cut_by_the_skipped_hour_change_state_at_the_jump(zone, change):
    before_gap = [period("sun", "01:30", "sun", "02:30")]
    assert is_open(before_gap, None, change - timedelta(minutes=15), zone)  # 01:45 local
    assert not is_open(before_gap, None, change, zone)  # the clock jumps to 03:00
    assert next_transition(before_gap, None, change - timedelta(minutes=15), zone) == change
    into_gap = [period("sun", "02:30", "sun", "05:00")]
    assert not is_open(into_gap, None, change - timedelta(seconds=1), zone)  # 01:59:59
    assert is_open(into_gap, None, change, zone)  # 03:00 is past 02:30
    assert next_transition(into_gap, None, change - timedelta(hours=1), zone) == change
    covering = [period("sun", "01:00", "sun", "04:00")]
    assert all(is_open(covering, None, change + timedelta(minutes=m), zone) for m in range(-60, 60, 10))


# fall back: the zone, the instant of the change (UTC); the local hour before it repeats
AUTUMN = [("Europe/Amsterdam", utc(2026, 10, 25, 1), 2), ("Europe/Brussels", utc(2026, 10, 25, 1), 2),
          ("America/New_York", utc(2026, 11, 1, 6), 1)]


@pytest.mark.parametrize("zone,change,repeated", AUTUMN)
def test_the_repeated_hour_is_open_both_times(zone, change, repeated):
    hour = [period("sun", f"{repeated:02d}:00", "sun", f"{repeated + 1:02d}:00")]
    first_time, second_time = change - timedelta(minutes=30), change + timedelta(minutes=30)
    assert first_time.astimezone(ZoneInfo(zone)).replace(tzinfo=None) == second_time.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    assert is_open(hour, None, first_time, zone) and is_open(hour, None, second_time, zone)
    assert not is_open(hour, None, change + timedelta(hours=1), zone)  # the hour after, once
    # it opens once before the change (fold 0) and closes only after the repeat: 2 hours later
    opened = next_transition(hour, None, change - timedelta(hours=2), zone)
    assert opened == change - timedelta(hours=1)
    assert next_transition(hour, None, opened, zone) == change + timedelta(hours=1)


@pytest.mark.parametrize("zone,change,repeated", AUTUMN)
def test_a_period_ending_inside_the_repeated_hour_opens_again_at_the_change(zone, change, repeated):
    half = f"{repeated:02d}:30"
    ends_inside = [period("sun", f"{repeated - 1:02d}:00", "sun", half)]
    flips = []
    at = change - timedelta(hours=3)
    for _ in range(4):
        at = next_transition(ends_inside, None, at, zone)
        flips.append(at)
    hour = timedelta(hours=1)
    assert flips == [change - 2 * hour, change - hour / 2, change, change + hour / 2]
    assert [is_open(ends_inside, None, t, zone) for t in flips] == [True, False, True, False]


# -- the shape: several periods a day, whole days, wraps past midnight and Sunday -----------------------


AMS = "Europe/Amsterdam"


def test_several_periods_a_day_and_whole_days():
    split = [period("mon", "08:30", "mon", "12:00"), period("mon", "13:00", "mon", "17:30"),
             period("sat", "00:00", "sat", "24:00")]
    assert is_open(split, None, local(AMS, 2026, 6, 1, 8, 30), AMS)
    assert not is_open(split, None, local(AMS, 2026, 6, 1, 8, 29, 59), AMS)
    assert not is_open(split, None, local(AMS, 2026, 6, 1, 12, 30), AMS)
    assert is_open(split, None, local(AMS, 2026, 6, 1, 17, 29, 59), AMS)
    assert not is_open(split, None, local(AMS, 2026, 6, 1, 17, 30), AMS)
    assert is_open(split, None, local(AMS, 2026, 6, 6, 0, 0), AMS) and is_open(split, None, local(AMS, 2026, 6, 6, 23, 59, 59), AMS)
    assert not is_open(split, None, local(AMS, 2026, 6, 7, 0, 0), AMS)
    assert next_transition(split, None, local(AMS, 2026, 6, 1, 10), AMS) == local(AMS, 2026, 6, 1, 12)
    assert next_transition(split, None, local(AMS, 2026, 6, 1, 12), AMS) == local(AMS, 2026, 6, 1, 13)


def test_a_weekend_range_wraps_past_sunday():
    weekend = [period("fri", "22:00", "mon", "06:00")]  # 2026-06-05 is a Friday
    assert not is_open(weekend, None, local(AMS, 2026, 6, 5, 21, 59), AMS)
    for t in (local(AMS, 2026, 6, 5, 22), local(AMS, 2026, 6, 6, 12), local(AMS, 2026, 6, 7, 23, 59),
              local(AMS, 2026, 6, 8, 0, 0), local(AMS, 2026, 6, 8, 5, 59, 59)):
        assert is_open(weekend, None, t, AMS), t
    assert not is_open(weekend, None, local(AMS, 2026, 6, 8, 6), AMS)
    # Sunday midnight is inside the range: no change there
    assert next_transition(weekend, None, local(AMS, 2026, 6, 7, 23), AMS) == local(AMS, 2026, 6, 8, 6)


def test_a_night_period_on_sunday_ends_on_monday():
    night = [period("sun", "22:00", "mon", "02:00")]
    assert is_open(night, None, local(AMS, 2026, 6, 7, 23), AMS)
    assert is_open(night, None, local(AMS, 2026, 6, 8, 1, 59), AMS)
    assert not is_open(night, None, local(AMS, 2026, 6, 8, 2), AMS)
    assert not is_open(night, None, local(AMS, 2026, 6, 7, 2), AMS)  # not the early Sunday hours
    assert not is_open(night, None, local(AMS, 2026, 6, 9, 1), AMS)  # nor Tuesday's


def test_whole_week_empty_period_and_no_schedule():
    always = [period("mon", "00:00", "sun", "24:00")]
    also_always = [period("tue", "00:00", "mon", "24:00")]
    empty = [period("wed", "08:00", "wed", "08:00")]
    t = local(AMS, 2026, 3, 29, 3)
    assert is_open(always, None, t, AMS) and is_open(also_always, None, t, AMS)
    assert next_transition(always, None, t, AMS) is None  # nothing changes within 400 days
    assert not any(is_open(empty, None, local(AMS, 2026, 6, 3, h), AMS) for h in range(24))
    assert next_transition(empty, None, t, AMS) is None
    assert is_open(None, None, t, AMS) is True  # no weekly schedule: only holidays close
    assert is_open([], None, t, AMS) is False  # a schedule without periods: never open


def test_naive_instants_are_refused():
    with pytest.raises(ValueError):
        is_open(OFFICE, None, datetime(2026, 6, 1, 9), AMS)


@pytest.mark.parametrize("bad", ["25:00", "24:01", "7:00", "08:60", "", "08:00:00", "ab:cd"])
def test_bad_times_are_refused(bad):
    with pytest.raises(ValueError):
        parse_time(bad)


def test_24_00_only_ends_a_period():
    assert parse_time("24:00") == 86_400
    with pytest.raises(ValueError):
        parse_time("24:00", end=False)


def test_compiling_is_cached_per_content():
    assert compile_weekly(OFFICE) is compile_weekly([dict(p) for p in OFFICE])
    assert compile_weekly(OFFICE) is not compile_weekly(OFFICE[:4])


# -- holidays ------------------------------------------------------------------------------------------


def test_a_single_date_closes_the_whole_local_day():
    christmas = [entry("2026-12-25")]
    assert in_holiday(christmas, local(AMS, 2026, 12, 25, 0, 0), AMS)
    assert in_holiday(christmas, local(AMS, 2026, 12, 25, 23, 59, 59), AMS)
    assert not in_holiday(christmas, local(AMS, 2026, 12, 24, 23, 59, 59), AMS)
    assert not in_holiday(christmas, local(AMS, 2026, 12, 26), AMS)
    # 23:30 UTC on the 24th is already the 25th in Amsterdam
    assert in_holiday(christmas, utc(2026, 12, 24, 23, 30), AMS)
    assert not in_holiday(christmas, utc(2026, 12, 24, 23, 30), "America/New_York")
    assert not in_holiday(christmas, local(AMS, 2027, 12, 25, 12), AMS)  # not yearly


def test_a_range_is_inclusive_of_its_end_date():
    summer = [entry("2026-07-20", "2026-08-07")]
    assert in_holiday(summer, local(AMS, 2026, 7, 20, 0), AMS)
    assert in_holiday(summer, local(AMS, 2026, 8, 7, 23, 59), AMS)
    assert not in_holiday(summer, local(AMS, 2026, 8, 8, 0), AMS)
    assert not in_holiday(summer, local(AMS, 2026, 7, 19, 23, 59), AMS)


def test_a_part_day_closure():
    afternoon = [entry("2026-12-31", from_time="12:00", to_time="17:00")]
    assert not in_holiday(afternoon, local(AMS, 2026, 12, 31, 11, 59), AMS)
    assert in_holiday(afternoon, local(AMS, 2026, 12, 31, 12, 0), AMS)
    assert not in_holiday(afternoon, local(AMS, 2026, 12, 31, 17, 0), AMS)
    from_noon_on = [entry("2026-12-24", "2026-12-26", from_time="12:00")]  # to 24:00 of the 26th
    assert not in_holiday(from_noon_on, local(AMS, 2026, 12, 24, 11), AMS)
    assert in_holiday(from_noon_on, local(AMS, 2026, 12, 25, 5), AMS)
    assert in_holiday(from_noon_on, local(AMS, 2026, 12, 26, 23), AMS)


def test_a_yearly_entry_made_for_2026_matches_in_2027_and_earlier_years():
    kings_day = [entry("2026-04-27", yearly=True)]
    assert in_holiday(kings_day, local(AMS, 2027, 4, 27, 10), AMS)
    assert in_holiday(kings_day, local(AMS, 2030, 4, 27, 10), AMS)
    assert in_holiday(kings_day, local(AMS, 2025, 4, 27, 10), AMS)
    assert not in_holiday(kings_day, local(AMS, 2027, 4, 28, 10), AMS)


def test_a_yearly_range_over_new_year():
    closed = [entry("2026-12-24", "2027-01-01", yearly=True)]
    assert in_holiday(closed, local(AMS, 2028, 1, 1, 12), AMS)  # from the occurrence of 2027
    assert in_holiday(closed, local(AMS, 2027, 12, 31, 12), AMS)
    assert not in_holiday(closed, local(AMS, 2028, 1, 2, 0), AMS)
    assert next_transition(None, closed, local(AMS, 2028, 1, 1, 12), AMS) == local(AMS, 2028, 1, 2)


def test_a_yearly_29_february_happens_in_leap_years_only():
    leap = [entry("2028-02-29", yearly=True)]
    assert in_holiday(leap, local(AMS, 2032, 2, 29, 12), AMS)
    assert not in_holiday(leap, local(AMS, 2029, 2, 28, 12), AMS)
    assert not in_holiday(leap, local(AMS, 2029, 3, 1, 12), AMS)


def test_open_means_in_the_schedule_and_not_on_a_holiday():
    holidays = [entry("2026-12-25", "2026-12-26", yearly=True), entry("2026-12-31", from_time="12:00")]
    thursday_christmas = local(AMS, 2026, 12, 24, 9)  # Thursday 24 Dec: open
    assert is_open(OFFICE, holidays, thursday_christmas, AMS)
    assert not is_open(OFFICE, holidays, local(AMS, 2026, 12, 25, 9), AMS)  # Friday, Christmas
    assert in_weekly(OFFICE, local(AMS, 2026, 12, 25, 9), AMS)
    assert is_open(OFFICE, holidays, local(AMS, 2026, 12, 31, 11), AMS)
    assert not is_open(OFFICE, holidays, local(AMS, 2026, 12, 31, 12), AMS)
    # open Thu 24 Dec 9:00 -> closes 17:00, then stays closed over Christmas and the weekend -> Mon 28th 08:00
    closes = next_transition(OFFICE, holidays, thursday_christmas, AMS)
    assert closes == local(AMS, 2026, 12, 24, 17)
    assert next_transition(OFFICE, holidays, closes, AMS) == local(AMS, 2026, 12, 28, 8)
    # later years: the yearly entry again (25 Dec 2029 is a Tuesday), the one-off afternoon not
    assert in_weekly(OFFICE, local(AMS, 2029, 12, 25, 9), AMS)
    assert not is_open(OFFICE, holidays, local(AMS, 2029, 12, 25, 9), AMS)
    assert is_open(OFFICE, holidays, local(AMS, 2027, 12, 31, 14), AMS)  # Friday 31 Dec 2027


def test_precompiled_schedules_are_accepted():
    weekly, holidays = compile_weekly(OFFICE), compile_holidays([entry("2026-06-01")])
    assert not is_open(weekly, holidays, local(AMS, 2026, 6, 1, 9), AMS)
    assert is_open(weekly, holidays, local(AMS, 2026, 6, 2, 9), AMS)
    assert is_open({"periods": OFFICE}, {"entries": [entry("2026-06-01")]}, local(AMS, 2026, 6, 2, 9), AMS)


# -- lint ----------------------------------------------------------------------------------------------


def codes(warnings):
    return [(w["pointer"], w["code"]) for w in warnings]


def test_a_normal_office_week_has_no_warnings():
    assert lint(OFFICE) == []
    touching = OFFICE + [period("sat", "09:00", "sat", "12:00"), period("sat", "12:00", "sat", "13:00")]
    assert lint(touching) == []  # meeting periods do not overlap; closed Sunday is not a working day


def test_overlaps_are_reported_on_the_later_period():
    overlapping = [period("mon", "08:00", "mon", "12:00"), period("mon", "11:00", "mon", "14:00"),
                   period("sun", "22:00", "mon", "09:00")] + OFFICE[1:]
    found = lint(overlapping)
    assert ("/periods/1", "overlap") in codes(found)
    assert ("/periods/2", "overlap") in codes(found)  # wraps past Sunday into Monday 08:00-09:00
    assert [w["params"]["other"] for w in found if w["pointer"] == "/periods/1"] == [1]
    assert ("/periods/0", "overlap") not in codes(found)


def test_zero_length_and_week_wrapping_periods():
    found = lint([period("mon", "08:00", "mon", "08:00"), period("tue", "17:00", "tue", "08:00")] + OFFICE[2:])
    assert ("/periods/0", "zero_length") in codes(found)
    assert ("/periods/1", "wraps_week") in codes(found)


def test_a_working_day_without_any_period():
    no_wednesday = [p for p in OFFICE if p["from_day"] != "wed"]
    assert codes(lint(no_wednesday)) == [("/periods", "closed_weekday")]
    assert lint(no_wednesday)[0]["params"] == {"day": "wed"}
    # a night period from Tuesday into Wednesday counts as Wednesday being open
    assert lint(no_wednesday + [period("tue", "22:00", "wed", "02:00")]) == []
    assert lint([]) == []  # nothing at all: no schedule yet, nothing to point at


# -- properties ----------------------------------------------------------------------------------------

ZONES = sorted(available_timezones())
_minutes = st.integers(min_value=0, max_value=24 * 60 - 1)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


periods_st = st.lists(
    st.builds(
        lambda fd, ft, td, tt: period(fd, _hhmm(ft), td, "24:00" if tt == 24 * 60 else _hhmm(tt)),
        st.sampled_from(DAYS), _minutes, st.sampled_from(DAYS), st.integers(min_value=0, max_value=24 * 60),
    ),
    max_size=6,
)


def _entry(start, days, from_m, to_m, yearly):
    end = start + timedelta(days=days)
    from_time = _hhmm(from_m) if from_m is not None else None
    to_time = (_hhmm(to_m) if to_m < 24 * 60 else "24:00") if to_m is not None else None
    if days == 0 and (to_m if to_m is not None else 24 * 60) <= (from_m or 0):
        to_time = None  # the API refuses an end before the start on one day
    return entry(start.isoformat(), end.isoformat(), from_time, to_time, yearly)


holidays_st = st.lists(
    st.builds(
        _entry,
        st.dates(min_value=datetime(2000, 1, 1).date(), max_value=datetime(2199, 12, 31).date()),
        st.integers(min_value=0, max_value=20),
        st.none() | _minutes,
        st.none() | st.integers(min_value=1, max_value=24 * 60),
        st.booleans(),
    ),
    max_size=4,
)
instants_st = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2199, 1, 1), timezones=st.just(UTC))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(periods_st, st.none() | holidays_st, instants_st, st.sampled_from(ZONES))
def test_is_open_never_raises_and_next_transition_is_a_real_flip(periods, holidays, instant, zone):
    state = is_open(periods, holidays, instant, zone)
    assert isinstance(state, bool)
    lint(periods)
    flip = next_transition(periods, holidays, instant, zone)
    if flip is None:
        # nothing changes within 400 days: spot checks agree
        for days in (1, 37, 180, 399):
            assert is_open(periods, holidays, instant + timedelta(days=days), zone) == state
        return
    assert instant < flip <= instant + timedelta(days=400)
    assert is_open(periods, holidays, flip, zone) != state
    just_before = max(instant, flip - timedelta(seconds=1))
    assert is_open(periods, holidays, just_before, zone) == state
    # and nothing flipped earlier: the state holds on samples of [instant, flip)
    span = flip - instant
    for k in range(1, 16):
        assert is_open(periods, holidays, instant + span * k / 16, zone) == state
