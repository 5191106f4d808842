"""The supervision bulletin's named tasks: still late five working days after
the deadline (the bulletin day), named in the bulletin of the period holding
that day. A hand-built November 2026 (no holidays; weekends off):

    task  deadline      bulletin day   what happened            November bulletin
    A     Fri  6 Nov    Fri 13 Nov     still open               named
    B     Fri  6 Nov    Fri 13 Nov     resolved on 13 Nov       not named (in time)
    C     Fri  6 Nov    Fri 13 Nov     resolved on 16 Nov       named, "resolved"
    D     Mon 23 Nov    Mon 30 Nov     still open               named
    E     Tue 24 Nov    Tue  1 Dec     still open               December's
    F     Fri 30 Oct    Fri  6 Nov     still open               named
    G     Fri 23 Oct    Fri 30 Oct     still open               October's
    H     Fri  6 Nov    Fri 13 Nov     no department            never
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.core.files.storage import FileSystemStorage
from django.utils import translation

import pytest
import time_machine

from approvals.choices import TaskState
from approvals.models import Task
from insight import selectors, services
from insight.models import ChaseNotice
from letters import models as letter_models
from letters import services as letter_services
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOV = (date(2026, 11, 1), date(2026, 11, 30))


@pytest.fixture
def ladder(dept, officer):
    def task(name, deadline, *, resolved_on=None, department=dept):
        t = TaskFactory(in_progress=True, department=dept, owner=officer,
                        obstacle__title=f"堵点{name}")
        changes = {"deadline_on": deadline, "department": department}
        if resolved_on:
            changes |= {"state": TaskState.RESOLVED,
                        "resolved_at": datetime.combine(resolved_on, datetime.min.time(),
                                                        tzinfo=SH).replace(hour=15)}
        Task.objects.filter(pk=t.pk).update(**changes)
        return t

    return {
        "A": task("A", date(2026, 11, 6)),
        "B": task("B", date(2026, 11, 6), resolved_on=date(2026, 11, 13)),
        "C": task("C", date(2026, 11, 6), resolved_on=date(2026, 11, 16)),
        "D": task("D", date(2026, 11, 23)),
        "E": task("E", date(2026, 11, 24)),
        "F": task("F", date(2026, 10, 30)),
        "G": task("G", date(2026, 10, 23)),
        "H": task("H", date(2026, 11, 6), department=None),
    }


def named(start, end, today):
    return {r["title"][-1]: r for r in selectors.bulletin_late_tasks(start, end, today=today)}


def test_the_november_bulletin_names_what_was_late_after_its_fifth_working_day(ladder):
    rows = named(*NOV, today=date(2026, 12, 1))
    assert sorted(rows) == ["A", "C", "D", "F"]
    assert rows["A"]["bulletin_day"] == "2026-11-13" and rows["A"]["resolved"] is None
    assert rows["C"]["resolved"] == "2026-11-16"
    assert rows["C"]["working_days_late"] == 6  # 9..13 and 16 November
    assert rows["D"]["bulletin_day"] == "2026-11-30"
    assert rows["A"]["working_days_late"] == 17  # 9 Nov to 1 Dec


def test_each_task_is_named_once_in_the_bulletin_of_its_fifth_working_day(ladder):
    assert sorted(named(date(2026, 10, 1), date(2026, 10, 31), today=date(2026, 12, 1))) == ["G"]
    assert sorted(named(date(2026, 12, 1), date(2026, 12, 31), today=date(2027, 1, 1))) == ["E"]


def test_a_bulletin_day_that_is_not_over_is_not_counted(ladder):
    assert "D" not in named(*NOV, today=date(2026, 11, 30))
    assert named(*NOV, today=date(2026, 11, 1)) == {}


def test_the_chase_notice_is_quoted(ladder):
    a = ladder["A"]
    a.refresh_from_db()
    ChaseNotice.objects.create(
        reference="营商督催〔2026〕7号", year=2026, number=7, task=a, department=a.department,
        deadline_on=a.deadline_on, issued_on=date(2026, 11, 9), bulletin_on=date(2026, 11, 13),
        data={}, sha256="0" * 64, size=1, file="chase/x.pdf")
    rows = named(*NOV, today=date(2026, 12, 1))
    assert rows["A"]["notice"] == "营商督催〔2026〕7号" and rows["C"]["notice"] == ""


def test_the_rule_matches_the_notice_bulletin_day(ladder):
    for t in ladder.values():
        t.refresh_from_db()
        assert services.bulletin_day(t.deadline_on) == services.add_working_days(
            t.deadline_on, 5)


def test_the_bulletin_has_the_section(ladder, tmp_path, monkeypatch, coordinator):
    # letters.services stores bulletins through the Letter field's storage
    for model in (letter_models.Letter, letter_models.Bulletin):
        monkeypatch.setattr(model._meta.get_field("file"), "storage",
                            FileSystemStorage(location=tmp_path))
    with time_machine.travel(datetime(2026, 12, 1, 7, tzinfo=SH), tick=False), \
            translation.override("zh-hans"):
        bulletin = letter_services.bulletin_create(*NOV, actor=coordinator)
    assert sorted(r["title"] for r in bulletin.data["late_named"]) == [
        "堵点A", "堵点C", "堵点D", "堵点F"]
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", bulletin.file.path, "-"], check=True,  # noqa: S603,S607
                              capture_output=True, text=True).stdout
        section = text[text.index("5. Named") if "5. Named" in text else text.index("五、"):]
        assert "堵点C" in section and "堵点E" not in section
