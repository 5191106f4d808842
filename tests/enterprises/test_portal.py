"""The firm portal: grants, invitations, account requests, a firm's own
obstacles and nothing of anyone else's (IDOR), bad input, rate limit, constant
query counts, rating and dispute."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

import pytest
import time_machine
from guardian.shortcuts import get_perms

from approvals import services as task_services
from approvals.choices import ApprovalKind, ApprovalStatus, Channel, EventAction, TaskState
from approvals.models import ApprovalRequest, Attachment, Obstacle, Task, TaskEvent
from enterprises import services
from enterprises.models import AccountRequest, FirmMembership, Invitation
from tests.factories import LiaisonFactory, MembershipFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
SECRET_TITLE = "甲公司厂房规划许可卡在审批"
SECRET_NOTE = "内部意见:请勿告知企业"


@pytest.fixture(autouse=True)
def private_storage(tmp_path, monkeypatch):
    field = Attachment._meta.get_field("file")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=tmp_path))
    return tmp_path


@pytest.fixture
def task_a(enterprise, dept, category, officer, staff):
    """An in-progress obstacle of enterprise A with an internal note, a visible
    note and a PDF the firm sent."""
    task = TaskFactory(in_progress=True, department=dept, owner=officer,
                       obstacle__enterprise=enterprise, obstacle__category=category,
                       obstacle__title=SECRET_TITLE, obstacle__channel=Channel.PORTAL)
    TaskEvent.objects.create(task=task, action=EventAction.NOTE, comment=SECRET_NOTE,
                             to_state=task.state, is_visible_to_firm=False)
    TaskEvent.objects.create(task=task, action=EventAction.NOTE, comment="已约谈企业",
                             to_state=task.state, is_visible_to_firm=True)
    task.attachment = task_services.attachment_add(
        obstacle=task.obstacle, actor=staff,
        upload=SimpleUploadedFile("规划图.pdf", PDF, content_type="application/pdf"))
    return task


def _without_csrf(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


# ------------------------------------------------------------------ grants


def test_membership_grants_and_removal_withdraws_them(enterprise, coordinator):
    admin = MembershipFactory(enterprise=enterprise, is_admin=True).user
    member = MembershipFactory(enterprise=enterprise).user
    assert set(get_perms(admin, enterprise)) == {
        "view_portal", "submit_obstacle", "rate", "manage_members"}
    assert set(get_perms(member, enterprise)) == {"view_portal", "submit_obstacle", "rate"}
    membership = FirmMembership.objects.get(user=member)
    services.membership_remove(membership_id=membership.pk, actor=admin)
    assert get_perms(member, enterprise) == []
    assert not FirmMembership.objects.filter(user=member).exists()


def test_plain_member_cannot_remove_a_colleague(enterprise, firm):
    other = MembershipFactory(enterprise=enterprise)
    with pytest.raises(PermissionDenied):
        services.membership_remove(membership_id=other.pk, actor=firm)
    assert FirmMembership.objects.filter(pk=other.pk).exists()


def test_firm_admin_removes_a_colleague_through_the_portal(client, enterprise):
    admin = MembershipFactory(enterprise=enterprise, is_admin=True).user
    other = MembershipFactory(enterprise=enterprise)
    client.force_login(admin)
    response = client.post(reverse("portal:member-remove", args=[other.pk]))
    assert response.status_code == 302
    assert not FirmMembership.objects.filter(pk=other.pk).exists()
    assert get_perms(other.user, enterprise) == []


def test_user_in_two_enterprises_switches(client, firm, enterprise, enterprise_b):
    MembershipFactory(user=firm, enterprise=enterprise_b)
    client.force_login(firm)
    home = client.get(reverse("portal:home"))
    assert enterprise.name.encode() in home.content
    client.post(reverse("portal:enterprise-switch", args=[enterprise_b.pk]))
    home = client.get(reverse("portal:home"))
    assert f"<h1>{enterprise_b.name}</h1>".encode() in home.content


# ------------------------------------------------------------------ invitations


def test_liaison_invites_and_the_link_makes_an_account(client, enterprise, staff):
    LiaisonFactory(staff=staff, enterprise=enterprise)
    client.force_login(staff)
    response = client.post(reverse("enterprises:enterprise-accounts", args=[enterprise.pk]),
                           {"name": "王经理", "email": "wang@example.com", "is_admin": "on"})
    assert response.status_code == 200
    link = re.search(rb"/portal/invite/([^/<]+)/", response.content).group(1).decode()
    invitation = Invitation.objects.get()
    assert invitation.token_hash != link and link not in invitation.token_hash
    client.logout()
    response = client.post(reverse("portal:invitation-accept", args=[link]), {
        "username": "wangjl", "password1": "Qz8#mountain-river", "password2": "Qz8#mountain-river"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(get_perms(FirmMembership.objects.get(user__username="wangjl").user,
                         enterprise)) >= {"view_portal", "manage_members"}
    assert client.get(reverse("portal:home")).status_code == 200


def test_invitation_is_mailed_on_commit(enterprise, coordinator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(actor=coordinator, enterprise=enterprise, name="李四",
                                   email="li@example.com")
    assert len(mail.outbox) == 1
    assert "/portal/invite/" in mail.outbox[0].body


def test_reused_invitation_is_refused_with_a_clear_message(client, enterprise, coordinator):
    _inv, token = services.invitation_create(actor=coordinator, enterprise=enterprise,
                                             name="李四")
    data = {"username": "lisi", "password1": "Qz8#mountain-river",
            "password2": "Qz8#mountain-river"}
    assert client.post(reverse("portal:invitation-accept", args=[token]), data
                       ).status_code == 302
    client.logout()
    again = client.post(reverse("portal:invitation-accept", args=[token]),
                        {**data, "username": "lisi2"})
    assert again.status_code == 410
    assert "已经使用".encode() in again.content or b"already been used" in again.content
    assert not FirmMembership.objects.filter(user__username="lisi2").exists()
    with pytest.raises(services.AccountError):
        services.invitation_accept(token=token, username="lisi3", password="x")


def test_expired_invitation_is_refused(client, enterprise, coordinator):
    _inv, token = services.invitation_create(actor=coordinator, enterprise=enterprise,
                                             name="李四")
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = client.post(reverse("portal:invitation-accept", args=[token]), {
            "username": "lisi", "password1": "Qz8#mountain-river",
            "password2": "Qz8#mountain-river"})
    assert response.status_code == 410
    assert not FirmMembership.objects.filter(enterprise=enterprise,
                                             user__username="lisi").exists()


def test_unknown_invitation_is_404(client):
    assert client.get(reverse("portal:invitation-accept", args=["nope"])).status_code == 404


def test_firm_admin_invites_but_a_plain_member_cannot(client, enterprise, firm):
    admin = MembershipFactory(enterprise=enterprise, is_admin=True).user
    client.force_login(firm)
    assert client.get(reverse("portal:member-list")).status_code == 403
    client.force_login(admin)
    response = client.post(reverse("portal:member-list"), {"name": "同事"})
    assert response.status_code == 200
    assert b"/portal/invite/" in response.content


def test_logged_in_firm_user_joins_a_second_enterprise(client, firm, enterprise_b,
                                                       coordinator):
    _inv, token = services.invitation_create(actor=coordinator, enterprise=enterprise_b,
                                             name="firm")
    client.force_login(firm)
    response = client.post(reverse("portal:invitation-accept", args=[token]), {"join": "1"})
    assert response.status_code == 302
    assert "view_portal" in get_perms(firm, enterprise_b)


# ------------------------------------------------------------------ account requests


def test_account_request_with_matching_name_is_approved_into_an_invitation(
        client, enterprise, staff, django_capture_on_commit_callbacks):
    LiaisonFactory(staff=staff, enterprise=enterprise)
    code = " ".join([enterprise.credit_code[:4], enterprise.credit_code[4:]])
    response = client.post(reverse("portal:account-request"), {
        "credit_code": code, "enterprise_name": f" {enterprise.name} ",
        "contact_name": "赵六", "email": "zhao@example.com"})
    assert response.status_code == 200
    request = AccountRequest.objects.get()
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("enterprises:account-request-decide",
                                       args=[request.pk]), {"decision": "approve"})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == AccountRequest.Status.APPROVED
    assert request.invitation.is_admin  # the firm's first account administers it
    assert mail.outbox and mail.outbox[0].to == ["zhao@example.com"]


def test_account_request_with_a_name_that_does_not_match_is_refused(client, enterprise):
    response = client.post(reverse("portal:account-request"), {
        "credit_code": enterprise.credit_code, "enterprise_name": "别的公司",
        "contact_name": "赵六", "email": "zhao@example.com"})
    assert response.status_code == 400
    assert not AccountRequest.objects.exists()
    assert "别的公司".encode() in response.content  # what was typed stays


def test_account_request_with_an_invalid_code_is_refused(client, enterprise):
    bad = enterprise.credit_code[:-1] + ("0" if enterprise.credit_code[-1] != "0" else "1")
    response = client.post(reverse("portal:account-request"), {
        "credit_code": bad, "enterprise_name": enterprise.name,
        "contact_name": "赵六", "email": "zhao@example.com"})
    assert response.status_code == 400
    assert not AccountRequest.objects.exists()


def test_other_staff_cannot_decide_an_account_request(client, enterprise, staff2):
    request = services.account_request_submit(
        credit_code=enterprise.credit_code, enterprise_name=enterprise.name,
        contact_name="赵六", email="zhao@example.com")
    client.force_login(staff2)  # not the firm's liaison
    response = client.post(reverse("enterprises:account-request-decide", args=[request.pk]),
                           {"decision": "approve"})
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == AccountRequest.Status.PENDING


# ------------------------------------------------------------------ pages and IDOR


def test_firm_follows_its_obstacle_without_internal_notes(client, firm, task_a, officer):
    officer.profile.mobile = "13900001111"
    officer.profile.save()
    client.force_login(firm)
    response = client.get(reverse("portal:obstacle-detail", args=[task_a.obstacle_id]))
    assert response.status_code == 200
    body = response.content.decode()
    assert SECRET_TITLE in body and "已约谈企业" in body
    assert SECRET_NOTE not in body
    assert "0571-88881111" in body  # the owner's office phone
    assert "13900001111" not in body  # never the personal mobile
    assert task_a.department.name in body
    download = client.get(reverse("portal:attachment-download", args=[task_a.attachment.pk]))
    assert download.status_code == 200
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment")


def _idor_urls(task_a, enterprise, invitation):
    return {
        "obstacle": reverse("portal:obstacle-detail", args=[task_a.obstacle_id]),
        "task id as obstacle": reverse("portal:obstacle-detail", args=[task_a.pk]),
        "attachment": reverse("portal:attachment-download", args=[task_a.attachment.pk]),
        "switch": reverse("portal:enterprise-switch", args=[enterprise.pk]),
        "rate": reverse("portal:obstacle-rate", args=[task_a.obstacle_id]),
        "dispute": reverse("portal:obstacle-dispute", args=[task_a.obstacle_id]),
        "invitation": reverse("portal:invitation-revoke", args=[invitation.pk]),
        "member": reverse("portal:member-remove",
                          args=[FirmMembership.objects.filter(enterprise=enterprise)
                                .first().pk]),
        "enterprise page": reverse("enterprises:enterprise-detail", args=[enterprise.pk]),
        "staff task": reverse("approvals:task-detail", args=[task_a.pk]),
    }


POSTS = {"switch", "rate", "dispute", "invitation", "member"}


def test_firm_b_gets_404_for_everything_of_a_and_not_a_byte_of_it(
        client, firm, firm2, task_a, enterprise, enterprise_b, coordinator):
    # firm2 administers B, so the member and invitation pages are open to it
    FirmMembership.objects.filter(user=firm2).update(is_admin=True)
    services.membership_add(user=firm2, enterprise=enterprise_b, is_admin=True)
    invitation, _token = services.invitation_create(actor=coordinator, enterprise=enterprise,
                                                    name="甲的新人")
    client.force_login(firm2)
    secrets = [enterprise.name, enterprise.credit_code, SECRET_TITLE, SECRET_NOTE,
               "已约谈企业", "规划图", "甲的新人"]
    for name, url in _idor_urls(task_a, enterprise, invitation).items():
        response = client.post(url, {"rating": 5, "reason": "x"}) if name in POSTS \
            else client.get(url)
        expected = 403 if name == "staff task" else 404
        assert response.status_code == expected, (name, response.status_code)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        for secret in secrets:
            assert secret.encode() not in body, (name, secret)
        assert PDF[:8] not in body
    # nothing changed
    task_a.refresh_from_db()
    assert task_a.state == TaskState.IN_PROGRESS
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert FirmMembership.objects.filter(enterprise=enterprise).exists()
    # firm2's own pages never mention A either
    for url in (reverse("portal:home"), reverse("portal:obstacle-list"),
                reverse("portal:member-list")):
        body = client.get(url).content
        for secret in secrets:
            assert secret.encode() not in body, (url, secret)


def test_other_firms_obstacle_answers_exactly_like_a_missing_one(client, firm2, task_a):
    client.force_login(firm2)
    out = client.get(reverse("portal:obstacle-detail", args=[task_a.obstacle_id]))
    missing = client.get(reverse("portal:obstacle-detail", args=[987654]))
    assert out.status_code == missing.status_code == 404
    assert _without_csrf(out.content) == _without_csrf(missing.content)


def test_an_internal_attachment_is_not_served_to_the_firm(client, firm, task_a, officer):
    internal = TaskEvent.objects.create(task=task_a, action=EventAction.NOTE,
                                        to_state=task_a.state, is_visible_to_firm=False)
    hidden = task_services.attachment_add(
        obstacle=task_a.obstacle, actor=officer, event=internal,
        upload=SimpleUploadedFile("内部.pdf", PDF, content_type="application/pdf"))
    client.force_login(firm)
    assert client.get(reverse("portal:attachment-download", args=[hidden.pk])
                      ).status_code == 404


def test_staff_and_editors_have_no_portal(client, staff, coordinator, editor):
    for user in (staff, coordinator, editor):
        client.force_login(user)
        assert client.get(reverse("portal:home")).status_code == 403


def test_desk_home_sends_a_firm_user_to_the_portal(client, firm):
    client.force_login(firm)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("portal:home")


# ------------------------------------------------------------------ submitting


def _submit(client, category, **extra):
    data = {"category": category.pk, "title": "用电报装慢", "description": "三个月未通电",
            "urgency": "normal", "contact_name": "王", "contact_phone": "0571-1"}
    data.update(extra)
    return client.post(reverse("portal:obstacle-create"), data)


def test_firm_submits_an_obstacle_on_the_portal_channel(client, firm, enterprise, category):
    client.force_login(firm)
    upload = SimpleUploadedFile("scan.bin", PDF, content_type="application/octet-stream")
    response = _submit(client, category, files=[upload])
    assert response.status_code == 302
    obstacle = Obstacle.objects.get()
    assert obstacle.channel == Channel.PORTAL and obstacle.enterprise == enterprise
    assert obstacle.tasks.get().state == TaskState.SUBMITTED
    assert obstacle.attachments.get().content_type == "application/pdf"


def test_disguised_file_is_refused_and_nothing_is_lost(client, firm, category):
    client.force_login(firm)
    fake = SimpleUploadedFile("报告.pdf", b"MZ\x90\x00 this is an exe", content_type="application/pdf")
    response = _submit(client, category, files=[fake])
    assert response.status_code == 400
    assert "报告.pdf".encode() in response.content
    assert "三个月未通电".encode() in response.content  # what was typed stays
    assert not Obstacle.objects.exists()


def test_oversized_file_is_refused(client, firm, category, monkeypatch):
    from approvals import forms as approval_forms

    monkeypatch.setattr(approval_forms, "MAX_UPLOAD_BYTES", 1024)
    client.force_login(firm)
    big = SimpleUploadedFile("大.pdf", PDF + b"0" * 2048, content_type="application/pdf")
    response = _submit(client, category, files=[big])
    assert response.status_code == 400
    assert not Obstacle.objects.exists()


@override_settings(DESK={"PORTAL_SUBMISSIONS_PER_HOUR": 2})
def test_rate_limit_stops_the_next_submission_with_a_message(client, firm, category):
    client.force_login(firm)
    assert _submit(client, category).status_code == 302
    assert _submit(client, category).status_code == 302
    third = _submit(client, category, title="第三条")
    assert third.status_code == 400
    assert "第三条".encode() in third.content
    assert Obstacle.objects.count() == 2
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
        assert _submit(client, category).status_code == 302


def test_a_member_without_the_submit_grant_gets_403(client, firm, enterprise, category):
    from guardian.shortcuts import remove_perm

    remove_perm("enterprises.submit_obstacle", firm, enterprise)
    client.force_login(firm)
    assert _submit(client, category).status_code == 403
    assert not Obstacle.objects.exists()


# ------------------------------------------------------------------ rating and dispute


@pytest.fixture
def resolved(enterprise, dept, category, officer):
    return TaskFactory(resolved=True, department=dept, owner=officer,
                       obstacle__enterprise=enterprise, obstacle__category=category)


def test_good_rating_sends_the_task_to_close_out(client, firm, resolved):
    client.force_login(firm)
    response = client.post(reverse("portal:obstacle-rate", args=[resolved.obstacle_id]),
                           {"rating": 5, "comment": "很好"})
    assert response.status_code == 302
    resolved.refresh_from_db()
    assert resolved.state == TaskState.CLOSING and resolved.rating == 5
    assert resolved.callbacks.get().is_by_firm


def test_bad_rating_reopens_for_rectification(client, firm, resolved):
    client.force_login(firm)
    client.post(reverse("portal:obstacle-rate", args=[resolved.obstacle_id]), {"rating": 2})
    resolved.refresh_from_db()
    assert resolved.state == TaskState.IN_PROGRESS
    assert resolved.rectification_count == 1
    assert resolved.events.filter(action=EventAction.REOPEN, actor=firm).exists()


def test_rating_a_task_not_resolved_is_a_clear_400(client, firm, task_a):
    client.force_login(firm)
    response = client.post(reverse("portal:obstacle-rate", args=[task_a.obstacle_id]),
                           {"rating": 5})
    assert response.status_code == 400
    task_a.refresh_from_db()
    assert task_a.state == TaskState.IN_PROGRESS


def test_dispute_reopens_a_resolution(client, firm, resolved):
    client.force_login(firm)
    response = client.post(reverse("portal:obstacle-dispute", args=[resolved.obstacle_id]),
                           {"reason": "电还是没通"})
    assert response.status_code == 302
    resolved.refresh_from_db()
    assert resolved.state == TaskState.IN_PROGRESS
    event = resolved.events.get(action=EventAction.REOPEN)
    assert event.actor == firm and event.is_visible_to_firm and event.comment == "电还是没通"


def test_dispute_while_closing_refuses_the_pending_close_out(firm, resolved):
    task_services.task_callback(task_id=resolved.pk, actor=firm, is_reached=True, rating=4,
                                by_firm=True)
    task_services.task_dispute(task_id=resolved.pk, actor=firm, reason="反悔了")
    resolved.refresh_from_db()
    assert resolved.state == TaskState.IN_PROGRESS
    assert ApprovalRequest.objects.get(kind=ApprovalKind.CLOSE_OUT).status == \
        ApprovalStatus.REFUSED


def test_dispute_in_the_wrong_state_or_by_an_outsider(firm, firm2, resolved, task_a):
    with pytest.raises(task_services.InvalidTransition):
        task_services.task_dispute(task_id=task_a.pk, actor=firm, reason="x")
    with pytest.raises(task_services.permissions.PermissionDenied):
        task_services.task_dispute(task_id=resolved.pk, actor=firm2, reason="x")
    with pytest.raises(task_services.InvalidTransition):
        task_services.task_dispute(task_id=resolved.pk, actor=firm, reason="  ")
    resolved.refresh_from_db()
    assert resolved.state == TaskState.RESOLVED
    assert not TaskEvent.objects.filter(task=resolved, action=EventAction.REOPEN).exists()


# ------------------------------------------------------------------ query counts


def _rows(enterprise, category, n):
    dept = category.default_department
    owner = UserFactory(department=dept)
    for _ in range(n):
        TaskFactory(in_progress=True, department=dept, owner=owner,
                    obstacle__enterprise=enterprise, obstacle__category=category)


@pytest.mark.parametrize("n", [2, 20])
@pytest.mark.parametrize("page", ["portal:home", "portal:obstacle-list"])
def test_portal_list_pages_take_constant_queries(client, firm, enterprise, category, n, page,
                                                 django_assert_max_num_queries):
    _rows(enterprise, category, n)
    client.force_login(firm)
    with django_assert_max_num_queries(12):
        response = client.get(reverse(page))
    assert response.status_code == 200


@pytest.mark.parametrize("n", [2, 20])
def test_portal_detail_takes_constant_queries(client, firm, task_a, n,
                                              django_assert_max_num_queries):
    for i in range(n):
        TaskEvent.objects.create(task=task_a, action=EventAction.NOTE, comment=f"进展{i}",
                                 to_state=task_a.state, is_visible_to_firm=True)
    client.force_login(firm)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("portal:obstacle-detail", args=[task_a.obstacle_id]))
    assert response.status_code == 200


def test_list_is_filtered_in_the_database(firm, enterprise, enterprise_b, category):
    from approvals import selectors_portal

    _rows(enterprise, category, 3)
    _rows(enterprise_b, category, 2)
    assert selectors_portal.portal_tasks(enterprise).count() == 3
    sql = str(selectors_portal.portal_enterprises(firm).query).lower()
    assert "guardian_userobjectpermission" in sql
    assert Task.objects.count() == 5


def test_memberships_changed_in_the_django_admin_keep_their_grants(client, enterprise):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    person = UserFactory(username="person")
    client.force_login(root)
    response = client.post(reverse("admin:enterprises_firmmembership_add"), {
        "user": person.pk, "enterprise": enterprise.pk, "is_admin": "on"})
    assert response.status_code == 302
    assert "manage_members" in get_perms(person, enterprise)
    membership = FirmMembership.objects.get(user=person)
    client.post(reverse("admin:enterprises_firmmembership_change", args=[membership.pk]), {})
    assert set(get_perms(person, enterprise)) == {"view_portal", "submit_obstacle", "rate"}
    client.post(reverse("admin:enterprises_firmmembership_delete", args=[membership.pk]),
                {"post": "yes"})
    assert not FirmMembership.objects.filter(user=person).exists()
    assert get_perms(person, enterprise) == []


def test_obstacle_form_offers_the_cms_pages_of_a_category_without_inline_script(client, firm):
    client.force_login(firm)
    body = client.get(reverse("portal:obstacle-create")).content.decode()
    assert 'data-url="/cms/related/"' in body
    assert re.search(r'<script src="[^"]*portal/related\.js" defer></script>', body)


def test_the_accounts_page_masks_requesters_and_invitees(client, enterprise, staff):
    """PIPL: the page lists who asked for an account and who was invited; the
    e-mail and mobile are masked there (a decision needs neither in full)."""
    LiaisonFactory(staff=staff, enterprise=enterprise)
    AccountRequest.objects.create(enterprise=enterprise, contact_name="李会计",
                                  email="lihuiji@example.com", mobile="13912345678")
    client.force_login(staff)
    url = reverse("enterprises:enterprise-accounts", args=[enterprise.pk])
    client.post(url, {"name": "王经理", "email": "wang@example.com"})
    page = client.get(url).content.decode()
    assert "李会计" in page and "l***@example.com" in page and "139****5678" in page
    assert "w***@example.com" in page
    for full in ("lihuiji@example.com", "13912345678", "wang@example.com"):
        assert full not in page
