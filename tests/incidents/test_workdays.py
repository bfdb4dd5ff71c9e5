"""The working-day calendar, checked on specific 2026 dates from the State Council's schedule."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from incidents.clock.models import CalendarDay
from incidents.clock.workdays import add_working_days, is_working_day, next_business_moment, within_business_hours

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "day,working",
    [
        (date(2026, 1, 1), False),  # New Year's Day
        (date(2026, 1, 2), False),  # day off, made up on Sunday 4 January
        (date(2026, 1, 4), True),  # make-up working day (a Sunday)
        (date(2026, 2, 14), True),  # Saturday worked before the Spring Festival
        (date(2026, 2, 16), False),  # Spring Festival's eve
        (date(2026, 2, 17), False),
        (date(2026, 2, 20), False),
        (date(2026, 2, 23), False),  # Monday, still off
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday worked after the Spring Festival
        (date(2026, 9, 20), True),  # Sunday worked before National Day
        (date(2026, 9, 25), False),  # Mid-Autumn Festival
        (date(2026, 10, 1), False),
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # Saturday worked after National Day
        (date(2026, 11, 21), False),  # an ordinary Saturday
        (date(2026, 11, 23), True),  # an ordinary Monday
    ],
)
def test_specific_days(day, working):
    assert is_working_day(day) is working


def test_admin_corrections_win():
    CalendarDay.objects.create(date=date(2026, 11, 23), kind="holiday", name="company day off")
    CalendarDay.objects.create(date=date(2026, 11, 21), kind="workday", name="make-up")
    assert not is_working_day(date(2026, 11, 23))
    assert is_working_day(date(2026, 11, 21))


def test_working_days_across_the_spring_festival():
    # Friday 13 Feb, 10:00. Day 1: Saturday 14 Feb (make-up). Then 15 Sun, 16-20 festival, 21-22
    # weekend, 23 Mon off; day 2: Tuesday 24 Feb, due at the close of business.
    start = datetime(2026, 2, 13, 10, 0, tzinfo=SH)
    assert add_working_days(start, 1) == datetime(2026, 2, 14, 18, 0, tzinfo=SH)
    assert add_working_days(start, 2) == datetime(2026, 2, 24, 18, 0, tzinfo=SH)


def test_working_days_from_a_day_off_count_from_the_next_working_day():
    saturday = datetime(2026, 11, 21, 15, 0, tzinfo=SH)
    assert add_working_days(saturday, 1) == datetime(2026, 11, 23, 18, 0, tzinfo=SH)
    assert add_working_days(saturday, 0) == datetime(2026, 11, 23, 18, 0, tzinfo=SH)


def test_a_make_up_day_added_by_an_admin_counts():
    CalendarDay.objects.create(date=date(2027, 1, 9), kind="workday", name="make-up (published late)")
    friday = datetime(2027, 1, 8, 10, 0, tzinfo=SH)
    assert add_working_days(friday, 1) == datetime(2027, 1, 9, 18, 0, tzinfo=SH)


@pytest.mark.parametrize(
    "moment,expected",
    [
        (datetime(2026, 11, 23, 10, 30, tzinfo=SH), datetime(2026, 11, 23, 10, 30, tzinfo=SH)),
        (datetime(2026, 11, 23, 7, 0, tzinfo=SH), datetime(2026, 11, 23, 9, 0, tzinfo=SH)),
        (datetime(2026, 11, 23, 21, 0, tzinfo=SH), datetime(2026, 11, 24, 9, 0, tzinfo=SH)),
        (datetime(2026, 11, 21, 12, 0, tzinfo=SH), datetime(2026, 11, 23, 9, 0, tzinfo=SH)),
        (datetime(2026, 9, 30, 19, 0, tzinfo=SH), datetime(2026, 10, 8, 9, 0, tzinfo=SH)),
    ],
)
def test_quiet_hours(moment, expected):
    assert next_business_moment(moment) == expected


def test_business_hours_setting(settings):
    settings.CRISIS_BUSINESS_HOURS = "08:30-17:30"
    assert within_business_hours(datetime(2026, 11, 23, 8, 45, tzinfo=SH))
    assert not within_business_hours(datetime(2026, 11, 23, 17, 45, tzinfo=SH))
    assert add_working_days(datetime(2026, 11, 23, 9, 0, tzinfo=SH), 1) == datetime(2026, 11, 24, 17, 30, tzinfo=SH)
