"""Celery tasks of the visit log."""

from celery import shared_task

from .reports import email_weekly_reports


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def email_weekly_reports_task() -> int:
    """Monday morning: mail last week's visit reports."""
    return email_weekly_reports()
