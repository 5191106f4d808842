"""Writes of the insight app: the silent-task ladder, chase notices (催办通知书),
close-out sampling and common issues. A task's state changes only through
``approvals.services``."""

from __future__ import annotations

import hashlib
import logging
import math
import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from approvals import permissions
from approvals import services as task_services
from approvals.calendar import add_working_days, working_days_ago, working_days_between
from approvals.choices import OPEN_STATES, Role, TaskRole, TaskState
from approvals.models import Callback, Obstacle, Task, TaskEvent
from approvals.services import InvalidTransition
from letters.choices import CounterKind

from .models import (
    ChaseNotice,
    CloseOutSample,
    CommonIssue,
    SampleItem,
    SampleResult,
    SilentNudge,
)

log = logging.getLogger(__name__)

# ------------------------------------------------------------------ silent tasks


def ladder() -> tuple[int, ...]:
    """The rungs, in working days without an event (``DESK["SILENT_LADDER"]``)."""
    return tuple(sorted({int(d) for d in settings.DESK["SILENT_LADDER"]}))


def silent_since_bound(today: date, days: int) -> datetime:
    """A task is ``days`` working days silent today when its last event was
    before the returned instant: the start of the day after the latest date
    ``d`` with ``add_working_days(d, days) <= today``."""
    d = today
    while add_working_days(d, days) > today:
        d -= timedelta(days=1)
    return timezone.make_aware(datetime.combine(d + timedelta(days=1), datetime.min.time()))


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@transaction.atomic
def silent_scan(*, today: date | None = None) -> dict[int, int]:
    """Flag open tasks with no event for the ladder's working days.

    Set-wise, one ``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING``: the
    open tasks whose last event is older than the first rung, with the highest
    rung already written for this silence (the (task, created_at) event index
    and the reminders' unique index answer each), joined to the rungs each has
    passed since; the unique (task, last event, rung) makes a second run write
    nothing. Of the rungs a task reaches at once, only the highest is sent (the
    lower ones are written as delivered, for the record): ``recipient`` is the
    owner (the department's first head when there is none), and
    ``is_to_head`` says the department's heads are told too (at the last rung,
    or with no owner). ``notifications.jobs.silent_nudges_job`` delivers them.
    Returns {rung: reminders written}."""
    today = today or timezone.localdate()
    rungs = ladder()
    bounds = {r: silent_since_bound(today, r) for r in rungs}
    last = TaskEvent.objects.filter(task=OuterRef("pk")).order_by("-created_at", "-pk")
    # the highest rung already written for this silence: the ladder writes
    # every rung it passes, so the next rungs are those above it
    reached = SilentNudge.objects.filter(task=OuterRef("pk"), last_event=OuterRef("last_id"))
    head = (get_user_model().objects.filter(
        is_active=True, groups__name=Role.DEPARTMENT_HEAD,
        profile__department_id=OuterRef("department_id")).order_by("pk").values("pk")[:1])
    silent = (
        Task.objects.filter(state__in=OPEN_STATES)
        .annotate(last_at=Subquery(last.values("created_at")[:1]))
        .filter(last_at__lt=bounds[rungs[0]])
        .annotate(last_id=Subquery(last.values("pk")[:1]),
                  top=Subquery(reached.order_by("-rung").values("rung")[:1]),
                  s_task=F("pk"), s_owner=F("owner_id"),
                  s_head=Case(When(owner__isnull=True, then=Subquery(head)),
                              default=Value(None), output_field=IntegerField()))
        .order_by()
        .values("s_task", "last_id", "last_at", "s_owner", "s_head", "top")
    )
    silent_sql, silent_params = silent.query.sql_with_params()
    adapt = connection.ops.adapt_datetimefield_value
    now = timezone.now()
    ladder_sql = " UNION ALL ".join(f"SELECT {int(r)} AS rung, %s AS bound" for r in rungs)
    # names from _meta, the rows' SQL compiled by the ORM, values as parameters;
    # WHERE 1 = 1 keeps SQLite from reading ON CONFLICT as a join's ON
    sql = (
        f"INSERT INTO {_q(SilentNudge._meta.db_table)} "  # noqa: S608
        f"(task_id, last_event_id, rung, recipient_id, is_to_head, created_at, delivered_at) "
        f"SELECT x.s_task, x.last_id, x.rung, "
        f"CASE WHEN x.rung = x.top_now THEN COALESCE(x.s_owner, x.s_head) END, "
        f"CASE WHEN x.rung = x.top_now AND (x.rung = %s OR x.s_owner IS NULL) "
        f"THEN %s ELSE %s END, %s, "
        f"CASE WHEN x.rung = x.top_now THEN NULL ELSE %s END "
        f"FROM (SELECT s.*, l.rung, MAX(l.rung) OVER (PARTITION BY s.s_task) AS top_now "
        f"FROM ({silent_sql}) s INNER JOIN ({ladder_sql}) l "
        f"ON s.last_at < l.bound AND l.rung > COALESCE(s.top, 0)) x "
        f"WHERE 1 = 1 "
        f"ON CONFLICT (task_id, last_event_id, rung) DO NOTHING RETURNING rung"
    )
    params = [rungs[-1], True, False, adapt(now), adapt(now), *silent_params,
              *(adapt(bounds[r]) for r in rungs)]
    counts = dict.fromkeys(rungs, 0)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for (rung,) in cursor.fetchall():
            counts[rung] += 1
    return counts


# ------------------------------------------------------------------ chase notices

# The reference counter's kind for chase notices (``letters.ReferenceCounter``).
CHASE_COUNTER = CounterKind.CHASE
# Working days after the deadline: the chase notice on the first, the
# supervision bulletin names the task when it is still late after the fifth.
CHASE_AFTER_WORKING_DAYS = 1
BULLETIN_AFTER_WORKING_DAYS = 5


def chase_day(deadline_on: date) -> date:
    """The working day after the deadline: the chase notice is due."""
    return add_working_days(deadline_on, CHASE_AFTER_WORKING_DAYS)


def bulletin_day(deadline_on: date) -> date:
    """The fifth working day after the deadline: a task not resolved by the end
    of this day is named in the next supervision bulletin."""
    return add_working_days(deadline_on, BULLETIN_AFTER_WORKING_DAYS)


def latest_deadline_reached(today: date, working_days: int) -> date:
    """The latest deadline ``d`` with ``add_working_days(d, working_days) <= today``:
    every task whose deadline is on or before it has reached that working day."""
    return working_days_ago(today + timedelta(days=1), working_days)


def chase_reference(year: int, number: int) -> str:
    prefix = settings.DESK["CHASE_REFERENCE_PREFIX"]
    return f"{prefix}〔{year}〕{number}号"


def chase_due(today: date) -> QuerySet[Task]:
    """Open tasks of a department owed a chase notice today, oldest deadline
    first, in one query: the first working day after the deadline has come,
    and no notice exists for the task's current deadline. A missed day is caught
    up until the bulletin day (the fifth working day after the deadline);
    after it the bulletin names the task and a notice would come too late."""
    newest = latest_deadline_reached(today, CHASE_AFTER_WORKING_DAYS)
    # deadlines whose bulletin day has passed (bulletin day < today)
    too_old = working_days_ago(today, BULLETIN_AFTER_WORKING_DAYS)
    issued = ChaseNotice.objects.filter(task=OuterRef("pk"), deadline_on=OuterRef("deadline_on"))
    return (Task.objects.filter(state__in=OPEN_STATES, department__isnull=False,
                                deadline_on__lte=newest, deadline_on__gt=too_old)
            .filter(~Exists(issued)).order_by("deadline_on", "pk"))


def _person(user) -> str:
    if user is None:
        return ""
    profile = getattr(user, "profile", None)
    return (profile.display_name if profile else "") or user.get_username()


def chase_contents(task: Task, *, issued_on: date) -> dict:
    """What the notice prints, frozen as JSON in the archive."""
    from letters.documents import chinese_date

    User = get_user_model()
    heads = [_person(u) for u in User.objects.filter(
        is_active=True, groups__name=Role.DEPARTMENT_HEAD,
        profile__department_id=task.department_id).select_related("profile").order_by("pk")]
    obstacle = task.obstacle
    return {
        "task": task.pk, "obstacle": obstacle.pk, "title": obstacle.title,
        "enterprise": obstacle.enterprise.name,
        "category": obstacle.category.name if obstacle.category_id else "",
        "department": task.department.name, "department_id": task.department_id,
        "role": task.role, "state": task.state,
        "owner": _person(task.owner), "heads": heads,
        "assigned_on": (chinese_date(timezone.localdate(task.assigned_at))
                        if task.assigned_at else ""),
        "deadline": chinese_date(task.deadline_on),
        "deadline_iso": task.deadline_on.isoformat(),
        "issued": chinese_date(issued_on),
        "days_late": max(0, working_days_between(task.deadline_on, issued_on)),
        "bulletin_day": chinese_date(bulletin_day(task.deadline_on)),
        "escalation_level": task.escalation_level,
    }


def chase_notice_html(*, data: dict, reference: str) -> str:
    """The notice's HTML (call inside ``translation.override``): only its own
    rules; ``letters.documents.render`` adds the status letter's house style
    and fonts (parsed once per process)."""
    return render_to_string("insight/chase_notice_pdf.html", {
        "reference": reference, "office": settings.DESK["OFFICE_NAME"],
        "office_address": settings.DESK["OFFICE_ADDRESS"],
        "office_phone": settings.DESK["OFFICE_PHONE"], "d": data,
    })


def chase_notice_create(*, task_id: int, today: date | None = None) -> ChaseNotice | None:
    """催办通知书 for one task whose deadline passed: numbered, rendered,
    hashed, stored and archived; ``None`` when none is owed (the task moved on,
    or its notice for this deadline exists).

    Like a status letter, the number is taken under the counter's row lock
    (held only for the increment) and the PDF rendered outside any
    transaction. Two workers on the same task both render, the unique (task,
    deadline) lets one row in; the other deletes its file and leaves a gap in
    the numbers, never a second notice."""
    from letters.documents import render
    from letters.services import reference_allocate

    today = today or timezone.localdate()
    task = (Task.objects.select_related("obstacle", "obstacle__enterprise", "obstacle__category",
                                        "department", "owner", "owner__profile")
            .filter(pk=task_id).first())
    if (task is None or task.state not in OPEN_STATES or task.department_id is None
            or task.deadline_on is None or chase_day(task.deadline_on) > today
            or ChaseNotice.objects.filter(task=task, deadline_on=task.deadline_on).exists()):
        return None
    (number,) = reference_allocate(kind=CHASE_COUNTER, year=today.year)
    reference = chase_reference(today.year, number)
    data = chase_contents(task, issued_on=today)
    with translation.override("zh-hans"):
        pdf = render(chase_notice_html(data=data, reference=reference), "zh-hans")
    storage = ChaseNotice._meta.get_field("file").storage
    name = storage.save(f"chase/{today.year}/{today.year}-{number:05d}.pdf", ContentFile(pdf))
    try:
        with transaction.atomic():
            return ChaseNotice.objects.create(
                reference=reference, year=today.year, number=number, task=task,
                department_id=task.department_id, deadline_on=task.deadline_on,
                issued_on=today, bulletin_on=bulletin_day(task.deadline_on), data=data,
                sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf), file=name)
    except IntegrityError:
        # another worker archived this task's notice meanwhile
        storage.delete(name)
        log.info("chase notice for task %s, deadline %s: already issued", task.pk,
                 task.deadline_on)
        return None


# ------------------------------------------------------------------ sampling


def week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _week_bounds(monday: date) -> tuple[datetime, datetime]:
    lo = timezone.make_aware(datetime.combine(monday, datetime.min.time()))
    return lo, lo + timedelta(days=7)


def draw(task_ids: Sequence[int], rate: Decimal, seed: int) -> list[int]:
    """The sample: ``ceil(rate × n)`` of the ids, drawn with ``random.Random(seed)``
    from the sorted ids, so the same week, rate and seed give the same tasks."""
    ids = sorted(task_ids)
    k = min(len(ids), math.ceil(Decimal(len(ids)) * Decimal(rate))) if ids else 0
    # not for secrets: a seeded generator is the point, anyone can redraw the sample
    return sorted(random.Random(seed).sample(ids, k))  # noqa: S311


@transaction.atomic
def sample_draw(*, monday: date, actor=None, rate: Decimal | None = None,
                seed: int | None = None) -> CloseOutSample:
    """销号抽查: draw the week's sample of lead tasks closed that week (Monday to
    Sunday). Once per week: a second call returns the sample already drawn."""
    if actor is not None and not permissions.has_role(actor, Role.COORDINATOR):
        raise permissions.PermissionDenied
    monday = week_start(monday)
    existing = CloseOutSample.objects.select_for_update().filter(week_start_on=monday).first()
    if existing is not None:
        return existing
    rate = Decimal(str(rate if rate is not None else settings.DESK["SAMPLE_RATE"]))
    if not Decimal(0) < rate <= Decimal(1):
        raise InvalidTransition(_("The sample rate is between 0 and 1."))
    if seed is None:
        seed = int(monday.strftime("%Y%m%d"))
    lo, hi = _week_bounds(monday)
    closed = dict(Task.objects.filter(role=TaskRole.LEAD, closed_at__gte=lo, closed_at__lt=hi)
                  .values_list("pk", "department_id"))
    sample = CloseOutSample.objects.create(week_start_on=monday, rate=rate, seed=seed,
                                           population=len(closed), created_by=actor)
    SampleItem.objects.bulk_create(
        SampleItem(sample=sample, task_id=pk, department_id=closed[pk])
        for pk in draw(list(closed), rate, seed))
    return sample


def involved_user_ids(task: Task) -> set[int]:
    """Everyone who acted on the task or called the firm back about it."""
    ids = set(TaskEvent.objects.filter(task=task, actor__isnull=False)
              .values_list("actor_id", flat=True))
    ids |= set(Callback.objects.filter(task=task).values_list("made_by_id", flat=True))
    if task.owner_id:
        ids.add(task.owner_id)
    return ids


@transaction.atomic
def sample_record(*, item_id: int, actor, result: str, comment: str = "") -> SampleItem:
    """The independent second callback of a sampled task, by staff who took no
    part in it. "Not actually solved" reopens the task through
    ``approvals.services.task_reopen_sampled`` (and counts against the
    department that closed it)."""
    item = SampleItem.objects.select_for_update().select_related("task").get(pk=item_id)
    permissions.require(actor, "sample_callback", item.task)
    if actor.pk in involved_user_ids(item.task):
        raise InvalidTransition(_("The second callback is made by someone who took no "
                                  "part in the task."))
    if item.result != SampleResult.PENDING:
        raise InvalidTransition(_("This sampled task has already been called back."))
    if result not in (SampleResult.SOLVED, SampleResult.NOT_SOLVED, SampleResult.UNREACHABLE):
        raise InvalidTransition(_("Choose the result of the call."))
    comment = (comment or "").strip()
    if result == SampleResult.NOT_SOLVED:
        if not comment:
            raise InvalidTransition(_("Say what the firm says is not solved."))
        if item.task.state == TaskState.CLOSED:
            task_services.task_reopen_sampled(
                task_id=item.task_id, actor=actor,
                reason=_("Close-out sample: not actually solved. %(comment)s")
                % {"comment": comment})
    item.result, item.comment = result, comment
    item.called_by, item.called_at = actor, timezone.now()
    item.save(update_fields=["result", "comment", "called_by", "called_at"])
    return item


# ------------------------------------------------------------------ common issues


@transaction.atomic
def common_issue_create(*, actor, title: str, category, owner, deadline_on: date,
                        obstacle_ids: Sequence[int], department=None,
                        description: str = "") -> CommonIssue:
    """A coordinator confirms a common issue (共性问题) for thematic supervision,
    with its own owner and deadline, linking obstacles of its category."""
    if not permissions.has_role(actor, Role.COORDINATOR):
        raise permissions.PermissionDenied
    title = (title or "").strip()
    if not title:
        raise InvalidTransition(_("A title is required."))
    obstacles = list(Obstacle.objects.filter(pk__in=obstacle_ids, category=category)
                     .values_list("pk", flat=True))
    if len(obstacles) < 2:
        raise InvalidTransition(_("A common issue links at least two obstacles of its category."))
    if deadline_on < timezone.localdate():
        raise InvalidTransition(_("The deadline cannot be in the past."))
    issue = CommonIssue.objects.create(title=title, category=category, owner=owner,
                                       department=department, deadline_on=deadline_on,
                                       description=description, created_by=actor)
    issue.obstacles.set(obstacles)
    return issue
