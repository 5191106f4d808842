"""The silent-task ladder: set-wise, idempotent, owner first, head at the end.

Last event Monday 2 Nov 2026 (no holidays in November): 5 working days silent
on Monday 9 Nov, 10 on Monday 16 Nov, 20 on Monday 30 Nov.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.urls import reverse

import pytest
import time_machine

from approvals import services as task_services
from insight import services
from insight.models import SilentNudge

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def silent_task(take_in, coordinator, officer, head, dept):
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=SH), tick=False):
        task = take_in()
        task_services.task_assign(task_id=task.pk, actor=coordinator, department=dept)
        task_services.task_accept(task_id=task.pk, actor=officer)
    return task


def test_bound_counts_working_days():
    bound = services.silent_since_bound(date(2026, 11, 9), 5)
    assert bound == datetime(2026, 11, 3, tzinfo=SH)


def test_ladder_writes_each_rung_once_to_the_owner_then_also_the_head(silent_task, officer,
                                                                     head):
    assert services.silent_scan(today=date(2026, 11, 6)) == {5: 0, 10: 0, 20: 0}
    assert services.silent_scan(today=date(2026, 11, 9)) == {5: 1, 10: 0, 20: 0}
    assert services.silent_scan(today=date(2026, 11, 9)) == {5: 0, 10: 0, 20: 0}
    nudge = SilentNudge.objects.get()
    assert (nudge.rung, nudge.recipient, nudge.is_to_head) == (5, officer, False)
    services.silent_scan(today=date(2026, 11, 16))
    assert services.silent_scan(today=date(2026, 11, 30)) == {5: 0, 10: 0, 20: 1}
    top = SilentNudge.objects.get(rung=20)
    assert (top.recipient, top.is_to_head) == (officer, True)  # the owner, and the head too


def test_a_late_first_scan_sends_only_the_highest_rung(silent_task, officer):
    assert services.silent_scan(today=date(2026, 11, 30)) == {5: 1, 10: 1, 20: 1}
    sent = SilentNudge.objects.filter(delivered_at__isnull=True)
    assert [(n.rung, n.recipient, n.is_to_head) for n in sent] == [(20, officer, True)]


def test_an_event_ends_the_silence_and_a_new_one_starts_a_new_ladder(silent_task, officer):
    services.silent_scan(today=date(2026, 11, 9))
    with time_machine.travel(datetime(2026, 11, 10, 9, tzinfo=SH), tick=False):
        task_services.task_add_note(task_id=silent_task.pk, actor=officer, comment="已对接")
    assert services.silent_scan(today=date(2026, 11, 16)) == {5: 0, 10: 0, 20: 0}
    assert services.silent_scan(today=date(2026, 11, 17)) == {5: 1, 10: 0, 20: 0}
    assert SilentNudge.objects.filter(rung=5).count() == 2


def test_silent_list_is_scoped(client, silent_task, officer, other_officer, staff):
    with time_machine.travel(datetime(2026, 11, 12, 10, tzinfo=SH), tick=False):
        client.force_login(officer)
        page = client.get(reverse("insight:silent-list"))
        assert page.status_code == 200 and f"#{silent_task.obstacle_id} " in page.content.decode()
        client.force_login(other_officer)
        assert f"#{silent_task.obstacle_id} " not in client.get(
            reverse("insight:silent-list")).content.decode()
        client.force_login(staff)
        assert client.get(reverse("insight:silent-list")).status_code == 403
