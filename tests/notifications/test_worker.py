"""Jobs on a real ``celery worker`` process and a real Redis broker.

Marked ``redis``: `make test-celery` runs them with CELERY_BROKER_URL and
DATABASE_URL (PostgreSQL: the worker process must reach the test database)
set. Each test uses its own queue name, so it neither takes nor leaves work
for another test's or another developer's worker on the same Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

import pytest

from approvals.choices import EventAction, Role
from approvals.models import Task, TaskEvent
from approvals.tasks import escalate_overdue_task
from notifications import jobs
from notifications.choices import SendState
from notifications.models import Delivery, JobRun
from servicedesk.celery import app
from tests.factories import TaskFactory, UserFactory

# serialized_rollback: the data migrations' rows (groups, industries) come back
# after each test's flush, for the next test
pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BASE_DIR = Path(settings.BASE_DIR)


def _wait(predicate, timeout=90.0, step=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


class Worker:
    """A ``celery worker`` subprocess on one queue (its own process group, so
    the test ends exactly the processes it started)."""

    def __init__(self, queue: str, mail_dir: Path, send_seconds: float):
        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.notifications.worker_settings",
            "TESTING": "1", "CELERY_TASK_ALWAYS_EAGER": "0",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "JOBS_TEST_QUEUE": queue, "JOBS_TEST_MAIL_DIR": str(mail_dir),
            "JOBS_TEST_SEND_SECONDS": str(send_seconds), "PYTHONPATH": str(BASE_DIR),
        }
        self.queue = queue
        self.log = mail_dir.parent / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - our own venv's celery
            [sys.executable, "-m", "celery", "-A", "servicedesk", "worker", "-Q", self.queue,
             "--pool=solo", "--concurrency=1", "--without-mingle", "--without-gossip",
             "--without-heartbeat", "-l", "info", "-n", f"{self.queue}-{uuid.uuid4().hex[:4]}@%h"],
            cwd=BASE_DIR, env=self.env, stdout=open(self.log, "wb"), stderr=subprocess.STDOUT,
            start_new_session=True)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


@pytest.fixture
def real_worker(tmp_path):
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("set CELERY_BROKER_URL=redis://... to run against a real broker")
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a shared database: set DATABASE_URL=postgres://...")
    queue = f"jobs-test-{uuid.uuid4().hex[:10]}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    started: list[Worker] = []
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue

    def make(send_seconds: float = 0.0) -> Worker:
        worker = Worker(queue, mail_dir, send_seconds)
        worker.start()
        started.append(worker)
        return worker

    make.mail_dir = mail_dir
    try:
        yield make
    finally:
        for worker in started:
            worker.kill()
        app.conf.task_always_eager = True
        app.conf.task_default_queue = "celery"
        with app.connection_for_write() as conn:  # leave nothing on Redis
            conn.default_channel.client.delete(
                queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def _sent(mail_dir: Path) -> Counter:
    return Counter(p.name.split("-")[1] for p in mail_dir.glob("sent-*.eml"))


def _started(mail_dir: Path) -> Counter:
    return Counter(p.name.split("-")[1] for p in mail_dir.glob("started-*"))


def test_the_escalation_job_end_to_end_on_a_worker_process(real_worker, dept):
    heads = [UserFactory(role=Role.DEPARTMENT_HEAD, department=dept) for _ in range(2)]
    late = TaskFactory(overdue=True, department=dept)
    Task.objects.filter(pk=late.pk).update(deadline_on=timezone.localdate() - timedelta(days=1))
    on_time = TaskFactory(in_progress=True, department=dept)
    real_worker()

    escalate_overdue_task.delay()
    assert _wait(lambda: Delivery.objects.filter(email_state=SendState.SENT).count() == 2), \
        "the worker did not escalate and mail in time"
    escalate_overdue_task.delay()  # a second beat
    assert _wait(lambda: JobRun.objects.filter(job="escalate_overdue",
                                               finished_at__isnull=False).count() == 2)
    time.sleep(2)  # let a wrong second round of mail show itself

    late.refresh_from_db()
    on_time.refresh_from_db()
    assert (late.escalation_level, on_time.escalation_level) == (1, 0)
    assert TaskEvent.objects.filter(task=late, action=EventAction.ESCALATE).count() == 1
    assert sorted(Delivery.objects.values_list("recipient", flat=True)) == sorted(
        h.pk for h in heads)
    assert sorted(_sent(real_worker.mail_dir).values()) == [1, 1]
    runs = list(JobRun.objects.filter(job="escalate_overdue").order_by("pk")
                .values_list("items", "errors"))
    assert runs == [(2, 0), (0, 0)]


def test_a_worker_killed_mid_batch_finishes_after_restart_without_duplicates(real_worker, dept):
    n = 10
    for _ in range(n):
        UserFactory(role=Role.DEPARTMENT_HEAD, department=dept)
    late = TaskFactory(overdue=True, department=dept)
    Task.objects.filter(pk=late.pk).update(deadline_on=timezone.localdate() - timedelta(days=1))
    jobs.escalate_overdue_job()  # commits, then queues one message per delivery
    assert Delivery.objects.count() == n
    mail_dir = real_worker.mail_dir

    first = real_worker(send_seconds=1.5)
    # wait until a few are out and the next one is in the middle of its send
    assert _wait(lambda: sum(_sent(mail_dir).values()) >= 3
                 and len(_started(mail_dir)) > len(_sent(mail_dir)), timeout=120)
    first.kill()
    interrupted = set(_started(mail_dir)) - set(_sent(mail_dir))
    assert len(interrupted) == 1
    done_before = sum(_sent(mail_dir).values())
    assert done_before < n, "the whole batch went out before the kill"

    real_worker(send_seconds=0.2)  # the restarted worker
    assert _wait(lambda: Delivery.objects.filter(email_state=SendState.SENT).count() == n,
                 timeout=120), "the batch did not complete after the restart"
    time.sleep(2)

    sent = _sent(mail_dir)
    assert set(sent) == {str(pk) for pk in Delivery.objects.values_list("pk", flat=True)}
    assert set(sent.values()) == {1}  # nothing twice, nothing lost
    (pk,) = interrupted
    assert _started(mail_dir)[pk] == 2  # the interrupted send really was redone
    assert Delivery.objects.get(pk=pk).email_attempts == 1  # the killed try left no trace
