"""Anonymous account requests on the portal are throttled per client address
and per credit code, with a clear message (429) and nothing written; logged-in
users and other firms are not affected by someone else's share."""

from __future__ import annotations

import time

from django.test import override_settings
from django.urls import reverse

import pytest
import time_machine

from enterprises.models import AccountRequest
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

URL = reverse("portal:account-request")
LIMITS = {"ACCOUNT_REQUESTS_PER_IP_PER_HOUR": 3, "ACCOUNT_REQUESTS_PER_CODE_PER_DAY": 2}


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.DESK = {**settings.DESK, **LIMITS}


@pytest.fixture(autouse=True)
def _frozen_window():
    # fixed windows: keep every request of a test inside one hour and one day
    with time_machine.travel(time.time() // 86400 * 86400 + 3600, tick=True):
        yield


def _post(client, enterprise, ip, *, name=None, **extra):
    return client.post(URL, {
        "credit_code": enterprise.credit_code, "enterprise_name": name or enterprise.name,
        "contact_name": "王经理", "email": "wang@example.com",
    }, REMOTE_ADDR=ip, **extra)


def test_an_address_is_refused_after_its_share_with_a_clear_message(client):
    firms = [EnterpriseFactory() for _i in range(4)]
    for firm in firms[:3]:
        assert _post(client, firm, "10.0.0.1").status_code == 200
    response = _post(client, firms[3], "10.0.0.1")
    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many account requests have come from your network" in body
    assert "0571-12345678" in body or "call the office" in body
    # what the firm typed stays in the form
    assert firms[3].credit_code in body
    assert AccountRequest.objects.count() == 3
    assert not AccountRequest.objects.filter(enterprise=firms[3]).exists()


def test_name_guesses_count_so_codes_and_names_cannot_be_probed(client, enterprise):
    for guess in ("甲公司", "乙公司"):
        assert _post(client, enterprise, "10.0.0.2", name=guess).status_code == 400
    response = _post(client, enterprise, "10.0.0.2")  # even the right name now
    assert response.status_code == 429
    assert "too many times today" in response.content.decode()
    assert not AccountRequest.objects.exists()


def test_another_address_is_not_affected(client):
    firms = [EnterpriseFactory() for _i in range(4)]
    for firm in firms[:3]:
        _post(client, firm, "10.0.0.3")
    assert _post(client, firms[3], "10.0.0.3").status_code == 429
    assert _post(client, firms[3], "10.0.0.4").status_code == 200


def test_a_credit_code_is_refused_after_its_share_whatever_the_address(client, enterprise):
    assert _post(client, enterprise, "10.1.0.1").status_code == 200
    assert _post(client, enterprise, "10.1.0.2").status_code == 200
    response = _post(client, enterprise, "10.1.0.3")
    assert response.status_code == 429
    assert "This enterprise has asked for accounts too many times today" in (
        response.content.decode())
    assert AccountRequest.objects.filter(enterprise=enterprise).count() == 2
    # another firm from the same address goes through
    assert _post(client, EnterpriseFactory(), "10.1.0.3").status_code == 200


def test_a_lower_case_code_is_the_same_code(client, enterprise):
    for ip in ("10.2.0.1", "10.2.0.2"):
        assert _post(client, enterprise, ip).status_code == 200
    response = client.post(URL, {
        "credit_code": enterprise.credit_code.lower(), "enterprise_name": enterprise.name,
        "contact_name": "王经理", "email": "wang@example.com"}, REMOTE_ADDR="10.2.0.3")
    assert response.status_code == 429


def test_a_blocked_address_does_not_use_up_the_firms_share(client, enterprise):
    others = [EnterpriseFactory() for _i in range(3)]
    for firm in others:
        _post(client, firm, "10.3.0.1")
    for _i in range(5):  # hammering from a blocked address
        assert _post(client, enterprise, "10.3.0.1").status_code == 429
    assert _post(client, enterprise, "10.3.0.2").status_code == 200


def test_a_spoofed_forwarded_for_header_does_not_reset_the_count(client):
    firms = [EnterpriseFactory() for _i in range(4)]
    for i, firm in enumerate(firms[:3]):
        _post(client, firm, "10.4.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    response = _post(client, firms[3], "10.4.0.1", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert response.status_code == 429


def test_the_share_comes_back_in_the_next_window(client):
    firms = [EnterpriseFactory() for _i in range(4)]
    for firm in firms[:3]:
        _post(client, firm, "10.5.0.1")
    assert _post(client, firms[3], "10.5.0.1").status_code == 429
    with time_machine.travel(time.time() + 3600, tick=False):
        assert _post(client, firms[3], "10.5.0.1").status_code == 200


def test_invalid_forms_are_not_counted(client, enterprise):
    for _i in range(5):
        response = client.post(URL, {"credit_code": "123", "enterprise_name": "x",
                                     "contact_name": "x", "email": "x@example.com"},
                               REMOTE_ADDR="10.6.0.1")
        assert response.status_code == 400
    assert _post(client, enterprise, "10.6.0.1").status_code == 200


@override_settings(DESK={"OFFICE_PHONE": "0571-12345678", "OFFICE_NAME": "办公室"})
def test_the_defaults_apply_when_the_settings_say_nothing(client):
    firms = [EnterpriseFactory() for _i in range(11)]
    statuses = [_post(client, firm, "10.7.0.1").status_code for firm in firms]
    assert statuses == [200] * 10 + [429]


def test_logged_in_firm_user_and_staff_use_the_same_rules(client, firm, staff, enterprise_b):
    # the page is public; being logged in gives no extra share
    client.force_login(firm)
    for ip in ("10.8.0.1", "10.8.0.2"):
        assert _post(client, enterprise_b, ip).status_code == 200
    assert _post(client, enterprise_b, "10.8.0.3").status_code == 429
    client.force_login(staff)
    assert _post(client, enterprise_b, "10.8.0.4").status_code == 429
