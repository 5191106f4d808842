"""Celery tasks of integrity checks: small, idempotent, set-wise."""

from datetime import timedelta

from django.utils import timezone

from celery import shared_task

from approvals import colours

from . import services


@shared_task(acks_late=True, time_limit=900, soft_time_limit=840)
def sweep_colours_task() -> int:
    """Daily: red from midnight for deadlines that passed, and the history of
    tasks that have none yet. Running twice opens nothing new."""
    return colours.sweep()


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def scan_silent_tasks_task() -> dict[int, int]:
    """Daily: the silent-task ladder; a rung is written once per silence, then
    the new reminders are delivered (inbox, e-mail, SMS by preference). A run
    that died between the two leaves its reminders undelivered, and the next
    run delivers them."""
    from notifications.jobs import silent_nudges_job

    counts = services.silent_scan()
    silent_nudges_job()
    return counts


@shared_task(acks_late=True, time_limit=600, soft_time_limit=540)
def draw_close_out_sample_task() -> int:
    """Mondays: the sample of last week's closed tasks (once per week)."""
    last_monday = services.week_start(timezone.localdate()) - timedelta(days=7)
    return services.sample_draw(monday=last_monday).pk
