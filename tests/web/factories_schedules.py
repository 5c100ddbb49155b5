"""Factories for time and holiday schedules (see tests/web/factories.py)."""

from __future__ import annotations

from web.models.schedule import HolidaySchedule, TimeSchedule

OFFICE_HOURS = [
    {"from_day": day, "from_time": "08:00", "to_day": day, "to_time": "17:00"} for day in ("mon", "tue", "wed", "thu", "fri")
]
CHRISTMAS = [{"start_date": "2026-12-25", "end_date": "2026-12-26", "from_time": None, "to_time": None,
              "yearly": True, "description": "Christmas"}]


def _row(db, row) -> int:
    with db() as session:
        session.add(row)
        session.flush()
        return row.id


def time_schedule(db, settings, tenant_id, owner, periods=None, name="Office hours") -> int:
    return _row(db, TimeSchedule(tenant_id=tenant_id, name=name, periods=OFFICE_HOURS if periods is None else periods))


def holiday_schedule(db, settings, tenant_id, owner, entries=None, name="Holidays NL") -> int:
    return _row(db, HolidaySchedule(tenant_id=tenant_id, name=name, entries=CHRISTMAS if entries is None else entries))


FACTORIES = {
    TimeSchedule: time_schedule,
    HolidaySchedule: holiday_schedule,
}
