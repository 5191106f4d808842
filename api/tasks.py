"""Celery tasks of the API: webhook deliveries."""

from celery import shared_task

from . import webhooks


@shared_task(bind=True, acks_late=True, time_limit=60, soft_time_limit=50)
def deliver_webhook_task(self, delivery_id: int) -> str:
    """One attempt at a delivery; on failure, again after an exponential
    backoff. Safe to run twice: ``attempt_delivery`` claims the row with a
    conditional UPDATE and does nothing for a delivery no longer pending."""
    outcome = webhooks.attempt_delivery(delivery_id)
    if outcome == webhooks.RETRY:
        countdown = webhooks.backoff_seconds(webhooks.attempts_of(delivery_id))
        raise self.retry(countdown=countdown, max_retries=None)
    return outcome
