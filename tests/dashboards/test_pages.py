"""The overview page and its downloads: who may open them, the department
view, bad input, the click-through to the ledger, constant query counts and
the cache."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

import pytest

from approvals import services as loop
from approvals.choices import Role
from tests.dashboards.conftest import at, visit
from tests.factories import (
    CategoryFactory,
    DepartmentFactory,
    EnterpriseFactory,
    ObstacleFactory,
    StreetFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("dashboards:overview")
TABLES = reverse("dashboards:tables-export")
ROWS = reverse("dashboards:ledger-export")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def no_cache(seconds=0):
    from django.conf import settings

    return override_settings(DESK={**settings.DESK, "DASHBOARD_CACHE_SECONDS": seconds})


@pytest.mark.parametrize("url", [OVERVIEW, TABLES, ROWS])
@pytest.mark.parametrize("who, status", [
    ("anonymous", 302), ("firm", 403), ("firm2", 403), ("staff", 403), ("officer", 403),
    ("editor", 403), ("head", 200), ("coordinator", 200), ("leader", 200),
])
def test_who_may_open_the_dashboards(client, request, world, url, who, status):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.get(url)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
    if status == 403:
        assert world.dept.name.encode() not in b"".join(
            getattr(response, "streaming_content", [response.content]))


def test_a_head_without_a_department_sees_nothing(client, world):
    client.force_login(UserFactory(username="lost_head", role=Role.DEPARTMENT_HEAD))
    assert client.get(OVERVIEW).status_code == 403
    assert client.get(ROWS).status_code == 403


def test_the_head_sees_their_department_only(client, head, world):
    client.force_login(head)
    response = client.get(OVERVIEW, **EN)
    assert response.status_code == 200
    assert response.context["period"].department == world.dept
    body = response.content.decode()
    assert world.dept.name in body and world.other_dept.name not in body
    # no visit coverage in a department's view
    assert not {"teams", "key-firms"} & {f.key for f in response.context["figures"]}
    # the department select offers only the head's own
    assert list(response.context["form"].fields["department"].queryset) == [world.dept]


@pytest.mark.parametrize("url", [OVERVIEW, TABLES])
def test_the_head_cannot_ask_for_another_department(client, head, world, url):
    client.force_login(head)
    response = client.get(url, {"department": world.other_dept.pk}, **EN)
    assert response.status_code == 400
    assert world.other_dept.name.encode() not in response.content


def test_the_head_exports_only_rows_of_their_department(client, head, world):
    from io import BytesIO

    from openpyxl import load_workbook

    client.force_login(head)
    response = client.get(ROWS, {"department": world.other_dept.pk, "role": "all"}, **EN)
    rows = list(load_workbook(BytesIO(b"".join(response.streaming_content))).active.values)
    assert rows[1:] == []
    response = client.get(ROWS, {"role": "all"}, **EN)
    rows = list(load_workbook(BytesIO(b"".join(response.streaming_content))).active.values)
    assert {r[8] for r in rows[1:]} == {world.dept.name}


def test_a_leader_narrows_the_district_to_a_department(client, leader, world):
    client.force_login(leader)
    response = client.get(OVERVIEW, {"department": world.other_dept.pk})
    assert response.context["period"].department == world.other_dept
    figures = {f.key: f for f in response.context["figures"]}
    # o3 red, o7 green (o8 was received in October)
    assert figures["colours"].table.footer[1].value == 2
    assert "teams" not in figures


@pytest.mark.parametrize("query, field", [
    ({"period": "custom"}, "start"),
    ({"period": "custom", "start": "2026-11-30", "end": "2026-11-01"}, "end"),
    ({"period": "custom", "start": "2020-01-01", "end": "2026-11-01"}, "end"),
    ({"period": "custom", "start": "not a date", "end": "2026-11-01"}, "start"),
    ({"period": "decade"}, "period"),
    ({"department": "999999"}, "department"),
])
def test_bad_input_is_a_form_error_not_a_crash(client, leader, world, query, field):
    client.force_login(leader)
    response = client.get(OVERVIEW, query, **EN)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert client.get(TABLES, query).status_code == 400


def test_bad_export_parameters_are_refused_with_a_reason(client, leader, world):
    client.force_login(leader)
    response = client.get(TABLES, {"table": "nonsense"}, **EN)
    assert response.status_code == 400 and b"No such table" in response.content
    response = client.get(ROWS, {"received_from": "2026-11-30", "received_to": "2026-11-01"},
                          **EN)
    assert response.status_code == 400 and b"before its start" in response.content


def test_a_custom_range_and_presets(client, leader, world):
    client.force_login(leader)
    response = client.get(OVERVIEW, {"period": "custom", "start": "2026-10-01",
                                     "end": "2026-10-31"})
    period = response.context["period"]
    assert (period.start.isoformat(), period.end.isoformat()) == ("2026-10-01", "2026-10-31")
    figures = {f.key: f for f in response.context["figures"]}
    # October: o6 and o8 received
    assert figures["colours"].table.footer[1].value == 2
    response = client.get(OVERVIEW, {"period": "year"})
    assert response.context["period"].start.isoformat() == "2026-01-01"
    assert response.context["figures"][0].table.footer[1].value == 8


def _ledger_links(figures):
    ledger = reverse("approvals:ledger")
    for fig in figures:
        for row in [*fig.table.rows, fig.table.footer or []]:
            for cell in row:
                if cell.href.startswith(ledger + "?") and isinstance(cell.value, int):
                    yield fig.key, cell


@pytest.mark.parametrize("who", ["leader", "head"])
def test_every_number_is_the_number_of_ledger_rows_it_links_to(client, request, world, who):
    """The dashboard and the ledger agree: each count, opened, lists that
    many rows (the ledger's colour counts add up to its total)."""
    client.force_login(request.getfixturevalue(who))
    figures = client.get(OVERVIEW).context["figures"]
    checked = 0
    for key, cell in _ledger_links(figures):
        query = parse_qs(urlsplit(cell.href).query)
        response = client.get(cell.href)
        assert response.status_code == 200, cell.href
        counts = response.context["counts"]
        shown = counts[query["colour"][0]] if "colour" in query else sum(counts.values())
        assert shown == cell.value, (key, cell.label, cell.href)
        checked += 1
    assert checked >= (30 if who == "leader" else 15)


def test_the_satisfaction_links_list_only_counted_ratings(client, leader, world):
    """With o7's rating (4) set aside on appeal, the figure counts no 4 and
    the ledger it links to lists no row either."""
    world.tasks.t7.is_rating_excluded = True
    world.tasks.t7.save(update_fields=["is_rating_excluded"])
    client.force_login(leader)
    figures = client.get(OVERVIEW).context["figures"]
    satisfaction = next(f for f in figures if f.key == "satisfaction")
    counts = {}
    for row in satisfaction.table.rows:
        cell = row[1]
        counts[parse_qs(urlsplit(cell.href).query)["rating"][0]] = cell.value
        listed = client.get(cell.href).context["counts"]
        assert sum(listed.values()) == cell.value, cell.href
    assert counts == {"5": 1, "4": 0, "3": 0, "2": 1, "1": 0}


def test_the_charts_carry_chinese_labels_and_the_links(client, leader, world):
    client.force_login(leader)
    response = client.get(OVERVIEW, HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = response.content.decode()
    charts = json.loads(body.split('id="dashboard-charts" type="application/json">')[1]
                        .split("</script>")[0])
    assert charts["satisfaction"]["labels"][0] == "非常满意"
    assert charts["weeks"]["series"][0]["name"] == "新增"
    assert charts["colours"]["series"][0]["links"][0].startswith(reverse("approvals:ledger"))
    assert "三色台账" in body
    assert 'src="/static/dashboards/vendor/echarts.min.js"' in body
    # every chart is a picture of the table under it, for screen readers and print
    figures = response.context["figures"]
    assert body.count('class="chart"') == len(charts) == len([f for f in figures if f.chart])
    assert body.count("<table") == len(figures)


def _more_data(world, n):
    """n more obstacles over new categories, streets, firms and departments."""
    for i in range(n):
        dept = DepartmentFactory()
        firm = EnterpriseFactory(street=StreetFactory(), is_key_project=True)
        ob = ObstacleFactory(enterprise=firm, category=CategoryFactory(default_department=dept),
                             received_at=at(11, 2 + i % 20))
        TaskFactory(obstacle=ob, department=dept, state="in_progress",
                    assigned_at=at(11, 2 + i % 20, 11), deadline_on=at(11, 3).date(),
                    rating=1 + i % 5)
        staff = UserFactory(role=Role.SERVICE_STAFF)
        visit(staff, firm, at(11, 10))


@pytest.mark.parametrize("who", ["leader", "head"])
def test_query_counts_do_not_grow_with_the_data(client, request, world, who,
                                                django_assert_max_num_queries):
    client.force_login(request.getfixturevalue(who))
    # about 15 for the figures (kpis() 4 of them), the rest for the session,
    # the user, its roles and profile, the department select; the rows export
    # is one query for the rows (the audit trail may log the download)
    for extra in (0, 25):
        _more_data(world, extra)
        with no_cache(), django_assert_max_num_queries(22):
            assert client.get(OVERVIEW).status_code == 200
        with no_cache(), django_assert_max_num_queries(24):
            b"".join(client.get(TABLES).streaming_content)
        with django_assert_max_num_queries(10):
            b"".join(client.get(ROWS, {"role": "all"}).streaming_content)
        with no_cache(120):
            client.get(OVERVIEW)
            with django_assert_max_num_queries(7):  # from the cache: no figure queried
                assert client.get(OVERVIEW).status_code == 200


def test_the_overview_is_cached_until_a_task_event(client, leader, coordinator, world,
                                                   django_assert_max_num_queries,
                                                   django_capture_on_commit_callbacks):
    client.force_login(leader)

    def yellow_and_grey():
        table = client.get(OVERVIEW).context["figures"][0].table
        return table.rows[0][1].value, table.rows[3][1].value

    with no_cache(120):
        assert yellow_and_grey() == (1, 1)
        with django_assert_max_num_queries(6):  # session, user, roles: no figures
            assert client.get(OVERVIEW).status_code == 200
        # a row changed behind the desk's back shows only after the timeout ...
        type(world.tasks.t4).objects.filter(pk=world.tasks.t4.pk).update(state="rejected")
        assert yellow_and_grey() == (1, 1)
        type(world.tasks.t4).objects.filter(pk=world.tasks.t4.pk).update(state="submitted")
        # ... a transition through the closed loop (events_recorded) makes them
        # stale: the next look still shows them and schedules the refresh job
        # (Celery runs it at once in tests), the one after shows the new figures
        with django_capture_on_commit_callbacks(execute=True):
            loop.task_reject(task_id=world.tasks.t4.pk, actor=coordinator, reason="duplicate",
                             comment="重复反映")
        with django_capture_on_commit_callbacks(execute=True) as jobs:
            assert yellow_and_grey() == (1, 1)
        assert len(jobs) == 1
        assert yellow_and_grey() == (0, 2)


def test_one_refresh_at_a_time_and_the_page_says_when_its_figures_were_computed(
        client, leader, world, django_capture_on_commit_callbacks):
    from django.conf import settings

    import time_machine

    from dashboards import cache

    def as_of(page):
        return f"Figures as of {timezone.localtime(page.context['computed_at']):%H:%M:%S}."

    client.force_login(leader)
    with no_cache(120):
        first = client.get(OVERVIEW).context["computed_at"]
        cache.bump()
        # stale: served, one job scheduled (not run here), no second one meanwhile
        with django_capture_on_commit_callbacks(execute=False) as jobs:
            assert client.get(OVERVIEW).context["computed_at"] == first
            assert client.get(OVERVIEW).context["computed_at"] == first
        assert len(jobs) == 1
        # no worker ran it: past the fresh time the entry is still served, with
        # the time it was computed, and the job scheduled again
        with time_machine.travel(first + timedelta(seconds=121), tick=False), \
                django_capture_on_commit_callbacks(execute=False) as jobs:
            page = client.get(OVERVIEW, **EN)
        assert page.context["computed_at"] == first
        assert as_of(page) in page.content.decode()
        assert len(jobs) == 1
        # past DASHBOARD_STALE_SECONDS the request computes the figures itself
        kept = settings.DESK["DASHBOARD_STALE_SECONDS"]
        with time_machine.travel(first + timedelta(seconds=kept), tick=False):
            client.force_login(leader)  # the session idled out meanwhile
            with django_capture_on_commit_callbacks(execute=False) as jobs:
                page = client.get(OVERVIEW, **EN)
        assert page.context["computed_at"] == first + timedelta(seconds=kept)
        assert as_of(page) in page.content.decode()
        assert not jobs


def test_a_submitted_visit_drops_the_cached_coverage(client, leader, staff, world,
                                                     django_capture_on_commit_callbacks):
    client.force_login(leader)

    def unvisited():
        figures = {f.key: f for f in client.get(OVERVIEW).context["figures"]}
        return len(figures["key-firms"].table.rows)

    with no_cache(120):
        assert unvisited() == 2
        with django_capture_on_commit_callbacks(execute=True):
            visit(staff, world.firms.b, at(11, 24) - timedelta(hours=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert unvisited() == 2  # stale once, while the job recomputes
        assert unvisited() == 1


def test_the_nav_links_the_dashboard_for_those_who_may_open_it(client, leader, staff, world):
    client.force_login(leader)
    assert OVERVIEW.encode() in client.get(reverse("approvals:ledger")).content
    client.force_login(staff)
    assert OVERVIEW.encode() not in client.get(reverse("enterprises:enterprise-list")).content


def test_warming_computes_the_default_views_once_and_the_pages_then_query_no_figure(
        client, leader, head, world, django_assert_max_num_queries):
    """The warm-up job computes every preset for the district and each
    department; a leader's and a head's first look at any preset then reads the
    cache; a second run computes nothing until a change makes the entries
    stale."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from approvals.models import Department
    from dashboards import cache
    from dashboards.selectors import warm_overviews
    from dashboards.tasks import warm_overviews_task

    with no_cache(120):
        assert warm_overviews() == 4 * (1 + Department.objects.count())
        with django_assert_max_num_queries(2):  # the departments; nothing computed
            assert warm_overviews() == 0
        for user in (leader, head):
            client.force_login(user)
            for period in ("week", "month", "quarter", "year"):
                with CaptureQueriesContext(connection) as queries:
                    assert client.get(OVERVIEW, {"period": period}).status_code == 200
                # session, user, roles, the form's departments: no figure
                assert not [q for q in queries.captured_queries
                            if "approvals_task" in q["sql"]], (user, period)
        cache.bump()
        warm_overviews_task.run()
        assert warm_overviews() == 0
