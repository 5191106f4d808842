"""Chase notices (催办通知书): the working day after a deadline, one archived
PDF per task and deadline, to the department, copied to its head.

November 2026 has no holidays: deadline Friday 6 Nov, chase day Monday 9 Nov,
bulletin day (the fifth working day after) Friday 13 Nov.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from datetime import date, timedelta

from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.urls import reverse
from django.utils import timezone, translation

import pytest

from approvals.choices import TaskState
from approvals.models import Task
from insight import services
from insight.models import ChaseNotice
from notifications import jobs
from notifications.choices import Kind
from notifications.models import Delivery, JobRun, Notification
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

DEADLINE = date(2026, 11, 6)  # Friday
CHASE_DAY = date(2026, 11, 9)  # Monday
BULLETIN_DAY = date(2026, 11, 13)  # Friday
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def chase_store(tmp_path, monkeypatch):
    storage = FileSystemStorage(location=tmp_path / "private")
    monkeypatch.setattr(ChaseNotice._meta.get_field("file"), "storage", storage)
    return tmp_path / "private"


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def late(dept, owner=None, deadline=DEADLINE, state=TaskState.IN_PROGRESS, **kw):
    task = TaskFactory(in_progress=True, department=dept, owner=owner,
                       obstacle__title="厂房消防验收排期过长", **kw)
    Task.objects.filter(pk=task.pk).update(deadline_on=deadline, state=state)
    task.refresh_from_db()
    return task


def fake_notice(task, number, issued_on=CHASE_DAY) -> ChaseNotice:
    """A notice row without rendering (for list and query-count tests)."""
    storage = ChaseNotice._meta.get_field("file").storage
    name = storage.save(f"chase/t-{number}.pdf", ContentFile(PDF))
    return ChaseNotice.objects.create(
        reference=services.chase_reference(2026, number), year=2026, number=number, task=task,
        department=task.department, deadline_on=task.deadline_on, issued_on=issued_on,
        bulletin_on=services.bulletin_day(task.deadline_on),
        data={"obstacle": task.obstacle_id, "title": task.obstacle.title,
              "enterprise": task.obstacle.enterprise.name, "department": task.department.name},
        sha256="0" * 64, size=len(PDF), file=name)


# ------------------------------------------------------------------ the days


def test_the_chase_day_is_the_working_day_after_and_the_bulletin_day_the_fifth():
    assert services.chase_day(DEADLINE) == CHASE_DAY
    assert services.bulletin_day(DEADLINE) == BULLETIN_DAY
    assert services.bulletin_day(date(2026, 11, 9)) == date(2026, 11, 16)


def test_a_task_is_due_from_the_chase_day_until_its_bulletin_day(dept, officer):
    task = late(dept, owner=officer)
    due = lambda d: list(services.chase_due(d).values_list("pk", flat=True))  # noqa: E731
    assert due(DEADLINE) == []
    assert due(date(2026, 11, 7)) == []  # Saturday: not yet the working day after
    assert due(CHASE_DAY) == [task.pk]
    assert due(BULLETIN_DAY) == [task.pk]  # a missed day is caught up ...
    assert due(date(2026, 11, 16)) == []  # ... until the bulletin names it instead


def test_only_open_tasks_of_a_department_are_chased(dept, officer):
    late(dept, state=TaskState.RESOLVED)
    late(dept, deadline=CHASE_DAY)  # due today: not late yet
    unassigned = late(dept)
    Task.objects.filter(pk=unassigned.pk).update(department=None)
    assert not services.chase_due(CHASE_DAY).exists()


# ------------------------------------------------------------------ the job


def test_the_job_archives_one_numbered_pdf_per_task_and_deadline(
        dept, officer, head, run_on_commit, chase_store):
    task = late(dept, owner=officer)

    first = run_on_commit(jobs.chase_notices_job, today=CHASE_DAY)
    second = run_on_commit(jobs.chase_notices_job, today=CHASE_DAY)

    assert (first["issued"], second["issued"]) == (1, 0)
    notice = ChaseNotice.objects.get()
    assert notice.reference == "营商督催〔2026〕1号"
    assert (notice.task, notice.department, notice.deadline_on) == (task, dept, DEADLINE)
    assert (notice.issued_on, notice.bulletin_on) == (CHASE_DAY, BULLETIN_DAY)
    content = notice.file.open("rb").read()
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == notice.sha256 and notice.size == len(content)
    assert notice.data["heads"] == ["head"] and notice.data["owner"] == "officer"
    assert notice.data["days_late"] == 1
    # archived: never rewritten
    with pytest.raises(ValueError):
        notice.save()


def test_the_owner_and_the_head_are_told_once_with_a_link_to_the_pdf(
        dept, officer, head, coordinator, run_on_commit):
    late(dept, owner=officer)
    run_on_commit(jobs.chase_notices_job, today=CHASE_DAY)
    run_on_commit(jobs.chase_notices_job, today=date(2026, 11, 10))

    notice = ChaseNotice.objects.get()
    told = dict(Notification.objects.values_list("recipient__username", "kind"))
    assert told == {"officer": Kind.CHASE_NOTICE, "head": Kind.CHASE_NOTICE}
    assert Notification.objects.get(recipient=head).data["reference"] == notice.reference
    assert sorted(m.to[0] for m in mail.outbox) == [head.email, officer.email]
    url = reverse("insight:chase-download", args=[notice.pk])
    for message in mail.outbox:
        assert url in message.body and notice.reference in message.subject
    head_mail = next(m for m in mail.outbox if m.to == [head.email])
    assert "head of" in head_mail.body or "负责人" in head_mail.body


def test_the_inbox_links_to_the_pdf(client, dept, officer, head, run_on_commit):
    late(dept, owner=officer)
    run_on_commit(jobs.chase_notices_job, today=CHASE_DAY)
    notice = ChaseNotice.objects.get()
    client.force_login(head)
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert notice.reference in page
    assert reverse("insight:chase-download", args=[notice.pk]) in page


def test_a_new_deadline_that_passes_gets_a_new_notice(dept, officer, head, run_on_commit):
    task = late(dept, owner=officer)
    run_on_commit(jobs.chase_notices_job, today=CHASE_DAY)
    Task.objects.filter(pk=task.pk).update(deadline_on=date(2026, 11, 11))  # an extension

    assert run_on_commit(jobs.chase_notices_job, today=date(2026, 11, 11))["issued"] == 0
    assert run_on_commit(jobs.chase_notices_job, today=date(2026, 11, 12))["issued"] == 1
    assert list(ChaseNotice.objects.order_by("number").values_list("deadline_on", "number")) == [
        (DEADLINE, 1), (date(2026, 11, 11), 2)]
    assert Delivery.objects.filter(recipient=officer).count() == 2


def test_a_failing_render_is_counted_and_the_rest_go_on(dept, officer, monkeypatch):
    bad, good = late(dept, owner=officer), late(dept, owner=officer)
    real = services.chase_notice_html

    def html(*, data, reference):
        if data["task"] == bad.pk:
            raise RuntimeError("no fonts")
        return real(data=data, reference=reference)

    monkeypatch.setattr(services, "chase_notice_html", html)
    result = jobs.chase_notices_job(today=CHASE_DAY)
    assert (result["issued"], result["failed"]) == (1, 1)
    assert list(ChaseNotice.objects.values_list("task", flat=True)) == [good.pk]
    run = JobRun.objects.get(job="chase_notices")
    assert run.errors == 1 and "no fonts" in run.error_text and run.finished_at


def test_a_batch_limit_leaves_the_rest_for_the_next_run(dept, officer):
    for _ in range(3):
        late(dept, owner=officer)
    assert jobs.chase_notices_job(today=CHASE_DAY, limit=2) | {"notified": 0} == {
        "issued": 2, "notified": 0, "failed": 0, "more": True}
    assert jobs.chase_notices_job(today=CHASE_DAY, limit=2)["more"] is False
    assert ChaseNotice.objects.count() == 3


def test_a_run_stops_after_its_time_budget_and_the_task_queues_the_rest(
        dept, officer, monkeypatch):
    from notifications import tasks

    for _ in range(2):
        late(dept, owner=officer)
    assert jobs.chase_notices_job(today=CHASE_DAY, budget_seconds=0)["more"] is True
    assert ChaseNotice.objects.count() == 1  # at least one per run: it gets somewhere
    queued = []
    monkeypatch.setattr(tasks.issue_chase_notices_task, "apply_async",
                        lambda **kw: queued.append(kw))
    monkeypatch.setattr(tasks.jobs, "chase_notices_job",
                        lambda: {"issued": 1, "more": True, "failed": 0, "notified": 0})
    tasks.issue_chase_notices_task.run()
    monkeypatch.setattr(tasks.jobs, "chase_notices_job",
                        lambda: {"issued": 0, "more": True, "failed": 3, "notified": 0})
    tasks.issue_chase_notices_task.run()
    assert queued == [{"countdown": 5}]  # not again after a batch that failed whole


def test_two_workers_on_one_task_archive_one_notice(dept, officer, chase_store, monkeypatch):
    """A second worker that checked before the first one committed renders too;
    the unique (task, deadline) refuses its row, its file is removed and its
    number is left as a gap, never a second notice."""
    task = late(dept, owner=officer)
    real = services.chase_contents

    def meanwhile(task, *, issued_on):
        fake_notice(task, 99)  # the other worker commits while this one renders
        return real(task, issued_on=issued_on)

    monkeypatch.setattr(services, "chase_contents", meanwhile)
    assert services.chase_notice_create(task_id=task.pk, today=CHASE_DAY) is None
    assert list(ChaseNotice.objects.values_list("number", flat=True)) == [99]
    assert not (chase_store / "chase" / "2026").exists() or not any(
        (chase_store / "chase" / "2026").iterdir())


@pytest.mark.parametrize("n", [2, 20])
def test_announcing_notices_takes_the_same_queries_for_any_number(
        dept, officer, head, n, django_assert_max_num_queries):
    for i in range(n):
        fake_notice(late(dept, owner=officer), i + 1)
    run = JobRun.objects.create(job="t", started_at=timezone.now())
    with django_assert_max_num_queries(6):
        assert jobs.notify_chase_notices(run, ChaseNotice.objects.all()) == 2 * n


def test_the_pdf_reads_as_a_notice_to_the_department(dept, officer, head, enterprise):
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils is not installed")
    task = late(dept, owner=officer, obstacle__enterprise=enterprise)
    notice = services.chase_notice_create(task_id=task.pk, today=CHASE_DAY)
    text = subprocess.run(["pdftotext", "-layout", notice.file.path, "-"], check=True,  # noqa: S603,S607
                          capture_output=True, text=True).stdout
    for expected in (notice.reference, dept.name, enterprise.name, "厂房消防验收排期过长",
                     "2026年11月6日", "2026年11月13日", "head"):
        assert expected in text


# ------------------------------------------------------------------ pages


@pytest.fixture
def notice(dept, officer):
    return fake_notice(late(dept, owner=officer), 1)


@pytest.mark.parametrize("who,status", [
    ("officer", 200), ("head", 200), ("coordinator", 200), ("leader", 200),
    ("other_officer", 404), ("staff", 404), ("firm", 404), ("firm2", 404)])
def test_the_pdf_is_for_the_department_the_office_and_leaders(
        client, notice, who, status, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("insight:chase-download", args=[notice.pk]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content) == PDF


def test_anonymous_is_sent_to_the_login(client, notice):
    response = client.get(reverse("insight:chase-download", args=[notice.pk]))
    assert response.status_code == 302 and reverse("login") in response.url


@pytest.mark.parametrize("who,status,sees", [
    ("officer", 200, True), ("head", 200, True), ("coordinator", 200, True),
    ("leader", 200, True), ("other_officer", 200, False), ("staff", 403, False),
    ("firm", 403, False), ("firm2", 403, False)])
def test_the_list_is_scoped(client, notice, who, status, sees, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("insight:chase-list"))
    assert response.status_code == status
    assert (notice.reference in response.content.decode()) is sees


@pytest.mark.parametrize("n", [2, 20])
def test_the_list_takes_the_same_queries_for_any_number(
        client, dept, officer, n, django_assert_max_num_queries):
    for i in range(n):
        fake_notice(late(dept, owner=officer), i + 1)
    client.force_login(officer)
    # session, user, roles, profile, count, page, unread badge (+ slack)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("insight:chase-list"))
    assert response.content.decode().count("营商督催〔2026〕") == n


def test_the_task_page_lists_its_notices_for_those_who_may_read_them(
        client, notice, officer, coordinator, other_officer):
    for user in (officer, coordinator):
        client.force_login(user)
        assert notice.reference in client.get(notice.task.get_absolute_url()).content.decode()
    client.force_login(other_officer)
    assert client.get(notice.task.get_absolute_url()).status_code == 404


def test_the_notice_is_kept_when_the_deadline_moves(notice):
    Task.objects.filter(pk=notice.task_id).update(deadline_on=DEADLINE + timedelta(days=10))
    notice.refresh_from_db()
    assert notice.deadline_on == DEADLINE
