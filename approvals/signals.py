"""Signals other apps listen to instead of reaching into the closed loop.

``events_recorded`` is sent after the transaction that wrote task events has
committed (never for a rolled-back change), with ``event_ids``: the primary keys
of the ``TaskEvent`` rows written. Notifications, webhooks and the colour
history subscribe to it; receivers must be quick or hand work to Celery.
A set-wise job (``escalate_overdue``) sends one signal for all its rows.
"""

from django.db import transaction
from django.dispatch import Signal

events_recorded = Signal()


def announce(event_ids) -> None:
    """Send ``events_recorded`` for these events once the current transaction commits."""
    ids = [pk for pk in event_ids if pk is not None]
    if not ids:
        return

    def send():
        from .models import TaskEvent

        events_recorded.send(sender=TaskEvent, event_ids=ids)

    transaction.on_commit(send)
