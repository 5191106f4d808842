"""The supervision bulletin's figures on a hand-computed fixture.

October 2026 (previous period: 31 Aug – 30 Sep), today 10 Nov 2026.
Department 甲: three tasks assigned in October — one resolved on time rated 5,
one closed late rated 2, one in progress with a deadline of 20 Oct (overdue,
escalated on 25 Oct). Completion 2/3 = 66.7 %, on time 1/2 = 50.0 %,
satisfaction 1/2 = 50.0 %. In September it resolved its one task: 100 %, so
its completion changed by -33.3 points.
Department 乙: two tasks in October — one resolved on time (unrated), one
assigned with a deadline of 20 Nov (not overdue). Completion 1/2 = 50.0 %,
on time 100.0 %, satisfaction none; no September tasks: no change.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.urls import reverse

import pytest
import time_machine

from approvals.choices import EventAction, TaskState
from approvals.models import TaskEvent
from letters import selectors, services
from tests.factories import DepartmentFactory, TaskFactory

from .conftest import assert_renders_the_same_by_either_parser

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def at(y, m, d):
    return datetime(y, m, d, 10, 0, tzinfo=TZ)


@pytest.fixture
def october():
    with time_machine.travel(at(2026, 11, 10), tick=False):
        jia = DepartmentFactory(code="jia", name="甲局")
        yi = DepartmentFactory(code="yi", name="乙局")
        TaskFactory(department=jia, state=TaskState.RESOLVED, assigned_at=at(2026, 10, 5),
                    deadline_on=date(2026, 10, 12), resolved_at=at(2026, 10, 9),
                    resolved_on_time=True, rating=5, resolution_working_days=4)
        TaskFactory(department=jia, state=TaskState.CLOSED, assigned_at=at(2026, 10, 6),
                    deadline_on=date(2026, 10, 13), resolved_at=at(2026, 10, 20),
                    resolved_on_time=False, rating=2, resolution_working_days=9)
        late = TaskFactory(department=jia, state=TaskState.IN_PROGRESS,
                           assigned_at=at(2026, 10, 13), deadline_on=date(2026, 10, 20),
                           escalation_level=1, obstacle__title="厂房消防验收超期")
        TaskFactory(department=jia, state=TaskState.RESOLVED, assigned_at=at(2026, 9, 15),
                    deadline_on=date(2026, 9, 22), resolved_at=at(2026, 9, 18),
                    resolved_on_time=True, resolution_working_days=3)
        TaskFactory(department=yi, state=TaskState.RESOLVED, assigned_at=at(2026, 10, 8),
                    deadline_on=date(2026, 10, 15), resolved_at=at(2026, 10, 14),
                    resolved_on_time=True, resolution_working_days=4)
        TaskFactory(department=yi, state=TaskState.ASSIGNED, assigned_at=at(2026, 10, 30),
                    deadline_on=date(2026, 11, 20))
        event = TaskEvent.objects.create(task=late, department=jia, action=EventAction.ESCALATE,
                                         from_state=late.state, to_state=late.state,
                                         data={"level": 1})
        TaskEvent.objects.filter(pk=event.pk).update(created_at=at(2026, 10, 25))
        yield


def test_the_figures_match_the_hand_computed_ones(october):
    with time_machine.travel(at(2026, 11, 10), tick=False):
        data = selectors.bulletin_figures(date(2026, 10, 1), date(2026, 10, 31))
    assert data["previous"] == ["2026-08-31", "2026-09-30"]
    jia, yi = data["league"]
    assert (jia["department"], jia["received"], jia["resolved"]) == ("甲局", 3, 2)
    assert (jia["completion_rate"], jia["on_time_rate"], jia["satisfaction_rate"]) == (
        66.7, 50.0, 50.0)
    assert jia["completion_change"] == -33.3 and jia["on_time_change"] == -50.0
    assert (yi["department"], yi["received"], yi["resolved"]) == ("乙局", 2, 1)
    assert (yi["completion_rate"], yi["on_time_rate"], yi["satisfaction_rate"]) == (
        50.0, 100.0, None)
    assert yi["completion_change"] is None
    assert (data["total"]["received"], data["total"]["resolved"]) == (5, 3)
    assert data["total"]["completion_rate"] == 60.0
    assert [(o["department"], o["title"], o["days_late"]) for o in data["overdue"]] == [
        ("甲局", "厂房消防验收超期", 21)]
    assert data["overdue_by_department"] == [["甲局", 1]] or data["overdue_by_department"] == [
        ("甲局", 1)]
    assert [(e["department"], e["level"], e["on"]) for e in data["escalated"]] == [
        ("甲局", 1, "2026-10-25")]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_the_bulletin_is_archived_as_a_pdf_naming_departments(october, client, leader,
                                                               coordinator):
    with time_machine.travel(at(2026, 11, 10), tick=False):
        bulletin = services.bulletin_create(date(2026, 10, 1), date(2026, 10, 31))
    assert bulletin.reference == "营商督通〔2026〕1号" and bulletin.generated_by is None
    with bulletin.file.open("rb") as f:
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=f.read(),  # noqa: S607
                              capture_output=True, check=True).stdout.decode()
    for expected in ("督查通报", "甲局", "乙局", "66.7", "-33.3", "厂房消防验收超期", "督办"):
        assert expected in text, expected
    with pytest.raises(ValueError, match="immutable"):
        bulletin.save()
    client.force_login(leader)
    assert bulletin.reference in client.get(reverse("letters:bulletin-list")).content.decode()
    assert client.post(reverse("letters:bulletin-list"), {}).status_code == 403
    assert client.get(reverse("letters:bulletin-download", args=[bulletin.pk])).status_code == 200
    client.force_login(coordinator)
    response = client.post(reverse("letters:bulletin-list"),
                           {"start": "2026-10-31", "end": "2026-10-01"})
    assert response.status_code == 400


def test_the_monthly_job_can_call_the_service(october):
    from letters.tasks import create_bulletin_task

    with time_machine.travel(at(2026, 11, 10), tick=False):
        pk = create_bulletin_task.delay("2026-10-01", "2026-10-31").get()
    assert pk


def test_the_bulletin_is_xhtml_and_renders_the_same_as_through_the_html5_parser(
        october, monkeypatch):
    from letters import documents

    data = selectors.bulletin_figures(date(2026, 10, 1), date(2026, 10, 31))
    assert data["league"]
    html = documents.bulletin_html(data=data, reference="营商督通〔2026〕1号",
                                   issued_on=date(2026, 11, 1))
    assert_renders_the_same_by_either_parser(html, monkeypatch)
