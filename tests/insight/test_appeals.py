"""Rating appeals (申诉复核): the department appeals with evidence, the
coordinator decides, an upheld rating leaves the satisfaction rate."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

import pytest

from approvals import services
from approvals.choices import AppealStatus, EventAction, Rating
from approvals.models import RatingAppeal
from approvals.selectors import kpis

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def period():
    today = timezone.localdate()
    return today - timedelta(days=1), today + timedelta(days=1)


def evidence():
    return SimpleUploadedFile("通话记录.pdf", PDF, content_type="application/pdf")


def test_upheld_appeal_takes_the_rating_out_of_the_satisfaction_rate_but_keeps_it(
        rated, officer, coordinator, private_storage):
    task = rated(Rating.BASICALLY_SATISFIED)
    rated(Rating.VERY_SATISFIED)
    total, _rows = kpis(*period())
    assert (total.rated, total.satisfied) == (2, 1)
    appeal = services.appeal_submit(task_id=task.pk, actor=officer, reason="企业误评",
                                    files=[evidence()])
    event = task.events.get(action=EventAction.APPEAL)
    assert not event.is_visible_to_firm and event.attachments.count() == 1
    services.appeal_decide(appeal_id=appeal.pk, actor=coordinator, uphold=True,
                           comment="录音证实误评")
    task.refresh_from_db()
    assert task.is_rating_excluded and task.rating == Rating.BASICALLY_SATISFIED
    assert task.events.filter(action=EventAction.APPEAL_DECISION).count() == 1
    total, _rows = kpis(*period())
    assert (total.rated, total.satisfied, total.satisfaction_rate) == (1, 1, 100.0)


def test_dismissed_appeal_changes_nothing(rated, officer, coordinator):
    task = rated(Rating.BASICALLY_SATISFIED)
    appeal = services.appeal_submit(task_id=task.pk, actor=officer, reason="企业误评")
    services.appeal_decide(appeal_id=appeal.pk, actor=coordinator, uphold=False,
                           comment="理由不足")
    task.refresh_from_db()
    assert not task.is_rating_excluded
    assert RatingAppeal.objects.get().status == AppealStatus.DISMISSED
    with pytest.raises(services.InvalidTransition):
        services.appeal_decide(appeal_id=appeal.pk, actor=coordinator, uphold=True,
                               comment="再议")


def test_a_satisfied_rating_or_someone_else_cannot_appeal(rated, officer, other_officer,
                                                          coordinator):
    with pytest.raises(services.InvalidTransition):
        services.appeal_submit(task_id=rated(Rating.SATISFIED).pk, actor=officer, reason="x")
    task = rated(Rating.BASICALLY_SATISFIED)
    for actor in (other_officer, coordinator):
        with pytest.raises((PermissionDenied, services.InvalidTransition)):
            services.appeal_submit(task_id=task.pk, actor=actor, reason="x")
    services.appeal_submit(task_id=task.pk, actor=officer, reason="误评")
    with pytest.raises(services.InvalidTransition):
        services.appeal_submit(task_id=task.pk, actor=officer, reason="再次")


def test_only_a_coordinator_decides(rated, officer, head):
    appeal = services.appeal_submit(task_id=rated(Rating.BASICALLY_SATISFIED).pk,
                                    actor=officer, reason="误评")
    with pytest.raises(PermissionDenied):
        services.appeal_decide(appeal_id=appeal.pk, actor=head, uphold=True, comment="x")


def test_a_bad_rating_reopened_the_task_and_a_new_callback_counts_again(
        rated, officer, coordinator, staff):
    task = rated(Rating.DISSATISFIED)  # reopened for rectification
    appeal = services.appeal_submit(task_id=task.pk, actor=officer, reason="恶意差评")
    services.appeal_decide(appeal_id=appeal.pk, actor=coordinator, uphold=True, comment="成立")
    services.task_resolve(task_id=task.pk, actor=officer, resolution="再次办结")
    services.task_callback(task_id=task.pk, actor=staff, is_reached=True,
                           rating=Rating.BASICALLY_SATISFIED)
    task.refresh_from_db()
    assert not task.is_rating_excluded
    total, _rows = kpis(*period())
    assert (total.rated, total.satisfied) == (1, 0)


def test_appeal_pages(client, rated, officer, other_officer, coordinator, leader,
                      private_storage):
    task = rated(Rating.BASICALLY_SATISFIED)
    url = reverse("insight:appeal-create", args=[task.pk])
    client.force_login(other_officer)
    assert client.get(url).status_code == 404
    client.force_login(coordinator)
    assert client.get(url).status_code == 403
    client.force_login(officer)
    assert client.get(task.get_absolute_url()).content.decode().count(url) == 1
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    response = client.post(url, {"reason": "企业误评", "files": [evidence()]})
    assert response.status_code == 302
    appeal = RatingAppeal.objects.get()
    decide = reverse("insight:appeal-decide", args=[appeal.pk])
    assert client.post(decide, {"decision": "uphold", "comment": "x"}).status_code == 403
    client.force_login(leader)
    page = client.get(reverse("insight:appeal-list"))
    assert page.status_code == 200 and "企业误评" in page.content.decode()
    assert decide not in page.content.decode()
    client.force_login(coordinator)
    assert client.post(decide, {"decision": "uphold", "comment": ""}).status_code == 400
    assert client.post(decide, {"decision": "uphold", "comment": "成立"}).status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.UPHELD
