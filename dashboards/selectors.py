"""The overview's figures: each one SQL aggregate (GROUP BY in the database,
never a loop over rows in Python), so the number of queries is the same for
ten obstacles or half a million.

Every figure is defined exactly as the ledger filter its chart links to, so
the number on the dashboard is the number of rows the ledger then shows:

* colours, categories, streets, industries: lead tasks of obstacles received
  in the period (the ledger's ``received_from`` / ``received_to``);
* new per week: the same, by ISO week of receipt; resolved per week: lead
  tasks resolved in that week (``resolved_from`` / ``resolved_to``);
* satisfaction: the latest counted rating of lead tasks resolved in the period
  (``resolved_*`` and ``rating``), leaving out ratings set aside on appeal, as
  the league table's satisfaction rate and the ledger's rating filter do;
* overdue by department: every task, lead or co-handling, open and past its
  deadline today, whenever it was received (``overdue`` and ``role=all``):
  who is late now, not who was late then;
* visit coverage (district only): person-weeks that met the weekly quota per
  service team, and key enterprises with no submitted visit in the period;
* the league table: ``approvals.selectors.kpis`` over tasks assigned in the
  period.

A department narrows everything to the tasks it holds; visits are not a
department's business, so a department view has no coverage figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from approvals.choices import OPEN_STATES, Colour, Rating, Role, TaskRole
from approvals.models import Department, ObstacleCategory, Profile, Task
from approvals.selectors import KpiRow, colour_counts, colour_q, kpis
from enterprises.models import Enterprise, Industry, Street
from visits.choices import VisitStatus
from visits.models import QuotaCredit, QuotaOverride, ServiceTeam, Visit, week_start_of

from . import cache
from .forms import preset_range

KEY_FIRMS_SHOWN = 10


def day_start(d: date) -> datetime:
    """Local midnight at the start of ``d``, as the ledger's date filters use it."""
    return timezone.make_aware(datetime.combine(d, datetime.min.time()))


@dataclass
class Bar:
    """One bar of a chart: what it counts (a primary key or code, ``None`` for
    "not recorded") and how many."""

    key: object
    name: str
    count: int
    name_en: str = ""


@dataclass
class WeekRow:
    monday: date
    start: date  # the week clipped to the period: what the links ask the ledger for
    end: date
    new: int
    resolved: int


@dataclass
class TeamRow:
    team_id: int | None
    name: str
    people: int
    owed: int  # person-weeks
    met: int

    @property
    def rate(self) -> float | None:
        return round(100.0 * self.met / self.owed, 1) if self.owed else None


@dataclass
class KeyFirm:
    pk: int
    name: str
    street: str


@dataclass
class Overview:
    start: date
    end: date
    today: date
    department: Department | None
    colours: dict[str, int]
    weeks: list[WeekRow]
    overdue: list[Bar]
    categories: list[Bar]
    streets: list[Bar]
    industries: list[Bar]
    satisfaction: dict[int, int]
    league_total: KpiRow
    league_rows: list[KpiRow]
    teams: list[TeamRow] | None = None
    team_weeks: list[date] = field(default_factory=list)
    key_unvisited: int | None = None
    key_firms: list[KeyFirm] = field(default_factory=list)
    computed_at: datetime | None = None  # what the page's "figures as of" says


# ------------------------------------------------------------------ querysets


def _leads(department: Department | None) -> QuerySet[Task]:
    qs = Task.objects.filter(role=TaskRole.LEAD)
    return qs.filter(department=department) if department is not None else qs


def received_in(start: date, end: date, department: Department | None) -> QuerySet[Task]:
    return _leads(department).filter(
        obstacle__received_at__gte=day_start(start),
        obstacle__received_at__lt=day_start(end + timedelta(days=1)))


def resolved_in(start: date, end: date, department: Department | None) -> QuerySet[Task]:
    return _leads(department).filter(
        resolved_at__gte=day_start(start), resolved_at__lt=day_start(end + timedelta(days=1)))


def overdue_now(today: date, department: Department | None) -> QuerySet[Task]:
    qs = Task.objects.filter(state__in=OPEN_STATES, deadline_on__lt=today)
    return qs.filter(department=department) if department is not None else qs


# ------------------------------------------------------------------ figures


def _per_week(qs: QuerySet[Task], column: str) -> dict[date, int]:
    return dict(
        qs.annotate(week=TruncWeek(column, output_field=DateField()))
        .values("week").annotate(n=Count("pk")).order_by().values_list("week", "n"))


def _week_day(week: date | datetime) -> date:
    """A week's Monday as raw SQL returns it: PostgreSQL's date_trunc gives a
    timestamp even when the ORM would have cast it to a date."""
    return week.date() if isinstance(week, datetime) else week


def weekly(start: date, end: date, department: Department | None,
           new: dict[date, int] | None = None,
           resolved: dict[date, int] | None = None) -> list[WeekRow]:
    """New and resolved per ISO week (one GROUP BY query each; ``new`` and
    ``resolved`` when ``received_figures`` and ``resolved_figures`` have
    counted them already); every week of the period is listed, empty ones too."""
    if new is None:
        new = _per_week(received_in(start, end, department), "obstacle__received_at")
    if resolved is None:
        resolved = _per_week(resolved_in(start, end, department), "resolved_at")
    rows, monday = [], week_start_of(start)
    while monday <= end:
        rows.append(WeekRow(monday, max(monday, start), min(monday + timedelta(days=6), end),
                            new.get(monday, 0), resolved.get(monday, 0)))
        monday += timedelta(weeks=1)
    return rows


def _bars(qs: QuerySet, key: str, name: str, name_en: str = "") -> list[Bar]:
    """Rows counted per ``key`` in one GROUP BY, most first."""
    columns = [key, name, *([name_en] if name_en else [])]
    rows = qs.values(*columns).annotate(n=Count("pk")).order_by("-n", name)
    return [Bar(r[key], r[name] or "", r["n"], r[name_en] if name_en else "") for r in rows]


def by_category(qs: QuerySet[Task]) -> list[Bar]:
    """Per top-level category: a sub-category counts for its parent, as the
    ledger's category filter takes a parent with its children."""
    qs = qs.annotate(
        top=Coalesce("obstacle__category__parent", "obstacle__category",
                     output_field=IntegerField()),
        top_name=Coalesce("obstacle__category__parent__name", "obstacle__category__name"),
    )
    return _bars(qs, "top", "top_name")


@dataclass
class Received:
    """The figures of the obstacles received in the period."""

    colours: dict[str, int]
    new_per_week: dict[date, int]
    categories: list[Bar]
    streets: list[Bar]
    industries: list[Bar]


_STREET = ("obstacle__enterprise__street", "obstacle__enterprise__street__name")
_INDUSTRY = ("obstacle__enterprise__industry", "obstacle__enterprise__industry__name_zh",
             "obstacle__enterprise__industry__name_en")


def received_figures(start: date, end: date, department: Department | None,
                     today: date) -> Received:
    """Colours, new per week, categories, streets and industries of the lead
    tasks received in the period.

    On PostgreSQL one scan: the rows are read once and counted five ways with
    ``GROUPING SETS`` (a query per figure read the period's tasks and their
    joins five times; at bench scale that was most of the page's time). Each
    grouping set gives exactly the rows and order the figure's own GROUP BY
    would: counts per key, most first, ties by name. SQLite has no grouping
    sets: there, one query per figure (the same definitions).
    """
    received = received_in(start, end, department)
    if connection.vendor != "postgresql":
        return Received(
            colours=colour_counts(received, today),
            new_per_week=_per_week(received, "obstacle__received_at"),
            categories=by_category(received), streets=_bars(received, *_STREET),
            industries=_bars(received, *_INDUSTRY))
    # the rows are narrow (keys only): names are joined to the grouped rows
    # afterwards, a hundred rows rather than every task of the period
    dims = (
        received.annotate(
            week=TruncWeek("obstacle__received_at", output_field=DateField()),
            top=Coalesce("obstacle__category__parent", "obstacle__category",
                         output_field=IntegerField()),
            street=F(_STREET[0]), industry=F(_INDUSTRY[0]),
            # the three-colour rule of colour_counts: the conditions exclude each other
            colour=Case(*(When(colour_q(c, today), then=Value(c.value)) for c in Colour),
                        default=None, output_field=CharField()),
        )
        .order_by()
        .values("week", "top", "street", "industry", "colour")
    )
    inner, params = dims.query.sql_with_params()
    q = connection.ops.quote_name
    category, street, industry = (ObstacleCategory._meta.db_table, Street._meta.db_table,
                                  Industry._meta.db_table)
    # GROUPING(...) tells the sets apart (a bit per column not grouped, the
    # first column's bit highest); a set's key and name columns are NULL in
    # the others, so one ORDER BY sorts every set by count, then name. A top
    # category's name is that of the category with its key (the parent's, or
    # the category's own), as Coalesce(parent name, name) gave it.
    sql = f"""
        SELECT a.g, a.week, a.top, c.name, a.street, s.name,
               a.industry, i.name_zh, i.name_en, a.colour, a.n
        FROM (
            SELECT GROUPING(d.week, d.top, d.street, d.industry, d.colour) AS g,
                   d.week, d.top, d.street, d.industry, d.colour, COUNT(*) AS n
            FROM ({inner}) AS d
            GROUP BY GROUPING SETS ((d.week), (d.top), (d.street), (d.industry), (d.colour))
        ) AS a
        LEFT JOIN {q(category)} c ON c.id = a.top
        LEFT JOIN {q(street)} s ON s.id = a.street
        LEFT JOIN {q(industry)} i ON i.code = a.industry
        ORDER BY a.g, a.n DESC, c.name, s.name, i.name_zh
    """  # noqa: S608 - the inner query is the ORM's, with its parameters
    out = Received({c.value: 0 for c in Colour}, {}, [], [], [])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for (g, week, top, top_name, street_pk, street_name, industry_pk, industry_zh,
             industry_en, colour, n) in cursor.fetchall():
            if g == 0b01111:
                out.new_per_week[_week_day(week)] = n
            elif g == 0b10111:
                out.categories.append(Bar(top, top_name or "", n))
            elif g == 0b11011:
                out.streets.append(Bar(street_pk, street_name or "", n))
            elif g == 0b11101:
                out.industries.append(Bar(industry_pk, industry_zh or "", n, industry_en or ""))
            elif colour is not None:  # g == 0b11110; a state of no colour is not counted
                out.colours[colour] = n
    return out


def _levels(counts: dict[int, int]) -> dict[int, int]:
    return {level: counts.get(level, 0) for level in sorted(Rating.values, reverse=True)}


def satisfaction(start: date, end: date, department: Department | None) -> dict[int, int]:
    """Rated lead tasks resolved in the period per level, 5 (very satisfied)
    down to 1, empty levels as 0. A rating set aside by an upheld appeal
    (``Task.is_rating_excluded``) stays on the task but is not counted, as in
    the league table's satisfaction rate (``approvals.selectors.kpis``)."""
    counts = dict(
        resolved_in(start, end, department).filter(rating__isnull=False,
                                                   is_rating_excluded=False)
        .values("rating").annotate(n=Count("pk")).order_by().values_list("rating", "n"))
    return _levels(counts)


def resolved_figures(start: date, end: date,
                     department: Department | None) -> tuple[dict[date, int], dict[int, int]]:
    """Resolved per ISO week and the satisfaction distribution: both count
    the lead tasks resolved in the period. On PostgreSQL one scan counted two
    ways (``GROUPING SETS``), the same rows as ``weekly`` and
    ``satisfaction``; elsewhere their two queries."""
    if connection.vendor != "postgresql":
        return (_per_week(resolved_in(start, end, department), "resolved_at"),
                satisfaction(start, end, department))
    dims = (
        resolved_in(start, end, department).annotate(
            week=TruncWeek("resolved_at", output_field=DateField()),
            # the level counted in the distribution, NULL when not counted
            level=Case(When(rating__isnull=False, is_rating_excluded=False, then=F("rating")),
                       default=None, output_field=IntegerField()),
        )
        .order_by()
        .values("week", "level")
    )
    inner, params = dims.query.sql_with_params()
    sql = f"""
        SELECT GROUPING(d.week, d.level) AS g, d.week, d.level, COUNT(*) AS n
        FROM ({inner}) AS d
        GROUP BY GROUPING SETS ((d.week), (d.level))
    """  # noqa: S608 - the inner query is the ORM's, with its parameters
    weeks: dict[date, int] = {}
    levels: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for g, week, level, n in cursor.fetchall():
            if g == 0b01:
                weeks[_week_day(week)] = n
            elif level is not None:  # g == 0b10; an uncounted rating is not a level
                levels[level] = n
    return weeks, _levels(levels)


def quota_weeks(start: date, end: date, today: date) -> list[date]:
    """The Mondays of the period's weeks that have begun (the current week
    counts the visits made so far)."""
    last = min(week_start_of(end), week_start_of(today))
    weeks, monday = [], week_start_of(start)
    while monday <= last:
        weeks.append(monday)
        monday += timedelta(weeks=1)
    return weeks


def quota_by_team(weeks: list[date]) -> list[TeamRow]:
    """Per service team: its active service staff, the person-weeks they owed
    over ``weeks`` and how many met the quota (distinct firms credited that
    week >= the person's quota: a personal override, else the team's, else the
    default, as ``visits.selectors``).

    One query. The ORM has no people x weeks cross join, so this is SQL: the
    weeks as a VALUES list, the credits grouped by person and week once, and
    the same quota rule as ``visits.selectors._quota_expr``.
    """
    if not weeks:
        return []
    User = get_user_model()
    user, groups = User._meta.db_table, User.groups.through._meta.db_table
    group_fk = User.groups.through._meta.get_field("group").column
    user_fk = User.groups.through._meta.get_field(User._meta.model_name).column
    values = ", ".join(["(%s)"] * len(weeks))
    q = connection.ops.quote_name
    sql = f"""
        WITH weeks (monday) AS (VALUES {values}),
        credits AS (
            -- grouped in the order of the (week_start, user_id, enterprise_id)
            -- index: read in order, no sort of the period's credits
            SELECT user_id, week_start, COUNT(DISTINCT enterprise_id) AS firms
            FROM {q(QuotaCredit._meta.db_table)}
            WHERE week_start >= %s AND week_start <= %s
            GROUP BY week_start, user_id
        ),
        owed AS (
            SELECT u.id AS user_id, p.team_id AS team_id, w.monday AS monday,
                   COALESCE(c.firms, 0) AS firms,
                   COALESCE(
                       (SELECT o.quota FROM {q(QuotaOverride._meta.db_table)} o
                        WHERE o.staff_id = u.id AND o.starts_on <= w.monday
                          AND o.ends_on >= w.monday
                        ORDER BY o.starts_on DESC LIMIT 1),
                       t.weekly_quota, %s) AS quota
            FROM {q(user)} u
            JOIN {q(groups)} ug ON ug.{q(user_fk)} = u.id
            JOIN {q(Group._meta.db_table)} g ON g.id = ug.{q(group_fk)} AND g.name = %s
            LEFT JOIN {q(Profile._meta.db_table)} p ON p.user_id = u.id
            LEFT JOIN {q(ServiceTeam._meta.db_table)} t ON t.id = p.team_id
            CROSS JOIN weeks w
            LEFT JOIN credits c ON c.user_id = u.id AND c.week_start = w.monday
            WHERE u.is_active
        )
        SELECT o.team_id, t.name, COUNT(DISTINCT o.user_id), COUNT(*),
               SUM(CASE WHEN o.firms >= o.quota THEN 1 ELSE 0 END)
        FROM owed o LEFT JOIN {q(ServiceTeam._meta.db_table)} t ON t.id = o.team_id
        GROUP BY o.team_id, t.name
        ORDER BY t.name
    """  # noqa: S608 - only table names are formatted in; values are parameters
    params = [*weeks, weeks[0], weeks[-1], settings.DESK["WEEKLY_VISIT_QUOTA"],
              Role.SERVICE_STAFF.value]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [TeamRow(team, name or "", people, owed, met or 0)
                for team, name, people, owed, met in cursor.fetchall()]


def key_firms_unvisited(start: date, end: date) -> tuple[QuerySet[Enterprise], int]:
    """Active key enterprises (above designated size, key project or
    specialised) with no submitted visit in the period."""
    visited = Visit.objects.filter(
        enterprise=OuterRef("pk"), status=VisitStatus.SUBMITTED,
        visited_at__gte=day_start(start), visited_at__lt=day_start(end + timedelta(days=1)))
    firms = (
        Enterprise.objects.filter(status="active")
        .filter(Q(is_above_scale=True) | Q(is_key_project=True) | Q(is_specialised=True))
        .exclude(Exists(visited))
    )
    return firms, firms.count()


# ------------------------------------------------------------------ overview


def compute_overview(start: date, end: date, department: Department | None,
                     today: date) -> Overview:
    """Every figure, in a fixed number of queries (about a dozen on PostgreSQL)."""
    received = received_figures(start, end, department, today)
    resolved_per_week, levels = resolved_figures(start, end, department)
    total, rows = kpis(start, end, department=department)
    ov = Overview(
        start=start, end=end, today=today, department=department,
        colours=received.colours,
        weeks=weekly(start, end, department, new=received.new_per_week,
                     resolved=resolved_per_week),
        overdue=_bars(overdue_now(today, department), "department", "department__name"),
        categories=received.categories, streets=received.streets,
        industries=received.industries,
        satisfaction=levels,
        league_total=total, league_rows=rows, computed_at=timezone.now(),
    )
    if department is None:
        ov.team_weeks = quota_weeks(start, end, today)
        ov.teams = quota_by_team(ov.team_weeks)
        firms, ov.key_unvisited = key_firms_unvisited(start, end)
        ov.key_firms = [
            KeyFirm(pk, name, street or "") for pk, name, street in
            firms.order_by("name", "pk").values_list("pk", "name", "street__name")[
                :KEY_FIRMS_SHOWN]
        ]
    return ov


def _cache_key(start: date, end: date, department_id: int | None, today: date) -> str:
    scope = f"dept{department_id}" if department_id is not None else "district"
    return f"overview:{scope}:{start}:{end}:{today}"


def overview(start: date, end: date, department: Department | None,
             today: date | None = None) -> Overview:
    """``compute_overview``, cached per (scope, period, day); after a change
    the stale figures are served while a job recomputes them (see ``cache``)."""
    from .tasks import refresh_overview_task

    today = today or timezone.localdate()
    dept_id = department.pk if department is not None else None
    args = (start.isoformat(), end.isoformat(), dept_id, today.isoformat())
    return cache.cached(_cache_key(start, end, dept_id, today),
                        lambda: compute_overview(start, end, department, today),
                        refresh=lambda: refresh_overview_task.delay(*args))


def refresh_overview(start: date, end: date, department_id: int | None,
                     today: date) -> None:
    """Recompute one cached overview (the refresh job's work)."""
    key = _cache_key(start, end, department_id, today)
    try:
        department = (Department.objects.get(pk=department_id)
                      if department_id is not None else None)
        cache.store(key, lambda: compute_overview(start, end, department, today))
    finally:
        cache.refreshed(key)


# what the warm-up computes: the period choices that are no custom range
WARM_PRESETS = ("week", "month", "quarter", "year")


def warm_overviews(today: date | None = None) -> int:
    """Compute the preset views of the day (this week, month, quarter and
    year) for the district and for each department that are not cached fresh,
    so a leader's or a head's first look at any of them reads the cache.
    Returns how many were computed (none with the cache off).

    Only worth it with a cache the web processes share (``CACHE_URL``, Redis):
    with the per-process memory cache the entries stay in the worker that
    computed them. It does not change what a first look at a custom range
    costs."""
    if cache.fresh_seconds() <= 0:
        return 0
    today = today or timezone.localdate()
    departments = [None, *Department.objects.order_by("pk")]
    computed = 0
    for preset in WARM_PRESETS:
        start, end = preset_range(preset, today)
        for department in departments:
            dept_id = department.pk if department is not None else None
            key = _cache_key(start, end, dept_id, today)
            if cache.is_fresh(key):
                continue
            cache.store(key, lambda s=start, e=end, d=department: compute_overview(s, e, d, today))
            computed += 1
    return computed
