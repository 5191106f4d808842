"""Listens to the closed loop. ``events_recorded`` arrives after the commit;
the receiver only queues one Celery message with the event ids (cheap), and
the worker fans the notices out set-wise (``jobs.notify_events_job``)."""

import logging

from django.dispatch import receiver

from kombu.exceptions import OperationalError

from approvals.signals import events_recorded

log = logging.getLogger(__name__)


@receiver(events_recorded, dispatch_uid="notifications.events_recorded")
def queue_event_notices(sender, event_ids, **kwargs) -> None:
    """The transition has committed: a broker that is down must not turn the
    user's success into an error page. ``jobs.event_sweep_job`` (every 10
    minutes) notifies what was not queued."""
    from .tasks import notify_events_task

    try:
        notify_events_task.delay(list(event_ids))
    except OperationalError:
        log.exception("could not queue the notices of events %s; the sweep will", event_ids)
