"""Delivering the silent-task ladder (``insight.SilentNudge``): the owner on
each rung, the department's heads too on the last; once, through the delivery
log; ``delivered_at`` stamped.

Last event Monday 2 Nov 2026 (no holidays in November): 5 working days silent
on Monday 9 Nov, 10 on Monday 16 Nov, 20 on Monday 30 Nov.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.core import mail
from django.utils import translation

import pytest
import time_machine

from approvals import services as task_services
from approvals.choices import Channel, TaskRole
from insight import services as insight_services
from insight.models import SilentNudge
from insight.tasks import scan_silent_tasks_task
from notifications import jobs
from notifications.choices import Kind
from notifications.models import Delivery, JobRun, Notification, NotificationPreference

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def make_silent(actor, enterprise, category, coordinator, dept, *, accept_by=None, title="规划条件"):
    """A task whose last event is on Monday 2 Nov."""
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=SH), tick=False):
        obstacle = task_services.obstacle_submit(
            actor=actor, enterprise=enterprise, category=category, title=title,
            description="规划条件迟迟未出具。", channel=Channel.VISIT)
        task = obstacle.tasks.get(role=TaskRole.LEAD)
        task_services.task_assign(task_id=task.pk, actor=coordinator, department=dept)
        if accept_by is not None:
            task_services.task_accept(task_id=task.pk, actor=accept_by)
    return task


@pytest.fixture
def silent_task(staff, enterprise, category, coordinator, dept, officer):
    return make_silent(staff, enterprise, category, coordinator, dept, accept_by=officer)


def scan_and_deliver(day, run_on_commit):
    insight_services.silent_scan(today=day)
    return run_on_commit(jobs.silent_nudges_job)


def told(user):
    return list(Notification.objects.filter(recipient=user, kind=Kind.SILENT_TASK)
                .order_by("pk").values_list("data__days", "data__copied"))


def test_the_owner_on_each_rung_and_the_head_too_on_the_last(
        silent_task, officer, head, run_on_commit):
    assert scan_and_deliver(date(2026, 11, 9), run_on_commit) == 1
    assert scan_and_deliver(date(2026, 11, 9), run_on_commit) == 0
    assert told(officer) == [(5, 0)] and told(head) == []
    scan_and_deliver(date(2026, 11, 16), run_on_commit)
    assert scan_and_deliver(date(2026, 11, 30), run_on_commit) == 2
    assert told(officer) == [(5, 0), (10, 0), (20, 0)]
    assert told(head) == [(20, 1)]
    assert not SilentNudge.objects.filter(delivered_at__isnull=True).exists()
    assert [sorted(m.to) for m in mail.outbox].count([head.email]) == 1
    assert len(mail.outbox) == 4
    note = Notification.objects.filter(recipient=officer).first()
    assert note.data["since"] == "2026-11-02" and note.data["task"] == silent_task.pk


def test_a_task_without_owner_goes_to_the_head_on_every_rung(
        staff, enterprise, category, coordinator, dept, head, run_on_commit):
    make_silent(staff, enterprise, category, coordinator, dept)
    scan_and_deliver(date(2026, 11, 9), run_on_commit)
    scan_and_deliver(date(2026, 11, 30), run_on_commit)  # 10 and 20 at once: only 20
    assert [days for days, _copied in told(head)] == [5, 20]
    assert Delivery.objects.filter(kind=Kind.SILENT_TASK).count() == 2


def test_running_twice_or_after_a_crash_sends_nothing_twice(silent_task, officer,
                                                            run_on_commit):
    insight_services.silent_scan(today=date(2026, 11, 9))
    run_on_commit(jobs.silent_nudges_job)
    # a crash after the deliveries were written but before delivered_at stuck
    SilentNudge.objects.update(delivered_at=None)
    assert run_on_commit(jobs.silent_nudges_job) == 0
    assert Delivery.objects.filter(kind=Kind.SILENT_TASK).count() == 1
    assert len(mail.outbox) == 1
    runs = list(JobRun.objects.filter(job="silent_nudges").values_list("result", flat=True))
    assert runs == [{"claimed": 1}, {"claimed": 1}]


def test_a_reminder_whose_silence_ended_meanwhile_is_not_sent(
        silent_task, staff, enterprise, category, coordinator, dept, officer, run_on_commit):
    other = make_silent(staff, enterprise, category, coordinator, dept, accept_by=officer,
                        title="另一个")
    insight_services.silent_scan(today=date(2026, 11, 9))  # written, not yet delivered
    with time_machine.travel(datetime(2026, 11, 9, 11, tzinfo=SH), tick=False):
        task_services.task_add_note(task_id=silent_task.pk, actor=officer, comment="已对接")
        task_services.task_resolve(task_id=other.pk, actor=officer, resolution="已办结")

    assert run_on_commit(jobs.silent_nudges_job) == 0
    assert not SilentNudge.objects.filter(delivered_at__isnull=True).exists()
    assert told(officer) == []


def test_the_daily_task_scans_then_delivers(silent_task, officer):
    with time_machine.travel(datetime(2026, 11, 9, 7, 30, tzinfo=SH), tick=False):
        scan_silent_tasks_task.delay()
    assert told(officer) == [(5, 0)]


def test_the_message_is_in_the_readers_language(silent_task, officer, head, run_on_commit):
    NotificationPreference.objects.create(user=officer, language="en")
    scan_and_deliver(date(2026, 11, 9), run_on_commit)
    message = mail.outbox[0]
    assert message.subject.startswith("No progress for 5 working days: #")
    assert "no recorded progress for 5 working days (last event on 2026-11-02" in message.body
    assert f"/tasks/{silent_task.pk}/" in message.body


@pytest.mark.parametrize("n", [2, 12])
def test_delivery_takes_the_same_queries_for_any_number(
        staff, enterprise, category, coordinator, dept, officer, head, n,
        django_assert_max_num_queries):
    for i in range(n):
        make_silent(staff, enterprise, category, coordinator, dept, accept_by=officer,
                    title=f"规划条件{i}")
    insight_services.silent_scan(today=date(2026, 11, 30))
    with django_assert_max_num_queries(14), translation.override("en"):
        assert jobs.silent_nudges_job() == 2 * n
