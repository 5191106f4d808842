"""Two-factor login (TOTP, django-otp) with recovery codes: required for
coordinators, leaders and administrators when ``TWO_FACTOR_REQUIRED`` is on
(production's default; tests opt in), optional for others, and always asked
of anyone who turned it on."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

import pytest
import time_machine
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from approvals.choices import Role
from audit.choices import AdminRole
from audit.models import AuditRecord
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
HOME = reverse("home")
SETUP = reverse("security:two-factor")
VERIFY = reverse("security:two-factor-verify")


@pytest.fixture
def required(settings):
    settings.SECURITY = {**settings.SECURITY, "TWO_FACTOR_REQUIRED": True}


def _login(client, username):
    return client.post(LOGIN, {"username": username, "password": "Secret-pass-123"})


def _code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.LEADER, AdminRole.SYSTEM,
                                  AdminRole.SECURITY, AdminRole.AUDIT])
def test_named_roles_must_set_up_a_second_factor(client, required, role):
    UserFactory(username="boss", role=role)
    _login(client, "boss")
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url.startswith(SETUP)


def test_the_superuser_must_too(client, required):
    UserFactory(username="root", is_superuser=True, is_staff=True)
    _login(client, "root")
    assert client.get("/admin/").url.startswith(SETUP)


@pytest.mark.parametrize("role", [Role.SERVICE_STAFF, Role.DEPARTMENT_OFFICER,
                                  Role.FIRM_USER])
def test_other_roles_may_go_on_without_one(client, required, role):
    UserFactory(username="someone", role=role)
    _login(client, "someone")
    response = client.get(HOME)
    assert not (response.status_code == 302 and response.url.startswith(SETUP))


def test_without_the_setting_nobody_is_forced(client):
    UserFactory(username="boss", role=Role.COORDINATOR)
    _login(client, "boss")
    assert client.get(HOME).status_code == 200


def test_set_up_then_next_login_asks_for_the_code(client, required):
    user = UserFactory(username="boss", role=Role.COORDINATOR)
    _login(client, "boss")
    page = client.get(SETUP)
    assert page.status_code == 200 and page.context["qr"].startswith("data:image/svg+xml")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = client.post(SETUP, {"token": "000000" if _code(device) != "000000" else "111111"})
    assert wrong.status_code == 400
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # a wrong code slows the next try
    device.throttle_reset()
    response = client.post(SETUP, {"token": _code(device)})
    assert response.status_code == 302
    codes = client.get(response.url).context["codes"]
    assert len(codes) == 10
    assert client.get(HOME).status_code == 200
    assert AuditRecord.objects.filter(action="2fa_enable", object_repr="boss").exists()

    client.post(reverse("logout"))
    _login(client, "boss")
    assert client.get(HOME).url.startswith(VERIFY)
    device.refresh_from_db()
    assert client.post(VERIFY, {"token": "12345"}).status_code == 400
    assert AuditRecord.objects.filter(action="2fa_verify", result="failure").exists()
    device.refresh_from_db()
    device.throttle_reset()
    # a later code: the one used at set-up may not be replayed
    with time_machine.travel(timezone.now() + timedelta(seconds=90)):
        response = client.post(VERIFY, {"token": _code(device), "next": "/ledger/"})
        assert response.status_code == 302 and response.url == "/ledger/"
        assert client.get(HOME).status_code == 200


def test_a_recovery_code_logs_in_once(client, required):
    user = UserFactory(username="boss", role=Role.LEADER)
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    from audit.views import _new_recovery_codes

    codes = _new_recovery_codes(user)
    _login(client, "boss")
    assert client.post(VERIFY, {"token": codes[0]}).status_code == 302
    assert client.get(HOME).status_code == 200
    assert StaticToken.objects.filter(device__user=user).count() == 9
    client.post(reverse("logout"))
    _login(client, "boss")
    assert client.post(VERIFY, {"token": codes[0]}).status_code == 400


def test_an_optional_user_who_turned_it_on_is_asked_too(client):
    user = UserFactory(username="staffer", role=Role.SERVICE_STAFF)
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    _login(client, "staffer")
    assert client.get(reverse("visits:my-week")).url.startswith(VERIFY)


def test_pending_second_factor_still_allows_logout(client, required):
    UserFactory(username="boss", role=Role.COORDINATOR)
    _login(client, "boss")
    assert client.post(reverse("logout")).url == LOGIN
