"""Session idle timeout, absolute lifetime, and the end of other sessions
when the password changes."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

import pytest
import time_machine

from audit.models import AuditRecord
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HOME = reverse("home")
PASSWORD = "Secret-pass-123"


@pytest.fixture
def officer_login(client, officer):
    client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    return client


def test_a_session_idle_for_longer_than_the_timeout_ends(officer_login):
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=29)):
        assert officer_login.get(HOME).status_code == 200
    with time_machine.travel(start + timedelta(minutes=29 + 31)):
        response = officer_login.get(HOME)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert "_auth_user_id" not in officer_login.session
    assert AuditRecord.objects.filter(action="session_expired", detail__reason="idle").exists()
    assert AuditRecord.objects.filter(action="logout", detail__reason="idle").exists()


def test_activity_keeps_a_session_alive_until_its_absolute_lifetime(officer_login):
    start = timezone.now()
    for minutes in range(20, 8 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            assert officer_login.get(HOME).status_code == 200, minutes
    with time_machine.travel(start + timedelta(hours=8, minutes=5)):
        response = officer_login.get(HOME)
    assert response.status_code == 302
    assert AuditRecord.objects.filter(action="session_expired",
                                      detail__reason="lifetime").exists()


def test_the_timeout_follows_the_setting(officer_login, settings):
    settings.SECURITY = {**settings.SECURITY, "SESSION_IDLE_MINUTES": 5}
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert officer_login.get(HOME).status_code == 302


def test_changing_the_password_ends_the_other_sessions_but_not_this_one(officer):
    phone, laptop = Client(), Client()
    for c in (phone, laptop):
        c.post(reverse("login"), {"username": "officer", "password": PASSWORD})
        assert c.get(HOME).status_code == 200
    response = laptop.post(reverse("security:password-change"), {
        "old_password": PASSWORD, "new_password1": "Fresh-Pass-2026!",
        "new_password2": "Fresh-Pass-2026!"})
    assert response.status_code == 302
    assert laptop.get(HOME).status_code == 200
    gone = phone.get(HOME)
    assert gone.status_code == 302 and gone.url.startswith(reverse("login"))
    assert AuditRecord.objects.filter(action="password_change", object_repr="officer").exists()


def test_a_user_created_in_the_admin_must_change_the_password_first(client):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    admin_client = Client()
    admin_client.force_login(root)
    response = admin_client.post(reverse("admin:auth_user_add"), {
        "username": "newbie", "password1": "Start-Pass-2026", "password2": "Start-Pass-2026",
        "usable_password": "true", "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "0", "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1", "profile-0-display_name": "新人"})
    assert response.status_code == 302, response.context and response.context.get(
        "adminform") and response.context["adminform"].form.errors
    client.post(reverse("login"), {"username": "newbie", "password": "Start-Pass-2026"})
    page = client.get(HOME)
    assert page.status_code == 302 and page.url.startswith(reverse("security:password-change"))
    form = client.get(reverse("security:password-change"))
    assert form.status_code == 200 and form.context["reason"] == "first"
    done = client.post(reverse("security:password-change"), {
        "old_password": "Start-Pass-2026", "new_password1": "Own-Choice-2026!",
        "new_password2": "Own-Choice-2026!"})
    assert done.status_code == 302
    assert client.get(HOME).status_code != 302 or not client.get(HOME).url.startswith(
        reverse("security:password-change"))


def test_demo_and_seeded_users_are_not_forced_to_change(officer_login):
    assert officer_login.get(HOME).status_code == 200


def test_an_expired_password_must_be_changed_when_expiry_is_on(client, officer, settings):
    settings.SECURITY = {**settings.SECURITY, "PASSWORD_MAX_AGE_DAYS": 90}
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        client.post(reverse("login"), {"username": "officer", "password": PASSWORD})
        response = client.get(HOME)
    assert response.url.startswith(reverse("security:password-change"))
