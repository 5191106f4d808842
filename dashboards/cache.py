"""The overview's cache: figures per (scope, period, day), fresh for
``DESK["DASHBOARD_CACHE_SECONDS"]``, kept (and served stale) for
``DESK["DASHBOARD_STALE_SECONDS"]`` at most.

Each entry remembers the version token it was computed under and when its
computation started. The token is replaced when the closed loop commits task
events (``approvals.signals.events_recorded``: intake, assignment, resolution,
callbacks, the escalation job...) and when a visit is saved or deleted (quota
and coverage figures): every entry made before is then stale.

An entry is fresh while it was computed under the current token and less than
``DASHBOARD_CACHE_SECONDS`` ago: it is served as it is. An entry that is stale
(an older token, or ``DASHBOARD_CACHE_SECONDS`` old or more) but less than
``DASHBOARD_STALE_SECONDS`` old is served while a Celery job
(``dashboards.tasks.refresh_overview_task``) recomputes it, one job per entry
at a time (the mark lasts ``DASHBOARD_CACHE_SECONDS``: a job not done by then
may be scheduled again): a busy desk changes tasks every few seconds, and
recomputing the overview in the request after each change, or after each idle
spell, would make most leaders' page loads pay for every figure (seconds at
500,000 obstacles). So figures lag a change by the time the job takes, and
the first look after an idle spell shows the figures last computed; the page
says when they were computed. An entry ``DASHBOARD_STALE_SECONDS`` old or more
(no worker, say), or none, is computed in the request; the cache drops entries
after ``DASHBOARD_STALE_SECONDS`` (never less than ``DASHBOARD_CACHE_SECONDS``).
The date is part of the key because colours and "overdue" turn at midnight.
What nothing signals (an enterprise's key-firm flag edited in the admin, a
team's quota) shows once an entry is recomputed after it went stale by age:
the first look past ``DASHBOARD_CACHE_SECONDS`` schedules the job, the looks
after it see the change. ``DASHBOARD_CACHE_SECONDS`` <= 0 turns the cache off:
every look computes the figures.

With the default per-process memory cache a change reaches only the process
that made it, and a refresh job run by a worker fills the worker's cache, not
the web process's: so there, unless jobs run in the process
(``CELERY_TASK_ALWAYS_EAGER``), entries are kept only
``DASHBOARD_CACHE_SECONDS`` (stale ones served while that lasts, then computed
in the request), which is also how late a change in another process shows.
With Redis (``CACHE_URL``) every process sees the new token and the refreshed
entries at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
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
    """Make every cached overview stale (a new token; the old entries are
    served while refreshed, then expire)."""
    cache_tokens.replace(VERSION_KEY)


def _entry_key(key: str) -> str:
    return f"dashboards:entry:{key}"


def _refresh_key(key: str) -> str:
    return f"dashboards:refreshing:{key}"


def fresh_seconds() -> int:
    return settings.DESK["DASHBOARD_CACHE_SECONDS"]


def kept_seconds() -> int:
    """How long an entry may be served (fresh or stale), never less than it is
    fresh; only as long as it is fresh when a refresh job's result cannot reach
    this process (a per-process cache, jobs run by a worker)."""
    fresh = fresh_seconds()
    if isinstance(caches["default"], LocMemCache) and not settings.CELERY_TASK_ALWAYS_EAGER:
        return fresh
    return max(fresh, settings.DESK["DASHBOARD_STALE_SECONDS"])


def _entry(key: str) -> tuple[str, float, Any] | None:
    """(version, computed at, value) under ``key``, or None; an entry of another
    shape (left by an older release in a shared cache) counts as absent."""
    entry = cache.get(_entry_key(key))
    return entry if isinstance(entry, tuple) and len(entry) == 3 else None


def _fresh(entry: tuple[str, float, Any], now: float) -> bool:
    made_under, made_at, _value = entry
    return made_under == version() and now - made_at < fresh_seconds()


def cached(key: str, compute: Callable[[], Any],
           refresh: Callable[[], None] | None = None) -> Any:
    """The value under ``key``: fresh from the cache, else stale from the
    cache with ``refresh`` scheduled (after the commit, once per key at a
    time), else computed now."""
    seconds = fresh_seconds()
    if seconds <= 0:
        return compute()
    entry = _entry(key)
    now = time.time()
    if entry is not None:
        _made_under, made_at, value = entry
        if _fresh(entry, now):
            return value
        if refresh is not None and now - made_at < kept_seconds():
            # add() is atomic: one request schedules the job, the others serve
            # the stale figures meanwhile; the job deletes the mark when done
            if cache.add(_refresh_key(key), True, seconds):
                transaction.on_commit(refresh)
            return value
    return store(key, compute)


def store(key: str, compute: Callable[[], Any]) -> Any:
    """Compute and keep the value, marked with the version it was computed
    under and the time the computation started: a change committed meanwhile
    leaves it stale, so it is refreshed again."""
    current, started = version(), time.time()
    value = compute()
    cache.set(_entry_key(key), (current, started, value), kept_seconds())
    return value


def is_fresh(key: str) -> bool:
    """Whether ``key`` holds a fresh value (computed under the current version
    less than ``DASHBOARD_CACHE_SECONDS`` ago)."""
    entry = _entry(key)
    return entry is not None and _fresh(entry, time.time())


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
