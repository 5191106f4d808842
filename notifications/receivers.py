"""Listens to the closed loop. ``events_recorded`` arrives after the commit;
the receiver only queues one Celery message with the event ids (cheap), and
the worker fans the notices out set-wise (``jobs.notify_events_job``)."""

from django.dispatch import receiver

from approvals.signals import events_recorded


@receiver(events_recorded, dispatch_uid="notifications.events_recorded")
def queue_event_notices(sender, event_ids, **kwargs) -> None:
    from .tasks import notify_events_task

    notify_events_task.delay(list(event_ids))
