"""Chinese working days: weekends and public holidays off, make-up working days (调休) on.

The `holidays` package supplies the State Council's schedule (holidays, and make-up working days
as `weekend_workdays`); CalendarDay rows, edited by admins, correct or extend it and always win.
Business hours come from the CRISIS_BUSINESS_HOURS setting ("09:00-18:00").
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from django.conf import settings
from django.utils import timezone

from .models import CalendarDay, CalendarDayKind


@lru_cache(maxsize=16)
def _official(year: int) -> tuple[frozenset[date], frozenset[date]]:
    calendar = holidays.China(years=year)
    days_off = frozenset(d for d in calendar if d.year == year)
    make_up = frozenset(d for d in getattr(calendar, "weekend_workdays", ()) if d.year == year)
    return days_off, make_up


def business_hours() -> tuple[time, time]:
    raw = getattr(settings, "CRISIS_BUSINESS_HOURS", "09:00-18:00")
    start, end = (time.fromisoformat(part.strip()) for part in raw.split("-"))
    return start, end


def _overrides(start: date, end: date) -> dict[date, str]:
    return dict(CalendarDay.objects.filter(date__gte=start, date__lte=end).values_list("date", "kind"))


class WorkingCalendar:
    """Answers working-day questions for a span of dates with one query for the admin's corrections."""

    def __init__(self, start: date, end: date) -> None:
        self.overrides = _overrides(start, end)

    def is_working_day(self, day: date) -> bool:
        override = self.overrides.get(day)
        if override == CalendarDayKind.HOLIDAY:
            return False
        if override == CalendarDayKind.WORKDAY:
            return True
        days_off, make_up = _official(day.year)
        if day in make_up:
            return True
        if day in days_off:
            return False
        return day.weekday() < 5


def is_working_day(day: date) -> bool:
    return WorkingCalendar(day, day).is_working_day(day)


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment)


def calendar_for(start: datetime, count: int) -> WorkingCalendar:
    """A calendar wide enough to count `count` working days from `start`."""
    day = _local(start).date()
    # Long holidays (Spring Festival, National Day) are at most ~9 days; leave generous room.
    return WorkingCalendar(day, day + timedelta(days=count * 2 + 30))


def add_working_days(start: datetime, count: int, calendar: WorkingCalendar | None = None) -> datetime:
    """The moment by which something "within `count` working days" of `start` is due: the close of
    business on the count-th working day after the day of `start`. Pass a `calendar_for` the
    largest count to count several limits from one start with one query."""
    if count < 0:
        raise ValueError("count must not be negative")
    local = _local(start)
    if calendar is None:
        calendar = calendar_for(start, count)
    day = local.date()
    if count == 0:
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            remaining -= 1
    _, close = business_hours()
    return timezone.make_aware(datetime.combine(day, close), timezone.get_current_timezone())


def within_business_hours(moment: datetime) -> bool:
    local = _local(moment)
    opens, closes = business_hours()
    return is_working_day(local.date()) and opens <= local.time() < closes


def next_business_moment(moment: datetime) -> datetime:
    """`moment` if it falls in business hours on a working day, else the next opening time.
    Customer call-backs are scheduled with this: never at night, never on a day off."""
    local = _local(moment)
    opens, closes = business_hours()
    calendar = WorkingCalendar(local.date(), local.date() + timedelta(days=40))
    day = local.date()
    if calendar.is_working_day(day) and local.time() < closes:
        if local.time() >= opens:
            return moment
        return timezone.make_aware(datetime.combine(day, opens), timezone.get_current_timezone())
    day += timedelta(days=1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, opens), timezone.get_current_timezone())
