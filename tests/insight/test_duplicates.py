"""Duplicates: open obstacles of the same enterprise and category are shown;
a coordinator merges, the duplicate keeps its history and points on."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.urls import reverse

import pytest

from approvals import services
from approvals.choices import EventAction, TaskState
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def test_merge_closes_the_duplicate_as_merged_and_points_to_the_survivor(
        take_in, coordinator, officer, dept):
    keep, dup = take_in(), take_in(title="规划条件没出")
    services.task_assign(task_id=dup.pk, actor=coordinator, department=dept)
    services.obstacle_merge(obstacle_id=dup.obstacle_id, into_id=keep.obstacle_id,
                            actor=coordinator, reason="同一地块")
    dup.refresh_from_db()
    dup.obstacle.refresh_from_db()
    assert dup.obstacle.merged_into_id == keep.obstacle_id
    assert dup.state == TaskState.REJECTED and dup.department_id is None
    event = dup.events.get(action=EventAction.MERGE)
    assert event.department_id == dept.pk and event.data["into"] == keep.obstacle_id
    # the history stays: submit, assign, merge
    assert list(dup.events.values_list("action", flat=True)) == ["submit", "assign", "merge"]
    with pytest.raises(services.InvalidTransition):
        services.obstacle_merge(obstacle_id=dup.obstacle_id, into_id=keep.obstacle_id,
                                actor=coordinator, reason="again")
    with pytest.raises(services.InvalidTransition):
        services.obstacle_merge(obstacle_id=keep.obstacle_id, into_id=dup.obstacle_id,
                                actor=coordinator, reason="into a merged one")


def test_merge_refuses_other_enterprises_itself_and_non_coordinators(
        take_in, coordinator, officer, enterprise_b):
    a, b = take_in(), take_in(enterprise_=enterprise_b)
    with pytest.raises(services.InvalidTransition):
        services.obstacle_merge(obstacle_id=a.obstacle_id, into_id=b.obstacle_id,
                                actor=coordinator, reason="x")
    with pytest.raises(services.InvalidTransition):
        services.obstacle_merge(obstacle_id=a.obstacle_id, into_id=a.obstacle_id,
                                actor=coordinator, reason="x")
    c = take_in()
    with pytest.raises(PermissionDenied):
        services.obstacle_merge(obstacle_id=c.obstacle_id, into_id=a.obstacle_id,
                                actor=officer, reason="x")
    with pytest.raises(services.InvalidTransition):
        services.obstacle_merge(obstacle_id=c.obstacle_id, into_id=a.obstacle_id,
                                actor=coordinator, reason=" ")


def test_pages_show_open_obstacles_of_the_same_enterprise_and_category(
        client, take_in, staff, coordinator, enterprise):
    other_category = CategoryFactory(code="yd", name="用电报装")
    first = take_in()
    other = take_in(title="电力增容慢", category_=other_category)
    second = take_in(title="规划条件仍未出具")
    client.force_login(staff)
    form = client.get(reverse("approvals:obstacle-create", args=[enterprise.pk]))
    html = form.content.decode()
    assert f"#{first.obstacle_id} " in html and f"#{other.obstacle_id} " in html
    page = client.get(second.get_absolute_url()).content.decode()
    assert f"#{first.obstacle_id} " in page and f"#{other.obstacle_id} " not in page
    merge = reverse("insight:obstacle-merge", args=[second.obstacle_id])
    assert merge not in page  # staff see duplicates, only a coordinator merges
    assert client.get(merge).status_code == 403
    client.force_login(coordinator)
    assert merge in client.get(second.get_absolute_url()).content.decode()
    assert client.post(merge, {"into": first.obstacle_id, "reason": ""}).status_code == 400
    response = client.post(merge, {"into": first.obstacle_id, "reason": "重复反映"})
    assert response.status_code == 302
    second.obstacle.refresh_from_db()
    assert second.obstacle.merged_into_id == first.obstacle_id
