"""Close-out sampling (销号抽查): seeded, once a week, called back by someone
not involved; "not actually solved" reopens and counts against the department."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

import pytest

from approvals.choices import EventAction, TaskState
from insight import services
from insight.models import CloseOutSample, SampleResult
from insight.selectors import sample_results_by_department
from tests.factories import TaskFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_draw_is_reproducible_with_the_seed():
    ids = list(range(1, 101))
    a = services.draw(ids, Decimal("0.1"), 42)
    assert len(a) == 10 and a == services.draw(list(reversed(ids)), Decimal("0.1"), 42)
    assert a != services.draw(ids, Decimal("0.1"), 43)
    assert services.draw([5], Decimal("0.1"), 1) == [5]  # at least one when any closed
    assert services.draw([], Decimal("0.1"), 1) == []


def closed_task(department, when):
    return TaskFactory(resolved=True, department=department, state=TaskState.CLOSED,
                       closed_at=when)


def test_sample_draws_tasks_closed_that_week_once(dept, coordinator):
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday() + 7)
    inside = [closed_task(dept, timezone.make_aware(
        timezone.datetime.combine(monday, timezone.datetime.min.time())) + timedelta(hours=h))
        for h in range(10, 30)]
    closed_task(dept, timezone.now() + timedelta(days=1))  # another week
    sample = services.sample_draw(monday=monday + timedelta(days=2), actor=coordinator,
                                  rate=Decimal("0.25"), seed=7)
    assert (sample.week_start_on, sample.population) == (monday, 20)
    picked = list(sample.items.order_by("task_id").values_list("task_id", flat=True))
    assert len(picked) == 5 and set(picked) <= {t.pk for t in inside}
    assert picked == services.draw([t.pk for t in inside], Decimal("0.25"), 7)
    again = services.sample_draw(monday=monday, actor=coordinator, rate=Decimal("0.5"))
    assert again.pk == sample.pk and CloseOutSample.objects.count() == 1


@pytest.fixture
def sampled(dept, officer, coordinator):
    task = closed_task(dept, timezone.now())
    task.owner = officer
    task.save()
    sample = services.sample_draw(monday=timezone.localdate(), actor=coordinator,
                                  rate=Decimal("1"), seed=1)
    return sample.items.get()


def test_not_actually_solved_reopens_and_counts_against_the_department(sampled, staff, dept):
    with pytest.raises(services.InvalidTransition):
        services.sample_record(item_id=sampled.pk, actor=staff,
                               result=SampleResult.NOT_SOLVED, comment="")
    services.sample_record(item_id=sampled.pk, actor=staff, result=SampleResult.NOT_SOLVED,
                           comment="仍未通电")
    task = sampled.task
    task.refresh_from_db()
    assert task.state == TaskState.IN_PROGRESS
    assert task.events.get(action=EventAction.SAMPLE_REOPEN).actor == staff
    today = timezone.localdate()
    rows = sample_results_by_department(today - timedelta(days=7), today)
    assert rows == [{"department__name": dept.name, "sampled": 1, "called": 1,
                     "not_solved": 1}]
    with pytest.raises(services.InvalidTransition):
        services.sample_record(item_id=sampled.pk, actor=staff, result=SampleResult.SOLVED)


def test_the_department_the_owner_and_anyone_involved_cannot_call(sampled, officer, head,
                                                                  staff):
    from django.core.exceptions import PermissionDenied

    for actor in (officer, head):
        with pytest.raises(PermissionDenied):
            services.sample_record(item_id=sampled.pk, actor=actor,
                                   result=SampleResult.SOLVED)
    from approvals.models import Callback

    Callback.objects.create(task=sampled.task, made_by=staff, rating=5)
    with pytest.raises(services.InvalidTransition):
        services.sample_record(item_id=sampled.pk, actor=staff, result=SampleResult.SOLVED)
    other = UserFactory(username="staff_other", role="service_staff")
    services.sample_record(item_id=sampled.pk, actor=other, result=SampleResult.SOLVED)
    sampled.task.refresh_from_db()
    assert sampled.task.state == TaskState.CLOSED


def test_sample_pages(client, sampled, staff, coordinator, officer, leader):
    detail = reverse("insight:sample-detail", args=[sampled.sample_id])
    record = reverse("insight:sample-record", args=[sampled.pk])
    client.force_login(officer)
    assert client.get(detail).status_code == 403
    assert client.post(record, {"result": "solved"}).status_code == 403
    client.force_login(leader)
    assert client.get(detail).status_code == 200
    client.force_login(staff)
    assert client.post(record, {"result": "bogus"}).status_code == 400
    assert client.post(record, {"result": "solved"}).status_code == 302
    client.force_login(coordinator)
    listing = client.post(reverse("insight:sample-list"), {"week": "2999-01-01"})
    assert listing.status_code == 400
