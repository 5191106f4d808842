"""Time in colour: the three-colour ledger's history, written set-wise.

A task's colour is a function of its row and the date (``selectors.colour_q``):
events change it, and so does midnight (a deadline passing turns it red). The
``events_recorded`` receiver records the changes that events cause, once their
transaction has committed; the daily sweep catches the deadlines that passed
and any task without a history yet (the backfill of existing tasks). Both go
through ``record`` which locks the tasks, compares each task's colour now with
its open ``ColourSpan``, closes the spans that changed (with their working days)
and opens new ones: a handful of queries whatever the number of tasks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, Max, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.dispatch import receiver
from django.utils import timezone

from .calendar import end_of_day, working_days_between
from .choices import OPEN_STATES, Colour
from .models import ColourSpan, Task, TaskEvent
from .signals import events_recorded

logger = logging.getLogger(__name__)

BATCH = 5000


class _WorkingDays:
    """``working_days_between`` memoised by date pair: thousands of spans share
    a few hundred dates."""

    def __init__(self):
        self.seen: dict[tuple[date, date], int] = {}

    def __call__(self, a: date, b: date) -> int:
        key = (a, b)
        if key not in self.seen:
            self.seen[key] = max(0, working_days_between(a, b))
        return self.seen[key]


def span_working_days(started_at: datetime, ended_at: datetime, wd=None) -> int:
    """Working days after the span's first (local) day up to and including its
    last: red from Monday to Wednesday is 2 days, red within one day is 0."""
    wd = wd or _WorkingDays()
    return wd(timezone.localdate(started_at), timezone.localdate(ended_at))


def _since(colour: str, row: dict, at: datetime | None, now: datetime) -> datetime:
    """When the task took its colour now. With an event time, that time, except
    that red caused by a passed deadline began at midnight after the deadline
    (the moment ``colour_q`` turns it red). Without one (the backfill), the best
    the row knows."""
    deadline_passed = None
    if row["deadline_on"] is not None:
        deadline_passed = end_of_day(row["deadline_on"]) + timedelta(microseconds=1)
    if colour == Colour.RED:
        candidates = [t for t in (row["escalated_at"], deadline_passed) if t is not None]
        if at is not None:
            candidates.append(at)
        since = min(candidates) if candidates else now
    elif at is not None:
        since = at
    elif colour == Colour.GREEN:
        since = row["resolved_at"] or row["closed_at"] or row["updated_at"]
    elif colour == Colour.GREY:
        since = row["updated_at"]
    else:
        since = row["assigned_at"] or row["created_at"]
    return min(since or now, now)


_ROW = ("pk", "colour", "department_id", "deadline_on", "escalated_at", "resolved_at",
        "closed_at", "updated_at", "assigned_at", "created_at")


def record(task_times: dict[int, datetime | None], *, now: datetime | None = None) -> int:
    """Bring the colour history of these tasks up to date; returns how many
    spans were opened. ``task_times`` maps a task id to the time of the event
    that may have changed its colour (``None``: unknown, use the task's row)."""
    from .selectors import with_colour

    now = now or timezone.now()
    today = timezone.localdate(now)
    opened = 0
    ids = sorted(task_times)
    wd = _WorkingDays()
    for i in range(0, len(ids), BATCH):
        chunk = ids[i:i + BATCH]
        with transaction.atomic():
            # lock the tasks (in id order, so two writers never deadlock): a
            # concurrent transition commits first and its own receiver then sees
            # the open span this one wrote
            list(Task.objects.select_for_update(of=("self",)).filter(pk__in=chunk)
                 .order_by("pk").values_list("pk", flat=True))
            rows = with_colour(Task.objects.filter(pk__in=chunk), today).values(*_ROW)
            current = {s.task_id: s for s in
                       ColourSpan.objects.filter(task_id__in=chunk, ended_at__isnull=True)}
            closing, new = [], []
            for row in rows:
                span = current.get(row["pk"])
                if span is not None and span.colour == row["colour"]:
                    continue
                since = _since(row["colour"], row, task_times.get(row["pk"]), now)
                if span is not None:
                    since = max(since, span.started_at)
                    span.ended_at = since
                    span.working_days = span_working_days(span.started_at, since, wd)
                    closing.append(span)
                new.append(ColourSpan(task_id=row["pk"], colour=row["colour"],
                                      department_id=row["department_id"], started_at=since))
            ColourSpan.objects.bulk_update(closing, ["ended_at", "working_days"])
            ColourSpan.objects.bulk_create(new)
            opened += len(new)
    return opened


@receiver(events_recorded)
def record_colour_changes(sender, event_ids: Iterable[int], **kwargs) -> None:
    """After task events commit, record the colour changes they caused. A
    failure is logged, never raised into the request that made the change: the
    daily sweep repairs the history."""
    try:
        times = dict(
            TaskEvent.objects.filter(pk__in=list(event_ids)).values("task_id")
            .annotate(at=Max("created_at")).values_list("task_id", "at").order_by()
        )
        record(times)
    except DatabaseError:
        logger.exception("colour history not recorded for events %s", list(event_ids)[:20])


def sweep(*, today: date | None = None) -> int:
    """The daily pass: tasks with no history yet (the backfill), and yellow
    tasks whose deadline has passed since (red from midnight, before any
    escalation event). Set-wise: two indexed queries find them, ``record``
    writes them in batches. Returns the spans opened."""
    today = today or timezone.localdate()
    no_history = Task.objects.filter(
        ~Exists(ColourSpan.objects.filter(task=OuterRef("pk"), ended_at__isnull=True))
    ).values_list("pk", flat=True)
    turned_red = ColourSpan.objects.filter(
        ended_at__isnull=True, colour=Colour.YELLOW, task__state__in=OPEN_STATES,
    ).filter(Q(task__deadline_on__lt=today) | Q(task__escalation_level__gt=0)
             ).values_list("task_id", flat=True)
    ids = set(no_history) | set(turned_red)
    return record(dict.fromkeys(ids))


def red_working_days(task: Task, *, today: date | None = None) -> int:
    """Working days the task has spent red, the current red stretch included."""
    today = today or timezone.localdate()
    spans = ColourSpan.objects.filter(task=task, colour=Colour.RED)
    closed = spans.filter(ended_at__isnull=False).aggregate(n=Sum("working_days"))["n"] or 0
    current = spans.filter(ended_at__isnull=True).values_list("started_at", flat=True).first()
    if current is not None:
        closed += max(0, working_days_between(timezone.localdate(current), today))
    return closed


def red_days_by_task(tasks, *, today: date,
                     since: datetime | None = None) -> dict[int | None, dict[int, int]]:
    """{department id: {working days red: number of tasks}} over the tasks that
    were ever red among ``tasks`` (a queryset), in one query: a histogram the
    KPIs read medians from. ``since``: no red span of these tasks began before
    it (they were assigned since), which lets the query start from the spans.
    Red time counts for the department the task was with while red.

    The database sums each task's closed red spans and takes the local day its
    open red span (at most one) began, then counts the tasks per (department,
    closed days, day the open span began): a few hundred rows whatever the
    number of tasks, to which the working days of the open spans are added
    here (the holiday calendar is Python's)."""
    spans = ColourSpan.objects.filter(colour=Colour.RED, task__in=tasks)
    if since is not None:
        # a task assigned since then turned red since then: the partial index on
        # red spans' start reads only those, the tasks are then checked by key
        spans = spans.filter(started_at__gte=since)
    per_task = (
        spans
        .values("task_id", "department_id")
        .annotate(closed=Coalesce(Sum("working_days"), 0),
                  open_day=TruncDate(Max("started_at", filter=Q(ended_at__isnull=True))))
        .order_by()
    )
    inner, params = per_task.query.sql_with_params()
    sql = f"""
        SELECT t.department_id, t.closed, t.open_day, COUNT(*)
        FROM ({inner}) t
        GROUP BY t.department_id, t.closed, t.open_day
    """  # noqa: S608 - the inner query is the ORM's, with its parameters
    wd = _WorkingDays()
    histogram: dict[int | None, dict[int, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for dept, closed, open_day, n in cursor.fetchall():
            days = closed or 0
            if open_day is not None:
                if isinstance(open_day, str):  # SQLite
                    open_day = date.fromisoformat(open_day)
                days += wd(open_day, today)
            h = histogram.setdefault(dept, {})
            h[days] = h.get(days, 0) + n
    return histogram
