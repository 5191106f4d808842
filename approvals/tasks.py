"""Celery tasks of the closed loop: small, idempotent, calling one service."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def escalate_overdue_task() -> dict[int, int]:
    """督办: escalate overdue tasks set-wise. Safe to run twice: the service
    claims rows with a conditional UPDATE, so a second run finds nothing."""
    return services.escalate_overdue()
