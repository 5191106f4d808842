"""Each figure of the overview on the hand-counted district of conftest.py."""

from __future__ import annotations

from datetime import date

import pytest

from approvals.selectors import kpis
from dashboards import selectors
from dashboards.forms import preset_range

pytestmark = pytest.mark.django_db

NOV = (date(2026, 11, 1), date(2026, 11, 30))


@pytest.fixture
def district(world, only_service_staff):
    return selectors.compute_overview(*NOV, None, date(2026, 11, 25))


@pytest.fixture
def department(world):
    return selectors.compute_overview(*NOV, world.dept, date(2026, 11, 25))


def test_presets_are_whole_calendar_units():
    wed = date(2026, 11, 25)
    assert preset_range("week", wed) == (date(2026, 11, 23), date(2026, 11, 29))
    assert preset_range("month", wed) == NOV
    assert preset_range("quarter", wed) == (date(2026, 10, 1), date(2026, 12, 31))
    assert preset_range("year", wed) == (date(2026, 1, 1), date(2026, 12, 31))
    assert preset_range("month", date(2026, 12, 31)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert preset_range("month", date(2028, 2, 10)) == (date(2028, 2, 1), date(2028, 2, 29))
    assert preset_range("quarter", date(2026, 2, 1)) == (date(2026, 1, 1), date(2026, 3, 31))


def test_colours_count_the_obstacles_received_in_the_period(district):
    # o4 yellow; o1 overdue and o3 escalated red; o2 and o7 green; o5 grey.
    # o7 was received at 00:30 on 1 November in Shanghai (31 October in UTC);
    # o8 at 23:30 on 31 October: only o7 is in.
    assert district.colours == {"yellow": 1, "red": 2, "green": 2, "grey": 1}


def test_new_and_resolved_per_week(district):
    weeks = [(w.monday.isoformat(), w.start.day, w.end.day, w.new, w.resolved)
             for w in district.weeks]
    assert weeks == [
        ("2026-10-26", 1, 1, 1, 0),     # o7 received on Sunday 1 November
        ("2026-11-02", 2, 8, 2, 2),     # o1, o2 received; o7 (2 Nov), o2 (5 Nov) resolved
        ("2026-11-09", 9, 15, 1, 0),    # o3
        ("2026-11-16", 16, 22, 0, 1),   # o6 (received in October) resolved on 18 Nov
        ("2026-11-23", 23, 29, 2, 0),   # o4, o5
        ("2026-11-30", 30, 30, 0, 0),   # the last day of the month
    ]


def test_overdue_by_department_counts_lead_and_co_tasks_today(district, world):
    # dept: o1 and o3's co-handling task; other: o8 (received in October).
    # o3 is red by escalation but not overdue.
    assert [(b.key, b.count) for b in district.overdue] == [
        (world.dept.pk, 2), (world.other_dept.pk, 1)]


def test_categories_count_children_under_their_parent(district, world):
    parent, _child, other = world.categories
    # P: o1, o2 (child), o5, o7; Q: o3, o4
    assert [(b.key, b.name, b.count) for b in district.categories] == [
        (parent.pk, parent.name, 4), (other.pk, other.name, 2)]


def test_streets_and_industries(district, world):
    s1, s2 = world.streets
    # S1 甲街道: o1, o2, o5 (firm A); S2 乙街道: o3, o4 (B), o7 (C); a tie is
    # ordered by name (乙 U+4E59 before 甲 U+7532)
    assert [(b.key, b.count) for b in district.streets] == [(s2.pk, 3), (s1.pk, 3)]
    # C: o1, o2, o5 (A), o7 (C); F: o3, o4 (B)
    assert [(b.key, b.name, b.count) for b in district.industries] == [
        ("C", world.industries[0].name_zh, 4), ("F", world.industries[1].name_zh, 2)]


def test_satisfaction_of_the_tasks_resolved_in_the_period(district):
    # o2 (5), o7 (4) and o6 (2, received in October, resolved in November)
    assert district.satisfaction == {5: 1, 4: 1, 3: 0, 2: 1, 1: 0}


def test_a_rating_set_aside_on_appeal_is_not_counted(world, only_service_staff):
    """An upheld appeal keeps o7's rating (4) on the task but out of the
    distribution, and out of the league table's satisfaction rate."""
    t7 = world.tasks.t7
    t7.is_rating_excluded = True
    t7.save(update_fields=["is_rating_excluded"])
    ov = selectors.compute_overview(*NOV, None, date(2026, 11, 25))
    # o2 (5) and o6 (2) still count; o7 is no longer "satisfied"
    assert ov.satisfaction == {5: 1, 4: 0, 3: 0, 2: 1, 1: 0}
    assert t7.rating == 4
    # league (tasks assigned in November): dept rated o2 (5): 1 of 1 satisfied;
    # other_dept's only rating is o7's, set aside: nothing rated
    rates = {r.department.pk: (r.rated, r.satisfied, r.satisfaction_rate)
             for r in ov.league_rows}
    assert rates[world.dept.pk] == (1, 1, 100.0)
    assert rates[world.other_dept.pk] == (0, 0, None)
    assert (ov.league_total.rated, ov.league_total.satisfied) == (1, 1)


def test_quota_met_per_team_over_the_weeks_begun(district, world):
    # five weeks begun (26 Oct .. 23 Nov); staff met the week of 23 Nov (4
    # firms), staff2 the week of 16 Nov (personal quota 1); loner never.
    assert district.team_weeks == [date(2026, 10, 26), date(2026, 11, 2), date(2026, 11, 9),
                                   date(2026, 11, 16), date(2026, 11, 23)]
    rows = [(t.team_id, t.people, t.owed, t.met, t.rate) for t in district.teams]
    assert rows == [(None, 1, 5, 0, 0.0), (world.team.pk, 2, 10, 2, 20.0)] or rows == [
        (world.team.pk, 2, 10, 2, 20.0), (None, 1, 5, 0, 0.0)]


def test_a_deactivated_member_owes_nothing(world, only_service_staff):
    world.loner.is_active = False
    world.loner.save()
    ov = selectors.compute_overview(*NOV, None, date(2026, 11, 25))
    assert [t.team_id for t in ov.teams] == [world.team.pk]


def test_key_enterprises_without_a_visit_in_the_period(district, world):
    # A was visited on 23 November; B (key project) and D (specialised) not;
    # C is no key enterprise
    assert district.key_unvisited == 2
    assert [f.pk for f in district.key_firms] == sorted(
        [world.firms.b.pk, world.firms.d.pk],
        key=lambda pk: {world.firms.b.pk: "乙公司", world.firms.d.pk: "丁公司"}[pk])


def test_the_league_table_is_the_kpi_selectors(district):
    total, rows = kpis(*NOV)
    assert [(r.department.pk, r.received, r.resolved) for r in district.league_rows] == [
        (r.department.pk, r.received, r.resolved) for r in rows]
    assert district.league_total.received == total.received


def test_a_department_sees_only_its_own_tasks(department, world):
    # dept's lead tasks received in November: o1 (red), o2 (green)
    assert department.colours == {"yellow": 0, "red": 1, "green": 1, "grey": 0}
    # resolved: o2 (5 Nov), o6 (18 Nov)
    assert [w.resolved for w in department.weeks] == [0, 1, 0, 1, 0, 0]
    assert [(b.key, b.count) for b in department.overdue] == [(world.dept.pk, 2)]
    assert [b.count for b in department.categories] == [2]
    assert department.satisfaction == {5: 1, 4: 0, 3: 0, 2: 1, 1: 0}
    assert [r.department.pk for r in department.league_rows] == [world.dept.pk]
    # visits are the service teams' business, not a department's
    assert department.teams is None and department.key_unvisited is None


def test_an_empty_period_has_zeros_not_errors(world):
    ov = selectors.compute_overview(date(2030, 1, 1), date(2030, 1, 31), None,
                                    date(2026, 11, 25))
    assert sum(ov.colours.values()) == 0 and ov.categories == [] and ov.teams == []
    assert all(w.new == w.resolved == 0 for w in ov.weeks)


def test_the_single_scan_figures_are_the_per_figure_queries(world):
    """On PostgreSQL ``received_figures`` and ``resolved_figures`` count one
    scan several ways (GROUPING SETS, names joined to the grouped rows); they
    give exactly what each figure's own GROUP BY gives, for the district and
    for a department. A firm with no street is counted under "not recorded"
    (key None) with an empty name; o9, received on 12 November by it, was
    resolved by dept on 20 November (green), rated 3 but set aside on appeal."""
    from approvals.choices import TaskState
    from approvals.selectors import colour_counts
    from enterprises.models import Industry
    from tests.factories import EnterpriseFactory, ObstacleFactory, TaskFactory

    from .conftest import at

    nowhere = EnterpriseFactory(name="无街道公司", street=None,
                                industry=Industry.objects.get(code="F"))
    TaskFactory(obstacle=ObstacleFactory(enterprise=nowhere, category=world.categories[1],
                                         received_at=at(11, 12)),
                department=world.dept, state=TaskState.RESOLVED, assigned_at=at(11, 12, 11),
                deadline_on=date(2026, 11, 13), resolved_at=at(11, 20),
                rating=3, is_rating_excluded=True)
    today = date(2026, 11, 25)
    for dept in (None, world.dept, world.other_dept):
        got = selectors.received_figures(*NOV, dept, today)
        received = selectors.received_in(*NOV, dept)
        assert got.colours == colour_counts(received, today)
        assert got.new_per_week == selectors._per_week(received, "obstacle__received_at")
        assert got.categories == selectors.by_category(received)
        assert got.streets == selectors._bars(received, *selectors._STREET)
        assert got.industries == selectors._bars(received, *selectors._INDUSTRY)
        weeks, levels = selectors.resolved_figures(*NOV, dept)
        assert weeks == selectors._per_week(selectors.resolved_in(*NOV, dept), "resolved_at")
        assert levels == selectors.satisfaction(*NOV, dept)
    district = selectors.received_figures(*NOV, None, today)
    # S1: o1, o2, o5; S2: o3, o4, o7; no street: o9
    assert [(b.key, b.name, b.count) for b in district.streets][-1] == (None, "", 1)
    # the appeal keeps o9's 3 out: o2 (5), o7 (4), o6 (2) as before
    assert selectors.resolved_figures(*NOV, None)[1] == {5: 1, 4: 1, 3: 0, 2: 1, 1: 0}
    assert district.colours == {"yellow": 1, "red": 2, "green": 3, "grey": 1}
