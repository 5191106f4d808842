"""Reads of the visit log: quotas, "my week", coverage and weekly reports.

Every figure is an SQL aggregate over ``QuotaCredit`` (one row per participant
of a submitted visit) or ``Visit``; query counts do not grow with rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from approvals.choices import Role
from approvals.models import Obstacle
from enterprises.models import Enterprise, Industry, Liaison, Street

from .choices import VisitStatus
from .models import QuotaCredit, QuotaOverride, Visit, week_start_of
from .permissions import scope_visits


def visits_visible_to(user) -> QuerySet[Visit]:
    return scope_visits(user, Visit.objects.all())


def _default_quota() -> int:
    return settings.DESK["WEEKLY_VISIT_QUOTA"]


def _quota_expr(week: date):
    """Personal override for the week, else the team's quota, else the default."""
    override = QuotaOverride.objects.filter(
        staff=OuterRef("pk"), starts_on__lte=week, ends_on__gte=week
    ).order_by("-starts_on").values("quota")[:1]
    return Coalesce(
        Subquery(override, output_field=IntegerField()),
        "profile__team__weekly_quota",
        Value(_default_quota()),
        output_field=IntegerField(),
    )


def quota_for(user, week: date) -> int:
    return (
        get_user_model().objects.filter(pk=user.pk)
        .annotate(q=_quota_expr(week)).values_list("q", flat=True).get()
    )


@dataclass
class Week:
    start: date
    firms: int
    visits: int
    quota: int

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    @property
    def is_met(self) -> bool:
        return self.firms >= self.quota

    @property
    def missing(self) -> int:
        return max(0, self.quota - self.firms)


def my_week(user, today: date | None = None) -> Week:
    """This ISO week's distinct firms (the same firm twice counts once) and
    visits against the user's quota: two queries."""
    start = week_start_of(today or timezone.localdate())
    figures = QuotaCredit.objects.filter(user=user, week_start=start).aggregate(
        firms=Count("enterprise", distinct=True), visits=Count("visit", distinct=True))
    return Week(start, figures["firms"], figures["visits"], quota_for(user, start))


def my_firms(user, today: date | None = None) -> QuerySet[Enterprise]:
    """The firms the user currently looks after, least recently visited first
    (never visited at the top), with the date of the last submitted visit."""
    today = today or timezone.localdate()
    current = Liaison.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today), starts_on__lte=today,
        staff=user, enterprise=OuterRef("pk"))
    return (
        Enterprise.objects.filter(Exists(current))
        .annotate(last_visit_at=F("last_visit__visited_at"))
        .select_related("street")
        .order_by(F("last_visit_at").asc(nulls_first=True), "name")
    )


def local_midnight(d: date) -> datetime:
    """The desk's local midnight at the start of ``d``, as an aware datetime:
    ``visited_at >= local_midnight(d)`` is ``visited_at__date >= d`` in the
    desk's time zone, but a range the time indexes serve."""
    return timezone.make_aware(datetime.combine(d, time.min))


def coverage(user, *, weeks: int = 8, today: date | None = None, limit: int = 200):
    """Firms not visited in the last ``weeks`` weeks, key enterprises not visited
    this month, and visits by street and by industry over the same weeks. Staff
    see their own liaison firms; coordinators and leaders the whole district.
    Six or seven queries: both counts, the stale firms (the never-visited ones
    in a second query when the visited ones do not fill ``limit``), the key
    firms (each a join with ``FirmLastVisit``), the recent visits grouped by
    street and industry at once, and those streets' and industries' names."""
    from .permissions import can_visit

    today = today or timezone.localdate()
    since = today - timedelta(weeks=weeks)
    month_start = today.replace(day=1)
    firms = Enterprise.objects.filter(status="active")
    if not can_visit(user, "coverage_office"):
        firms = firms.filter(Exists(Liaison.objects.filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=today), staff=user,
            enterprise=OuterRef("pk"))))
    # FirmLastVisit: one row per firm ever visited, its last submitted visit;
    # "no submitted visit since X" is "last visit before X, or none"
    firms = firms.annotate(last_visit_at=F("last_visit__visited_at"))
    not_since = Q(last_visit_at__isnull=True) | Q(last_visit_at__lt=local_midnight(since))
    is_key = Q(is_above_scale=True) | Q(is_key_project=True) | Q(is_specialised=True)
    not_this_month = (Q(last_visit_at__isnull=True)
                      | Q(last_visit_at__lt=local_midnight(month_start)))
    counts = firms.aggregate(stale=Count("pk", filter=not_since),
                             key=Count("pk", filter=is_key & not_this_month))
    # least recently visited first, never visited last (PostgreSQL's NULLS
    # LAST): the visited ones walk the last-visit index and stop at ``limit``;
    # only when they are fewer do the never-visited ones follow, by name
    shown = firms.select_related("street").only("name", "street__name")
    stale = list(shown.filter(last_visit_at__lt=local_midnight(since))
                 .order_by("last_visit_at", "name")[:limit])
    if len(stale) < limit and counts["stale"] > len(stale):
        stale += shown.filter(last_visit_at__isnull=True).order_by("name")[:limit - len(stale)]
    key = firms.filter(is_key & not_this_month).only("name").order_by("name")
    recent = visits_visible_to(user).filter(status=VisitStatus.SUBMITTED,
                                            visited_at__gte=local_midnight(since))
    # grouped by the firms' street and industry keys (no join to those small
    # tables for each of tens of thousands of visits), named afterwards
    street, industry = "enterprise__street__name", "enterprise__industry__name_zh"
    by_street: dict = {}
    by_industry: dict = {}
    for street_id, industry_id, n in (
            recent.values_list("enterprise__street", "enterprise__industry")
            .annotate(n=Count("*")).order_by()):
        by_street[street_id] = by_street.get(street_id, 0) + n
        by_industry[industry_id] = by_industry.get(industry_id, 0) + n
    streets = dict(Street.objects.filter(pk__in=[k for k in by_street if k is not None])
                   .values_list("pk", "name"))
    industries = dict(Industry.objects.filter(pk__in=list(by_industry))
                      .values_list("pk", "name_zh"))
    by_street, by_industry = _by_name(by_street, streets), _by_name(by_industry, industries)
    return {
        "since": since, "stale": stale, "stale_count": counts["stale"],
        "key": key[:limit], "key_count": counts["key"],
        "by_street": _ranked(by_street, street), "by_industry": _ranked(by_industry, industry),
    }


def _by_name(counts: dict, names: dict) -> dict:
    """Counts by key to counts by name (as a GROUP BY on the name would give:
    two keys of one name add up; no key, no name)."""
    out: dict = {}
    for key, n in counts.items():
        name = names.get(key)
        out[name] = out.get(name, 0) + n
    return out


def _ranked(counts: dict, label: str) -> list[dict]:
    """``[{label: name, "n": visits}]``, most visits first, ties by name."""
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))
    return [{label: name, "n": n} for name, n in rows]


@dataclass(frozen=True)
class StaffMember:
    """A service staff member as a report shows them. The office's report has
    some 1,400 people: as plain values they load in a tenth of the time model
    instances take. Enough of ``User`` for what reads ``row.user``: ``pk``,
    ``username`` and ``profile.display_name`` (``profile`` is the member
    itself)."""

    pk: int
    username: str
    display_name: str = ""

    @property
    def id(self) -> int:
        return self.pk

    @property
    def profile(self) -> StaffMember:
        return self

    def __str__(self) -> str:
        return self.display_name or self.username


@dataclass
class ReportRow:
    user: StaffMember
    team: str
    visits: int
    firms: int
    quota: int
    obstacles: int

    @property
    def is_met(self) -> bool:
        return self.firms >= self.quota

    @property
    def name(self) -> str:
        return self.user.display_name or self.user.username


def weekly_report(week: date, *, team=None) -> list[ReportRow]:
    """Per service-staff member of ``team`` (or of the whole office): visits,
    distinct firms, quota and whether it was met, obstacles raised during the
    week's visits. The function the Monday job e-mails; see ``weekly_reports``."""
    return weekly_reports([week], team=team)[0][1]


def weekly_reports(weeks: list[date], *, team=None) -> list[tuple[date, list[ReportRow]]]:
    """``weekly_report`` for several weeks at once, in the order given: four
    queries whatever the number of people, weeks or visits.

    1. the people: active service staff (of ``team``), by team name and username;
    2. their ``QuotaCredit`` rows (one per participant of a submitted visit) in
       the weeks, grouped by person and week: visits (a person is credited once
       per visit) and distinct firms, from the (week, person, firm) index only;
    3. obstacles raised during the weeks' submitted visits, by the person who
       received them and the visit's week;
    4. personal quota overrides that touch the weeks (else the team's quota,
       else the default), as ``_quota_expr``.
    """
    weeks = [week_start_of(w) for w in weeks]
    if not weeks:
        return []
    people = get_user_model().objects.filter(groups__name=Role.SERVICE_STAFF, is_active=True)
    if team is not None:
        people = people.filter(profile__team=team)
    people = list(people.order_by("profile__team__name", "username").values_list(
        "pk", "username", "profile__display_name", "profile__team__name",
        "profile__team__weekly_quota"))
    ids = [p[0] for p in people]
    # a range, not a list: the (week, person, firm) index then yields the rows
    # in GROUP BY order, and weeks outside ``weeks`` are never looked up
    credits = QuotaCredit.objects.filter(week_start__gte=min(weeks), week_start__lte=max(weeks))
    obstacles = Obstacle.objects.filter(
        visit__isnull=False, visit__week_start__in=weeks, visit__status=VisitStatus.SUBMITTED)
    overrides = QuotaOverride.objects.filter(
        starts_on__lte=max(weeks), ends_on__gte=min(weeks))
    if team is not None:
        # a team is a few dozen people: their ids are a short list
        credits = credits.filter(user__in=ids)
        obstacles = obstacles.filter(received_by__in=ids)
        overrides = overrides.filter(staff__in=ids)
    # by week, then person: no (person, week) key kept per row
    figures: dict[date, dict] = {week: {} for week in weeks}
    for week, user, visits, firms in (
            credits.values_list("week_start", "user").order_by()
            .annotate(visits=Count("*"), firms=Count("enterprise", distinct=True))):
        if week in figures:
            figures[week][user] = (visits, firms)
    raised: dict[date, dict] = {week: {} for week in weeks}
    for user, week, n in (obstacles.values_list("received_by", "visit__week_start")
                          .order_by().annotate(n=Count("pk"))):
        raised[week][user] = n
    personal: dict[int, list] = {}
    for o in overrides.order_by("-starts_on", "-pk"):
        personal.setdefault(o.staff_id, []).append(o)
    default = _default_quota()
    staff = [(StaffMember(pk, username, display_name or ""), team_name or "",
              default if team_quota is None else team_quota, personal.get(pk))
             for pk, username, display_name, team_name, team_quota in people]
    reports = []
    none = (0, 0)
    for week in weeks:
        done, obstacles_raised, rows = figures[week], raised[week], []
        for p, team_name, quota, own in staff:
            if own:
                quota = next((o.quota for o in own if o.starts_on <= week <= o.ends_on), quota)
            visits, firms = done.get(p.pk, none)
            rows.append(ReportRow(p, team_name, visits, firms, quota,
                                  obstacles_raised.get(p.pk, 0)))
        reports.append((week, rows))
    return reports


def report_weeks(today: date, count: int = 4) -> list[date]:
    """This week's Monday and the ``count - 1`` before it."""
    start = week_start_of(today)
    return [start - timedelta(weeks=i) for i in range(count)]
