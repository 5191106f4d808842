"""The closed loop's writes: one atomic function per transition.

Every function here, in this order: locks the task row (``select_for_update``),
checks the actor (``permissions.require``), re-checks the state under the lock,
changes the row with ``update_fields``, writes one immutable ``TaskEvent`` per
task it moves, and returns the object. Nothing else in the project assigns
``Task.state``: views, admin actions, Celery jobs and the API call these.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import permissions, signals
from .calendar import add_working_days, deadline_for, working_days_ago, working_days_between
from .choices import (
    DONE_STATES,
    OPEN_STATES,
    AppealStatus,
    ApprovalKind,
    ApprovalStatus,
    Channel,
    EventAction,
    Rating,
    RejectReason,
    Role,
    TaskRole,
    TaskState,
)
from .models import (
    ApprovalRequest,
    Attachment,
    Callback,
    Department,
    Obstacle,
    ObstacleCategory,
    RatingAppeal,
    Task,
    TaskEvent,
)


class InvalidTransition(ValidationError):
    """The move is not possible from the task's current state (or data); the
    message says why and is shown to the user as a form error or a 400."""


def _desk(key: str) -> int:
    return settings.DESK[key]


def _lock(task_id: int) -> Task:
    # of=("self",): lock the task row only, not the joined obstacle (PostgreSQL
    # refuses FOR UPDATE on the nullable side of an outer join anyway).
    return (
        Task.objects.select_for_update(of=("self",))
        .select_related("obstacle", "obstacle__category")
        .get(pk=task_id)
    )


def _event(
    task: Task,
    actor,
    action: str,
    from_state: str = "",
    *,
    comment: str = "",
    visible: bool = False,
    data: dict | None = None,
    department_id: int | None = None,
) -> TaskEvent:
    event = TaskEvent.objects.create(
        task=task,
        department_id=department_id if department_id is not None else task.department_id,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=task.state,
        comment=comment,
        is_visible_to_firm=visible,
        data=data or {},
    )
    signals.announce([event.pk])
    return event


def _require_state(task: Task, *states: str, message: str) -> None:
    if task.state not in states:
        raise InvalidTransition(message)


def _require_text(value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidTransition(message)
    return value


def _require_department(actor, action: str, task: Task) -> None:
    """``permissions.require`` for the department's own moves. A task that is
    with no department (a colleague returned it a moment ago, or it was
    rejected) gets a clear refusal, not a bare 403: the officer acted on a page
    that still showed the task in their department."""
    if task.department_id is None and permissions.roles(actor) & permissions.DEPARTMENT_ROLES:
        raise InvalidTransition(
            _("This task is not with any department now: it is back with the "
              "coordinator or was rejected.")
        )
    permissions.require(actor, action, task)


def attachment_add(*, obstacle: Obstacle, upload, actor, event: TaskEvent | None = None):
    """Store an uploaded file (already checked by the form) as a private attachment."""
    attachment = Attachment(
        obstacle=obstacle,
        event=event,
        token=secrets.token_hex(16),
        original_name=getattr(upload, "name", "file")[:200],
        content_type=getattr(upload, "content_type", "") or "application/octet-stream",
        size=upload.size,
        uploaded_by=actor,
    )
    attachment.file.save(attachment.token, upload, save=False)
    attachment.save()
    return attachment


# ------------------------------------------------------------------ intake


def _require_intake(actor, enterprise, channel: str) -> None:
    """Staff record obstacles for any firm; a firm user only for its own, on
    the portal; an integration (API key user) only on its channel."""
    r = permissions.roles(actor)
    if r & {Role.SERVICE_STAFF, Role.COORDINATOR}:
        return
    if (
        channel == Channel.PORTAL
        and Role.FIRM_USER in r
        and enterprise.memberships.filter(user=actor).exists()
    ):
        return
    # an integration's service account (``api.Integration.user``), read through
    # the reverse accessor so approvals never imports the API app
    integration = getattr(actor, "api_integration", None)
    if (
        integration is not None
        and integration.is_active
        and channel == integration.channel
        and channel not in (Channel.PORTAL, Channel.VISIT)
    ):
        return
    raise permissions.PermissionDenied


@transaction.atomic
def obstacle_submit(
    *,
    actor,
    enterprise,
    category: ObstacleCategory,
    title: str,
    description: str,
    channel: str,
    urgency: str = "normal",
    project_name: str = "",
    project_investment=None,
    contact_name: str = "",
    contact_phone: str = "",
    external_ref: str = "",
    received_by=None,
    received_at=None,
    visit=None,
    files: Iterable = (),
) -> Obstacle:
    """Take in an obstacle and open its lead task in ``submitted``.

    ``received_by`` (首问负责人) defaults to the actor when staff take it in.
    An ``external_ref`` already taken in on the same channel returns the existing
    obstacle: a hotline work order is never taken in twice, even when two
    requests race (the unique constraint decides, the loser reads the winner).
    """
    _require_intake(actor, enterprise, channel)
    external_ref = (external_ref or "").strip()
    if external_ref:
        existing = Obstacle.objects.filter(channel=channel, external_ref=external_ref).first()
        if existing is not None:
            if existing.enterprise_id != enterprise.pk:
                # never hand one firm's obstacle to a sender naming another firm
                raise InvalidTransition(
                    _("This reference was already used for another enterprise."))
            return existing
    if received_by is None and permissions.is_staff_member(actor):
        received_by = actor
    obstacle = Obstacle(
        enterprise=enterprise,
        category=category,
        title=_require_text(title, _("A title is required.")),
        description=_require_text(description, _("Describe the obstacle.")),
        channel=channel,
        urgency=urgency,
        project_name=project_name,
        project_investment=project_investment,
        contact_name=contact_name,
        contact_phone=contact_phone,
        external_ref=external_ref,
        received_by=received_by,
        received_at=received_at or timezone.now(),
        visit=visit,
    )
    try:
        with transaction.atomic():
            obstacle.save()
    except IntegrityError:
        if external_ref:
            return Obstacle.objects.get(channel=channel, external_ref=external_ref)
        raise
    task = Task.objects.create(obstacle=obstacle, role=TaskRole.LEAD)
    event = _event(task, actor, EventAction.SUBMIT, visible=True)
    for upload in files:
        attachment_add(obstacle=obstacle, upload=upload, actor=actor, event=event)
    return obstacle


@transaction.atomic
def task_reject(*, task_id: int, actor, reason: str, comment: str) -> Task:
    """A coordinator rejects a submitted obstacle (duplicate or out of scope)."""
    task = _lock(task_id)
    permissions.require(actor, "reject", task)
    _require_state(task, TaskState.SUBMITTED,
                   message=_("Only a submitted obstacle can be rejected."))
    if reason not in RejectReason.values:
        raise InvalidTransition(_("Choose why the obstacle is rejected."))
    comment = _require_text(comment, _("Explain the rejection to the firm."))
    old, task.state = task.state, TaskState.REJECTED
    task.save(update_fields=["state", "updated_at"])
    _event(task, actor, EventAction.REJECT, old, comment=comment, visible=True,
           data={"reason": reason})
    return task


# ------------------------------------------------------------------ assignment


def _assign(task: Task, department: Department, now) -> None:
    limit = task.obstacle.category.limit_for(task.obstacle.urgency)
    task.state = TaskState.ASSIGNED
    task.department = department
    task.owner = None
    task.assigned_at = now
    task.accepted_at = None
    task.deadline_on = deadline_for(now, limit)
    if task.original_deadline_on is None:
        task.original_deadline_on = task.deadline_on
    task.escalation_level = 0
    task.escalated_at = None


_ASSIGN_FIELDS = [
    "state", "department", "owner", "assigned_at", "accepted_at", "deadline_on",
    "original_deadline_on", "escalation_level", "escalated_at", "is_ruled", "updated_at",
]


def _open_co_tasks(lead: Task, actor, co_departments: Sequence[Department], now) -> None:
    for department in co_departments:
        if department.pk == lead.department_id:
            continue
        co, created = Task.objects.get_or_create(
            obstacle=lead.obstacle, role=TaskRole.CO, department=department,
            defaults={"state": TaskState.SUBMITTED},
        )
        if not created and co.state not in (TaskState.SUBMITTED, TaskState.REJECTED):
            continue
        old = co.state
        co.obstacle = lead.obstacle
        _assign(co, department, now)
        co.deadline_on, co.original_deadline_on = lead.deadline_on, lead.deadline_on
        co.save(update_fields=_ASSIGN_FIELDS)
        _event(co, actor, EventAction.ASSIGN, old, data={"department": department.name})


@transaction.atomic
def task_assign(
    *,
    task_id: int,
    actor,
    department: Department,
    co_departments: Sequence[Department] = (),
    comment: str = "",
) -> Task:
    """交办: a coordinator hands a submitted obstacle to a department, with
    optional co-handling departments; the deadline starts now."""
    task = _lock(task_id)
    permissions.require(actor, "assign", task)
    _require_state(task, TaskState.SUBMITTED,
                   message=_("Only a submitted obstacle can be assigned."))
    if not task.is_lead:
        raise InvalidTransition(_("Co-handling tasks are assigned with their lead task."))
    if task.transfer_count >= 2:
        raise InvalidTransition(
            _("This task has been returned twice: make a ruling on who owns it.")
        )
    now = timezone.now()
    old = task.state
    _assign(task, department, now)
    task.save(update_fields=_ASSIGN_FIELDS)
    _event(task, actor, EventAction.ASSIGN, old, comment=comment, visible=True,
           data={"department": department.name, "deadline": task.deadline_on.isoformat()})
    _open_co_tasks(task, actor, co_departments, now)
    return task


@transaction.atomic
def task_rule(*, task_id: int, actor, department: Department, reason: str) -> Task:
    """职责边界厘清: after repeated returns the coordinator names the owner
    department; final, and that department can no longer return the task."""
    task = _lock(task_id)
    permissions.require(actor, "rule", task)
    _require_state(task, TaskState.SUBMITTED,
                   message=_("A ruling is made on a task waiting for assignment."))
    reason = _require_text(reason, _("A ruling needs its reason."))
    now = timezone.now()
    ApprovalRequest.objects.create(
        kind=ApprovalKind.RULING, task=task, status=ApprovalStatus.APPROVED,
        requested_by=actor, reason=reason, ruled_department=department,
        decided_by=actor, decided_at=now, decision_comment=reason,
    )
    old = task.state
    _assign(task, department, now)
    task.is_ruled = True
    task.save(update_fields=_ASSIGN_FIELDS)
    _event(task, actor, EventAction.RULING, old, comment=reason, visible=True,
           data={"department": department.name, "deadline": task.deadline_on.isoformat()})
    return task


@transaction.atomic
def task_set_owner(*, task_id: int, actor, owner) -> Task:
    """The department head names the owner (责任人) inside the department."""
    task = _lock(task_id)
    _require_department(actor, "set_owner", task)
    _require_state(task, *OPEN_STATES,
                   message=_("An owner is named while the task is open."))
    if permissions.user_department_id(owner) != task.department_id or not (
        permissions.roles(owner) & permissions.DEPARTMENT_ROLES
    ):
        raise InvalidTransition(_("The owner must be an officer of the responsible department."))
    task.owner = owner
    task.save(update_fields=["owner", "updated_at"])
    _event(task, actor, EventAction.SET_OWNER, task.state,
           data={"owner": owner.get_username()})
    return task


@transaction.atomic
def task_accept(*, task_id: int, actor, comment: str = "") -> Task:
    """The department accepts the task; without a named owner the acceptor owns it."""
    task = _lock(task_id)
    _require_department(actor, "accept", task)
    _require_state(task, TaskState.ASSIGNED,
                   message=_("Only an assigned task can be accepted."))
    old, task.state = task.state, TaskState.IN_PROGRESS
    task.accepted_at = timezone.now()
    if task.owner_id is None:
        task.owner = actor
    task.save(update_fields=["state", "accepted_at", "owner", "updated_at"])
    _event(task, actor, EventAction.ACCEPT, old, comment=comment, visible=True)
    return task


def return_window_ends(task: Task) -> date:
    """The last day on which the department may return the task as not its own."""
    return add_working_days(
        timezone.localdate(task.assigned_at), _desk("RETURN_WINDOW_WORKING_DAYS")
    )


@transaction.atomic
def task_return(*, task_id: int, actor, reason: str) -> Task:
    """退回: "not ours", with a reason, within the return window. A lead task
    goes back to the coordinator (transfer count +1); a co-handling task leaves
    the obstacle."""
    task = _lock(task_id)
    _require_department(actor, "return", task)
    _require_state(task, TaskState.ASSIGNED,
                   message=_("Only an assigned task that is not yet accepted can be returned."))
    reason = _require_text(reason, _("Say why the task is not your department's."))
    if task.is_ruled:
        raise InvalidTransition(
            _("The coordinator ruled that this task is your department's; it cannot be returned.")
        )
    if timezone.localdate() > return_window_ends(task):
        raise InvalidTransition(
            _("The return window ended on %(date)s; ask the coordinator instead.")
            % {"date": return_window_ends(task).isoformat()}
        )
    old = task.state
    department = task.department
    if task.is_lead:
        task.state = TaskState.SUBMITTED
        task.transfer_count += 1
    else:
        task.state = TaskState.REJECTED
    task.department = department if not task.is_lead else None
    task.owner = None
    task.deadline_on = None
    task.escalation_level = 0
    task.escalated_at = None
    task.save(update_fields=["state", "transfer_count", "department", "owner", "deadline_on",
                             "escalation_level", "escalated_at", "updated_at"])
    _event(task, actor, EventAction.RETURN, old, comment=reason,
           department_id=department.pk if department else None,
           data={"department": department.name if department else ""})
    return task


# ------------------------------------------------------------------ work


@transaction.atomic
def task_add_note(*, task_id: int, actor, comment: str, is_visible_to_firm: bool = False) -> TaskEvent:
    """A progress note; internal unless marked visible to the firm."""
    task = _lock(task_id)
    _require_department(actor, "note", task)
    _require_state(task, *OPEN_STATES, message=_("Notes are added while the task is open."))
    comment = _require_text(comment, _("The note is empty."))
    return _event(task, actor, EventAction.NOTE, task.state, comment=comment,
                  visible=is_visible_to_firm)


@transaction.atomic
def extension_request(*, task_id: int, actor, new_deadline: date, reason: str) -> ApprovalRequest:
    """延期申请: ask the coordinator for a later deadline."""
    task = _lock(task_id)
    _require_department(actor, "request_extension", task)
    _require_state(task, *OPEN_STATES,
                   message=_("An extension is asked for while the task is open."))
    reason = _require_text(reason, _("An extension needs a reason."))
    if new_deadline <= task.deadline_on:
        raise InvalidTransition(
            _("The new deadline must be after the current one (%(date)s).")
            % {"date": task.deadline_on.isoformat()}
        )
    if task.extension_count >= _desk("MAX_EXTENSIONS"):
        raise InvalidTransition(
            _("This task has had the most extensions allowed (%(n)d).")
            % {"n": _desk("MAX_EXTENSIONS")}
        )
    if task.approvals.filter(kind=ApprovalKind.EXTENSION, status=ApprovalStatus.PENDING).exists():
        raise InvalidTransition(_("An extension request is already waiting for a decision."))
    approval = ApprovalRequest.objects.create(
        kind=ApprovalKind.EXTENSION, task=task, requested_by=actor, reason=reason,
        requested_deadline_on=new_deadline, previous_deadline_on=task.deadline_on,
    )
    _event(task, actor, EventAction.EXTENSION_REQUEST, task.state, comment=reason,
           data={"deadline": new_deadline.isoformat(), "approval": approval.pk})
    return approval


def _lock_approval(approval_id: int, kind: str) -> ApprovalRequest:
    approval = ApprovalRequest.objects.select_for_update().get(pk=approval_id, kind=kind)
    if approval.status != ApprovalStatus.PENDING:
        raise InvalidTransition(_("This request has already been decided."))
    return approval


@transaction.atomic
def extension_decide(*, approval_id: int, actor, approve: bool, comment: str = "") -> ApprovalRequest:
    """The coordinator approves (the deadline moves) or refuses an extension."""
    approval = ApprovalRequest.objects.select_for_update().get(
        pk=approval_id, kind=ApprovalKind.EXTENSION
    )
    task = _lock(approval.task_id)
    permissions.require(actor, "decide", task)
    approval = _lock_approval(approval_id, ApprovalKind.EXTENSION)
    if not approve:
        comment = _require_text(comment, _("Say why the extension is refused."))
    if approve:
        _require_state(task, *OPEN_STATES,
                       message=_("The task is no longer open; the extension lapses."))
        task.deadline_on = approval.requested_deadline_on
        task.extension_count += 1
        task.save(update_fields=["deadline_on", "extension_count", "updated_at"])
    approval.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REFUSED
    approval.decided_by, approval.decided_at = actor, timezone.now()
    approval.decision_comment = comment
    approval.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    _event(task, actor, EventAction.EXTENSION_DECISION, task.state, comment=comment,
           visible=approve,
           data={"approved": approve, "deadline": task.deadline_on.isoformat()})
    return approval


@transaction.atomic
def task_escalate(*, task_id: int, actor, level: int, reason: str) -> Task:
    """督办 by hand: a coordinator raises the escalation level with a reason.
    (The overdue job escalates set-wise in ``escalate_overdue``.)"""
    task = _lock(task_id)
    permissions.require(actor, "escalate", task)
    _require_state(task, *OPEN_STATES, message=_("Only an open task can be escalated."))
    reason = _require_text(reason, _("Escalation needs a reason."))
    if level not in (1, 2) or level <= task.escalation_level:
        raise InvalidTransition(
            _("The task is already at escalation level %(level)d.")
            % {"level": task.escalation_level}
        )
    task.escalation_level, task.escalated_at = level, timezone.now()
    task.save(update_fields=["escalation_level", "escalated_at", "updated_at"])
    _event(task, actor, EventAction.ESCALATE, task.state, comment=reason,
           data={"level": level})
    return task


@transaction.atomic
def escalate_overdue(*, today: date | None = None) -> dict[int, int]:
    """The overdue job's service: level 1 for open tasks past their deadline,
    level 2 once they are a further N working days late. Set-wise: one
    conditional UPDATE per level claims the rows (running twice changes
    nothing), then one bulk insert writes their events. Returns {level: count}."""
    today = today or timezone.localdate()
    now = timezone.now()
    cutoff2 = working_days_ago(today, _desk("ESCALATION_LEVEL2_AFTER_WORKING_DAYS"))
    done: dict[int, int] = {}
    for level, condition in (
        (2, Q(escalation_level__lt=2, deadline_on__lte=cutoff2)),
        (1, Q(escalation_level=0, deadline_on__lt=today)),
    ):
        claim = Task.objects.select_for_update(skip_locked=True).filter(
            condition, state__in=OPEN_STATES
        )
        rows = list(claim.values_list("pk", "state", "department_id"))
        ids = [pk for pk, _state, _dept in rows]
        updated = Task.objects.filter(pk__in=ids).update(
            escalation_level=level, escalated_at=now, updated_at=now
        )
        events = TaskEvent.objects.bulk_create(
            TaskEvent(task_id=pk, department_id=dept, actor=None, action=EventAction.ESCALATE, from_state=state,
                      to_state=state, comment=_("Overdue: escalated automatically."),
                      data={"level": level})
            for pk, state, dept in rows
        )
        signals.announce([e.pk for e in events])
        done[level] = updated
    return done


@transaction.atomic
def task_resolve(
    *, task_id: int, actor, resolution: str, files: Iterable = (), cited_pages: Iterable = ()
) -> Task:
    """办结: the owner reports what was done. A co-handling task's resolution is
    its report to the lead; the lead resolves after every co-handler reported.

    ``cited_pages`` (pages or ids) are the policy guides and checklists that
    answer the firm ("policy explained"); they replace what an earlier
    resolution cited, and the event keeps its own list for the history."""
    task = _lock(task_id)
    _require_department(actor, "resolve", task)
    _require_state(task, TaskState.IN_PROGRESS,
                   message=_("Only a task in progress can be resolved."))
    resolution = _require_text(resolution, _("Say what was done."))
    cited_ids = _citable_ids(cited_pages)
    if task.is_lead:
        waiting = task.obstacle.tasks.filter(role=TaskRole.CO).exclude(
            state__in=[*DONE_STATES, TaskState.REJECTED]
        )
        if waiting.exists():
            names = ", ".join(waiting.values_list("department__name", flat=True))
            raise InvalidTransition(
                _("Co-handling departments have not reported yet: %(names)s.")
                % {"names": names}
            )
    now = timezone.now()
    today = timezone.localdate(now)
    old, task.state = task.state, TaskState.RESOLVED
    task.resolution = resolution
    task.resolved_at = now
    task.resolved_on_time = today <= task.deadline_on
    task.resolution_working_days = max(
        0, working_days_between(timezone.localdate(task.assigned_at), today)
    )
    if not task.is_lead:
        task.co_reported_at = now
    task.save(update_fields=["state", "resolution", "resolved_at", "resolved_on_time",
                             "resolution_working_days", "co_reported_at", "updated_at"])
    task.cited_pages.set(cited_ids)
    event = _event(task, actor, EventAction.CO_REPORT if not task.is_lead else EventAction.RESOLVE,
                   old, comment=resolution, visible=task.is_lead,
                   data={"cited_pages": cited_ids} if cited_ids else None)
    for upload in files:
        attachment_add(obstacle=task.obstacle, upload=upload, actor=actor, event=event)
    return task


def _citable_ids(pages: Iterable) -> list[int]:
    """Ids of the cited pages, refused unless each is a published guide in force
    or a published checklist: a firm must never be sent to a draft or an
    expired policy."""
    from cms.selectors import pages_citable

    ids = sorted({int(getattr(p, "pk", p)) for p in pages})
    if not ids:
        return []
    found = set(pages_citable().filter(pk__in=ids).values_list("pk", flat=True))
    if len(found) != len(ids):
        raise InvalidTransition(
            _("Only published policy guides in force and published checklists can be cited."))
    return ids


def _reopen(task: Task, actor, action: str, reason: str, *, visible: bool = True) -> None:
    old = task.state
    task.state = TaskState.IN_PROGRESS
    task.deadline_on = add_working_days(timezone.localdate(), _desk("RECTIFICATION_WORKING_DAYS"))
    task.rectification_count += 1
    task.resolved_at = None
    task.resolved_on_time = None
    task.resolution_working_days = None
    task.closed_at = None
    task.escalation_level = 0
    task.escalated_at = None
    task.save(update_fields=["state", "deadline_on", "rectification_count", "resolved_at",
                             "resolved_on_time", "resolution_working_days", "closed_at",
                             "escalation_level", "escalated_at", "updated_at"])
    _event(task, actor, action, old, comment=reason, visible=visible,
           data={"deadline": task.deadline_on.isoformat()})


@transaction.atomic
def task_callback(
    *,
    task_id: int,
    actor,
    is_reached: bool,
    rating: int | None,
    comment: str = "",
    by_firm: bool = False,
) -> Callback:
    """回访: record the firm's rating of a resolved task. 不满意 or worse reopens
    it for rectification (整改) with a new deadline; otherwise it waits for the
    coordinator's close-out. The handling department cannot grade itself; a
    firm's own rating on the portal counts as the callback."""
    task = _lock(task_id)
    if by_firm:
        if not task.obstacle.enterprise.memberships.filter(user=actor).exists():
            raise permissions.PermissionDenied
    else:
        permissions.require(actor, "callback", task)
    _require_state(task, TaskState.RESOLVED,
                   message=_("A callback is made once the task is resolved."))
    if not task.is_lead:
        raise InvalidTransition(_("Callbacks are made on the lead task."))
    if is_reached and rating not in Rating.values:
        raise InvalidTransition(_("Choose the firm's rating."))
    callback = Callback.objects.create(
        task=task, made_by=actor, is_reached=is_reached,
        rating=rating if is_reached else None, comment=comment, is_by_firm=by_firm,
    )
    if not is_reached:
        _event(task, actor, EventAction.CALLBACK, task.state,
               comment=comment or _("The firm could not be reached."))
        return callback
    task.rating = rating
    task.is_rating_excluded = False  # a new rating counts, whatever an appeal decided
    task.save(update_fields=["rating", "is_rating_excluded", "updated_at"])
    _event(task, actor, EventAction.CALLBACK, task.state, comment=comment, visible=True,
           data={"rating": rating, "by_firm": by_firm})
    if rating <= Rating.DISSATISFIED:
        _reopen(task, actor, EventAction.REOPEN,
                comment or _("The firm is not satisfied: rectification."))
        return callback
    old, task.state = task.state, TaskState.CLOSING
    task.save(update_fields=["state", "updated_at"])
    ApprovalRequest.objects.create(
        kind=ApprovalKind.CLOSE_OUT, task=task, requested_by=actor,
        reason=_("Callback rating: %(rating)s") % {"rating": Rating(rating).label},
    )
    _event(task, actor, EventAction.CLOSE_REQUEST, old)
    return callback


@transaction.atomic
def close_out_decide(*, approval_id: int, actor, approve: bool, comment: str = "") -> ApprovalRequest:
    """销号: the coordinator signs the close-out off (closed), or refuses it,
    which sends the task back for rectification."""
    approval = ApprovalRequest.objects.select_for_update().get(
        pk=approval_id, kind=ApprovalKind.CLOSE_OUT
    )
    task = _lock(approval.task_id)
    permissions.require(actor, "close", task)
    approval = _lock_approval(approval_id, ApprovalKind.CLOSE_OUT)
    _require_state(task, TaskState.CLOSING, message=_("The task is not awaiting close-out."))
    if not approve:
        comment = _require_text(comment, _("Say why the close-out is refused."))
    approval.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REFUSED
    approval.decided_by, approval.decided_at = actor, timezone.now()
    approval.decision_comment = comment
    approval.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    if approve:
        old, task.state = task.state, TaskState.CLOSED
        task.closed_at = timezone.now()
        task.save(update_fields=["state", "closed_at", "updated_at"])
        # co-handling tasks close with their lead
        for co in task.obstacle.tasks.select_for_update().filter(
            role=TaskRole.CO, state=TaskState.RESOLVED
        ):
            co_old, co.state, co.closed_at = co.state, TaskState.CLOSED, task.closed_at
            co.save(update_fields=["state", "closed_at", "updated_at"])
            _event(co, actor, EventAction.CLOSE, co_old)
        _event(task, actor, EventAction.CLOSE, old, comment=comment, visible=True)
    else:
        _reopen(task, actor, EventAction.CLOSE_REFUSED, comment)
    return approval


@transaction.atomic
def task_reopen(*, task_id: int, actor, reason: str) -> Task:
    """A coordinator reopens a closed task, with a reason."""
    task = _lock(task_id)
    permissions.require(actor, "reopen_closed", task)
    _require_state(task, TaskState.CLOSED, message=_("Only a closed task can be reopened."))
    reason = _require_text(reason, _("Reopening needs a reason."))
    _reopen(task, actor, EventAction.REOPEN, reason)
    return task


@transaction.atomic
def task_dispute(*, task_id: int, actor, reason: str) -> Task:
    """The firm disputes a resolution on the portal: the obstacle is not solved.
    The task reopens for rectification with a new deadline, like a bad rating;
    a close-out waiting for sign-off is refused on the firm's word."""
    task = _lock(task_id)
    if not task.obstacle.enterprise.memberships.filter(user=actor).exists():
        raise permissions.PermissionDenied
    if not task.is_lead:
        raise InvalidTransition(_("Only the obstacle's lead task can be disputed."))
    _require_state(task, TaskState.RESOLVED, TaskState.CLOSING,
                   message=_("Only a resolution that is not yet closed can be disputed."))
    reason = _require_text(reason, _("Say why the obstacle is not solved."))
    ApprovalRequest.objects.filter(
        task=task, kind=ApprovalKind.CLOSE_OUT, status=ApprovalStatus.PENDING
    ).update(status=ApprovalStatus.REFUSED, decided_at=timezone.now(),
             decision_comment=_("Disputed by the firm."))
    _reopen(task, actor, EventAction.REOPEN, reason)
    return task


# ------------------------------------------------------------------ integrity


@transaction.atomic
def appeal_submit(*, task_id: int, actor, reason: str, files: Iterable = ()) -> RatingAppeal:
    """申诉复核: the handling department appeals the task's current rating as
    mistaken or malicious, with its grounds and evidence. The evidence is kept
    as private attachments of an internal event (never shown to the firm)."""
    task = _lock(task_id)
    _require_department(actor, "appeal", task)
    if task.rating is None or task.rating >= Rating.SATISFIED:
        raise InvalidTransition(_("Only a rating below satisfied can be appealed."))
    if task.is_rating_excluded:
        raise InvalidTransition(_("This rating is already set aside."))
    reason = _require_text(reason, _("Give the grounds of the appeal."))
    callback = (task.callbacks.filter(rating=task.rating, is_reached=True)
                .order_by("-made_at", "-pk").first())
    if callback is None:
        raise InvalidTransition(_("The rating has no callback to appeal."))
    if RatingAppeal.objects.filter(callback=callback).exists():
        raise InvalidTransition(_("This rating has already been appealed."))
    appeal = RatingAppeal.objects.create(task=task, callback=callback, rating=task.rating,
                                         requested_by=actor, reason=reason)
    event = _event(task, actor, EventAction.APPEAL, task.state, comment=reason,
                   data={"appeal": appeal.pk, "rating": task.rating})
    for upload in files:
        attachment_add(obstacle=task.obstacle, upload=upload, actor=actor, event=event)
    return appeal


@transaction.atomic
def appeal_decide(*, appeal_id: int, actor, uphold: bool, comment: str) -> RatingAppeal:
    """A coordinator decides an appeal. Upheld: the rating stays on record but
    leaves the satisfaction rate (``Task.is_rating_excluded``) while it is the
    task's current rating. The reason is required either way: it is read by
    the department and by auditors."""
    appeal = RatingAppeal.objects.select_for_update().get(pk=appeal_id)
    task = _lock(appeal.task_id)
    permissions.require(actor, "decide_appeal", task)
    appeal = RatingAppeal.objects.select_for_update().get(pk=appeal_id)
    if appeal.status != AppealStatus.PENDING:
        raise InvalidTransition(_("This request has already been decided."))
    comment = _require_text(comment, _("Give the reason for the decision."))
    appeal.status = AppealStatus.UPHELD if uphold else AppealStatus.DISMISSED
    appeal.decided_by, appeal.decided_at = actor, timezone.now()
    appeal.decision_comment = comment
    appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    still_current = task.callbacks.order_by("-made_at", "-pk").filter(
        is_reached=True).values_list("pk", flat=True).first() == appeal.callback_id
    if uphold and still_current:
        task.is_rating_excluded = True
        task.save(update_fields=["is_rating_excluded", "updated_at"])
    _event(task, actor, EventAction.APPEAL_DECISION, task.state, comment=comment,
           data={"appeal": appeal.pk, "upheld": uphold, "excluded": task.is_rating_excluded})
    return appeal


MERGEABLE_STATES = (TaskState.SUBMITTED, *OPEN_STATES)


@transaction.atomic
def obstacle_merge(*, obstacle_id: int, into_id: int, actor, reason: str) -> Obstacle:
    """A coordinator merges a duplicate obstacle into the one that carries on.

    The duplicate keeps its history and points to the survivor
    (``merged_into``); its open tasks end as rejected with a ``merge`` event, and
    leave their department (the event keeps it), so a firm reporting twice does
    not count twice against the department's completion rate."""
    if obstacle_id == into_id:
        raise InvalidTransition(_("An obstacle cannot be merged into itself."))
    # lock both obstacles' tasks in id order: two merges never deadlock
    tasks = list(Task.objects.select_for_update(of=("self",))
                 .filter(obstacle_id__in=[obstacle_id, into_id]).order_by("pk"))
    obstacles = Obstacle.objects.select_for_update().in_bulk([obstacle_id, into_id])
    duplicate, survivor = obstacles.get(obstacle_id), obstacles.get(into_id)
    if duplicate is None or survivor is None:
        raise Obstacle.DoesNotExist
    lead = next((t for t in tasks if t.obstacle_id == obstacle_id and t.is_lead), None)
    permissions.require(actor, "merge", lead)
    reason = _require_text(reason, _("Say why these obstacles are duplicates."))
    if duplicate.merged_into_id is not None:
        raise InvalidTransition(_("This obstacle is already merged."))
    if survivor.merged_into_id is not None:
        raise InvalidTransition(_("Merge into the obstacle that carries on, not into a merged one."))
    if duplicate.enterprise_id != survivor.enterprise_id:
        raise InvalidTransition(_("Only obstacles of the same enterprise can be merged."))
    survivor_lead = next((t for t in tasks if t.obstacle_id == into_id and t.is_lead), None)
    if survivor_lead is None or survivor_lead.state == TaskState.REJECTED:
        raise InvalidTransition(_("The obstacle to keep has been rejected."))
    if lead is None or lead.state not in MERGEABLE_STATES:
        raise InvalidTransition(_("Only an obstacle that is still open can be merged."))
    duplicate.merged_into = survivor
    duplicate.save(update_fields=["merged_into"])
    for task in tasks:
        if task.obstacle_id != obstacle_id or task.state not in MERGEABLE_STATES:
            continue
        old, department_id = task.state, task.department_id
        task.state = TaskState.REJECTED
        task.department = None
        task.owner = None
        task.deadline_on = None
        task.escalation_level, task.escalated_at = 0, None
        task.save(update_fields=["state", "department", "owner", "deadline_on",
                                 "escalation_level", "escalated_at", "updated_at"])
        _event(task, actor, EventAction.MERGE, old, comment=reason, visible=task.is_lead,
               department_id=department_id,
               data={"reason": RejectReason.DUPLICATE, "into": survivor.pk})
    return duplicate


@transaction.atomic
def task_reopen_sampled(*, task_id: int, actor, reason: str) -> Task:
    """销号抽查: an independent second callback found a closed task not actually
    solved. It reopens for rectification like a refused close-out; the
    ``sample_reopen`` event is what counts against the department."""
    task = _lock(task_id)
    permissions.require(actor, "sample_callback", task)
    _require_state(task, TaskState.CLOSED, message=_("Only a closed task can be reopened."))
    if not task.is_lead:
        raise InvalidTransition(_("Callbacks are made on the lead task."))
    reason = _require_text(reason, _("Reopening needs a reason."))
    _reopen(task, actor, EventAction.SAMPLE_REOPEN, reason)
    return task


# The state machine in one table: the states each action starts from. The
# services enforce it under the row lock; task pages use it to offer only the
# moves that can succeed.
ACTION_STATES: dict[str, tuple[str, ...]] = {
    "assign": (TaskState.SUBMITTED,),
    "reject": (TaskState.SUBMITTED,),
    "rule": (TaskState.SUBMITTED,),
    "set_owner": OPEN_STATES,
    "accept": (TaskState.ASSIGNED,),
    "return": (TaskState.ASSIGNED,),
    "note": OPEN_STATES,
    "request_extension": OPEN_STATES,
    "escalate": OPEN_STATES,
    "resolve": (TaskState.IN_PROGRESS,),
    "co_report": (TaskState.IN_PROGRESS,),
    "callback": (TaskState.RESOLVED,),
    "reopen_closed": (TaskState.CLOSED,),
}


def available_actions(user, task: Task) -> list[str]:
    """The actions ``user`` may take on ``task`` in its current state."""
    allowed = permissions.allowed_actions(user, task)
    result = []
    for action, states in ACTION_STATES.items():
        if action not in allowed or task.state not in states:
            continue
        if action in ("assign", "reject", "rule", "resolve", "callback") and not task.is_lead:
            continue
        if action == "co_report" and task.is_lead:
            continue
        if action == "assign" and task.transfer_count >= 2:
            continue
        if action == "rule" and task.transfer_count < 2:
            continue
        if action == "return" and task.is_ruled:
            continue
        if action == "escalate" and task.escalation_level >= 2:
            continue
        result.append(action)
    return result
