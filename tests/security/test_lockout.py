"""Lockout per account and per address, and unlocking by the security
administrator (audited)."""

from __future__ import annotations

from django.urls import reverse

import pytest

from audit.models import AuditRecord
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")


def _login(client, username, password="wrong", ip="10.0.0.1"):  # noqa: S107
    return client.post(LOGIN, {"username": username, "password": password},
                       REMOTE_ADDR=ip)


def test_an_account_locks_after_five_failures_from_different_addresses(client):
    UserFactory(username="wangfang")
    for i in range(5):
        _login(client, "wangfang", ip=f"10.0.0.{i + 1}")
    assert _login(client, "wangfang", "Secret-pass-123", ip="10.9.9.9").status_code == 429


def test_an_address_locks_after_its_own_limit_across_accounts(client, settings):
    settings.AXES_IP_FAILURE_LIMIT = 8
    UserFactory(username="victim")
    for i in range(8):  # password spraying: a few tries on many accounts
        _login(client, f"guess{i}", ip="10.6.6.6")
    assert _login(client, "victim", "Secret-pass-123", ip="10.6.6.6").status_code == 429
    # another address is not affected
    assert _login(client, "victim", "Secret-pass-123", ip="10.7.7.7").status_code == 302


def test_fewer_failures_at_one_address_do_not_lock_it(client, settings):
    settings.AXES_IP_FAILURE_LIMIT = 8
    UserFactory(username="victim")
    for i in range(7):
        _login(client, f"guess{i}", ip="10.6.6.6")
    assert _login(client, "victim", "Secret-pass-123", ip="10.6.6.6").status_code == 302


def test_the_security_administrator_sees_and_unlocks_an_account(client, security_admin):
    UserFactory(username="wangfang")
    for _ in range(5):
        _login(client, "wangfang")
    admin_client = client.__class__()
    admin_client.force_login(security_admin)
    page = admin_client.get(reverse("security:lockout-list"))
    assert page.status_code == 200
    assert [a["username"] for a in page.context["accounts"]] == ["wangfang"]
    response = admin_client.post(reverse("security:lockout-unlock"), {"username": "wangfang"})
    assert response.status_code == 302
    record = AuditRecord.objects.get(action="unlock")
    assert record.actor_name == "secadmin" and record.object_repr == "wangfang"
    assert _login(client, "wangfang", "Secret-pass-123").status_code == 302


def test_unlock_without_a_name_or_address_is_a_form_error(client, security_admin):
    client.force_login(security_admin)
    response = client.post(reverse("security:lockout-unlock"), {})
    assert response.status_code == 400
    assert response.context["form"].errors
    bad = client.post(reverse("security:lockout-unlock"), {"ip_address": "not-an-ip"})
    assert bad.status_code == 400


@pytest.mark.parametrize("who", ["audit_admin", "system_admin", "coordinator"])
def test_others_cannot_unlock(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.post(reverse("security:lockout-unlock"),
                       {"username": "x"}).status_code == 403
    assert not AuditRecord.objects.filter(action="unlock").exists()


def test_the_admin_action_unlocks_and_is_audited(client):
    target = UserFactory(username="wangfang")
    for _ in range(5):
        _login(client, "wangfang")
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    admin_client = client.__class__()
    admin_client.force_login(root)
    response = admin_client.post(reverse("admin:auth_user_changelist"), {
        "action": "unlock_accounts", "_selected_action": [target.pk]})
    assert response.status_code == 302
    assert AuditRecord.objects.filter(action="unlock", object_repr="wangfang").exists()
    assert _login(client, "wangfang", "Secret-pass-123").status_code == 302
