"""The overview's cache: figures per (scope, period, day), for
``DESK["DASHBOARD_CACHE_SECONDS"]`` at most.

Every key carries a version token. The token is replaced (so every cached
overview is dropped at once) when the closed loop commits task events
(``approvals.signals.events_recorded``: intake, assignment, resolution,
callbacks, the escalation job...) and when a visit is saved or deleted (quota
and coverage figures). The date is part of the key because colours and
"overdue" turn at midnight. What nothing signals (an enterprise's key-firm flag
edited in the admin, a team's quota) shows within the timeout.

With the default per-process memory cache a change reaches only the process
that made it, the others within the timeout; with Redis (``CACHE_URL``) every
process sees the new token at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from approvals.signals import events_recorded
from visits.models import Visit

VERSION_KEY = "dashboards:version"


def version() -> str:
    token = cache.get(VERSION_KEY)
    if token is None:
        token = secrets.token_hex(8)
        # add, not set: two processes starting together agree on one token
        if not cache.add(VERSION_KEY, token, None):
            token = cache.get(VERSION_KEY) or token
    return token


def bump() -> None:
    """Drop every cached overview (a new token; the old entries expire)."""
    cache.set(VERSION_KEY, secrets.token_hex(8), None)


def cached(key: str, compute: Callable[[], Any]) -> Any:
    seconds = settings.DESK["DASHBOARD_CACHE_SECONDS"]
    if seconds <= 0:
        return compute()
    full_key = f"dashboards:{version()}:{key}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, seconds)
    return value


@receiver(events_recorded, dispatch_uid="dashboards-events")
def _on_events(sender, **kwargs) -> None:
    bump()


@receiver(post_save, sender=Visit, dispatch_uid="dashboards-visit-saved")
@receiver(post_delete, sender=Visit, dispatch_uid="dashboards-visit-deleted")
def _on_visit(sender, **kwargs) -> None:
    # after the commit, so no request caches the old figures under the new token
    transaction.on_commit(bump)
