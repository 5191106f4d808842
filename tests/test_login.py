"""Logging in (username or mobile number), lockout after repeated failures
(django-axes), logging out and resetting a password by e-mail.

These tests POST to the real login page: django-axes needs the request, so
``client.login`` is not used here."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

import pytest
from axes.models import AccessAttempt

from approvals.choices import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
LOGOUT = reverse("logout")
HOME = reverse("home")
PASSWORD = "Secret-pass-123"  # the factories' password


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def member(dept):
    """A department officer with a mobile number on their profile."""
    return UserFactory(username="wangfang", role=Role.DEPARTMENT_OFFICER, department=dept,
                       mobile="13900001234", email="wangfang@example.gov.cn")


def _login(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def _logged_in_as(client):
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


def test_login_page_renders(client):
    response = client.get(LOGIN)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Username or mobile number" in body
    assert reverse("password_reset") in body


def test_login_by_username(client, member):
    response = _login(client, "wangfang")
    assert response.status_code == 302
    assert response.url == HOME
    assert _logged_in_as(client) == member


def test_login_by_profile_mobile_number(client, member):
    response = _login(client, "13900001234")
    assert response.status_code == 302
    assert _logged_in_as(client) == member


def test_login_by_mobile_with_surrounding_spaces(client, member):
    assert _login(client, " 13900001234 ").status_code == 302
    assert _logged_in_as(client) == member


def test_a_username_that_looks_like_a_mobile_logs_in_its_own_account(client, member):
    """A username is tried before a mobile: whoever owns '13900001234' as a
    username is not confused with the officer whose mobile it is."""
    numeric = UserFactory(username="13900001234", role=Role.SERVICE_STAFF)
    assert _login(client, "13900001234").status_code == 302
    assert _logged_in_as(client) == numeric


def test_login_follows_a_safe_next_and_ignores_an_unsafe_one(client, member):
    response = _login(client, "wangfang", next="/ledger/")
    assert response.url == "/ledger/"
    client.logout()
    response = _login(client, "wangfang", next="https://evil.example.com/")
    assert response.url == HOME


@pytest.mark.parametrize(("username", "password"), [
    ("wangfang", "wrong-password"),
    ("13900001234", "wrong-password"),
    ("nobody", PASSWORD),
    ("", PASSWORD),
])
def test_wrong_credentials_show_an_error(client, member, username, password):
    response = _login(client, username, password)
    assert response.status_code == 200
    assert _logged_in_as(client) is None
    body = response.content.decode()
    form = response.context["form"]
    assert form.errors
    for message in form.non_field_errors() or [m for ms in form.errors.values() for m in ms]:
        assert message in body.replace("&#x27;", "'")


def test_wrong_password_message_is_clear(client, member):
    response = _login(client, "wangfang", "wrong-password")
    assert "Please enter a correct" in response.content.decode()


def test_inactive_user_cannot_log_in(client, member):
    member.is_active = False
    member.save(update_fields=["is_active"])
    assert _login(client, "wangfang").status_code == 200
    assert _logged_in_as(client) is None


# ------------------------------------------------------------------ lockout


def _fail(client, username, times):
    for _ in range(times):
        response = _login(client, username, "wrong-password")
    return response


def _assert_locked_out(response):
    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many failed logins" in body
    assert "locked" in body
    assert reverse("password_reset") in body


def test_four_failures_then_the_right_password_still_logs_in(client, member):
    assert _fail(client, "wangfang", 4).status_code == 200
    assert _login(client, "wangfang").status_code == 302
    assert _logged_in_as(client) == member


def test_five_failures_lock_out_with_a_clear_message(client, member):
    _assert_locked_out(_fail(client, "wangfang", 5))
    assert AccessAttempt.objects.filter(username="wangfang").exists()


def test_locked_out_even_with_the_right_password(client, member):
    _fail(client, "wangfang", 5)
    response = _login(client, "wangfang")
    _assert_locked_out(response)
    assert _logged_in_as(client) is None


def test_failures_by_mobile_number_lock_out_too(client, member):
    _fail(client, "13900001234", 5)
    _assert_locked_out(_login(client, "13900001234"))
    assert _logged_in_as(client) is None


def test_a_successful_login_resets_the_failure_count(client, member):
    _fail(client, "wangfang", 4)
    assert _login(client, "wangfang").status_code == 302
    client.logout()
    assert _fail(client, "wangfang", 4).status_code == 200
    assert _login(client, "wangfang").status_code == 302


def test_one_users_failures_do_not_lock_out_a_colleague_at_the_same_address(client, member):
    """The account locks after five failures; the address only after
    AXES_IP_FAILURE_LIMIT (audit.lockout), so colleagues behind the same
    office NAT still log in."""
    colleague = UserFactory(username="lihua", role=Role.SERVICE_STAFF)
    _fail(client, "wangfang", 5)
    assert _login(client, "lihua").status_code == 302
    assert _logged_in_as(client) == colleague


def test_lockout_page_is_in_chinese_by_default(client, member):
    client.defaults.pop("HTTP_ACCEPT_LANGUAGE")
    response = _fail(client, "wangfang", 5)
    assert response.status_code == 429
    body = response.content.decode()
    assert '<html lang="zh-hans">' in body
    assert "Too many failed logins" not in body


def test_failure_limit_follows_the_setting(client, member, settings):
    settings.AXES_FAILURE_LIMIT = 2
    assert _fail(client, "wangfang", 1).status_code == 200
    _assert_locked_out(_fail(client, "wangfang", 1))


# ------------------------------------------------------------------ logout


def test_logout_ends_the_session(client, member):
    _login(client, "wangfang")
    assert client.get(HOME).status_code == 200
    response = client.post(LOGOUT)
    assert response.status_code == 302
    assert response.url == LOGIN
    assert _logged_in_as(client) is None
    after = client.get(HOME)
    assert after.status_code == 302
    assert after.url.startswith(LOGIN)


def test_logout_is_a_post(client, member):
    _login(client, "wangfang")
    assert client.get(LOGOUT).status_code == 405
    assert _logged_in_as(client) == member


def test_every_page_offers_logout(client, member):
    _login(client, "wangfang")
    body = client.get(HOME).content.decode()
    assert f'action="{LOGOUT}"' in body


# ------------------------------------------------------------------ password reset


def test_password_reset_mails_a_link_to_a_known_address(client, member):
    response = client.post(reverse("password_reset"), {"email": "wangfang@example.gov.cn"})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["wangfang@example.gov.cn"]
    assert re.search(r"/accounts/reset/[\w-]+/[\w-]+/", message.body)


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client,
                                                                                member):
    response = client.post(reverse("password_reset"), {"email": "stranger@example.com"})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


def test_password_reset_link_sets_a_new_password(client, member):
    client.post(reverse("password_reset"), {"email": "wangfang@example.gov.cn"})
    link = re.search(r"(/accounts/reset/[\w-]+/[\w-]+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    done = client.post(set_url, {"new_password1": "Fresh-Pass-2026!",
                                 "new_password2": "Fresh-Pass-2026!"})
    assert done.status_code == 302
    assert done.url == reverse("password_reset_complete")
    assert _login(client, "wangfang", "Fresh-Pass-2026!").status_code == 302
    client.logout()
    assert _login(client, "wangfang", PASSWORD).status_code == 200


def test_password_reset_pages_render(client):
    for name in ("password_reset", "password_reset_done", "password_reset_complete"):
        assert client.get(reverse(name)).status_code == 200
    bad = client.get(reverse("password_reset_confirm", args=["MQ", "bad-token"]))
    assert bad.status_code == 200
