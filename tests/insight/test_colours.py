"""Time in colour: the history written from events, the sweep, the KPIs.

November 2026 has no holiday. A task with a limit of 5 working days assigned
Monday 2 Nov is due Monday 9 Nov; from Tuesday 10 Nov 00:00 it is red.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from approvals import colours, services
from approvals.choices import Channel, Colour, TaskRole
from approvals.models import ColourSpan
from approvals.selectors import kpis
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def at(d: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, d, hour, 0, tzinfo=SH)


def spans(task):
    return list(ColourSpan.objects.filter(task=task).order_by("started_at", "pk")
                .values_list("colour", "working_days"))


@pytest.fixture
def lead(staff, enterprise, category, django_capture_on_commit_callbacks):
    with time_machine.travel(at(2, 9), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        obstacle = services.obstacle_submit(
            actor=staff, enterprise=enterprise, category=category, title="用地规划",
            description="规划条件未出具。", channel=Channel.VISIT)
    return obstacle.tasks.get(role=TaskRole.LEAD)


def run(when, fn, capture, **kwargs):
    with time_machine.travel(when, tick=False), capture(execute=True):
        return fn(**kwargs)


def test_events_record_each_colour_change_with_red_from_midnight_after_the_deadline(
        lead, coordinator, officer, staff, dept, django_capture_on_commit_callbacks):
    cap = django_capture_on_commit_callbacks
    run(at(2), services.task_assign, cap, task_id=lead.pk, actor=coordinator, department=dept)
    run(at(2, 11), services.task_accept, cap, task_id=lead.pk, actor=officer)
    assert spans(lead) == [(Colour.YELLOW, None)]
    # the overdue job runs on Wednesday: red counts from Tuesday 00:00
    run(at(11, 1), services.escalate_overdue, cap)
    red = ColourSpan.objects.get(task=lead, colour=Colour.RED)
    assert red.started_at == datetime(2026, 11, 10, 0, 0, tzinfo=SH)
    assert red.department_id == dept.pk
    run(at(13), services.task_resolve, cap, task_id=lead.pk, actor=officer, resolution="已出具")
    # yellow Mon 2 → Tue 10 (6 working days), red Tue 10 → Fri 13 (3), green open
    assert spans(lead) == [(Colour.YELLOW, 6), (Colour.RED, 3), (Colour.GREEN, None)]
    assert colours.red_working_days(lead, today=date(2026, 11, 20)) == 3


def test_a_reopened_task_turns_yellow_again_and_a_second_red_adds_up(
        lead, coordinator, officer, staff, dept, django_capture_on_commit_callbacks):
    cap = django_capture_on_commit_callbacks
    run(at(2), services.task_assign, cap, task_id=lead.pk, actor=coordinator, department=dept)
    run(at(2, 11), services.task_accept, cap, task_id=lead.pk, actor=officer)
    run(at(3), services.task_escalate, cap, task_id=lead.pk, actor=coordinator, level=1,
        reason="领导关注")
    run(at(5), services.task_resolve, cap, task_id=lead.pk, actor=officer, resolution="办结")
    run(at(6), services.task_callback, cap, task_id=lead.pk, actor=staff, is_reached=True,
        rating=1)
    # reopened (in progress, not escalated, new deadline): yellow again
    assert [c for c, _d in spans(lead)] == [Colour.YELLOW, Colour.RED, Colour.GREEN,
                                             Colour.YELLOW]
    assert colours.red_working_days(lead, today=date(2026, 11, 30)) == 2


def test_sweep_backfills_once_and_turns_passed_deadlines_red(dept):
    with time_machine.travel(at(2), tick=False):
        open_task = TaskFactory(in_progress=True, department=dept)
        done = TaskFactory(resolved=True, department=dept)
    with time_machine.travel(at(4), tick=False):
        assert colours.sweep() == 2
        assert colours.sweep() == 0
    assert spans(done) == [(Colour.GREEN, None)]
    with time_machine.travel(at(12), tick=False):
        assert colours.sweep() == 1
    red = ColourSpan.objects.get(task=open_task, colour=Colour.RED)
    assert red.started_at == datetime(2026, 11, 10, 0, 0, tzinfo=SH)
    assert colours.red_working_days(open_task, today=date(2026, 11, 12)) == 2


def test_kpis_median_days_red_per_department_in_constant_queries(
        dept, other_dept, django_assert_max_num_queries):
    """zrzy: tasks red 2, 4 and 9 days (9 = 3 closed + 6 open) → median 4;
    scjg: one task red 1 day → 1; all: [1, 2, 4, 9] → 3.0."""
    def red_task(department, *parts):
        with time_machine.travel(at(2), tick=False):
            task = TaskFactory(in_progress=True, department=department)
        for start, end, days in parts:
            ColourSpan.objects.create(task=task, colour=Colour.RED, department=department,
                                      started_at=at(start), ended_at=end and at(end),
                                      working_days=days)
        return task

    red_task(dept, (3, 5, 2))
    red_task(dept, (3, 9, 4))
    red_task(dept, (3, 6, 3), (20, None, None))  # open since Fri 20: 6 days to Mon 30
    red_task(other_dept, (4, 5, 1))
    with time_machine.travel(at(30), tick=False):
        with django_assert_max_num_queries(5):
            total, rows = kpis(date(2026, 11, 1), date(2026, 11, 30))
        for _ in range(15):
            red_task(dept, (3, 4, 1))
        with django_assert_max_num_queries(5):
            kpis(date(2026, 11, 1), date(2026, 11, 30))
    by = {r.department.code: r for r in rows}
    assert (by["zrzy"].median_days_red, by["zrzy"].red_tasks) == (4, 3)
    assert (by["scjg"].median_days_red, by["scjg"].red_tasks) == (1, 1)
    assert total.median_days_red == 3.0


def test_red_days_histogram_counts_tasks_alike_and_opens_on_the_local_day(
        dept, other_dept):
    """The histogram is grouped in the database: tasks with the same closed
    days and open span start count together; the open span's working days
    start from its local (Shanghai) day. Today is Monday 30 November.

    a, b: closed 2 (3-5 Nov), no open span: 2 days each;
    c: closed 1, open since Tue 24 Nov 00:30 in Shanghai (Mon 23 in UTC):
       1 + 4 (Wed 25, Thu 26, Fri 27, Mon 30) = 5, not 1 + 5;
    d: open since Tue 24 Nov 10:00 (no closed span): 4;
    e (other department): open since Mon 30 Nov 00:30 in Shanghai (Sun 29 in
       UTC): 0, not 1."""
    def red_task(department, *parts):
        with time_machine.travel(at(2), tick=False):
            task = TaskFactory(in_progress=True, department=department)
        for start, end, days in parts:
            ColourSpan.objects.create(task=task, colour=Colour.RED, department=department,
                                      started_at=start, ended_at=end, working_days=days)
        return task

    red_task(dept, (at(3), at(5), 2))
    red_task(dept, (at(3), at(5), 2))
    red_task(dept, (at(3), at(4), 1), (at(24, 0).replace(minute=30), None, None))
    red_task(dept, (at(24), None, None))
    red_task(other_dept, (at(30, 0).replace(minute=30), None, None))
    from approvals.models import Task

    histogram = colours.red_days_by_task(Task.objects.all(), today=date(2026, 11, 30),
                                         since=at(1, 0))
    assert histogram == {dept.pk: {2: 2, 5: 1, 4: 1}, other_dept.pk: {0: 1}}


def test_a_failing_history_write_never_breaks_the_request(lead, monkeypatch, caplog):
    from django.db import DatabaseError

    def boom(*a, **k):
        raise DatabaseError("down")

    monkeypatch.setattr(colours, "record", boom)
    colours.record_colour_changes(sender=None, event_ids=[1])
    assert "colour history not recorded" in caplog.text
