"""Version tokens for caches that must drop every entry at once.

A cache keeps entries computed under a token; replacing the token makes all of
them stale without finding or deleting them (they expire by themselves). The
ledger's colour counts (``approvals.ledger_cache``) and the dashboards'
overviews (``dashboards.cache``) each keep one under their own key.
"""

from __future__ import annotations

import secrets

from django.core.cache import cache


def current(key: str) -> str:
    """The token under ``key``, made on first use."""
    token = cache.get(key)
    if token is None:
        token = secrets.token_hex(8)
        # add, not set: two processes starting together agree on one token
        if not cache.add(key, token, None):
            token = cache.get(key) or token
    return token


def replace(key: str) -> None:
    """A new token under ``key``: everything cached under the old one is stale."""
    cache.set(key, secrets.token_hex(8), None)
