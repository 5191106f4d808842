"""The visit pages' fast paths give what the straightforward queries gave:
the weekly report from grouped quota credits, coverage from each firm's last
visit, the visit list's scope and count. Each is checked against the query
it replaced (kept here as the reference), on a small mixed data set."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

import pytest
import time_machine

from approvals.choices import Role
from approvals.models import Obstacle
from enterprises.models import Enterprise, Liaison
from tests.factories import (
    EnterpriseFactory,
    LiaisonFactory,
    ServiceTeamFactory,
    StreetFactory,
    UserFactory,
)
from visits import permissions, selectors, services
from visits.choices import VisitStatus
from visits.models import FirmLastVisit, QuotaOverride, Visit, week_start_of

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SH)  # a Wednesday


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def visit(actor, enterprise, when, *, companions=(), submit=True, obstacles=()):
    return services.visit_save(
        actor=actor, submit=submit, companions=list(companions), obstacles=list(obstacles),
        data={"enterprise": enterprise, "visited_at": when, "mode": "on_site",
              "purpose": "了解情况"})


# ------------------------------------------------------------------ references


def reference_report(week, *, team=None):
    """The weekly report as one annotated query over people (before #5's speed-up)."""
    week = week_start_of(week)
    in_week = Q(quota_credits__week_start=week)
    obstacles = Obstacle.objects.filter(
        received_by=OuterRef("pk"), visit__week_start=week,
        visit__status=VisitStatus.SUBMITTED,
    ).order_by().values("received_by").annotate(n=Count("pk")).values("n")[:1]
    people = get_user_model().objects.filter(groups__name=Role.SERVICE_STAFF, is_active=True)
    if team is not None:
        people = people.filter(profile__team=team)
    people = people.annotate(
        visits=Count("quota_credits__visit", filter=in_week, distinct=True),
        firms=Count("quota_credits__enterprise", filter=in_week, distinct=True),
        quota=selectors._quota_expr(week),
        raised=Coalesce(Subquery(obstacles, output_field=IntegerField()), Value(0)),
        team_name=Max("profile__team__name"),
    ).order_by("profile__team__name", "username")
    return [(p.username, p.team_name or "", p.visits, p.firms, p.quota, p.raised)
            for p in people]


def as_tuples(rows):
    return [(r.user.username, r.team, r.visits, r.firms, r.quota, r.obstacles) for r in rows]


def reference_scope(user):
    """Staff: led or joined, or led by the team (a join, then one row per visit)."""
    q = Q(lead_visitor=user) | Q(companions=user)
    team = user.profile.team_id
    if team:
        q |= Q(lead_visitor__profile__team_id=team)
    return set(Visit.objects.filter(q).values_list("pk", flat=True))


def reference_coverage(user, weeks=8):
    """Coverage by a search through each firm's visits, on local dates."""
    today = NOW.date()
    since = today - timedelta(weeks=weeks)
    firms = Enterprise.objects.filter(status="active")
    if not permissions.can_visit(user, "coverage_office"):
        firms = firms.filter(Exists(Liaison.objects.filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=today), staff=user,
            enterprise=OuterRef("pk"))))
    submitted = Visit.objects.filter(enterprise=OuterRef("pk"), status=VisitStatus.SUBMITTED)
    last = submitted.order_by("-visited_at").values("visited_at")[:1]
    stale = (firms.exclude(Exists(submitted.filter(visited_at__date__gte=since)))
             .annotate(last_visit_at=Subquery(last)))
    key = (firms.filter(Q(is_above_scale=True) | Q(is_key_project=True)
                        | Q(is_specialised=True))
           .exclude(Exists(submitted.filter(visited_at__date__gte=today.replace(day=1)))))
    recent = selectors.visits_visible_to(user).filter(
        status=VisitStatus.SUBMITTED, visited_at__date__gte=since)
    return {
        "stale": {(f.pk, f.last_visit_at) for f in stale},
        "key": set(key.values_list("pk", flat=True)),
        "by_street": {r["enterprise__street__name"]: r["n"] for r in
                      recent.values("enterprise__street__name").annotate(n=Count("pk"))},
        "by_industry": {r["enterprise__industry__name_zh"]: r["n"] for r in
                        recent.values("enterprise__industry__name_zh").annotate(n=Count("pk"))},
    }


# ------------------------------------------------------------------ data


@pytest.fixture
def office(team, staff, staff2, category, coordinator, now):
    """Two teams over five weeks: companions across teams, the same firm twice,
    a draft, a personal quota for two of the weeks, obstacles, an inactive
    member, visits either side of local midnight and of the weeks' edges."""
    team_b = ServiceTeamFactory(name="第二服务专班", weekly_quota=2)
    far = UserFactory(username="far", role=Role.SERVICE_STAFF, team=team_b)
    gone = UserFactory(username="gone", role=Role.SERVICE_STAFF, team=team)
    loner = UserFactory(username="loner", role=Role.SERVICE_STAFF)  # no team
    streets = [StreetFactory(), StreetFactory()]
    firms = [EnterpriseFactory(street=streets[i % 2], is_above_scale=i % 3 == 0)
             for i in range(8)]
    for firm in firms[:5]:
        LiaisonFactory(staff=staff, enterprise=firm)
    ob = {"title": "t", "category": category.pk, "description": "d", "urgency": "normal"}
    monday = datetime(2026, 11, 23, 0, 0, tzinfo=SH)
    visit(staff, firms[0], monday + timedelta(minutes=5), obstacles=[ob])
    visit(staff, firms[0], monday + timedelta(days=1))
    visit(staff, firms[1], monday - timedelta(minutes=5), companions=[far])  # Sunday night
    visit(staff2, firms[2], monday - timedelta(days=9), companions=[staff], obstacles=[ob, ob])
    visit(far, firms[3], monday - timedelta(days=15), obstacles=[ob])
    visit(far, firms[1], monday - timedelta(days=22))
    visit(gone, firms[4], monday - timedelta(days=2))
    visit(loner, firms[5], monday - timedelta(days=3))
    visit(staff, firms[6], monday + timedelta(hours=9), submit=False)  # a draft
    # 8 weeks before today's local date, at local midnight and a minute before
    since = datetime(2026, 9, 30, 0, 0, tzinfo=SH)
    visit(staff2, firms[6], since)
    visit(staff2, firms[7], since - timedelta(minutes=1))
    gone.is_active = False
    gone.save()
    QuotaOverride.objects.create(staff=staff2, starts_on=monday.date() - timedelta(days=8),
                                 ends_on=monday.date() - timedelta(days=1), quota=1)
    QuotaOverride.objects.create(staff=staff2, starts_on=monday.date() - timedelta(days=20),
                                 ends_on=monday.date() - timedelta(days=10), quota=3)
    return {"team_b": team_b, "far": far, "loner": loner, "firms": firms}


# ------------------------------------------------------------------ weekly report


def test_the_weekly_reports_equal_the_per_person_query(office, team, now):
    weeks = selectors.report_weeks(now.date(), 5)
    for scope in (None, team, office["team_b"]):
        reports = selectors.weekly_reports(weeks, team=scope)
        assert [w for w, _rows in reports] == weeks
        for week, rows in reports:
            assert as_tuples(rows) == reference_report(week, team=scope), (scope, week)
            assert as_tuples(selectors.weekly_report(week, team=scope)) == as_tuples(rows)
    rows = {r.user.username: r for r in selectors.weekly_report(now.date())}
    assert (rows["staff"].visits, rows["staff"].firms, rows["staff"].obstacles) == (2, 1, 1)
    assert "gone" not in rows and rows["loner"].team == ""


def test_the_weekly_report_rows_carry_what_the_templates_and_jobs_read(office, now):
    row = next(r for r in selectors.weekly_report(now.date()) if r.user.username == "staff")
    assert row.user.pk == get_user_model().objects.get(username="staff").pk
    assert row.name == (row.user.profile.display_name or row.user.username)
    assert str(row.user) == row.name


def test_the_office_report_page_shows_every_week_in_constant_queries(
        client, office, coordinator, now, django_assert_max_num_queries):
    client.force_login(coordinator)
    url = reverse("visits:weekly-report")
    with django_assert_max_num_queries(12):
        first = client.get(url)
    assert first.status_code == 200
    for i in range(10):
        UserFactory(username=f"more{i}", role=Role.SERVICE_STAFF, team=office["team_b"])
        visit(office["far"], EnterpriseFactory(), NOW - timedelta(hours=i + 1))
    with django_assert_max_num_queries(12):
        again = client.get(url)
    body = again.content.decode()
    assert body.count('data-label="') > first.content.decode().count('data-label="')
    assert body.count("<tr><td data-label=") == 4 * 14  # 4 weeks of 14 active staff


def test_names_in_the_report_are_escaped(client, coordinator, team, now):
    UserFactory(username="x", role=Role.SERVICE_STAFF, team=team).profile.__class__.objects \
        .filter(user__username="x").update(display_name="<b>李</b>")
    client.force_login(coordinator)
    body = client.get(reverse("visits:weekly-report")).content.decode()
    assert "&lt;b&gt;李&lt;/b&gt;" in body and "<b>李</b>" not in body


# ------------------------------------------------------------------ coverage


@pytest.mark.parametrize("who", ["staff", "coordinator", "far"])
def test_coverage_equals_the_search_through_visits(office, who, now):
    user = get_user_model().objects.get(username=who)
    got = selectors.coverage(user)
    want = reference_coverage(user)
    assert {(f.pk, f.last_visit_at) for f in got["stale"]} == want["stale"]
    assert got["stale_count"] == len(want["stale"])
    assert {f.pk for f in got["key"]} == want["key"] and got["key_count"] == len(want["key"])
    assert {r["enterprise__street__name"]: r["n"] for r in got["by_street"]} == \
        want["by_street"]
    assert {r["enterprise__industry__name_zh"]: r["n"] for r in got["by_industry"]} == \
        want["by_industry"]


def test_coverage_counts_a_visit_at_local_midnight_of_the_first_day(office, coordinator, now):
    stale = {f.pk for f in selectors.coverage(coordinator)["stale"]}
    assert office["firms"][6].pk not in stale  # 30 Sep 00:00 Shanghai
    assert office["firms"][7].pk in stale  # 29 Sep 23:59 Shanghai


def test_stale_firms_come_least_recently_visited_first_never_visited_last(
        office, coordinator, now):
    never = EnterpriseFactory(name="从未走访企业")
    stale = list(selectors.coverage(coordinator)["stale"])
    assert stale[-1] == never
    times = [f.last_visit_at for f in stale if f.last_visit_at]
    assert times == sorted(times)


def test_the_last_visit_follows_submits_and_corrections(staff, coordinator, now):
    a, b = EnterpriseFactory(), EnterpriseFactory()
    draft = visit(staff, a, now - timedelta(days=3), submit=False)
    assert not FirmLastVisit.objects.exists()
    services.visit_save(actor=staff, visit_id=draft.pk, submit=True,
                        data={"visited_at": draft.visited_at})
    assert FirmLastVisit.objects.get(enterprise=a).visited_at == now - timedelta(days=3)
    later = visit(staff, a, now - timedelta(days=1))
    assert FirmLastVisit.objects.get(enterprise=a).visited_at == now - timedelta(days=1)
    with time_machine.travel(now + timedelta(days=5), tick=False):
        services.visit_save(actor=coordinator, visit_id=later.pk, reason="企业录错",
                            data={"visited_at": later.visited_at, "enterprise": b})
    assert FirmLastVisit.objects.get(enterprise=a).visited_at == now - timedelta(days=3)
    assert FirmLastVisit.objects.get(enterprise=b).visited_at == now - timedelta(days=1)
    with time_machine.travel(now + timedelta(days=5), tick=False):
        services.visit_save(actor=coordinator, visit_id=draft.pk, reason="企业录错",
                            data={"visited_at": draft.visited_at, "enterprise": b})
    assert not FirmLastVisit.objects.filter(enterprise=a).exists()


def test_my_firms_never_visited_first_then_least_recently_visited(staff, now):
    old, recent, never = (EnterpriseFactory(name=n) for n in ("乙", "甲", "丙"))
    for firm in (old, recent, never):
        LiaisonFactory(staff=staff, enterprise=firm)
    visit(staff, old, now - timedelta(days=20))
    visit(staff, recent, now - timedelta(days=2))
    firms = list(selectors.my_firms(staff, now.date()))
    assert firms == [never, old, recent]
    assert firms[1].last_visit_at == now - timedelta(days=20)


# ------------------------------------------------------------------ visit list


@pytest.mark.parametrize("who", ["staff", "staff2", "far", "loner", "coordinator", "officer"])
def test_the_visit_scope_and_its_count(office, who, officer, now):
    user = get_user_model().objects.get(username=who)
    scoped = selectors.visits_visible_to(user)
    pks = list(scoped.values_list("pk", flat=True))
    assert len(pks) == len(set(pks))  # one row per visit
    if who == "coordinator":
        assert set(pks) == set(Visit.objects.values_list("pk", flat=True))
    elif who == "officer":
        assert pks == []
    else:
        assert set(pks) == reference_scope(user)
    assert permissions.count_visible(user) == len(pks)


def test_the_visit_list_pages_by_the_scope_count(client, office, staff, now):
    client.force_login(staff)
    response = client.get(reverse("visits:visit-list"))
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == selectors.visits_visible_to(staff).count()
    assert [v.pk for v in page.object_list] == list(
        selectors.visits_visible_to(staff).order_by("-visited_at", "-pk")
        .values_list("pk", flat=True)[:25])


def test_the_coverage_page_links_each_firm_with_its_last_visit(client, coordinator, staff, now):
    visited = EnterpriseFactory(name="甲<乙>公司", is_above_scale=True)
    never = EnterpriseFactory(name="从未走访公司")
    visit(staff, visited, datetime(2026, 9, 1, 0, 30, tzinfo=SH))  # 31 Aug 16:30 UTC
    client.force_login(coordinator)
    body = client.get(reverse("visits:coverage"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    link = reverse("enterprises:enterprise-detail", args=[visited.pk])
    assert f'<li><a href="{link}">甲&lt;乙&gt;公司</a> <span class="muted">' in body
    assert "· 2026-09-01</span>" in body  # the local date
    assert f'<a href="{reverse("enterprises:enterprise-detail", args=[never.pk])}">' \
        "从未走访公司</a>" in body
    assert "· never</span>" in body
