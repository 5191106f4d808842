"""Objects the project URL matrix (tests/test_url_matrix.py) needs for the
insight pages, made on demand from its ``world``: a rating appeal on the
world's task, a close-out sample with that task, a common issue."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from approvals.models import Callback, RatingAppeal
from insight.models import CloseOutSample, CommonIssue, SampleItem


def appeal(w) -> int:
    callback = Callback.objects.create(task=w.task, made_by=w.users["staff"], rating=3)
    return RatingAppeal.objects.create(task=w.task, callback=callback, rating=3,
                                       requested_by=w.users["officer"], reason="误评").pk


def sample(w) -> int:
    s, _ = CloseOutSample.objects.get_or_create(
        week_start_on=timezone.localdate() - timedelta(days=timezone.localdate().weekday()),
        defaults={"rate": Decimal("0.1"), "seed": 1, "population": 1})
    return s.pk


def sample_item(w) -> int:
    item, _ = SampleItem.objects.get_or_create(sample_id=sample(w), task=w.task,
                                               defaults={"department": w.task.department})
    return item.pk


def issue(w) -> int:
    i = CommonIssue.objects.create(title="规划条件出具慢", category=w.task.obstacle.category,
                                   owner=w.users["coordinator"],
                                   created_by=w.users["coordinator"],
                                   deadline_on=timezone.localdate() + timedelta(days=30))
    i.obstacles.add(w.task.obstacle)
    return i.pk


def chase_notice(w) -> int:
    """A chase notice (催办通知书) on the world's task, to its department; the
    file goes to the ChaseNotice field storage the matrix points at tmp."""
    from django.core.files.base import ContentFile

    from insight.models import ChaseNotice

    if not hasattr(w, "chase_notice"):
        pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
        name = ChaseNotice._meta.get_field("file").storage.save("chase/m.pdf",
                                                                ContentFile(pdf))
        w.chase_notice = ChaseNotice.objects.create(
            reference="营商督催〔2026〕9001号", year=2026, number=9001, task=w.task,
            department=w.task.department, deadline_on=w.task.deadline_on,
            issued_on=timezone.localdate(), bulletin_on=w.task.deadline_on, data={},
            sha256="0" * 64, size=len(pdf), file=name)
    return w.chase_notice.pk
