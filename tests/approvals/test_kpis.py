"""KPIs on a small fixture computed by hand.

November 2026 has no holiday: Monday 2 Nov + 5 working days = Monday 9 Nov.
Everything is driven through the services on a frozen clock.

    task  dept   story                                            days  on time  rating
    A1    zrzy   resolved Wed 4 Nov, rated 5, closed out            2    yes      5
    A2    zrzy   resolved Fri 6 Nov, rated 4 (closing)              4    yes      4
    A3    zrzy   resolved Tue 10 Nov, a day late, rated 3           6    no       3
    A4    zrzy   still in progress                                  -    -        -
    A5    zrzy   returned by zrzy the same day, reassigned to scjg  (counts for scjg)
    B1    scjg   resolved Thu 5 Nov, rated 2: reopened, in progress -    -        2
    B2    scjg   resolved Tue 3 Nov, not yet called back            1    yes      -
    B3    scjg   still in progress                                  -    -        -
    A5    scjg   assigned, not accepted                             -    -        -
    C     zrzy   assigned 1 Dec: outside the period
    R     -      rejected, never assigned: not received by anyone

    zrzy: received 4, handed 5 (A1-A5), resolved 3 (75.0%), on time 2/3 (66.7%),
          satisfied 2/3 (66.7%), returns 1 (0.2 per hand-over), median days of
          [2, 4, 6] = 4
    scjg: received 4, handed 4, resolved 1 (25.0%), on time 1/1 (100.0%),
          satisfied 0/1 (0.0%), returns 0 (0.0), median of [1] = 1
    all:  received 8, handed 9, resolved 4 (50.0%), on time 3/4 (75.0%), satisfied
          2/4 (50.0%), returns 1 (0.11), median of [1, 2, 4, 6] = 3

The 推诿 index is returns over the times tasks were handed to the department
(assignments and rulings in the period), so the task zrzy returned counts once
in its denominator although it no longer belongs to zrzy.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from approvals import services
from approvals.choices import (
    ApprovalKind,
    ApprovalStatus,
    Channel,
    RejectReason,
    TaskRole,
    TaskState,
)
from approvals.models import Task
from approvals.selectors import kpis

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOV_1, NOV_30 = date(2026, 11, 1), date(2026, 11, 30)


def at(m: int, d: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, m, d, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def clock():
    with time_machine.travel(at(11, 2), tick=False) as traveller:
        yield traveller


@pytest.fixture
def desk(clock, staff, coordinator, officer, other_officer, enterprise, category, dept,
         other_dept):
    """Drive the table in the module docstring; returns its lead tasks by name."""
    officers = {dept.pk: officer, other_dept.pk: other_officer}

    def take_in(name: str) -> Task:
        obstacle = services.obstacle_submit(
            actor=staff, enterprise=enterprise, category=category, title=f"诉求{name}",
            description="企业反映的问题。", channel=Channel.VISIT,
        )
        return obstacle.tasks.get(role=TaskRole.LEAD)

    def assign(task: Task, department, accept: bool = True) -> Task:
        services.task_assign(task_id=task.pk, actor=coordinator, department=department)
        if accept:
            services.task_accept(task_id=task.pk, actor=officers[department.pk])
        return task

    def resolve(task: Task, day: int) -> None:
        clock.move_to(at(11, day, 16))
        owner = Task.objects.get(pk=task.pk).owner
        services.task_resolve(task_id=task.pk, actor=owner, resolution="已办结")

    def rate(task: Task, rating: int) -> None:
        services.task_callback(task_id=task.pk, actor=staff, is_reached=True, rating=rating)

    t = {}
    for name in ("A1", "A2", "A3", "A4"):
        t[name] = assign(take_in(name), dept)
    for name in ("B1", "B2", "B3"):
        t[name] = assign(take_in(name), other_dept)
    t["A5"] = assign(take_in("A5"), dept, accept=False)
    services.task_return(task_id=t["A5"].pk, actor=officer, reason="属于市场监管职责")
    assign(t["A5"], other_dept, accept=False)
    rejected = take_in("R")
    services.task_reject(task_id=rejected.pk, actor=coordinator,
                         reason=RejectReason.OUT_OF_SCOPE, comment="不属于受理范围")

    resolve(t["B2"], 3)
    resolve(t["A1"], 4)
    rate(t["A1"], 5)
    services.close_out_decide(
        approval_id=t["A1"].approvals.get(kind=ApprovalKind.CLOSE_OUT,
                                          status=ApprovalStatus.PENDING).pk,
        actor=coordinator, approve=True,
    )
    resolve(t["B1"], 5)
    rate(t["B1"], 2)
    resolve(t["A2"], 6)
    rate(t["A2"], 4)
    resolve(t["A3"], 10)  # deadline was Monday 9 Nov
    rate(t["A3"], 3)

    clock.move_to(at(12, 1))
    t["C"] = assign(take_in("C"), dept)
    clock.move_to(at(12, 2, 16))
    services.task_resolve(task_id=t["C"].pk, actor=officer, resolution="已办结")
    rate(t["C"], 1)
    return {name: Task.objects.get(pk=task.pk) for name, task in t.items()}


def test_the_fixture_is_what_the_table_says(desk, dept, other_dept):
    states = {name: (task.state, task.department, task.resolution_working_days,
                     task.resolved_on_time, task.rating) for name, task in desk.items()}
    assert states == {
        "A1": (TaskState.CLOSED, dept, 2, True, 5),
        "A2": (TaskState.CLOSING, dept, 4, True, 4),
        "A3": (TaskState.CLOSING, dept, 6, False, 3),
        "A4": (TaskState.IN_PROGRESS, dept, None, None, None),
        "A5": (TaskState.ASSIGNED, other_dept, None, None, None),
        "B1": (TaskState.IN_PROGRESS, other_dept, None, None, 2),
        "B2": (TaskState.RESOLVED, other_dept, 1, True, None),
        "B3": (TaskState.IN_PROGRESS, other_dept, None, None, None),
        "C": (TaskState.IN_PROGRESS, dept, None, None, 1),
    }
    assert desk["A5"].transfer_count == 1


def figures(row) -> dict:
    return {
        "received": row.received,
        "handed": row.handed,
        "resolved": row.resolved,
        "resolved_on_time": row.resolved_on_time,
        "rated": row.rated,
        "satisfied": row.satisfied,
        "returns": row.returns,
        "completion_rate": row.completion_rate,
        "on_time_rate": row.on_time_rate,
        "satisfaction_rate": row.satisfaction_rate,
        "returns_per_task": row.returns_per_task,
        "median_days": row.median_days,
    }


ZRZY = {
    "received": 4, "handed": 5, "resolved": 3, "resolved_on_time": 2, "rated": 3, "satisfied": 2,
    "returns": 1, "completion_rate": 75.0, "on_time_rate": 66.7, "satisfaction_rate": 66.7,
    "returns_per_task": 0.2, "median_days": 4.0,
}
SCJG = {
    "received": 4, "handed": 4, "resolved": 1, "resolved_on_time": 1, "rated": 1,
    "satisfied": 0, "returns": 0, "completion_rate": 25.0, "on_time_rate": 100.0, "satisfaction_rate": 0.0,
    "returns_per_task": 0.0, "median_days": 1.0,
}
ALL = {
    "received": 8, "handed": 9, "resolved": 4, "resolved_on_time": 3, "rated": 4,
    "satisfied": 2, "returns": 1, "completion_rate": 50.0, "on_time_rate": 75.0,
    "satisfaction_rate": 50.0, "returns_per_task": 0.11, "median_days": 3.0,
}


def test_every_figure_per_department_and_the_league_order(desk, dept, other_dept):
    total, league = kpis(NOV_1, NOV_30)

    assert [row.department for row in league] == [dept, other_dept]
    assert figures(league[0]) == ZRZY
    assert figures(league[1]) == SCJG
    assert total.department is None
    assert figures(total) == ALL


def test_one_department_alone(desk, other_dept):
    total, league = kpis(NOV_1, NOV_30, department=other_dept)

    assert [row.department for row in league] == [other_dept]
    assert figures(league[0]) == SCJG
    assert figures(total) == SCJG


def test_december_holds_only_the_task_assigned_then(desk, dept):
    total, league = kpis(date(2026, 12, 1), date(2026, 12, 31))

    assert [row.department for row in league] == [dept]
    assert figures(total) == {
        "received": 1, "handed": 1, "resolved": 0, "resolved_on_time": 0, "rated": 1, "satisfied": 0,
        "returns": 0, "completion_rate": 0.0, "on_time_rate": None, "satisfaction_rate": 0.0,
        "returns_per_task": 0.0, "median_days": None,
    }


def test_an_empty_period_has_no_rows_and_no_rates(db):
    total, league = kpis(date(2026, 1, 1), date(2026, 1, 31))

    assert league == []
    assert (total.received, total.completion_rate, total.on_time_rate,
            total.satisfaction_rate, total.returns_per_task, total.median_days) == (
        0, None, None, None, None, None)


def test_the_period_is_counted_in_local_days(clock, staff, coordinator, enterprise, category,
                                             dept):
    for moment in (at(11, 30, 23, 30), at(12, 1, 0, 10)):  # 15:30 and 16:10 UTC on 30 Nov
        clock.move_to(moment)
        obstacle = services.obstacle_submit(
            actor=staff, enterprise=enterprise, category=category, title="边界",
            description="跨日", channel=Channel.VISIT,
        )
        services.task_assign(task_id=obstacle.tasks.get().pk, actor=coordinator,
                             department=dept)

    assert kpis(NOV_1, NOV_30)[0].received == 1
    assert kpis(date(2026, 12, 1), date(2026, 12, 31))[0].received == 1


def test_equal_completion_is_ranked_by_the_on_time_rate(clock, staff, coordinator, officer,
                                                        other_officer, enterprise, category,
                                                        dept, other_dept):
    # both departments resolve their one task; zrzy (created first) is a day late
    tasks = {}
    for department, actor in ((dept, officer), (other_dept, other_officer)):
        obstacle = services.obstacle_submit(
            actor=staff, enterprise=enterprise, category=category, title="排名",
            description="并列", channel=Channel.VISIT,
        )
        task = obstacle.tasks.get()
        services.task_assign(task_id=task.pk, actor=coordinator, department=department)
        services.task_accept(task_id=task.pk, actor=actor)
        tasks[department.pk] = (task, actor)
    clock.move_to(at(11, 6))
    task, actor = tasks[other_dept.pk]
    services.task_resolve(task_id=task.pk, actor=actor, resolution="按时办结")
    clock.move_to(at(11, 10))
    task, actor = tasks[dept.pk]
    services.task_resolve(task_id=task.pk, actor=actor, resolution="逾期办结")

    total, league = kpis(NOV_1, NOV_30)

    assert [(r.department, r.completion_rate, r.on_time_rate) for r in league] == [
        (other_dept, 100.0, 100.0), (dept, 100.0, 0.0)]
    assert (total.completion_rate, total.on_time_rate) == (100.0, 50.0)


def test_the_median_counts_repeated_days_and_averages_the_middle_pair(
    clock, staff, coordinator, officer, enterprise, category, dept
):
    # resolved after 1, 1, 3 and 5 working days: the middle pair is 1 and 3
    tasks = []
    for _ in range(4):
        obstacle = services.obstacle_submit(
            actor=staff, enterprise=enterprise, category=category, title="中位数",
            description="用时", channel=Channel.VISIT,
        )
        task = obstacle.tasks.get()
        services.task_assign(task_id=task.pk, actor=coordinator, department=dept)
        services.task_accept(task_id=task.pk, actor=officer)
        tasks.append(task)
    for task, day in zip(tasks, (3, 3, 5, 9), strict=True):
        clock.move_to(at(11, day))
        services.task_resolve(task_id=task.pk, actor=officer, resolution="已办结")

    total, (row,) = kpis(NOV_1, NOV_30)

    assert sorted(Task.objects.values_list("resolution_working_days", flat=True)) == [1, 1, 3, 5]
    assert row.median_days == total.median_days == 2.0
