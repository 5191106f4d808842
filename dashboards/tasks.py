"""Celery jobs of the dashboards."""

from __future__ import annotations

from datetime import date

from celery import shared_task


@shared_task(ignore_result=True)
def refresh_overview_task(start: str, end: str, department_id: int | None,
                          today: str) -> None:
    """Recompute a cached overview made stale by a change (``dashboards.cache``)."""
    from .selectors import refresh_overview

    refresh_overview(date.fromisoformat(start), date.fromisoformat(end), department_id,
                     date.fromisoformat(today))


@shared_task(ignore_result=True)
def warm_overviews_task() -> None:
    """The preset overviews (week, month, quarter, year) of the district and
    of each department, computed ahead of the first look
    (``selectors.warm_overviews``). On the beat (``servicedesk/celery.py``)
    shortly after midnight, when the date in the cache key turns every entry
    cold, and every half hour in office hours, so no preset's entry outlives
    ``DASHBOARD_STALE_SECONDS`` unlooked-at and a first look shows figures at
    most half an hour old."""
    from .selectors import warm_overviews

    warm_overviews()
