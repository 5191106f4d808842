"""The ledger's colour counts, cached until the tasks change.

The counts over the open tasks cost a scan of tens of thousands of rows at
city scale (about 100 ms of the ledger's first page), and the green count a
scan of every closed task; a coordinator's ledger asks for them on every page.
They are kept per query and day (``approvals.selectors.ledger_colour_counts``)
under a version token that is replaced after any commit that changes a task:
task events (``approvals.signals.events_recorded``: intake, transitions, the
escalation job) and any ``Task`` save or delete (the admin, repairs). An entry
made under an older token is never served, so with a shared cache (Redis,
``CACHE_URL``, as in production) the counts are exact. With the default
per-process memory cache another process's change reaches this one only when
the entry expires: ``DESK["LEDGER_COUNTS_CACHE_SECONDS"]`` bounds that lag.
The date is part of the key because deadlines turn tasks red at midnight.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from servicedesk import cache_tokens

from .models import Task
from .signals import events_recorded

VERSION_KEY = "ledger:counts:version"


def version() -> str:
    return cache_tokens.current(VERSION_KEY)


def bump() -> None:
    """Every cached count is stale from now on (the old entries expire)."""
    cache_tokens.replace(VERSION_KEY)


@receiver(events_recorded, dispatch_uid="ledger-counts-events")
def _on_events(sender, **kwargs) -> None:
    bump()  # sent after the commit already


@receiver(post_save, sender=Task, dispatch_uid="ledger-counts-task-saved")
@receiver(post_delete, sender=Task, dispatch_uid="ledger-counts-task-deleted")
def _on_task(sender, **kwargs) -> None:
    # after the commit, so no request caches the old counts under the new token
    transaction.on_commit(bump)
