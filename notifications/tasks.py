"""Celery tasks of the notifications app: ids in, one service call, out.

Every task acknowledges late (a worker killed mid-task leaves its message to
be delivered again) and has time limits; the senders retry transient failures
with exponential backoff. Running any of them twice is harmless: the jobs'
unique delivery key and the senders' claim make the second run a no-op.
"""

from celery import shared_task

from . import jobs, services

JOB_OPTIONS = {"acks_late": True, "time_limit": 600, "soft_time_limit": 540}


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, time_limit=60, soft_time_limit=45,
    autoretry_for=services.TRANSIENT_ERRORS, retry_backoff=30, retry_backoff_max=3600,
    retry_jitter=True, max_retries=6,
)
def send_delivery_task(self, delivery_id: int, channel: str) -> bool:
    """Send one delivery on one channel (e-mail or SMS). The last attempt marks
    it failed and counts the error on its job run."""
    return services.send_delivery(delivery_id=delivery_id, channel=channel,
                                  final=self.request.retries >= self.max_retries)


@shared_task(**JOB_OPTIONS)
def notify_events_task(event_ids: list[int]) -> int:
    """Notify people of task events (from ``approvals.signals.events_recorded``)."""
    return jobs.notify_events_job(event_ids)


@shared_task(**JOB_OPTIONS)
def remind_deadlines_task() -> int:
    return jobs.deadline_reminder_job()


@shared_task(**JOB_OPTIONS)
def remind_callbacks_task() -> int:
    return jobs.callback_due_job()


@shared_task(**JOB_OPTIONS)
def remind_licence_expiry_task() -> int:
    return jobs.licence_expiry_job()


@shared_task(bind=True, **JOB_OPTIONS)
def issue_chase_notices_task(self) -> dict:
    """The working day after a deadline: chase notices (催办通知书), a batch
    per run; queues itself again while notices are still owed."""
    result = jobs.chase_notices_job()
    # only while it gets somewhere: a batch that failed whole waits for the beat
    if result.get("more") and result.get("issued"):
        self.apply_async(countdown=5)
    return result


@shared_task(**JOB_OPTIONS)
def warn_calendar_missing_task() -> int:
    return jobs.calendar_warning_job()


@shared_task(**JOB_OPTIONS)
def create_monthly_bulletin_task() -> int:
    return jobs.monthly_bulletin_job()


@shared_task(**JOB_OPTIONS)
def sweep_pending_deliveries_task() -> int:
    return jobs.sweep_pending_job()


@shared_task(**JOB_OPTIONS)
def sweep_task_events_task() -> int:
    return jobs.event_sweep_job()
