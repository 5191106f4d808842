"""Celery tasks of the visit log."""

from celery import shared_task

from notifications.jobs import weekly_visit_reports_job


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def email_weekly_reports_task() -> int:
    """Monday morning: last week's visit report to each team and the office,
    and a note to each staff member below quota, through the notifications
    (inbox, e-mail, SMS by preference; idempotent per week)."""
    return weekly_visit_reports_job()
