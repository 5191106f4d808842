"""Scheduled publishing and expiry, run by the Celery task."""

from datetime import timedelta

from django.utils import timezone

import pytest
import time_machine

from cms.models import PolicyGuidePage
from cms.tasks import publish_scheduled_pages_task

pytestmark = pytest.mark.django_db


def test_a_scheduled_guide_goes_live_then_expires(policy_index):
    now = timezone.now()
    guide = PolicyGuidePage(title="专精特新认定指南", slug="zjtx", department="区经济和信息化局",
                            go_live_at=now + timedelta(hours=1),
                            expire_at=now + timedelta(days=2), live=False)
    policy_index.add_child(instance=guide)
    guide.save_revision().publish()
    guide.refresh_from_db()
    assert not guide.live

    with time_machine.travel(now + timedelta(hours=2)):
        publish_scheduled_pages_task()
    guide.refresh_from_db()
    assert guide.live

    with time_machine.travel(now + timedelta(days=3)):
        publish_scheduled_pages_task()
    guide.refresh_from_db()
    assert not guide.live and guide.expired
