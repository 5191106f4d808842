"""The scheduled jobs: who is told what, each exactly once, and how much SQL
it takes (set-wise: the query count does not grow with the rows)."""

from __future__ import annotations

from datetime import date, timedelta

from django.core import mail
from django.utils import timezone, translation

import pytest

from approvals.calendar import add_working_days
from approvals.choices import EventAction, Role, TaskState
from approvals.models import Holiday, Task, TaskEvent
from enterprises.models import Licence
from notifications import jobs, sms
from notifications.choices import Kind, SendState
from notifications.models import Delivery, JobRun, Notification, NotificationPreference
from tests.factories import (
    EnterpriseFactory,
    LiaisonFactory,
    MembershipFactory,
    ServiceTeamFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def overdue(dept, owner=None, days_late=1, **kw):
    task = TaskFactory(overdue=True, department=dept, owner=owner, **kw)
    Task.objects.filter(pk=task.pk).update(
        deadline_on=timezone.localdate() - timedelta(days=days_late))
    return task


def kinds_for(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


# ------------------------------------------------------------------ escalation


def test_escalation_tells_the_head_and_owner_once_even_when_run_twice(
        dept, head, officer, leader, run_on_commit):
    task = overdue(dept, owner=officer)

    first = run_on_commit(jobs.escalate_overdue_job)
    second = run_on_commit(jobs.escalate_overdue_job)

    assert first[1] == 1 and sum(second.values()) == 0
    assert kinds_for(head) == [Kind.TASK_ESCALATED]
    assert kinds_for(officer) == [Kind.TASK_ESCALATED]
    assert kinds_for(leader) == []  # level 1 is the department's business
    assert sorted(m.to[0] for m in mail.outbox) == [head.email, officer.email]
    assert f"#{task.obstacle_id}" in mail.outbox[0].subject
    runs = JobRun.objects.filter(job="escalate_overdue").order_by("pk")
    assert [r.items for r in runs] == [2, 0]
    assert all(r.finished_at and r.errors == 0 for r in runs)
    assert runs[0].result == {"escalated": {"1": 1, "2": 0}}


def test_level_two_goes_to_the_leaders(dept, head, leader, coordinator, run_on_commit):
    overdue(dept, days_late=30)  # far beyond level 2's further working days

    run_on_commit(jobs.escalate_overdue_job)

    assert kinds_for(leader) == [Kind.TASK_ESCALATED]
    assert Notification.objects.get(recipient=leader).data["level"] == 2
    assert kinds_for(coordinator) == []


def test_the_signal_after_the_job_adds_nothing(dept, head, run_on_commit):
    """The job notifies in its own transaction; the events_recorded receiver
    then sees the same events and finds every key taken."""
    overdue(dept)
    run_on_commit(jobs.escalate_overdue_job)  # the receiver runs on commit, eagerly

    assert Delivery.objects.count() == 1
    assert JobRun.objects.filter(job="notify_events", items=0).exists()


@pytest.mark.parametrize("n", [10, 100])
def test_escalation_scan_query_count_does_not_grow(dept, head, leader, officer, n,
                                                   django_assert_max_num_queries):
    for i in range(n):
        overdue(dept, owner=officer, days_late=1 if i % 2 else 30)
    with django_assert_max_num_queries(25):
        done = jobs.escalate_overdue_job()
    assert done[1] + done[2] == n
    assert Delivery.objects.count() == n // 2 * 2 + n // 2  # head+owner at 1, leader at 2


# ------------------------------------------------------------------ reminders


def test_deadline_reminder_goes_to_the_owner_once_and_again_for_a_new_deadline(
        dept, officer, head, run_on_commit):
    today = date(2026, 11, 25)  # Wednesday
    owned = TaskFactory(in_progress=True, department=dept, owner=officer)
    ownerless = TaskFactory(assigned=True, department=dept)
    later = TaskFactory(in_progress=True, department=dept, owner=officer)
    Task.objects.filter(pk__in=[owned.pk, ownerless.pk]).update(deadline_on=date(2026, 11, 26))
    Task.objects.filter(pk=later.pk).update(deadline_on=date(2026, 11, 27))

    assert run_on_commit(jobs.deadline_reminder_job, today=today) == 2
    assert run_on_commit(jobs.deadline_reminder_job, today=today) == 0
    assert kinds_for(officer) == [Kind.DEADLINE_REMINDER]  # the owner
    assert kinds_for(head) == [Kind.DEADLINE_REMINDER]  # no owner yet: the head
    assert len(mail.outbox) == 2

    assert run_on_commit(jobs.deadline_reminder_job, today=date(2026, 11, 26)) == 1  # later
    # an extension moves the deadline: a new reminder for the new date (Monday)
    Task.objects.filter(pk=owned.pk).update(deadline_on=date(2026, 11, 30))
    assert run_on_commit(jobs.deadline_reminder_job, today=date(2026, 11, 27)) == 1
    assert sorted(n.data["task"] for n in Notification.objects.filter(recipient=officer)) == sorted(
        [owned.pk, later.pk, owned.pk])


def test_a_reminder_n_working_days_before_skips_the_weekend(dept, officer, settings,
                                                            run_on_commit):
    settings.DESK = {**settings.DESK, "REMINDER_WORKING_DAYS": 2}
    friday = date(2026, 11, 27)
    task = TaskFactory(in_progress=True, department=dept, owner=officer)
    Task.objects.filter(pk=task.pk).update(deadline_on=add_working_days(friday, 2))  # Tuesday

    assert run_on_commit(jobs.deadline_reminder_job, today=friday) == 1
    assert Delivery.objects.get().level == 2


@pytest.mark.parametrize("n", [10, 100])
def test_reminder_scan_query_count_does_not_grow(dept, officer, head, n,
                                                 django_assert_max_num_queries):
    today = date(2026, 11, 25)
    tasks = [TaskFactory(in_progress=True, department=dept, owner=officer if i % 2 else None)
             for i in range(n)]
    Task.objects.filter(pk__in=[t.pk for t in tasks]).update(deadline_on=date(2026, 11, 26))
    with django_assert_max_num_queries(12):
        assert jobs.deadline_reminder_job(today=today) == n


def test_callback_due_two_working_days_after_the_resolution(staff, dept, run_on_commit):
    recorded = TaskFactory(resolved=True, department=dept, obstacle__received_by=staff)
    fresh = TaskFactory(resolved=True, department=dept, obstacle__received_by=staff)
    called = TaskFactory(resolved=True, department=dept, obstacle__received_by=staff)
    Task.objects.filter(pk=called.pk).update(state=TaskState.CLOSING)
    wednesday = timezone.make_aware(timezone.datetime(2026, 11, 18, 15, 0))
    Task.objects.filter(pk__in=[recorded.pk, called.pk]).update(resolved_at=wednesday)
    Task.objects.filter(pk=fresh.pk).update(resolved_at=wednesday + timedelta(days=1))

    # Friday: Thursday has passed, Friday is not over yet
    assert run_on_commit(jobs.callback_due_job, today=date(2026, 11, 20)) == 0
    # Saturday: Thursday and Friday: two working days for Wednesday's resolution
    assert run_on_commit(jobs.callback_due_job, today=date(2026, 11, 21)) == 1
    assert run_on_commit(jobs.callback_due_job, today=date(2026, 11, 23)) == 0
    assert run_on_commit(jobs.callback_due_job, today=date(2026, 11, 24)) == 1  # Thursday's
    assert run_on_commit(jobs.callback_due_job, today=date(2026, 11, 25)) == 0
    assert sorted(n.data["task"] for n in Notification.objects.filter(recipient=staff)) == sorted(
        [recorded.pk, fresh.pk])


def test_callback_due_for_a_portal_obstacle_goes_to_the_liaison(dept, run_on_commit):
    task = TaskFactory(resolved=True, department=dept)
    Task.objects.filter(pk=task.pk).update(resolved_at=timezone.now() - timedelta(days=10))
    liaison = LiaisonFactory(enterprise=task.obstacle.enterprise)
    LiaisonFactory(enterprise=task.obstacle.enterprise,
                   starts_on=date(2020, 1, 1), ends_on=date(2020, 12, 31))  # a past one

    assert run_on_commit(jobs.callback_due_job) == 1
    assert Delivery.objects.get().recipient == liaison.staff


# ------------------------------------------------------------------ licences


def test_licence_expiry_at_60_30_and_7_days_to_members_and_liaison(run_on_commit):
    today = date(2026, 11, 25)
    firm = EnterpriseFactory()
    member = MembershipFactory(enterprise=firm).user
    liaison = LiaisonFactory(enterprise=firm).staff
    other = MembershipFactory().user  # another firm's user hears nothing
    licence = Licence.objects.create(enterprise=firm, name="排污许可证", number="X-1",
                                     expires_on=today + timedelta(days=60))
    Licence.objects.create(enterprise=firm, name="远期", expires_on=today + timedelta(days=61))

    steps, seen = [], 0
    for offset in range(0, 61):
        run_on_commit(jobs.licence_expiry_job, today=today + timedelta(days=offset))
        now_seen = Delivery.objects.filter(object_id=licence.pk).count()
        if now_seen != seen:
            steps.append((offset, now_seen - seen))
            seen = now_seen
    levels = sorted(Delivery.objects.filter(object_id=licence.pk).values_list("level", "recipient"))
    assert levels == sorted([(s, u.pk) for s in (60, 30, 7) for u in (member, liaison)])
    assert steps == [(0, 2), (30, 2), (53, 2)]  # 60, 30 and 7 days before, two people
    assert kinds_for(other) == []
    body = mail.outbox[0].body
    assert "排污许可证" in body and str(licence.expires_on) in body
    firm_note = Notification.objects.filter(recipient=member).first()
    assert firm_note.data["enterprise"] == firm.name


def test_licence_entered_late_gets_the_nearest_step_only(run_on_commit):
    today = date(2026, 11, 25)
    member = MembershipFactory().user
    Licence.objects.create(enterprise=member.firm_memberships.get().enterprise, name="证",
                           expires_on=today + timedelta(days=20))
    run_on_commit(jobs.licence_expiry_job, today=today)
    run_on_commit(jobs.licence_expiry_job, today=today)
    assert list(Delivery.objects.values_list("level", flat=True)) == [30]


@pytest.mark.parametrize("n", [10, 100])
def test_licence_scan_query_count_does_not_grow(n, django_assert_max_num_queries):
    today = date(2026, 11, 25)
    firm = EnterpriseFactory()
    MembershipFactory(enterprise=firm)
    Licence.objects.bulk_create(
        Licence(enterprise=firm, name=f"证{i}", expires_on=today + timedelta(days=i % 60))
        for i in range(n))
    with django_assert_max_num_queries(15):
        assert jobs.licence_expiry_job(today=today) == n


# ------------------------------------------------------------------ weekly, calendar


def test_monday_report_to_teams_office_and_notes_below_quota(
        staff, staff2, coordinator, leader, team, run_on_commit):
    monday = date(2026, 11, 23)
    outsider = UserFactory(role=Role.SERVICE_STAFF)  # no team: no team report

    first = run_on_commit(jobs.weekly_visit_reports_job, today=monday)
    assert run_on_commit(jobs.weekly_visit_reports_job, today=monday) == 0

    assert first == 7  # 2 team reports, 2 office reports, 3 below-quota notes
    assert kinds_for(staff) == [Kind.BELOW_QUOTA, Kind.WEEKLY_REPORT]
    assert kinds_for(coordinator) == [Kind.WEEKLY_REPORT]
    assert kinds_for(outsider) == [Kind.BELOW_QUOTA]
    note = Notification.objects.get(recipient=staff, kind=Kind.BELOW_QUOTA)
    assert note.data == {"week": "2026-11-16", "firms": 0, "quota": 4, "visits": 0}
    # the subject is in the recipient's language (Chinese by default)
    report = next(m for m in mail.outbox if m.to == [staff.email]
                  and ("report" in m.subject or "报告" in m.subject))
    assert team.name in report.body and "staff2" in report.body  # the team's table


def test_a_teams_report_goes_to_its_leader_and_a_team_without_one_to_its_members(
        staff, staff2, coordinator, team, run_on_commit):
    monday = date(2026, 11, 23)
    lead = UserFactory(username="lead", role=Role.SERVICE_STAFF)  # leads, not a member
    team.leader = lead
    team.save()
    second = ServiceTeamFactory(name="第二服务专班")
    member = UserFactory(username="member2", role=Role.SERVICE_STAFF, team=second)

    run_on_commit(jobs.weekly_visit_reports_job, today=monday)
    assert run_on_commit(jobs.weekly_visit_reports_job, today=monday) == 0

    reports = dict(Delivery.objects.filter(kind=Kind.WEEKLY_REPORT, object_id__gt=0)
                   .values_list("recipient__username", "object_id"))
    assert reports == {"lead": team.pk, "member2": second.pk}  # staff, staff2: not any more
    report = next(m for m in mail.outbox if m.to == [lead.email])
    assert team.name in report.body and "staff2" in report.body  # the team's table
    assert Notification.objects.get(recipient=member, kind=Kind.WEEKLY_REPORT).data[
        "team"] == second.name


def test_a_team_whose_leader_left_falls_back_to_its_members(staff, staff2, team,
                                                            run_on_commit):
    team.leader = UserFactory(username="gone", role=Role.SERVICE_STAFF, is_active=False)
    team.save()
    run_on_commit(jobs.weekly_visit_reports_job, today=date(2026, 11, 23))
    assert sorted(Delivery.objects.filter(kind=Kind.WEEKLY_REPORT).values_list(
        "recipient__username", flat=True)) == ["staff", "staff2"]


def test_a_leader_in_the_team_gets_the_report_once(staff, staff2, team, run_on_commit):
    team.leader = staff
    team.save()
    run_on_commit(jobs.weekly_visit_reports_job, today=date(2026, 11, 23))
    assert list(Delivery.objects.filter(kind=Kind.WEEKLY_REPORT).values_list(
        "recipient__username", flat=True)) == ["staff"]


@pytest.mark.parametrize("n", [2, 10])
def test_weekly_reports_take_the_same_queries_for_any_number_of_teams(
        n, coordinator, django_assert_max_num_queries):
    for i in range(n):
        lead = UserFactory(username=f"lead{i}", role=Role.SERVICE_STAFF)
        team = ServiceTeamFactory(name=f"专班{i}", leader=lead)
        UserFactory(username=f"m{i}", role=Role.SERVICE_STAFF, team=team)
    with django_assert_max_num_queries(20):
        jobs.weekly_visit_reports_job(today=date(2026, 11, 23))
    assert Delivery.objects.filter(kind=Kind.WEEKLY_REPORT, object_id__gt=0).count() == n


def test_calendar_warning_daily_from_december_until_the_year_has_data(
        coordinator, staff, run_on_commit):
    Holiday.objects.filter(date__year=2027).delete()
    assert run_on_commit(jobs.calendar_warning_job, today=date(2026, 11, 30)) == 0
    assert run_on_commit(jobs.calendar_warning_job, today=date(2026, 12, 1)) == 1
    assert run_on_commit(jobs.calendar_warning_job, today=date(2026, 12, 1)) == 0
    assert run_on_commit(jobs.calendar_warning_job, today=date(2026, 12, 2)) == 1
    Holiday.objects.create(date=date(2027, 1, 1), name="元旦")
    assert run_on_commit(jobs.calendar_warning_job, today=date(2026, 12, 3)) == 0
    assert kinds_for(coordinator) == [Kind.CALENDAR_MISSING] * 2
    assert kinds_for(staff) == []


# ------------------------------------------------------------------ preferences


def test_preferences_decide_the_channels(dept, head, officer, run_on_commit):
    NotificationPreference.objects.create(user=head, in_app=False, email=False, sms=True)
    head.profile.mobile = "13900001111"
    head.profile.save()
    NotificationPreference.objects.create(user=officer, email=False)
    overdue(dept, owner=officer)

    run_on_commit(jobs.escalate_overdue_job)

    assert kinds_for(head) == []  # no inbox row
    assert kinds_for(officer) == [Kind.TASK_ESCALATED]
    assert mail.outbox == []
    assert [m["to"] for m in sms.outbox] == ["13900001111"]
    states = dict(Delivery.objects.values_list("recipient_id", "email_state"))
    assert states == {head.pk: SendState.SKIPPED, officer.pk: SendState.SKIPPED}


def test_inactive_users_are_not_notified(dept, head, run_on_commit):
    head.is_active = False
    head.save()
    overdue(dept)
    run_on_commit(jobs.escalate_overdue_job)
    assert not Delivery.objects.exists()


def test_a_job_that_fails_is_recorded_with_its_error(monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(jobs.task_services, "escalate_overdue", boom)
    with pytest.raises(RuntimeError):
        jobs.escalate_overdue_job()
    run = JobRun.objects.get()
    assert run.errors == 1 and "database on fire" in run.error_text and run.finished_at


def test_the_sweeper_queues_what_is_still_pending(dept, head, run_on_commit):
    overdue(dept)
    jobs.escalate_overdue_job()  # committed, but its dispatch never ran
    assert Delivery.objects.get().email_state == SendState.PENDING
    assert jobs.sweep_pending_job(minutes=10) == 0  # too fresh: maybe still queued
    Delivery.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    assert jobs.sweep_pending_job(minutes=10) == 1
    assert Delivery.objects.get().email_state == SendState.SENT
    assert jobs.sweep_pending_job(minutes=10) == 0
    assert len(mail.outbox) == 1


def test_hand_escalation_event_is_notified_through_the_signal(
        dept, head, leader, coordinator, django_capture_on_commit_callbacks):
    from approvals import services as task_services

    task = TaskFactory(in_progress=True, department=dept)
    with django_capture_on_commit_callbacks(execute=True):
        task_services.task_escalate(task_id=task.pk, actor=coordinator, level=2,
                                    reason="重点督办")
    assert kinds_for(leader) == [Kind.TASK_ESCALATED]
    assert TaskEvent.objects.filter(action=EventAction.ESCALATE).count() == 1
