"""The monthly analysis report: figures on a hand-built month, the KPI
definitions printed, the PDF, and who may read it."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.urls import reverse

import pytest

from approvals.choices import Channel
from insight.selectors import monthly_report
from tests.factories import EnterpriseFactory, ObstacleFactory, StreetFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def october(category):
    street = StreetFactory(name="文新街道")
    firms = [EnterpriseFactory(street=street) for _ in range(3)]
    when = datetime(2026, 10, 15, 10, tzinfo=SH)
    for i, channel in enumerate([Channel.VISIT, Channel.VISIT, Channel.HOTLINE]):
        ObstacleFactory(category=category, enterprise=firms[i], channel=channel,
                        received_at=when)
    ObstacleFactory(category=category, received_at=datetime(2026, 11, 2, tzinfo=SH))
    return street


def test_report_counts_the_month_by_channel_category_and_street(october, category,
                                                                  django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        r = monthly_report(date(2026, 10, 1), today=date(2026, 11, 25))
    assert r["received_total"] == 3
    assert [(x["channel"], x["n"]) for x in r["by_channel"]] == [
        (Channel.VISIT.label, 2), (Channel.HOTLINE.label, 1)]
    assert r["by_category"] == [{"category__name": category.name, "n": 3}]
    assert r["hot_spots"] == [{"enterprise__street__name": "文新街道",
                               "category__name": category.name, "n": 3, "firms": 3}]


def test_report_pages(client, october, coordinator, head):
    client.force_login(head)
    assert client.get(reverse("insight:report")).status_code == 403
    client.force_login(coordinator)
    page = client.get(reverse("insight:report"), {"month": "2026-10"}, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200 and "文新街道" in html
    assert "Completion rate (办结率)" in html and "Working days red" in html
    assert client.get(reverse("insight:report"), {"month": "13/2026"}).status_code == 400
    pdf = client.get(reverse("insight:report-pdf"), {"month": "2026-10"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.getvalue().startswith(b"%PDF")
