"""The monthly bulletin job (letters' ``bulletin_create``) and the job runs
in the admin."""

from __future__ import annotations

from datetime import date

from django.apps import apps
from django.urls import reverse

import pytest

from notifications import jobs
from notifications.choices import Kind
from notifications.models import JobRun, Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(not apps.is_installed("letters"), reason="the letters app is not installed")
def test_the_monthly_bulletin_is_made_once_and_announced_once(coordinator, leader, staff,
                                                              run_on_commit):
    from letters.models import Bulletin

    first = run_on_commit(jobs.monthly_bulletin_job, today=date(2026, 11, 1))
    second = run_on_commit(jobs.monthly_bulletin_job, today=date(2026, 11, 1))

    (bulletin,) = Bulletin.objects.all()
    assert (bulletin.period_start_on, bulletin.period_end_on) == (date(2026, 10, 1),
                                                                  date(2026, 10, 31))
    assert (first, second) == (2, 0)
    assert Notification.objects.get(recipient=leader).kind == Kind.BULLETIN
    assert Notification.objects.filter(recipient=coordinator).count() == 1
    assert not Notification.objects.filter(recipient=staff).exists()


def test_job_runs_are_listed_in_the_admin_and_read_only(client, dept, head):
    jobs.deadline_reminder_job(today=date(2026, 11, 25))
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.get(reverse("admin:notifications_jobrun_changelist"))
    assert response.status_code == 200 and "deadline_reminder" in response.content.decode()
    run = JobRun.objects.get()
    assert client.get(reverse("admin:notifications_jobrun_change", args=[run.pk])).status_code == 200
    assert client.get(reverse("admin:notifications_jobrun_add")).status_code == 403
    assert client.get(reverse("admin:notifications_delivery_changelist")).status_code == 200
