"""督办: the overdue job (``escalate_overdue``), manual escalation, and the ledger colours.

Tasks are assigned on Tuesday 29 September 2026 with a 5-working-day limit, so
their deadline is Monday 12 October (after the National Day holiday). With
ESCALATION_LEVEL2_AFTER_WORKING_DAYS = N, a task goes to level 1 on the first
day past its deadline (13 Oct) and to level 2 N working days after that.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import translation

import pytest
import time_machine

from approvals import selectors, services
from approvals.calendar import add_working_days
from approvals.choices import (
    ApprovalKind,
    ApprovalStatus,
    Channel,
    Colour,
    EventAction,
    RejectReason,
    TaskRole,
    TaskState,
)
from approvals.models import Task, TaskEvent
from approvals.services import InvalidTransition

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEADLINE = date(2026, 10, 12)


def at(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def clock():
    with time_machine.travel(at(date(2026, 9, 29)), tick=False) as traveller:
        yield traveller


@pytest.fixture
def make(clock, staff, coordinator, officer, enterprise, category, dept):
    """make("in_progress") -> a lead task driven there through the services."""
    steps = {
        TaskState.SUBMITTED: [],
        TaskState.ASSIGNED: ["assign"],
        TaskState.IN_PROGRESS: ["assign", "accept"],
        TaskState.RESOLVED: ["assign", "accept", "resolve"],
        TaskState.CLOSING: ["assign", "accept", "resolve", "callback"],
        TaskState.CLOSED: ["assign", "accept", "resolve", "callback", "close"],
        TaskState.REJECTED: ["reject"],
    }

    def build(state: str) -> Task:
        obstacle = services.obstacle_submit(
            actor=staff, enterprise=enterprise, category=category, title="环评审批慢",
            description="环评批复超过法定时限。", channel=Channel.VISIT,
        )
        task = obstacle.tasks.get(role=TaskRole.LEAD)
        for step in steps[state]:
            if step == "assign":
                services.task_assign(task_id=task.pk, actor=coordinator, department=dept)
            elif step == "accept":
                services.task_accept(task_id=task.pk, actor=officer)
            elif step == "resolve":
                services.task_resolve(task_id=task.pk, actor=officer, resolution="已批复")
            elif step == "callback":
                services.task_callback(task_id=task.pk, actor=staff, is_reached=True, rating=5)
            elif step == "close":
                approval = task.approvals.get(kind=ApprovalKind.CLOSE_OUT,
                                              status=ApprovalStatus.PENDING)
                services.close_out_decide(approval_id=approval.pk, actor=coordinator,
                                          approve=True)
            elif step == "reject":
                services.task_reject(task_id=task.pk, actor=coordinator,
                                     reason=RejectReason.OUT_OF_SCOPE, comment="不属于受理范围")
        task = Task.objects.get(pk=task.pk)
        assert task.state == state
        return task

    return build


def escalations(task: Task) -> list[tuple]:
    return list(
        TaskEvent.objects.filter(task=task, action=EventAction.ESCALATE)
        .order_by("pk").values_list("data__level", "actor", "from_state", "to_state")
    )


def run_on(clock, day: date) -> dict[int, int]:
    clock.move_to(at(day, 2))  # the beat job runs at night
    return services.escalate_overdue()


def level(task: Task) -> int:
    return Task.objects.get(pk=task.pk).escalation_level


# ------------------------------------------------------------------ the overdue job


def test_nothing_is_escalated_on_the_deadline_day(make, clock):
    task = make(TaskState.IN_PROGRESS)
    assert task.deadline_on == DEADLINE

    assert run_on(clock, DEADLINE) == {2: 0, 1: 0}

    assert level(task) == 0
    assert escalations(task) == []


def test_the_day_after_the_deadline_escalates_to_level_one_by_the_system(make, clock, dept):
    assigned, in_progress = make(TaskState.ASSIGNED), make(TaskState.IN_PROGRESS)

    assert run_on(clock, date(2026, 10, 13)) == {2: 0, 1: 2}

    for task, state in ((assigned, TaskState.ASSIGNED), (in_progress, TaskState.IN_PROGRESS)):
        task = Task.objects.get(pk=task.pk)
        assert (task.escalation_level, task.escalated_at) == (1, at(date(2026, 10, 13), 2))
        assert task.state == state
        assert escalations(task) == [(1, None, state, state)]  # actor None: the system
        event = TaskEvent.objects.get(task=task, action=EventAction.ESCALATE)
        assert event.department == dept
        assert event.is_visible_to_firm is False


def test_running_the_job_twice_changes_nothing(make, clock):
    task = make(TaskState.IN_PROGRESS)
    run_on(clock, date(2026, 10, 13))
    after_first = Task.objects.get(pk=task.pk)
    events = TaskEvent.objects.count()

    assert services.escalate_overdue() == {2: 0, 1: 0}

    again = Task.objects.get(pk=task.pk)
    assert (again.escalation_level, again.escalated_at, again.updated_at) == (
        after_first.escalation_level, after_first.escalated_at, after_first.updated_at)
    assert TaskEvent.objects.count() == events


def test_level_two_comes_the_configured_working_days_after_level_one(make, clock):
    n = settings.DESK["ESCALATION_LEVEL2_AFTER_WORKING_DAYS"]
    task = make(TaskState.IN_PROGRESS)
    level1_on = date(2026, 10, 13)
    level2_on = add_working_days(level1_on, n)
    run_on(clock, level1_on)

    day = level1_on
    while day < level2_on:  # every day until then, the job finds nothing new
        day = date.fromordinal(day.toordinal() + 1)
        if day == level2_on:
            break
        assert run_on(clock, day) == {2: 0, 1: 0}, day
        assert level(task) == 1

    assert run_on(clock, level2_on) == {2: 1, 1: 0}
    assert level(task) == 2
    assert escalations(task) == [
        (1, None, TaskState.IN_PROGRESS, TaskState.IN_PROGRESS),
        (2, None, TaskState.IN_PROGRESS, TaskState.IN_PROGRESS),
    ]
    assert run_on(clock, date(2026, 11, 30)) == {2: 0, 1: 0}  # and no level 3


def test_with_the_default_of_three_level_two_falls_on_friday_16_october(make, clock, settings):
    settings.DESK = {**settings.DESK, "ESCALATION_LEVEL2_AFTER_WORKING_DAYS": 3}
    task = make(TaskState.IN_PROGRESS)
    run_on(clock, date(2026, 10, 13))

    run_on(clock, date(2026, 10, 15))
    assert level(task) == 1
    run_on(clock, date(2026, 10, 16))
    assert level(task) == 2


def test_level_two_counts_working_days_across_a_weekend(make, clock, settings, officer,
                                                       coordinator):
    settings.DESK = {**settings.DESK, "ESCALATION_LEVEL2_AFTER_WORKING_DAYS": 2}
    monday = make(TaskState.IN_PROGRESS)  # deadline Mon 12 Oct
    friday = make(TaskState.IN_PROGRESS)
    approval = services.extension_request(task_id=friday.pk, actor=officer,
                                          new_deadline=date(2026, 10, 16), reason="需补充材料")
    services.extension_decide(approval_id=approval.pk, actor=coordinator, approve=True)

    # Monday's: level 1 Tue 13, two more working days (14, 15) -> level 2 Thu 15.
    # Friday's: level 1 Sat 17, two more working days (Mon 19, Tue 20) -> level 2 Wed 21.
    expected = {
        date(2026, 10, 13): (1, 0), date(2026, 10, 14): (1, 0), date(2026, 10, 15): (2, 0),
        date(2026, 10, 16): (2, 0), date(2026, 10, 17): (2, 1), date(2026, 10, 18): (2, 1),
        date(2026, 10, 19): (2, 1), date(2026, 10, 20): (2, 1), date(2026, 10, 21): (2, 2),
    }
    for day, levels in expected.items():
        run_on(clock, day)
        assert (level(monday), level(friday)) == levels, day
    assert len(escalations(monday)) == len(escalations(friday)) == 2


def test_a_task_found_far_overdue_goes_straight_to_level_two_with_one_event(make, clock):
    task = make(TaskState.IN_PROGRESS)

    assert run_on(clock, date(2026, 11, 2)) == {2: 1, 1: 0}

    assert level(task) == 2
    assert escalations(task) == [(2, None, TaskState.IN_PROGRESS, TaskState.IN_PROGRESS)]


@pytest.mark.parametrize("state", [TaskState.SUBMITTED, TaskState.RESOLVED, TaskState.CLOSING,
                                   TaskState.CLOSED, TaskState.REJECTED])
def test_tasks_not_at_work_are_never_escalated(make, clock, state):
    task = make(state)

    assert run_on(clock, date(2026, 11, 2)) == {2: 0, 1: 0}

    assert level(task) == 0
    assert escalations(task) == []


def test_a_task_resolved_late_is_not_escalated_afterwards(make, clock, officer):
    task = make(TaskState.IN_PROGRESS)
    clock.move_to(at(date(2026, 10, 14)))
    services.task_resolve(task_id=task.pk, actor=officer, resolution="逾期办结")

    run_on(clock, date(2026, 10, 15))

    assert level(task) == 0
    assert escalations(task) == []


def test_an_approved_extension_keeps_a_task_off_the_list(make, clock, officer, coordinator):
    task = make(TaskState.IN_PROGRESS)
    approval = services.extension_request(task_id=task.pk, actor=officer,
                                          new_deadline=date(2026, 10, 23), reason="需省厅批复")
    services.extension_decide(approval_id=approval.pk, actor=coordinator, approve=True)

    run_on(clock, date(2026, 10, 13))

    assert level(task) == 0


def test_a_task_already_escalated_by_hand_is_not_escalated_again_to_level_one(
    make, clock, coordinator
):
    task = make(TaskState.IN_PROGRESS)
    services.task_escalate(task_id=task.pk, actor=coordinator, level=1, reason="企业多次反映")

    run_on(clock, date(2026, 10, 13))

    assert level(task) == 1
    assert [lvl for lvl, *_ in escalations(task)] == [1]


# ------------------------------------------------------------------ by hand


def test_a_coordinator_escalates_by_hand_with_a_reason(make, coordinator):
    task = make(TaskState.ASSIGNED)

    services.task_escalate(task_id=task.pk, actor=coordinator, level=1, reason="领导批示")

    task = Task.objects.get(pk=task.pk)
    assert (task.escalation_level, task.state) == (1, TaskState.ASSIGNED)
    event = TaskEvent.objects.filter(task=task).order_by("pk").last()
    assert (event.action, event.actor, event.from_state, event.to_state, event.comment) == (
        EventAction.ESCALATE, coordinator, TaskState.ASSIGNED, TaskState.ASSIGNED, "领导批示")
    assert event.data == {"level": 1}

    services.task_escalate(task_id=task.pk, actor=coordinator, level=2, reason="仍无进展")
    assert Task.objects.get(pk=task.pk).escalation_level == 2


def test_manual_escalation_needs_a_reason(make, coordinator):
    task = make(TaskState.IN_PROGRESS)

    with pytest.raises(InvalidTransition, match="needs a reason"):
        services.task_escalate(task_id=task.pk, actor=coordinator, level=1, reason=" ")

    assert level(task) == 0
    assert escalations(task) == []


@pytest.mark.parametrize(("start", "wanted"), [(1, 1), (2, 1), (2, 2), (0, 3), (0, 0)])
def test_manual_escalation_must_raise_the_level(make, coordinator, start, wanted):
    task = make(TaskState.IN_PROGRESS)
    for lvl in range(1, start + 1):
        services.task_escalate(task_id=task.pk, actor=coordinator, level=lvl, reason="督办")
    events = TaskEvent.objects.count()

    with pytest.raises(InvalidTransition, match=f"already at escalation level {start}"):
        services.task_escalate(task_id=task.pk, actor=coordinator, level=wanted, reason="督办")

    assert level(task) == start
    assert TaskEvent.objects.count() == events


@pytest.mark.parametrize("who", ["head", "officer", "leader", "staff"])
def test_only_a_coordinator_escalates_by_hand(request, make, who):
    task = make(TaskState.IN_PROGRESS)

    with pytest.raises(PermissionDenied):
        services.task_escalate(task_id=task.pk, actor=request.getfixturevalue(who), level=1,
                               reason="督办")

    assert level(task) == 0


@pytest.mark.parametrize("state", [TaskState.SUBMITTED, TaskState.RESOLVED, TaskState.CLOSED])
def test_only_a_task_at_work_is_escalated_by_hand(make, coordinator, state):
    task = make(state)

    with pytest.raises(InvalidTransition, match="Only an open task"):
        services.task_escalate(task_id=task.pk, actor=coordinator, level=1, reason="督办")

    assert level(task) == 0


# ------------------------------------------------------------------ colours


def colour_of(task: Task, today: date) -> str:
    return selectors.with_colour(Task.objects.filter(pk=task.pk), today).get().colour


def test_colours_follow_state_deadline_and_escalation(make, clock, coordinator):
    today = date(2026, 10, 13)
    yellow_new = make(TaskState.SUBMITTED)
    assigned_overdue = make(TaskState.ASSIGNED)  # deadline 12 Oct, never accepted
    green = [make(s) for s in (TaskState.RESOLVED, TaskState.CLOSING, TaskState.CLOSED)]
    grey = make(TaskState.REJECTED)
    escalated = make(TaskState.IN_PROGRESS)
    services.task_escalate(task_id=escalated.pk, actor=coordinator, level=1, reason="督办")
    overdue = make(TaskState.IN_PROGRESS)  # deadline 12 Oct, not yet escalated by the job
    on_time = make(TaskState.IN_PROGRESS)
    approval = services.extension_request(task_id=on_time.pk, actor=on_time.owner,
                                          new_deadline=date(2026, 10, 23), reason="延期")
    services.extension_decide(approval_id=approval.pk, actor=coordinator, approve=True)

    expected = {
        yellow_new: Colour.YELLOW,
        assigned_overdue: Colour.RED,
        grey: Colour.GREY,
        escalated: Colour.RED,
        overdue: Colour.RED,
        on_time: Colour.YELLOW,
        **dict.fromkeys(green, Colour.GREEN),
    }
    for task, colour in expected.items():
        assert colour_of(task, today) == colour, task
        assert Task.objects.filter(selectors.colour_q(colour, today), pk=task.pk).exists()
        for other in set(Colour) - {colour}:
            assert not Task.objects.filter(selectors.colour_q(other, today), pk=task.pk).exists()

    assert selectors.colour_counts(Task.objects.all(), today) == {
        "yellow": 2, "red": 3, "green": 3, "grey": 1}


def test_an_escalated_task_on_time_is_red_until_resolved_then_green(make, clock, coordinator,
                                                                   officer):
    task = make(TaskState.IN_PROGRESS)
    today = date(2026, 9, 30)
    assert colour_of(task, today) == Colour.YELLOW

    services.task_escalate(task_id=task.pk, actor=coordinator, level=1, reason="领导关注")
    assert colour_of(task, today) == Colour.RED

    services.task_resolve(task_id=task.pk, actor=officer, resolution="已办结")
    assert Task.objects.get(pk=task.pk).escalation_level == 1  # the flag stays on record
    assert colour_of(task, today) == Colour.GREEN


def test_a_task_turns_red_the_day_after_its_deadline(make):
    task = make(TaskState.IN_PROGRESS)

    assert colour_of(task, DEADLINE) == Colour.YELLOW
    assert colour_of(task, date(2026, 10, 13)) == Colour.RED
