"""三员管理: three administrator roles that never overlap, each refused the
others' pages."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

import pytest

from audit.choices import AdminRole
from audit.models import AuditRecord
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

AUDIT_LOG = reverse("audit:log")
AUDIT_EXPORT = reverse("audit:export")
LOCKOUTS = reverse("security:lockout-list")
DEPARTMENT_ADMIN = reverse("admin:approvals_department_changelist")


def test_the_three_groups_exist_with_their_permissions():
    perms = {name: set(Group.objects.get(name=name).permissions.values_list(
        "codename", flat=True)) for name in AdminRole.values}
    assert "view_auditrecord" in perms[AdminRole.AUDIT]
    assert perms[AdminRole.AUDIT] <= {"view_auditrecord", "view_auditarchive"}
    assert {"add_user", "change_user", "change_department"} <= perms[AdminRole.SYSTEM]
    assert "view_auditrecord" not in perms[AdminRole.SYSTEM]
    assert "change_group" in perms[AdminRole.SECURITY]
    assert not {"change_user", "view_auditrecord", "change_department"} & perms[
        AdminRole.SECURITY]


@pytest.mark.parametrize(("first", "second"), [
    (AdminRole.SYSTEM, AdminRole.AUDIT), (AdminRole.SECURITY, AdminRole.AUDIT),
    (AdminRole.SYSTEM, AdminRole.SECURITY)])
def test_no_account_holds_two_administrator_roles(first, second):
    user = UserFactory(role=first)
    with pytest.raises(ValidationError), transaction.atomic():
        user.groups.add(Group.objects.get(name=second))
    with pytest.raises(ValidationError), transaction.atomic():
        Group.objects.get(name=second).user_set.add(user)
    assert set(user.groups.values_list("name", flat=True)) == {first}


def test_an_administrator_role_and_a_desk_role_may_combine():
    user = UserFactory(role=AdminRole.SYSTEM)
    user.groups.add(Group.objects.get(name="coordinator"))
    assert user.groups.count() == 2


def test_the_user_admin_refuses_two_administrator_roles(client, system_admin):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    target = UserFactory(username="target")
    client.force_login(root)
    url = reverse("admin:auth_user_change", args=[target.pk])
    groups = [Group.objects.get(name=AdminRole.SYSTEM).pk,
              Group.objects.get(name=AdminRole.AUDIT).pk]
    response = client.post(url, {
        "username": "target", "is_active": "on", "groups": groups,
        "date_joined_0": "2026-01-01", "date_joined_1": "08:00:00",
        "profile-TOTAL_FORMS": "1", "profile-INITIAL_FORMS": "1",
        "profile-MIN_NUM_FORMS": "0", "profile-MAX_NUM_FORMS": "1",
        "profile-0-id": target.profile.pk, "profile-0-user": target.pk,
        "profile-0-display_name": "target"})
    assert response.status_code == 200
    assert "cannot hold two administrator roles" in response.content.decode()
    assert target.groups.count() == 0


# who reaches which administrator page: (url, method) -> allowed role
PAGES = [(AUDIT_LOG, "get", "audit_admin"), (AUDIT_EXPORT, "get", "audit_admin"),
         (LOCKOUTS, "get", "security_admin"), (DEPARTMENT_ADMIN, "get", "system_admin")]


@pytest.mark.parametrize(("url", "method", "allowed"), PAGES)
@pytest.mark.parametrize("who", ["system_admin", "security_admin", "audit_admin"])
def test_each_administrator_is_refused_the_others_pages(client, request, url, method,
                                                        allowed, who):
    client.force_login(request.getfixturevalue(who))
    response = getattr(client, method)(url)
    if who == allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def test_audit_log_search_by_user_action_and_period(client, audit_admin, coordinator):
    client.force_login(coordinator)
    client.get(reverse("approvals:ledger-export"))
    client.force_login(audit_admin)
    response = client.get(AUDIT_LOG, {"user": "coordinator", "action": "export"})
    assert response.status_code == 200
    rows = list(response.context["page"])
    assert rows and {(r.actor_name, r.action) for r in rows} == {("coordinator", "export")}
    empty = client.get(AUDIT_LOG, {"user": "coordinator", "action": "login",
                                   "start": "2000-01-01", "end": "2000-01-02"})
    assert list(empty.context["page"]) == []
    bad = client.get(AUDIT_LOG, {"start": "2026-02-01", "end": "2026-01-01"})
    assert bad.status_code == 200 and bad.context["form"].errors
    assert client.get(AUDIT_EXPORT, {"start": "nonsense"}).status_code == 400


def test_audit_log_page_query_count_does_not_grow(client, audit_admin,
                                                  django_assert_max_num_queries):
    import audit

    client.force_login(audit_admin)
    for n in (2, 20):
        for i in range(n):
            audit.record(None, "export", f"f{i}.xlsx")
        with django_assert_max_num_queries(8):
            assert client.get(AUDIT_LOG).status_code == 200


def test_audit_export_is_xlsx_and_is_itself_audited(client, audit_admin):
    from io import BytesIO

    from openpyxl import load_workbook

    client.force_login(audit_admin)
    response = client.get(AUDIT_EXPORT, {"user": "auditadmin"})
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["Number", "When", "User", "Address", "Action"]
    assert [r[4] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["login"]
    assert AuditRecord.objects.filter(action="export", actor_name="auditadmin",
                                      object_repr__startswith="audit-").exists()


def test_anonymous_users_are_sent_to_login(client):
    for url in (AUDIT_LOG, LOCKOUTS):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
