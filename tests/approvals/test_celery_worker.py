"""The escalation job on a real Celery worker and a real broker (Redis in CI).

Marked ``redis``: `make test-celery` runs these with CELERY_BROKER_URL set.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

import pytest
from celery.contrib.testing.worker import start_worker

from approvals.choices import EventAction
from approvals.models import Task, TaskEvent
from approvals.tasks import escalate_overdue_task
from servicedesk.celery import app
from tests.factories import TaskFactory

# serialized_rollback like tests/notifications/test_worker.py: a plain
# transactional test's flush re-creates content types with new keys, and the
# next serialized test's reload then collides with them
pytestmark = [pytest.mark.redis,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def worker():
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("set CELERY_BROKER_URL=redis://... to run against a real broker")
    app.conf.task_always_eager = False
    app.conf.result_backend = settings.CELERY_BROKER_URL
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = True


def test_the_worker_escalates_overdue_tasks_once(worker):
    late = TaskFactory(overdue=True)
    Task.objects.filter(pk=late.pk).update(deadline_on=timezone.localdate() - timedelta(days=1))
    on_time = TaskFactory(in_progress=True)

    first = escalate_overdue_task.delay().get(timeout=30)
    second = escalate_overdue_task.delay().get(timeout=30)

    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.escalation_level == 1
    assert on_time.escalation_level == 0
    assert {int(k): v for k, v in first.items()}[1] == 1
    assert sum(second.values()) == 0  # idempotent: nothing left to claim
    assert TaskEvent.objects.filter(task=late, action=EventAction.ESCALATE).count() == 1
