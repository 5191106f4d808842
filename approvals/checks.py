"""``manage.py check`` warns when the holiday calendar lacks a year in use."""

from django.core.checks import Warning, register
from django.db import DatabaseError
from django.utils import timezone


@register()
def calendar_years_check(app_configs, **kwargs):
    from .calendar import years_missing

    try:
        missing = years_missing(timezone.localdate())
    except DatabaseError:
        return []  # tables not migrated yet
    return [
        Warning(
            f"The holiday calendar has no official arrangement for {year}; "
            "deadlines that year count Monday-Friday only.",
            hint="Add the State Council's arrangement in the admin "
            "(Holiday calendar) or run `manage.py load_holidays` after upgrading "
            "chinesecalendar.",
            id="approvals.W001",
        )
        for year in missing
    ]
