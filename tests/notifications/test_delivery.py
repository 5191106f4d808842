"""Sending: retries with backoff on a failing mail server, errors recorded,
the rest of the batch delivered; SMS through its backend; the words in the
recipient's language; the events_recorded receiver."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.utils import timezone, translation

import pytest

from approvals import services as task_services
from approvals.choices import Role
from approvals.models import Task
from notifications import jobs, sms
from notifications.choices import Kind, SendState
from notifications.models import Delivery, JobRun, Notification, NotificationPreference
from notifications.tasks import send_delivery_task
from servicedesk.celery import app
from tests.factories import MembershipFactory, TaskFactory, UserFactory
from tests.notifications import backends

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing_mail(settings):
    settings.EMAIL_BACKEND = "tests.notifications.backends.FailForOneAddressBackend"
    backends.attempts.clear()
    # a failed task keeps its error in its result, as on a worker, instead of
    # raising into the loop that queues the batch
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


def test_a_failing_address_is_retried_recorded_and_does_not_stop_the_batch(
        failing_mail, dept, run_on_commit):
    heads = [UserFactory(role=Role.DEPARTMENT_HEAD, department=dept) for _ in range(4)]
    broken = heads[1]
    broken.email = "broken@example.gov.cn"
    broken.save()
    task = TaskFactory(overdue=True, department=dept)
    Task.objects.filter(pk=task.pk).update(deadline_on=timezone.localdate() - timedelta(days=1))

    run_on_commit(jobs.escalate_overdue_job)

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        h.email for h in heads if h != broken)
    assert backends.attempts[broken.email] == send_delivery_task.max_retries + 1
    failed = Delivery.objects.get(recipient=broken)
    assert failed.email_state == SendState.FAILED
    assert failed.email_attempts == send_delivery_task.max_retries + 1
    assert "SMTPRecipientsRefused" in failed.email_error
    run = JobRun.objects.get(job="escalate_overdue")
    assert run.errors == 1 and f"#{failed.pk}" in run.error_text
    # the inbox does not depend on the mail server
    assert Notification.objects.filter(recipient=broken).exists()


def test_backoff_is_exponential_and_bounded():
    assert send_delivery_task.retry_backoff == 30
    assert send_delivery_task.retry_backoff_max == 3600
    assert send_delivery_task.acks_late and send_delivery_task.reject_on_worker_lost
    assert send_delivery_task.time_limit and send_delivery_task.soft_time_limit


def test_a_delivery_is_sent_once_whatever_the_number_of_messages(dept, head, run_on_commit):
    task = TaskFactory(overdue=True, department=dept)
    Task.objects.filter(pk=task.pk).update(deadline_on=timezone.localdate() - timedelta(days=1))
    jobs.escalate_overdue_job()  # dispatch not run
    delivery = Delivery.objects.get()
    for _ in range(3):  # a redelivered message, the sweeper, a duplicate
        send_delivery_task.delay(delivery.pk, "email")
    assert len(mail.outbox) == 1
    delivery.refresh_from_db()
    assert delivery.email_state == SendState.SENT and delivery.email_attempts == 1


def test_sms_goes_through_the_file_backend(tmp_path, settings, dept, head, run_on_commit):
    settings.SMS_BACKEND = "notifications.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path)
    NotificationPreference.objects.create(user=head, sms=True, email=False)
    head.profile.mobile = "13800001234"
    head.profile.save()
    task = TaskFactory(overdue=True, department=dept)
    Task.objects.filter(pk=task.pk).update(deadline_on=timezone.localdate() - timedelta(days=1))

    run_on_commit(jobs.escalate_overdue_job)

    (log,) = tmp_path.glob("*.jsonl")
    line = log.read_text(encoding="utf-8")
    assert '"to": "13800001234"' in line and task.obstacle.title in line
    assert Delivery.objects.get().sms_state == SendState.SENT


def test_e_mail_in_the_recipients_language(dept, head, officer, run_on_commit):
    NotificationPreference.objects.create(user=head, language="en")
    task = TaskFactory(overdue=True, department=dept, owner=officer)
    Task.objects.filter(pk=task.pk).update(deadline_on=timezone.localdate() - timedelta(days=1))

    run_on_commit(jobs.escalate_overdue_job)

    by_to = {m.to[0]: m for m in mail.outbox}
    assert by_to[head.email].subject.startswith("Escalated")
    assert by_to[officer.email].subject.startswith("督办")  # the desk's default: Chinese
    assert f"/tasks/{task.pk}/" in by_to[head.email].body


# ------------------------------------------------------------------ task events


def test_assignment_owner_and_resolution_reach_the_right_people(
        staff, coordinator, officer, head, firm, enterprise, category, dept,
        django_capture_on_commit_callbacks):
    def act(fn, **kw):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kw)

    with translation.override("en"):
        obstacle = act(task_services.obstacle_submit, actor=staff, enterprise=enterprise,
                       category=category, title="用地审批", description="慢", channel="visit")
        task = obstacle.tasks.get()
        act(task_services.task_assign, task_id=task.pk, actor=coordinator, department=dept)
        act(task_services.task_set_owner, task_id=task.pk, actor=head, owner=officer)
        act(task_services.task_accept, task_id=task.pk, actor=officer)
        act(task_services.task_resolve, task_id=task.pk, actor=officer, resolution="已办")

    def kinds(user):
        return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))

    assert kinds(head) == [Kind.TASK_ASSIGNED]
    assert kinds(officer) == [Kind.OWNER_SET]
    assert kinds(staff) == [Kind.TASK_RESOLVED]  # the recorder makes the callback
    assert kinds(firm) == [Kind.OBSTACLE_UPDATE] * 3  # assigned, accepted, resolved
    assert kinds(coordinator) == []
    firm_actions = sorted(n.data["action"] for n in Notification.objects.filter(recipient=firm))
    assert firm_actions == ["accept", "assign", "resolve"]


def test_a_firm_hears_only_of_its_own_obstacles(firm, firm2, enterprise, dept, coordinator,
                                                django_capture_on_commit_callbacks):
    task = TaskFactory(obstacle__enterprise=enterprise)
    with django_capture_on_commit_callbacks(execute=True):
        task_services.task_assign(task_id=task.pk, actor=coordinator, department=dept)
    assert Notification.objects.filter(recipient=firm).count() == 1
    assert not Notification.objects.filter(recipient=firm2).exists()


def test_a_return_tells_the_coordinators(coordinator, officer, dept, category,
                                         django_capture_on_commit_callbacks):
    task = TaskFactory(obstacle__category=category)
    with django_capture_on_commit_callbacks(execute=True):
        task_services.task_assign(task_id=task.pk, actor=coordinator, department=dept)
    with django_capture_on_commit_callbacks(execute=True):
        task_services.task_return(task_id=task.pk, actor=officer, reason="不归我们")
    note = Notification.objects.get(recipient=coordinator)
    assert note.kind == Kind.TASK_RETURNED and note.data["department"] == dept.name


def test_the_receiver_only_queues_one_message(monkeypatch, coordinator, dept,
                                              django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr("notifications.tasks.notify_events_task.delay",
                        lambda ids: queued.append(ids))
    task = TaskFactory()
    with django_capture_on_commit_callbacks(execute=True):
        task_services.task_assign(task_id=task.pk, actor=coordinator, department=dept)
    assert len(queued) == 1 and len(queued[0]) == 1
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("n", [5, 50])
def test_event_fan_out_query_count_does_not_grow(n, dept, head, coordinator, leader,
                                                 django_assert_max_num_queries):
    tasks = [TaskFactory(obstacle__enterprise=MembershipFactory().enterprise) for _ in range(n)]
    for t in tasks:
        task_services.task_assign(task_id=t.pk, actor=coordinator, department=dept)
    from approvals.models import TaskEvent

    ids = list(TaskEvent.objects.values_list("pk", flat=True))
    with django_assert_max_num_queries(16):
        created = jobs.notify_events_job(ids)
    assert created == 2 * n  # the head and the firm's user of each
    assert not sms.outbox


def test_a_broker_outage_is_caught_up_by_the_event_sweep(monkeypatch, coordinator, head, dept,
                                                         django_capture_on_commit_callbacks):
    from kombu.exceptions import OperationalError

    jobs.event_sweep_job()  # the first sweep sets its mark

    def down(ids):
        raise OperationalError("broker down")

    monkeypatch.setattr("notifications.tasks.notify_events_task.delay", down)
    task = TaskFactory()
    with django_capture_on_commit_callbacks(execute=True):  # the user's request succeeds
        task_services.task_assign(task_id=task.pk, actor=coordinator, department=dept)
    assert not Delivery.objects.exists()

    assert jobs.event_sweep_job() == 1
    assert Notification.objects.get(recipient=head).kind == Kind.TASK_ASSIGNED
    assert jobs.event_sweep_job() == 0
