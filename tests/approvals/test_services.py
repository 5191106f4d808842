"""Every transition service: happy path, wrong state, wrong actor, the event it writes.

Tasks are driven through the services from intake, on a frozen clock: the
default start is Tuesday 29 September 2026, just before the National Day
holiday (1-7 October off, Saturday 10 October a make-up working day).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import translation

import pytest
import time_machine

from approvals import services
from approvals.calendar import add_working_days
from approvals.choices import (
    ApprovalKind,
    ApprovalStatus,
    Channel,
    EventAction,
    RejectReason,
    TaskRole,
    TaskState,
)
from approvals.models import ApprovalRequest, Callback, Obstacle, Task, TaskEvent
from approvals.services import InvalidTransition

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hour: int = 10) -> datetime:
    return datetime(y, m, d, hour, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _english():
    # messages are matched in English whatever the zh_Hans catalogue holds
    with translation.override("en"):
        yield


# ------------------------------------------------------------------ helpers


def db_state(task_id: int) -> dict:
    """Everything a transition could touch, read back from the database."""
    task = Task.objects.get(pk=task_id)
    return {
        "task": {f.attname: getattr(task, f.attname) for f in Task._meta.concrete_fields},
        "tasks": sorted(Task.objects.values_list("pk", "state", "department_id")),
        "events": sorted(TaskEvent.objects.values_list("pk", flat=True)),
        "approvals": sorted(ApprovalRequest.objects.values_list("pk", "status")),
        "callbacks": Callback.objects.count(),
        "obstacles": Obstacle.objects.count(),
    }


@contextmanager
def unchanged(task: Task):
    """Assert that nothing in the database changed inside the block."""
    before = db_state(task.pk)
    yield
    assert db_state(task.pk) == before


def last_event(task: Task) -> TaskEvent:
    return TaskEvent.objects.filter(task=task).order_by("pk").last()


def reload(task: Task) -> Task:
    return Task.objects.get(pk=task.pk)


def submit(actor, enterprise, category, **kwargs) -> Task:
    kwargs.setdefault("channel", Channel.VISIT)
    obstacle = services.obstacle_submit(
        actor=actor, enterprise=enterprise, category=category, title="用地指标迟迟未落实",
        description="项目用地指标三个月未落实，影响开工。", **kwargs,
    )
    return obstacle.tasks.get(role=TaskRole.LEAD)


@pytest.fixture
def clock():
    with time_machine.travel(at(2026, 9, 29), tick=False) as traveller:
        yield traveller


@pytest.fixture
def submitted(clock, staff, enterprise, category):
    return submit(staff, enterprise, category)


@pytest.fixture
def assigned(submitted, coordinator, dept):
    return services.task_assign(task_id=submitted.pk, actor=coordinator, department=dept)


@pytest.fixture
def in_progress(assigned, officer):
    return services.task_accept(task_id=assigned.pk, actor=officer)


@pytest.fixture
def resolved(in_progress, officer):
    return services.task_resolve(task_id=in_progress.pk, actor=officer, resolution="指标已下达")


@pytest.fixture
def closing(resolved, staff):
    services.task_callback(task_id=resolved.pk, actor=staff, is_reached=True, rating=4)
    return reload(resolved)


def close_out_request(task: Task) -> ApprovalRequest:
    return task.approvals.get(kind=ApprovalKind.CLOSE_OUT, status=ApprovalStatus.PENDING)


@pytest.fixture
def closed(closing, coordinator):
    services.close_out_decide(approval_id=close_out_request(closing).pk, actor=coordinator,
                              approve=True)
    return reload(closing)


# ------------------------------------------------------------------ intake


def test_staff_intake_opens_a_submitted_lead_task_with_the_first_contact(
    clock, staff, enterprise, category
):
    obstacle = services.obstacle_submit(
        actor=staff, enterprise=enterprise, category=category, title="水电接入慢",
        description="新厂房通电等待两个月。", channel=Channel.VISIT,
    )

    obstacle = Obstacle.objects.get(pk=obstacle.pk)
    assert obstacle.received_by == staff
    assert obstacle.received_at == at(2026, 9, 29)
    task = Task.objects.get(obstacle=obstacle)
    assert (task.role, task.state, task.department_id) == (TaskRole.LEAD, TaskState.SUBMITTED,
                                                            None)
    event = TaskEvent.objects.get(task=task)
    assert (event.action, event.actor, event.from_state, event.to_state) == (
        EventAction.SUBMIT, staff, "", TaskState.SUBMITTED)
    assert event.is_visible_to_firm is True


def test_firm_user_submits_for_its_own_enterprise_on_the_portal(
    clock, firm, enterprise, category
):
    task = submit(firm, enterprise, category, channel=Channel.PORTAL)

    assert task.obstacle.enterprise == enterprise
    assert task.obstacle.received_by is None  # no first-contact person yet
    assert last_event(task).actor == firm


@pytest.mark.parametrize(
    ("who", "channel"),
    [
        ("firm", Channel.VISIT),  # a firm user only on the portal
        ("firm2", Channel.PORTAL),  # and only for its own enterprise
        ("officer", Channel.VISIT),  # department users do not take obstacles in
        ("leader", Channel.VISIT),
    ],
)
def test_intake_by_someone_not_entitled_is_refused(
    request, clock, enterprise, category, who, channel
):
    actor = request.getfixturevalue(who)

    with pytest.raises(PermissionDenied):
        submit(actor, enterprise, category, channel=channel)

    assert not Obstacle.objects.exists()
    assert not Task.objects.exists()


def test_intake_needs_a_title_and_a_description(clock, staff, enterprise, category):
    with pytest.raises(InvalidTransition, match="title is required"):
        services.obstacle_submit(actor=staff, enterprise=enterprise, category=category,
                                 title="  ", description="x", channel=Channel.VISIT)
    with pytest.raises(InvalidTransition, match="Describe the obstacle"):
        services.obstacle_submit(actor=staff, enterprise=enterprise, category=category,
                                 title="x", description="", channel=Channel.VISIT)

    assert not Obstacle.objects.exists()


def test_a_work_order_taken_in_twice_on_one_channel_is_one_obstacle(
    clock, coordinator, enterprise, category
):
    first = submit(coordinator, enterprise, category, channel=Channel.HOTLINE,
                   external_ref="GD-2026-0001").obstacle
    again = services.obstacle_submit(
        actor=coordinator, enterprise=enterprise, category=category, title="重复推送",
        description="同一工单", channel=Channel.HOTLINE, external_ref="GD-2026-0001",
    )

    assert again.pk == first.pk
    assert Obstacle.objects.count() == 1
    assert Task.objects.count() == 1
    assert TaskEvent.objects.count() == 1


def test_the_same_reference_on_another_channel_is_a_new_obstacle(
    clock, coordinator, enterprise, category
):
    hotline = submit(coordinator, enterprise, category, channel=Channel.HOTLINE,
                     external_ref="GD-2026-0001").obstacle
    window = submit(coordinator, enterprise, category, channel=Channel.WINDOW,
                    external_ref="GD-2026-0001").obstacle

    assert window.pk != hotline.pk
    assert Obstacle.objects.count() == 2
    assert Task.objects.filter(role=TaskRole.LEAD).count() == 2


# ------------------------------------------------------------------ reject


def test_coordinator_rejects_a_duplicate_with_a_reason_the_firm_reads(submitted, coordinator):
    services.task_reject(task_id=submitted.pk, actor=coordinator,
                         reason=RejectReason.DUPLICATE, comment="与#12为同一诉求")

    task = reload(submitted)
    assert task.state == TaskState.REJECTED
    event = last_event(task)
    assert (event.action, event.actor, event.from_state, event.to_state, event.comment) == (
        EventAction.REJECT, coordinator, TaskState.SUBMITTED, TaskState.REJECTED, "与#12为同一诉求")
    assert event.is_visible_to_firm is True
    assert event.data == {"reason": RejectReason.DUPLICATE}


@pytest.mark.parametrize(("reason", "comment", "message"), [
    ("", "说明", "Choose why"),
    ("because", "说明", "Choose why"),
    (RejectReason.OUT_OF_SCOPE, "  ", "Explain the rejection"),
])
def test_rejection_needs_a_known_reason_and_an_explanation(
    submitted, coordinator, reason, comment, message
):
    with unchanged(submitted), pytest.raises(InvalidTransition, match=message):
        services.task_reject(task_id=submitted.pk, actor=coordinator, reason=reason,
                             comment=comment)


def test_an_assigned_task_cannot_be_rejected(assigned, coordinator):
    with unchanged(assigned), pytest.raises(InvalidTransition,
                                            match="Only a submitted obstacle can be rejected"):
        services.task_reject(task_id=assigned.pk, actor=coordinator,
                             reason=RejectReason.OUT_OF_SCOPE, comment="不属于营商环境范畴")


@pytest.mark.parametrize("who", ["staff", "officer", "head", "leader", "firm"])
def test_only_a_coordinator_rejects(request, submitted, who):
    with unchanged(submitted), pytest.raises(PermissionDenied):
        services.task_reject(task_id=submitted.pk, actor=request.getfixturevalue(who),
                             reason=RejectReason.DUPLICATE, comment="重复")


# ------------------------------------------------------------------ assign


def test_assignment_deadline_counts_working_days_across_national_day(
    submitted, coordinator, dept
):
    services.task_assign(task_id=submitted.pk, actor=coordinator, department=dept,
                         comment="请尽快办理")

    task = reload(submitted)
    assert task.state == TaskState.ASSIGNED
    assert task.department == dept
    assert task.assigned_at == at(2026, 9, 29)
    # 30 Sep, 8 Oct, 9 Oct, Sat 10 Oct (make-up), Mon 12 Oct: the 5th working day
    assert task.deadline_on == date(2026, 10, 12)
    assert task.original_deadline_on == date(2026, 10, 12)
    event = last_event(task)
    assert (event.action, event.actor, event.from_state, event.to_state, event.comment) == (
        EventAction.ASSIGN, coordinator, TaskState.SUBMITTED, TaskState.ASSIGNED, "请尽快办理")
    assert event.is_visible_to_firm is True
    assert event.department == dept
    assert event.data["deadline"] == "2026-10-12"


def test_an_urgent_obstacle_gets_the_urgent_limit(clock, staff, coordinator, enterprise,
                                                   category, dept):
    task = submit(staff, enterprise, category, urgency="urgent")

    services.task_assign(task_id=task.pk, actor=coordinator, department=dept)

    # 2 working days: 30 Sep, then 8 Oct after the holiday
    assert reload(task).deadline_on == date(2026, 10, 8)


def test_an_assigned_task_cannot_be_assigned_again(assigned, coordinator, other_dept):
    with unchanged(assigned), pytest.raises(InvalidTransition,
                                            match="Only a submitted obstacle can be assigned"):
        services.task_assign(task_id=assigned.pk, actor=coordinator, department=other_dept)


@pytest.mark.parametrize("who", ["staff", "officer", "head", "leader"])
def test_only_a_coordinator_assigns(request, submitted, dept, who):
    with unchanged(submitted), pytest.raises(PermissionDenied):
        services.task_assign(task_id=submitted.pk, actor=request.getfixturevalue(who),
                             department=dept)


def test_assignment_with_co_handling_opens_one_task_per_other_department(
    submitted, coordinator, dept, other_dept
):
    services.task_assign(task_id=submitted.pk, actor=coordinator, department=dept,
                         co_departments=[dept, other_dept])  # the lead's own is skipped

    co = Task.objects.get(obstacle=submitted.obstacle, role=TaskRole.CO)
    assert Task.objects.filter(obstacle=submitted.obstacle).count() == 2
    assert (co.department, co.state) == (other_dept, TaskState.ASSIGNED)
    assert co.deadline_on == co.original_deadline_on == date(2026, 10, 12)
    event = TaskEvent.objects.get(task=co)
    assert (event.action, event.actor, event.from_state, event.to_state) == (
        EventAction.ASSIGN, coordinator, TaskState.SUBMITTED, TaskState.ASSIGNED)


# ------------------------------------------------------------------ owner


def test_the_head_names_the_owner_and_acceptance_keeps_it(assigned, head, officer):
    services.task_set_owner(task_id=assigned.pk, actor=head, owner=officer)

    task = reload(assigned)
    assert task.owner == officer
    event = last_event(task)
    assert (event.action, event.actor, event.from_state, event.to_state) == (
        EventAction.SET_OWNER, head, TaskState.ASSIGNED, TaskState.ASSIGNED)
    assert event.is_visible_to_firm is False

    services.task_accept(task_id=task.pk, actor=head)
    assert reload(task).owner == officer


@pytest.mark.parametrize("who", ["officer", "other_officer", "staff", "leader"])
def test_only_the_head_or_a_coordinator_names_the_owner(request, assigned, officer, who):
    with unchanged(assigned), pytest.raises(PermissionDenied):
        services.task_set_owner(task_id=assigned.pk, actor=request.getfixturevalue(who),
                                owner=officer)


@pytest.mark.parametrize("who", ["other_officer", "staff", "coordinator"])
def test_the_owner_must_be_an_officer_of_the_department(request, assigned, head, who):
    with unchanged(assigned), pytest.raises(InvalidTransition, match="officer of the responsible"):
        services.task_set_owner(task_id=assigned.pk, actor=head,
                                owner=request.getfixturevalue(who))


def test_no_owner_is_named_on_a_resolved_task(resolved, coordinator, head):
    with unchanged(resolved), pytest.raises(InvalidTransition, match="while the task is open"):
        services.task_set_owner(task_id=resolved.pk, actor=coordinator, owner=head)


# ------------------------------------------------------------------ accept


def test_an_officer_accepts_and_owns_the_task(assigned, officer):
    services.task_accept(task_id=assigned.pk, actor=officer, comment="已受理")

    task = reload(assigned)
    assert (task.state, task.owner, task.accepted_at) == (
        TaskState.IN_PROGRESS, officer, at(2026, 9, 29))
    event = last_event(task)
    assert (event.action, event.actor, event.from_state, event.to_state, event.comment) == (
        EventAction.ACCEPT, officer, TaskState.ASSIGNED, TaskState.IN_PROGRESS, "已受理")
    assert event.is_visible_to_firm is True


def test_a_task_in_progress_cannot_be_accepted_again(in_progress, head):
    with unchanged(in_progress), pytest.raises(InvalidTransition,
                                               match="Only an assigned task can be accepted"):
        services.task_accept(task_id=in_progress.pk, actor=head)


@pytest.mark.parametrize("who", ["other_officer", "coordinator", "staff", "leader"])
def test_only_the_responsible_department_accepts(request, assigned, who):
    with unchanged(assigned), pytest.raises(PermissionDenied):
        services.task_accept(task_id=assigned.pk, actor=request.getfixturevalue(who))


def test_accepting_a_task_a_colleague_just_returned_is_refused_with_a_reason(
    assigned, officer, head
):
    services.task_return(task_id=assigned.pk, actor=head, reason="属于市场监管职责")
    task = reload(assigned)

    # the officer still has the page open: a clear refusal, not a bare 403
    with unchanged(task), pytest.raises(InvalidTransition, match="not with any department"):
        services.task_accept(task_id=task.pk, actor=officer)


# ------------------------------------------------------------------ return and ruling


def test_a_department_returns_a_task_within_the_window_with_a_reason(assigned, officer, dept):
    services.task_return(task_id=assigned.pk, actor=officer, reason="属于市场监管职责")

    task = reload(assigned)
    assert task.state == TaskState.SUBMITTED
    assert task.transfer_count == 1
    assert (task.department, task.owner, task.deadline_on) == (None, None, None)
    event = last_event(task)
    assert (event.action, event.actor, event.from_state, event.to_state, event.comment) == (
        EventAction.RETURN, officer, TaskState.ASSIGNED, TaskState.SUBMITTED, "属于市场监管职责")
    assert event.is_visible_to_firm is False
    assert event.department == dept  # the department that returned it, for the 推诿 index


def test_the_last_day_of_the_return_window_still_counts(assigned, officer, clock):
    clock.move_to(at(2026, 9, 30, 17))  # the 1st working day after assignment

    services.task_return(task_id=assigned.pk, actor=officer, reason="非本单位职责")

    assert reload(assigned).state == TaskState.SUBMITTED


def test_a_return_after_the_window_is_refused(assigned, officer, clock):
    clock.move_to(at(2026, 10, 8))  # the window closed on 30 Sep

    with unchanged(assigned), pytest.raises(InvalidTransition,
                                            match="return window ended on 2026-09-30"):
        services.task_return(task_id=assigned.pk, actor=officer, reason="非本单位职责")


def test_a_return_needs_a_reason(assigned, officer):
    with unchanged(assigned), pytest.raises(InvalidTransition, match="Say why"):
        services.task_return(task_id=assigned.pk, actor=officer, reason="  ")


def test_an_accepted_task_cannot_be_returned(in_progress, officer):
    with unchanged(in_progress), pytest.raises(InvalidTransition,
                                               match="not yet accepted can be returned"):
        services.task_return(task_id=in_progress.pk, actor=officer, reason="非本单位职责")


@pytest.mark.parametrize("who", ["other_officer", "coordinator", "staff"])
def test_only_the_responsible_department_returns(request, assigned, who):
    with unchanged(assigned), pytest.raises(PermissionDenied):
        services.task_return(task_id=assigned.pk, actor=request.getfixturevalue(who),
                             reason="非本单位职责")


def test_a_second_return_forces_a_ruling_and_the_ruled_department_cannot_return(
    assigned, coordinator, officer, other_officer, dept, other_dept
):
    services.task_return(task_id=assigned.pk, actor=officer, reason="属于市场监管")
    services.task_assign(task_id=assigned.pk, actor=coordinator, department=other_dept)
    services.task_return(task_id=assigned.pk, actor=other_officer, reason="属于规划")
    task = reload(assigned)
    assert task.transfer_count == 2

    with unchanged(task), pytest.raises(InvalidTransition, match="make a ruling"):
        services.task_assign(task_id=task.pk, actor=coordinator, department=dept)

    services.task_rule(task_id=task.pk, actor=coordinator, department=dept,
                       reason="用地指标属规划部门职责")
    task = reload(task)
    assert (task.state, task.department, task.is_ruled) == (TaskState.ASSIGNED, dept, True)
    assert task.deadline_on == date(2026, 10, 12)
    ruling = ApprovalRequest.objects.get(task=task, kind=ApprovalKind.RULING)
    assert (ruling.status, ruling.ruled_department, ruling.decided_by) == (
        ApprovalStatus.APPROVED, dept, coordinator)
    event = last_event(task)
    assert (event.action, event.actor, event.from_state, event.to_state, event.comment) == (
        EventAction.RULING, coordinator, TaskState.SUBMITTED, TaskState.ASSIGNED,
        "用地指标属规划部门职责")
    assert event.is_visible_to_firm is True

    with unchanged(task), pytest.raises(InvalidTransition, match="ruled"):
        services.task_return(task_id=task.pk, actor=officer, reason="仍非本单位职责")


def test_a_ruling_needs_a_reason_and_a_task_waiting_for_assignment(
    assigned, coordinator, officer, dept
):
    with unchanged(assigned), pytest.raises(InvalidTransition, match="waiting for assignment"):
        services.task_rule(task_id=assigned.pk, actor=coordinator, department=dept,
                           reason="职责清晰")
    services.task_return(task_id=assigned.pk, actor=officer, reason="非本单位")
    with unchanged(assigned), pytest.raises(InvalidTransition, match="needs its reason"):
        services.task_rule(task_id=assigned.pk, actor=coordinator, department=dept, reason="")


@pytest.mark.parametrize("who", ["officer", "head", "leader"])
def test_only_a_coordinator_rules(request, submitted, dept, who):
    with unchanged(submitted), pytest.raises(PermissionDenied):
        services.task_rule(task_id=submitted.pk, actor=request.getfixturevalue(who),
                           department=dept, reason="裁定")


def test_a_co_handler_returning_leaves_the_obstacle_without_touching_the_lead(
    submitted, coordinator, dept, other_dept, other_officer
):
    services.task_assign(task_id=submitted.pk, actor=coordinator, department=dept,
                         co_departments=[other_dept])
    co = Task.objects.get(obstacle=submitted.obstacle, role=TaskRole.CO)

    services.task_return(task_id=co.pk, actor=other_officer, reason="无需我局配合")

    co = reload(co)
    assert (co.state, co.department) == (TaskState.REJECTED, other_dept)
    lead = reload(submitted)
    assert (lead.state, lead.transfer_count) == (TaskState.ASSIGNED, 0)


# ------------------------------------------------------------------ notes


@pytest.mark.parametrize("visible", [False, True])
def test_a_progress_note_is_internal_unless_shown_to_the_firm(in_progress, officer, visible):
    event = services.task_add_note(task_id=in_progress.pk, actor=officer,
                                   comment="已现场踏勘", is_visible_to_firm=visible)

    event = TaskEvent.objects.get(pk=event.pk)
    assert (event.action, event.actor, event.from_state, event.to_state, event.comment) == (
        EventAction.NOTE, officer, TaskState.IN_PROGRESS, TaskState.IN_PROGRESS, "已现场踏勘")
    assert event.is_visible_to_firm is visible
    assert reload(in_progress).state == TaskState.IN_PROGRESS


def test_an_empty_note_is_refused(in_progress, officer):
    with unchanged(in_progress), pytest.raises(InvalidTransition, match="note is empty"):
        services.task_add_note(task_id=in_progress.pk, actor=officer, comment=" ")


def test_no_notes_once_resolved(resolved, officer):
    with unchanged(resolved), pytest.raises(InvalidTransition, match="while the task is open"):
        services.task_add_note(task_id=resolved.pk, actor=officer, comment="补充")


@pytest.mark.parametrize("who", ["other_officer", "staff", "coordinator"])
def test_only_the_department_writes_progress_notes(request, in_progress, who):
    with unchanged(in_progress), pytest.raises(PermissionDenied):
        services.task_add_note(task_id=in_progress.pk, actor=request.getfixturevalue(who),
                               comment="进展")


# ------------------------------------------------------------------ extensions


def test_an_extension_request_waits_for_the_coordinator(in_progress, officer):
    approval = services.extension_request(task_id=in_progress.pk, actor=officer,
                                          new_deadline=date(2026, 10, 23), reason="需省厅批复")

    approval = ApprovalRequest.objects.get(pk=approval.pk)
    assert (approval.kind, approval.status, approval.requested_by) == (
        ApprovalKind.EXTENSION, ApprovalStatus.PENDING, officer)
    assert (approval.requested_deadline_on, approval.previous_deadline_on) == (
        date(2026, 10, 23), date(2026, 10, 12))
    task = reload(in_progress)
    assert (task.deadline_on, task.extension_count) == (date(2026, 10, 12), 0)
    event = last_event(task)
    assert (event.action, event.actor, event.from_state, event.to_state, event.comment) == (
        EventAction.EXTENSION_REQUEST, officer, TaskState.IN_PROGRESS, TaskState.IN_PROGRESS,
        "需省厅批复")
    assert event.is_visible_to_firm is False


@pytest.mark.parametrize("new", [date(2026, 10, 9), date(2026, 10, 12)])
def test_an_extension_must_end_after_the_current_deadline(in_progress, officer, new):
    with unchanged(in_progress), pytest.raises(InvalidTransition,
                                               match=r"after the current one \(2026-10-12\)"):
        services.extension_request(task_id=in_progress.pk, actor=officer, new_deadline=new,
                                   reason="需省厅批复")


def test_an_extension_needs_a_reason(in_progress, officer):
    with unchanged(in_progress), pytest.raises(InvalidTransition, match="needs a reason"):
        services.extension_request(task_id=in_progress.pk, actor=officer,
                                   new_deadline=date(2026, 10, 23), reason="")


def test_one_extension_request_at_a_time(in_progress, officer):
    services.extension_request(task_id=in_progress.pk, actor=officer,
                               new_deadline=date(2026, 10, 23), reason="需省厅批复")

    with unchanged(in_progress), pytest.raises(InvalidTransition, match="already waiting"):
        services.extension_request(task_id=in_progress.pk, actor=officer,
                                   new_deadline=date(2026, 10, 30), reason="再延")


def test_no_extension_once_resolved(resolved, officer):
    with unchanged(resolved), pytest.raises(InvalidTransition, match="while the task is open"):
        services.extension_request(task_id=resolved.pk, actor=officer,
                                   new_deadline=date(2026, 10, 23), reason="需省厅批复")


@pytest.mark.parametrize("who", ["other_officer", "coordinator", "staff"])
def test_only_the_department_asks_for_an_extension(request, in_progress, who):
    with unchanged(in_progress), pytest.raises(PermissionDenied):
        services.extension_request(task_id=in_progress.pk, actor=request.getfixturevalue(who),
                                   new_deadline=date(2026, 10, 23), reason="需省厅批复")


def test_an_approved_extension_moves_the_deadline(in_progress, officer, coordinator):
    approval = services.extension_request(task_id=in_progress.pk, actor=officer,
                                          new_deadline=date(2026, 10, 23), reason="需省厅批复")

    services.extension_decide(approval_id=approval.pk, actor=coordinator, approve=True,
                              comment="同意")

    task = reload(in_progress)
    assert (task.deadline_on, task.original_deadline_on, task.extension_count) == (
        date(2026, 10, 23), date(2026, 10, 12), 1)
    approval = ApprovalRequest.objects.get(pk=approval.pk)
    assert (approval.status, approval.decided_by, approval.decision_comment) == (
        ApprovalStatus.APPROVED, coordinator, "同意")
    event = last_event(task)
    assert (event.action, event.actor, event.from_state, event.to_state, event.comment) == (
        EventAction.EXTENSION_DECISION, coordinator, TaskState.IN_PROGRESS,
        TaskState.IN_PROGRESS, "同意")
    assert event.is_visible_to_firm is True
    assert event.data == {"approved": True, "deadline": "2026-10-23"}


def test_a_refused_extension_keeps_the_deadline_and_needs_a_reason(
    in_progress, officer, coordinator
):
    approval = services.extension_request(task_id=in_progress.pk, actor=officer,
                                          new_deadline=date(2026, 10, 23), reason="需省厅批复")
    with unchanged(in_progress), pytest.raises(InvalidTransition, match="Say why"):
        services.extension_decide(approval_id=approval.pk, actor=coordinator, approve=False)

    services.extension_decide(approval_id=approval.pk, actor=coordinator, approve=False,
                              comment="可在时限内办结")

    task = reload(in_progress)
    assert (task.deadline_on, task.extension_count) == (date(2026, 10, 12), 0)
    assert ApprovalRequest.objects.get(pk=approval.pk).status == ApprovalStatus.REFUSED
    event = last_event(task)
    assert (event.action, event.actor, event.comment, event.is_visible_to_firm) == (
        EventAction.EXTENSION_DECISION, coordinator, "可在时限内办结", False)
    assert event.data["approved"] is False


def test_extensions_stop_at_the_configured_limit(in_progress, officer, coordinator):
    limit = settings.DESK["MAX_EXTENSIONS"]
    deadline = date(2026, 10, 12)
    for n in range(limit):
        deadline = add_working_days(deadline, 5)
        approval = services.extension_request(task_id=in_progress.pk, actor=officer,
                                              new_deadline=deadline, reason=f"第{n + 1}次")
        services.extension_decide(approval_id=approval.pk, actor=coordinator, approve=True)
    task = reload(in_progress)
    assert (task.extension_count, task.deadline_on) == (limit, deadline)

    with unchanged(task), pytest.raises(InvalidTransition, match=f"extensions allowed \\({limit}"):
        services.extension_request(task_id=task.pk, actor=officer,
                                   new_deadline=add_working_days(deadline, 5), reason="再延")


def test_a_lower_limit_in_settings_is_honoured(in_progress, officer, coordinator, settings):
    settings.DESK = {**settings.DESK, "MAX_EXTENSIONS": 1}
    approval = services.extension_request(task_id=in_progress.pk, actor=officer,
                                          new_deadline=date(2026, 10, 23), reason="需省厅批复")
    services.extension_decide(approval_id=approval.pk, actor=coordinator, approve=True)

    with pytest.raises(InvalidTransition, match="extensions allowed"):
        services.extension_request(task_id=in_progress.pk, actor=officer,
                                   new_deadline=date(2026, 10, 30), reason="再延")


@pytest.mark.parametrize("who", ["head", "officer", "leader"])
def test_only_a_coordinator_decides_an_extension(request, in_progress, officer, who):
    approval = services.extension_request(task_id=in_progress.pk, actor=officer,
                                          new_deadline=date(2026, 10, 23), reason="需省厅批复")

    with unchanged(in_progress), pytest.raises(PermissionDenied):
        services.extension_decide(approval_id=approval.pk, actor=request.getfixturevalue(who),
                                  approve=True)


def test_an_extension_is_decided_once(in_progress, officer, coordinator):
    approval = services.extension_request(task_id=in_progress.pk, actor=officer,
                                          new_deadline=date(2026, 10, 23), reason="需省厅批复")
    services.extension_decide(approval_id=approval.pk, actor=coordinator, approve=True)

    with unchanged(in_progress), pytest.raises(InvalidTransition, match="already been decided"):
        services.extension_decide(approval_id=approval.pk, actor=coordinator, approve=False,
                                  comment="改变主意")


def test_an_extension_lapses_when_the_task_was_resolved_meanwhile(
    in_progress, officer, coordinator
):
    approval = services.extension_request(task_id=in_progress.pk, actor=officer,
                                          new_deadline=date(2026, 10, 23), reason="需省厅批复")
    services.task_resolve(task_id=in_progress.pk, actor=officer, resolution="已办结")
    task = reload(in_progress)

    with unchanged(task), pytest.raises(InvalidTransition, match="no longer open"):
        services.extension_decide(approval_id=approval.pk, actor=coordinator, approve=True)


# ------------------------------------------------------------------ resolve


@pytest.mark.parametrize(
    ("day", "on_time", "working_days"),
    [
        (date(2026, 10, 9), True, 3),  # 30 Sep, 8 Oct, 9 Oct
        (date(2026, 10, 12), True, 5),  # on the deadline day itself
        (date(2026, 10, 13), False, 6),  # one working day late
    ],
)
def test_resolution_records_timeliness_in_working_days(
    in_progress, officer, clock, day, on_time, working_days
):
    clock.move_to(at(day.year, day.month, day.day, 16))

    services.task_resolve(task_id=in_progress.pk, actor=officer, resolution="指标已下达")

    task = reload(in_progress)
    assert (task.state, task.resolution, task.resolved_at) == (
        TaskState.RESOLVED, "指标已下达", at(day.year, day.month, day.day, 16))
    assert task.resolved_on_time is on_time
    assert task.resolution_working_days == working_days
    event = last_event(task)
    assert (event.action, event.actor, event.from_state, event.to_state, event.comment) == (
        EventAction.RESOLVE, officer, TaskState.IN_PROGRESS, TaskState.RESOLVED, "指标已下达")
    assert event.is_visible_to_firm is True


def test_resolution_says_what_was_done(in_progress, officer):
    with unchanged(in_progress), pytest.raises(InvalidTransition, match="Say what was done"):
        services.task_resolve(task_id=in_progress.pk, actor=officer, resolution="")


def test_an_unaccepted_task_cannot_be_resolved(assigned, officer):
    with unchanged(assigned), pytest.raises(InvalidTransition,
                                            match="Only a task in progress can be resolved"):
        services.task_resolve(task_id=assigned.pk, actor=officer, resolution="已办结")


@pytest.mark.parametrize("who", ["other_officer", "staff", "coordinator"])
def test_only_the_department_resolves(request, in_progress, who):
    with unchanged(in_progress), pytest.raises(PermissionDenied):
        services.task_resolve(task_id=in_progress.pk, actor=request.getfixturevalue(who),
                              resolution="已办结")


def test_the_lead_resolves_only_after_the_co_handler_reported(
    submitted, coordinator, officer, other_officer, dept, other_dept
):
    services.task_assign(task_id=submitted.pk, actor=coordinator, department=dept,
                         co_departments=[other_dept])
    lead = services.task_accept(task_id=submitted.pk, actor=officer)
    co = Task.objects.get(obstacle=submitted.obstacle, role=TaskRole.CO)
    services.task_accept(task_id=co.pk, actor=other_officer)

    with unchanged(lead), pytest.raises(InvalidTransition, match=other_dept.name):
        services.task_resolve(task_id=lead.pk, actor=officer, resolution="已办结")

    services.task_resolve(task_id=co.pk, actor=other_officer, resolution="已完成配合事项")
    co = reload(co)
    assert co.state == TaskState.RESOLVED
    assert co.co_reported_at == at(2026, 9, 29)
    event = last_event(co)
    assert (event.action, event.actor, event.from_state, event.to_state) == (
        EventAction.CO_REPORT, other_officer, TaskState.IN_PROGRESS, TaskState.RESOLVED)
    assert event.is_visible_to_firm is False  # a report to the lead, not to the firm

    services.task_resolve(task_id=lead.pk, actor=officer, resolution="已办结")
    assert reload(lead).state == TaskState.RESOLVED


def test_a_co_handler_that_returned_does_not_hold_the_lead_up(
    submitted, coordinator, officer, other_officer, dept, other_dept
):
    services.task_assign(task_id=submitted.pk, actor=coordinator, department=dept,
                         co_departments=[other_dept])
    co = Task.objects.get(obstacle=submitted.obstacle, role=TaskRole.CO)
    services.task_return(task_id=co.pk, actor=other_officer, reason="无需配合")
    services.task_accept(task_id=submitted.pk, actor=officer)

    services.task_resolve(task_id=submitted.pk, actor=officer, resolution="已办结")

    assert reload(submitted).state == TaskState.RESOLVED


# ------------------------------------------------------------------ callback


@pytest.mark.parametrize("rating", [3, 4, 5])
def test_a_satisfied_callback_asks_for_close_out(resolved, staff, rating):
    callback = services.task_callback(task_id=resolved.pk, actor=staff, is_reached=True,
                                      rating=rating, comment="企业表示认可")

    task = reload(resolved)
    assert (task.state, task.rating) == (TaskState.CLOSING, rating)
    callback = Callback.objects.get(pk=callback.pk)
    assert (callback.made_by, callback.rating, callback.is_by_firm, callback.is_reached) == (
        staff, rating, False, True)
    approval = close_out_request(task)
    assert approval.requested_by == staff
    rated, requested = list(TaskEvent.objects.filter(task=task).order_by("pk"))[-2:]
    assert (rated.action, rated.actor, rated.from_state, rated.to_state, rated.comment) == (
        EventAction.CALLBACK, staff, TaskState.RESOLVED, TaskState.RESOLVED, "企业表示认可")
    assert rated.is_visible_to_firm is True
    assert rated.data == {"rating": rating, "by_firm": False}
    assert (requested.action, requested.from_state, requested.to_state) == (
        EventAction.CLOSE_REQUEST, TaskState.RESOLVED, TaskState.CLOSING)


@pytest.mark.parametrize("rating", [1, 2])
def test_a_dissatisfied_callback_reopens_for_rectification(resolved, staff, clock, rating):
    clock.move_to(at(2026, 10, 9))

    services.task_callback(task_id=resolved.pk, actor=staff, is_reached=True, rating=rating,
                           comment="问题仍未解决")

    task = reload(resolved)
    assert task.state == TaskState.IN_PROGRESS
    assert task.rectification_count == 1
    # RECTIFICATION_WORKING_DAYS (5) from Fri 9 Oct: 10 (Sat, make-up), 12, 13, 14, 15
    assert task.deadline_on == add_working_days(
        date(2026, 10, 9), settings.DESK["RECTIFICATION_WORKING_DAYS"])
    assert task.deadline_on == date(2026, 10, 15)
    assert (task.resolved_at, task.resolved_on_time, task.resolution_working_days) == (
        None, None, None)
    assert not task.approvals.filter(kind=ApprovalKind.CLOSE_OUT).exists()
    event = last_event(task)
    assert (event.action, event.actor, event.from_state, event.to_state, event.comment) == (
        EventAction.REOPEN, staff, TaskState.RESOLVED, TaskState.IN_PROGRESS, "问题仍未解决")
    assert event.is_visible_to_firm is True


def test_an_unreached_firm_changes_nothing_but_the_log(resolved, staff):
    services.task_callback(task_id=resolved.pk, actor=staff, is_reached=False, rating=5)

    task = reload(resolved)
    assert (task.state, task.rating) == (TaskState.RESOLVED, None)
    assert Callback.objects.get(task=task).rating is None
    event = last_event(task)
    assert (event.action, event.actor, event.is_visible_to_firm) == (
        EventAction.CALLBACK, staff, False)


def test_a_callback_needs_a_rating_on_the_scale(resolved, staff):
    with unchanged(resolved), pytest.raises(InvalidTransition, match="rating"):
        services.task_callback(task_id=resolved.pk, actor=staff, is_reached=True, rating=6)


def test_no_callback_before_resolution(in_progress, staff):
    with unchanged(in_progress), pytest.raises(InvalidTransition, match="once the task is resolved"):
        services.task_callback(task_id=in_progress.pk, actor=staff, is_reached=True, rating=5)


@pytest.mark.parametrize("who", ["officer", "head", "leader", "firm2"])
def test_the_handling_department_cannot_grade_itself(request, resolved, who):
    # officer owns it, head is in the department; a leader reads only; firm2 is a stranger
    with unchanged(resolved), pytest.raises(PermissionDenied):
        services.task_callback(task_id=resolved.pk, actor=request.getfixturevalue(who),
                               is_reached=True, rating=5)


def test_a_coordinator_may_make_the_callback(resolved, coordinator):
    services.task_callback(task_id=resolved.pk, actor=coordinator, is_reached=True, rating=5)

    assert reload(resolved).state == TaskState.CLOSING


def test_the_firms_own_rating_counts_as_the_callback(resolved, firm):
    services.task_callback(task_id=resolved.pk, actor=firm, is_reached=True, rating=5,
                           by_firm=True)

    assert reload(resolved).state == TaskState.CLOSING
    callback = Callback.objects.get(task=resolved)
    assert (callback.made_by, callback.is_by_firm) == (firm, True)


@pytest.mark.parametrize(("who", "by_firm"), [("firm2", True), ("firm", False)])
def test_a_firm_rates_only_its_own_obstacle_and_only_as_the_firm(request, resolved, who,
                                                                 by_firm):
    with unchanged(resolved), pytest.raises(PermissionDenied):
        services.task_callback(task_id=resolved.pk, actor=request.getfixturevalue(who),
                               is_reached=True, rating=5, by_firm=by_firm)


# ------------------------------------------------------------------ close-out and reopen


def test_close_out_approval_closes_the_lead_and_its_co_tasks(
    submitted, coordinator, officer, other_officer, staff, dept, other_dept
):
    services.task_assign(task_id=submitted.pk, actor=coordinator, department=dept,
                         co_departments=[other_dept])
    co = Task.objects.get(obstacle=submitted.obstacle, role=TaskRole.CO)
    services.task_accept(task_id=co.pk, actor=other_officer)
    services.task_resolve(task_id=co.pk, actor=other_officer, resolution="已配合")
    services.task_accept(task_id=submitted.pk, actor=officer)
    services.task_resolve(task_id=submitted.pk, actor=officer, resolution="已办结")
    services.task_callback(task_id=submitted.pk, actor=staff, is_reached=True, rating=5)
    approval = close_out_request(submitted)

    services.close_out_decide(approval_id=approval.pk, actor=coordinator, approve=True,
                              comment="同意销号")

    lead, co = reload(submitted), reload(co)
    assert (lead.state, lead.closed_at) == (TaskState.CLOSED, at(2026, 9, 29))
    assert (co.state, co.closed_at) == (TaskState.CLOSED, at(2026, 9, 29))
    approval = ApprovalRequest.objects.get(pk=approval.pk)
    assert (approval.status, approval.decided_by) == (ApprovalStatus.APPROVED, coordinator)
    event = last_event(lead)
    assert (event.action, event.actor, event.from_state, event.to_state, event.comment) == (
        EventAction.CLOSE, coordinator, TaskState.CLOSING, TaskState.CLOSED, "同意销号")
    assert event.is_visible_to_firm is True
    co_event = last_event(co)
    assert (co_event.action, co_event.from_state, co_event.to_state) == (
        EventAction.CLOSE, TaskState.RESOLVED, TaskState.CLOSED)


def test_a_refused_close_out_sends_the_task_back_to_work(closing, coordinator, clock):
    approval = close_out_request(closing)
    with unchanged(closing), pytest.raises(InvalidTransition, match="Say why"):
        services.close_out_decide(approval_id=approval.pk, actor=coordinator, approve=False)

    services.close_out_decide(approval_id=approval.pk, actor=coordinator, approve=False,
                              comment="办结材料不全")

    task = reload(closing)
    assert (task.state, task.rectification_count) == (TaskState.IN_PROGRESS, 1)
    assert task.deadline_on == date(2026, 10, 12)  # 5 working days to rectify
    assert ApprovalRequest.objects.get(pk=approval.pk).status == ApprovalStatus.REFUSED
    event = last_event(task)
    assert (event.action, event.actor, event.from_state, event.to_state, event.comment) == (
        EventAction.CLOSE_REFUSED, coordinator, TaskState.CLOSING, TaskState.IN_PROGRESS,
        "办结材料不全")


@pytest.mark.parametrize("who", ["head", "staff", "leader"])
def test_only_a_coordinator_signs_the_close_out(request, closing, who):
    with unchanged(closing), pytest.raises(PermissionDenied):
        services.close_out_decide(approval_id=close_out_request(closing).pk,
                                  actor=request.getfixturevalue(who), approve=True)


def test_a_close_out_is_decided_once(closing, coordinator):
    approval = close_out_request(closing)
    services.close_out_decide(approval_id=approval.pk, actor=coordinator, approve=True)
    task = reload(closing)

    with unchanged(task), pytest.raises(InvalidTransition, match="already been decided"):
        services.close_out_decide(approval_id=approval.pk, actor=coordinator, approve=True)


def test_a_stale_close_out_request_on_a_task_at_work_is_refused(in_progress, coordinator,
                                                                 staff):
    approval = ApprovalRequest.objects.create(kind=ApprovalKind.CLOSE_OUT, task=in_progress,
                                              requested_by=staff)

    with unchanged(in_progress), pytest.raises(InvalidTransition, match="not awaiting close-out"):
        services.close_out_decide(approval_id=approval.pk, actor=coordinator, approve=True)


def test_a_coordinator_reopens_a_closed_task_with_a_reason(closed, coordinator, clock):
    clock.move_to(at(2026, 11, 2))

    services.task_reopen(task_id=closed.pk, actor=coordinator, reason="企业再次反映")

    task = reload(closed)
    assert (task.state, task.closed_at, task.rectification_count) == (
        TaskState.IN_PROGRESS, None, 1)
    assert task.deadline_on == date(2026, 11, 9)
    event = last_event(task)
    assert (event.action, event.actor, event.from_state, event.to_state, event.comment) == (
        EventAction.REOPEN, coordinator, TaskState.CLOSED, TaskState.IN_PROGRESS, "企业再次反映")
    assert event.is_visible_to_firm is True


def test_reopening_needs_a_reason(closed, coordinator):
    with unchanged(closed), pytest.raises(InvalidTransition, match="needs a reason"):
        services.task_reopen(task_id=closed.pk, actor=coordinator, reason="")


def test_only_a_closed_task_is_reopened(closing, coordinator):
    with unchanged(closing), pytest.raises(InvalidTransition, match="Only a closed task"):
        services.task_reopen(task_id=closing.pk, actor=coordinator, reason="企业再次反映")


@pytest.mark.parametrize("who", ["officer", "head", "staff", "leader"])
def test_only_a_coordinator_reopens(request, closed, who):
    with unchanged(closed), pytest.raises(PermissionDenied):
        services.task_reopen(task_id=closed.pk, actor=request.getfixturevalue(who),
                             reason="企业再次反映")


def test_a_reference_used_for_another_enterprise_is_refused(staff, category, enterprise,
                                                           enterprise_b):
    from approvals.services import InvalidTransition, obstacle_submit

    first = obstacle_submit(actor=staff, enterprise=enterprise, category=category, title="t",
                            description="d", channel="hotline", external_ref="GD-1")
    with pytest.raises(InvalidTransition):
        obstacle_submit(actor=staff, enterprise=enterprise_b, category=category, title="t",
                        description="d", channel="hotline", external_ref="GD-1")
    assert obstacle_submit(actor=staff, enterprise=enterprise, category=category, title="t",
                           description="d", channel="hotline", external_ref="GD-1") == first
