"""The closed loop's reads: scoped, SQL-filtered, constant in query count."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from . import permissions
from .choices import (
    DONE_STATES,
    OPEN_STATES,
    ApprovalStatus,
    Colour,
    EventAction,
    Rating,
    TaskRole,
    TaskState,
)
from .colours import red_days_by_task
from .models import ApprovalRequest, Department, Obstacle, Task, TaskEvent

# ------------------------------------------------------------------ colours


def colour_q(colour: str, today: date) -> Q:
    """The three-colour rule as a filter: red wins over yellow."""
    red = Q(escalation_level__gt=0, state__in=OPEN_STATES) | Q(
        state__in=OPEN_STATES, deadline_on__lt=today
    )
    if colour == Colour.GREEN:
        return Q(state__in=DONE_STATES)
    if colour == Colour.RED:
        return red
    if colour == Colour.YELLOW:
        return Q(state__in=[TaskState.SUBMITTED, *OPEN_STATES]) & ~red
    if colour == Colour.GREY:
        return Q(state=TaskState.REJECTED)
    raise ValueError(colour)


def with_colour(qs: QuerySet, today: date) -> QuerySet:
    return qs.annotate(
        colour=Case(
            *(When(colour_q(c, today), then=Value(c.value)) for c in
              (Colour.GREEN, Colour.GREY, Colour.RED)),
            default=Value(Colour.YELLOW.value),
            output_field=CharField(),
        )
    )


def colour_counts(qs: QuerySet, today: date) -> dict[str, int]:
    """Counts per colour in one aggregate query."""
    return qs.aggregate(
        **{c.value: Count("pk", filter=colour_q(c, today)) for c in Colour}
    )


def ledger_colour_counts(qs: QuerySet, today: date) -> dict[str, int]:
    """The ledger's counts per colour, exact: yellow, red and grey from the
    open and rejected tasks (a small, indexed set however long the history),
    green from the done ones; kept in the cache per query and day until a task
    changes (``approvals.ledger_cache``), for at most
    ``DESK["LEDGER_COUNTS_CACHE_SECONDS"]``."""
    seconds = settings.DESK["LEDGER_COUNTS_CACHE_SECONDS"]
    if seconds <= 0:
        return _ledger_colour_counts(qs, today)
    from . import ledger_cache

    current = ledger_cache.version()
    sql, params = qs.values("pk").query.sql_with_params()
    key = "ledger:counts:" + hashlib.sha256(
        f"{today.isoformat()}|{sql}|{params!r}".encode()).hexdigest()
    entry = cache.get(key)
    if entry is not None and entry[0] == current:
        return dict(entry[1])
    counts = _ledger_colour_counts(qs, today)
    cache.set(key, (current, counts), seconds)
    return counts


def _ledger_colour_counts(qs: QuerySet, today: date) -> dict[str, int]:
    # a positive IN list, not NOT IN: PostgreSQL reads the few open and
    # rejected tasks from the (state, deadline_on) index
    not_green = Q(state__in=[TaskState.SUBMITTED, *OPEN_STATES, TaskState.REJECTED])
    counts = qs.filter(not_green).aggregate(
        **{c.value: Count("pk", filter=colour_q(c, today))
           for c in Colour if c != Colour.GREEN}
    )
    counts[Colour.GREEN.value] = qs.filter(state__in=DONE_STATES).count()
    return counts


# ------------------------------------------------------------------ tasks


def tasks_visible_to(user) -> QuerySet[Task]:
    return permissions.scope_tasks(user, Task.objects.all())


def _rows(qs: QuerySet[Task], today: date) -> QuerySet[Task]:
    return with_colour(
        qs.select_related(
            "obstacle", "obstacle__enterprise", "obstacle__category", "department",
            "owner", "owner__profile",
        ),
        today,
    )


@dataclass
class LedgerFilters:
    department: Department | None = None
    category: object = None
    state: str = ""
    colour: str = ""
    channel: str = ""
    street: object = None
    industry: object = None
    flag: str = ""
    received_from: date | None = None
    received_to: date | None = None
    # the dashboards' click-through: resolved in a period, rating, overdue now
    resolved_from: date | None = None
    resolved_to: date | None = None
    rating: int | None = None
    overdue: bool = False
    q: str = ""
    role: str = TaskRole.LEAD
    sort: str = "-created"


SORTS = {
    "-created": ("-created_at", "-pk"),
    "created": ("created_at", "pk"),
    "deadline": (F("deadline_on").asc(nulls_last=True), "pk"),
    "enterprise": ("obstacle__enterprise__name", "pk"),
}

FLAGS = {
    "above_scale": "obstacle__enterprise__is_above_scale",
    "key_project": "obstacle__enterprise__is_key_project",
    "specialised": "obstacle__enterprise__is_specialised",
}


def ledger_queryset(user, filters: LedgerFilters) -> QuerySet[Task]:
    """Visible tasks narrowed by every filter except colour (colours are counted
    over this set, then the colour narrows the page)."""
    qs = tasks_visible_to(user)
    f = filters
    if f.role in (TaskRole.LEAD, TaskRole.CO):
        qs = qs.filter(role=f.role)
    if f.department:
        qs = qs.filter(department=f.department)
    if f.category:
        qs = qs.filter(Q(obstacle__category=f.category) | Q(obstacle__category__parent=f.category))
    if f.state:
        qs = qs.filter(state=f.state)
    if f.channel:
        qs = qs.filter(obstacle__channel=f.channel)
    if f.street:
        qs = qs.filter(obstacle__enterprise__street=f.street)
    if f.industry:
        qs = qs.filter(obstacle__enterprise__industry=f.industry)
    if f.flag in FLAGS:
        qs = qs.filter(**{FLAGS[f.flag]: True})
    if f.received_from:
        qs = qs.filter(obstacle__received_at__gte=_start_of(f.received_from))
    if f.received_to:
        qs = qs.filter(obstacle__received_at__lt=_start_of(f.received_to, plus_days=1))
    if f.resolved_from:
        qs = qs.filter(resolved_at__gte=_start_of(f.resolved_from))
    if f.resolved_to:
        qs = qs.filter(resolved_at__lt=_start_of(f.resolved_to, plus_days=1))
    if f.rating:
        qs = qs.filter(rating=f.rating, is_rating_excluded=False)  # counted ratings only
    if f.overdue:
        qs = qs.filter(state__in=OPEN_STATES, deadline_on__lt=timezone.localdate())
    if f.q:
        text = Q(obstacle__title__icontains=f.q) | Q(obstacle__enterprise__name__icontains=f.q)
        if f.q.lstrip("#").isdigit():
            text |= Q(obstacle_id=int(f.q.lstrip("#")))
        qs = qs.filter(text)
    return qs


def ledger_page_rows(qs: QuerySet[Task], filters: LedgerFilters, today: date) -> QuerySet[Task]:
    if filters.colour:
        qs = qs.filter(colour_q(filters.colour, today))
    return _rows(qs, today).order_by(*SORTS.get(filters.sort, SORTS["-created"]))


def _start_of(d: date, plus_days: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(d + timedelta(days=plus_days), datetime.min.time()))


def my_tasks(user, today: date) -> QuerySet[Task]:
    return _rows(tasks_visible_to(user).filter(owner=user), today).order_by(
        Case(When(state__in=OPEN_STATES, then=Value(0)), default=Value(1)),
        F("deadline_on").asc(nulls_last=True), "-pk",
    )


def department_tasks(user, today: date) -> QuerySet[Task]:
    dept = permissions.user_department_id(user)
    return _rows(tasks_visible_to(user).filter(department_id=dept), today).order_by(
        Case(When(state__in=OPEN_STATES, then=Value(0)), default=Value(1)),
        F("deadline_on").asc(nulls_last=True), "-pk",
    )


def task_detail(user, pk: int) -> Task:
    """One visible task with what its page shows (raises Task.DoesNotExist)."""
    today = timezone.localdate()
    return (
        _rows(tasks_visible_to(user), today)
        .prefetch_related(
            Prefetch("events", queryset=TaskEvent.objects.select_related(
                "actor", "actor__profile", "department").prefetch_related("attachments")),
            Prefetch("obstacle__tasks", queryset=Task.objects.select_related("department", "owner")),
            Prefetch("approvals", queryset=ApprovalRequest.objects.select_related(
                "requested_by", "decided_by", "ruled_department")),
            "obstacle__attachments",
            "callbacks",
        )
        .get(pk=pk)
    )


def obstacles_visible_to(user) -> QuerySet[Obstacle]:
    return permissions.scope_obstacles(user, Obstacle.objects.all())


def approvals_pending() -> QuerySet[ApprovalRequest]:
    return (
        ApprovalRequest.objects.filter(status=ApprovalStatus.PENDING)
        .select_related("task", "task__obstacle", "task__obstacle__enterprise",
                        "task__department", "requested_by", "requested_by__profile")
        .order_by("requested_at", "pk")
    )


# ------------------------------------------------------------------ KPIs


@dataclass
class KpiRow:
    department: Department | None
    received: int
    resolved: int
    resolved_on_time: int
    rated: int
    satisfied: int
    returns: int
    median_days: float | None
    handed: int = 0
    red_tasks: int = 0
    median_days_red: float | None = None

    @staticmethod
    def _rate(num: int, den: int) -> float | None:
        return round(100.0 * num / den, 1) if den else None

    @property
    def completion_rate(self):
        return self._rate(self.resolved, self.received)

    @property
    def on_time_rate(self):
        return self._rate(self.resolved_on_time, self.resolved)

    @property
    def satisfaction_rate(self):
        return self._rate(self.satisfied, self.rated)

    @property
    def returns_per_task(self):
        """推诿 index: returns / times a task was handed to the department."""
        handed = max(self.handed, self.received)
        return round(self.returns / handed, 2) if handed else None

    def sort_key(self):
        return (
            -(self.completion_rate or 0), -(self.on_time_rate or 0),
            -(self.satisfaction_rate or 0), self.returns_per_task or 0,
        )


def kpis(start: date, end: date, *, department: Department | None = None) -> tuple[KpiRow, list[KpiRow]]:
    """KPIs of tasks assigned in [start, end], overall and per department, in
    SQL aggregates (three queries, whatever the number of rows):

    received = tasks assigned in the period; 办结率 = resolved or closed /
    received; 按时办结率 = resolved by the deadline in force / resolved; 满意率
    = 满意 or 非常满意 / rated, leaving out ratings set aside on appeal
    (申诉复核); median working days from assignment to resolution; median
    working days red over the tasks that were ever red (``colours``), red time
    counting for the department the task was with. The 推诿 index divides returns by the
    times tasks were handed to the department (assignments and rulings), since a
    returned task no longer belongs to it."""
    lo, hi = _start_of(start), _start_of(end, plus_days=1)
    tasks = Task.objects.filter(assigned_at__gte=lo, assigned_at__lt=hi, department__isnull=False)
    # "department in (every department)" rather than "department is not null"
    # (the same rows: the column is a foreign key): PostgreSQL then reads the
    # event_action_dept index by (action, department, created_at) range for
    # each department instead of every such event ever made (49 -> 11 ms for
    # a month on the bench)
    events = TaskEvent.objects.filter(
        created_at__gte=lo, created_at__lt=hi, department__in=Department.objects.values("pk"),
        action__in=[EventAction.RETURN, EventAction.ASSIGN, EventAction.RULING],
    )
    if department is not None:
        tasks, events = tasks.filter(department=department), events.filter(department=department)
    done = Q(state__in=DONE_STATES)
    aggregates = {
        "received": Count("pk"),
        "resolved": Count("pk", filter=done),
        "resolved_on_time": Count("pk", filter=done & Q(resolved_on_time=True)),
        "rated": Count("pk", filter=Q(rating__isnull=False, is_rating_excluded=False)),
        "satisfied": Count("pk", filter=Q(rating__gte=Rating.SATISFIED,
                                          is_rating_excluded=False)),
    }
    # One scan of the period's tasks grouped by department and by working days
    # to resolve: the counts are summed per department and the medians read off
    # that histogram (a few hundred rows), instead of a scan for the counts and
    # two more for PERCENTILE_CONT. Exact, and the same on SQLite.
    per_dept: dict = {}
    days_by_dept: dict = {}
    timed = Count("pk", filter=done & Q(resolution_working_days__isnull=False))
    for r in (tasks.values("department", "resolution_working_days")
              .annotate(timed=timed, **aggregates).order_by()):
        sums = per_dept.setdefault(r["department"], dict.fromkeys(aggregates, 0))
        for k in aggregates:
            sums[k] += r[k]
        if r["timed"]:
            days = days_by_dept.setdefault(r["department"], {})
            days[r["resolution_working_days"]] = r["timed"]
    # COUNT(department_id), never null here, rather than COUNT(id): the same
    # number, and PostgreSQL answers it from the event_action_dept index alone
    # (an index-only scan instead of reading millions of events).
    ev = events.values("department").annotate(
        returns=Count("department", filter=Q(action=EventAction.RETURN)),
        handed=Count("department", filter=~Q(action=EventAction.RETURN)),
    )
    ret = {r["department"]: r["returns"] for r in ev}
    handed = {r["department"]: r["handed"] for r in ev}
    medians = {pk: _median(days) for pk, days in days_by_dept.items()}
    everyone: dict = {}
    for days in days_by_dept.values():
        for d, n in days.items():
            everyone[d] = everyone.get(d, 0) + n
    medians["all"] = _median(everyone)
    # one more query: the red time of the period's tasks (approvals.colours)
    red = red_days_by_task(tasks, today=timezone.localdate(), since=lo)
    red.pop(None, None)
    red_all: dict = {}
    for days in red.values():
        for d, n in days.items():
            red_all[d] = red_all.get(d, 0) + n
    departments = Department.objects.in_bulk(set(per_dept) | set(ret) | set(red))
    rows = []
    for pk, dept in departments.items():
        r = per_dept.get(pk, dict.fromkeys(aggregates, 0))
        rows.append(KpiRow(dept, r["received"], r["resolved"], r["resolved_on_time"],
                           r["rated"], r["satisfied"], ret.get(pk, 0), medians.get(pk),
                           handed.get(pk, 0), sum(red.get(pk, {}).values()),
                           _median(red.get(pk, {}))))
    rows.sort(key=KpiRow.sort_key)
    total = KpiRow(
        None,
        *(sum(getattr(r, k) for r in rows) for k in
          ("received", "resolved", "resolved_on_time", "rated", "satisfied", "returns")),
        medians.get("all"),
        sum(r.handed for r in rows),
        sum(red_all.values()),
        _median(red_all),
    )
    return total, rows


def _median(histogram: dict[int, int]) -> float | None:
    """The median of values given as {value: how many}, as PERCENTILE_CONT(0.5)
    computes it (the mean of the two middle values when their number is even)."""
    n = sum(histogram.values())
    if not n:
        return None
    low_rank, high_rank = (n - 1) // 2, n // 2
    seen, low = 0, None
    for value in sorted(histogram):
        seen += histogram[value]
        if low is None and low_rank < seen:
            low = value
        if high_rank < seen:
            return (low + value) / 2
    raise AssertionError("unreachable: the ranks are below n")
