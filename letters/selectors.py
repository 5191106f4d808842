"""Reads of the letters app: what a letter reports, who sees which letters,
which firms a batch writes to, and a bulletin's figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from approvals.choices import DONE_STATES, OPEN_STATES, EventAction, TaskRole, TaskState
from approvals.models import Task, TaskEvent
from approvals.selectors import kpis
from enterprises.models import Enterprise, Liaison

from . import permissions
from .choices import BatchScope, Scope
from .models import Bulletin, Letter, LetterBatch

# The lead task's state of an obstacle that a letter still reports as open
# (resolved ones wait for the firm's rating, closing ones for the sign-off).
REPORTED_STATES = (TaskState.SUBMITTED, *OPEN_STATES, TaskState.RESOLVED, TaskState.CLOSING)


# ------------------------------------------------------------------ one letter


def _lead_tasks_with_progress() -> QuerySet[Task]:
    """Lead tasks with what a letter row shows, in one query: the latest event
    the firm may read (its comment and action) comes from a subquery."""
    latest = (TaskEvent.objects.filter(task=OuterRef("pk"), is_visible_to_firm=True)
              .order_by("-created_at", "-pk"))
    return (Task.objects.filter(role=TaskRole.LEAD)
            .select_related("obstacle", "obstacle__category", "department")
            .annotate(progress_comment=Subquery(latest.values("comment")[:1]),
                      progress_action=Subquery(latest.values("action")[:1]),
                      progress_at=Subquery(latest.values("created_at")[:1]))
            .order_by("obstacle__received_at", "obstacle_id"))


def last_letter_at(enterprise: Enterprise) -> datetime | None:
    return (Letter.objects.filter(enterprise=enterprise).order_by("-created_at")
            .values_list("created_at", flat=True).first())


def letter_rows(enterprise: Enterprise, *, scope: str, obstacle_id: int | None = None
                ) -> list[Task]:
    """The enterprise's lead tasks a letter reports, oldest obstacle first.

    open: not closed and not rejected. changed: anything that moved, or that
    the firm was told, since its last letter (all of them for a first letter).
    obstacle: that one obstacle, if it is the enterprise's."""
    qs = _lead_tasks_with_progress().filter(obstacle__enterprise=enterprise)
    if scope == Scope.OBSTACLE:
        return list(qs.filter(obstacle_id=obstacle_id)) if obstacle_id else []
    if scope == Scope.CHANGED:
        since = last_letter_at(enterprise)
        if since is not None:
            told = TaskEvent.objects.filter(task=OuterRef("pk"), created_at__gt=since,
                                            is_visible_to_firm=True)
            qs = qs.filter(Q(updated_at__gt=since) | Q(obstacle__received_at__gt=since)
                           | Exists(told))
        return list(qs)
    return list(qs.filter(state__in=REPORTED_STATES))


def current_liaison(enterprise: Enterprise) -> Liaison | None:
    today = timezone.localdate()
    return (Liaison.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today),
                                   enterprise=enterprise, starts_on__lte=today)
            .select_related("staff", "staff__profile").order_by("-starts_on", "pk").first())


# ------------------------------------------------------------------ lists


def letters_visible_to(user) -> QuerySet[Letter]:
    return permissions.scope_letters(user, Letter.objects.select_related(
        "enterprise", "generated_by", "generated_by__profile"))


def letters_of_enterprise(enterprise: Enterprise) -> QuerySet[Letter]:
    return Letter.objects.filter(enterprise=enterprise).order_by("-created_at", "-pk")


def batches() -> QuerySet[LetterBatch]:
    return LetterBatch.objects.select_related("created_by", "created_by__profile", "street",
                                              "industry")


def bulletins() -> QuerySet[Bulletin]:
    return Bulletin.objects.select_related("generated_by", "generated_by__profile")


def batch_enterprise_ids(scope: str, *, street=None, industry=None) -> QuerySet:
    """Enterprises with at least one obstacle a letter would report."""
    reported = Task.objects.filter(role=TaskRole.LEAD, obstacle__enterprise=OuterRef("pk"),
                                   state__in=REPORTED_STATES)
    qs = Enterprise.objects.filter(Exists(reported))
    if scope == BatchScope.STREET:
        qs = qs.filter(street=street)
    elif scope == BatchScope.INDUSTRY:
        qs = qs.filter(industry=industry)
    elif scope == BatchScope.KEY:
        qs = qs.filter(is_key_project=True)
    return qs.order_by("pk").values_list("pk", flat=True)


# ------------------------------------------------------------------ bulletins


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def previous(self) -> Period:
        """The period of the same length just before."""
        days = (self.end - self.start).days + 1
        return Period(self.start - timedelta(days=days), self.start - timedelta(days=1))


def _rate(value):
    return None if value is None else float(value)


def _delta(now, before):
    return None if now is None or before is None else round(now - before, 1)


def bulletin_figures(start: date, end: date) -> dict:
    """Everything a bulletin prints, as plain JSON (frozen in the archive):

    * ``league``: the KPIs per department over the period
      (``approvals.selectors.kpis``: tasks assigned in the period), best first,
      each with the change of its rates against the previous period of the
      same length;
    * ``overdue``: tasks still open whose deadline fell in or before the period
      and has passed, with their departments, and the count per department;
    * ``escalated``: tasks escalated (督办) during the period, with the level;
    * ``late_named``: tasks still late five working days after their deadline,
      named in the bulletin of the period holding that fifth working day
      (``insight.selectors.bulletin_late_tasks`` states the rule).
    """
    from insight.selectors import bulletin_late_tasks

    period = Period(start, end)
    total, rows = kpis(start, end)
    prev_total, prev_rows = kpis(period.previous.start, period.previous.end)
    before = {r.department.pk: r for r in prev_rows}

    def row_data(r, prev):
        return {
            "department": r.department.name if r.department else "",
            "received": r.received, "resolved": r.resolved,
            "completion_rate": _rate(r.completion_rate),
            "on_time_rate": _rate(r.on_time_rate),
            "satisfaction_rate": _rate(r.satisfaction_rate),
            "returns": r.returns,
            "completion_change": _delta(r.completion_rate,
                                        prev.completion_rate if prev else None),
            "on_time_change": _delta(r.on_time_rate, prev.on_time_rate if prev else None),
            "satisfaction_change": _delta(r.satisfaction_rate,
                                          prev.satisfaction_rate if prev else None),
        }

    today = timezone.localdate()
    cutoff = min(end, today - timedelta(days=1))
    # plain tuples, not model instances: at city scale this list runs to
    # tens of thousands of tasks and only these six columns are printed
    overdue_rows = (Task.objects.filter(state__in=OPEN_STATES, deadline_on__lte=cutoff,
                                        department__isnull=False)
                    .order_by("department__name", "deadline_on", "pk")
                    .values_list("pk", "department__name", "obstacle__enterprise__name",
                                 "obstacle__title", "deadline_on", "escalation_level"))
    overdue = [{
        "task": pk, "department": department, "enterprise": enterprise, "title": title,
        "deadline": deadline.isoformat(), "days_late": (today - deadline).days, "level": level,
    } for pk, department, enterprise, title, deadline, level in overdue_rows]
    per_department: dict[str, int] = {}
    for o in overdue:
        per_department[o["department"]] = per_department.get(o["department"], 0) + 1
    lo = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    hi = timezone.make_aware(datetime.combine(end + timedelta(days=1), datetime.min.time()))
    escalations = (TaskEvent.objects.filter(action=EventAction.ESCALATE, created_at__gte=lo,
                                            created_at__lt=hi)
                   .order_by("created_at", "pk")
                   .values_list("task_id", "task__department__name",
                                "task__obstacle__enterprise__name", "task__obstacle__title",
                                "data", "created_at", "task__state"))
    escalated = [{
        "task": task, "department": department or "", "enterprise": enterprise, "title": title,
        "level": (data or {}).get("level", 1),
        "on": timezone.localtime(created_at).date().isoformat(),
        "resolved": state in DONE_STATES,
    } for task, department, enterprise, title, data, created_at, state in escalations]
    return {
        "period": [start.isoformat(), end.isoformat()],
        "previous": [period.previous.start.isoformat(), period.previous.end.isoformat()],
        "total": row_data(total, prev_total) | {"department": ""},
        "league": [row_data(r, before.get(r.department.pk)) for r in rows],
        "overdue": overdue,
        "overdue_by_department": sorted(per_department.items(), key=lambda kv: (-kv[1], kv[0])),
        "escalated": escalated,
        "late_named": bulletin_late_tasks(start, end, today=today),
    }
