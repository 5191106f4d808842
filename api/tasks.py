"""Celery tasks of the API: webhook deliveries."""

from celery import shared_task

from . import webhooks


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50)
def deliver_webhook_task(delivery_id: int) -> str:
    """One attempt at a delivery; on failure, the next attempt is queued after
    an exponential backoff (a new message with a countdown, so no worker sits
    waiting). Safe to run twice: ``attempt_delivery`` claims the row with a
    conditional UPDATE and does nothing for a delivery no longer pending."""
    outcome = webhooks.attempt_delivery(delivery_id)
    if outcome == webhooks.RETRY:
        countdown = webhooks.backoff_seconds(webhooks.attempts_of(delivery_id))
        deliver_webhook_task.apply_async((delivery_id,), countdown=countdown)
    return outcome
