"""Reads of the visit log: quotas, "my week", coverage and weekly reports.

Every figure is an SQL aggregate over ``QuotaCredit`` (one row per participant
of a submitted visit) or ``Visit``; query counts do not grow with rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    Max,
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
from enterprises.models import Enterprise, Liaison

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
    last = Visit.objects.filter(
        enterprise=OuterRef("pk"), status=VisitStatus.SUBMITTED
    ).order_by("-visited_at").values("visited_at")[:1]
    return (
        Enterprise.objects.filter(Exists(current))
        .annotate(last_visit_at=Subquery(last))
        .select_related("street")
        .order_by("last_visit_at", "name")
    )


def coverage(user, *, weeks: int = 8, today: date | None = None, limit: int = 200):
    """Firms not visited in the last ``weeks`` weeks, key enterprises not visited
    this month, and visits by street and by industry over the same weeks. Staff
    see their own liaison firms; coordinators and leaders the whole district."""
    from .permissions import can_visit

    today = today or timezone.localdate()
    since = today - timedelta(weeks=weeks)
    month_start = today.replace(day=1)
    firms = Enterprise.objects.filter(status="active")
    if not can_visit(user, "coverage_office"):
        firms = firms.filter(Exists(Liaison.objects.filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=today), staff=user,
            enterprise=OuterRef("pk"))))
    submitted = Visit.objects.filter(enterprise=OuterRef("pk"), status=VisitStatus.SUBMITTED)
    last = submitted.order_by("-visited_at").values("visited_at")[:1]
    stale = (
        firms.exclude(Exists(submitted.filter(visited_at__date__gte=since)))
        .annotate(last_visit_at=Subquery(last)).select_related("street", "industry")
        .order_by("last_visit_at", "name")
    )
    key = (
        firms.filter(Q(is_above_scale=True) | Q(is_key_project=True) | Q(is_specialised=True))
        .exclude(Exists(submitted.filter(visited_at__date__gte=month_start)))
        .select_related("street").order_by("name")
    )
    recent = visits_visible_to(user).filter(status=VisitStatus.SUBMITTED,
                                            visited_at__date__gte=since)
    by_street = list(recent.values("enterprise__street__name").annotate(n=Count("pk"))
                     .order_by("-n"))
    by_industry = list(recent.values("enterprise__industry__name_zh").annotate(n=Count("pk"))
                       .order_by("-n"))
    return {
        "since": since, "stale": stale[:limit], "stale_count": stale.count(),
        "key": key[:limit], "key_count": key.count(),
        "by_street": by_street, "by_industry": by_industry,
    }


@dataclass
class ReportRow:
    user: object
    team: str
    visits: int
    firms: int
    quota: int
    obstacles: int

    @property
    def is_met(self) -> bool:
        return self.firms >= self.quota


def weekly_report(week: date, *, team=None) -> list[ReportRow]:
    """Per service-staff member of ``team`` (or of the whole office): visits,
    distinct firms, quota and whether it was met, obstacles raised during the
    week's visits. One query, whatever the number of people or visits."""
    week = week_start_of(week)
    in_week = Q(quota_credits__week_start=week)
    obstacles = Obstacle.objects.filter(
        received_by=OuterRef("pk"), visit__week_start=week,
        visit__status=VisitStatus.SUBMITTED,
    ).order_by().values("received_by").annotate(n=Count("pk")).values("n")[:1]
    people = get_user_model().objects.filter(groups__name=Role.SERVICE_STAFF, is_active=True)
    if team is not None:
        people = people.filter(profile__team=team)
    people = (
        people.annotate(
            visits=Count("quota_credits__visit", filter=in_week, distinct=True),
            firms=Count("quota_credits__enterprise", filter=in_week, distinct=True),
            quota=_quota_expr(week),
            raised=Coalesce(Subquery(obstacles, output_field=IntegerField()), Value(0)),
            team_name=Max("profile__team__name"),
        )
        .select_related("profile")
        .order_by("profile__team__name", "username")
    )
    return [ReportRow(p, p.team_name or "", p.visits, p.firms, p.quota, p.raised)
            for p in people]


def report_weeks(today: date, count: int = 4) -> list[date]:
    """This week's Monday and the ``count - 1`` before it."""
    start = week_start_of(today)
    return [start - timedelta(weeks=i) for i in range(count)]
