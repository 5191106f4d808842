"""The closed loop's state machine as a table: every state x every action.

Each starting state is reached by driving the real services from intake (the
lead task of one obstacle), never by setting fields; each action is attempted by
the actor who would be entitled to it. An allowed move ends in the state the
table names and writes one event or more; a refused move raises
``InvalidTransition`` and leaves the state and the event log untouched.
"""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.utils import translation

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
from approvals.models import ApprovalRequest, Task, TaskEvent
from approvals.services import InvalidTransition

pytestmark = pytest.mark.django_db

S = TaskState


def _close_out_request(task: Task) -> ApprovalRequest:
    """The pending close-out request; outside ``closing`` there is none, so the
    test files a stale one to show the state check refuses it all the same."""
    found = task.approvals.filter(kind=ApprovalKind.CLOSE_OUT,
                                  status=ApprovalStatus.PENDING).first()
    return found or ApprovalRequest.objects.create(
        kind=ApprovalKind.CLOSE_OUT, task=task, requested_by=None, reason="stale")


ACTIONS = {
    "assign": lambda t, p: services.task_assign(
        task_id=t.pk, actor=p.coordinator, department=p.dept),
    "reject": lambda t, p: services.task_reject(
        task_id=t.pk, actor=p.coordinator, reason=RejectReason.DUPLICATE, comment="重复诉求"),
    "rule": lambda t, p: services.task_rule(
        task_id=t.pk, actor=p.coordinator, department=p.dept, reason="职责边界厘清"),
    "accept": lambda t, p: services.task_accept(task_id=t.pk, actor=p.officer),
    "return": lambda t, p: services.task_return(
        task_id=t.pk, actor=p.officer, reason="非本单位职责"),
    "note": lambda t, p: services.task_add_note(task_id=t.pk, actor=p.officer, comment="进展"),
    "request_extension": lambda t, p: services.extension_request(
        task_id=t.pk, actor=p.officer, new_deadline=date(2026, 12, 31), reason="需上级批复"),
    "escalate": lambda t, p: services.task_escalate(
        task_id=t.pk, actor=p.coordinator, level=1, reason="领导批示督办"),
    "resolve": lambda t, p: services.task_resolve(
        task_id=t.pk, actor=p.officer, resolution="已办结"),
    "callback": lambda t, p: services.task_callback(
        task_id=t.pk, actor=p.staff, is_reached=True, rating=4),
    "close_out_decide": lambda t, p: services.close_out_decide(
        approval_id=_close_out_request(t).pk, actor=p.coordinator, approve=True),
    "reopen": lambda t, p: services.task_reopen(
        task_id=t.pk, actor=p.coordinator, reason="企业再次反映"),
}

# How each starting state is reached from ``submitted``.
PATHS = {
    S.SUBMITTED: [],
    S.ASSIGNED: ["assign"],
    S.IN_PROGRESS: ["assign", "accept"],
    S.RESOLVED: ["assign", "accept", "resolve"],
    S.CLOSING: ["assign", "accept", "resolve", "callback"],
    S.CLOSED: ["assign", "accept", "resolve", "callback", "close_out_decide"],
    S.REJECTED: ["reject"],
}

R = InvalidTransition  # refused

# state -> action -> the state after an allowed move, or R when refused. Notes,
# extension requests and escalations are allowed without changing the state.
TABLE = {
    S.SUBMITTED: {
        "assign": S.ASSIGNED, "reject": S.REJECTED, "rule": S.ASSIGNED, "accept": R,
        "return": R, "note": R, "request_extension": R, "escalate": R, "resolve": R,
        "callback": R, "close_out_decide": R, "reopen": R,
    },
    S.ASSIGNED: {
        "assign": R, "reject": R, "rule": R, "accept": S.IN_PROGRESS, "return": S.SUBMITTED,
        "note": S.ASSIGNED, "request_extension": S.ASSIGNED, "escalate": S.ASSIGNED,
        "resolve": R, "callback": R, "close_out_decide": R, "reopen": R,
    },
    S.IN_PROGRESS: {
        "assign": R, "reject": R, "rule": R, "accept": R, "return": R,
        "note": S.IN_PROGRESS, "request_extension": S.IN_PROGRESS,
        "escalate": S.IN_PROGRESS, "resolve": S.RESOLVED, "callback": R,
        "close_out_decide": R, "reopen": R,
    },
    S.RESOLVED: {
        "assign": R, "reject": R, "rule": R, "accept": R, "return": R, "note": R,
        "request_extension": R, "escalate": R, "resolve": R, "callback": S.CLOSING,
        "close_out_decide": R, "reopen": R,
    },
    S.CLOSING: {
        "assign": R, "reject": R, "rule": R, "accept": R, "return": R, "note": R,
        "request_extension": R, "escalate": R, "resolve": R, "callback": R,
        "close_out_decide": S.CLOSED, "reopen": R,
    },
    S.CLOSED: {
        "assign": R, "reject": R, "rule": R, "accept": R, "return": R, "note": R,
        "request_extension": R, "escalate": R, "resolve": R, "callback": R,
        "close_out_decide": R, "reopen": S.IN_PROGRESS,
    },
    S.REJECTED: {
        "assign": R, "reject": R, "rule": R, "accept": R, "return": R, "note": R,
        "request_extension": R, "escalate": R, "resolve": R, "callback": R,
        "close_out_decide": R, "reopen": R,
    },
}

CASES = [
    pytest.param(state, action, expected, id=f"{state.value}-{action}")
    for state, row in TABLE.items()
    for action, expected in row.items()
]


def test_the_table_covers_every_state_and_every_action():
    assert set(TABLE) == set(TaskState)
    assert all(set(row) == set(ACTIONS) for row in TABLE.values())


@pytest.fixture(autouse=True)
def _frozen_and_english():
    # Tuesday 29 Sep 2026: every return is inside its window, no deadline has passed
    moment = datetime(2026, 9, 29, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False), translation.override("en"):
        yield


@pytest.fixture
def people(staff, officer, coordinator, dept):
    return SimpleNamespace(staff=staff, officer=officer, coordinator=coordinator, dept=dept)


def walk_to(state: TaskState, people, enterprise, category) -> Task:
    """Take an obstacle in and drive its lead task to ``state`` through the services."""
    obstacle = services.obstacle_submit(
        actor=people.staff, enterprise=enterprise, category=category, title="施工许可卡壳",
        description="施工许可申请材料反复被退回。", channel=Channel.VISIT,
    )
    task = obstacle.tasks.get(role=TaskRole.LEAD)
    for step in PATHS[state]:
        ACTIONS[step](task, people)
    task = Task.objects.get(pk=task.pk)
    assert task.state == state
    return task


@pytest.mark.parametrize(("state", "action", "expected"), CASES)
def test_state_machine(people, enterprise, category, state, action, expected):
    task = walk_to(state, people, enterprise, category)
    if action == "close_out_decide":
        _close_out_request(task)
    events_before = list(TaskEvent.objects.filter(task=task).values_list("pk", flat=True))

    if expected is R:
        with pytest.raises(InvalidTransition):
            ACTIONS[action](task, people)
        assert Task.objects.get(pk=task.pk).state == state
        assert list(TaskEvent.objects.filter(task=task).values_list("pk", flat=True)) == (
            events_before)
    else:
        ACTIONS[action](task, people)
        assert Task.objects.get(pk=task.pk).state == expected
        new = TaskEvent.objects.filter(task=task).exclude(pk__in=events_before).order_by("pk")
        assert new.exists()
        assert new.first().from_state == state
        assert new.last().to_state == expected
