"""The scheduled jobs' service functions. Each runs in one transaction,
records a ``JobRun``, finds its rows set-wise in SQL and hands them to
``services.fan_out``, whose unique delivery key makes a second run (or an
overlapping beat) a no-op. E-mail and SMS go out after the commit, one Celery
message per delivery, so one bad address never holds back the rest.

Task state is never touched here: escalation is ``approvals.services.escalate_overdue``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import (
    DateField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, JSONObject, TruncDate
from django.utils import timezone

from celery.exceptions import SoftTimeLimitExceeded

from approvals import services as task_services
from approvals.calendar import add_working_days, end_of_day, working_days_ago, year_has_data
from approvals.choices import OPEN_STATES, EventAction, Role, TaskRole, TaskState
from approvals.models import Task, TaskEvent
from enterprises.models import Licence

from . import services
from .choices import Channel, Kind
from .models import JobRun

log = logging.getLogger(__name__)

LICENCE_STEPS = (60, 30, 7)


# ------------------------------------------------------------------ plumbing


@contextmanager
def record_job(job: str) -> Iterator[JobRun]:
    """A ``JobRun`` row for the run: created first (so a crash leaves a trace),
    finished with the items handled, or with the error."""
    run = JobRun.objects.create(job=job, started_at=timezone.now())
    try:
        yield run
    except Exception as exc:
        JobRun.objects.filter(pk=run.pk).update(
            finished_at=timezone.now(), errors=F("errors") + 1,
            error_text=f"{type(exc).__name__}: {exc}"[:1000])
        raise
    JobRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(), items=run.items, result=run.result)


def dispatch(run_id: int) -> int:
    """Queue the e-mails and SMS of a run: one message per delivery."""
    from .tasks import send_delivery_task

    queued = 0
    for channel in (Channel.EMAIL, Channel.SMS):
        for pk in services.pending_ids(channel, run_id=run_id):
            send_delivery_task.delay(pk, channel.value)
            queued += 1
    return queued


def _dispatch_on_commit(run: JobRun) -> None:
    transaction.on_commit(partial(dispatch, run.pk))


def _users(*roles: str) -> QuerySet:
    return get_user_model().objects.filter(groups__name__in=roles, is_active=True)


def _int(value: int) -> Value:
    return Value(value, output_field=IntegerField())


def _date(value: date) -> Cast:
    return Cast(Value(value, output_field=DateField()), DateField())


def _heads(qs: QuerySet, department: str) -> QuerySet:
    """One row per head of the row's department."""
    member = f"{department}__members__user"
    return qs.filter(**{f"{member}__groups__name": Role.DEPARTMENT_HEAD,
                        f"{member}__is_active": True}).annotate(n_recipient=F(member))


def _not_the_actor(qs: QuerySet, path: str) -> QuerySet:
    return qs.filter(Q(actor__isnull=True) | ~Q(actor=F(path)))


# ------------------------------------------------------------------ task events


def _task_data(prefix: str = "", **extra):
    p = prefix
    return JSONObject(
        task=F(f"{p}id") if p else F("pk"),
        obstacle=F(f"{p}obstacle_id"),
        title=F(f"{p}obstacle__title"),
        deadline=F(f"{p}deadline_on"),
        **extra,
    )


def _events(events: QuerySet, level: int = 0) -> QuerySet:
    return events.annotate(
        n_object=F("pk"), n_level=_int(level), n_occasion=TruncDate("created_at"),
        n_data=_task_data("task__", department=F("department__name"), action=F("action"),
                          level=_int(level)),
    )


def notify_events(run: JobRun, events: QuerySet) -> int:
    """Tell people about task events, one ``INSERT … SELECT`` per rule:
    assignment → the department's heads; owner named → the owner; escalation
    level 1 → the heads and the owner, level 2 → the leaders; a return → the
    coordinators; resolved → the staff member who recorded the obstacle (the
    callback is theirs); reopened → the owner; news the firm may read → the
    firm's users. Keyed by event, so each event notifies each person once."""
    A = EventAction
    leads = events.filter(task__role=TaskRole.LEAD)
    created = 0
    created += services.fan_out(run=run, kind=Kind.TASK_ASSIGNED, rows=_heads(
        _events(events.filter(action__in=[A.ASSIGN, A.RULING])), "department"))
    created += services.fan_out(run=run, kind=Kind.OWNER_SET, rows=_not_the_actor(
        _events(events.filter(action=A.SET_OWNER, task__owner__isnull=False)), "task__owner"
    ).annotate(n_recipient=F("task__owner")))
    escalated1 = events.filter(action=A.ESCALATE, data__level=1)
    created += services.fan_out(run=run, kind=Kind.TASK_ESCALATED,
                                rows=_heads(_events(escalated1, 1), "task__department"))
    created += services.fan_out(run=run, kind=Kind.TASK_ESCALATED, rows=_events(
        escalated1.filter(task__owner__isnull=False), 1).annotate(n_recipient=F("task__owner")))
    created += services.fan_out(
        run=run, kind=Kind.TASK_ESCALATED,
        rows=_events(events.filter(action=A.ESCALATE, data__level=2), 2),
        recipients=_users(Role.LEADER))
    created += services.fan_out(run=run, kind=Kind.TASK_RETURNED,
                                rows=_events(events.filter(action=A.RETURN)),
                                recipients=_users(Role.COORDINATOR))
    created += services.fan_out(run=run, kind=Kind.TASK_RESOLVED, rows=_not_the_actor(
        _events(leads.filter(action=A.RESOLVE, task__obstacle__received_by__isnull=False)),
        "task__obstacle__received_by").annotate(n_recipient=F("task__obstacle__received_by")))
    created += services.fan_out(run=run, kind=Kind.TASK_REOPENED, rows=_not_the_actor(
        _events(events.filter(action__in=[A.REOPEN, A.CLOSE_REFUSED],
                              task__owner__isnull=False)), "task__owner"
    ).annotate(n_recipient=F("task__owner")))
    created += services.fan_out(run=run, kind=Kind.OBSTACLE_UPDATE, rows=_events(leads.filter(
        is_visible_to_firm=True,
        action__in=[A.ASSIGN, A.ACCEPT, A.RESOLVE, A.REJECT, A.REOPEN, A.CLOSE],
        task__obstacle__enterprise__memberships__isnull=False,
    )).annotate(n_recipient=F("task__obstacle__enterprise__memberships__user")))
    return created


def notify_events_job(event_ids: list[int]) -> int:
    """The ``events_recorded`` receiver's work, on a worker."""
    with record_job("notify_events") as run, transaction.atomic():
        run.items = notify_events(run, TaskEvent.objects.filter(pk__in=event_ids))
        _dispatch_on_commit(run)
    return run.items


def event_sweep_job() -> int:
    """Catch up on task events whose notices were never queued (the broker was
    down when the receiver ran): every event after the last sweep's high-water
    mark goes through ``notify_events`` again; those already notified are
    skipped by their keys. The first sweep only sets the mark."""
    last = (JobRun.objects.filter(job="event_sweep", finished_at__isnull=False, errors=0)
            .order_by("-pk").values_list("result", flat=True).first()) or {}
    with record_job("event_sweep") as run, transaction.atomic():
        top = TaskEvent.objects.aggregate(m=Max("pk"))["m"] or 0
        since = last.get("max_event", top)
        run.items = notify_events(run, TaskEvent.objects.filter(pk__gt=since, pk__lte=top))
        run.result = {"max_event": top}
        _dispatch_on_commit(run)
    return run.items


# ------------------------------------------------------------------ the jobs


def escalate_overdue_job(*, today: date | None = None) -> dict[int, int]:
    """督办: ``approvals.services.escalate_overdue`` claims and escalates the
    overdue tasks set-wise; in the same transaction the new escalation events
    notify the heads, owners and leaders. The ``events_recorded`` receiver
    sees the same events after the commit and finds them already notified."""
    with record_job("escalate_overdue") as run, transaction.atomic():
        before = TaskEvent.objects.aggregate(m=Max("pk"))["m"] or 0
        done = task_services.escalate_overdue(today=today)
        new = TaskEvent.objects.filter(pk__gt=before, action=EventAction.ESCALATE,
                                       actor__isnull=True)
        run.items = notify_events(run, new)
        run.result = {"escalated": {str(k): v for k, v in done.items()}}
        _dispatch_on_commit(run)
    return done


def _task_rows(tasks: QuerySet, level: int, occasion: str) -> QuerySet:
    return tasks.annotate(n_object=F("pk"), n_level=_int(level), n_occasion=F(occasion),
                          n_data=_task_data(department=F("department__name")))


def deadline_reminder_job(*, today: date | None = None) -> int:
    """N working days before the deadline (``DESK["REMINDER_WORKING_DAYS"]``),
    remind the owner (the department's heads while no owner is named). The
    window covers the non-working days in between, so a deadline on a holiday
    is not skipped and a missed day is caught up; the deadline is part of the
    key, so an extended task is reminded again for its new deadline."""
    today = today or timezone.localdate()
    n = settings.DESK["REMINDER_WORKING_DAYS"]
    hi = add_working_days(today, n)
    lo = add_working_days(today, n - 1) if n > 1 else today
    with record_job("deadline_reminder") as run, transaction.atomic():
        due = Task.objects.filter(state__in=OPEN_STATES, deadline_on__gt=lo, deadline_on__lte=hi)
        rows = _task_rows(due, n, "deadline_on")
        run.items = services.fan_out(run=run, kind=Kind.DEADLINE_REMINDER, rows=rows.filter(
            owner__isnull=False).annotate(n_recipient=F("owner")))
        run.items += services.fan_out(run=run, kind=Kind.DEADLINE_REMINDER, rows=_heads(
            rows.filter(owner__isnull=True), "department"))
        _dispatch_on_commit(run)
    return run.items


def callback_due_job(*, today: date | None = None, working_days: int = 2) -> int:
    """Resolved lead tasks still without a callback two working days after the
    resolution: the staff member who recorded the obstacle (首问负责人) makes
    it; a firm's own submission has no recorder, so its current liaisons do."""
    today = today or timezone.localdate()
    before = end_of_day(working_days_ago(today, working_days))
    with record_job("callback_due") as run, transaction.atomic():
        due = Task.objects.filter(role=TaskRole.LEAD, state=TaskState.RESOLVED,
                                  resolved_at__lte=before)
        rows = due.annotate(n_object=F("pk"), n_level=_int(working_days),
                            n_occasion=TruncDate("resolved_at"),
                            n_data=_task_data(department=F("department__name")))
        run.items = services.fan_out(run=run, kind=Kind.CALLBACK_DUE, rows=rows.filter(
            obstacle__received_by__isnull=False).annotate(n_recipient=F("obstacle__received_by")))
        liaison = "obstacle__enterprise__liaisons"
        run.items += services.fan_out(run=run, kind=Kind.CALLBACK_DUE, rows=rows.filter(
            Q(**{f"{liaison}__ends_on__isnull": True}) | Q(**{f"{liaison}__ends_on__gte": today}),
            obstacle__received_by__isnull=True, **{f"{liaison}__starts_on__lte": today},
        ).annotate(n_recipient=F(f"{liaison}__staff")))
        _dispatch_on_commit(run)
    return run.items


def licence_expiry_job(*, today: date | None = None) -> int:
    """证照到期提醒: 60, 30 and 7 days before a licence expires, to the firm's
    users and its current liaisons. Each step is a window down to the next
    step, so a licence entered 20 days before expiry still gets the 30-day
    notice, and a missed day is caught up the next."""
    today = today or timezone.localdate()
    with record_job("licence_expiry") as run, transaction.atomic():
        run.items = 0
        steps = sorted(LICENCE_STEPS, reverse=True)
        for i, step in enumerate(steps):
            floor = steps[i + 1] if i + 1 < len(steps) else -1
            licences = Licence.objects.filter(
                expires_on__gt=today + timedelta(days=floor),
                expires_on__lte=today + timedelta(days=step))
            rows = licences.annotate(
                n_object=F("pk"), n_level=_int(step), n_occasion=F("expires_on"),
                n_data=JSONObject(licence=F("name"), number=F("number"),
                                  enterprise=F("enterprise__name"),
                                  enterprise_id=F("enterprise_id"),
                                  expires=F("expires_on"), days=_int(step)))
            run.items += services.fan_out(run=run, kind=Kind.LICENCE_EXPIRY, rows=rows.filter(
                enterprise__memberships__isnull=False,
            ).annotate(n_recipient=F("enterprise__memberships__user")))
            run.items += services.fan_out(run=run, kind=Kind.LICENCE_EXPIRY, rows=rows.filter(
                Q(enterprise__liaisons__ends_on__isnull=True)
                | Q(enterprise__liaisons__ends_on__gte=today),
                enterprise__liaisons__starts_on__lte=today,
            ).annotate(n_recipient=F("enterprise__liaisons__staff")))
        _dispatch_on_commit(run)
    return run.items


def weekly_visit_reports_job(*, today: date | None = None) -> int:
    """Monday: last week's visit report — each team's to its leader (to its
    members when the team has no active leader), the office's to coordinators
    and leaders — and a note to each service staff member who visited fewer
    firms than the quota. The team and the week are the key, so a leader who
    also belongs to the team gets the team's report once."""
    from visits.models import ServiceTeam, week_start_of
    from visits.selectors import weekly_report

    week = week_start_of(today or timezone.localdate()) - timedelta(weeks=1)
    User = get_user_model()
    with record_job("weekly_visit_reports") as run, transaction.atomic():
        led = ServiceTeam.objects.filter(leader__isnull=False, leader__is_active=True)
        leaders = led.annotate(
            n_object=F("pk"), n_level=_int(0), n_occasion=_date(week), n_recipient=F("leader"),
            n_data=JSONObject(week=_date(week), team=F("name")))
        run.items = services.fan_out(run=run, kind=Kind.WEEKLY_REPORT, rows=leaders)
        members = User.objects.filter(
            is_active=True, profile__team__isnull=False,
        ).exclude(profile__team__in=led).annotate(
            n_object=F("profile__team"), n_level=_int(0), n_occasion=_date(week),
            n_recipient=F("pk"), n_data=JSONObject(week=_date(week),
                                                   team=F("profile__team__name")))
        run.items += services.fan_out(run=run, kind=Kind.WEEKLY_REPORT, rows=members)
        office = _users(Role.COORDINATOR, Role.LEADER).annotate(
            n_object=_int(0), n_level=_int(0), n_occasion=_date(week), n_recipient=F("pk"),
            n_data=JSONObject(week=_date(week)))
        run.items += services.fan_out(run=run, kind=Kind.WEEKLY_REPORT, rows=office)
        below = [
            (row.user.pk, row.quota, week, row.user.pk,
             {"week": week.isoformat(), "firms": row.firms, "quota": row.quota,
              "visits": row.visits})
            for row in weekly_report(week) if not row.is_met
        ]
        run.items += services.fan_out_rows(run=run, kind=Kind.BELOW_QUOTA, rows=below)
        _dispatch_on_commit(run)
    return run.items


def chase_notices_job(*, today: date | None = None, limit: int = 500,
                      budget_seconds: float = 240) -> dict:
    """催办通知书: the working day after a task's deadline passed, a chase
    notice (PDF, archived and numbered by ``insight.services``) addressed to
    the owning department; its owner and the department's heads are told, with
    a link to the PDF.

    The due tasks come from one query (``insight.services.chase_due``); each
    notice is rendered and archived in its own short transaction (a PDF takes a
    while and must not hold locks), at most ``limit`` per run and no new one
    after ``budget_seconds`` (well inside the task's time limit) — the Celery
    task runs again while ``more`` is true. One task's failure is counted on
    the run and the rest go on. The notices are then announced set-wise, those of the
    last two weeks included, so notices archived by a run that died before
    announcing them are announced now; their keys make the rest a no-op."""
    from django.core.cache import cache

    from insight import services as insight_services
    from insight.models import ChaseNotice

    today = today or timezone.localdate()
    lock = f"notifications:chase:{today.isoformat()}"
    if not cache.add(lock, 1, 3600):
        return {"issued": 0, "notified": 0, "more": False}  # another worker is at it
    try:
        with record_job("chase_notices") as run:
            due = list(insight_services.chase_due(today).values_list("pk", flat=True)[:limit + 1])
            issued, failed, done, last_error = 0, 0, 0, ""
            started = time.monotonic()
            for pk in due[:limit]:
                if done and time.monotonic() - started > budget_seconds:
                    break
                done += 1
                try:
                    if insight_services.chase_notice_create(task_id=pk, today=today):
                        issued += 1
                except SoftTimeLimitExceeded:
                    raise  # the worker is stopping this task: not one task's fault
                except Exception as exc:  # one notice's failure must not stop the rest
                    log.exception("chase notice for task %s failed", pk)
                    failed += 1
                    last_error = f"task {pk}: {type(exc).__name__}: {exc}"[:1000]
            with transaction.atomic():
                notified = notify_chase_notices(
                    run, ChaseNotice.objects.filter(issued_on__gte=today - timedelta(days=14)))
                _dispatch_on_commit(run)
            if failed:
                JobRun.objects.filter(pk=run.pk).update(errors=F("errors") + failed,
                                                        error_text=last_error)
            run.items = issued + notified
            run.result = {"issued": issued, "notified": notified, "failed": failed,
                          "more": len(due) > done}
    finally:
        cache.delete(lock)
    return run.result


def notify_chase_notices(run: JobRun, notices: QuerySet) -> int:
    """Tell the owner and the department's heads (copied) of each notice."""

    def rows(qs, *, copied: int):
        return qs.annotate(
            n_object=F("pk"), n_level=_int(0), n_occasion=F("deadline_on"),
            n_data=JSONObject(notice=F("pk"), reference=F("reference"), task=F("task_id"),
                              obstacle=F("task__obstacle_id"), title=F("task__obstacle__title"),
                              deadline=F("deadline_on"), department=F("department__name"),
                              bulletin_day=F("bulletin_on"), copied=_int(copied)))

    created = services.fan_out(run=run, kind=Kind.CHASE_NOTICE, rows=rows(
        notices.filter(task__owner__isnull=False), copied=0).annotate(
        n_recipient=F("task__owner")))
    created += services.fan_out(run=run, kind=Kind.CHASE_NOTICE, rows=_heads(
        rows(notices, copied=1), "department"))
    return created


def silent_nudges_job() -> int:
    """Deliver the silent-task ladder's reminders (``insight.SilentNudge``,
    written by ``insight.services.silent_scan``): the owner at each rung, the
    department's heads too at the last rung (or when the task has no owner).

    Set-wise and idempotent: one UPDATE claims every undelivered reminder by
    stamping ``delivered_at`` (a second run, or one that overlaps and waits on
    the row locks, finds nothing left), then one ``INSERT … SELECT`` per kind
    of recipient; the delivery key (the reminder, its rung, the person) makes
    anything sent before a no-op. A reminder whose silence is over by now (the
    task moved on: a newer event, or it is no longer open) is stamped and not
    sent, so reminders left undelivered for a while never go out stale."""
    from insight.models import SilentNudge

    with record_job("silent_nudges") as run, transaction.atomic():
        now = timezone.now()
        claimed = SilentNudge.objects.filter(delivered_at__isnull=True).update(delivered_at=now)
        run.items = 0
        if claimed:
            # the (task, created_at) event index answers the "newer event" test
            newer = TaskEvent.objects.filter(task=OuterRef("task"),
                                             created_at__gt=OuterRef("last_event__created_at"))
            nudges = SilentNudge.objects.filter(delivered_at=now, task__state__in=OPEN_STATES
                                                ).filter(~Exists(newer))

            def rows(qs, *, copied: int):
                return qs.annotate(
                    n_object=F("pk"), n_level=F("rung"), n_occasion=TruncDate("created_at"),
                    n_data=_task_data("task__", department=F("task__department__name"),
                                      days=F("rung"),
                                      since=TruncDate("last_event__created_at"),
                                      copied=_int(copied)))

            run.items += services.fan_out(run=run, kind=Kind.SILENT_TASK, rows=rows(
                nudges.filter(recipient__isnull=False), copied=0).annotate(
                n_recipient=F("recipient")))
            run.items += services.fan_out(run=run, kind=Kind.SILENT_TASK, rows=_heads(
                rows(nudges.filter(is_to_head=True), copied=1), "task__department"))
        run.result = {"claimed": claimed}
        _dispatch_on_commit(run)
    return run.items


def calendar_warning_job(*, today: date | None = None) -> int:
    """From 1 December: while next year has no holiday data, warn the
    coordinators every day (the day is part of the key)."""
    today = today or timezone.localdate()
    year = today.year + 1
    if today.month != 12 or year_has_data(year):
        return 0
    with record_job("calendar_warning") as run, transaction.atomic():
        rows = _users(Role.COORDINATOR).annotate(
            n_object=_int(year), n_level=_int(0), n_occasion=_date(today), n_recipient=F("pk"),
            n_data=JSONObject(year=_int(year)))
        run.items = services.fan_out(run=run, kind=Kind.CALENDAR_MISSING, rows=rows)
        _dispatch_on_commit(run)
    return run.items


def sweep_pending_job(*, minutes: int = 10) -> int:
    """Queue again what is still pending after ``minutes``: a message lost
    between a commit and the broker, or a worker that died for good. The
    senders' claim makes a message queued twice harmless."""
    from .tasks import send_delivery_task

    older_than = timezone.now() - timedelta(minutes=minutes)
    queued = 0
    for channel in (Channel.EMAIL, Channel.SMS):
        for pk in services.pending_ids(channel, older_than=older_than):
            send_delivery_task.delay(pk, channel.value)
            queued += 1
    return queued


def monthly_bulletin_job(*, today: date | None = None) -> int:
    """The 1st of the month: last month's supervision bulletin (督查通报) from
    ``letters.services.bulletin_create`` and a notice to coordinators and
    leaders. A bulletin the job already made for that period is reused, never
    made twice (checked under a lock on the period, then the notice's key)."""
    from django.apps import apps

    if not apps.is_installed("letters"):
        log.info("monthly bulletin: the letters app is not installed")
        return 0
    try:
        from letters.models import Bulletin
        from letters.services import bulletin_create
    except ImportError:  # an older letters app without bulletins: nothing to do
        log.info("monthly bulletin: letters.services.bulletin_create does not exist")
        return 0
    from django.core.cache import cache

    today = today or timezone.localdate()
    end = today.replace(day=1) - timedelta(days=1)
    start = end.replace(day=1)
    lock = f"notifications:bulletin:{start.isoformat()}"
    if not cache.add(lock, 1, 3600):
        return 0  # another worker is making it right now
    try:
        with record_job("monthly_bulletin") as run, transaction.atomic():
            bulletin = Bulletin.objects.filter(
                period_start_on=start, period_end_on=end, generated_by__isnull=True).first()
            if bulletin is None:
                bulletin = bulletin_create(start, end, actor=None)
            rows = Bulletin.objects.filter(pk=bulletin.pk).annotate(
                n_object=F("pk"), n_level=_int(0), n_occasion=F("period_start_on"),
                n_data=JSONObject(bulletin=F("pk"), reference=F("reference"),
                                  period=F("period_start_on"), end=F("period_end_on")))
            run.items = services.fan_out(run=run, kind=Kind.BULLETIN, rows=rows,
                                         recipients=_users(Role.COORDINATOR, Role.LEADER))
            run.result = {"bulletin": bulletin.pk}
            _dispatch_on_commit(run)
    finally:
        cache.delete(lock)
    return run.items
