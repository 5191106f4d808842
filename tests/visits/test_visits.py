"""The visit log: quotas over ISO weeks in Asia/Shanghai, drafts and submits,
inline obstacles into the closed loop, the edit lock, pages and their scope."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import pytest
import time_machine

from approvals.choices import Channel, Role, TaskState
from approvals.models import Obstacle
from tests.factories import EnterpriseFactory, LiaisonFactory, ServiceTeamFactory, UserFactory
from visits import selectors, services
from visits.choices import VisitStatus
from visits.models import QuotaCredit, QuotaOverride, Visit, VisitChange

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
       b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
       b"\x00\x00\x00IEND\xaeB`\x82")


def visit(actor, enterprise, when, *, companions=(), submit=True, obstacles=()):
    return services.visit_save(
        actor=actor, submit=submit, companions=list(companions), obstacles=list(obstacles),
        data={"enterprise": enterprise, "visited_at": when, "mode": "on_site",
              "purpose": "了解情况"},
    )


@pytest.fixture
def now():
    # Wednesday 25 November 2026, 10:00 in Shanghai
    with time_machine.travel(datetime(2026, 11, 25, 10, 0, tzinfo=SH), tick=False):
        yield datetime(2026, 11, 25, 10, 0, tzinfo=SH)


def test_the_same_firm_twice_in_a_week_counts_once(staff, now):
    firm_a, firm_b = EnterpriseFactory(), EnterpriseFactory()
    visit(staff, firm_a, now - timedelta(days=1))
    visit(staff, firm_a, now - timedelta(hours=1))
    visit(staff, firm_b, now - timedelta(hours=2))
    week = selectors.my_week(staff, now.date())
    assert (week.firms, week.visits, week.quota) == (2, 3, 4)
    assert not week.is_met and week.missing == 2


def test_week_boundaries_follow_shanghai_time(staff, now):
    firm = EnterpriseFactory()
    # Sunday 22 Nov 23:30 Shanghai is 15:30 UTC: last week, not this one
    visit(staff, firm, datetime(2026, 11, 22, 23, 30, tzinfo=SH))
    # Monday 23 Nov 00:10 Shanghai is Sunday 16:10 UTC: this week
    visit(staff, EnterpriseFactory(), datetime(2026, 11, 23, 0, 10, tzinfo=SH))
    assert selectors.my_week(staff, now.date()).firms == 1
    assert selectors.my_week(staff, datetime(2026, 11, 22).date()).firms == 1
    assert set(Visit.objects.values_list("week_start", flat=True)) == {
        datetime(2026, 11, 16).date(), datetime(2026, 11, 23).date()}


def test_companions_are_credited_too(staff, staff2, now):
    visit(staff, EnterpriseFactory(), now - timedelta(hours=3), companions=[staff2])
    assert selectors.my_week(staff2, now.date()).firms == 1
    assert QuotaCredit.objects.count() == 2


def test_a_draft_credits_nobody_until_submitted(staff, now):
    draft = visit(staff, EnterpriseFactory(), now - timedelta(hours=1), submit=False)
    assert draft.status == VisitStatus.DRAFT
    assert selectors.my_week(staff, now.date()).firms == 0
    services.visit_save(actor=staff, visit_id=draft.pk, submit=True,
                        data={"visited_at": draft.visited_at})
    assert selectors.my_week(staff, now.date()).firms == 1


def test_a_personal_quota_wins_over_the_team(staff, now):
    QuotaOverride.objects.create(staff=staff, starts_on=now.date() - timedelta(days=10),
                                 ends_on=now.date() + timedelta(days=10), quota=1,
                                 reason="part-time")
    assert selectors.my_week(staff, now.date()).quota == 1
    team = ServiceTeamFactory(name="专班三", weekly_quota=6)
    other = UserFactory(username="s3", role=Role.SERVICE_STAFF, team=team)
    assert selectors.quota_for(other, now.date()) == 6


def test_a_visit_in_the_future_is_refused(staff, now):
    with pytest.raises(services.InvalidVisit):
        visit(staff, EnterpriseFactory(), now + timedelta(days=1))
    assert not Visit.objects.exists()


def test_inline_obstacles_enter_the_loop_on_submit(staff, category, now):
    firm = EnterpriseFactory()
    ob = {"title": "用电报装慢", "category": category.pk, "description": "增容报装一个月未勘查",
          "urgency": "normal"}
    draft = visit(staff, firm, now - timedelta(hours=1), submit=False, obstacles=[ob])
    assert not Obstacle.objects.exists()
    assert draft.pending_obstacles
    services.visit_save(actor=staff, visit_id=draft.pk, submit=True,
                        data={"visited_at": draft.visited_at})
    obstacle = Obstacle.objects.get()
    assert obstacle.channel == Channel.VISIT
    assert obstacle.received_by == staff
    assert obstacle.visit_id == draft.pk
    assert obstacle.tasks.get().state == TaskState.SUBMITTED
    draft.refresh_from_db()
    assert draft.pending_obstacles == []


def test_after_the_edit_window_only_a_coordinator_corrects_with_a_reason(
        staff, coordinator, now):
    v = visit(staff, EnterpriseFactory(), now - timedelta(hours=1))
    with time_machine.travel(now + timedelta(days=4), tick=False):
        with pytest.raises(PermissionDenied):
            services.visit_save(actor=staff, visit_id=v.pk, data={
                "visited_at": v.visited_at, "purpose": "改"})
        with pytest.raises(services.InvalidVisit):
            services.visit_save(actor=coordinator, visit_id=v.pk, data={
                "visited_at": v.visited_at, "purpose": "改"})
        other = EnterpriseFactory()
        services.visit_save(actor=coordinator, visit_id=v.pk, reason="企业名称录错",
                            data={"visited_at": v.visited_at, "enterprise": other})
    v.refresh_from_db()
    assert v.enterprise == other
    change = VisitChange.objects.get()
    assert change.actor == coordinator and "enterprise" in change.changes
    # the credits follow the correction
    assert QuotaCredit.objects.get().enterprise == other


def test_the_visitor_edits_within_the_window(staff, now):
    v = visit(staff, EnterpriseFactory(), now - timedelta(hours=1))
    services.visit_save(actor=staff, visit_id=v.pk, data={
        "visited_at": v.visited_at, "notes": "补充"})
    v.refresh_from_db()
    assert v.notes == "补充"
    assert not VisitChange.objects.exists()


def test_weekly_report_counts_per_person(staff, staff2, category, now):
    a, b = EnterpriseFactory(), EnterpriseFactory()
    ob = {"title": "t", "category": category.pk, "description": "d", "urgency": "normal"}
    visit(staff, a, now - timedelta(hours=1), obstacles=[ob])
    visit(staff, a, now - timedelta(hours=2))
    visit(staff, b, now - timedelta(hours=3), companions=[staff2])
    rows = {r.user.username: r for r in selectors.weekly_report(now.date())}
    assert (rows["staff"].visits, rows["staff"].firms, rows["staff"].obstacles) == (3, 2, 1)
    assert (rows["staff2"].visits, rows["staff2"].firms) == (1, 1)
    assert not rows["staff"].is_met


# ------------------------------------------------------------------ pages


@pytest.fixture
def other_team_staff(db):
    return UserFactory(username="far", role=Role.SERVICE_STAFF,
                       team=ServiceTeamFactory(name="第二服务专班"))


def test_pages_by_role(client, staff, officer, firm, coordinator, leader, other_team_staff,
                       now):
    v = visit(staff, EnterpriseFactory(name="走访企业甲"), now - timedelta(hours=1))
    detail = reverse("visits:visit-detail", args=[v.pk])
    expected = [
        (staff, detail, 200), (coordinator, detail, 200), (leader, detail, 200),
        (other_team_staff, detail, 404), (officer, detail, 404), (firm, detail, 404),
        (staff, reverse("visits:my-week"), 200), (officer, reverse("visits:my-week"), 403),
        (firm, reverse("visits:my-week"), 403), (officer, reverse("visits:weekly-report"), 403),
        (staff, reverse("visits:weekly-report"), 200),
        (leader, reverse("visits:weekly-report"), 200),
        (firm, reverse("visits:coverage"), 403), (staff, reverse("visits:coverage"), 200),
        (officer, reverse("visits:visit-create"), 403),
    ]
    for user, url, status in expected:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, (user.username, url)
        if status != 200:
            assert "走访企业甲" not in response.content.decode()
    client.logout()
    assert client.get(detail).status_code == 302


def test_the_form_submits_a_visit_with_a_photo_and_an_obstacle(client, staff, category, now):
    firm = EnterpriseFactory(name="杭州表单测试有限公司")
    client.force_login(staff)
    response = client.post(reverse("visits:visit-create"), {
        "enterprise": firm.credit_code.lower(), "visited_at": "2026-11-25T09:00",
        "mode": "on_site", "purpose": "了解项目", "notes": "正常",
        "files": SimpleUploadedFile("photo.png", PNG, content_type="image/png"),
        "ob-TOTAL_FORMS": "1", "ob-INITIAL_FORMS": "0", "ob-MIN_NUM_FORMS": "0",
        "ob-MAX_NUM_FORMS": "10", "ob-0-title": "招工难", "ob-0-category": category.pk,
        "ob-0-description": "缺30名技工", "ob-0-urgency": "normal", "submit": "1",
    })
    assert response.status_code == 302
    v = Visit.objects.get()
    assert v.is_submitted and v.attachments.count() == 1
    assert Obstacle.objects.get().visit == v
    download = client.get(v.attachments.get().get_absolute_url())
    assert download.status_code == 200
    assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("name", "content", "message"), [
    ("photo.jpg", b"just text, not an image", "not a photo"),
    ("big.png", PNG + b"0" * (10 * 1024 * 1024 + 1), "larger than 10 MB"),
])
def test_bad_photos_are_refused_and_the_typed_text_kept(client, staff, now, name, content,
                                                        message, settings):
    settings.LANGUAGE_CODE = "en"
    firm = EnterpriseFactory()
    client.force_login(staff)
    response = client.post(reverse("visits:visit-create"), {
        "enterprise": firm.name, "visited_at": "2026-11-25T09:00", "mode": "on_site",
        "purpose": "了解项目进展", "files": SimpleUploadedFile(name, content),
        "ob-TOTAL_FORMS": "0", "ob-INITIAL_FORMS": "0", "submit": "1",
    }, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "了解项目进展" in response.content.decode()
    assert not Visit.objects.exists()


def test_unknown_enterprise_and_future_date_are_form_errors(client, staff, now):
    client.force_login(staff)
    response = client.post(reverse("visits:visit-create"), {
        "enterprise": "不存在的公司", "visited_at": "2026-12-25T09:00", "mode": "on_site",
        "purpose": "x", "ob-TOTAL_FORMS": "0", "ob-INITIAL_FORMS": "0", "submit": "1",
    }, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.content.decode()
    assert "No enterprise has this exact name" in body
    assert "cannot be in the future" in body


def test_my_week_and_report_query_counts_do_not_grow(client, staff, now,
                                                      django_assert_max_num_queries):
    def load(n):
        for _i in range(n):
            firm = EnterpriseFactory()
            LiaisonFactory(staff=staff, enterprise=firm)
            visit(staff, firm, now - timedelta(hours=1))
        client.force_login(staff)
        with django_assert_max_num_queries(14):
            assert client.get(reverse("visits:my-week")).status_code == 200
        with django_assert_max_num_queries(14):
            assert client.get(reverse("visits:weekly-report")).status_code == 200

    load(2)
    load(20)


def test_monday_mail_sends_last_weeks_report(staff, coordinator, now, mailoutbox):
    from visits.reports import email_weekly_reports

    visit(staff, EnterpriseFactory(), now - timedelta(days=7))
    sent = email_weekly_reports(today=now.date())
    assert sent == 2  # the office's (coordinator) and the team's (staff)
    office = next(m for m in mailoutbox if "coordinator@example.gov.cn" in m.to)
    assert "2026-11-16" in office.subject
    assert "staff" in office.body and "1" in office.body


def test_the_weekly_report_exports_as_xlsx(client, staff, now):
    from io import BytesIO

    from openpyxl import load_workbook

    visit(staff, EnterpriseFactory(), now - timedelta(hours=1))
    client.force_login(staff)
    response = client.get(reverse("visits:weekly-report"), {"format": "xlsx"},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0][:3] == ("Week of", "Team", "Staff member")
    assert sheet.freeze_panes == "A2"
    assert any(r[2] == "staff" and r[3] == 1 for r in rows[1:])


def test_a_team_has_an_optional_leader_shown_in_the_admin(admin_client, team, staff):
    team.leader = staff
    team.save()
    assert list(staff.led_teams.all()) == [team]
    response = admin_client.get(reverse("admin:visits_serviceteam_changelist"))
    assert response.status_code == 200
    assert "staff" in response.content.decode()
    staff.delete()
    team.refresh_from_db()
    assert team.leader is None
