"""The Celery application.

The broker comes from ``CELERY_BROKER_URL`` (see settings): Kombu's filesystem
transport under ``var/`` by default, so ``make run`` starts a real worker and beat
without any server; Redis in production.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")

app = Celery("servicedesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The beat schedule lives in code (reviewed, versioned, the same on every
# machine). Times are Asia/Shanghai (CELERY_TIMEZONE).
app.conf.beat_schedule = {
    "escalate-overdue": {
        "task": "approvals.tasks.escalate_overdue_task",
        "schedule": 30 * 60,
    },
    # audit records past SECURITY["AUDIT_ONLINE_DAYS"] move to archive files
    "archive-audit-records": {
        "task": "audit.tasks.archive_audit_records_task",
        "schedule": crontab(hour=2, minute=30),
    },
    "publish-scheduled-pages": {
        "task": "cms.tasks.publish_scheduled_pages_task",
        "schedule": 5 * 60,
    },
    # integrity (#10): colour history at midnight, silent ladder, weekly sample
    "sweep-colours": {
        "task": "insight.tasks.sweep_colours_task",
        "schedule": crontab(hour=0, minute=5),
    },
    "scan-silent-tasks": {
        "task": "insight.tasks.scan_silent_tasks_task",
        "schedule": crontab(hour=7, minute=30, day_of_week="mon-fri"),
    },
    "draw-close-out-sample": {
        "task": "insight.tasks.draw_close_out_sample_task",
        "schedule": crontab(hour=6, minute=0, day_of_week="mon"),
    },
    # the dashboards' preset overviews (dashboards/cache.py): after midnight,
    # when the date in their cache keys turns every entry cold, and every half
    # hour in office hours, since entries unlooked-at for DASHBOARD_STALE_SECONDS
    # expire: a leader's first look is then a cache hit at most 30 minutes old
    "warm-dashboards": {
        "task": "dashboards.tasks.warm_overviews_task",
        "schedule": crontab(hour=0, minute=10),
    },
    "warm-dashboards-office-hours": {
        "task": "dashboards.tasks.warm_overviews_task",
        "schedule": crontab(minute="*/30", hour="7-19"),
    },
    # Monday 09:00: last week's visit reports and the below-quota notes
    "weekly-visit-reports": {
        "task": "visits.tasks.email_weekly_reports_task",
        "schedule": crontab(hour=9, minute=0, day_of_week="mon"),
    },
    # notifications (notifications/jobs.py): each idempotent by its delivery key,
    # so a beat that fires twice, or a catch-up after downtime, sends nothing twice
    "remind-deadlines": {
        "task": "notifications.tasks.remind_deadlines_task",
        "schedule": crontab(hour=8, minute=30),
    },
    # 催办通知书 the working day after a deadline (#10): a PDF per task and deadline
    "issue-chase-notices": {
        "task": "notifications.tasks.issue_chase_notices_task",
        "schedule": crontab(hour=8, minute=45),
    },
    "remind-callbacks": {
        "task": "notifications.tasks.remind_callbacks_task",
        "schedule": crontab(hour=9, minute=30),
    },
    "remind-licence-expiry": {
        "task": "notifications.tasks.remind_licence_expiry_task",
        "schedule": crontab(hour=8, minute=0),
    },
    "warn-calendar-missing": {
        "task": "notifications.tasks.warn_calendar_missing_task",
        "schedule": crontab(hour=8, minute=15, month_of_year=12),
    },
    "monthly-bulletin": {
        "task": "notifications.tasks.create_monthly_bulletin_task",
        "schedule": crontab(hour=7, minute=0, day_of_month=1),
    },
    # e-mails and SMS still pending after 10 minutes are queued again
    "sweep-pending-deliveries": {
        "task": "notifications.tasks.sweep_pending_deliveries_task",
        "schedule": 10 * 60,
    },
    # task events whose notices could not be queued (broker down) are caught up
    "sweep-task-events": {
        "task": "notifications.tasks.sweep_task_events_task",
        "schedule": 10 * 60,
    },
}
