"""Celery tasks of the closed loop: small, idempotent, calling one service."""

from celery import shared_task

from notifications.jobs import escalate_overdue_job


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def escalate_overdue_task() -> dict[int, int]:
    """督办: escalate overdue tasks set-wise (``approvals.services.escalate_overdue``,
    which claims rows with a conditional UPDATE, so a second run finds nothing)
    and notify heads, owners and leaders in the same transaction; recorded as a
    job run."""
    return escalate_overdue_job()
