"""Seed the ``Holiday`` table from the ``chinesecalendar`` package."""

from __future__ import annotations


def official_exceptions() -> list[tuple]:
    """(date, is_working_day, name) for every day the package knows that breaks
    Monday-Friday: holidays on weekdays and make-up working weekends."""
    import chinese_calendar

    rows = []
    for d, name in chinese_calendar.constants.holidays.items():
        if d.weekday() < 5:
            rows.append((d, False, str(name)))
    for d, name in chinese_calendar.constants.workdays.items():
        if d.weekday() >= 5:
            rows.append((d, True, str(name)))
    return sorted(rows)


def load_holidays(Holiday, *, overwrite: bool = False) -> int:
    """Insert the package's exceptions; keep rows edited in the admin unless
    ``overwrite``. Returns the number of rows written."""
    existing = set(Holiday.objects.values_list("date", flat=True))
    new = [
        Holiday(date=d, is_working_day=w, name=n)
        for d, w, n in official_exceptions()
        if d not in existing
    ]
    Holiday.objects.bulk_create(new, batch_size=500)
    written = len(new)
    if overwrite:
        for d, w, n in official_exceptions():
            if d in existing:
                written += Holiday.objects.filter(date=d).update(is_working_day=w, name=n)
    return written
