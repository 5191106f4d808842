"""The working-day calendar on China's official 2026 arrangement."""

from datetime import date, timedelta

import pytest

from approvals.calendar import (
    add_working_days,
    deadline_for,
    is_working_day,
    working_days_ago,
    working_days_between,
    year_has_data,
    years_missing,
)
from approvals.models import Holiday

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 2, 13), True),  # Friday before the Spring Festival
        (date(2026, 2, 14), True),  # make-up Saturday (调休)
        (date(2026, 2, 16), False),  # Monday of the Spring Festival
        (date(2026, 2, 23), False),  # last day of the holiday, a Monday
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # make-up Saturday after the festival
        (date(2026, 3, 1), False),  # plain Sunday
        (date(2026, 9, 20), True),  # make-up Sunday before National Day
        (date(2026, 10, 1), False),
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # make-up Saturday after National Day
        (date(2026, 10, 11), False),
    ],
)
def test_official_2026_days(day, expected):
    assert is_working_day(day) is expected


def test_day_one_is_the_first_working_day_after_start():
    assert add_working_days(date(2026, 11, 23), 1) == date(2026, 11, 24)  # Mon -> Tue
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Fri -> Mon


def test_adding_across_the_spring_festival_counts_make_up_saturdays():
    # Thu 12 Feb + 1 = Fri 13, + 2 = Sat 14 (make-up), + 3 = Tue 24 (after the holiday)
    assert add_working_days(date(2026, 2, 12), 1) == date(2026, 2, 13)
    assert add_working_days(date(2026, 2, 12), 2) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 12), 3) == date(2026, 2, 24)


def test_adding_across_national_day():
    # Tue 29 Sep: 30 Sep is working, then 1-7 Oct off, 8 Oct Thu, 9 Fri, 10 Sat (make-up)
    assert add_working_days(date(2026, 9, 29), 1) == date(2026, 9, 30)
    assert add_working_days(date(2026, 9, 29), 2) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 29), 4) == date(2026, 10, 10)
    assert add_working_days(date(2026, 9, 29), 5) == date(2026, 10, 12)


def test_working_days_between_inverts_add():
    start = date(2026, 2, 10)
    for n in range(1, 25):
        assert working_days_between(start, add_working_days(start, n)) == n
    # one working day (8 Oct) lies after 30 Sep up to 8 Oct
    assert working_days_between(date(2026, 10, 8), date(2026, 9, 30)) == -1
    assert working_days_between(start, start) == 0


def test_working_days_between_agrees_with_counting_day_by_day():
    """The arithmetic (weekdays, corrected by the year's exceptions) against
    counting each day on ``is_working_day``, for every span starting on any
    weekday across the 2025/2026/2027 year ends, the Spring Festival with its
    make-up Saturdays and National Day."""
    def by_day(a, b):
        return sum(is_working_day(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))

    starts = [date(2025, 12, 24) + timedelta(days=i) for i in range(0, 60, 3)]
    starts += [date(2026, 9, 24) + timedelta(days=i) for i in range(9)]
    for a in starts:
        for length in (0, 1, 2, 5, 6, 7, 8, 13, 20, 31, 45, 200, 400):
            b = a + timedelta(days=length)
            assert working_days_between(a, b) == by_day(a, b), (a, b)
            assert working_days_between(b, a) == -by_day(a, b)


def test_n_below_one_is_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 5), 0)


def test_deadline_counts_from_the_local_date_of_assignment():
    import datetime as dt
    from zoneinfo import ZoneInfo

    # 23:30 on Friday in Shanghai is 15:30 UTC the same day: day 1 is Monday
    assigned = dt.datetime(2026, 11, 27, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert deadline_for(assigned, 1) == date(2026, 11, 30)


def test_a_year_without_data_falls_back_to_monday_to_friday():
    assert not year_has_data(2031)
    assert is_working_day(date(2031, 10, 1))  # a Wednesday: no data, so working
    assert not is_working_day(date(2031, 10, 4))  # Saturday
    assert years_missing(date(2031, 5, 1)) == [2031]
    assert years_missing(date(2026, 5, 1)) == []


def test_an_admin_edit_of_the_table_is_seen_at_once():
    assert is_working_day(date(2026, 12, 1))
    Holiday.objects.create(date=date(2026, 12, 1), is_working_day=False, name="测试")
    assert not is_working_day(date(2026, 12, 1))


@pytest.mark.parametrize("today, n, expected", [
    # Wednesday: Monday's two following working days end on Wednesday itself,
    # so the Sunday before is the last day two working days have passed
    (date(2026, 11, 25), 2, date(2026, 11, 22)),
    (date(2026, 11, 25), 1, date(2026, 11, 23)),
    # after National Day (1-7 October off): the whole holiday week's one
    # following working day is 8 October, already over on the 9th
    (date(2026, 10, 9), 1, date(2026, 10, 7)),
])
def test_working_days_ago_is_the_last_day_n_working_days_have_passed(today, n, expected):
    assert working_days_ago(today, n) == expected
    assert add_working_days(expected, n) < today
    assert add_working_days(expected + timedelta(days=1), n) >= today
