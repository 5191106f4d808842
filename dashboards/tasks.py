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
    """This month's overview of the district and of each department, computed
    ahead of the first look (``selectors.warm_overviews``): for a beat entry
    shortly after midnight, when the date in the cache key turns every entry
    cold."""
    from .selectors import warm_overviews

    warm_overviews()
