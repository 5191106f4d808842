"""Working days on China's official calendar.

A day is a working day when the ``Holiday`` table says so (public holidays on
weekdays are not, make-up weekends 调休 are); otherwise Monday to Friday are.
The table is seeded from ``chinesecalendar`` and edited in the admin; a year
with no entry falls back to Monday-Friday (``year_has_data`` tells which).

The exceptions of a year are read once and kept in the process cache for an hour,
keyed by a version that ``Holiday`` saves bump, so every web and worker process
sees an admin's edit without a restart.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from .models import Holiday

_VERSION_KEY = "calendar:version"


def _version() -> int:
    return cache.get_or_set(_VERSION_KEY, 1, None)


def _exceptions(year: int) -> dict[date, bool]:
    key = f"calendar:{_version()}:{year}"
    found = cache.get(key)
    if found is None:
        found = dict(
            Holiday.objects.filter(date__year=year).values_list("date", "is_working_day")
        )
        cache.set(key, found, 3600)
    return found


@receiver([post_save, post_delete], sender=Holiday)
def _holiday_changed(**kwargs) -> None:
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:
        cache.set(_VERSION_KEY, 2, None)


def year_has_data(year: int) -> bool:
    """True when the calendar knows the official arrangement of ``year``."""
    return bool(_exceptions(year))


def is_working_day(d: date) -> bool:
    """Is ``d`` a working day on the official calendar?"""
    exceptions = _exceptions(d.year)
    if d in exceptions:
        return exceptions[d]
    return d.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after ``start`` (day 1 is the first working day after
    it; ``start`` itself never counts). ``n`` must be at least 1."""
    if n < 1:
        raise ValueError("n must be at least 1")
    d, year, exceptions = start, None, {}
    while n:
        d += timedelta(days=1)
        if d.year != year:  # one cache read per year crossed, not per day
            year, exceptions = d.year, _exceptions(d.year)
        if exceptions.get(d, d.weekday() < 5):
            n -= 1
    return d


def working_days_ago(today: date, n: int) -> date:
    """The latest day ``d`` whose ``n`` following working days have all ended
    before ``today``: something dated ``d`` or earlier is ``n`` working days
    late (or old) today. Level-2 escalation and the callback reminder use it."""
    d = today - timedelta(days=1)
    while add_working_days(d, n) >= today:
        d -= timedelta(days=1)
    return d


def _weekdays_after(a: date, b: date) -> int:
    """Mondays to Fridays after ``a`` up to and including ``b`` (a <= b)."""
    weeks, rest = divmod((b - a).days, 7)
    first = a.weekday()
    return weeks * 5 + sum(1 for i in range(1, rest + 1) if (first + i) % 7 < 5)


def working_days_between(a: date, b: date) -> int:
    """Working days after ``a`` up to and including ``b``; negative when b < a.

    ``working_days_between(d, add_working_days(d, n)) == n``. Arithmetic on
    the weekdays, corrected by the year's exceptions that fall in the range:
    constant time for any span (the KPIs call it for thousands of spans).
    """
    if b < a:
        return -working_days_between(b, a)
    count = _weekdays_after(a, b)
    if a == b:
        return 0
    for year in range((a + timedelta(days=1)).year, b.year + 1):
        for d, working in _exceptions(year).items():
            if a < d <= b and working != (d.weekday() < 5):
                count += 1 if working else -1
    return count


def deadline_for(assigned_at: datetime, n: int) -> date:
    """The deadline of a task assigned at ``assigned_at`` with a limit of ``n``
    working days: the end of the n-th working day after the local assignment date."""
    return add_working_days(timezone.localdate(assigned_at), n)


def end_of_day(d: date) -> datetime:
    """The last instant of ``d`` in the desk's time zone."""
    return timezone.make_aware(datetime.combine(d, time.max))


def years_missing(today: date) -> list[int]:
    """Years the desk is counting in without official data: this year, and any
    later year in which an open task's deadline falls."""
    from django.db.models import Max

    from .choices import OPEN_STATES
    from .models import Task

    last = Task.objects.filter(state__in=OPEN_STATES).aggregate(m=Max("deadline_on"))["m"]
    years = range(today.year, max(today.year, last.year if last else today.year) + 1)
    return [y for y in years if not year_has_data(y)]
