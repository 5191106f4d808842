"""Reads: a user's inbox and unread count (only ever their own rows)."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import QuerySet

from . import messages
from .models import Notification
from .services import unread_key


def inbox(user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def unread_count(user) -> int:
    """The badge: cached per user until a fan-out adds rows (a generation
    counter moves on) or the user marks something read."""
    key = unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        cache.set(key, count, 300)
    return count


def rendered(notifications, *, firm: bool) -> list[dict]:
    """Subject, body and link of each row in the current language (no queries)."""
    return [
        {"n": n, "subject": messages.subject(n.kind, n.data),
         "body": messages.body(n.kind, n.data), "url": messages.link(n.kind, n.data, firm=firm)}
        for n in notifications
    ]
