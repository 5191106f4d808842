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
    "publish-scheduled-pages": {
        "task": "cms.tasks.publish_scheduled_pages_task",
        "schedule": 5 * 60,
    },
    "weekly-visit-reports": {
        "task": "visits.tasks.email_weekly_reports_task",
        "schedule": crontab(hour=8, minute=0, day_of_week="mon"),
    },
}
