"""The overview's cache: figures per (scope, period, day), kept for
``DESK["DASHBOARD_CACHE_SECONDS"]`` at most.

Each entry remembers the version token it was computed under. The token is
replaced when the closed loop commits task events
(``approvals.signals.events_recorded``: intake, assignment, resolution,
callbacks, the escalation job...) and when a visit is saved or deleted (quota
and coverage figures): every entry made before is then stale.

A stale entry is served once more while a Celery job
(``dashboards.tasks.refresh_overview_task``) recomputes it, one job per entry
at a time: a busy desk changes tasks every few seconds, and recomputing the
overview in the request after each change would make most leaders' page loads
pay for every figure (seconds at 500,000 obstacles). So figures lag a change
by the time the job takes; the page says when they were computed. A stale
entry is never older than the timeout: past it (no worker, say) the request
computes the figures itself. The date is part of the key because colours and
"overdue" turn at midnight. What nothing signals (an enterprise's key-firm
flag edited in the admin, a team's quota) shows within the timeout.

With the default per-process memory cache a change reaches only the process
that made it, the others within the timeout; with Redis (``CACHE_URL``) every
process sees the new token at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from approvals.signals import events_recorded
from servicedesk import cache_tokens
from visits.models import Visit

VERSION_KEY = "dashboards:version"


def version() -> str:
    return cache_tokens.current(VERSION_KEY)


def bump() -> None:
    """Drop every cached overview (a new token; the old entries expire)."""
    cache_tokens.replace(VERSION_KEY)


def _entry_key(key: str) -> str:
    return f"dashboards:entry:{key}"


def _refresh_key(key: str) -> str:
    return f"dashboards:refreshing:{key}"


def cached(key: str, compute: Callable[[], Any],
           refresh: Callable[[], None] | None = None) -> Any:
    """The value under ``key``: fresh from the cache, else stale from the
    cache with ``refresh`` scheduled (after the commit, once per key at a
    time), else computed now."""
    seconds = settings.DESK["DASHBOARD_CACHE_SECONDS"]
    if seconds <= 0:
        return compute()
    current = version()
    entry = cache.get(_entry_key(key))
    if entry is not None:
        made_under, value = entry
        if made_under == current:
            return value
        if refresh is not None:
            # add() is atomic: one request schedules the job, the others serve
            # the stale figures meanwhile; the job deletes the mark when done
            if cache.add(_refresh_key(key), True, seconds):
                transaction.on_commit(refresh)
            return value
    return store(key, compute)


def store(key: str, compute: Callable[[], Any]) -> Any:
    """Compute and keep the value, marked with the version it was computed
    under: a change committed meanwhile leaves it stale, so it is refreshed
    again."""
    current = version()
    value = compute()
    cache.set(_entry_key(key), (current, value), settings.DESK["DASHBOARD_CACHE_SECONDS"])
    return value


def is_fresh(key: str) -> bool:
    """Whether ``key`` holds a value computed under the current version."""
    entry = cache.get(_entry_key(key))
    return entry is not None and entry[0] == version()


def refreshed(key: str) -> None:
    """The refresh job of ``key`` has ended (done or failed)."""
    cache.delete(_refresh_key(key))


@receiver(events_recorded, dispatch_uid="dashboards-events")
def _on_events(sender, **kwargs) -> None:
    bump()


@receiver(post_save, sender=Visit, dispatch_uid="dashboards-visit-saved")
@receiver(post_delete, sender=Visit, dispatch_uid="dashboards-visit-deleted")
def _on_visit(sender, **kwargs) -> None:
    # after the commit, so no request caches the old figures under the new token
    transaction.on_commit(bump)
