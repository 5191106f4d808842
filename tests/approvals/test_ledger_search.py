"""The ledger's text search: what it finds, and (PostgreSQL) that the planner
knows how common a search term is, so a common term is served by walking the
newest tasks rather than by joining and sorting every match."""

import json

from django.db import connection

import pytest

from approvals.models import Obstacle
from approvals.selectors import LedgerFilters, ledger_page_rows, ledger_queryset
from tests.factories import EnterpriseFactory, TaskFactory

pytestmark = pytest.mark.django_db


def _search(user, q):
    from django.utils import timezone

    filters = LedgerFilters(q=q)
    return list(ledger_page_rows(ledger_queryset(user, filters), filters, timezone.localdate()))


def test_search_finds_titles_and_enterprise_names(coordinator):
    power = TaskFactory(obstacle__title="申请用电增容")
    by_firm = TaskFactory(obstacle__enterprise=EnterpriseFactory(name="杭州用电设备有限公司"))
    TaskFactory(obstacle__title="消防验收")
    assert {t.pk for t in _search(coordinator, "用电")} == {power.pk, by_firm.pk}
    assert [t.pk for t in _search(coordinator, f"#{power.obstacle_id}")] == [power.pk]
    assert _search(coordinator, "喆镕") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL statistics")
def test_the_planner_has_statistics_on_the_searched_title():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'obstacle_title_trgm'")
        (definition,) = cursor.fetchone()
    assert "gin_trgm_ops" in definition and "upper" in definition.lower()

    first = TaskFactory(obstacle__title="申请用电增容 0")
    template = Obstacle.objects.get(pk=first.obstacle_id)
    rows = []
    for n in range(1, 400):  # three in four mention 用电, every title differs
        rows.append(Obstacle(enterprise_id=template.enterprise_id, category_id=template.category_id,
                             title=f"申请用电增容 {n}" if n % 4 else f"消防验收 {n}",
                             description="", channel=template.channel))
    Obstacle.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE approvals_obstacle")  # sees this transaction's rows
        sql, params = Obstacle.objects.filter(title__icontains="用电").query.sql_with_params()
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    estimate = plan[0]["Plan"]["Plan Rows"]
    # without statistics on UPPER(title) PostgreSQL guesses a fixed 0.5 % or so
    # (2 rows of 400); with them it reads the sampled titles: about 300
    assert estimate > 150, plan
