"""Common issues (共性问题): TF-IDF suggestions within a category, confirmed by a
coordinator into an issue with owner, deadline and obstacles."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

import pytest

from insight import clustering, services
from insight.models import CommonIssue
from tests.factories import CategoryFactory, EnterpriseFactory, ObstacleFactory

pytestmark = pytest.mark.django_db

POWER = ["新厂房用电报装进度慢，增容申请一个月未勘查", "厂房用电增容报装迟迟没有现场勘查",
         "用电报装增容进度慢，供电公司未勘查"]
OTHER = ["子女入学积分政策不清楚", "员工子女入学名额不足"]


def test_tokens_drop_stop_words_numbers_and_punctuation():
    words = clustering.tokens("企业反映：新厂房2000千伏安用电报装的进度慢。")
    assert "用电" in words and "报装" in words
    assert not {"企业", "反映", "的", "2000", "。"} & set(words)


def test_similar_texts_group_within_a_category_only():
    rows = [(i, 1, i, t) for i, t in enumerate(POWER)]
    rows += [(10 + i, 1, 10 + i, t) for i, t in enumerate(OTHER)]
    rows += [(20, 2, 20, POWER[0]), (21, 2, 20, POWER[1])]  # one firm in category 2
    found = clustering.suggest(rows, threshold=0.2)
    # two groups in category 1 (power, school places); the largest first
    assert [(s.category_id, s.obstacle_ids) for s in found] == [(1, [0, 1, 2]),
                                                                 (1, [10, 11])]
    assert "报装" in found[0].terms or "增容" in found[0].terms
    assert clustering.suggest(rows, threshold=0.99) == []
    # the same firm twice in category 2 counts once: with a lower bar it is a group
    assert [s.obstacle_ids for s in clustering.suggest(rows, threshold=0.2,
                                                       min_enterprises=1)
            if s.category_id == 2] == [[20, 21]]


def test_identical_texts_are_scored_once_and_grouped():
    rows = [(i, 1, i, "燃气报装费用与公示不一致") for i in range(50)]
    [s] = clustering.suggest(rows, threshold=0.5)
    assert len(s.obstacle_ids) == 50 and s.similarity == 1.0


@pytest.fixture
def power_obstacles(category):
    now = timezone.now()
    return [ObstacleFactory(category=category, title=t[:10], description=t,
                            enterprise=EnterpriseFactory(), received_at=now) for t in POWER]


def test_coordinator_confirms_a_suggestion(client, power_obstacles, category, coordinator,
                                           head, leader, settings):
    settings.DESK = {**settings.DESK, "COMMON_ISSUE_SIMILARITY": 0.2}
    client.force_login(leader)
    month = timezone.localdate().strftime("%Y-%m")
    page = client.get(reverse("insight:issue-list"), {"month": month})
    assert page.status_code == 200
    ids = ",".join(str(o.pk) for o in power_obstacles)
    assert str(power_obstacles[0].pk) in page.content.decode()
    assert reverse("insight:issue-create") not in page.content.decode()
    assert client.get(reverse("insight:issue-list"), {"month": "x"}).status_code == 400
    client.force_login(coordinator)
    deadline = (timezone.localdate() + timedelta(days=20)).isoformat()
    bad = client.post(reverse("insight:issue-create"), {
        "title": "用电报装慢", "category": category.pk, "obstacles": "abc",
        "owner": head.pk, "deadline_on": deadline})
    assert bad.status_code == 400
    ok = client.post(reverse("insight:issue-create"), {
        "title": "用电报装慢", "category": category.pk, "obstacles": ids,
        "owner": head.pk, "deadline_on": deadline})
    assert ok.status_code == 302
    issue = CommonIssue.objects.get()
    assert set(issue.obstacles.values_list("pk", flat=True)) == {o.pk for o in power_obstacles}
    # linked obstacles are no longer suggested
    page = client.get(reverse("insight:issue-list"), {"month": month}).content.decode()
    assert f"#{power_obstacles[0].pk}<" not in page
    assert client.get(issue.get_absolute_url()).status_code == 200


def test_an_issue_needs_two_obstacles_of_its_category_and_a_coordinator(
        power_obstacles, category, coordinator, head):
    other = CategoryFactory(code="other", name="其他")
    deadline = timezone.localdate() + timedelta(days=10)
    with pytest.raises(services.InvalidTransition):
        services.common_issue_create(actor=coordinator, title="x", category=other, owner=head,
                                     deadline_on=deadline,
                                     obstacle_ids=[o.pk for o in power_obstacles])
    with pytest.raises(services.permissions.PermissionDenied):
        services.common_issue_create(actor=head, title="x", category=category, owner=head,
                                     deadline_on=deadline,
                                     obstacle_ids=[o.pk for o in power_obstacles])
