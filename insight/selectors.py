"""Reads of the insight pages: scoped through ``approvals.permissions``, in SQL
aggregates whose number does not grow with the rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from approvals import colours, permissions
from approvals.calendar import is_working_day, working_days_between
from approvals.choices import (
    DONE_STATES,
    OPEN_STATES,
    AppealStatus,
    Channel,
    Colour,
    Rating,
    TaskRole,
    TaskState,
)
from approvals.models import Callback, ColourSpan, Obstacle, RatingAppeal, Task, TaskEvent
from approvals.selectors import KpiRow, kpis

from . import clustering
from . import permissions as insight_permissions
from .models import ChaseNotice, CloseOutSample, CommonIssue, SampleItem, SampleResult
from .services import (
    BULLETIN_AFTER_WORKING_DAYS,
    bulletin_day,
    ladder,
    latest_deadline_reached,
    silent_since_bound,
)

MERGEABLE = (TaskState.SUBMITTED, *OPEN_STATES)


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return first, nxt - timedelta(days=1)


def _aware(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, datetime.min.time()))


# ------------------------------------------------------------------ duplicates


def open_obstacles(enterprise, *, category=None, exclude=None) -> QuerySet[Obstacle]:
    """Open obstacles of an enterprise (lead task submitted, assigned or in
    progress, not merged), newest first: the candidates for a duplicate."""
    qs = (Obstacle.objects.filter(enterprise=enterprise, merged_into__isnull=True,
                                  tasks__role=TaskRole.LEAD, tasks__state__in=MERGEABLE)
          .select_related("category").annotate(lead_state=F("tasks__state"))
          .order_by("-received_at", "-pk"))
    if category is not None:
        qs = qs.filter(category=category)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs


# ------------------------------------------------------------------ silent tasks


def silent_tasks(user, today: date) -> QuerySet[Task]:
    """Open tasks in the user's scope with no event for the first rung's working
    days, longest silent first, with the highest rung reached in this silence."""
    first = ladder()[0]
    last = TaskEvent.objects.filter(task=OuterRef("pk")).order_by("-created_at", "-pk")
    return (
        permissions.scope_tasks(user, Task.objects.filter(state__in=OPEN_STATES))
        .annotate(last_id=Subquery(last.values("pk")[:1]),
                  last_at=Subquery(last.values("created_at")[:1]))
        .filter(last_at__lt=silent_since_bound(today, first))
        .annotate(rung=Max("silent_nudges__rung",
                           filter=Q(silent_nudges__last_event_id=F("last_id"))))
        .select_related("obstacle", "obstacle__enterprise", "department", "owner")
        .order_by("last_at", "pk")
    )


def silent_days(last_at: datetime, today: date) -> int:
    return max(0, working_days_between(timezone.localdate(last_at), today))


# ------------------------------------------------------------------ sampling


def sample_items(sample: CloseOutSample) -> QuerySet[SampleItem]:
    return (sample.items.select_related("task", "task__obstacle", "task__obstacle__enterprise",
                                        "department", "called_by")
            .order_by("task_id"))


def sample_results_by_department(start: date, end: date) -> list[dict]:
    """Per department: sampled, called, not actually solved, over samples of
    weeks starting in [start, end]."""
    return list(
        SampleItem.objects.filter(sample__week_start_on__gte=start, sample__week_start_on__lte=end)
        .values("department__name").annotate(
            sampled=Count("pk"),
            called=Count("pk", filter=~Q(result=SampleResult.PENDING)),
            not_solved=Count("pk", filter=Q(result=SampleResult.NOT_SOLVED)),
        ).order_by("-not_solved", "department__name")
    )


# ------------------------------------------------------------------ common issues


def suggestion_rows(month: date, *, category=None, street=None, industry=None):
    """(id, category, enterprise, text) of the month's obstacles not merged and
    not yet in a common issue: what the clustering reads."""
    start, end = month_bounds(month)
    qs = Obstacle.objects.filter(
        received_at__gte=_aware(start), received_at__lt=_aware(end + timedelta(days=1)),
        merged_into__isnull=True,
    ).exclude(common_issues__isnull=False)
    if category is not None:
        qs = qs.filter(Q(category=category) | Q(category__parent=category))
    if street is not None:
        qs = qs.filter(enterprise__street=street)
    if industry is not None:
        qs = qs.filter(enterprise__industry=industry)
    for pk, cat, ent, title, description in qs.values_list(
            "pk", "category_id", "enterprise_id", "title", "description").iterator(2000):
        yield pk, cat, ent, f"{title}。{description}"


def suggestions(month: date, **filters) -> list[clustering.Suggestion]:
    return clustering.suggest(suggestion_rows(month, **filters),
                              threshold=settings.DESK["COMMON_ISSUE_SIMILARITY"],
                              min_enterprises=2)


def common_issues() -> QuerySet[CommonIssue]:
    return (CommonIssue.objects.select_related("category", "owner", "department")
            .annotate(n_obstacles=Count("obstacles")).order_by("is_closed", "deadline_on", "pk"))


# ------------------------------------------------------------------ monthly report


@dataclass
class LeagueRow:
    row: KpiRow
    previous: KpiRow | None

    @property
    def completion_change(self):
        if self.previous is None or self.previous.completion_rate is None \
                or self.row.completion_rate is None:
            return None
        return round(self.row.completion_rate - self.previous.completion_rate, 1)


def monthly_report(month: date, today: date | None = None) -> dict:
    """The 运行分析报告 of one month, every figure from SQL aggregates (the
    query count is fixed), with the definitions printed beside them."""
    today = today or timezone.localdate()
    start, end = month_bounds(month)
    prev_start, prev_end = month_bounds(start - timedelta(days=1))
    lo, hi = _aware(start), _aware(end + timedelta(days=1))
    received = Obstacle.objects.filter(received_at__gte=lo, received_at__lt=hi)
    by_channel = [{"channel": Channel(r["channel"]).label, "n": r["n"]} for r in
                  received.values("channel").annotate(n=Count("pk")).order_by("-n")]
    by_category = list(received.values("category__name").annotate(n=Count("pk")).order_by("-n"))
    by_street = list(received.values("enterprise__street__name").annotate(n=Count("pk"))
                     .order_by("-n"))
    hot_spots = list(received.values("enterprise__street__name", "category__name")
                     .annotate(n=Count("pk"), firms=Count("enterprise", distinct=True))
                     .filter(n__gte=3).order_by("-n")[:10])
    total, rows = kpis(start, end)
    prev_total, prev_rows = kpis(prev_start, prev_end)
    previous = {r.department.pk: r for r in prev_rows}
    league = [LeagueRow(r, previous.get(r.department.pk)) for r in rows]
    ratings = dict(
        Callback.objects.filter(made_at__gte=lo, made_at__lt=hi, rating__isnull=False,
                                is_counted=True)
        .values_list("rating").annotate(n=Count("pk")).order_by())
    rating_rows = [(r.label, ratings.get(r.value, 0)) for r in Rating]
    appeals = RatingAppeal.objects.filter(requested_at__gte=lo, requested_at__lt=hi).aggregate(
        filed=Count("pk"), upheld=Count("pk", filter=Q(status=AppealStatus.UPHELD)),
        dismissed=Count("pk", filter=Q(status=AppealStatus.DISMISSED)))
    first_rung = ladder()[0]
    last_at = TaskEvent.objects.filter(task=OuterRef("pk")).order_by("-created_at", "-pk")
    silent_count = (Task.objects.filter(state__in=OPEN_STATES)
                    .annotate(last_at=Subquery(last_at.values("created_at")[:1]))
                    .filter(last_at__lt=silent_since_bound(today, first_rung)).count())
    long_red = list(
        ColourSpan.objects.filter(colour=Colour.RED, ended_at__isnull=True)
        .select_related("task", "task__obstacle", "task__obstacle__enterprise", "department")
        .order_by("started_at", "pk")[:10])
    for span in long_red:
        span.days = colours.span_working_days(span.started_at, timezone.now())
    issues = list(common_issues().filter(
        Q(created_at__gte=lo, created_at__lt=hi) | Q(is_closed=False))[:20])
    sampling = sample_results_by_department(start - timedelta(days=6), end)
    return {
        "start": start, "end": end, "prev_start": prev_start, "prev_end": prev_end,
        "received_total": sum(r["n"] for r in by_channel),
        "by_channel": by_channel, "by_category": by_category, "by_street": by_street,
        "hot_spots": hot_spots, "total": total, "prev_total": prev_total, "league": league,
        "rating_rows": rating_rows, "appeals": appeals, "silent_count": silent_count,
        "silent_days": first_rung, "long_red": long_red, "issues": issues,
        "sampling": sampling,
    }


# ------------------------------------------------------------------ chase notices


def chase_notices_visible_to(user) -> QuerySet[ChaseNotice]:
    """Chase notices in the user's scope, newest first; what the PDF printed is
    in ``data``, so the list needs only the task's current state besides."""
    return insight_permissions.scope_chase_notices(
        user, ChaseNotice.objects.select_related("task"))


def _working_day_counts(first: date, last: date) -> dict[date, int]:
    """Working days after ``first`` up to and including each day to ``last``:
    ``counts[b] - counts[a] == working_days_between(a, b)`` within the span."""
    counts, n, d = {first: 0}, 0, first
    while d < last:
        d += timedelta(days=1)
        n += is_working_day(d)
        counts[d] = n
    return counts


def bulletin_late_tasks(start: date, end: date, *, today: date | None = None) -> list[dict]:
    """The tasks a supervision bulletin (督查通报) of [start, end] names as
    still late five working days after their deadline.

    The rule: a task is named in the bulletin whose period holds its bulletin
    day — the fifth working day after its deadline (``services.bulletin_day``)
    — when it had not been resolved by the end of that day: it is still open,
    or it was resolved on a later day. The day must be over (before ``today``),
    so a bulletin of the running month names only what has happened. Monthly
    periods follow each other, so each task and deadline is named once, in the
    first bulletin after it went five working days late (the bulletin's
    overdue list goes on showing it while it stays open); an extension gives a
    new deadline and, if that one slips too, a new naming.

    One query (the deadlines whose bulletin day falls in the period are a date
    range, the bulletin day grows with the deadline); the exact "resolved after
    the bulletin day" test runs on those rows, with the calendar in the cache.
    """
    today = today or timezone.localdate()
    last_day = min(end, today - timedelta(days=1))
    if last_day < start:
        return []
    n = BULLETIN_AFTER_WORKING_DAYS
    newest = latest_deadline_reached(last_day, n)  # bulletin day on or before last_day
    before = latest_deadline_reached(start - timedelta(days=1), n)  # ... before start
    # a done task counts only if resolved after its bulletin day, which is at
    # least the bulletin day of the first deadline in range
    earliest_late = _aware(bulletin_day(before + timedelta(days=1)) + timedelta(days=1))
    notices = ChaseNotice.objects.filter(task=OuterRef("pk"), deadline_on=OuterRef("deadline_on"))
    rows = (Task.objects.filter(department__isnull=False, deadline_on__gt=before,
                                deadline_on__lte=newest)
            .filter(Q(state__in=OPEN_STATES)
                    | Q(state__in=DONE_STATES, resolved_at__gte=earliest_late))
            .annotate(notice=Subquery(notices.values("reference")[:1]))
            .order_by("department__name", "deadline_on", "pk")
            # plain values: no model (and no decrypted enterprise fields) per row
            .values_list("pk", "obstacle_id", "department__name", "obstacle__enterprise__name",
                         "obstacle__title", "deadline_on", "state", "resolved_at", "notice"))
    rows = list(rows)
    if not rows:
        return []
    # the calendar once per day of the span, not per row: bulletin days per
    # deadline, and working days late as a difference of running counts
    counted = _working_day_counts(min(r[5] for r in rows), max(today, end))
    marks: dict[date, date] = {}
    named = []
    for pk, obstacle, department, enterprise, title, deadline, state, resolved_at, notice in rows:
        if deadline not in marks:
            marks[deadline] = bulletin_day(deadline)
        resolved_on = (timezone.localdate(resolved_at)
                       if state in DONE_STATES and resolved_at else None)
        if resolved_on is not None and resolved_on <= marks[deadline]:
            continue
        until = min(resolved_on or today, max(counted))
        named.append({
            "task": pk, "obstacle": obstacle, "department": department,
            "enterprise": enterprise, "title": title, "deadline": deadline.isoformat(),
            "bulletin_day": marks[deadline].isoformat(),
            "working_days_late": counted[until] - counted[deadline],
            "resolved": resolved_on.isoformat() if resolved_on else None,
            "notice": notice or "",
        })
    return named
